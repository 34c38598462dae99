"""Run every case of the hostile corpus as a user would: each ends in its expected exit status, an error
is one line starting with `error: ` that names what it should, there is never a traceback, and an error
leaves nothing behind (not even a hidden `.partial` file)."""

from __future__ import annotations

import os
import subprocess
import time
import traceback
from collections import Counter
from pathlib import Path

import pytest

from ..conftest import cli_command, invoke, with_peak_rss
from .corpus import CASES, CLASSES, Case, Where, count_by_class

TIMEOUT = 60                  # seconds a case may run in its own process
ORDER = sorted(CASES, key=lambda case: case.isolate)      # in-process cases run while the others start


def folders(root: Path, model: Path) -> Where:
    (root / "in").mkdir()
    (root / "out").mkdir()
    return Where(root / "in", root / "out", model)


def listing(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


@pytest.fixture(scope="module", autouse=True)
def isolated(tmp_path_factory, sample_model_dir):
    """The cases at risk of a hang or of unbounded memory, each in its own process, all started at
    once (a process takes seconds to import torch): name -> (folders, listing before, process)."""
    started = {}
    for case in CASES:
        if case.isolate:
            where = folders(tmp_path_factory.mktemp(case.name), sample_model_dir)
            args = case.make(where)
            before = listing(where.data), listing(where.out)
            command = with_peak_rss([*cli_command(), *args], where.data.parent / "peak_rss_kb")
            started[case.name] = where, before, subprocess.Popen(command, stdout=subprocess.PIPE,
                                                                 stderr=subprocess.PIPE, text=True)
    yield started
    for _, _, process in started.values():
        if process.poll() is None:
            process.kill()
            process.communicate()


def finish(case: Case, process: subprocess.Popen, since: float) -> subprocess.CompletedProcess:
    try:
        stdout, stderr = process.communicate(timeout=max(1.0, TIMEOUT - (time.monotonic() - since)))
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"{case.name}: no answer within {TIMEOUT} s (a hang)")
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def run_in_process(case: Case, args: list) -> subprocess.CompletedProcess:
    try:
        return invoke(*args)
    except Exception:                       # a bug: the command let an exception escape
        pytest.fail(f"{case.name}: traceback\n{traceback.format_exc()[-3000:]}")


START = time.monotonic()


@pytest.mark.parametrize("case", ORDER, ids=[case.name for case in ORDER])
def test_hostile_case(case: Case, tmp_path, sample_model_dir, isolated):
    if case.not_as_root and os.geteuid() == 0:
        pytest.skip("root reads and writes whatever the permissions say")
    started = time.monotonic()
    if case.isolate:
        where, before, process = isolated[case.name]
        done = finish(case, process, START)
    else:
        where = folders(tmp_path, sample_model_dir)
        args = case.make(where)
        before = listing(where.data), listing(where.out)
        done = run_in_process(case, args)
        assert time.monotonic() - started < TIMEOUT
    said = done.stdout + done.stderr
    assert "Traceback" not in said, said[-3000:]
    if case.expect == "ok" or case.expect == "either" and done.returncode == 0:
        assert done.returncode == 0, said[-3000:]
        hidden = [name for name in listing(where.out) + listing(where.data) if os.path.basename(name).startswith(".")]
        assert hidden == [], hidden
    elif case.expect == "usage":          # a value of the wrong type for a flag: click's usage error, exit 2
        assert done.returncode == 2 and all(fragment in said for fragment in case.fragments), said[-3000:]
        assert (listing(where.data), listing(where.out)) == before, "files were left behind"
    else:
        assert_one_line_error(done, case.fragments)
        assert (listing(where.data), listing(where.out)) == before, "files were left behind"
    if case.check and (case.expect != "either" or done.returncode == 0):
        case.check(where, done)


def assert_one_line_error(done: subprocess.CompletedProcess, fragments: tuple[str, ...]) -> None:
    assert done.returncode == 1, (done.returncode, done.stdout[-1500:], done.stderr[-1500:])
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], done.stderr[-3000:]
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])


def test_the_corpus_covers_every_class_with_over_100_cases():
    counts = count_by_class()
    print(" ".join(f"{kind}={count}" for kind, count in counts.items()), f"total={len(CASES)}")
    assert set(counts) == set(CLASSES) and min(counts.values()) >= 5 and len(CASES) > 100
    assert not [name for name, n in Counter(case.name for case in CASES).items() if n > 1]
