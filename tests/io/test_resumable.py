"""Resumable output: the same bytes as `table_writer`, committed chunk by chunk, cut back to the last
commit on resume, locked against a second writer, never removed as a dead process's leftovers."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.io import remove_stale, table_writer
from customer_sentiment.io.resumable import resumable_writer, staging_folder

SUFFIXES = [".csv", ".tsv", ".jsonl", ".parquet"]
FINGERPRINT = {"input": {"size": 10}, "settings": {"--chunk-rows": 2}}


def chunks() -> list[pd.DataFrame]:
    """Chunks as scoring writes them: a column with no value in the first one, Arrow-backed text, NaNs."""
    ids = pd.array(["001", "002", "003", "004", "005"], dtype="string[pyarrow]")
    frame = pd.DataFrame({"id": ids, "note": [None, None, "late", None, "x"], "p": [0.25, float("nan"), 0.5, 1 / 3, 0.75],
                          "review": ['"Best" fryer\tever\nreally', "plain", "", "é", "ok"]})
    return [frame.iloc[:2].reset_index(drop=True), frame.iloc[2:4].reset_index(drop=True), frame.iloc[4:]]


def interrupted(path, commits: int) -> None:
    """A run that commits `commits` chunks, then dies as a signal would end it."""
    with pytest.raises(KeyboardInterrupt), resumable_writer(path, FINGERPRINT, resume=False) as table:
        for chunk in chunks()[:commits]:
            table.write(chunk, {"rows": table.committed.rows + len(chunk)})
        raise KeyboardInterrupt


def written_at_once(path) -> bytes:
    """The bytes `table_writer` writes for the chunks."""
    with table_writer(path) as write:
        for chunk in chunks():
            write(chunk)
    return path.read_bytes()


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_resumable_output_has_the_bytes_of_table_writer_and_appears_only_when_complete(tmp_path, suffix):
    path = tmp_path / f"resumable{suffix}"
    with resumable_writer(path, FINGERPRINT, resume=False) as table:
        for chunk in chunks():
            table.write(chunk, {})
            assert not path.exists() and staging_folder(path).is_dir()
    assert path.read_bytes() == written_at_once(tmp_path / f"plain{suffix}")
    assert not staging_folder(path).exists()


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_resume_cuts_back_what_was_written_after_the_last_commit(tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    interrupted(path, commits=1)
    staging = staging_folder(path)
    if suffix == ".parquet":                       # a kill while the second part was being written
        (staging / "part-000001.arrow").write_bytes(b"ARROW1 half a part")
    else:                                          # a kill in the middle of the second chunk's rows
        with open(staging / "data", "ab") as data:
            data.write(b"004,half a ro")
    with resumable_writer(path, FINGERPRINT, resume=True) as table:
        assert (table.committed.chunks, table.committed.rows, table.committed.counters) == (1, 2, {"rows": 2})
        for chunk in chunks()[1:]:
            table.write(chunk, {})
    assert path.read_bytes() == written_at_once(tmp_path / f"plain{suffix}")


def test_a_resume_with_another_fingerprint_is_refused_and_keeps_the_progress(tmp_path):
    path = tmp_path / "out.csv"
    interrupted(path, commits=2)
    changed = {"input": {"size": 12}, "settings": {"--chunk-rows": 3}}
    message = (f"Cannot resume {path}: input size was 10 and is now 12; settings --chunk-rows was 2 and is now 3 since "
               f"the interrupted run (4 rows committed). Resume with the input, model and options of the interrupted "
               f"run, or run without --resume to start over.")
    with pytest.raises(CustomerSentimentError, match=re.escape(message)):
        with resumable_writer(path, changed, resume=True):
            pass
    with resumable_writer(path, FINGERPRINT, resume=True) as table:
        assert table.committed.rows == 4


def test_a_run_without_resume_starts_over_and_tells_what_it_dropped(tmp_path):
    path = tmp_path / "out.csv"
    interrupted(path, commits=2)
    with resumable_writer(path, {"other": 1}, resume=False) as table:
        assert (table.discarded.rows, table.committed.rows) == (4, 0)
        table.write(chunks()[2], {})
    assert path.read_bytes() == b"id,note,p,review\r\n005,x,0.75,ok\r\n"


def test_a_user_error_or_nothing_committed_leaves_no_staging(tmp_path):
    path = tmp_path / "out.csv"
    interrupted(path, commits=0)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(CustomerSentimentError), resumable_writer(path, FINGERPRINT, resume=False) as table:
        table.write(chunks()[0], {})
        raise CustomerSentimentError("line 9: a bad row", fix="Fix it.")
    assert list(tmp_path.iterdir()) == []


def test_a_second_writer_of_the_same_output_is_refused(tmp_path):
    import os

    path = tmp_path / "out.parquet"
    with resumable_writer(path, FINGERPRINT, resume=False) as table:
        table.write(chunks()[0], {})
        with pytest.raises(CustomerSentimentError, match=re.escape(f"Another run (process {os.getpid()}) is writing "
                                                                   f"{path} now. Wait for it to finish")):
            with resumable_writer(path, FINGERPRINT, resume=True):
                pass
        table.write(chunks()[1], {})
    assert len(pd.read_parquet(path)) == 4


def test_the_staging_of_an_interrupted_run_is_not_removed_as_stale(tmp_path):
    path = tmp_path / "out.csv"
    interrupted(path, commits=1)
    remove_stale(path)                              # what every atomic write beside it does first
    with resumable_writer(path, FINGERPRINT, resume=True) as table:
        assert table.committed.chunks == 1
