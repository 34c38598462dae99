"""Every lesson in tutorials/ runs top to bottom, offline, and what it teaches holds in its own results."""

from __future__ import annotations

import importlib.util
import os
import runpy
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "tutorials").glob("[0-9][0-9]_*.py"))
PUBLIC = ("93.184.216.34", 80)                     # example.com; the guard refuses it before any packet is sent

# Written as sitecustomize.py into a folder put first on PYTHONPATH, so every Python process a lesson
# starts (lesson 6's `customer-sentiment train`, lesson 8's torchrun and its workers) loads it at
# start-up; the test process loads the same file and installs it with monkeypatch.
NETWORK_GUARD = '''"""Refuse any connection or name lookup that would leave this machine; loopback and Unix sockets still work.

Each refusal raises InternetBlockedError (not an OSError, so code that expects a network failure
cannot quietly fall back) and is appended to the file named by $TUTORIAL_NETWORK_LOG, so a refusal
swallowed by a broad `except` still fails the test.
"""
import ipaddress
import os
import socket

_connect, _connect_ex, _sendto = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto
_getaddrinfo, _create_connection = socket.getaddrinfo, socket.create_connection
_gethostbyname, _gethostbyname_ex = socket.gethostbyname, socket.gethostbyname_ex


class InternetBlockedError(RuntimeError):
    pass


def is_local(host) -> bool:
    """True for loopback and wildcard addresses and "localhost": nothing leaves the machine, no DNS is asked."""
    if host is None:
        return True
    host = (host.decode() if isinstance(host, bytes) else str(host)).strip("[]").split("%")[0]
    if host in ("", "localhost") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False                                   # any other name needs a lookup
    address = getattr(address, "ipv4_mapped", None) or address
    return address.is_loopback or address.is_unspecified


def refuse(what: str):
    log = os.environ.get("TUTORIAL_NETWORK_LOG")
    if log:
        with open(log, "a") as file:
            file.write(f"pid {os.getpid()}: {what}\\n")
    raise InternetBlockedError(f"{what}: the tutorials must run offline (network guard of tests/test_tutorials.py)")


def check(sock, address, what: str):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_local(address[0]):
        refuse(f"{what} {address!r}")


def connect(self, address):
    check(self, address, "connect to")
    return _connect(self, address)


def connect_ex(self, address):
    check(self, address, "connect to")
    return _connect_ex(self, address)


def sendto(self, data, *flags_and_address):
    check(self, flags_and_address[-1], "send to")
    return _sendto(self, data, *flags_and_address)


def getaddrinfo(host, *args, **kwargs):
    if not is_local(host):
        refuse(f"look up {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


def create_connection(address, *args, **kwargs):
    if not is_local(address[0]):
        refuse(f"connect to {address!r}")
    return _create_connection(address, *args, **kwargs)


def gethostbyname(host):
    if not is_local(host):
        refuse(f"look up {host!r}")
    return _gethostbyname(host)


def gethostbyname_ex(host):
    if not is_local(host):
        refuse(f"look up {host!r}")
    return _gethostbyname_ex(host)


def install(patch=setattr):
    for name, guarded in [("connect", connect), ("connect_ex", connect_ex), ("sendto", sendto)]:
        patch(socket.socket, name, guarded)
    for guarded in (getaddrinfo, create_connection, gethostbyname, gethostbyname_ex):
        patch(socket, guarded.__name__, guarded)


if __name__ == "sitecustomize":
    install()
'''


@pytest.fixture
def offline(tmp_path, monkeypatch) -> Path:
    """Block the internet for this process and every process it starts; the log of refused attempts."""
    folder = tmp_path / "network_guard"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(NETWORK_GUARD)
    log = tmp_path / "network_attempts.log"
    log.write_text("")
    monkeypatch.setenv("TUTORIAL_NETWORK_LOG", str(log))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")])))
    spec = importlib.util.spec_from_file_location("tutorial_network_guard", folder / "sitecustomize.py")
    guard = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(guard)
    guard.install(monkeypatch.setattr)
    return log


@pytest.fixture
def run_lesson(offline, monkeypatch):
    """Run lesson `number` as `python tutorials/NN_*.py` would (from the repo root), offline; its globals."""
    def run(number: int) -> dict:
        (path,) = [p for p in LESSONS if p.name.startswith(f"{number:02d}_")]
        monkeypatch.chdir(ROOT)
        lesson = runpy.run_path(str(path), run_name="__main__")
        assert offline.read_text() == "", f"{path.name} tried to reach the internet:\n{offline.read_text()}"
        return lesson
    return run


def test_lessons_are_numbered_one_to_nine_in_percent_format():
    assert [int(p.name[:2]) for p in LESSONS] == list(range(1, 10))
    for path in LESSONS:
        text = path.read_text()
        assert text.startswith("# %% [markdown]\n# # Lesson"), path.name
        assert "# Expected" in text, f"{path.name} should state the output a learner should expect"


def test_01_tensors(run_lesson):
    lesson = run_lesson(1)
    assert lesson["ratings"].shape == (2400,)
    assert lesson["shares_memory"]                                  # from_numpy shares the NumPy buffer


def test_02_autograd(run_lesson):
    lesson = run_lesson(2)
    assert lesson["gradients_agree"]                                # hand-written gradient == autograd's
    assert lesson["gradcheck_passed"]
    assert lesson["accuracy"] > 0.7                                 # the hand-written descent learned


def test_03_modules(run_lesson):
    lesson = run_lesson(3)
    assert lesson["same_as_mean"]                                   # EmbeddingBag(mean) == mean of embeddings
    assert lesson["reloaded_same"]                                  # state_dict round trip


def test_04_data(run_lesson):
    lesson = run_lesson(4)
    assert lesson["collate_as_expected"]                           # padding and offsets of a hand-made batch
    assert lesson["layouts_agree"]                                 # padded rows == flat slices == each review encoded alone
    assert lesson["batches"] == 75
    assert lesson["same_first_batch"]                              # the seeded generator repeats the order
    assert lesson["every_review_once"]                             # one epoch = the dataset's tokens and labels, reshuffled


def test_05_training_loop(run_lesson):
    lesson = run_lesson(5)
    assert lesson["same_seed_identical"] and lesson["other_seed_differs"]
    assert lesson["overfits"]                                       # validation loss turns up while training loss falls
    assert lesson["neutral_recall_balanced"] > lesson["neutral_recall_unweighted"]
    assert max(lesson["results"]["adam"], lesson["results"]["adamw"]) > lesson["results"]["sgd"]


def test_06_sentiment_from_scratch(run_lesson):
    lesson = run_lesson(6)
    assert lesson["done"].returncode == 0, lesson["done"].stderr
    assert lesson["scratch_accuracy"] > lesson["baseline_accuracy"] + 0.1   # beats always-the-majority on held-out reviews
    assert lesson["package_accuracy"] > lesson["baseline_accuracy"] + 0.1


def test_07_evaluation(run_lesson):
    lesson = run_lesson(7)
    assert lesson["model_f1"] > lesson["naive_f1"] + 0.2            # macro-F1 sees what accuracy hides
    assert lesson["naive_accuracy"] > 0.85                         # ... the naive model's accuracy looks fine
    assert lesson["same_predictions"]                              # temperature scaling keeps the argmax
    assert lesson["nll_after"] <= lesson["nll_before"]


def test_08_gpu_precision_distributed(run_lesson):
    lesson = run_lesson(8)
    assert lesson["relative_error"] < 0.05                         # bf16 autocast stays close to fp32
    assert lesson["ranks_agree"]
    assert lesson["ddp_matches_single"]                            # 2 processes x half batch == 1 x whole batch


def test_09_deployment(run_lesson):
    lesson = run_lesson(9)
    assert lesson["pickle_ran_code"]                               # the demonstration payload is real ...
    assert lesson["torch_load_refused"] and lesson["package_refused"] and lesson["code_never_ran"]
    assert lesson["export_matches"]
    assert lesson["rows_sum_to_one"] and lesson["argmax_is_predict"] and lesson["same_as_trained"]
    assert lesson["scored_rows"] == 200
    assert lesson["onnx_matches"] and lesson["record"]["files"]["model.onnx"]["parity"]["label_agreement"] == 1.0
    assert lesson["service_matches"] and lesson["service_exit"] == 0
    assert not lesson["folder"].exists()


def test_network_guard_refuses_the_internet_in_this_process(offline):
    assert socket.socket.connect.__module__ == "tutorial_network_guard"        # else nothing below may run
    tcp, tcp6, udp = socket.socket(), socket.socket(socket.AF_INET6), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    attempts = [lambda: socket.create_connection(PUBLIC, timeout=1),
                lambda: tcp.connect(PUBLIC),
                lambda: tcp6.connect_ex(("2606:2800:220:1::", 80)),
                lambda: udp.sendto(b"?", PUBLIC),
                lambda: socket.getaddrinfo("example.com", 443),
                lambda: socket.gethostbyname("example.com")]
    for attempt in attempts:
        with pytest.raises(RuntimeError, match="the tutorials must run offline"):
            attempt()
    for sock in (tcp, tcp6, udp):
        sock.close()
    assert len(offline.read_text().splitlines()) == len(attempts)


def test_network_guard_lets_loopback_through(offline):
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        for host in ("127.0.0.1", "localhost"):
            with socket.create_connection((host, port), timeout=5):
                server.accept()[0].close()
    assert offline.read_text() == ""


CHILD = f"""
import socket, sys
if socket.socket.connect.__module__ != "sitecustomize":
    sys.exit("the network guard did not load")       # never try the public address unguarded
with socket.create_server(("127.0.0.1", 0)) as server:
    socket.create_connection(server.getsockname(), timeout=5).close()
print("loopback works")
socket.create_connection({PUBLIC!r}, timeout=1)
print("reached the internet")
"""


def test_network_guard_reaches_the_processes_a_lesson_starts(offline):
    child = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60)
    assert "the network guard did not load" not in child.stderr
    assert child.returncode != 0 and child.stdout == "loopback works\n"
    assert "InternetBlockedError: connect to ('93.184.216.34', 80)" in child.stderr, child.stderr
    assert "93.184.216.34" in offline.read_text()
