"""`customer-sentiment serve` as a user runs it: a real process on 127.0.0.1, a chunked body over the limit,
SIGTERM while a request is in flight (drain, finish, exit 0), and the one-line errors of user mistakes."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from ..conftest import cli_command, invoke
from .conftest import wait_until


class ServeProcess:
    """`customer-sentiment serve ARGS` on a free port; its stderr lines collected on a thread."""

    def __init__(self, *args):
        self.process = subprocess.Popen([*cli_command(), "serve", *map(str, args), "--port", "0"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        wait_until(lambda: self.event("listening") or self.process.poll() is not None, 60, "the server listening")
        assert self.process.poll() is None, "\n".join(self.lines)
        self.url = self.event("listening")["url"]
        self.host, self.port = self.url.removeprefix("http://").rsplit(":", 1)

    def _read(self):
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def event(self, name: str) -> dict | None:
        for line in list(self.lines):
            if line.startswith("{") and json.loads(line).get("event") == name:
                return json.loads(line)
        return None

    def status(self, path: str) -> int:
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code
        except urllib.error.URLError:
            return 0


def chunked_request(host: str, port: str, path: str, parts, between=lambda: None):
    """POST `parts` as a chunked body (no Content-Length), calling `between()` after the first part."""
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("POST", path)
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    try:
        for i, part in enumerate(parts):
            connection.send(b"%x\r\n%s\r\n" % (len(part), part))
            if i == 0:
                between()
        connection.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):       # the server answered early (413) and closed
        pass
    answer = connection.getresponse()
    return answer.status, answer.read()


@pytest.mark.slow          # a real process, 10 s: CI's slow run
def test_sigterm_drains_finishes_the_request_in_flight_and_exits_0(sample_model_dir):
    server = ServeProcess(sample_model_dir, "--drain-seconds", "1", "--max-body-bytes", "5000")
    try:
        assert server.host == "127.0.0.1"                               # loopback unless --host says otherwise
        wait_until(lambda: server.status("/readyz") == 200, 60, "/readyz 200")
        status, body = chunked_request(server.host, server.port, "/v1/predict", [b'{"texts": ['] + [b'"fine",'] * 1000)
        assert status == 413 and b"more than 5,000 bytes received" in body

        readyz_while_draining = []

        def terminate_and_wait_for_the_stop():
            server.process.send_signal(signal.SIGTERM)
            wait_until(lambda: server.event("draining") is not None, 10, "draining")
            readyz_while_draining.append(server.status("/readyz"))
            wait_until(lambda: server.event("stopping") is not None, 10, "the server stopping")
            time.sleep(0.3)                                             # uvicorn is shutting down, this request open
        status, body = chunked_request(server.host, server.port, "/v1/predict",
                                       [b'{"texts": ["Love it, works great", ', b'"Broke in a week"]}'],
                                       between=terminate_and_wait_for_the_stop)
        assert readyz_while_draining == [503]
        assert status == 200 and len(json.loads(body)["predictions"]) == 2
        assert server.process.wait(20) == 0, "\n".join(server.lines)
        assert server.event("stopped") is not None
        requests = [json.loads(line) for line in server.lines if '"event": "request"' in line]
        assert all(set(line) >= {"time", "method", "path", "status", "duration_ms", "request_id"} for line in requests)
        assert not any("Love it" in line for line in server.lines)      # no review text in the log
    finally:
        if server.process.poll() is None:
            server.process.kill()


def test_user_mistakes_are_one_line_errors(sample_model_dir, tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        in_use = invoke("serve", sample_model_dir, "--port", port)
    assert in_use.returncode == 1
    assert in_use.stderr.startswith(f"error: Cannot listen on 127.0.0.1:{port}: Address already in use. Pass another "
                                    f"--port (0 picks a free one), or stop what is using this one.")
    no_key = invoke("serve", sample_model_dir, "--api-key-file", tmp_path / "missing")
    assert no_key.returncode == 1 and no_key.stderr.startswith(f"error: Cannot read the API key file "
                                                                f"{tmp_path / 'missing'}: No such file or directory")
    wrong = invoke("serve", sample_model_dir, "--max-queue", "0")
    assert wrong.returncode == 1 and "--max-queue is 0: expected an integer >= 1" in wrong.stderr


def test_a_model_that_does_not_load_stops_the_service_with_its_error(tmp_path):
    done = invoke("serve", tmp_path / "no-model", "--port", "0", "--host", "0.0.0.0")
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if not line.startswith("{")]
    assert lines[0].startswith("warning: --host 0.0.0.0 exposes the service to other machines with no API key")
    assert lines[-1] == (f"error: No model at {tmp_path / 'no-model'}: no such directory. Train the model again with "
                         f"`customer-sentiment train`.")
