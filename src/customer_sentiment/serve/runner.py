"""Running the service on uvicorn, and stopping it the way a load balancer expects.

SIGTERM (or Ctrl-C) first drains: /readyz answers 503 for `drain_seconds` while every request is
still served, so that the load balancer notices and sends no more; then uvicorn stops accepting
connections, lets the requests in flight finish, and the process exits 0. A second signal stops
without the wait. The socket is bound here, before uvicorn starts, so that a port in use is one clear
error line rather than a log; a model that fails to load stops the server and is that error.
"""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from ..errors import CustomerSentimentError
from .app import create_app
from .logs import EVENTS
from .service import Service
from .settings import ServeSettings


class DrainingServer(uvicorn.Server):
    """uvicorn's server with a drain before its graceful shutdown, and no signal raised again at exit
    (uvicorn re-raises SIGTERM once it has stopped, which would end the process with 143, not 0)."""

    def __init__(self, config: uvicorn.Config, service: Service, drain_seconds: float):
        super().__init__(config)
        self.service, self.drain_seconds = service, drain_seconds
        self.loop: asyncio.AbstractEventLoop | None = None
        self.signals = 0

    async def serve(self, sockets=None) -> None:
        self.loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame) -> None:      # runs in the signal handler: only hand work to the loop
        self.signals += 1
        if self.signals == 1 and self.loop is not None:
            self.loop.call_soon_threadsafe(self._drain)
        elif self.signals == 2:
            self.should_exit = True
        else:
            self.should_exit = self.force_exit = True

    def _drain(self) -> None:
        self.service.drain()
        self.loop.call_later(self.drain_seconds, self._stop)

    def _stop(self) -> None:
        EVENTS.info({"event": "stopping", "detail": "no new connections; finishing the requests in flight"})
        self.should_exit = True


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port; an unknown host or a port in use is a user error."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as error:
        raise CustomerSentimentError(f"Cannot listen on {host!r}: {error.strerror}",
                                     fix="Pass --host 127.0.0.1 (this machine only) or an address of this machine.") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)             # connections wait in the backlog until uvicorn accepts them
    except OSError as error:
        sock.close()
        raise CustomerSentimentError(f"Cannot listen on {host}:{port}: {error.strerror}",
                                     fix="Pass another --port (0 picks a free one), or stop what is using this one.") from None
    return sock


def serve(model_dir, settings: ServeSettings) -> None:
    """Serve the model until SIGTERM or Ctrl-C (then drain, finish, return); raise the model's load error."""
    sock = bind(settings.host, settings.port)
    app = create_app(model_dir, settings)
    config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, lifespan="on",
                            timeout_graceful_shutdown=settings.timeout_s + 5, server_header=False)
    server = DrainingServer(config, app.state.service, settings.drain_seconds)
    host, port = sock.getsockname()[:2]
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    EVENTS.info({"event": "listening", "url": url, "docs": f"{url}/docs", "model_dir": str(model_dir),
                 "settings": settings.public()})
    try:
        asyncio.run(_serve_until_done(server, app.state.service, sock))
    finally:
        sock.close()
    error = app.state.service.load_error
    if error is not None:
        raise error
    EVENTS.info({"event": "stopped"})


async def _serve_until_done(server: DrainingServer, service: Service, sock: socket.socket) -> None:
    watcher = asyncio.get_running_loop().create_task(_stop_if_load_fails(server, service))
    try:
        await server.serve(sockets=[sock])
    finally:
        watcher.cancel()


async def _stop_if_load_fails(server: DrainingServer, service: Service) -> None:
    while service.loaded is None:               # the lifespan has not started the service yet
        await asyncio.sleep(0.01)
    await service.loaded.wait()
    if service.load_error is not None:
        server.should_exit = True

