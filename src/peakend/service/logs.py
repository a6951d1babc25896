"""The server's logs as JSON lines (structlog), one setup for the web app and the worker.

Every line — a request's (`request`: method, route template, status, ms, request id), and those of the standard
`logging` loggers (job failures, webhook give-ups, …) — goes through `scrub`: any phone-like run of digits (7 or
more, spaced or dashed, `+86`, full-width) becomes `***`, and any key named like a secret, password, token, cookie
or authorization is dropped. Raw paths and query strings are never logged, only route templates.
"""

from __future__ import annotations

import logging
import re
import secrets
import sys
from typing import IO, Any

import structlog

PHONE_LIKE = re.compile(r"\+?\d(?:[\s\-.()/]*\d){6,}")  # \d: full-width and other scripts' digits too
SECRET_KEY = re.compile(r"secret|passw|token|authori[sz]ation|cookie|api_?key|signature", re.IGNORECASE)
REQUEST_ID = re.compile(r"[A-Za-z0-9_\-]{8,64}")
_MARK = "peakend_json"


def mask(value: Any) -> Any:
    """`value` with every phone-like digit run masked and secret-named keys dropped (strings, numbers, nested)."""
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items() if not SECRET_KEY.search(str(k))}
    if isinstance(value, list | tuple | set):
        return [mask(v) for v in value]
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return "***" if PHONE_LIKE.search(repr(value)) else value
    return PHONE_LIKE.sub("***", value if isinstance(value, str) else str(value))


def scrub(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """The structlog processor: `mask` over the whole event."""
    return mask(event)


def request_id(given: str | None) -> str:
    """The incoming id when it is a plain token of 8–64 characters with no phone in it, else a new one."""
    if given and REQUEST_ID.fullmatch(given) and not PHONE_LIKE.search(given):
        return given
    while PHONE_LIKE.search(fresh := secrets.token_hex(8)):
        pass
    return fresh


class _Stderr:
    """Whatever `sys.stderr` is at each write (a test runner swaps it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure(level: int = logging.INFO, stream: IO[str] | None = None) -> None:
    """Send structlog and the standard loggers to `stream` (stderr) as scrubbed JSON lines; idempotent."""
    chain: list[Any] = [structlog.contextvars.merge_contextvars, structlog.stdlib.add_log_level,
                        structlog.stdlib.add_logger_name, structlog.processors.format_exc_info, scrub,
                        structlog.processors.TimeStamper(fmt="iso", utc=True)]
    structlog.configure(processors=[structlog.stdlib.filter_by_level, *chain,
                                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
                        logger_factory=structlog.stdlib.LoggerFactory(),
                        wrapper_class=structlog.stdlib.BoundLogger, cache_logger_on_first_use=False)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *chain],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.JSONRenderer(ensure_ascii=False)])
    handler = logging.StreamHandler(stream or _Stderr())
    handler.set_name(_MARK)
    handler.setFormatter(formatter)
    handler.setLevel(level)  # a library that turns its own logger to DEBUG (bm25s does) stays quiet
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _MARK]:
        root.removeHandler(old)
    root.addHandler(handler)
    logging.getLogger("peakend").setLevel(level)  # others' loggers keep their own (root: warnings)


def get(name: str = "peakend") -> Any:
    """A structlog logger (its lines carry the request id bound by the web app)."""
    return structlog.stdlib.get_logger(name)
