"""The scores of a press release and its FAQ (issue 10): one page, plain language, jargon, shape.

Pure: text in, `Scores` out, with no database, no network and nothing else from `api`. A revision
is scored when it is saved and the `Scores` are stored with it as JSON (`model_dump(mode="json")`).

How the text is read:

- The press release is the headline, the subheading and the body. Every part is Markdown, stripped
  before counting: heading marks, emphasis, backticks, bullets, quote marks and table bars go; a
  link or an image keeps its text; code keeps its words.
- A word is a run of characters between spaces that has a letter or a digit (`best-of-breed`,
  `don't`, `600` are one each; a lone `—` is none).
- Sentences end at `.`, `!` or `?` (closing quotes or brackets may follow) before a space or the
  end, except after titles (`Mr.`, `Dr.`, `vs.`, ...) and dotted initials (`e.g.`, `i.e.`, `J.`,
  `U.S.`). A heading, each item of a list and each row of a table is a sentence of its own, ended
  or not. Where a sentence is found is its `section` (`headline`, `subheading`, `body`,
  `faq[0].question`, `faq[0].answer`: the FAQ is numbered from 0 as the list given) and its
  number in that section, from 1.

The scores:

- One page: the press release's words against `word_limit`; at or under it passes.
- Plain language: Flesch reading ease, 206.835 - 1.015 x (words / sentences) - 84.6 x
  (syllables / words), and Flesch-Kincaid grade, 0.39 x (words / sentences) + 11.8 x (syllables /
  words) - 15.59, over the press release; syllables from the CMU dictionary (`dictionary.py`).
  Both are rounded to one decimal and not clamped; the rounded ease is judged: `reading_ease_pass`
  or more passes, `reading_ease_warn` or more warns, less fails. A press release with no words
  fails with both at 0.0: there is nothing to read.
- Jargon, over the press release and the FAQ, each with where it occurs: the terms of the org's
  list (any case, whole words; a space and a hyphen in a term match each other, and a plural
  `s`, `es` or `ies` is allowed), all-capitals acronyms (`GDPR`, `S3`, `APIs`) that the document
  never spells out, and sentences of more than `max_sentence_words` words. An acronym is spelled
  out where it stands in brackets right after a word, "General Data Protection Regulation
  (GDPR)", or right before bracketed words with a lower-case letter, "S3 (our storage service)".
  `KNOWN_ACRONYMS` are never flagged. Anything found warns: the tool flags, people judge.
- Shape: a headline, a subheading and a body, and at least one customer question (with words) in
  the FAQ; each one missing is a problem, and any problem fails.

`Scores.passes_gate`: neither one page nor plain language failed (else approval needs an override).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, Self

from pydantic import Field, computed_field, field_validator, model_validator

from api.core.described import Schema
from api.documents.dictionary import ABBREVIATIONS, DEFAULT_JARGON, KNOWN_ACRONYMS, syllables

EXCERPT_CHARS = 80


class Verdict(StrEnum):
    """How a score is judged: pass, warn (advice) or fail."""

    PASS = "pass"
    """Meets the rule."""
    WARN = "warn"
    """Advice: worth fixing, but does not block."""
    FAIL = "fail"
    """Breaks the rule."""


class ScoringRules(Schema):
    """The org-wide settings the scores are judged by."""

    word_limit: int = Field(default=600, ge=1)
    """The most words a PR/FAQ may have and still pass one page."""
    reading_ease_pass: float = 60.0
    """The Flesch reading ease at or above which plain language passes."""
    reading_ease_warn: float = 50.0
    """The reading ease at or above which it warns rather than fails."""
    max_sentence_words: int = Field(default=35, ge=1)
    """Sentences longer than this many words are flagged as long."""
    jargon: list[str] = Field(default_factory=lambda: list(DEFAULT_JARGON))
    """Words and phrases flagged as jargon."""

    @field_validator("jargon")
    @classmethod
    def _tidy_jargon(cls, terms: list[str]) -> list[str]:
        """Spaces collapsed; blank terms and repeats (in any case) dropped, the first kept."""
        seen: dict[str, str] = {}
        for term in terms:
            tidy = " ".join(term.split())
            if tidy and tidy.casefold() not in seen:
                seen[tidy.casefold()] = tidy
        return list(seen.values())

    @model_validator(mode="after")
    def _warn_below_pass(self) -> Self:
        if self.reading_ease_warn > self.reading_ease_pass:
            raise ValueError("reading_ease_warn must not be above reading_ease_pass")
        return self


class Where(Schema):
    section: str
    """The section the sentence is in."""
    sentence: int
    """The sentence's number in that section, from 1."""
    excerpt: str
    """The start of the sentence, to find it."""


class OnePage(Schema):
    words: int
    """Words in the PR/FAQ."""
    limit: int
    """The most words allowed."""
    verdict: Verdict
    """Whether it fits one page."""


class PlainLanguage(Schema):
    reading_ease: float
    """Flesch reading ease: higher is easier; 60 and up reads plainly."""
    grade: float
    """Flesch-Kincaid grade: the school year a reader needs."""
    verdict: Verdict
    """Whether the text is plain enough."""


class Term(Schema):
    term: str
    """The jargon word, phrase or acronym."""
    where: list[Where]
    """Each sentence it appears in."""


class LongSentence(Schema):
    words: int
    """How many words the sentence has."""
    where: Where
    """Where the sentence is."""


class Jargon(Schema):
    terms: list[Term]
    """Jargon used."""
    acronyms: list[Term]
    """Acronyms used without being spelt out."""
    long_sentences: list[LongSentence]
    """Sentences over the word limit for one sentence."""
    verdict: Verdict
    """Advice only: jargon warns, it never fails."""


class Shape(Schema):
    has_headline: bool
    """Whether there is a headline."""
    has_subheading: bool
    """Whether there is a subheading."""
    has_body: bool
    """Whether there is a press release body."""
    customer_questions: int
    """How many FAQ questions are for customers."""
    problems: list[str]
    """What is missing from the expected shape, in words."""
    verdict: Verdict
    """Whether the PR/FAQ has its expected shape."""


class Scores(Schema):
    one_page: OnePage
    """Whether it fits on one page."""
    plain_language: PlainLanguage
    """How easy it is to read."""
    jargon: Jargon
    """Jargon, unexplained acronyms and long sentences."""
    shape: Shape
    """Whether it has the parts a PR/FAQ needs."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passes_gate(self) -> bool:
        """One page and plain language did not fail (jargon and shape only inform)."""
        return Verdict.FAIL not in (self.one_page.verdict, self.plain_language.verdict)


class FaqEntry(Protocol):
    """One question of the FAQ, as the documents domain stores it; `audience` is `customer` or
    `internal` (a `StrEnum` of those values will do)."""

    @property
    def question(self) -> str: ...

    @property
    def answer(self) -> str: ...

    @property
    def audience(self) -> str: ...


@dataclass(frozen=True)
class _Sentence:
    section: str
    number: int
    text: str
    words: tuple[str, ...]


_FENCE = re.compile(r"^(?:```|~~~)")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)(?:\s+#+)?$")
_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])\s+(.*)$")
# A thematic break, a setext underline, a table's separator row, a link reference definition.
_SKIPPED = re.compile(r"^(?:[-*_=]\s*){3,}$|^\|?[\s:|-]*-[\s:|-]*\|?$|^\[[^\]]+\]:\s*\S+")
_QUOTE = re.compile(r"^(?:>\s?)+")
_INLINE = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # an image keeps its alt text
    (re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])"), r"\1"),  # a link keeps its text
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),
    (re.compile(r"</?[A-Za-z][^>]*>"), ""),  # HTML tags
    (re.compile(r"`+"), ""),
    (re.compile(r"(?<!\w)[*_~]+|[*_~]+(?!\w)"), ""),  # emphasis, but not snake_case
)
_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*$")
_INITIALS = re.compile(r"(?:[a-z]\.)+")
_HAS_WORD = re.compile(r"[^\W_]")
_ACRONYM = re.compile(r"(?<!\w)([A-Z][A-Z0-9]+)s?(?!\w)")


def _inline(text: str) -> str:
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


def _blocks(markdown: str) -> list[str]:
    """The runs of text that sentences may not cross: paragraphs, headings, list items, table rows
    and lines of code, stripped of Markdown."""
    blocks: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            blocks.append(" ".join(current))
            current.clear()

    fenced = False
    for raw in markdown.splitlines():
        line = _QUOTE.sub("", raw.strip()).strip()
        if _FENCE.match(line):
            flush()
            fenced = not fenced
        elif fenced or line.startswith("|"):
            flush()
            blocks.append(line.replace("|", " "))
        elif not line or _SKIPPED.match(line):
            flush()
        elif start := _HEADING.match(line) or _ITEM.match(line):
            flush()
            current.append(start.group(1))
            if line.startswith("#"):
                flush()
        else:
            current.append(line)
    flush()
    return [text for text in map(_inline, blocks) if text]


def _ends_sentence(token: str) -> bool:
    if not _END.search(token):
        return False
    bare = token.lstrip("([\"'\u201c\u2018").lower()
    return bare not in ABBREVIATIONS and not _INITIALS.fullmatch(bare)


def _sentences(section: str, markdown: str) -> list[_Sentence]:
    """The sentences of one section that have words, numbered from 1."""
    found: list[_Sentence] = []

    def close(tokens: list[str]) -> None:
        words = tuple(token for token in tokens if _HAS_WORD.search(token))
        if words:
            found.append(_Sentence(section, len(found) + 1, " ".join(tokens), words))
        tokens.clear()

    for block in _blocks(markdown):
        tokens: list[str] = []
        for token in block.split():
            tokens.append(token)
            if _ends_sentence(token):
                close(tokens)
        close(tokens)
    return found


def _excerpt(text: str, start: int = 0, end: int = 0) -> str:
    """About `EXCERPT_CHARS` of `text` around `text[start:end]`, cut between words."""
    if len(text) <= EXCERPT_CHARS:
        return text
    lo = max(0, min(start - max(EXCERPT_CHARS - (end - start), 0) // 2, len(text) - EXCERPT_CHARS))
    hi = min(len(text), lo + max(EXCERPT_CHARS, end - start))
    if lo > 0 and (cut := text.find(" ", lo, start)) != -1:
        lo = cut + 1
    if hi < len(text) and (cut := text.rfind(" ", end, hi)) != -1:
        hi = cut
    return ("…" if lo > 0 else "") + text[lo:hi] + ("…" if hi < len(text) else "")


def _where(sentence: _Sentence, start: int = 0, end: int = 0) -> Where:
    return Where(
        section=sentence.section,
        sentence=sentence.number,
        excerpt=_excerpt(sentence.text, start, end),
    )


def _one_page(release: list[_Sentence], rules: ScoringRules) -> OnePage:
    words = sum(len(sentence.words) for sentence in release)
    verdict = Verdict.PASS if words <= rules.word_limit else Verdict.FAIL
    return OnePage(words=words, limit=rules.word_limit, verdict=verdict)


def _plain_language(release: list[_Sentence], rules: ScoringRules) -> PlainLanguage:
    words = [word for sentence in release for word in sentence.words]
    if not words:
        return PlainLanguage(reading_ease=0.0, grade=0.0, verdict=Verdict.FAIL)
    per_sentence = len(words) / len(release)
    per_word = sum(syllables(word) for word in words) / len(words)
    ease = round(206.835 - 1.015 * per_sentence - 84.6 * per_word, 1)
    grade = round(0.39 * per_sentence + 11.8 * per_word - 15.59, 1)
    if ease >= rules.reading_ease_pass:
        verdict = Verdict.PASS
    elif ease >= rules.reading_ease_warn:
        verdict = Verdict.WARN
    else:
        verdict = Verdict.FAIL
    return PlainLanguage(reading_ease=ease, grade=grade, verdict=verdict)


def _term_pattern(term: str) -> re.Pattern[str]:
    """`term` in any case, as whole words, a space or hyphen matching either, with its plural
    (`leverages`, `synergies`)."""
    text = r"[\s-]+".join(re.escape(part) for part in re.split(r"[\s-]+", term) if part)
    text = text[:-1] + "(?:y|ies)" if text[-1:].lower() == "y" else text + "(?:e?s)?"
    return re.compile(r"(?<!\w)" + text + r"(?!\w)", re.IGNORECASE)


def _terms(document: list[_Sentence], rules: ScoringRules) -> list[Term]:
    found: list[tuple[tuple[int, int], Term]] = []
    for term in rules.jargon:
        pattern = _term_pattern(term)
        where = [
            ((index, match.start()), _where(sentence, match.start(), match.end()))
            for index, sentence in enumerate(document)
            for match in pattern.finditer(sentence.text)
        ]
        if where:
            found.append((where[0][0], Term(term=term, where=[place for _, place in where])))
    return [term for _, term in sorted(found, key=lambda item: item[0])]


def _spelled_out(acronym: str, text: str) -> bool:
    name = re.escape(acronym) + "s?"
    after_words = rf"[^\W_][\w'-]*\s*\(\s*{name}\s*\)"
    before_words = rf"(?<!\w){name}\s*\([^()]*[a-z][^()]*\)"
    return bool(re.search(after_words, text) or re.search(before_words, text))


def _acronyms(document: list[_Sentence]) -> list[Term]:
    found: dict[str, list[Where]] = {}
    for sentence in document:
        for match in _ACRONYM.finditer(sentence.text):
            if match.group(1) not in KNOWN_ACRONYMS:
                place = _where(sentence, match.start(), match.end())
                found.setdefault(match.group(1), []).append(place)
    text = "\n".join(sentence.text for sentence in document)
    return [
        Term(term=acronym, where=where)
        for acronym, where in found.items()
        if not _spelled_out(acronym, text)
    ]


def _jargon(document: list[_Sentence], rules: ScoringRules) -> Jargon:
    terms = _terms(document, rules)
    acronyms = _acronyms(document)
    long_sentences = [
        LongSentence(words=len(sentence.words), where=_where(sentence))
        for sentence in document
        if len(sentence.words) > rules.max_sentence_words
    ]
    verdict = Verdict.WARN if terms or acronyms or long_sentences else Verdict.PASS
    return Jargon(terms=terms, acronyms=acronyms, long_sentences=long_sentences, verdict=verdict)


def _shape(release: list[_Sentence], faq: Sequence[FaqEntry]) -> Shape:
    present = {sentence.section for sentence in release}
    customer_questions = sum(
        1 for entry in faq if entry.audience == "customer" and _HAS_WORD.search(entry.question)
    )
    problems = [
        f"The press release has no {part}."
        for part in ("headline", "subheading", "body")
        if part not in present
    ]
    if not customer_questions:
        problems.append("The FAQ has no customer question.")
    return Shape(
        has_headline="headline" in present,
        has_subheading="subheading" in present,
        has_body="body" in present,
        customer_questions=customer_questions,
        problems=problems,
        verdict=Verdict.FAIL if problems else Verdict.PASS,
    )


def score(
    headline: str,
    subheading: str,
    body: str,
    faq: Sequence[FaqEntry],
    rules: ScoringRules | None = None,
) -> Scores:
    """Score one revision: its press release (`body` in Markdown) and its FAQ, by `rules` (the
    defaults when none are given)."""
    rules = rules or ScoringRules()
    release = [
        *_sentences("headline", headline),
        *_sentences("subheading", subheading),
        *_sentences("body", body),
    ]
    document = list(release)
    for index, entry in enumerate(faq):
        document += _sentences(f"faq[{index}].question", entry.question)
        document += _sentences(f"faq[{index}].answer", entry.answer)
    return Scores(
        one_page=_one_page(release, rules),
        plain_language=_plain_language(release, rules),
        jargon=_jargon(document, rules),
        shape=_shape(release, faq),
    )
