"""Atomic output files: complete or absent, never partial."""

from __future__ import annotations

import json
import os
import re

import pandas as pd
import pytest

from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.io import atomic_path, check_output_path, table_writer, write_json


def test_a_failed_write_leaves_nothing_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            temporary.write_text("half")
            raise RuntimeError("crash")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_write_json(tmp_path):
    write_json(tmp_path / "m.json", {"accuracy": 0.5, "label": "négatif"})
    assert json.loads((tmp_path / "m.json").read_text(encoding="utf-8")) == {"accuracy": 0.5, "label": "négatif"}


READ = {".csv": lambda p: pd.read_csv(p, dtype={"id": str}), ".tsv": lambda p: pd.read_csv(p, sep="\t", dtype={"id": str}),
        ".jsonl": lambda p: pd.read_json(p, lines=True, dtype={"id": str}), ".parquet": pd.read_parquet}


@pytest.mark.parametrize("suffix", list(READ))
def test_table_writer_appends_chunks(tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    chunks = [pd.DataFrame({"id": ["001", "002"], "p": [0.25, 0.5]}), pd.DataFrame({"id": ["003"], "p": [0.75]})]
    with table_writer(path) as write:
        for chunk in chunks:
            assert not path.exists()                     # nothing at the destination until complete
            write(chunk)
    result = READ[suffix](path)
    assert result["id"].tolist() == ["001", "002", "003"] and result["p"].tolist() == [0.25, 0.5, 0.75]


def test_tsv_output_is_quoted_as_spreadsheets_quote_it(tmp_path):
    with table_writer(tmp_path / "out.tsv") as write:
        write(pd.DataFrame({"review": ['"Best" fryer\tever\nreally', "plain"], "n": [1, 2]}))
    assert (tmp_path / "out.tsv").read_bytes() == b'review\tn\r\n"""Best"" fryer\tever\nreally"\t1\r\nplain\t2\r\n'


def test_parquet_output_takes_a_type_once_known_and_refuses_a_change(tmp_path):
    with table_writer(tmp_path / "ok.parquet") as write:
        write(pd.DataFrame({"id": [1], "note": [None]}))
        write(pd.DataFrame({"id": [2], "note": ["late"]}))
    import pyarrow.parquet as pq
    assert pq.read_table(tmp_path / "ok.parquet").column("note").to_pylist() == [None, "late"]
    with pytest.raises(CustomerSentimentError, match="a column changes type from one chunk of rows to the next"):
        with table_writer(tmp_path / "bad.parquet") as write:
            write(pd.DataFrame({"id": [1]}))
            write(pd.DataFrame({"id": ["x2"]}))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.parquet"]


def test_outputs_are_checked_before_any_work(tmp_path):
    with pytest.raises(CustomerSentimentError, match=re.escape("expected a name ending in .csv")):
        check_output_path(tmp_path / "out.xlsx", (".csv", ".parquet"))
    with pytest.raises(CustomerSentimentError, match=re.escape("the folder")):
        check_output_path(tmp_path / "missing" / "out.csv")
    (tmp_path / "file").write_text("")
    with pytest.raises(CustomerSentimentError, match="does not exist"):
        check_output_path(tmp_path / "file" / "out.csv")


def test_a_full_disk_names_the_output_and_the_cause(tmp_path):
    import errno

    from customer_sentiment.errors import os_error

    with pytest.raises(OSError) as caught:
        with table_writer(tmp_path / "scored.csv") as write:
            write(pd.DataFrame({"a": [1]}))
            raise OSError(errno.ENOSPC, "No space left on device")        # as a write to a full disk does
    assert caught.value.filename == str(tmp_path / "scored.csv") and list(tmp_path.iterdir()) == []
    assert str(os_error(caught.value)) == (f"Cannot use {tmp_path / 'scored.csv'}: the disk is full. Free some space, "
                                           f"or write to another disk.")


def test_temporary_files_a_killed_process_left_are_removed_by_the_next_write(tmp_path):
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(gone.stdout)
    stale_file = tmp_path / f".out.csv.{dead}.abc123.partial"
    stale_file.write_text("half a file")
    stale_dir = tmp_path / f".out.csv.{dead}.def456.partial"
    stale_dir.mkdir()
    (stale_dir / "x").write_text("x")
    running = tmp_path / f".out.csv.{os.getpid()}.ghi789.partial"      # a live process: left alone
    running.write_text("being written")
    other = tmp_path / f".other.csv.{dead}.jkl.partial"                  # another output: left alone
    other.write_text("x")
    with table_writer(tmp_path / "out.csv") as write:
        write(pd.DataFrame({"a": [1]}))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out.csv", running.name, other.name])
