"""A stand-in Pizzabox that answers the three endpoints `pizzabox ci` calls, over real HTTP.

It keeps the API's promises the client relies on (idempotency keys, full uploads marking missing
findings fixed, problem+json errors), records every request, and can be told to fail the next
few: with a status (503, 429, 500…) or by closing the connection without an answer.
"""

import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

TOKEN = "pzb_ci_payments_test_token"
KINDS = ("resiliency", "durability", "security_posture", "appsec_review", "operational_readiness")
_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")
_RESULTS = re.compile(r"^/api/v1/products/([^/]+)/checkpoints/([^/]+)/results$")
_FINDINGS = re.compile(r"^/api/v1/products/([^/]+)/findings$")
_READINESS = re.compile(r"^/api/v1/products/([^/]+)/readiness$")

Answer = tuple[int, dict[str, str], Any]


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def key(self) -> str | None:
        return self.headers.get("idempotency-key")


@dataclass
class Failure:
    status: int | None  # None: close the connection without answering; 0: answer as usual
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


def problem(
    status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None
) -> Answer:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return status, {"Content-Type": "application/problem+json"}, body


class FakePizzabox:
    """The server's state: products and their readiness, results, findings, idempotent replies."""

    def __init__(self) -> None:
        self.url = ""
        self.requests: list[Seen] = []
        self.readiness: dict[str, dict[str, Any]] = {
            "payments": {
                "product": "payments",
                "stage": "building",
                "ready": True,
                "blockers": [],
                "warnings": [],
            }
        }
        self.results: list[dict[str, Any]] = []
        self.findings: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        self._replies: dict[tuple[str, str], tuple[str, Answer]] = {}
        self._failures: list[Failure] = []
        self._lock = threading.Lock()

    def fail_next(
        self,
        status: int | None,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        after: int = 0,
    ) -> None:
        """Answer `times` requests with `status` (None: drop the connection), once `after`
        requests have been answered as usual."""
        body = None if status is None else problem(status, "Failing on purpose", "try later")[2]
        self._failures.extend(Failure(0) for _ in range(after))
        self._failures.extend(Failure(status, headers or {}, body) for _ in range(times))

    def posts(self) -> list[Seen]:
        return [seen for seen in self.requests if seen.method == "POST"]

    def answer(self, seen: Seen) -> Answer | None:
        with self._lock:
            self.requests.append(seen)
            failure = self._failures.pop(0) if self._failures else None
            if failure is not None and failure.status != 0:
                if failure.status is None:
                    return None
                return (
                    failure.status,
                    {"Content-Type": "application/problem+json", **failure.headers},
                    failure.body,
                )
            if seen.headers.get("authorization") != f"Bearer {TOKEN}":
                return problem(401, "Unauthorized", "missing or unknown token")
            path = urlsplit(seen.path).path
            if seen.method == "GET" and (match := _READINESS.match(path)):
                return self._readiness(unquote(match[1]))
            if seen.method == "POST" and (_RESULTS.match(path) or _FINDINGS.match(path)):
                return self._idempotent(seen, path)
            return problem(404, "Not Found", f"no route {seen.method} {path}")

    def _readiness(self, product: str) -> Answer:
        if product not in self.readiness:
            return problem(404, "Not Found", f"no product {product!r}")
        return 200, {"Content-Type": "application/json"}, self.readiness[product]

    def _idempotent(self, seen: Seen, path: str) -> Answer:
        key = seen.key
        if key is None or not _KEY.match(key):
            return problem(
                422, "Invalid idempotency key", "Idempotency-Key: 1-128 of [A-Za-z0-9._:-]"
            )
        fingerprint = json.dumps(seen.body, sort_keys=True)
        earlier = self._replies.get((path, key))
        if earlier is not None:
            if earlier[0] != fingerprint:
                return problem(422, "Idempotency key reused", "this key was used with another body")
            status, headers, body = earlier[1]
            return status, {**headers, "Idempotency-Replayed": "true"}, body
        if match := _RESULTS.match(path):
            answer = self._result(unquote(match[1]), unquote(match[2]), seen.body)
        else:
            match = _FINDINGS.match(path)
            assert match is not None
            answer = self._findings(unquote(match[1]), seen.body)
        if answer[0] < 300:
            self._replies[(path, key)] = (fingerprint, answer)
        return answer

    def _result(self, product: str, kind: str, body: Any) -> Answer:
        if product not in self.readiness or kind not in KINDS:
            return problem(404, "Not Found", f"no checkpoint {kind!r} for product {product!r}")
        errors = []
        if body.get("outcome") not in ("passed", "failed"):
            errors.append({"field": "outcome", "message": "must be passed or failed"})
        sha = body.get("commit_sha")
        if sha is not None and not _SHA.match(sha):
            errors.append({"field": "commit_sha", "message": "must be 7-64 hexadecimal characters"})
        if len(body.get("failing_tests", [])) > 200:
            errors.append({"field": "failing_tests", "message": "at most 200 names"})
        if errors:
            return problem(422, "Invalid input", "the result is not valid", errors)
        record = {
            "id": str(uuid.uuid4()),
            "checkpoint": kind,
            **body,
            "created_at": "2026-12-02T10:00:00Z",
        }
        self.results.append(record)
        return 201, {"Content-Type": "application/json"}, record

    def _findings(self, product: str, body: Any) -> Answer:
        if product not in self.readiness:
            return problem(404, "Not Found", f"no product {product!r}")
        checkpoint, tool = body["checkpoint"], body["tool"]
        created = updated = fixed = 0
        items = []
        sent = set()
        for finding in body["findings"]:
            key = (product, checkpoint, tool, finding["fingerprint"])
            sent.add(key)
            if key in self.findings:
                updated += 1
                self.findings[key].update(finding, status="open")
            else:
                created += 1
                self.findings[key] = {"id": str(uuid.uuid4()), **finding, "status": "open"}
            items.append(self.findings[key])
        if body["full"]:
            for key, record in self.findings.items():
                if (
                    key[:3] == (product, checkpoint, tool)
                    and key not in sent
                    and record["status"] == "open"
                ):
                    record["status"] = "fixed"
                    fixed += 1
        answer = {"created": created, "updated": updated, "fixed": fixed, "items": items}
        return 200, {"Content-Type": "application/json"}, answer


def _handler(fake: FakePizzabox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            body = json.loads(raw) if raw else None
            answer = fake.answer(Seen(self.command, self.path, headers, body))
            if answer is None:
                # Leave without a word: the client sees the connection close.
                self.close_connection = True
                return
            status, answer_headers, answer_body = answer
            encoded = json.dumps(answer_body).encode() if answer_body is not None else b""
            self.send_response(status)
            for name, value in answer_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_fake() -> Iterator[FakePizzabox]:
    """A FakePizzabox listening on a free port of 127.0.0.1 until the block ends."""
    fake = FakePizzabox()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, args=(0.02,), name="fake-pizzabox", daemon=True
    )
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
