"""The HTTP API through FastAPI's TestClient: every answer and status code the service gives."""

from __future__ import annotations

import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from customer_sentiment import SentimentPipeline

from .conftest import held, started, wait_until

REVIEWS = ["Love it, works great and the battery lasts all day.", "Stopped heating after two weeks. Avoid.",
           "It's okay, does the job."]


def predict(client, texts=REVIEWS, headers=None, **more):
    return client.post("/v1/predict", json={"texts": texts, **more}, headers=headers)


def test_predict_gives_each_text_its_label_and_the_pipelines_probabilities(client, sample_model_dir):
    answer = predict(client)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = SentimentPipeline.load(sample_model_dir).predict_proba(REVIEWS)
    assert body["model"] == "bag_of_embeddings.v1" and body["labels"] == ["negative", "neutral", "positive"]
    assert body["calibrated"] is True and len(body["predictions"]) == len(REVIEWS)
    for row, prediction in zip(expected, body["predictions"], strict=True):
        assert list(prediction["probabilities"]) == body["labels"]
        np.testing.assert_allclose(list(prediction["probabilities"].values()), row, atol=1e-6)
        assert prediction["label"] == body["labels"][int(row.argmax())] and prediction["explanation"] is None


def test_explanations_are_what_explain_gives_and_uncalibrated_is_the_raw_softmax(client, sample_model_dir):
    from customer_sentiment.explain import explain

    pipeline = SentimentPipeline.load(sample_model_dir)
    body = predict(client, explain=True, top=2).json()
    assert [p["explanation"] for p in body["predictions"]] == json.loads(json.dumps(explain(pipeline, REVIEWS, 2)))
    raw = predict(client, calibrated=False).json()
    expected = pipeline.predictor_.calibrated_and_raw(REVIEWS)[1]
    assert raw["calibrated"] is False
    np.testing.assert_allclose([list(p["probabilities"].values()) for p in raw["predictions"]], expected, atol=1e-6)
    calibrated = [list(p["probabilities"].values()) for p in body["predictions"]]
    assert not np.allclose(calibrated, expected, atol=1e-3)        # the sample model's temperature is not 1


def test_model_card_names_architecture_labels_metrics_fingerprint_and_runtime(client, sample_model_dir):
    body = client.get("/v1/model").json()
    config = json.loads((sample_model_dir / "config.json").read_text())
    assert body["architecture"] == config["architecture"] and body["labels"] == config["labels"]
    assert body["fingerprint"] == config["data"]["fingerprint"] and body["fingerprint"].startswith("sha256:")
    assert body["runtime"] == "torch" and body["text_column"] == "review"
    assert 0 < body["metrics"]["validation"]["accuracy"] <= 1
    assert body["card"] == (sample_model_dir / "README.md").read_text()


def test_probes_docs_page_and_metrics(client):
    assert client.get("/livez").json() == {"status": "alive"}
    assert client.get("/readyz").json() == {"status": "ready"}
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text and "cdn" not in docs.text
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert "/v1/predict" in client.get("/openapi.json").json()["paths"]
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "content-security-policy" not in docs.headers           # Swagger UI runs an inline script
    predict(client, texts=["x" * 30_000])
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'customer_sentiment_requests_total{method="POST",path="/v1/predict",status="413"} 1.0' in text
    assert 'customer_sentiment_rejections_total{reason="too_many_texts"} 1.0' in text
    assert re.search(r"customer_sentiment_batch_texts_count [1-9]", text)
    for name in ("customer_sentiment_request_duration_seconds_bucket", "customer_sentiment_queue_depth",
                 "customer_sentiment_ready 1.0"):
        assert name in text


def test_an_unknown_path_is_404_and_counted_as_other(client):
    assert client.get("/nothing/here").status_code == 404
    assert 'path="other",status="404"' in client.get("/metrics").text


# ---------------------------------------------------------------- 401


def test_with_an_api_key_only_the_page_and_probes_are_open(sample_model_dir):
    key = "k" * 24
    with started(sample_model_dir, api_key=key) as client:
        for path in ("/v1/model", "/metrics", "/docs", "/openapi.json"):
            assert client.get(path).status_code == 401, path
        refused = predict(client)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert "X-API-Key" in refused.json()["detail"]
        assert client.post("/v1/predict", json={"texts": REVIEWS}, headers={"X-API-Key": "wrong"}).status_code == 401
        assert client.post("/v1/predict", json={"texts": REVIEWS},
                           headers={"Authorization": f"Basic {key}"}).status_code == 401
        for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
            assert client.post("/v1/predict", json={"texts": REVIEWS}, headers=headers).status_code == 200
            assert client.get("/metrics", headers=headers).status_code == 200
        for path in ("/", "/livez", "/readyz", "/static/style.css"):
            assert client.get(path).status_code == 200, path
        assert 'rejections_total{reason="unauthorized"} 7.0' in client.get("/metrics", headers={"X-API-Key": key}).text


# ---------------------------------------------------------------- 413


def test_a_body_over_the_limit_is_413_by_content_length_and_when_chunked(sample_model_dir):
    with started(sample_model_dir, max_body_bytes=2_000) as client:
        body = json.dumps({"texts": ["great " * 100] * 5}).encode()
        assert len(body) > 2_000
        declared = client.post("/v1/predict", content=body, headers={"content-type": "application/json"})
        assert declared.status_code == 413
        assert declared.json()["detail"] == (f"The request body (Content-Length {len(body):,} bytes) is over the "
                                             f"service's limit of 2,000 bytes. Send fewer or shorter reviews per "
                                             f"request (or a smaller file), or start the service with a larger "
                                             f"--max-body-bytes.")
        chunked = client.post("/v1/predict", content=(body[i:i + 500] for i in range(0, len(body), 500)),
                              headers={"content-type": "application/json"})
        assert chunked.status_code == 413 and "more than 2,000 bytes received" in chunked.json()["detail"]
        assert predict(client).status_code == 200                   # a body under the limit
        upload = client.post("/v1/score-file?filename=r.csv", content=b"review\n" + b"fine\n" * 500)
        assert upload.status_code == 413


@pytest.mark.parametrize(("texts", "more", "message"), [
    (["fine"] * 4, {}, "The request has 4 texts: expected at most 3. Send at most 3 texts per request, or start "
                       "the service with a larger --max-texts."),
    (["fine", "x" * 101], {}, "texts[1] has 101 characters: expected at most 100. Shorten the review, or start the "
                              "service with a larger --max-text-chars."),
    (["fine"] * 3, {"explain": True}, "The request has 3 texts with explanations: expected at most 2. Send at most 2 "
                                      "texts per request, or start the service with a larger --max-explain-texts."),
])
def test_too_many_texts_or_a_text_too_long_is_413_naming_the_limit_and_its_flag(sample_model_dir, texts, more, message):
    with started(sample_model_dir, max_texts=3, max_text_chars=100, max_explain_texts=2) as client:
        answer = predict(client, texts=texts, **more)
        assert answer.status_code == 413 and answer.json() == {"detail": message}
        assert predict(client, texts=["fine"] * 3).status_code == 200


# ---------------------------------------------------------------- 422


@pytest.mark.parametrize(("body", "where"), [
    (b'{"texts": ["fine"', "json_invalid"),                       # malformed JSON
    (b'{"texts": "fine"}', "list_type"),                          # a string, not a list
    (b'{"texts": [1, 2]}', "string_type"),                        # numbers, not strings
    (b'{"texts": []}', "too_short"),
    (b'{"texts": ["fine"], "explain": "yes"}', "bool_type"),
    (b'{"texts": ["fine"], "top": 0}', "greater_than_equal"),
    (b'{"texts": ["fine"], "colour": "red"}', "extra_forbidden"),
    (b'{"texts": ["\\ud800"]}', "value_error"),                   # a lone surrogate: no UTF-8 for it
    (b'[]', "model_attributes_type"),
])
def test_malformed_json_and_wrong_types_are_fastapis_422(client, body, where):
    answer = client.post("/v1/predict", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422
    assert where in [error["type"] for error in answer.json()["detail"]]


def test_a_text_with_nothing_to_read_is_422_naming_it(client):
    answer = predict(client, texts=["fine", "  <br/> "])
    assert answer.status_code == 422
    assert answer.json()["detail"] == ("texts[1] has no text to read once cleaned (HTML tags and whitespace removed): "
                                       "found '  <br/> '. Leave empty reviews out.")


# ---------------------------------------------------------------- 503


def test_a_full_queue_is_503_with_retry_after_and_the_queued_requests_are_answered(sample_model_dir):
    with started(sample_model_dir, max_queue=1, max_batch_requests=1) as client, held(client) as gate, \
            ThreadPoolExecutor(2) as pool:
        service = client.app.state.service
        first = pool.submit(predict, client, ["first"])
        assert gate.entered.wait(10)                               # in the forward pass
        second = pool.submit(predict, client, ["second"])
        wait_until(lambda: service.batcher.depth == 1, what="the second request queued")
        refused = predict(client, ["third"])
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
        assert refused.json() == {"detail": "1 requests are waiting for the model already"}
        gate.open.set()
        assert first.result().status_code == 200 and second.result().status_code == 200
        assert gate.batches == [1, 1]                              # micro-batching off: one request per pass
        assert 'rejections_total{reason="queue_full"} 1.0' in client.get("/metrics").text


def test_a_request_past_its_timeout_is_503_with_retry_after(sample_model_dir):
    with started(sample_model_dir, timeout_s=0.2) as client, held(client):
        answer = predict(client)
        assert answer.status_code == 503 and answer.headers["retry-after"] == "1"
        assert answer.json() == {"detail": "no answer within 0.2 s"}


def test_readyz_is_503_while_the_model_loads_and_while_draining(sample_model_dir, monkeypatch):
    import threading

    from customer_sentiment.serve import service as service_module

    loading = threading.Event()
    real_load = service_module.load_pipeline
    monkeypatch.setattr(service_module, "load_pipeline", lambda *args: loading.wait(10) and real_load(*args))
    with started(sample_model_dir, ready=False) as client:
        assert client.get("/livez").status_code == 200
        loading_answer = client.get("/readyz")
        assert loading_answer.status_code == 503 and loading_answer.headers["retry-after"] == "1"
        assert loading_answer.json()["detail"] == "The model is still loading"
        early = predict(client)
        assert early.status_code == 503 and early.headers["retry-after"] == "1"
        loading.set()
        wait_until(lambda: client.get("/readyz").status_code == 200, what="ready")
        client.app.state.service.drain()
        draining = client.get("/readyz")
        assert draining.status_code == 503 and "draining" in draining.json()["detail"]
        assert predict(client).status_code == 200                   # requests still come in while draining


# ---------------------------------------------------------------- logs


def test_one_json_log_line_per_request_without_review_text(client, caplog):
    with caplog.at_level(logging.INFO, logger="customer_sentiment.serve.access"):
        answer = predict(client, headers={"X-Request-ID": "abc-123"})
    assert answer.headers["x-request-id"] == "abc-123"
    [record] = [r for r in caplog.records if r.name == "customer_sentiment.serve.access"]
    line = record.msg
    assert {k: line[k] for k in ("event", "method", "path", "status", "texts", "request_id")} == {
        "event": "request", "method": "POST", "path": "/v1/predict", "status": 200, "texts": 3, "request_id": "abc-123"}
    assert line["duration_ms"] > 0
    from customer_sentiment.serve.logs import JsonLines

    written = JsonLines().format(record)
    assert json.loads(written)["path"] == "/v1/predict" and "\n" not in written
    assert not any(review in written for review in REVIEWS)


def test_log_texts_puts_the_reviews_in_the_log(sample_model_dir, caplog):
    with started(sample_model_dir, log_texts=True) as client, caplog.at_level(logging.INFO):
        predict(client)
    assert [r.msg["review_texts"] for r in caplog.records if r.name.endswith("access")] == [REVIEWS]
