"""Structured logs: one JSON line per request (time, method, path, status, duration, texts, request id).

Review texts stay out of the log unless the service runs with --log-texts: reviews can hold names,
addresses and order numbers. The request id is the client's X-Request-ID when it is a short token,
else a new one, and is sent back in the answer's X-Request-ID header so the two logs can be joined.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import re
import sys
import time
import uuid

from .metrics import ServeMetrics

ACCESS = logging.getLogger("customer_sentiment.serve.access")
EVENTS = logging.getLogger("customer_sentiment.serve")
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
DETAILS = "customer_sentiment"          # the scope key where a handler leaves what the log line should add


class JsonLines(logging.Formatter):
    """A log record as one JSON object: a dict message as it is, other messages under "message"."""

    def format(self, record: logging.LogRecord) -> str:
        fields = record.msg if isinstance(record.msg, dict) else {"message": record.getMessage()}
        line = {"time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), **fields}
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)        # ASCII: a stray surrogate cannot break the line


@contextlib.contextmanager
def logging_to_stderr(level: int = logging.INFO):
    """The service's logs (and uvicorn's) as JSON lines on stderr while inside; the loggers as they were after
    (the command does this; the library leaves logging alone)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    server = logging.getLogger("uvicorn.error")       # uvicorn's own warnings and errors
    saved = [(logger, logger.handlers[:], logger.level, logger.propagate) for logger in (EVENTS, server)]
    for logger in (EVENTS, server):                    # the access log is EVENTS' child: its lines come here too
        logger.handlers[:] = [handler]
        logger.propagate = False
    EVENTS.setLevel(level)
    try:
        yield
    finally:
        for logger, handlers, level_was, propagate in saved:
            logger.handlers[:], logger.propagate = handlers, propagate
            logger.setLevel(level_was)


def request_details(scope) -> dict:
    """The dict a handler fills for its request's log line (texts counted, the texts with --log-texts)."""
    return scope.setdefault(DETAILS, {})


class AccessLog:
    """ASGI middleware: a request id, one JSON log line and the request metrics for every HTTP request."""

    def __init__(self, app, metrics: ServeMetrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), 500
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        details = request_details(scope)

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", request_id.encode())]}
            await send(message)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.metrics.request(scope["method"], scope["path"], status, started)
            ACCESS.info({"event": "request", "method": scope["method"], "path": scope["path"], "status": status,
                         "duration_ms": round((time.perf_counter() - started) * 1000, 2), "request_id": request_id,
                         **details})
