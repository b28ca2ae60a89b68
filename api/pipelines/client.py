"""The HTTP side of `pizzabox ci`: one httpx client that retries what is safe to retry."""

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
API_PREFIX = "/api/v1"

# Worth another attempt: the server or something in front of it is busy or down for a moment.
_RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Backoff:
    """How often and how long to wait between attempts: 0.5 s, 1, 2, 4 by default."""

    attempts: int = 5
    first_delay: float = 0.5
    factor: float = 2.0
    # A server that asks for a long pause (Retry-After) is obeyed only up to this; a CI job
    # should fail and say why rather than hang.
    longest_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        delay = self.first_delay * self.factor ** (attempt - 1)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.longest_delay)


class PipelineError(Exception):
    """Something `pizzabox ci` cannot do; its message is for the person reading the CI log."""


class Unreachable(PipelineError):
    """No answer from the server, even after retrying."""


@dataclass(eq=False)
class ApiError(PipelineError):
    """The server answered with an error (RFC 9457 problem details when it sent them)."""

    status: int
    problem: dict[str, Any] | None
    text: str = ""
    attempts: int = 1

    def __post_init__(self) -> None:
        super().__init__(self.describe())

    def describe(self) -> str:
        """The status, the problem's title and detail, and its field errors, one a line."""
        problem = self.problem or {}
        reason = httpx.codes.get_reason_phrase(self.status)
        head = f"{self.status} {reason}".strip()
        title = problem.get("title")
        if isinstance(title, str) and title and title != reason:
            head += f": {title}"
        detail = problem.get("detail")
        if isinstance(detail, str) and detail and detail != title:
            head += f": {detail}"
        if not self.problem and self.text:
            # Not problem+json (a proxy's page, say): its first line is often enough to tell.
            head += f": {self.text.strip().splitlines()[0][:200]}" if self.text.strip() else ""
        if self.attempts > 1:
            head += f" (after {self.attempts} attempts)"
        lines = [head]
        errors = problem.get("errors")
        if isinstance(errors, list):
            for error in errors:
                if isinstance(error, dict):
                    where = error.get("field") or "(body)"
                    lines.append(f"  {where}: {error.get('message', '')}")
        return "\n".join(lines)


@dataclass
class Answer:
    """A successful response: its status, JSON body and whether the server replayed it."""

    status: int
    body: Any
    replayed: bool


@dataclass
class Connection:
    """Where the server is and how to call it; tests swap `sleep` and `transport`."""

    url: str
    token: str
    backoff: Backoff = field(default_factory=Backoff)
    sleep: Callable[[float], None] = time.sleep
    transport: httpx.BaseTransport | None = None
    timeout: float = 30.0
    # Told about each retry, so the CI log shows why a step took longer.
    on_retry: Callable[[str], None] | None = None


def api_base(url: str) -> str:
    """`https://pizzabox.example.com` or `…/api/v1` (either is accepted) as the API's base URL."""
    base = url.rstrip("/")
    return base if base.endswith(API_PREFIX) else base + API_PREFIX


def segment(value: str) -> str:
    """One path segment, so that a slug with a `/` or `?` cannot reach another route."""
    return quote(value, safe="")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class PizzaboxClient:
    """Calls `/api/v1` with the token, retrying connection failures, timeouts, 429 and 5xx."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._http = httpx.Client(
            base_url=api_base(connection.url),
            headers={
                "Authorization": f"Bearer {connection.token}",
                "Accept": "application/json, application/problem+json",
            },
            timeout=connection.timeout,
            transport=connection.transport,
        )

    def __enter__(self) -> "PizzaboxClient":
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    def post_result(
        self, product: str, kind: str, result: Mapping[str, Any], *, idempotency_key: str
    ) -> Answer:
        """Record one checkpoint result."""
        path = f"/products/{segment(product)}/checkpoints/{segment(kind)}/results"
        return self._call("POST", path, json=result, idempotency_key=idempotency_key)

    def post_findings(
        self, product: str, upload: Mapping[str, Any], *, idempotency_key: str
    ) -> Answer:
        """Upload one tool's findings for a checkpoint."""
        path = f"/products/{segment(product)}/findings"
        return self._call("POST", path, json=upload, idempotency_key=idempotency_key)

    def readiness(self, product: str) -> Answer:
        """Whether the product is cleared to launch, and what blocks it."""
        return self._call("GET", f"/products/{segment(product)}/readiness")

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Answer:
        # Retrying a POST is safe only because every upload carries its idempotency key: the
        # server answers a repeat with the first response and records nothing twice. A GET is
        # safe by itself.
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        backoff = self._connection.backoff
        for attempt in range(1, backoff.attempts + 1):
            last = attempt == backoff.attempts
            try:
                response = self._http.request(method, path, json=json, headers=headers)
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if last:
                    raise Unreachable(
                        f"no answer from {self._http.base_url} after {attempt} attempts ({reason})"
                    ) from exc
                self._wait(attempt, None, reason)
                continue
            if response.is_redirect:
                # Not followed: a POST would arrive as a GET, and the token would go wherever
                # the redirect points. The address to configure is where it leads.
                where = response.headers.get("Location", "elsewhere")
                raise ApiError(
                    response.status_code,
                    None,
                    f"the server redirects to {where}; set PIZZABOX_URL to that address",
                    attempt,
                )
            if response.is_success:
                body = _json_or_none(response)
                if body is None:
                    raise ApiError(response.status_code, None, "the answer is not JSON", attempt)
                replayed = response.headers.get("Idempotency-Replayed", "").lower() == "true"
                return Answer(response.status_code, body, replayed)
            if response.status_code in _RETRYABLE_STATUSES and not last:
                self._wait(
                    attempt,
                    _retry_after(response),
                    f"{response.status_code} {response.reason_phrase}".strip(),
                )
                continue
            problem = _json_or_none(response)
            raise ApiError(
                response.status_code,
                problem if isinstance(problem, dict) else None,
                response.text,
                attempt,
            )
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait(self, attempt: int, retry_after: float | None, reason: str) -> None:
        delay = self._connection.backoff.delay(attempt, retry_after)
        if self._connection.on_retry:
            total = self._connection.backoff.attempts
            self._connection.on_retry(
                f"attempt {attempt} of {total} failed ({reason}); retrying in {delay:g}s"
            )
        self._connection.sleep(delay)
