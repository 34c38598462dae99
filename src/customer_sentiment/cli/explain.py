"""`customer-sentiment explain`: the words that pushed each review toward its label and away from it,
highlighted in the terminal (green toward the label, red against; bold for the strongest)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from .. import display
from ..console import console, printable
from ..errors import CustomerSentimentError
from .common import DEVICE, ENCODING, Delimiter, Device, Encoding, JsonPath, ModelDir, TextColumn

LIMIT = 20


def explain(
    model_dir: ModelDir,
    review: Annotated[str, typer.Argument(help="A review's text, or a review file (.csv, .tsv, .jsonl, .parquet, "
                                               ".xlsx) whose first --limit reviews are explained.")],
    top: Annotated[int, typer.Option(min=1, help="Phrases shown toward and against each label.")] = 5,
    limit: Annotated[int, typer.Option(min=1, help="Reviews explained from a file (the first ones).")] = LIMIT,
    text_column: TextColumn = None,
    json_path: JsonPath = None,
    encoding: Encoding = ENCODING,
    delimiter: Delimiter = None,
    device: Device = DEVICE,
):
    """Explain predictions: the words and phrases toward and against each review's label, with signed weights.

    Weights are shares of the label's logit margin: exact for the bags, Layer Integrated Gradients for the others.
    """
    from ..explain import explain as explain_reviews
    from ..io import check_output_path, write_json
    from ..pipeline import SentimentPipeline

    if json_path:
        check_output_path(json_path)
    pipeline = SentimentPipeline.load(model_dir, device=device)
    texts = _reviews(review, pipeline, text_column, limit, encoding, delimiter)
    explanations = explain_reviews(pipeline, texts, top)
    for explanation in explanations:
        print_explanation(explanation)
    if json_path:
        write_json(json_path, explanations)
        console.print(f"Wrote {len(explanations):,} explanations to {json_path}")


def _reviews(review: str, pipeline, text_column: str | None, limit: int, encoding: str,
             delimiter: str | None) -> list[str]:
    """The review given as text, or the first `limit` reviews of the file it names."""
    from ..io import ReadOptions, read_reviews
    from ..settings import DataSettings, defaults_of

    path = Path(review)
    if not path.is_file():
        if not any(ch.isspace() for ch in review) and _names_a_format(review):
            raise CustomerSentimentError(f"There is no file {review}",
                                         fix="Check the path; to explain a review's text, pass the text itself.")
        if text_column:
            raise CustomerSentimentError("--text-column was given with a review's text, not a file",
                                         fix="Pass a review file, or drop --text-column.")
        if not review.strip():
            raise CustomerSentimentError("The review to explain is empty", expected="a review's text or a review file",
                                         fix='Pass the text in quotes, e.g. "Stopped heating after a week".')
        return [review]
    column = text_column or pipeline.config_.get("data", {}).get("text_column") or defaults_of(DataSettings)["text_column"]
    reviews = read_reviews(path, column, options=ReadOptions(encoding, delimiter))
    if len(reviews) > limit:
        console.print(f"Explaining the first {limit:,} of {len(reviews):,} reviews in {printable(review)} "
                      f"(--limit {limit:,}; raise it for more)", markup=False)
    return reviews.texts[:limit]


def print_explanation(explanation: dict) -> None:
    """The label and its probability, the review with its words highlighted, the top phrases each way."""
    out = display.stdout
    out.print(Text(printable(explanation["label"]), style="bold") +
              Text(f" {explanation['probability']:.2f}  ({explanation['method']})", style="dim"))
    out.print(highlighted(explanation), soft_wrap=True)          # the terminal wraps it; pipes get one line
    for side, style in (("toward", "green"), ("against", "red")):
        phrases = explanation[side]
        if phrases:
            line = Text(f"  {side}: ", style="dim")
            for i, phrase in enumerate(phrases):
                line += Text(", " if i else "") + Text(printable(phrase["phrase"]), style=style)
                line += Text(f" {phrase['weight']:+.3f}", style="dim")
            out.print(line, soft_wrap=True)
    out.print()


def highlighted(explanation: dict) -> Text:
    """The review as rich Text: each word's span coloured by its weight's sign, bold above half the largest."""
    text, spans = explanation["text"], explanation["spans"]
    strongest = max((abs(s["weight"]) for s in spans), default=0.0)
    shown, at = Text(), 0
    for span in spans:
        weight = span["weight"]
        style = ("green" if weight > 0 else "red") if weight else ""
        if strongest and abs(weight) >= strongest / 2:
            style = f"bold {style}"
        shown += Text(printable(text[at:span["start"]])) + Text(printable(text[span["start"]:span["end"]]), style=style)
        at = span["end"]
    return shown + Text(printable(text[at:]))


def _names_a_format(name: str) -> bool:
    from ..io import file_format

    try:
        file_format(name)
    except CustomerSentimentError:
        return False
    return True
