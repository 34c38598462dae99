"""Shared fixtures: tiny inline review sets, the bundled sample data, one small trained model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from customer_sentiment import SentimentPipeline, TrainingArguments, read_reviews

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_reviews.csv"

# A handful of reviews a model must be able to memorize (the contract test of STYLE.md).
TINY = [
    ("Love it, works great and the battery lasts all day.", "positive"),
    ("Not bad at all, no problems so far.", "positive"),
    ("Excellent sound, would buy again!", "positive"),
    ("Stopped heating after two weeks. Avoid.", "negative"),
    ("Terrible, the lid leaks all over my bag.", "negative"),
    ("Not worth the money, it broke in a month.", "negative"),
    ("It's okay, does the job.", "neutral"),
    ("Average, nothing special.", "neutral"),
]


def tiny_training(**overrides) -> TrainingArguments:
    settings = dict(epochs=60, batch_size=4, validation_fraction=0.0, learning_rate=0.05, seed=0)
    return TrainingArguments(**{**settings, **overrides})


@pytest.fixture(scope="session")
def sample_reviews():
    return read_reviews(SAMPLE, "review", rating_column="rating")


@pytest.fixture(scope="session")
def sample_pipeline(sample_reviews) -> SentimentPipeline:
    """A bag-of-embeddings model trained once on the sample data (about 2 seconds)."""
    return SentimentPipeline(training=TrainingArguments(epochs=8, seed=0), verbose=False).fit(
        sample_reviews.texts, sample_reviews.labels, sample_reviews.info)


@pytest.fixture(scope="session")
def sample_model_dir(sample_pipeline, tmp_path_factory) -> Path:
    return sample_pipeline.save(tmp_path_factory.mktemp("models") / "sample")


def cli_command() -> list[str]:
    """The installed `customer-sentiment` script beside this Python, else `python -m customer_sentiment`."""
    script = Path(sys.executable).parent / "customer-sentiment"
    return [str(script)] if script.exists() else [sys.executable, "-m", "customer_sentiment"]


# Measures a command's peak memory from a small launcher process: a child's ru_maxrss starts at the RSS of
# the process that spawned it (Linux folds the parent's high-water mark in at exec), so a command spawned by
# this test process, after it has trained models, would report this process's size rather than its own.
_PEAK_RSS_LAUNCHER = ("import os, subprocess, sys; child = subprocess.Popen(sys.argv[2:]); "
                      "_, status, usage = os.wait4(child.pid, 0); open(sys.argv[1], 'w').write(str(usage.ru_maxrss)); "
                      "sys.exit(os.waitstatus_to_exitcode(status))")


def with_peak_rss(command: list, record: Path) -> list:
    """`command`, launched so that its own peak RSS (kB) is written to `record` when it ends."""
    return [sys.executable, "-c", _PEAK_RSS_LAUNCHER, str(record), *map(str, command)]


def peak_rss_mb(command: list) -> tuple[int, float, str]:
    """Run `command`; its exit status, its own peak RSS in MB, and its stderr."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        record = Path(folder) / "peak"
        done = subprocess.run(with_peak_rss(command, record), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        return done.returncode, int(record.read_text()) / 1024, done.stderr


def run_cli(*args: str, cwd: Path | None = None, timeout: int = 300, columns: int | None = None):
    """Run `customer-sentiment ARGS` as a user would, in a fresh process; `columns` sets the terminal width."""
    env = {**os.environ, "COLUMNS": str(columns)} if columns else None
    return subprocess.run([*cli_command(), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


def invoke(*args: str, columns: int = 200) -> subprocess.CompletedProcess:
    """Run `customer-sentiment ARGS` in this process (no interpreter start-up: 3 s saved per call), with
    its own stdout and stderr, as a CompletedProcess. A bug (an exception the command does not turn into
    a one-line error) is raised here, not hidden in the exit code."""
    import warnings

    from typer.testing import CliRunner

    from customer_sentiment.cli import make_app

    shown = warnings.showwarning
    try:
        result = CliRunner().invoke(make_app(), [str(arg) for arg in args], env={"COLUMNS": str(columns)})
    finally:
        warnings.showwarning = shown
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(["customer-sentiment", *map(str, args)], result.exit_code, result.stdout,
                                       result.stderr)


def write_csv(path: Path, rows: list[dict]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


CHROMIUM = Path(os.environ.get("CUSTOMER_SENTIMENT_CHROMIUM", "/usr/bin/chromium"))
REQUIRED_BROWSER = os.environ.get("CUSTOMER_SENTIMENT_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium (Debian's, driven by Playwright) for a module of browser tests, about a second to
    start; skipped when Chromium or Playwright is missing, a failure with CUSTOMER_SENTIMENT_REQUIRE_BROWSER=1."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "Playwright is not installed (pip install -e '.[test]')"
    else:
        missing = None if CHROMIUM.exists() else f"{CHROMIUM} not found (apt-get install chromium)"
    if missing:
        (pytest.fail if REQUIRED_BROWSER else pytest.skip)(f"No browser test: {missing}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


REQUIRED_POSTGRES = os.environ.get("CUSTOMER_SENTIMENT_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def postgres_url():
    """The URL (with a password) of a database in a throwaway PostgreSQL cluster started for this session
    (tests/postgres.py, about 3 s); skipped without PostgreSQL's binaries or SQLAlchemy, a failure with
    CUSTOMER_SENTIMENT_REQUIRE_POSTGRES=1 (CI)."""
    from .postgres import postgres_bin, postgres_cluster

    try:
        import psycopg  # noqa: F401
        import sqlalchemy  # noqa: F401
    except ImportError:
        missing = "SQLAlchemy or psycopg is not installed (pip install -e '.[test]')"
    else:
        missing = None if postgres_bin() else "no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql)"
    if missing:
        (pytest.fail if REQUIRED_POSTGRES else pytest.skip)(f"No PostgreSQL test: {missing}")
    with postgres_cluster() as url:
        yield url
