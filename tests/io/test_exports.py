"""The files people export: quoted TSV, lone carriage returns, semicolon CSV, byte-order marks and
UTF-16, Excel workbooks; rows of any size in bounded chunks; and outputs that read back as written."""

from __future__ import annotations

import csv
import gzip
import re

import pandas as pd
import pytest

from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.io import ReadOptions, iter_table_chunks, read_reviews, read_table, table_writer
from customer_sentiment.io import readers as readers_module

from ..conftest import invoke

MESSY = ["tab\there", "line\nbreak", "lone\rreturn", 'say "hi"', "comma, here", "semi; colon",
         "all\r\n\t\",;\rof it", '"quoted" start', "plain"]


def messy_frame() -> pd.DataFrame:
    return pd.DataFrame({"id": [f"{i:03d}" for i in range(len(MESSY))], "review": MESSY,
                         "stars": [str(1 + i % 5) for i in range(len(MESSY))]})


# ---------------------------------------------------------------- TSV as pandas, csv and spreadsheets write it

def test_a_tsv_written_by_pandas_reads_back_as_written(tmp_path):
    path = tmp_path / "r.tsv"
    messy_frame().to_csv(path, sep="\t", index=False)
    assert read_table(path).to_dict("list") == messy_frame().to_dict("list")


def test_a_tsv_written_by_the_csv_module_reads_back_as_written(tmp_path):
    path = tmp_path / "r.tsv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(["review", "stars"])
        writer.writerows([[text, "5"] for text in MESSY])
    assert read_table(path)["review"].tolist() == MESSY


def test_a_plain_tsv_with_quotes_inside_fields_still_reads(tmp_path):
    path = tmp_path / "r.tsv"
    path.write_text('review\tstars\n"Best" fryer ever\t5\nsays "meh\t3\n5" screen\t4\n')
    assert read_table(path)["review"].tolist() == ['"Best" fryer ever', 'says "meh', '5" screen']


def test_an_unquoted_tsv_with_an_opening_quote_that_never_closes_reads_as_text(tmp_path):
    path = tmp_path / "r.tsv"
    path.write_text('review\tstars\n"Great blender\t5\nok\t4\n')
    assert read_table(path)["review"].tolist() == ['"Great blender', "ok"]


# ---------------------------------------------------------------- carriage returns

def test_a_csv_written_by_pandas_with_lone_carriage_returns_keeps_them_as_text(tmp_path):
    path = tmp_path / "r.csv"
    frame = pd.DataFrame({"review": ["pasted\rfrom a form", "fine", "two\r\rreturns"], "stars": ["1", "5", "3"]})
    frame.to_csv(path, index=False)                  # pandas leaves a lone \r unquoted
    assert b"pasted\rfrom" in path.read_bytes()
    assert read_table(path).to_dict("list") == frame.to_dict("list")


def test_lone_carriage_returns_in_a_compressed_utf16_file(tmp_path):
    path = tmp_path / "r.tsv.gz"
    with gzip.open(path, "wb") as handle:
        handle.write("review\tstars\r\nline\rone\t5\r\nline two\t4\r\n".encode("utf-16"))
    assert read_table(path)["review"].tolist() == ["line\rone", "line two"]


def test_a_file_whose_lines_end_in_a_lone_carriage_return_still_reads(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"review,stars\rold mac export,5\r\"quoted\rfield\",4\r")
    assert read_table(path)["review"].tolist() == ["old mac export", "quoted\rfield"]


def test_a_malformed_row_next_to_a_lone_carriage_return_names_the_real_cause(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"review,stars\nline\rone,5\nbroken, row,4\n")
    with pytest.raises(CustomerSentimentError, match=re.escape(f"{path}, line 3: expected 2 fields separated by "
                                                               "commas, found 3")):
        read_table(path)


# ---------------------------------------------------------------- delimiters

def test_a_semicolon_csv_from_a_european_spreadsheet_is_detected(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('review;stars;price\n"Gut, aber laut";4;"12,50"\nSehr gut;5;9,99\n', encoding="utf-8")
    frame = read_table(path)
    assert frame.to_dict("list") == {"review": ["Gut, aber laut", "Sehr gut"], "stars": ["4", "5"],
                                     "price": ["12,50", "9,99"]}


def test_an_ambiguous_header_keeps_the_comma_and_the_error_says_how_to_choose(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("review;stars,notes\nok;5,x\nfine, really;4,y\n")
    with pytest.raises(CustomerSentimentError, match=re.escape("pass --delimiter ';'")):
        read_table(path)
    assert read_table(path, ReadOptions(delimiter=";"))["review"].tolist() == ["ok", "fine, really"]


def test_a_pipe_delimiter_can_be_given(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("review|stars\nA|B, ok|5\n".replace("A|B, ok", '"A|B, ok"'))
    assert read_table(path, ReadOptions(delimiter="|"))["review"].tolist() == ["A|B, ok"]


def test_a_delimiter_that_is_not_one_is_refused():
    with pytest.raises(CustomerSentimentError, match=re.escape("--delimiter is 'xx': expected one of , ; | tab")):
        ReadOptions(delimiter="xx")


# ---------------------------------------------------------------- encodings

def test_utf8_with_a_byte_order_mark_reads_without_it(tmp_path):
    path = tmp_path / "r.csv"
    messy_frame().to_csv(path, index=False, encoding="utf-8-sig")
    frame = read_table(path)
    assert list(frame.columns) == ["id", "review", "stars"] and frame["review"].tolist() == MESSY


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_unicode_text_from_a_spreadsheet_reads(tmp_path, encoding):
    path = tmp_path / "r.tsv"
    text = "review\tstars\r\nTrès bien 👍\t5\r\n\"tab\there\"\t4\r\n"
    data = text.encode(encoding)
    path.write_bytes(data if encoding == "utf-16" else {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}[encoding]
                     + data)
    assert read_table(path)["review"].tolist() == ["Très bien 👍", "tab\there"]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_mark_is_recognised(tmp_path, encoding):
    path = tmp_path / "r.csv"
    path.write_bytes("review,stars\nçok,5\n".encode(encoding))
    assert read_table(path)["review"].tolist() == ["çok"]
    assert read_table(path, ReadOptions(encoding=encoding))["review"].tolist() == ["çok"]


def test_latin1_still_reads_when_named(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("review,stars\ncafé ok,4\n".encode("latin-1"))
    assert read_table(path, "latin-1")["review"].tolist() == ["café ok"]


# ---------------------------------------------------------------- Excel

def test_an_excel_workbook_reads_like_its_csv(tmp_path):
    path = tmp_path / "r.xlsx"
    frame = pd.DataFrame({"id": [7, 8, 9], "review": ["Great, cheap", "line\nbreak", None],
                          "stars": [5, 1.0, 3], "date": pd.to_datetime(["2025-01-02", "2025-02-03", "2025-03-04"])})
    frame.to_excel(path, index=False)
    read = read_table(path)
    assert read.to_dict("list") == {"id": ["7", "8", "9"], "review": ["Great, cheap", "line\nbreak", ""],
                                    "stars": ["5", "1", "3"], "date": ["2025-01-02", "2025-02-03", "2025-03-04"]}
    reviews = read_reviews(path, "review", rating_column="stars")
    assert reviews.labels == ["positive", "negative"] and reviews.skipped == {"empty review text": 1}


def test_a_file_named_xlsx_that_is_not_a_workbook_is_a_clear_error(tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_text("review,stars\nok,5\n")
    with pytest.raises(CustomerSentimentError, match=re.escape(f"{path} is not a readable Excel workbook")):
        read_table(path)


# ---------------------------------------------------------------- size: rows of any length, bounded chunks

def test_chunks_are_bounded_in_bytes_as_well_as_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(readers_module, "CHUNK_BYTES", 50_000)
    rows = [{"review": f"{i} " + "x" * 10_000, "stars": "5"} for i in range(40)]
    for name, writer in [("r.csv", "to_csv"), ("r.jsonl", "to_json"), ("r.parquet", "to_parquet")]:
        path = tmp_path / name
        frame = pd.DataFrame(rows)
        kwargs = {"orient": "records", "lines": True} if writer == "to_json" else {}
        getattr(frame, writer)(path, index=False, **kwargs)
        sizes = [len(chunk) for chunk in iter_table_chunks(path, chunk_rows=1_000)]
        assert sum(sizes) == 40 and max(sizes) <= 10, (name, sizes)


def test_a_review_over_4_mb_reads_and_one_over_the_limit_names_its_line(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("review,stars\nshort,5\n" + "word " * 1_000_000 + ",4\n")     # 5 MB: past Arrow's default block
    assert len(read_table(path)["review"][1]) == 5_000_000
    with pytest.raises(CustomerSentimentError, match=re.escape(f"{path}, line 3: column 'review' is longer than the "
                                                               "longest review accepted (1 MB). Pass --max-review-mb")):
        read_table(path, ReadOptions(max_review_mb=1))


def test_an_unclosed_quote_is_named_not_blamed_on_arrow(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('review,stars\nok,5\n"never closed,4\n' + "more text,3\n" * 500_000)   # 6 MB
    with pytest.raises(CustomerSentimentError, match=re.escape("line 3: a quoted field opened here runs on past "
                                                               "500,001 line breaks, to the end of the file. Close the quote")):
        read_table(path)


def test_a_json_line_over_the_limit_names_its_line(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"review": "ok"}\n{"review": "' + "x" * 2_000_000 + '"}\n')
    with pytest.raises(CustomerSentimentError, match=re.escape(f"{path}, line 2: the line is longer than")):
        read_table(path, ReadOptions(max_review_mb=1))


@pytest.mark.parametrize("value", [0, -1, 5000, True])
def test_the_review_limit_is_checked(value):
    with pytest.raises(CustomerSentimentError, match=re.escape("expected a number in (0, 1024]")):
        ReadOptions(max_review_mb=value)


# ---------------------------------------------------------------- outputs read back as written

@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_every_output_format_reads_back_as_written_here_and_in_pandas(tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    with table_writer(path) as write:
        write(messy_frame())
        write(messy_frame())
    expected = pd.concat([messy_frame()] * 2, ignore_index=True).to_dict("list")
    assert read_table(path).to_dict("list") == expected
    pandas_read = {".csv": lambda p: pd.read_csv(p, dtype=str, keep_default_na=False),
                   ".tsv": lambda p: pd.read_csv(p, sep="\t", dtype=str, keep_default_na=False),
                   ".jsonl": lambda p: pd.read_json(p, lines=True, dtype=False),
                   ".parquet": pd.read_parquet}[suffix]
    assert pandas_read(path).to_dict("list") == expected


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_predict_output_reads_back_as_the_rows_read(tmp_path, sample_model_dir, suffix):
    source = tmp_path / "messy.parquet"
    messy_frame().to_parquet(source, index=False)
    output = tmp_path / f"scored{suffix}"
    done = invoke("predict", str(sample_model_dir), str(source), "--output", str(output), "--id-column", "id")
    assert done.returncode == 0, done.stdout + done.stderr
    returns = sum("\r" in text for text in MESSY)
    assert f"{returns} reviews hold a carriage return (kept as text)" in " ".join(done.stderr.split())
    ours = read_table(output)
    assert ours["review"].tolist() == MESSY and ours["id"].tolist() == messy_frame()["id"].tolist()
    reader = {".csv": pd.read_csv, ".tsv": lambda p, **k: pd.read_csv(p, sep="\t", **k)}.get(suffix)
    if reader:
        theirs = reader(output, dtype=str, keep_default_na=False)
        assert theirs["review"].tolist() == MESSY and len(theirs) == len(MESSY)


def test_predict_reads_a_semicolon_file_with_a_delimiter_option(tmp_path, sample_model_dir):
    source = tmp_path / "r.csv"
    source.write_text("review;stars,x\nGreat, love it;5,1\nBroke after a day;1,2\n")
    output = tmp_path / "out.csv"
    done = invoke("predict", str(sample_model_dir), str(source), "--output", str(output), "--delimiter", ";")
    assert done.returncode == 0, done.stdout + done.stderr
    assert read_table(output)["review"].tolist() == ["Great, love it", "Broke after a day"]


# ---------------------------------------------------------------- past the first block and the first megabyte

def test_a_lone_carriage_return_in_a_file_of_several_blocks(tmp_path):
    texts = [f"review {i} " + "x" * 60 for i in range(80_000)]            # 5.6 MB: two 4 MB blocks
    texts[5] = "pasted\rfrom a web form"
    path = tmp_path / "big.csv"
    pd.DataFrame({"review": texts, "n": [str(i) for i in range(len(texts))]}).to_csv(path, index=False)
    assert read_table(path, ReadOptions(max_review_mb=1))["review"].tolist() == texts


def test_a_quoted_utf16_tsv_over_a_megabyte_reads(tmp_path):
    frame = pd.DataFrame({"review": [f"tab\there {i}\nline" for i in range(20_000)], "stars": ["5"] * 20_000})
    path = tmp_path / "unicode.tsv"
    frame.to_csv(path, sep="\t", index=False, encoding="utf-16")      # 1.5 MB
    assert read_table(path)["review"].tolist() == frame["review"].tolist()


def test_tsv_quoting_is_judged_where_the_first_quote_is_even_past_the_first_megabyte(tmp_path):
    prefix = [f"plain review {i}\t5" for i in range(100_000)]           # 2 MB without a quote
    plain = tmp_path / "plain.tsv"
    plain.write_text("\n".join(["review\tstars", *prefix, '"Best" fryer ever\t5', '"Great blender\t4',
                                'the "best\t3', "last\t1"]) + "\n")
    assert read_table(plain)["review"].tolist()[-4:] == ['"Best" fryer ever', '"Great blender', 'the "best', "last"]
    texts = [line.split("\t")[0] for line in prefix] + ["has\ttab", 'say "hi"', "line\nbreak"]
    quoted = tmp_path / "quoted.tsv"
    pd.DataFrame({"review": texts, "stars": ["1"] * len(texts)}).to_csv(quoted, sep="\t", index=False)
    assert read_table(quoted)["review"].tolist() == texts


def test_an_old_mac_file_with_a_line_break_inside_a_quoted_cell(tmp_path):
    path = tmp_path / "mac.csv"
    path.write_bytes(b'review,stars\r"line one\nline two",5\rsecond,4\r')
    assert read_table(path)["review"].tolist() == ["line one\nline two", "second"]


def test_a_carriage_return_that_ends_the_file_ends_its_last_line(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"review,stars\nok,5\nlast,4\r")
    assert read_table(path)["stars"].tolist() == ["5", "4"]


def test_an_excel_error_names_the_sheet_row(tmp_path):
    path = tmp_path / "r.xlsx"
    pd.DataFrame({"review": ["ok", None, "y" * 30_000], "stars": [5, None, 4]}).to_excel(path, index=False)
    with pytest.raises(CustomerSentimentError, match=re.escape(f"{path}, row 4: column 'review' is longer than")):
        read_table(path, ReadOptions(max_review_mb=0.01))
