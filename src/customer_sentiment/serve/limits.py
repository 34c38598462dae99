"""Limits on what one request may ask: the body's bytes, the number of texts, each text's length.

The body limit is a pure ASGI middleware that counts the bytes as they arrive, so a chunked body that
sends no Content-Length is cut off as soon as it passes the limit, as is one whose Content-Length
says it is too large (before any byte is read). Each answer names the limit and the flag that changes
it, in the words of a `CustomerSentimentError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from ..errors import CustomerSentimentError
from ..io import clean_texts


class PayloadTooLarge(CustomerSentimentError):
    """A request asks for more than the service's limits allow (answered 413)."""


def body_too_large(size: str, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body ({size}) is over the service's limit of {limit:,} bytes",
                           fix="Send fewer or shorter reviews per request (or a smaller file), or start the service "
                               "with a larger --max-body-bytes.")


def check_texts(texts: Sequence[str], max_texts: int, max_chars: int, explain: bool = False) -> None:
    """Refuse too many texts (413), a text too long (413), or one with nothing to read once cleaned (422).

    >>> check_texts(["Great value", "Broke in a week"], max_texts=1, max_chars=100)
    Traceback (most recent call last):
    ...
    customer_sentiment.serve.limits.PayloadTooLarge: The request has 2 texts: expected at most 1. Send at most 1 ...
    """
    flag = "--max-explain-texts" if explain else "--max-texts"
    if len(texts) > max_texts:
        with_explain = " with explanations" if explain else ""
        raise PayloadTooLarge(f"The request has {len(texts):,} texts{with_explain}", expected=f"at most {max_texts:,}",
                              fix=f"Send at most {max_texts:,} texts per request, or start the service with a larger "
                                  f"{flag}.")
    for i, text in enumerate(texts):
        if len(text) > max_chars:
            raise PayloadTooLarge(f"texts[{i}] has {len(text):,} characters", expected=f"at most {max_chars:,}",
                                  fix="Shorten the review, or start the service with a larger --max-text-chars.")
    for i, clean in enumerate(clean_texts(list(texts)).to_pylist()):
        if not clean:
            raise CustomerSentimentError(f"texts[{i}] has no text to read once cleaned (HTML tags and whitespace "
                                         f"removed)", found=repr(texts[i][:40]), fix="Leave empty reviews out.")


class BodyLimit:
    """ASGI middleware: bodies over `max_bytes` get 413 (by Content-Length, or counted as they arrive); the
    app then receives the whole body in one message. `on_reject()` is called for each refusal."""

    def __init__(self, app, max_bytes: int, on_reject: Callable[[], None] | None = None):
        self.app, self.max_bytes, self.on_reject = app, max_bytes, on_reject

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(send, f"Content-Length {int(declared):,} bytes")
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":     # the client left mid-body: nobody to answer
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                return await self._refuse(send, f"more than {self.max_bytes:,} bytes received")
            if not message.get("more_body", False):
                break
        return await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _refuse(self, send, size: str) -> None:
        if self.on_reject is not None:
            self.on_reject()
        body = json.dumps({"detail": body_too_large(size, self.max_bytes).message}).encode()
        # Connection: close, since the rest of the body is not read.
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _replay(body: bytes, receive):
    """A `receive` that gives the buffered body once, then waits on the real one (for the disconnect)."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replay
