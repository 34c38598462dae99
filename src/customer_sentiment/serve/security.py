"""Who may call the service, and what the browser may do with its answers.

With an API key, every path but the page, its static files and the probes (`/`, `/static/*`,
`/livez`, `/readyz`) needs `Authorization: Bearer <key>` or `X-API-Key: <key>`; the key is compared
in constant time (`secrets.compare_digest`). Every answer forbids content sniffing and framing, and
every answer but the OpenAPI page (whose Swagger UI runs an inline script) carries a
Content-Security-Policy that lets a page load only from this server.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable

PUBLIC = ("/", "/livez", "/readyz")
PUBLIC_PREFIXES = ("/static/", "/docs-assets/")        # the page's files; Swagger UI's own script and style
DOCS = ("/docs", "/docs/oauth2-redirect")
CSP = ("default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'")
ALWAYS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer")]


def is_public(path: str) -> bool:
    """Whether `path` is answered without the API key.

    >>> is_public("/static/app.js"), is_public("/v1/predict"), is_public("/metrics")
    (True, False, False)
    """
    return path in PUBLIC or path.startswith(PUBLIC_PREFIXES)


def presented_key(headers: dict[bytes, bytes]) -> bytes | None:
    """The key a request presents: `Authorization: Bearer <key>`, else `X-API-Key`."""
    authorization = headers.get(b"authorization", b"")
    scheme, _, token = authorization.partition(b" ")
    if scheme.lower() == b"bearer" and token.strip():
        return token.strip()
    return headers.get(b"x-api-key")


class ApiKey:
    """ASGI middleware: 401 for a request to a protected path without the right key; `on_reject()` counts it."""

    def __init__(self, app, key: str | None, on_reject: Callable[[], None] | None = None):
        self.app, self.key, self.on_reject = app, key.encode() if key else None, on_reject

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.key is None or is_public(scope["path"]):
            return await self.app(scope, receive, send)
        given = presented_key(dict(scope["headers"]))
        if given is not None and secrets.compare_digest(given, self.key):
            return await self.app(scope, receive, send)
        if self.on_reject is not None:
            self.on_reject()
        what = "An invalid API key was given" if given is not None else "This service needs an API key"
        body = json.dumps({"detail": f"{what}. Send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>' "
                                     f"(the key in the service's --api-key-file)."}).encode()
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"www-authenticate", b"Bearer")]})
        await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """ASGI middleware adding the headers of the module docstring to every answer."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra = ALWAYS if scope["path"] in DOCS else [*ALWAYS, (b"content-security-policy", CSP.encode())]

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)
        await self.app(scope, receive, send_with_headers)
