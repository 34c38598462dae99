"""Scoring files: rows in order, ids first, probabilities equal to the API's, atomic output, checked columns."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.inference.scoring import output_columns

from ..conftest import SAMPLE


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_predict_file_keeps_ids_order_and_adds_probabilities(sample_pipeline, tmp_path, suffix):
    source = pd.read_csv(SAMPLE, dtype=str).head(300)
    source.loc[5, "review"] = "<br />"
    path = tmp_path / "in.csv"
    source.to_csv(path, index=False)
    output = tmp_path / f"scored{suffix}"
    summary = sample_pipeline.predict_file(path, output, id_column="review_id", keep_columns=["product"],
                                           chunk_rows=64)
    scored = pd.read_parquet(output) if suffix == ".parquet" else pd.read_json(output, lines=True, dtype=False) \
        if suffix == ".jsonl" else pd.read_csv(output, dtype={"review_id": str}, keep_default_na=False)
    assert list(scored.columns) == ["review_id", "product", "predicted_label", "prob_negative", "prob_neutral", "prob_positive"]
    assert scored["review_id"].tolist() == source["review_id"].tolist()
    assert summary["rows"] == 300 and summary["empty_texts"] == 1
    assert scored.loc[5, "predicted_label"] in ("", None) and pd.isna(pd.to_numeric(scored.loc[5, "prob_positive"]))
    kept = scored.drop(index=5)
    expected = sample_pipeline.predict_proba(source.drop(index=5)["review"].tolist())
    np.testing.assert_allclose(kept[["prob_negative", "prob_neutral", "prob_positive"]].astype(float).to_numpy(),
                               expected, rtol=1e-9, atol=1e-12)
    assert kept["predicted_label"].tolist() == sample_pipeline.predict(source.drop(index=5)["review"].tolist())


def test_predict_file_leaves_nothing_behind_on_bad_input(sample_pipeline, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("review_id,review\n1,good\n2,bad,extra\n")
    with pytest.raises(CustomerSentimentError, match="line 3: expected 2 fields separated by commas, found 3"):
        sample_pipeline.predict_file(path, tmp_path / "out.csv", chunk_rows=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_predict_file_checks_its_columns(sample_pipeline, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("id,text\n1,good\n")
    with pytest.raises(CustomerSentimentError, match=re.escape("Column 'review' not found in")):
        sample_pipeline.predict_file(path, tmp_path / "out.csv")
    assert sample_pipeline.predict_file(path, tmp_path / "out.csv", text_column="text")["rows"] == 1


def test_output_columns_refuse_a_column_the_output_would_add():
    chunk = pd.DataFrame({"review": ["ok"], "prob_positive": [0.3]})
    with pytest.raises(CustomerSentimentError, match=re.escape("in.csv already has column(s) ['prob_positive'], which the "
                                                               "output adds. Pass --keep-columns without them.")):
        output_columns(chunk, "in.csv", "review", None, None)
    assert output_columns(chunk, "in.csv", "review", None, ["review"]) == ["review"]


def test_scoring_refuses_a_review_that_is_not_text_and_counts_numbers(sample_pipeline, tmp_path):
    import json

    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps({"id": i, "review": review}) for i, review in
                              enumerate(["fine", 5, "broke", {"text": "x"}])) + "\n")
    with pytest.raises(CustomerSentimentError, match=re.escape(f"{path}, line 4: column 'review' holds a dict")):
        sample_pipeline.predict_file(path, tmp_path / "out.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]
    path.write_text("\n".join(json.dumps({"id": i, "review": review}) for i, review in enumerate(["fine", 5])) + "\n")
    summary = sample_pipeline.predict_file(path, tmp_path / "out.parquet")
    assert summary["numbers_as_text"] == 1 and pd.read_parquet(tmp_path / "out.parquet")["review"].tolist() == ["fine", "5"]
