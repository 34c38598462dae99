"""The report's sections on how far the labels can be trusted: star ratings against what the words say,
example reviews with the phrases that decided their label, and the model's evaluation with a
reliability diagram.
"""

from __future__ import annotations

from .charts import reliability_chart
from .markup import Markup, highlighted, join, percent, table, tag
from .sections import Section, figure_block

SHOWN = 6                    # examples shown before the rest are folded away


def stars_vs_words(summary: dict) -> Section | None:
    """Per group, the reviews whose stars and words disagree, and examples of them."""
    block = summary.get("stars_vs_words")
    if not block:
        return None
    rows = [[group["name"], f"{group['reviews']:,}", f"{group['star_average']:.2f}",
             f"{group['high_stars_negative_text']:,}", f"{group['low_stars_positive_text']:,}"]
            for group in block["groups"]]
    parts = [table([summary["by"], "reviews", f"average {block['rating_column']}", "high stars, negative words",
                    "low stars, positive words"], rows, numeric=(1, 2, 3, 4))]
    quotes = []
    for example in block.get("examples", []):
        rating = f"{example['rating']:g}" if isinstance(example["rating"], int | float) else example["rating"]
        note = (f"{example['group']} · {block['rating_column']} {rating} · the words say {example['label']} "
                f"({example['probability']:.2f})")
        quotes.append(tag("blockquote", tag("p", example["text"]), tag("footer", note)))
    if quotes:
        parts += [tag("h3", "Where they disagree, for example"), join(quotes[:SHOWN])]
    if len(quotes) > SHOWN:         # the rest folded away: <details> opens without a script
        parts.append(tag("details", tag("summary", f"{len(quotes) - SHOWN:,} more"), join(quotes[SHOWN:])))
    return Section("stars-vs-words", "Stars against words", join(parts))


def explanations(summary: dict) -> Section | None:
    """Example reviews with the spans that pushed toward (or against) their label highlighted."""
    examples = summary.get("explained_examples") or []
    if not examples:
        return None
    legend = tag("p", "Highlighted: ", tag("mark", "toward the label", cls="toward strong", style="--w:0.6"), " and ",
                 tag("mark", "against it", cls="against strong", style="--w:0.6"), "; the stronger the shade, the larger "
                 "the phrase's share of the decision (underlined: at least half the strongest's).", cls="note")
    cards = [legend]
    for example in examples:
        phrases = [tag("li", f"{item['phrase']} ({item['weight']:+.2f})") for item in example.get("toward", [])]
        against = [tag("li", f"{item['phrase']} ({item['weight']:+.2f})") for item in example.get("against", [])]
        cards.append(tag("article",
                         tag("p", tag("strong", example["label"]), f" ({example['probability']:.2f}), explained by "
                                  f"{example['method']}", cls="note"),
                         tag("blockquote", tag("p", highlighted(example["text"], example.get("spans", [])))),
                         tag("div", _phrase_list("Toward the label", phrases), _phrase_list("Against it", against),
                             cls="phrases"), cls="card"))
    return Section("explanations", "Example reviews, explained", join(cards))


def _phrase_list(title: str, items: list[Markup]) -> Markup:
    return tag("div", tag("h4", title), tag("ul", join(items))) if items else Markup("")


def evaluation(summary: dict) -> Section | None:
    """Accuracy, macro-F1, calibration (ECE, Brier, before and after), per class, the reliability
    diagram, and the accuracy left when the least confident reviews go to a person."""
    metrics = summary.get("evaluation")
    if not metrics:
        return None
    figures = [(f"{metrics['accuracy']:.3f}", "accuracy"), (f"{metrics['macro_f1']:.3f}", "macro-F1")]
    figures += [(f"{metrics[key]:.3f}", name) for key, name in (("ece", "ECE"), ("brier", "Brier")) if key in metrics]
    parts = [tag("div", join(tag("div", tag("strong", value), tag("span", name)) for value, name in figures),
                 cls="figures")]
    if "reviews" in metrics:
        parts.append(tag("p", f"On {metrics['reviews']:,} held-out reviews.", cls="note"))
    if "before_calibration" in metrics:
        before = metrics["before_calibration"]
        parts.append(tag("p", f"Before calibration: ECE {before['ece']:.3f}, Brier {before['brier']:.3f}.", cls="note"))
    rows = [[label, f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}", f"{row['support']:,}"]
            for label, row in metrics["per_class"].items()]
    parts.append(table(["label", "precision", "recall", "F1", "support"], rows, numeric=(1, 2, 3, 4), caption="Per class"))
    if metrics.get("reliability"):
        chart = reliability_chart("reliability", metrics["reliability"], "Reliability diagram")
        parts.append(figure_block(chart, "Reliability: of the reviews labelled with a given confidence, the share "
                                    "labelled right (on the diagonal when confidence can be taken at its word)"))
    if metrics.get("selective"):
        rows = [[f"{row['threshold']:g}", percent(row["sent_to_review"], 1), "-" if row["accuracy_of_the_rest"] is None
                 else f"{row['accuracy_of_the_rest']:.3f}"] for row in metrics["selective"]]
        parts.append(table(["top probability below", "sent to a person", "accuracy of the rest"], rows,
                           numeric=(0, 1, 2), caption="Selective prediction"))
    return Section("evaluation", "How good is the model", join(parts))
