"""The body limit as a bare ASGI middleware, the limits on texts, and the settings that hold them."""

from __future__ import annotations

import asyncio
import re

import pytest

from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.serve.limits import BodyLimit, PayloadTooLarge, check_texts
from customer_sentiment.serve.settings import ServeSettings, is_loopback, read_api_key


def through(limit: int, chunks: list[bytes], headers=()):
    """Send `chunks` as one request's body through BodyLimit; what the app received, what was sent back, and
    how many body messages the middleware read."""
    received, sent, read = [], [], []

    async def app(scope, receive, send):
        message = await receive()
        received.append(message["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})

    async def receive():
        i = len(read)
        read.append(i)
        return {"type": "http.request", "body": chunks[i], "more_body": i < len(chunks) - 1}

    async def send(message):
        sent.append(message)
    scope = {"type": "http", "method": "POST", "path": "/v1/predict", "headers": list(headers)}
    asyncio.run(BodyLimit(app, limit)(scope, receive, send))
    return received, sent, len(read)


def test_a_chunked_body_is_cut_off_as_soon_as_it_passes_the_limit():
    received, sent, read = through(10, [b"12345", b"67890", b"x", b"never read"])
    assert received == [] and sent[0]["status"] == 413 and read == 3
    assert (b"connection", b"close") in sent[0]["headers"]


def test_a_declared_content_length_over_the_limit_is_refused_before_reading():
    received, sent, read = through(10, [b"12345678901"], headers=[(b"content-length", b"11")])
    assert sent[0]["status"] == 413 and read == 0


def test_a_body_at_the_limit_reaches_the_app_in_one_message():
    received, sent, _ = through(10, [b"12345", b"67890"])
    assert received == [b"1234567890"] and sent[0]["status"] == 200


def test_the_text_limits_name_what_was_found_and_the_flag():
    with pytest.raises(PayloadTooLarge, match=re.escape("texts[1] has 6 characters: expected at most 5. Shorten the "
                                                        "review, or start the service with a larger --max-text-chars.")):
        check_texts(["fine", "great!"], max_texts=5, max_chars=5)
    check_texts(["fine"] * 5, max_texts=5, max_chars=5)


@pytest.mark.parametrize(("settings", "message"), [
    ({"max_queue": 0}, "--max-queue is 0: expected an integer >= 1. Pass --max-queue 1 or more."),
    ({"max_wait_ms": -1}, "--max-wait-ms is -1: expected a number >= 0. Pass --max-wait-ms 0 or more."),
    ({"timeout_s": 0}, "--timeout-s is 0: expected a number > 0. Pass --timeout-s 10, say: seconds a request may take."),
    ({"port": 70_000}, "--port is 70000: expected an integer from 0 to 65535. Pass --port 8000, say (0 picks a free "
                       "port)."),
    ({"runtime": "tensorflow"}, "--runtime is 'tensorflow': expected torch or onnx or onnx-int8. Pass --runtime torch, "
                                "or export the model first for onnx."),
    ({"api_key": "  "}, "The API key is empty: expected a key. Write a key into the --api-key-file, or leave "
                        "the option out."),
])
def test_settings_are_checked_on_creation(settings, message):
    with pytest.raises(CustomerSentimentError, match=re.escape(message)):
        ServeSettings(**settings)


def test_the_api_key_is_never_shown():
    settings = ServeSettings(api_key="s3cret-key-s3cret-key")
    assert "s3cret" not in repr(settings) and settings.public()["api_key"] is True


def test_the_api_key_file_is_read_or_refused_in_one_line(tmp_path):
    (tmp_path / "key").write_text("  abc-def-ghi \nsecond line\n")
    assert read_api_key(tmp_path / "key") == "abc-def-ghi"
    (tmp_path / "empty").write_text("\n \n")
    with pytest.raises(CustomerSentimentError, match=re.escape(f"The API key file {tmp_path / 'empty'} is empty")):
        read_api_key(tmp_path / "empty")
    with pytest.raises(CustomerSentimentError, match=re.escape(f"Cannot read the API key file {tmp_path / 'none'}: "
                                                               "No such file or directory")):
        read_api_key(tmp_path / "none")


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True),
                                               ("localhost", True), ("0.0.0.0", False), ("192.168.1.4", False),
                                               ("::", False), ("example.org", False)])
def test_only_loopback_hosts_count_as_this_machine(host, loopback):
    assert is_loopback(host) is loopback
