"""Log formats: plain text (the demo, a terminal) or one JSON object per line
(`server.log_format = "json"`, for a log shipper). Only the CLI installs them
(`configure`); importing this module changes nothing.

A JSON line holds `time` (UTC, ISO 8601), `level`, `logger`, `message`, the
`session_id` when the record carries one (`log.info(..., extra={"session_id": id})`)
and `exc` (the traceback) for an exception. What goes into messages is the callers'
care: paths without query strings or credentials, never a PIN, token, cookie, chat
text or page data.
"""

from __future__ import annotations

import logging
import time
from typing import Final

import orjson

TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FORMATS: Final = ("text", "json")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": _utc(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        session_id = getattr(record, "session_id", None)
        if isinstance(session_id, str) and session_id:
            line["session_id"] = session_id
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(line, default=str).decode()


def _utc(created: float) -> str:
    seconds = int(created)
    millis = int((created - seconds) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    if log_format == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {log_format!r}")


def configure(*, level: str, log_format: str = "text") -> None:
    """The process's logging: every logger (ours, uvicorn's, libraries') through one
    handler on standard error, in `log_format`. Called by the CLI only."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
