"""Structured logging: structlog set-up, request ids on every line, phone numbers masked."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO

import structlog

from oncall.phones import mask_phone

# Keys whose values are never logged, whatever a caller passes.
_SECRET_KEYS = frozenset(
    {"password", "token", "auth_token", "secret", "secret_key", "authorization"}
)


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_phone(value)
    if isinstance(value, Mapping):
        return {k: "***" if str(k).lower() in _SECRET_KEYS else _mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v) for v in value]
    return value


def mask_sensitive(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: phone numbers masked and secrets removed from every field."""
    for key in list(event_dict):
        if key.lower() in _SECRET_KEYS:
            event_dict[key] = "***"
        else:
            event_dict[key] = _mask(event_dict[key])
    return event_dict


def _refused_http_message(record: logging.LogRecord) -> bool:
    """aiohttp logs a request it could not parse with the offending bytes (a 10,000-character
    request line, a header holding someone's name): keep the fact, drop the bytes."""
    if record.name.startswith("aiohttp.") and record.exc_info and record.exc_info[1] is not None:
        exc = record.exc_info[1]
        # aiohttp.http_exceptions.HttpProcessingError, by name: the domain logs through this
        # module and must not import the HTTP server.
        if any(c.__name__ == "HttpProcessingError" for c in type(exc).__mro__):
            record.msg = f"malformed HTTP request refused ({type(exc).__name__})"
            record.args, record.exc_info, record.exc_text = (), None, None
    return True


class _CurrentStderr:
    """Writes to whatever sys.stderr is now (test runners swap it), not the one at set-up."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(
    *, log_format: str = "console", level: str = "info", stream: TextIO | None = None
) -> None:
    """Set up structlog (and route stdlib logging through it) once per process."""
    numeric = logging.getLevelName(level.upper())
    # Tracebacks are formatted before masking, so a value in an exception's message is masked as
    # any other field is (format_exc_info turns exc_info into the "exception" text).
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        mask_sensitive,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        # Plain tracebacks: the rich formatter would print each frame's local variables (form
        # values, notes, numbers), which no masking could reliably catch.
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(
            file=stream or _CurrentStderr()  # type: ignore[arg-type]
        ),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream or _CurrentStderr())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processor=renderer,
            foreign_pre_chain=[*shared],
        )
    )
    handler.addFilter(_refused_http_message)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    # aiohttp's access log duplicates our own request log line.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # aiosqlite logs every statement with its parameters at DEBUG: text bodies and other personal
    # data would reach the log at ONCALL_LOG_LEVEL=debug.
    logging.getLogger("aiosqlite").setLevel(max(numeric, logging.INFO))
    # SQLAlchemy logs statements (and, unless the engine hides them, their parameters) at INFO.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    # Alembic narrates every migration step at INFO; the CLI prints its own one-line summary.
    logging.getLogger("alembic").setLevel(max(numeric, logging.WARNING))


def get_logger(name: str) -> Any:
    """A bound structlog logger for module `name`."""
    return structlog.get_logger(name)
