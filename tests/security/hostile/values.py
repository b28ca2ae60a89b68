"""Hostile dates, times and text: the known offenders and the strategies that draw more."""

import functools
from datetime import date, time

from hypothesis import strategies as st

from tests.security.hostile.targets import Kind, Target

_LONE_SURROGATE = "\ud800"  # a valid JSON escape, with no UTF-8
_NUL = "nul\x00here"
_OUT_OF_RANGE = (  # in range as written, outside the years 1 to 9999 once in UTC
    "9999-12-31T23:59:59-00:01",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
)
# The known offenders, sent to every field of their kind whatever Hypothesis draws.
_KNOWN_HOSTILE: dict[Kind, tuple[str, ...]] = {
    "date-time": (
        *_OUT_OF_RANGE,
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999Z",
        _LONE_SURROGATE,
        _NUL,
    ),
    "date": ("0001-01-01", "9999-12-31", "2023-02-29", _LONE_SURROGATE, _NUL),
    "text": (
        _LONE_SURROGATE,
        _NUL,
        "\x01\x1b[31m\x7f\x9f\u202eevil\u200b\ufeff",  # controls, bidi, zero-width
        "",
    ),
}


def known_hostile(target: Target) -> tuple[str, ...]:
    """The known offenders for a field: those of its kind, and a very long text."""
    # Past SQLite's 50,000-byte limit on a LIKE pattern; in a URL, as long as httpx will send.
    return (*_KNOWN_HOSTILE[target.kind], "x" * (10_001 if target.in_url else 100_001))


# Offsets RFC 3339 allows at its edges, and beyond.
_OFFSETS = ("Z", "+00:00", "-00:00", "-00:01", "+00:01", "+14:00", "-14:00", "+23:59", "-23:59")
_EDGE_DAYS = ("0001-01-01", "0001-01-02", "9999-12-30", "9999-12-31")
_EDGE_YEARS = (1, 2, 1969, 1970, 2038, 9998, 9999)
_SPECIAL = (
    "\ud800",
    "\udfff",
    "\x00",
    "\x1b",
    "\x7f",
    "\x85",
    "\u2028",
    "\u202e",
    "\u200b",
    "\ufeff",
    "\uffff",
    "\U0010ffff",
    "%",
    "_",
    "\\",
    "'",
    '"',
)


def _offsets() -> st.SearchStrategy[str]:
    numeric = st.builds(
        "{}{:02d}:{:02d}".format, st.sampled_from("+-"), st.integers(0, 99), st.integers(0, 99)
    )
    return st.one_of(st.sampled_from(_OFFSETS), numeric, st.just(""))


def _moments() -> st.SearchStrategy[str]:
    """Instants on the first and last days of the calendar with any offset, and malformed ones."""
    near_edge = st.builds(
        "{}T{}{}".format, st.sampled_from(_EDGE_DAYS), st.times().map(time.isoformat), _offsets()
    )
    anywhere = st.builds(
        lambda moment, offset: moment.isoformat() + offset, st.datetimes(), _offsets()
    )
    malformed = st.builds(
        "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}{}{}".format,
        st.sampled_from(_EDGE_YEARS) | st.integers(0, 99_999),
        st.integers(0, 13),
        st.integers(0, 32),
        st.integers(0, 25),
        st.integers(0, 60),
        st.integers(0, 61),
        st.sampled_from(["", ".0", ".999999", ".9999999999", ",5"]),
        _offsets(),
    )
    return st.one_of(near_edge, anywhere, malformed)


def _days() -> st.SearchStrategy[str]:
    """Days at the ends of the calendar, any day, and malformed ones."""
    malformed = st.builds(
        "{:04d}-{:02d}-{:02d}".format,
        st.sampled_from(_EDGE_YEARS) | st.integers(0, 99_999),
        st.integers(0, 13),
        st.integers(0, 32),
    )
    return st.one_of(st.sampled_from(_EDGE_DAYS), st.dates().map(date.isoformat), malformed)


def _texts(lengths: tuple[int, ...]) -> st.SearchStrategy[str]:
    """Hostile and ordinary text, short and very long."""
    character = st.sampled_from(_SPECIAL) | st.characters(codec=None, exclude_categories=())
    # Ordinary text with a hostile character in it, where a filter or a lookup would meet it.
    seeded = st.builds(
        lambda before, special, after: before + special + after,
        st.text(max_size=12),
        st.sampled_from(_SPECIAL),
        st.text(character, max_size=12),
    )
    long_text = st.builds(
        lambda piece, length: (piece * length)[:length],
        st.text(character, min_size=1, max_size=3),
        st.sampled_from(lengths),
    )
    return st.one_of(seeded, st.text(character, max_size=40), st.text(max_size=40), long_text)


@functools.cache  # built once: making a strategy costs more than drawing from it
def hostile(kind: Kind, in_url: bool) -> st.SearchStrategy[str]:
    """Hostile values for a field, mostly of its own kind."""
    # httpx refuses a URL past 65,536 characters, and a character can take 12 once encoded.
    texts = _texts((1_000, 5_000) if in_url else (10_001, 100_000))
    # Listed twice to be drawn twice as often.
    if kind == "date-time":
        return st.one_of(_moments(), _moments(), _days(), texts)
    if kind == "date":
        return st.one_of(_days(), _days(), _moments(), texts)
    return st.one_of(texts, texts, _moments(), _days())
