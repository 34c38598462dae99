"""The service answers what `customer-sentiment predict` writes, for the same reviews: /v1/predict's labels
and probabilities, and /v1/score-file's scored CSV, byte for byte."""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from ..conftest import SAMPLE, invoke, write_csv


@pytest.fixture(scope="module")
def predicted(sample_model_dir, tmp_path_factory):
    """60 sample reviews and `customer-sentiment predict`'s scored CSV of them."""
    folder = tmp_path_factory.mktemp("parity")
    reviews = pd.read_csv(SAMPLE, dtype=str).iloc[::40]
    reviews.to_csv(folder / "reviews.csv", index=False)
    done = invoke("predict", sample_model_dir, folder / "reviews.csv", "--output", folder / "scored.csv", "--quiet")
    assert done.returncode == 0, done.stderr
    return folder, reviews, pd.read_csv(folder / "scored.csv")


def test_predict_answers_equal_the_predict_command_also_when_batched_with_others(client, predicted):
    _, reviews, scored = predicted
    texts = reviews["review"].tolist()
    with ThreadPoolExecutor(6) as pool:                       # concurrent requests: micro-batched together
        answers = list(pool.map(lambda i: client.post("/v1/predict", json={"texts": texts[i:i + 10]}),
                                range(0, len(texts), 10)))
    predictions = [p for answer in answers for p in answer.json()["predictions"]]
    assert [p["label"] for p in predictions] == scored["predicted_label"].tolist()
    labels = answers[0].json()["labels"]
    np.testing.assert_allclose([[p["probabilities"][label] for label in labels] for p in predictions],
                               scored[[f"prob_{label}" for label in labels]].to_numpy(), rtol=0, atol=1e-6)


def test_score_file_answers_the_predict_commands_csv(client, predicted):
    folder, _, _ = predicted
    answer = client.post("/v1/score-file?text_column=review&filename=March%20reviews.csv",
                         content=(folder / "reviews.csv").read_bytes(), headers={"content-type": "text/csv"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["scored"] == (folder / "scored.csv").read_text()
    scored = pd.read_csv(folder / "scored.csv")
    assert body["filename"] == "March_reviews.scored.csv" and body["rows"] == len(scored) and body["skipped"] == 0
    assert body["counts"] == scored["predicted_label"].value_counts().to_dict() | {
        label: 0 for label in ("negative", "neutral", "positive") if label not in set(scored["predicted_label"])}


def test_score_file_reads_json_lines_by_content_type_and_counts_rows_without_text(client, tmp_path):
    rows = [{"review": "Love it, works great."}, {"review": ""}, {"review": "Broke in a week, awful."}]
    body = "\n".join(json.dumps(row) for row in rows).encode()
    answer = client.post("/v1/score-file?filename=export.json", content=body,
                         headers={"content-type": "application/x-ndjson"})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["rows"] == 3 and result["skipped"] == 1 and sum(result["counts"].values()) == 2
    scored = pd.read_csv(io.StringIO(result["scored"]))
    assert scored["predicted_label"].isna().tolist() == [False, True, False]


def test_score_file_errors_are_422_or_415_with_the_message(client, tmp_path):
    csv = write_csv(tmp_path / "r.csv", [{"text": "fine"}]).read_bytes()
    missing = client.post("/v1/score-file?text_column=review", content=csv, headers={"content-type": "text/csv"})
    assert missing.status_code == 422
    detail = missing.json()["detail"]
    assert "'review'" in detail and "the uploaded file" in detail and "/tmp" not in detail and "'text'" in detail
    assert "text_column" in detail and "--text-column" not in detail
    empty = client.post("/v1/score-file", content=b"", headers={"content-type": "text/csv"})
    assert empty.status_code == 422 and empty.json()["detail"] == ("The uploaded file is empty. Send the file's "
                                                                   "content as the request body.")
    unknown = client.post("/v1/score-file?filename=r.xlsx", content=csv, headers={"content-type": "application/zip"})
    assert unknown.status_code == 415 and "text/csv" in unknown.json()["detail"]
