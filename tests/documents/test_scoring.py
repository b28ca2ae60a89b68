"""The scorer of a revision (issue 10): known text gives known scores, and nothing goes online."""

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from typing import NamedTuple

import pytest
from pydantic import ValidationError

from api.documents.dictionary import syllables
from api.documents.scoring import Scores, ScoringRules, Verdict, Where, score


@dataclass
class Faq:
    question: str
    answer: str
    audience: str = "customer"


class Release(NamedTuple):
    headline: str
    subheading: str
    body: str


ASKED = [Faq("How much does it cost?", "Nothing. Every team can use it for free.")]

PLAIN = Release(
    "Pizzabox shows teams what is ready to launch",
    "One page tells you who owns a product and what is left to do",
    textwrap.dedent("""\
        Today we open Pizzabox to every team. It keeps each product, its team and its launch plan
        in one place.

        Before Pizzabox, a launch lived in ten mail threads. People lost track of who had signed
        off. Now the plan sits on one page, and each step shows who did it and when.

        "We used to spend a day just finding the facts," said Ana Ruiz, who leads the pizza team.
        "Now we spend it on the work."

        To start, pick your team and add your first product. It takes two minutes.
        """),
)

DENSE = Release(
    "Next-generation holistic paradigm operationalizes enterprise synergy",
    "Organizations leverage mission-critical, best-of-breed orchestration",
    textwrap.dedent("""\
        Our revolutionary, cloud-native platform enables organizations to operationalize
        comprehensive stakeholder alignment, utilizing scalable, end-to-end methodologies that
        maximize TCO optimization.

        Through sophisticated analytics, enterprises can systematically identify low-hanging
        fruit and dramatically accelerate digital transformation initiatives.
        """),
)


def words(count: int) -> str:
    """`count` words in sentences of four: "We bake good pizza." ..."""
    sentences, rest = divmod(count, 4)
    return " ".join(["We bake good pizza."] * sentences + ["pizza"] * rest)


def test_a_hand_worked_paragraph_has_its_flesch_scores() -> None:
    # Syllables from the CMU dictionary, worked by hand:
    #   The(1) library(3) opens(2) early(2) on(1) Monday(2)                 6 words, 11 syllables
    #   Children(2) read(1) stories(2) there(1) with(1) their(1) parents(2) 7 words, 10 syllables
    # 13 words, 2 sentences, 21 syllables: 6.5 words a sentence, 21/13 syllables a word.
    #   reading ease = 206.835 - 1.015 * 6.5 - 84.6 * 21/13 = 206.835 - 6.5975 - 136.6615 = 63.576
    #   grade        = 0.39 * 6.5 + 11.8 * 21/13 - 15.59     = 2.535 + 19.0615 - 15.59     = 6.0065
    paragraph = "The library opens early on Monday. Children read stories there with their parents."
    assert [syllables(word) for word in paragraph.split()] == [
        1,
        3,
        2,
        2,
        1,
        2,
        2,
        1,
        2,
        1,
        1,
        1,
        2,
    ]

    plain = score("", "", paragraph, ASKED).plain_language

    assert plain.reading_ease == pytest.approx(63.576, abs=0.05)
    assert plain.grade == pytest.approx(6.0065, abs=0.05)
    assert (plain.reading_ease, plain.grade) == (63.6, 6.0)
    assert plain.verdict == Verdict.PASS


def test_a_word_the_dictionary_lacks_is_estimated() -> None:
    assert syllables("Pizzabox") == 3  # piz-za-box, by its groups of vowels
    assert syllables("GDPR") == 4  # an unknown acronym is read letter by letter
    assert syllables("S3") == 2
    assert syllables("end-to-end") == 3
    assert syllables("600") == 1


def test_a_plain_press_release_passes_every_score() -> None:
    scores = score(*PLAIN, faq=ASKED)

    assert scores.plain_language.verdict == Verdict.PASS
    assert scores.plain_language.reading_ease >= 60
    assert scores.one_page.verdict == Verdict.PASS
    assert scores.jargon.verdict == Verdict.PASS
    assert scores.shape.verdict == Verdict.PASS
    assert scores.passes_gate


def test_a_dense_press_release_fails_plain_language_and_names_its_jargon() -> None:
    faq = [Faq("Does it fit our stack?", "Yes: integration leverages open protocols.")]
    scores = score(*DENSE, faq=faq)

    assert scores.plain_language.verdict == Verdict.FAIL
    assert scores.plain_language.reading_ease < 50
    assert not scores.passes_gate
    assert scores.jargon.verdict == Verdict.WARN
    found = {
        term.term: [(w.section, w.sentence) for w in term.where] for term in scores.jargon.terms
    }
    assert found["leverage"] == [("subheading", 1), ("faq[0].answer", 1)]
    assert found["operationalize"] == [("headline", 1), ("body", 1)]
    assert found["stakeholder alignment"] == [("body", 1)]
    assert found["low-hanging fruit"] == [("body", 2)]
    assert found["synergy"] == [("headline", 1)]
    assert [term.term for term in scores.jargon.acronyms] == ["TCO"]
    (tco,) = scores.jargon.acronyms[0].where
    assert (tco.section, tco.sentence) == ("body", 1)
    assert "maximize TCO optimization." in tco.excerpt
    assert len(tco.excerpt) <= 82


@pytest.mark.parametrize(("count", "verdict"), [(600, Verdict.PASS), (601, Verdict.FAIL)])
def test_the_default_word_limit_is_600(count: int, verdict: Verdict) -> None:
    # Two words of headline, two of subheading, the rest in the body.
    scores = score("Big news", "Read on", words(count - 4), ASKED)

    assert scores.one_page == scores.one_page.model_copy(
        update={"words": count, "limit": 600, "verdict": verdict}
    )
    assert scores.passes_gate is (verdict == Verdict.PASS)


def test_the_word_limit_is_the_orgs() -> None:
    scores = score("Big news", "Read on", words(96), ASKED, ScoringRules(word_limit=99))

    assert (scores.one_page.words, scores.one_page.verdict) == (100, Verdict.FAIL)


def test_markdown_is_stripped_before_counting() -> None:
    body = textwrap.dedent("""\
        ## Why **now**

        Read [the guide](https://example.com/a-long/path) and run `pizzabox serve`, e.g. today.

        - one list item
        * another
        1. a third
        """)
    scores = score("# Launch", "_Soon_", body, ASKED, ScoringRules(max_sentence_words=2))

    # Launch / Soon / Why now / Read the guide and run pizzabox serve, e.g. today. / three items
    assert scores.one_page.words == 1 + 1 + 2 + 9 + 3 + 1 + 2
    long = [(s.where.section, s.where.sentence, s.words) for s in scores.jargon.long_sentences]
    assert long == [
        ("body", 2, 9),
        ("body", 3, 3),
        ("faq[0].question", 1, 5),
        ("faq[0].answer", 2, 7),
    ]
    assert scores.jargon.long_sentences[0].where.excerpt.startswith("Read the guide and run")


def test_an_acronym_spelled_out_anywhere_is_not_flagged() -> None:
    body = (
        "We follow the General Data Protection Regulation (GDPR). Files live in S3 (our storage "
        "service). GDPR and S3 are covered; the SLA is not."
    )
    faq = [Faq("Is it in the US and the EU?", "Yes, with SSO.")]
    acronyms = score("Headline", "Subheading", body, faq).jargon.acronyms

    assert [term.term for term in acronyms] == ["SLA", "SSO"]
    assert acronyms[0].where == [
        Where(section="body", sentence=3, excerpt="GDPR and S3 are covered; the SLA is not.")
    ]
    assert acronyms[1].where[0].section == "faq[0].answer"


@pytest.mark.parametrize(("count", "flagged"), [(35, False), (36, True)])
def test_a_sentence_over_35_words_is_flagged(count: int, flagged: bool) -> None:
    sentence = " ".join(["pizza"] * (count - 1)) + " pizza."
    long = score("Headline", "Subheading", f"Short one. {sentence}", ASKED).jargon.long_sentences

    assert [(s.words, s.where.section, s.where.sentence) for s in long] == (
        [(count, "body", 2)] if flagged else []
    )


def test_sentences_do_not_end_at_abbreviations() -> None:
    body = "Dr. Lee met Mr. Roe at 9 a.m. in the U.S. and left. Then, i.e. later, we ate!"
    long = score("H", "S", body, [], ScoringRules(max_sentence_words=1)).jargon.long_sentences

    assert [(s.where.section, s.where.sentence, s.words) for s in long] == [
        ("body", 1, 13),
        ("body", 2, 5),
    ]


def test_a_press_release_missing_parts_fails_shape_only() -> None:
    internal = [Faq("Who runs it?", "The pizza team.", audience="internal")]
    shape = score("", "A subheading", "", internal).shape

    assert (shape.has_headline, shape.has_subheading, shape.has_body) == (False, True, False)
    assert shape.customer_questions == 0
    assert shape.problems == [
        "The press release has no headline.",
        "The press release has no body.",
        "The FAQ has no customer question.",
    ]
    assert shape.verdict == Verdict.FAIL


def test_an_empty_press_release_fails_plain_language() -> None:
    scores = score("", "", "", [])

    assert scores.plain_language.model_dump() == {
        "reading_ease": 0.0,
        "grade": 0.0,
        "verdict": Verdict.FAIL,
    }
    assert scores.one_page.verdict == Verdict.PASS
    assert not scores.passes_gate


def test_the_plain_language_thresholds_are_the_orgs() -> None:
    rules = ScoringRules(reading_ease_pass=99.0, reading_ease_warn=90.0)

    assert score(*PLAIN, faq=ASKED, rules=rules).plain_language.verdict == Verdict.WARN
    with pytest.raises(ValidationError, match="reading_ease_warn"):
        ScoringRules(reading_ease_pass=50.0, reading_ease_warn=60.0)


def test_the_jargon_list_is_the_orgs() -> None:
    rules = ScoringRules(jargon=["  Pizza  party ", "pizza party", "", "synergy"])

    assert rules.jargon == ["Pizza party", "synergy"]
    terms = score("A pizza-party", "Synergies", "No jargon.", ASKED, rules).jargon.terms
    assert [(t.term, t.where[0].section) for t in terms] == [
        ("Pizza party", "headline"),
        ("synergy", "subheading"),
    ]
    assert len(ScoringRules().jargon) >= 20


def test_scores_round_trip_through_json() -> None:
    scores = score(*DENSE, faq=ASKED)
    stored = json.loads(scores.model_dump_json())

    assert stored["passes_gate"] is False
    assert Scores.model_validate(stored) == scores


OFFLINE = """
import socket
import sys


class Refused(socket.socket):
    def __init__(self, *args, **kwargs):
        raise OSError("the network is unreachable in this test")


def refuse(*args, **kwargs):
    raise OSError("the network is unreachable in this test")


socket.socket = Refused
socket.create_connection = refuse
socket.getaddrinfo = refuse
try:
    socket.create_connection(("pypi.org", 443))
except OSError:
    pass
else:
    raise SystemExit("the network was not blocked")

from api.documents.dictionary import syllable_table
from api.documents.scoring import score

scores = score("Headline", "Subheading", sys.argv[1], [])
assert len(syllable_table()) > 100_000, "the installed dictionary was not read"
assert "nltk" not in sys.modules and "textstat" not in sys.modules
print(scores.plain_language.model_dump_json())
"""


def test_scoring_needs_no_network() -> None:
    # A fresh process, so no dictionary read earlier in this one hides a download.
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", OFFLINE, PLAIN.body],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    offline = json.loads(result.stdout)
    assert offline == score("Headline", "Subheading", PLAIN.body, []).plain_language.model_dump()
    assert offline["verdict"] == Verdict.PASS
