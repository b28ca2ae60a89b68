"""What a request body must be before anything reads it: JSON, labelled as JSON, each key once."""

import json
from typing import Any

from api.core.errors import BadRequest, FieldError, PizzaboxError

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
# A partial update is a JSON merge patch (RFC 7396) in all but name, so PATCH takes both.
ACCEPTED: dict[str, tuple[str, ...]] = {
    "POST": (JSON,),
    "PUT": (JSON,),
    "PATCH": (JSON, MERGE_PATCH),
}


class UnsupportedMediaType(PizzaboxError, status=415, slug="unsupported-media-type"):
    """A body in a format the API does not read."""

    def __init__(self, detail: str, accepted: tuple[str, ...], method: str) -> None:
        super().__init__(detail, [FieldError("Content-Type", f"must be {' or '.join(accepted)}")])
        # RFC 5789 and the W3C's Accept-Post: what the resource would have taken.
        self.headers = {"Accept-Patch" if method == "PATCH" else "Accept-Post": ", ".join(accepted)}


def media_type(content_type: str | None) -> str:
    """The media type of a `Content-Type` header, lower-cased, without its parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _keys_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise BadRequest.field(key, "is given more than once in one JSON object")
        seen[key] = value
    return seen


def loads_once(text: str | bytes) -> Any:
    """JSON as `json.loads` reads it, but a key given twice in one object is a 400."""
    return json.loads(text, object_pairs_hook=_keys_once)


def check_json_body(method: str, content_type: str | None, body: bytes) -> None:
    """Refuse a body that is not labelled as JSON (415) or repeats a key in an object (400).

    Only the repeated keys are looked for here; the handler's own decoder still reads the body
    and reports any other malformation as it always has.
    """
    accepted = ACCEPTED.get(method, (JSON,))
    if media_type(content_type) not in accepted:
        sent = media_type(content_type) or "no Content-Type"
        raise UnsupportedMediaType(
            f"the body must be sent as {' or '.join(accepted)}, not {sent}", accepted, method
        )
    try:
        loads_once(body)
    except (ValueError, RecursionError):
        # Not JSON at all (or nested past the parser): the handler's decoder says so.
        return
