"""Fixtures of the service's tests: an app for the shared sample model behind FastAPI's TestClient, a
real uvicorn server on a thread, and a way to hold the model's forward pass until a test lets it go."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest

from customer_sentiment.serve import ServeSettings, create_app


def wait_until(condition, timeout: float = 20.0, what: str = "the condition"):
    """Poll `condition()` until it is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout} s")
        time.sleep(0.01)


@contextlib.contextmanager
def started(model_dir, ready: bool = True, **settings):
    """A TestClient of an app with these settings, its lifespan started (and the model loaded, if `ready`)."""
    from fastapi.testclient import TestClient

    app = create_app(model_dir, ServeSettings(**settings))
    with TestClient(app) as client:
        if ready:
            wait_until(lambda: app.state.service.ready or app.state.service.load_error, what="loading the model")
        yield client


@pytest.fixture
def client(sample_model_dir):
    """The sample model's service with the default settings, ready."""
    with started(sample_model_dir) as client:
        yield client


class Gate:
    """A forward pass that waits until the test opens the gate; `entered` is set once one is waiting."""

    def __init__(self, predict):
        self.predict, self.entered, self.open = predict, threading.Event(), threading.Event()
        self.batches: list[int] = []

    def __call__(self, texts):
        self.batches.append(len(texts))
        self.entered.set()
        assert self.open.wait(30), "the test never opened the gate"
        return self.predict(texts)


@contextlib.contextmanager
def held(client):
    """Hold the forward passes of `client`'s service (after its warm-up) until `gate.open.set()` (or the end)."""
    batcher = client.app.state.service.batcher
    gate = Gate(batcher.predict)
    batcher.predict = gate
    try:
        yield gate
    finally:
        gate.open.set()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def live_url(sample_model_dir):
    """A real uvicorn server of the sample model on a free port of 127.0.0.1, on a thread, ready."""
    import urllib.request

    import uvicorn

    app = create_app(sample_model_dir, ServeSettings(port=0))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.config.port}"

    def ready() -> bool:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=1) as answer:
                return answer.status == 200
        except OSError:
            return False
    wait_until(ready, what="the live server's /readyz")
    yield url
    server.should_exit = True
    thread.join(10)
