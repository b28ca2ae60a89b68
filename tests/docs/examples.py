"""The examples of the README and the docs site, read from their Markdown.

A fenced block is an example when the line before it is `<!-- example -->`, optionally with
options (`<!-- example: status=201,412 contains="ready" exit=1 -->`), and one that must not run
says so with `<!-- not-an-example: why -->`. docs/reference/development.md documents the markers.
"""

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Where the README and the docs tell readers the demo answers; the tests' demo answers elsewhere.
DOCUMENTED_BASE_URL = "http://127.0.0.1:8000"

_MARKER = re.compile(r"^<!--\s*(example|not-an-example)\s*(?::\s*(.*?))?\s*-->$")
_FENCE = re.compile(r"^(`{3,})\s*([\w-]*)")
# A heredoc's body, as the docs send GraphQL with curl: `-d @- <<'EOF'` … `EOF`.
_HEREDOC = re.compile(r"<<'?EOF'?\n(.*?)\nEOF", re.DOTALL)


@dataclass
class Block:
    """One fenced block of a page."""

    page: str
    line: int
    language: str
    code: str
    marker: str | None = None
    options: dict[str, list[str]] = field(default_factory=dict)

    @property
    def where(self) -> str:
        """The page and line, for a failure's message."""
        return f"{self.page}:{self.line}"

    @property
    def is_example(self) -> bool:
        """Whether the tests run it."""
        return self.marker == "example"

    def looks_runnable(self) -> bool:
        """Whether it calls the API, so it must be marked one way or the other."""
        if self.language == "graphql":
            return True
        if self.language not in {"sh", "bash", "shell"}:
            return False
        return any(word in self.code for word in ("curl ", "$API", "pizzabox ci "))


def pages() -> list[Path]:
    """The README and every Markdown page of the docs site, by path."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def page_name(path: Path) -> str:
    """A page's path from the repository's root."""
    return path.relative_to(ROOT).as_posix()


def _options(text: str | None) -> dict[str, list[str]]:
    options: dict[str, list[str]] = {}
    for word in shlex.split(text or ""):
        key, _, value = word.partition("=")
        options.setdefault(key, []).append(value)
    return options


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a page, in order, with the marker before each."""
    found: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    previous = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = _FENCE.match(line.strip())
        if fence is None:
            if line.strip():
                previous = line.strip()
            index += 1
            continue
        ticks, language = fence.groups()
        end = index + 1
        while end < len(lines) and not lines[end].strip().startswith(ticks):
            end += 1
        marker = _MARKER.match(previous)
        # A block that must not run says why in prose, apostrophes and all: no options to read.
        options = marker.group(2) if marker and marker.group(1) == "example" else None
        found.append(
            Block(
                page=page_name(path),
                line=index + 1,
                language=language,
                code="\n".join(lines[index + 1 : end]),
                marker=marker.group(1) if marker else None,
                options=_options(options),
            )
        )
        previous = ""
        index = end + 1
    return found


def graphql_documents(block: Block) -> list[str]:
    """The GraphQL documents a block sends: itself, or the `query` of each JSON heredoc."""
    if block.language == "graphql":
        return [block.code]
    documents = []
    for body in _HEREDOC.findall(block.code):
        try:
            payload = json.loads(body)
        except json.JSONDecodeError:
            continue
        if isinstance(payload, dict) and isinstance(payload.get("query"), str):
            documents.append(payload["query"])
    return documents
