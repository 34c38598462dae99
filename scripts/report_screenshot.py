"""Render the HTML report of the bundled sample and save a screenshot of its top for the README.

    python scripts/report_screenshot.py                      # docs/report.png
    python scripts/report_screenshot.py --html report.html   # and keep the page

Trains the demo's model as customer_sentiment_analysis.py does (bag of embeddings, 10 epochs, seed 0),
scores the sample, renders the report with the held-out evaluation, and photographs it in headless
Chromium (Debian's, `apt-get install chromium`, driven by Playwright) with every request blocked: the
screenshot is of the page as it works offline. Fails if the page tried to fetch anything or logged an error.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from customer_sentiment import SentimentPipeline, TrainingArguments, read_reviews, split_indices, summarize
from customer_sentiment.html_report import write_html_report
from customer_sentiment.io import write_bytes

ROOT = Path(__file__).resolve().parent.parent


def sample_summary() -> dict:
    """The report's summary of sample_reviews.csv, labels from the demo's model, with its test metrics."""
    reviews = read_reviews(ROOT / "sample_reviews.csv", text_column="review", rating_column="rating")
    train_rows, test_rows = split_indices(reviews.labels, fraction=0.2, seed=0)
    train, test = reviews.subset(train_rows), reviews.subset(test_rows)
    pipeline = SentimentPipeline(model="bag_of_embeddings.v1", training=TrainingArguments(epochs=10, seed=0),
                                 verbose=False)
    pipeline.fit(train.texts, train.labels, data_info=train.info)
    probabilities = pipeline.predict_proba(reviews.texts)
    scored = reviews.frame.assign(predicted_label=pipeline.predict(reviews.texts),
                                  **{f"prob_{label}": probabilities[:, i] for i, label in enumerate(pipeline.labels_)})
    return summarize(scored, by="product", time_column="date", text_column="review", rating_column="rating",
                     pipeline=pipeline, evaluation=pipeline.evaluate(test))


def screenshot(page: Path, chromium: Path, width: int, height: int) -> bytes:
    """A PNG of the page's first `height` pixels at `width`, every request but the page's own aborted."""
    from playwright.sync_api import sync_playwright

    url, refused, errors = page.resolve().as_uri(), [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True)
        tab = browser.new_page(viewport={"width": width, "height": height})
        tab.route("**/*", lambda route: route.continue_() if route.request.url == url
                  else (refused.append(route.request.url), route.abort()))
        tab.on("console", lambda message: message.type == "error" and errors.append(message.text))
        tab.goto(url, wait_until="load")
        png = tab.screenshot(type="png")
        browser.close()
    if refused or errors:
        raise SystemExit(f"The report is not self-contained: requests {refused}, console errors {errors}")
    return png


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "report.png", help="PNG to write (default: %(default)s).")
    parser.add_argument("--html", type=Path, help="Also keep the rendered page here (default: a temporary file).")
    parser.add_argument("--width", type=int, default=1280, help="Window width in pixels (default: %(default)s).")
    parser.add_argument("--height", type=int, default=1760, help="How much of the page's top (default: %(default)s).")
    parser.add_argument("--chromium", type=Path, default=Path("/usr/bin/chromium"), help="(default: %(default)s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        page = write_html_report(sample_summary(), args.html or Path(folder) / "report.html")
        png = screenshot(page, args.chromium, args.width, args.height)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(args.output, png)
    print(f"Wrote {args.output} ({len(png) / 1024:.0f} KB) from {page}")


if __name__ == "__main__":
    main()
