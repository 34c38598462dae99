"""The service's web page in a real browser, as a user would use it: the app for the sample model runs on
a free port of 127.0.0.1 (uvicorn on a thread), and Debian's Chromium, headless and driven by Playwright at
a phone's width, types a review and reads its label, bars and highlighted words, uploads a CSV and a JSON
Lines file and downloads the scored CSV, and sees the service's 422 message. What the page shows is
checked against what the API answers for the same input. Every request beyond the server is blocked and
counted, and none may be made; nor may the console report an error or the page scroll sideways.

Skipped when Chromium (/usr/bin/chromium, `apt-get install chromium`) or Playwright is missing, unless
CUSTOMER_SENTIMENT_REQUIRE_BROWSER=1 (as `.ci/run` sets it), which makes the skip a failure.
"""

from __future__ import annotations

import io
import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from ..conftest import SAMPLE, write_csv

PHONE = {"width": 390, "height": 844}
# Clearly negative, and not one of the sample reviews the model learned from (checked below).
NEGATIVE = "Terrible kettle, it leaks everywhere and stopped working after a week. Complete waste of money."
REVIEWS = [
    {"review": "Absolutely love it, works great and highly recommend.", "stars": 5},
    {"review": "", "stars": 3},                                   # no text: skipped
    {"review": "Broke after two days. Awful, requested a refund.", "stars": 1},
    {"review": "It's okay, does the job.", "stars": 3},
]


@pytest.fixture(scope="module")
def service(browser, sample_model_dir) -> str:
    """The real app for the sample model, served by uvicorn on a thread; its base URL."""
    import uvicorn

    from customer_sentiment.serve import create_app

    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(sample_model_dir), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{listening.getsockname()[1]}"
    deadline = time.monotonic() + 30
    while not ready(base) and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ready(base), "the service did not load the model within 30 s"
    yield base
    server.should_exit = True
    thread.join(10)
    listening.close()


def ready(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/readyz", timeout=5) as response:
            return response.status == 200
    except OSError:                       # not listening yet, or 503 while the model loads
        return False


def api(base: str, path: str, body: bytes, content_type: str) -> tuple[int, dict]:
    """POST `body` to the service as the page would; the status and the JSON answer."""
    request = urllib.request.Request(base + path, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def score_file(base: str, path: Path, content_type: str, text_column: str = "review") -> tuple[int, dict]:
    query = urllib.parse.urlencode({"text_column": text_column, "filename": path.name})
    return api(base, f"/v1/score-file?{query}", path.read_bytes(), content_type)


@dataclass
class Visit:
    """The page at a phone's width with every request beyond the server blocked, and what it tried and reported."""

    page: object
    outside: list[str] = field(default_factory=list)
    keys: dict[str, str | None] = field(default_factory=dict)      # API path -> the Authorization header sent
    errors: list[str] = field(default_factory=list)


def open_page(browser, base: str, path: str = "/") -> Visit:
    context = browser.new_context(viewport=PHONE, accept_downloads=True)
    page = context.new_page()
    seen = Visit(page)

    def route(request_route):
        url = request_route.request.url
        if url == base or url.startswith(base + "/"):
            if url.startswith(base + "/v1/"):
                seen.keys[url[len(base):].split("?")[0]] = request_route.request.headers.get("authorization")
            request_route.continue_()
        else:
            seen.outside.append(url)
            request_route.abort()

    page.route("**/*", route)
    page.on("console", lambda message: message.type == "error" and seen.errors.append(message.text))
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    if path is not None:
        page.goto(base + path, wait_until="load")
    return seen


@pytest.fixture
def visit(browser, service):
    seen = open_page(browser, service)
    yield seen
    seen.page.context.close()


def overflow(page) -> int:
    """How many pixels the page is wider than the window (sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def upload(page, path: Path, text_column: str = "review") -> None:
    page.get_by_label("Text column").fill(text_column)
    page.get_by_label("CSV or JSON Lines file").set_input_files(path)
    page.get_by_role("button", name="Score file").click()


def test_a_typed_review_shows_the_apis_label_bars_and_words(visit, service):
    assert NEGATIVE not in set(pd.read_csv(SAMPLE)["review"])
    page = visit.page
    status, answer = api(service, "/v1/predict", json.dumps({"texts": [NEGATIVE], "explain": True, "top": 5}).encode(),
                         "application/json")
    assert status == 200
    prediction = answer["predictions"][0]

    page.get_by_label("Review text").fill(NEGATIVE)
    page.keyboard.press("Tab")                                     # the keyboard reaches the button
    assert page.evaluate("document.activeElement.textContent") == "Score review"
    page.get_by_role("button", name="Score review").click()
    shown = page.locator("#review-result[aria-live] #predicted-label")
    assert shown.inner_text() == prediction["label"] == "negative"

    bars = page.locator(".bars li")
    assert bars.count() == len(answer["labels"])
    for bar in bars.all():
        probability = prediction["probabilities"][bar.locator(".name").inner_text()]
        assert abs(float(bar.locator(".value").inner_text().rstrip("%")) - 100 * probability) <= 0.05 + 1e-9
        fill, track = bar.locator(".fill").bounding_box(), bar.locator(".track").bounding_box()
        assert abs(fill["width"] - probability * track["width"]) <= 1.5

    marks = page.locator(".highlighted mark").all_inner_texts()
    strongest = max(prediction["explanation"]["spans"], key=lambda span: abs(span["weight"]))
    assert marks and strongest["text"] in marks
    assert page.locator(".highlighted").inner_text() == prediction["explanation"]["text"]
    assert answer["model"] in page.locator("#model-info").inner_text()
    assert visit.keys == {"/v1/model": None, "/v1/predict": None}  # no key field filled: no Authorization
    assert overflow(page) <= 0 and visit.outside == [] and visit.errors == []


def test_an_uploaded_csv_gives_its_summary_and_the_scored_file(visit, service, tmp_path):
    reviews = write_csv(tmp_path / "reviews.csv", REVIEWS)
    status, answer = score_file(service, reviews, "text/csv")
    assert status == 200 and answer["skipped"] == 1
    page = visit.page

    upload(page, reviews)
    link = page.get_by_role("link", name=f"Download {answer['filename']}")
    assert page.locator("#file-rows").inner_text() == str(answer["rows"])
    assert page.locator("#file-skipped").inner_text() == "1"
    with page.expect_download() as started:
        link.click()
    download = started.value
    assert download.suggested_filename == answer["filename"] == "reviews.scored.csv"
    scored = Path(download.path()).read_text(encoding="utf-8")
    assert scored == answer["scored"]
    labels = pd.read_csv(io.StringIO(scored), keep_default_na=False)["predicted_label"]
    assert len(labels) == len(REVIEWS) and (labels != "").sum() == len(REVIEWS) - 1   # the empty one kept, unlabelled
    assert overflow(page) <= 0 and visit.outside == [] and visit.errors == []


def test_an_uploaded_json_lines_file_is_scored_too(visit, service, tmp_path):
    reviews = tmp_path / "reviews.jsonl"
    reviews.write_text("".join(json.dumps(row) + "\n" for row in REVIEWS), encoding="utf-8")
    status, answer = score_file(service, reviews, "application/x-ndjson")
    assert status == 200
    page = visit.page

    page.get_by_text("API key (optional)").click()
    page.get_by_label("API key").fill("a-key-the-service-does-not-need")
    upload(page, reviews)
    with page.expect_download() as started:
        page.get_by_role("link", name=f"Download {answer['filename']}").click()
    assert Path(started.value.path()).read_text(encoding="utf-8") == answer["scored"]
    assert visit.keys["/v1/score-file"] == "Bearer a-key-the-service-does-not-need"
    assert page.locator("#file-skipped").inner_text() == str(answer["skipped"]) == "1"
    assert visit.outside == [] and visit.errors == []


def test_the_services_error_is_shown_as_text(visit, service, tmp_path):
    reviews = write_csv(tmp_path / "comments.csv", [{"comment": row["review"]} for row in REVIEWS])
    status, answer = score_file(service, reviews, "text/csv")
    assert status == 422 and isinstance(answer["detail"], str)
    page = visit.page

    upload(page, reviews)
    alert = page.locator("#file-result[aria-live] [role=alert]")
    assert answer["detail"] in alert.inner_text()
    assert page.get_by_role("link", name="Download").count() == 0
    assert visit.outside == [] and overflow(page) <= 0
    assert len(visit.errors) == 1 and "422" in visit.errors[0]     # the browser's own note of the failed request


def test_the_harness_sees_an_outside_request_and_the_policy_blocks_one(browser, service):
    """The checks above can fail: a request to another origin is caught by the route, and on the served
    page (under the service's Content-Security-Policy) it is refused, which the console reports."""
    seen = open_page(browser, service, path=None)
    seen.page.set_content('<img src="https://example.com/pixel.png" alt="">')
    assert seen.outside == ["https://example.com/pixel.png"]
    seen.page.context.close()

    seen = open_page(browser, service)
    seen.page.evaluate("fetch('https://example.com/track').catch(() => null)")
    seen.page.wait_for_timeout(100)
    assert seen.outside == [] and any("Content Security Policy" in error for error in seen.errors)
    seen.page.context.close()
