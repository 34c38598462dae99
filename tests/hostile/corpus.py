"""A corpus of hostile, broken and unusual inputs, generated at test time (nothing large is committed).

Each `Case` writes its files into a folder, names the command to run, and says what must happen:
"ok" (exit 0, and `check` passes on the output) or "error" (exit 1, one line starting with `error: `
holding each fragment, no traceback, nothing left in the output folder). Classes: encoding, structure,
size, type, format, filesystem, settings, model, injection. `python -m tests.hostile.corpus` prints the
count of cases by class.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import pickle
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

CLASSES = ("encoding", "structure", "size", "type", "format", "filesystem", "settings", "model", "injection")
MB = 1 << 20


@dataclass
class Where:
    """The folders of one case: its inputs, its (initially empty) output folder, a trained model."""

    data: Path
    out: Path
    model: Path


@dataclass(frozen=True)
class Case:
    name: str
    kind: str                                            # one of CLASSES
    make: Callable[[Where], list]                        # writes the inputs, returns the command line
    expect: str = "error"                                # "ok", "error", "usage" (exit 2) or "either" (ok, or that error)
    fragments: tuple[str, ...] = ()                      # each must be in the error line
    check: Callable[[Where, object], None] | None = None  # for "ok": a check on the output
    isolate: bool = False                                # run in a subprocess (hang or memory risk)
    not_as_root: bool = False                            # root reads a chmod 000 file


# ------------------------------------------------------------------------------------ file writers

HEADER = "review_id,product,rating,review\n"
GOOD = ["R1,Fryer,5,Love it works great", "R2,Lamp,1,Terrible it broke", "R3,Mug,3,Average nothing special"]


def csv_text(*rows: str, header: str = HEADER, end: str = "\n") -> str:
    return header + end.join(rows) + end


def write(where: Where, name: str, content: bytes | str) -> Path:
    path = where.data / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def jsonl(*records: object) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def xlsx_bytes(rows: list[list]) -> bytes:
    from openpyxl import Workbook
    book = Workbook()
    for row in rows:
        book.active.append(row)
    sink = io.BytesIO()
    book.save(sink)
    return sink.getvalue()


# ------------------------------------------------------------------------------------ commands

def paths(flags: tuple[str, ...], where: Where) -> list:
    """Flags with OUT/name and DATA/name made paths in the case's output and input folders."""
    folders = {"OUT/": where.out, "DATA/": where.data}
    return [folders[flag[:4]] / flag[4:] if flag[:4] in folders else
            folders[flag[:5]] / flag[5:] if flag[:5] in folders else flag for flag in flags]


def predict(name: str, content: bytes | str | Callable[[Where], Path], *flags: str, output: str = "scored.csv"):
    """`predict MODEL FILE -o OUT/output -q FLAGS` on a file written from `content`."""
    def make(where: Where) -> list:
        path = content(where) if callable(content) else write(where, name, content)
        return ["predict", where.model, path, "-o", where.out / output, "-q", *paths(flags, where)]
    return make


def evaluate(name: str, content: bytes | str, *flags: str):
    def make(where: Where) -> list:
        return ["evaluate", where.model, write(where, name, content), *paths(flags, where)]
    return make


def train(name: str, content: bytes | str, *flags: str):
    """A one-epoch training on a tiny file, its model and run directory in the output folder."""
    def make(where: Where) -> list:
        return ["train", write(where, name, content), "-o", where.out / "model", "--run-dir", where.out / "run",
                "--epochs", "1", "--validation-fraction", "0", "-q", *paths(flags, where)]
    return make


def report(name: str, content: bytes | str, *flags: str):
    def make(where: Where) -> list:
        return ["report", write(where, name, content), *paths(flags, where)]
    return make


def with_model(build: Callable[[Where], Path], name: str = "reviews.csv"):
    """`predict BROKEN_MODEL good.csv`: `build` makes the model directory (or whatever stands for it)."""
    def make(where: Where) -> list:
        return ["predict", build(where), write(where, name, csv_text(*GOOD)), "-o", where.out / "scored.csv", "-q"]
    return make


# ------------------------------------------------------------------------------------ checks on the output

def scored(where: Where, name: str = "scored.csv") -> pd.DataFrame:
    from customer_sentiment.io import read_table
    return read_table(where.out / name)


def rows(count: int, name: str = "scored.csv"):
    def check(where: Where, done) -> None:
        frame = scored(where, name)
        assert len(frame) == count, (len(frame), frame.head())
        assert "predicted_label" in frame.columns
    return check


def texts(*expected: str, name: str = "scored.csv", column: str = "review"):
    """The output keeps each review's text exactly as it was in the input."""
    def check(where: Where, done) -> None:
        frame = scored(where, name)
        assert [str(v) for v in frame[column].tolist()] == list(expected), frame[column].tolist()
    return check


def in_stream(stream: str, *fragments: str):
    def check(where: Where, done) -> None:
        said = getattr(done, stream)
        for fragment in fragments:
            assert fragment in said, (fragment, said[-2000:])
    return check


def trained_labels(*labels: str):
    def check(where: Where, done) -> None:
        config = json.loads((where.out / "model" / "config.json").read_text())
        assert sorted(config["labels"]) == sorted(labels), config["labels"]
    return check


def both(*checks):
    def check(where: Where, done) -> None:
        for one in checks:
            one(where, done)
    return check


# ------------------------------------------------------------------------------------ encoding

UNICODE = ["Très bien, ça marche", "非常好的产品 👍", "ممتاز جدا", "e\u0301 combining and \u200b zero width"]

ENCODING = [
    Case("utf8-bom", "encoding", predict("bom.csv", codecs.BOM_UTF8 + csv_text(*GOOD).encode()), "ok", check=rows(3)),
    Case("utf16-le-bom", "encoding", predict("u16.csv", csv_text(*GOOD).encode("utf-16")), "ok", check=rows(3)),
    Case("utf16-be-no-bom", "encoding", predict("u16be.csv", csv_text(*GOOD).encode("utf-16-be")), "ok", check=rows(3)),
    Case("utf16-declared-utf16", "encoding",
         predict("u16d.csv", csv_text(*GOOD).encode("utf-16"), "--encoding", "utf-16"), "ok", check=rows(3)),
    Case("utf32-bom", "encoding", predict("u32.csv", csv_text(*GOOD).encode("utf-32")), "ok", check=rows(3)),
    Case("latin1-as-utf8", "encoding", predict("latin.csv", csv_text(*GOOD, "R4,Café,4,Très bon").encode("latin-1")),
         fragments=("latin.csv", "line 5", "--encoding")),
    Case("latin1-declared", "encoding",
         predict("latin-ok.csv", csv_text(*GOOD, "R4,Café,4,Très bon").encode("latin-1"), "--encoding", "latin-1"),
         "ok", check=texts("Love it works great", "Terrible it broke", "Average nothing special", "Très bon")),
    Case("cp1252-smart-quotes", "encoding",
         predict("cp.csv", csv_text("R1,Mug,5,\u201cperfect\u201d \u2013 really").encode("cp1252"), "--encoding", "cp1252"),
         "ok", check=texts("\u201cperfect\u201d \u2013 really")),
    Case("invalid-utf8-in-header", "encoding", predict("badhead.csv", b"review_id,rev\xffiew\nR1,ok\n"),
         fragments=("badhead.csv", "line 1")),
    Case("invalid-utf8-row-3", "encoding",
         predict("bad3.csv", csv_text(*GOOD[:2]).encode() + b"R3,Mug,3,bad \xc3\x28 byte\n"),
         fragments=("bad3.csv", "line 4")),
    Case("truncated-multibyte-at-eof", "encoding",
         predict("trunc.csv", csv_text(*GOOD).encode() + b"R4,Mug,3,end \xe2\x82"), fragments=("trunc.csv",)),
    Case("encoded-surrogate", "encoding",
         predict("surr.csv", csv_text(*GOOD).encode() + b"R4,Mug,3,\xed\xa0\x80\n"), fragments=("surr.csv", "line 5")),
    Case("overlong-utf8", "encoding",
         predict("overlong.csv", csv_text(*GOOD).encode() + b"R4,Mug,3,\xc0\xafetc\n"), fragments=("overlong.csv",)),
    Case("utf8-read-as-utf32", "encoding", predict("u8.csv", csv_text(*GOOD), "--encoding", "utf-32"),
         fragments=("u8.csv", "--encoding")),
    Case("unicode-texts-preserved", "encoding",
         predict("uni.csv", csv_text(*(f'R{i},P,4,"{t}"' for i, t in enumerate(UNICODE)))), "ok",
         check=texts(*UNICODE)),
    Case("nul-byte-in-text", "encoding", predict("nul.csv", csv_text("R1,Mug,5,good\x00product", *GOOD[1:])), "ok",
         check=rows(3)),
    Case("jsonl-latin1", "encoding",
         predict("latin.jsonl", '{"review": "Très bon"}\n{"review": "ok"}\n'.encode("latin-1")),
         fragments=("latin.jsonl", "line 1")),
    Case("jsonl-utf8-bom", "encoding",
         predict("bom.jsonl", codecs.BOM_UTF8 + jsonl({"review": "good"}, {"review": "bad"}).encode()),
         "ok", check=rows(2)),
    Case("gzip-invalid-utf8", "encoding",
         predict("bad.csv.gz", gzip.compress(csv_text(*GOOD).encode() + b"R4,Mug,3,\xff\xfe\xfd\n")),
         fragments=("bad.csv.gz", "line 5")),
    Case("mixed-line-ends", "encoding",
         predict("mixed.csv", HEADER.replace("\n", "\r\n") + GOOD[0] + "\r\n" + GOOD[1] + "\n" + GOOD[2] + "\r\n"),
         "ok", check=rows(3)),
]


# ------------------------------------------------------------------------------------ structure

STRUCTURE = [
    Case("unclosed-quote", "structure", predict("unclosed.csv", csv_text(*GOOD[:2], 'R3,Mug,3,"never closed')),
         fragments=("unclosed.csv", "line 4")),
    Case("unclosed-quote-swallows-rows", "structure",
         predict("swallow.csv", csv_text(GOOD[0], 'R2,Lamp,1,"broken', GOOD[2], "R4,Mug,4,fine")),
         fragments=("swallow.csv", "line 3")),
    Case("extra-field", "structure", predict("extra.csv", csv_text(GOOD[0], "R2,Lamp,1,bad,surplus", GOOD[2])),
         fragments=("extra.csv", "line 3")),
    Case("missing-field", "structure", predict("short.csv", csv_text(GOOD[0], GOOD[1], "R3,Mug")),
         fragments=("short.csv", "line 4")),
    Case("header-only", "structure", predict("head.csv", HEADER), fragments=("head.csv", "no rows")),
    Case("empty-file", "structure", predict("empty.csv", b""), fragments=("empty.csv", "empty")),
    Case("only-blank-lines", "structure", predict("blank.csv", "\n\n\n\n"), fragments=("blank.csv",)),
    Case("blank-lines-between-rows", "structure", predict("gaps.csv", HEADER + "\n" + "\n\n".join(GOOD) + "\n\n"),
         "ok", check=rows(3)),
    Case("no-text-column", "structure", predict("nocol.csv", "id,text\n1,good\n"),
         fragments=("Column 'review' not found", "nocol.csv", "--text-column")),
    Case("duplicate-columns", "structure", predict("dup.csv", "review,review\na,b\n"),
         fragments=("dup.csv", "more than one column", "review")),
    Case("quoted-newlines-and-quotes", "structure",
         predict("quoted.csv", csv_text('R1,Mug,5,"two\nlines, and ""quotes"""', GOOD[1])), "ok",
         check=texts('two\nlines, and "quotes"', "Terrible it broke")),
    Case("stray-quote-mid-field", "structure", predict("stray.csv", csv_text('R1,Mug,5,a 12" pizza', GOOD[1])), "ok",
         check=texts('a 12" pizza', "Terrible it broke")),
    Case("no-final-newline", "structure", predict("nofinal.csv", HEADER + "\n".join(GOOD)), "ok", check=rows(3)),
    Case("cr-only-line-ends", "structure", predict("cr.csv", csv_text(*GOOD, end="\r").replace("\n", "\r")), "ok",
         check=rows(3)),
    Case("lone-cr-in-pandas-field", "structure",
         predict("lonecr.csv", csv_text("R1,Mug,5,pasted\rfrom a form", *GOOD[1:])), "ok",
         check=texts("pasted\rfrom a form", "Terrible it broke", "Average nothing special")),
    Case("semicolon-detected", "structure", predict("semi.csv", "review_id;review\nR1;good, really\nR2;bad\n"), "ok",
         check=texts("good, really", "bad")),
    Case("semicolon-mismatch-row", "structure", predict("semibad.csv", "review_id;review\nR1;good\nR2;bad;extra\n"),
         fragments=("semibad.csv", "line 3")),
    Case("pipe-delimiter-flag", "structure", predict("pipe.csv", "review_id|review\nR1|good, ok\n", "--delimiter", "|"),
         "ok", check=texts("good, ok")),
    Case("tsv-plain", "structure", predict("plain.tsv", "id\treview\n1\tgood, \"really\"\n2\tbad\n"), "ok",
         check=texts('good, "really"', "bad")),
    Case("tsv-quoted-by-pandas", "structure",
         predict("pandas.tsv", pd.DataFrame({"id": [1, 2], "review": ["tab\there", "line\nbreak"]})
                 .to_csv(sep="\t", index=False)), "ok", check=texts("tab\there", "line\nbreak")),
    Case("tsv-wrong-field-count", "structure", predict("bad.tsv", "id\treview\n1\tgood\n2\tbad\textra\n"),
         fragments=("bad.tsv", "line 3")),
    Case("jsonl-malformed-line-3", "structure", predict("bad.jsonl", jsonl({"review": "a"}, {"review": "b"}) + '{"review": \n'),
         fragments=("bad.jsonl", "line 3")),
    Case("jsonl-array-line", "structure", predict("arr.jsonl", jsonl({"review": "a"}, ["not", "an", "object"])),
         fragments=("arr.jsonl", "line 2")),
    Case("jsonl-bare-string-line", "structure", predict("str.jsonl", jsonl({"review": "a"}, "just a string")),
         fragments=("str.jsonl", "line 2")),
    Case("jsonl-truncated-last", "structure", predict("trunc.jsonl", jsonl({"review": "a"}) + '{"review": "cut'),
         fragments=("trunc.jsonl", "line 2")),
    Case("jsonl-blank-lines", "structure", predict("gaps.jsonl", '\n{"review": "a"}\n\n\n{"review": "b"}\n\n'), "ok",
         check=rows(2)),
    Case("jsonl-missing-key-in-a-row", "structure",
         predict("sparse.jsonl", jsonl({"review": "good"}, {"other": 1}, {"review": "bad"})), "ok", check=rows(3)),
    Case("jsonl-empty-objects", "structure", predict("empty.jsonl", "{}\n{}\n"), fragments=("empty.jsonl",)),
    Case("jsonl-only-whitespace", "structure", predict("ws.jsonl", "   \n\t\n"), fragments=("ws.jsonl",)),
    Case("evaluate-no-rating-column", "structure", evaluate("norating.csv", "review\ngood\n"),
         fragments=("norating.csv", "rating")),
    Case("report-no-label-column", "structure", report("unscored.csv", "product,review\nMug,good\n", "--by", "product"),
         fragments=("unscored.csv", "predicted_label")),
]


# ------------------------------------------------------------------------------------ size

def lazy(name: str, build: Callable[[], bytes | str]) -> Callable[[Where], Path]:
    """Content made only when the case runs: large inputs never sit in memory at import."""
    return lambda where: write(where, name, build())


def long_review(megabytes: float) -> str:
    return ("good value " * int(megabytes * MB / 11 + 1))[:int(megabytes * MB)]


def gzip_rows(rows: int, megabytes: float) -> bytes:
    """Highly compressible rows of `megabytes` each (a few kB per MB once compressed)."""
    sink = io.BytesIO()
    with gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=6) as handle:
        handle.write(b"review_id,review\n")
        row = long_review(megabytes).encode()
        for i in range(rows):
            handle.write(b"R%d," % i + row + b"\n")
    return sink.getvalue()


def memory_below(megabytes: int):
    """The isolated case's own peak memory, which its launcher wrote beside its folders
    (`conftest.with_peak_rss`: a child's ru_maxrss would start at this test process's size)."""
    def check(where: Where, done) -> None:
        peak = int((where.data.parent / "peak_rss_kb").read_text()) / 1024          # kB on Linux
        assert peak < megabytes, f"peak memory {peak:.0f} MB"
    return check


SIZE = [
    Case("review-3mb-under-limit", "size", predict("long.csv", lazy("long.csv", lambda: csv_text(
        GOOD[0], f"R2,Lamp,1,{long_review(3)}"))), "ok", check=rows(2)),
    Case("review-over-max-csv", "size", predict("over.csv", lazy("over.csv", lambda: csv_text(
        GOOD[0], GOOD[1], f"R3,Lamp,1,{long_review(1.5)}")), "--max-review-mb", "1"),
         fragments=("over.csv", "line 4", "--max-review-mb")),
    Case("review-over-max-quoted-csv", "size", predict("overq.csv", lazy("overq.csv", lambda: csv_text(
        GOOD[0], f'R2,Lamp,1,"{long_review(1.5)}, with a comma"')), "--max-review-mb", "1"),
         fragments=("overq.csv", "line 3", "--max-review-mb")),
    Case("review-over-max-tsv", "size", predict("over.tsv", lazy("over.tsv", lambda: "id\treview\n1\tok\n2\t"
                                                                  + long_review(1.5) + "\n"), "--max-review-mb", "1"),
         fragments=("over.tsv", "line 3", "--max-review-mb")),
    Case("review-over-max-jsonl", "size", predict("over.jsonl", lazy("over.jsonl", lambda: jsonl(
        {"review": "ok"}, {"review": long_review(1.5)})), "--max-review-mb", "1"),
         fragments=("over.jsonl", "line 2", "--max-review-mb")),
    Case("review-over-max-parquet", "size", predict("over.parquet", lazy("over.parquet", lambda: parquet_bytes(
        pa.table({"review": ["ok", long_review(1.5)]}))), "--max-review-mb", "1"),
         fragments=("over.parquet", "--max-review-mb")),
    Case("review-over-max-xlsx", "size", predict("over.xlsx", lazy("over.xlsx", lambda: xlsx_bytes(
        [["review"], ["ok"], ["x" * 40_000]])), "--max-review-mb", "0.01"),
         fragments=("over.xlsx", "--max-review-mb")),
    Case("line-200kb-then-malformed", "size", predict("wide.csv", lazy("wide.csv", lambda: csv_text(
        f"R1,Mug,5,{long_review(0.2)}", GOOD[1], "R3,Mug,3,bad,extra"))), fragments=("wide.csv", "line 4")),
    Case("line-200kb-then-bad-utf8", "size", predict("wideenc.csv", lazy("wideenc.csv", lambda: csv_text(
        f"R1,Mug,5,{long_review(0.2)}").encode() + b"R2,Mug,3,\xff\n")), fragments=("wideenc.csv", "line 3")),
    Case("jsonl-200kb-then-malformed", "size", predict("wide.jsonl", lazy("wide.jsonl", lambda: jsonl(
        {"review": long_review(0.2)}) + "{oops\n")), fragments=("wide.jsonl", "line 2")),
    Case("many-columns", "size", predict("cols.csv", lazy("cols.csv", lambda: ",".join(
        ["review"] + [f"c{i}" for i in range(3000)]) + "\n" + ("good" + ",x" * 3000 + "\n") * 3)), "ok",
         check=rows(3)),
    Case("huge-column-name", "size", predict("bigname.csv", lazy("bigname.csv", lambda: "review," + "n" * 300_000
                                                                  + "\ngood,1\nbad,2\n")), "ok", check=rows(2)),
    Case("chunk-boundaries", "size", predict("chunks.csv", lazy("chunks.csv", lambda: HEADER + "".join(
        f"R{i},P{i % 7},{i % 5 + 1},review number {i}\n" for i in range(2500))), "--chunk-rows", "333"), "ok",
         check=rows(2500)),
    Case("gzip-bomb-long-rows", "size", predict("bomb.csv.gz", lazy("bomb.csv.gz", lambda: gzip_rows(48, 1)),
                                                "--chunk-rows", "1000"),
         "ok", check=both(rows(48), memory_below(1536)), isolate=True),
    Case("gzip-bomb-one-huge-row", "size", predict("onebomb.csv.gz", lazy("onebomb.csv.gz", lambda: gzip_rows(1, 64)),
                                                   "--max-review-mb", "8"),
         fragments=("onebomb.csv.gz", "line 2", "--max-review-mb"), check=memory_below(1536), isolate=True),
]


# ------------------------------------------------------------------------------------ type (values that are not text)

def parquet(name: str, columns: dict):
    return lazy(name, lambda: parquet_bytes(pa.table(columns)))


TYPE = [
    Case("jsonl-text-object", "type", predict("obj.jsonl", jsonl({"review": "ok"}, {"review": {"a": 1}})),
         fragments=("obj.jsonl", "line 2", "'review'", "dict")),
    Case("jsonl-text-list", "type", predict("list.jsonl", jsonl({"review": ["a", "b"]})),
         fragments=("list.jsonl", "line 1", "'review'", "list")),
    Case("jsonl-text-bool", "type", predict("bool.jsonl", jsonl({"review": "ok"}, {"review": True})),
         fragments=("bool.jsonl", "line 2", "bool")),
    Case("jsonl-text-deep-nesting", "type",
         predict("deep.jsonl", '{"review": ' + "[" * 500 + "]" * 500 + "}\n"), fragments=("deep.jsonl", "line 1")),
    Case("jsonl-text-numbers", "type", predict("num.jsonl", jsonl({"review": 5}, {"review": 4.5}, {"review": "ok"})),
         "ok", check=both(rows(3), in_stream("stderr", "numbers"))),
    Case("jsonl-text-null-and-nan", "type", predict("null.jsonl", '{"review": null}\n{"review": NaN}\n{"review": "ok"}\n'),
         "ok", check=rows(3)),
    Case("jsonl-text-huge-int", "type", predict("bigint.jsonl", '{"review": 123456789012345678901234567890}\n'), "ok",
         check=rows(1)),
    Case("parquet-text-int", "type", predict("int.parquet", parquet("int.parquet", {"review": [1, 2, 3]})), "ok",
         check=rows(3)),
    Case("parquet-text-list", "type", predict("list.parquet", parquet("list.parquet", {"review": [["a"], ["b", "c"]]})),
         fragments=("list.parquet", "'review'")),
    Case("parquet-text-struct", "type", predict("struct.parquet", parquet("struct.parquet", {"review": [{"a": 1}]})),
         fragments=("struct.parquet", "'review'")),
    Case("parquet-text-bool", "type", predict("bool.parquet", parquet("bool.parquet", {"review": [True, False]})),
         fragments=("bool.parquet", "'review'", "bool")),
    Case("parquet-text-binary", "type", predict("bin.parquet", parquet("bin.parquet", {"review": [b"\x00\xff", b"ok"]})),
         fragments=("bin.parquet", "'review'")),
    Case("parquet-text-timestamp", "type",
         predict("ts.parquet", lazy("ts.parquet", lambda: parquet_bytes(pa.table(
             {"review": pa.array([0, 1], pa.timestamp("s"))})))), fragments=("ts.parquet", "'review'")),
    Case("parquet-dictionary-text", "type", predict("dict.parquet", lazy("dict.parquet", lambda: parquet_bytes(pa.table(
        {"review": pa.array(["good", "bad", "good"]).dictionary_encode()})))), "ok", check=texts("good", "bad", "good")),
    Case("parquet-large-string", "type", predict("large.parquet", lazy("large.parquet", lambda: parquet_bytes(pa.table(
        {"review": pa.array(["good", None], pa.large_string())})))), "ok", check=rows(2)),
    Case("jsonl-extra-column-mixed-to-parquet", "type",       # Parquet needs one type per column: refused, with the way out
         predict("mixed.jsonl", jsonl({"review": "a", "meta": {"x": 1}}, {"review": "b", "meta": "text"}),
                 output="scored.parquet"), fragments=("scored.parquet", "a column mixes kinds of values", "--keep-columns")),
    Case("jsonl-extra-column-list-to-csv", "type",
         predict("tags.jsonl", jsonl({"review": "a", "tags": ["x", "y"]}, {"review": "b", "tags": []})), "ok",
         check=rows(2)),
    Case("jsonl-mixed-text-types", "type", predict("mixtext.jsonl", jsonl({"review": "good"}, {"review": 3})), "ok",
         check=rows(2)),
    Case("evaluate-nan-ratings-skipped", "type",
         evaluate("nanrate.csv", "review,rating\ngood,5\nbad,1\nmeh,nan\nok,NaN\nhm,None\nx,\n", "--json", "OUT/metrics.json"),
         "ok", check=lambda where, done: [no for no in ('"nan"', '"NaN"', '"None"', '""')
                                          if no in (where.out / "metrics.json").read_text()] == [] or
         (_ for _ in ()).throw(AssertionError((where.out / "metrics.json").read_text()[:1500]))),
    Case("train-nan-labels-are-missing", "type",
         train("nanlab.csv", "review,label\ngood,pos\nbad,neg\nmeh,nan\nok,NaN\nhm,None\nx,\ngreat,pos\nawful,neg\n",
               "--label-column", "label", "--set", "tokenizer.min_count=1"), "ok",
         check=trained_labels("neg", "pos")),
    Case("train-jsonl-null-labels", "type",
         train("nulllab.jsonl", '{"review": "good", "label": "pos"}\n{"review": "bad", "label": "neg"}\n'
                                '{"review": "x", "label": null}\n{"review": "y", "label": NaN}\n',
               "--label-column", "label", "--set", "tokenizer.min_count=1"), "ok",
         check=trained_labels("neg", "pos")),
    Case("train-numeric-labels", "type",
         train("numlab.jsonl", jsonl({"review": "good", "label": 1}, {"review": "bad", "label": 0},
                                     {"review": "fine", "label": 1}), "--label-column", "label", "--set",
               "tokenizer.min_count=1"), "ok",
         check=trained_labels("0", "1")),
    Case("train-object-text", "type",
         train("objtext.jsonl", jsonl({"review": {"t": 1}, "rating": 5}, {"review": "bad", "rating": 1}),
               "--rating-column", "rating"), fragments=("objtext.jsonl", "line 1", "dict")),
    Case("train-all-labels-missing", "type",
         train("nolab.csv", "review,label\ngood,nan\nbad,\n", "--label-column", "label"), fragments=("nolab.csv",)),
]


# ------------------------------------------------------------------------------------ format

def truncated(data: bytes, keep: float = 0.6) -> bytes:
    return data[:int(len(data) * keep)]


def zip_bytes(files: dict[str, bytes]) -> bytes:
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return sink.getvalue()


GOOD_TABLE = pa.table({"review": ["good", "bad", "fine"], "rating": [5, 1, 3]})

FORMAT = [
    Case("txt-extension", "format", predict("reviews.txt", csv_text(*GOOD)), fragments=("reviews.txt", "extension")),
    Case("no-extension", "format", predict("reviews", csv_text(*GOOD)), fragments=("reviews", "extension")),
    Case("uppercase-extension", "format", predict("REVIEWS.CSV", csv_text(*GOOD)), "ok", check=rows(3)),
    Case("double-gzip-name", "format", predict("r.csv.gz.gz", gzip.compress(gzip.compress(csv_text(*GOOD).encode()))),
         fragments=("r.csv.gz.gz",)),
    Case("parquet-named-csv", "format", predict("pq.csv", lazy("pq.csv", lambda: parquet_bytes(GOOD_TABLE))),
         fragments=("pq.csv",)),
    Case("csv-named-parquet", "format", predict("text.parquet", csv_text(*GOOD)), fragments=("text.parquet",)),
    Case("parquet-truncated", "format", predict("cut.parquet", lazy("cut.parquet", lambda: truncated(
        parquet_bytes(GOOD_TABLE)))), fragments=("cut.parquet",)),
    Case("parquet-footer-only", "format", predict("footer.parquet", b"PAR1" + b"\x00" * 8 + b"PAR1"),
         fragments=("footer.parquet",)),
    Case("parquet-zero-rows", "format", predict("zero.parquet", lazy("zero.parquet", lambda: parquet_bytes(
        GOOD_TABLE.slice(0, 0)))), fragments=("zero.parquet", "no rows")),
    Case("parquet-no-text-column", "format", predict("other.parquet", parquet("other.parquet", {"text": ["a"]})),
         fragments=("Column 'review' not found", "other.parquet")),
    Case("parquet-gzipped", "format", predict("g.parquet.gz", lazy("g.parquet.gz", lambda: gzip.compress(
        parquet_bytes(GOOD_TABLE)))), "either", fragments=("g.parquet.gz", "compress"), check=rows(3)),
    Case("xlsx-not-a-zip", "format", predict("fake.xlsx", csv_text(*GOOD)), fragments=("fake.xlsx",)),
    Case("xlsx-zip-without-workbook", "format", predict("empty.xlsx", zip_bytes({"hello.txt": b"hi"})),
         fragments=("empty.xlsx",)),
    Case("xlsx-truncated", "format", predict("cut.xlsx", lazy("cut.xlsx", lambda: truncated(xlsx_bytes(
        [["review"], ["good"]])))), fragments=("cut.xlsx",)),
    Case("xlsx-valid", "format", predict("good.xlsx", lazy("good.xlsx", lambda: xlsx_bytes(
        [["review", "rating"], ["good", 5], [None, None], ["bad", 1]]))), "ok", check=texts("good", "bad")),
    Case("xlsx-header-only", "format", predict("head.xlsx", lazy("head.xlsx", lambda: xlsx_bytes([["review"]]))),
         fragments=("head.xlsx", "no rows")),
    Case("xlsx-gzipped", "format", predict("book.xlsx.gz", lazy("book.xlsx.gz", lambda: gzip.compress(xlsx_bytes(
        [["review"], ["good"]])))), fragments=("book.xlsx.gz", "compressed")),
    Case("gzip-truncated", "format", predict("cut.csv.gz", lazy("cut.csv.gz", lambda: truncated(gzip.compress(
        (HEADER + "".join(f"R{i},P,4,review {i}\n" for i in range(2000))).encode())))), fragments=("cut.csv.gz",)),
    Case("gzip-not-gzip", "format", predict("plain.csv.gz", csv_text(*GOOD)), fragments=("plain.csv.gz",)),
    Case("gzip-of-nothing", "format", predict("nothing.csv.gz", gzip.compress(b"")), fragments=("nothing.csv.gz",)),
    Case("bz2-csv", "format", predict("r.csv.bz2", lazy("r.csv.bz2", lambda: __import__("bz2").compress(
        csv_text(*GOOD).encode()))), "ok", check=rows(3)),
    Case("xz-truncated", "format", predict("r.jsonl.xz", lazy("r.jsonl.xz", lambda: truncated(__import__("lzma").compress(
        jsonl(*({"review": f"text {i}"} for i in range(3000))).encode())))), fragments=("r.jsonl.xz",)),
    Case("jsonl-is-json-array", "format", predict("array.jsonl", json.dumps([{"review": "a"}, {"review": "b"}])),
         fragments=("array.jsonl", "line 1")),
    Case("jsonl-is-pretty-json", "format", predict("pretty.jsonl", json.dumps({"review": "a"}, indent=2)),
         fragments=("pretty.jsonl",)),
    Case("output-unknown-extension", "format", predict("ok.csv", csv_text(*GOOD), output="scored.txt"),
         fragments=("scored.txt",)),
    Case("output-xlsx", "format", predict("ok.csv", csv_text(*GOOD), output="scored.xlsx"),
         fragments=("scored.xlsx",)),
    Case("output-parquet-roundtrip", "format", predict("ok.csv", csv_text(*GOOD), output="scored.parquet"), "ok",
         check=texts("Love it works great", "Terrible it broke", "Average nothing special", name="scored.parquet")),
]


# ------------------------------------------------------------------------------------ filesystem

def special(make_path: Callable[[Where], Path]):
    return predict("", make_path)


def fifo(where: Where) -> Path:
    path = where.data / "pipe.csv"
    os.mkfifo(path)
    return path


def folder(where: Where) -> Path:
    path = where.data / "folder.csv"
    path.mkdir()
    return path


def unreadable(where: Where) -> Path:
    path = write(where, "locked.csv", csv_text(*GOOD))
    path.chmod(0)
    return path


def symlink_to(target: Callable[[Where], Path | str], name: str = "link.csv"):
    def make(where: Where) -> Path:
        path = where.data / name
        path.symlink_to(target(where))
        return path
    return make


def output_is_input(where: Where) -> list:
    path = write(where, "same.csv", csv_text(*GOOD))
    return ["predict", where.model, path, "-o", path, "-q"]


def input_unchanged(where: Where, done) -> None:
    assert (where.data / "same.csv").read_text() == csv_text(*GOOD)


def output_in_missing_folder(where: Where) -> list:
    return ["predict", where.model, write(where, "ok.csv", csv_text(*GOOD)), "-o", where.out / "no" / "such" / "s.csv",
            "-q"]


def output_is_folder(where: Where) -> list:
    (where.out / "taken.csv").mkdir()
    return ["predict", where.model, write(where, "ok.csv", csv_text(*GOOD)), "-o", where.out / "taken.csv", "-q"]


def output_in_locked_folder(where: Where) -> list:
    locked = where.out / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    return ["predict", where.model, write(where, "ok.csv", csv_text(*GOOD)), "-o", locked / "s.csv", "-q"]


def existing_output_replaced(where: Where) -> list:
    (where.out / "scored.csv").write_text("old,content\n1,2\n")
    return ["predict", where.model, write(where, "ok.csv", csv_text(*GOOD)), "-o", where.out / "scored.csv", "-q"]


def existing_output_kept_on_error(where: Where) -> list:
    (where.out / "scored.csv").write_text("old,content\n1,2\n")
    return ["predict", where.model, write(where, "bad.csv", csv_text(GOOD[0], "R2,x")), "-o", where.out / "scored.csv",
            "-q"]


def old_output_intact(where: Where, done) -> None:
    assert (where.out / "scored.csv").read_text() == "old,content\n1,2\n"


FILESYSTEM = [
    Case("fifo-input", "filesystem", special(fifo), fragments=("pipe.csv", "not a regular file"), isolate=True),
    Case("directory-input", "filesystem", special(folder), fragments=("folder.csv", "not a regular file")),
    Case("missing-input", "filesystem", special(lambda where: where.data / "missing.csv"),
         fragments=("missing.csv", "no such file")),
    Case("dev-null-input", "filesystem", special(symlink_to(lambda where: "/dev/null", "null.csv")),
         fragments=("null.csv", "not a regular file")),
    Case("dev-zero-input", "filesystem", special(symlink_to(lambda where: "/dev/zero", "zero.csv")),
         fragments=("zero.csv", "not a regular file"), isolate=True),
    Case("dangling-symlink-input", "filesystem", special(symlink_to(lambda where: where.data / "gone.csv")),
         fragments=("link.csv",)),
    Case("symlink-to-file-input", "filesystem",
         special(symlink_to(lambda where: write(where, "real.csv", csv_text(*GOOD)))), "ok", check=rows(3)),
    Case("unreadable-input", "filesystem", special(unreadable), fragments=("locked.csv", "permission"),
         not_as_root=True),
    Case("output-in-missing-folder", "filesystem", output_in_missing_folder, fragments=("s.csv",)),
    Case("output-is-a-folder", "filesystem", output_is_folder, fragments=("taken.csv",)),
    Case("output-in-read-only-folder", "filesystem", output_in_locked_folder, fragments=("s.csv",), not_as_root=True),
    Case("output-is-input", "filesystem", output_is_input, fragments=("same.csv",), check=input_unchanged),
    Case("existing-output-replaced", "filesystem", existing_output_replaced, "ok", check=rows(3)),
    Case("existing-output-kept-on-error", "filesystem", existing_output_kept_on_error, fragments=("bad.csv", "line 3"),
         check=old_output_intact),
    Case("evaluate-json-in-missing-folder", "filesystem",
         evaluate("ok.csv", csv_text(*GOOD), "--json", "OUT/missing/metrics.json"), fragments=("metrics.json",)),
    Case("report-missing-file", "filesystem", lambda where: ["report", where.data / "nope.csv", "--by", "product"],
         fragments=("nope.csv",)),
    Case("train-output-is-a-file", "filesystem",
         lambda where: ["train", write(where, "t.csv", csv_text(*GOOD)), "-o", write(where, "file.bin", b"x"),
                        "--rating-column", "rating", "--run-dir", where.out / "run", "-q"],
         fragments=("file.bin",)),
]


# ------------------------------------------------------------------------------------ settings

SETTINGS = [
    Case("delimiter-x", "settings", predict("ok.csv", csv_text(*GOOD), "--delimiter", "x"), fragments=("--delimiter",)),
    Case("delimiter-empty", "settings", predict("ok.csv", csv_text(*GOOD), "--delimiter", ""), fragments=("--delimiter",)),
    Case("delimiter-two-chars", "settings", predict("ok.csv", csv_text(*GOOD), "--delimiter", ",,"),
         fragments=("--delimiter",)),
    Case("max-review-mb-0", "settings", predict("ok.csv", csv_text(*GOOD), "--max-review-mb", "0"),
         fragments=("--max-review-mb",)),
    Case("max-review-mb-negative", "settings", predict("ok.csv", csv_text(*GOOD), "--max-review-mb", "-1"),
         fragments=("--max-review-mb",)),
    Case("max-review-mb-nan", "settings", predict("ok.csv", csv_text(*GOOD), "--max-review-mb", "nan"),
         fragments=("--max-review-mb",)),
    Case("max-review-mb-inf", "settings", predict("ok.csv", csv_text(*GOOD), "--max-review-mb", "inf"),
         fragments=("--max-review-mb",)),
    Case("max-review-mb-not-a-number", "settings", predict("ok.csv", csv_text(*GOOD), "--max-review-mb", "lots"),
         "usage", fragments=("Invalid value for '--max-review-mb'",)),
    Case("chunk-rows-0", "settings", predict("ok.csv", csv_text(*GOOD), "--chunk-rows", "0"),
         fragments=("--chunk-rows",)),
    Case("chunk-rows-negative", "settings", predict("ok.csv", csv_text(*GOOD), "--chunk-rows", "-5"),
         fragments=("--chunk-rows",)),
    Case("encoding-unknown", "settings", predict("ok.csv", csv_text(*GOOD), "--encoding", "klingon"),
         fragments=("klingon", "--encoding")),
    Case("encoding-empty", "settings", predict("ok.csv", csv_text(*GOOD), "--encoding", ""), fragments=("--encoding",)),
    Case("device-unknown", "settings", predict("ok.csv", csv_text(*GOOD), "--device", "quantum"),
         fragments=("quantum",)),
    Case("train-seed-negative", "settings", train("t.csv", csv_text(*GOOD), "--rating-column", "rating", "--seed", "-1"),
         fragments=("seed",)),
    Case("train-embedding-dim-0", "settings",
         train("t.csv", csv_text(*GOOD), "--rating-column", "rating", "--set", "model.embedding_dim=0"),
         fragments=("embedding_dim",)),
    Case("train-set-unknown-key", "settings",
         train("t.csv", csv_text(*GOOD), "--rating-column", "rating", "--set", "model.wings=2"), fragments=("wings",)),
    Case("train-set-no-equals", "settings",
         train("t.csv", csv_text(*GOOD), "--rating-column", "rating", "--set", "model.embedding_dim"),
         fragments=("--set",)),
    Case("train-set-wrong-type", "settings",
         train("t.csv", csv_text(*GOOD), "--rating-column", "rating", "--set", "training.learning_rate=fast"),
         fragments=("learning_rate",)),
    Case("train-epochs-0", "settings", train("t.csv", csv_text(*GOOD), "--rating-column", "rating", "--epochs", "0"),
         fragments=("epochs",)),
    Case("train-validation-fraction-1.5", "settings",
         train("t.csv", csv_text(*GOOD), "--rating-column", "rating", "--validation-fraction", "1.5"),
         fragments=("validation",)),
    Case("train-learning-rate-nan", "settings",
         train("t.csv", csv_text(*GOOD), "--rating-column", "rating", "--learning-rate", "nan"),
         fragments=("learning",)),
    Case("train-rating-map-garbage", "settings",
         train("t.csv", csv_text(*GOOD), "--rating-column", "rating", "--rating-map", "five:great"),
         fragments=("rating",)),
    Case("train-config-missing", "settings",
         train("t.csv", csv_text(*GOOD), "--rating-column", "rating", "--config", "DATA/none.toml"),
         fragments=("none.toml",)),
    Case("train-config-not-toml", "settings",
         lambda where: train("t.csv", csv_text(*GOOD), "--config", write(where, "bad.toml", "[model\nx=")
                             .as_posix())(where), fragments=("bad.toml",)),
    Case("train-config-unknown-section", "settings",
         lambda where: train("t.csv", csv_text(*GOOD), "--config", write(where, "odd.toml", "[wings]\nspan = 2\n")
                             .as_posix())(where), fragments=("wings",)),
    Case("report-period-fortnight", "settings",
         report("s.csv", "product,review,predicted_label\nMug,bad,negative\n", "--by", "product", "--period",
                "fortnight"), fragments=("fortnight",)),
    Case("report-by-missing-column", "settings",
         report("s.csv", "product,review,predicted_label\nMug,bad,negative\n", "--by", "store"), fragments=("store",)),
    Case("evaluate-rating-map-garbage", "settings",
         evaluate("ok.csv", csv_text(*GOOD), "--rating-map", "1-2"), fragments=("rating",)),
]


# ------------------------------------------------------------------------------------ model directories
# (test_model_schema.py holds 59 damaged copies: wrong keys, types, ranges, tensors; these are others)

def copied_model(edit: Callable[[Path], None]):
    """A copy of the trained model with `edit` applied to its folder."""
    def build(where: Where) -> Path:
        import shutil
        model = where.data / "model"
        shutil.copytree(where.model, model)
        edit(model)
        return model
    return build


def replace(name: str, content: bytes | str):
    def edit(model: Path) -> None:
        (model / name).write_bytes(content.encode() if isinstance(content, str) else content)
    return edit


def as_path(make: Callable[[Where], Path]):
    return make


def symlink_loop(where: Where) -> Path:
    (where.data / "a").symlink_to(where.data / "b")
    (where.data / "b").symlink_to(where.data / "a")
    return where.data / "a"


def model_fifo(where: Where) -> Path:
    os.mkfifo(where.data / "model")
    return where.data / "model"


def safetensors_huge_header(model: Path) -> None:
    (model / "model.safetensors").write_bytes((1 << 62).to_bytes(8, "little") + b"{}")


def weights_folder(model: Path) -> None:
    (model / "model.safetensors").unlink()
    (model / "model.safetensors").mkdir()


MODEL = [
    Case("model-is-a-pickle", "model", with_model(lambda where: write(where, "model.pkl", pickle.dumps({"a": 1}))),
         fragments=("model.pkl",)),
    Case("model-is-a-csv", "model", with_model(lambda where: write(where, "model.csv", csv_text(*GOOD))),
         fragments=("model.csv",)),
    Case("model-empty-folder", "model", with_model(lambda where: (where.data / "empty").mkdir() or where.data / "empty"),
         fragments=("empty",)),
    Case("model-missing", "model", with_model(lambda where: where.data / "nowhere"), fragments=("nowhere",)),
    Case("model-symlink-loop", "model", with_model(symlink_loop), fragments=("a",)),
    Case("model-fifo", "model", with_model(model_fifo), fragments=("model",), isolate=True),
    Case("config-json-array", "model", with_model(copied_model(replace("config.json", "[1, 2, 3]"))),
         fragments=("config.json",)),
    Case("config-json-empty", "model", with_model(copied_model(replace("config.json", ""))), fragments=("config.json",)),
    Case("config-json-truncated", "model", with_model(copied_model(
        lambda model: replace("config.json", (model / "config.json").read_bytes()[:40])(model))),
         fragments=("config.json",)),
    Case("config-json-latin1", "model", with_model(copied_model(replace("config.json", b'{"labels": ["caf\xe9"]}'))),
         fragments=("config.json",)),
    Case("config-json-deep-nesting", "model", with_model(copied_model(replace("config.json", "[" * 100_000))),
         fragments=("config.json",)),
    Case("config-json-is-a-folder", "model", with_model(copied_model(
        lambda model: (model / "config.json").unlink() or (model / "config.json").mkdir())), fragments=("config.json",)),
    Case("config-json-symlink-loop", "model", with_model(copied_model(
        lambda model: (model / "config.json").unlink() or (model / "config.json").symlink_to(model / "config.json"))),
         fragments=("config.json",)),
    Case("tokenizer-json-string", "model", with_model(copied_model(replace("tokenizer.json", '"words"'))),
         fragments=("tokenizer.json",)),
    Case("tokenizer-json-missing", "model", with_model(copied_model(lambda model: (model / "tokenizer.json").unlink())),
         fragments=("tokenizer.json",)),
    Case("safetensors-huge-header", "model", with_model(copied_model(safetensors_huge_header)),
         fragments=("model.safetensors",)),
    Case("safetensors-is-a-folder", "model", with_model(copied_model(weights_folder)), fragments=("model.safetensors",)),
    Case("safetensors-empty", "model", with_model(copied_model(replace("model.safetensors", b""))),
         fragments=("model.safetensors",)),
]


# ------------------------------------------------------------------------------------ injection

FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)", '=HYPERLINK("http://evil.example","x")', "\t=1+1"]
MARKUP = "[bold red]BAD[/bold red] [link=http://evil.example]click[/link]"
ANSI = "\x1b[31mRED\x1b[0m"


def formula_file(fmt: str) -> str:
    frame = pd.DataFrame({"review_id": FORMULAS, "review": FORMULAS})
    return frame.to_csv(index=False, sep="\t" if fmt == "tsv" else ",")


def scored_file(*reviews: str, product: str = "Mug") -> str:
    frame = pd.DataFrame({"product": product, "review": list(reviews), "predicted_label": "negative"})
    return frame.to_csv(index=False)


def no_raw_escape(where: Where, done) -> None:
    """An escape character reaches the terminal only escaped: a terminal would obey a raw one."""
    assert "\x1b" not in done.stdout + done.stderr, repr((done.stdout + done.stderr)[-600:])


def newline_name_missing(where: Where) -> list:
    return ["predict", where.model, where.data / "two\nlines.csv", "-o", where.out / "s.csv", "-q"]


def error_on_one_line(where: Where, done) -> None:
    assert "lines.csv" in done.stderr.strip().splitlines()[-1], done.stderr


INJECTION = [
    *(Case(f"formula-roundtrip-{fmt}-to-{out}", "injection", predict(f"formula.{fmt}", formula_file(fmt), output=f"s.{out}"),
           "ok", check=both(texts(*FORMULAS, name=f"s.{out}"), texts(*FORMULAS, name=f"s.{out}", column="review_id")))
      for fmt, out in [("csv", "csv"), ("tsv", "tsv"), ("csv", "jsonl"), ("csv", "parquet")]),
    Case("formula-id-column", "injection", predict("fid.csv", formula_file("csv"), "--id-column", "review_id"), "ok",
         check=texts(*FORMULAS, column="review_id")),
    Case("jsonl-line-injection", "injection",
         predict("inj.csv", pd.DataFrame({"review": ['"}\n{"review": "injected"}', "ok"]}).to_csv(index=False),
                 output="s.jsonl"), "ok", check=texts('"}\n{"review": "injected"}', "ok", name="s.jsonl")),
    Case("html-script-text-kept", "injection",
         predict("html.csv", csv_text('R1,Mug,1,"<script>alert(1)</script> bad &amp; worse"')), "ok",
         check=texts("<script>alert(1)</script> bad &amp; worse")),
    Case("markup-in-report-examples", "injection",
         report("markup.csv", scored_file(MARKUP, "plain bad"), "--by", "product"), "ok",
         check=in_stream("stdout", "[bold red]BAD[/bold red]", "[link=http://evil.example]")),
    Case("markup-in-report-group", "injection",
         report("group.csv", scored_file("bad", product="[blink]Mug[/blink]"), "--by", "product"), "ok",
         check=in_stream("stdout", "[blink]Mug[/blink]")),
    Case("ansi-in-report-examples", "injection", report("ansi.csv", scored_file(ANSI + " bad"), "--by", "product"),
         "ok", check=both(in_stream("stdout", "[31mRED"), no_raw_escape)),
    Case("markup-in-column-names", "injection", predict("cols.csv", "[bold]text[/bold],[red]x\ngood,1\n"),
         fragments=("[bold]text[/bold]", "[red]x")),
    Case("ansi-in-column-names", "injection", predict("acols.csv", f"{ANSI},x\ngood,1\n"), fragments=("[31mRED",),
         check=no_raw_escape),
    Case("markup-in-text-column-flag", "injection",
         predict("ok.csv", csv_text(*GOOD), "--text-column", "[bold red]review[/]"), fragments=("[bold red]review[/]",)),
    Case("markup-in-missing-file-name", "injection", special(lambda where: where.data / "[red]x[/red].csv"),
         fragments=("[red]x[/red].csv",)),
    Case("ansi-in-missing-file-name", "injection", special(lambda where: where.data / f"{ANSI}.csv"),
         fragments=("[31mRED",), check=no_raw_escape),
    Case("newline-in-missing-file-name", "injection", newline_name_missing, fragments=("lines.csv",),
         check=error_on_one_line),
    Case("unicode-spaces-file-name", "injection", predict("my reviews – été 😀.csv", csv_text(*GOOD),
                                                          output="scored – été.csv"), "ok",
         check=rows(3, "scored – été.csv")),
    Case("newline-in-file-name", "injection", predict("new\nline.csv", csv_text(*GOOD)), "ok", check=rows(3)),
    Case("rtl-override-file-name", "injection", predict("evil\u202ev.csv", csv_text(*GOOD)), "ok", check=rows(3)),
    Case("input-has-predicted-label", "injection", predict("pl.csv", "review,predicted_label\ngood,FAKE\nbad,FAKE\n"),
         fragments=("pl.csv", "'predicted_label'", "--keep-columns")),
    Case("input-has-prob-column", "injection", predict("pp.csv", "review,prob_negative\ngood,7\nbad,7\n"),
         fragments=("pp.csv", "'prob_negative'", "--keep-columns")),
]


CASES: list[Case] = [*ENCODING, *STRUCTURE, *SIZE, *TYPE, *FORMAT, *FILESYSTEM, *SETTINGS, *MODEL, *INJECTION]


def count_by_class(cases: list[Case] = CASES) -> dict[str, int]:
    counts = Counter(case.kind for case in cases)
    return {kind: counts[kind] for kind in CLASSES}


if __name__ == "__main__":
    for kind, count in count_by_class().items():
        print(f"{kind:<12}{count:>4}")
    print(f"{'total':<12}{len(CASES):>4}")
