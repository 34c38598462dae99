"""`predict --engine ray`: the same file as single-process scoring, byte for byte, from a local Ray.

The Ray tests are slow (a local Ray and its actors start in about 10 s): `python -m pytest -m slow`.
"""

from __future__ import annotations

import filecmp
import pickle
import re
import sys

import numpy as np
import pandas as pd
import pytest

from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.ray_engine import RaySettings, score_file_ray

from .conftest import invoke

try:
    import ray
    import ray.data  # noqa: F401
except ImportError:
    ray = None
needs_ray = pytest.mark.skipif(ray is None, reason="ray is not installed: pip install 'customer-sentiment[ray]'")


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray as the tests' machine allows: 2 CPUs, a 150 MB object store."""
    ray.init(num_cpus=2, object_store_memory=150 * 2**20, include_dashboard=False, configure_logging=False)
    yield
    ray.shutdown()


def reviews(sample_reviews, rows: int = 4_000, seed: int = 0) -> pd.DataFrame:
    """Sample reviews in random order under shuffled ids, with the awkward ones scoring meets in exports."""
    rng = np.random.default_rng(seed)
    texts = [sample_reviews.texts[i] for i in rng.integers(0, len(sample_reviews.texts), rows)]
    texts[7], texts[1_234], texts[-1] = None, 'Broke, "twice", in a week\r\nAvoid', "Great fryer,\nlove it"
    return pd.DataFrame({"review_id": [f"r{i}" for i in rng.permutation(rows)], "review": texts,
                         "stars": rng.integers(1, 6, rows)})


def score_both(pipeline, model_dir, data, tmp_path, suffix, **kwargs):
    """The single-process file and the Ray one, and their summaries."""
    single, on_ray = tmp_path / f"single{suffix}", tmp_path / f"ray{suffix}"
    expected = pipeline.predict_file(data, single, "review", "review_id", **kwargs)
    summary = score_file_ray(pipeline, model_dir, "torch", data, on_ray, "review", "review_id", verbose=False, **kwargs)
    return single, on_ray, expected, summary.to_dict()


@pytest.mark.slow
@needs_ray
def test_ray_writes_the_single_process_file_byte_for_byte(local_ray, sample_pipeline, sample_model_dir,
                                                          sample_reviews, tmp_path):
    source = reviews(sample_reviews)
    data = tmp_path / "reviews.csv"
    source.to_csv(data, index=False)
    single, on_ray, expected, summary = score_both(sample_pipeline, sample_model_dir, data, tmp_path, ".csv",
                                                   chunk_rows=500, review_below=0.6)     # 8 blocks
    assert filecmp.cmp(single, on_ray, shallow=False)
    scored = pd.read_csv(on_ray, keep_default_na=False)
    assert scored["review_id"].tolist() == source["review_id"].tolist()
    assert scored.loc[7, "predicted_label"] == "" and scored["predicted_label"].ne("").sum() == 3_999
    assert summary["actors"] == 2                       # both actors scored blocks
    for key in ("rows", "empty_texts", "carriage_returns", "needs_review", "predicted"):
        assert summary[key] == expected[key], key


@pytest.mark.slow
@needs_ray
def test_ray_reads_json_lines_and_writes_parquet_as_one_process_does(local_ray, sample_pipeline, sample_model_dir,
                                                                     sample_reviews, tmp_path):
    source = reviews(sample_reviews, rows=3_000, seed=1).astype({"review": object})
    source.loc[[10, 2_500], "review"] = [4.5, 3]                  # numbers, scored as the text they were
    data = tmp_path / "reviews.jsonl"
    source.to_json(data, orient="records", lines=True)
    single, on_ray, expected, summary = score_both(sample_pipeline, sample_model_dir, data, tmp_path, ".parquet",
                                                   keep_columns=["review"], chunk_rows=700)
    assert pd.read_parquet(on_ray).equals(pd.read_parquet(single))
    assert filecmp.cmp(single, on_ray, shallow=False)
    assert pd.read_parquet(on_ray)["review_id"].tolist() == source["review_id"].tolist()
    assert summary["numbers_as_text"] == expected["numbers_as_text"] == 2


@pytest.mark.slow
@needs_ray
def test_a_bad_row_mid_file_is_the_users_error_not_a_ray_traceback(local_ray, sample_pipeline, sample_model_dir,
                                                                   sample_reviews, tmp_path):
    source = reviews(sample_reviews, rows=2_000).astype({"review": object})
    source.at[1_500, "review"] = ["not", "text"]
    data = tmp_path / "reviews.jsonl"
    source.to_json(data, orient="records", lines=True)
    with pytest.raises(CustomerSentimentError) as single:
        sample_pipeline.predict_file(data, tmp_path / "single.csv", "review", chunk_rows=400)
    with pytest.raises(CustomerSentimentError, match=re.escape(str(single.value))):
        score_file_ray(sample_pipeline, sample_model_dir, "torch", data, tmp_path / "ray.csv", "review",
                       chunk_rows=400, verbose=False)
    assert "1501" in str(single.value) and not (tmp_path / "ray.csv").exists()


@pytest.mark.slow
@needs_ray
def test_predict_engine_ray_from_the_command_line(local_ray, sample_model_dir, sample_reviews, tmp_path):
    data = tmp_path / "reviews.csv"
    reviews(sample_reviews, rows=1_500).to_csv(data, index=False)
    plain = invoke("predict", sample_model_dir, data, "-o", tmp_path / "plain.csv", "--chunk-rows", "300", "--quiet")
    result = invoke("predict", sample_model_dir, data, "-o", tmp_path / "ray.csv", "--chunk-rows", "300", "--quiet",
                    "--engine", "ray")
    assert plain.returncode == result.returncode == 0, result.stdout
    assert "on 2 Ray actors" in result.stdout + result.stderr
    assert filecmp.cmp(tmp_path / "plain.csv", tmp_path / "ray.csv", shallow=False)


def test_engine_ray_without_ray_says_what_to_install(sample_pipeline, sample_model_dir, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)                 # as if it were not installed
    data = tmp_path / "reviews.csv"
    pd.DataFrame({"review": ["Great fryer"]}).to_csv(data, index=False)
    with pytest.raises(CustomerSentimentError, match=re.escape(
            "Ray is not installed, so --engine ray cannot score: expected ray[data]. Install it with pip install "
            "'customer-sentiment[ray]', or leave out --engine ray to score in this process.")):
        score_file_ray(sample_pipeline, sample_model_dir, "torch", data, tmp_path / "out.csv")


def test_engine_ray_refuses_a_database_and_a_pool_of_no_actors(sample_pipeline, sample_model_dir, tmp_path):
    with pytest.raises(CustomerSentimentError, match=re.escape("--engine ray reads review files, and "
                                                               "sqlite:///shop.db is not one")):
        score_file_ray(sample_pipeline, sample_model_dir, "torch", "sqlite:///shop.db", tmp_path / "out.csv")
    with pytest.raises(CustomerSentimentError, match=re.escape("--ray-actors is 0: expected an integer >= 1")):
        RaySettings(actors=0)


def test_a_users_error_crosses_processes_whole():
    """An actor's error is pickled to the driver: it stays a CustomerSentimentError with its four parts."""
    error = CustomerSentimentError("reviews.jsonl, line 1501: column 'review' holds a list", expected="review text",
                                   found="['not', 'text']", fix="Export the column as text.")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is CustomerSentimentError and copy.as_dict() == error.as_dict() and str(copy) == str(error)
