"""Logging: one set-up for the server and the app, and the request id on every line."""

import logging
import sys
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TextIO

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s %(message)s"
# What a line logged outside any request (start-up, migrations) shows for its request id.
NO_REQUEST = "-"

_request_id: ContextVar[str | None] = ContextVar("pizzabox_request_id", default=None)


class _RequestIdBinding:
    """The block `request_id_bound` opens: a class rather than a `@contextmanager` generator,
    because every request opens one and a generator costs several times as much."""

    __slots__ = ("request_id", "token")

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id

    def __enter__(self) -> None:
        self.token = _request_id.set(self.request_id)

    def __exit__(self, *exc_info: object) -> None:
        _request_id.reset(self.token)


def request_id_bound(request_id: str) -> _RequestIdBinding:
    """Stamp `request_id` on every log record made inside the block, in this task and in the
    tasks (and SQLAlchemy greenlets) it starts, which copy the context."""
    return _RequestIdBinding(request_id)


class _StampRequestId:
    """A log record factory that adds `request_id` to every record as it is made.

    A factory rather than a handler's filter: it runs where the record is made, in the request's
    context, whichever handler (pytest's, a queue's, another thread's) later writes it out.
    (So no call may pass `extra={"request_id": ...}`: logging refuses to overwrite it.)
    """

    def __init__(self, make_record: Callable[..., logging.LogRecord]) -> None:
        self.make_record = make_record

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.make_record(*args, **kwargs)
        record.request_id = _request_id.get() or NO_REQUEST
        return record


_FORMATTER = logging.Formatter(LOG_FORMAT)


class _LogLines(logging.StreamHandler[TextIO]):
    """The handler `configure_logging` adds to the root logger: stderr, in `LOG_FORMAT`."""


def log_formatter() -> logging.Formatter:
    """The formatter of Pizzabox's log lines."""
    return _FORMATTER


def configure_logging(level: str, *, sql: bool = False) -> None:
    """Write every log line, uvicorn's included, to stderr with its request id, at `level`, and
    every SQL statement when `sql`. Safe to call again: the handler and the record factory are
    set up once, and a later call changes only the levels."""
    if not isinstance(logging.getLogRecordFactory(), _StampRequestId):
        logging.setLogRecordFactory(_StampRequestId(logging.getLogRecordFactory()))
    root = logging.getLogger()
    if not any(isinstance(handler, _LogLines) for handler in root.handlers):
        handler = _LogLines(sys.stderr)
        handler.setFormatter(_FORMATTER)
        root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's own set-up, when it ran (`uvicorn --factory`, or before `log_config=None`),
    # gives its loggers handlers of their own that write lines without the request id.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        server_logger = logging.getLogger(name)
        server_logger.handlers.clear()
        server_logger.propagate = True
    if sql:
        # Rather than the engine's `echo`, which adds a handler of its own that writes each
        # statement a second time, without the request id.
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
