"""The HTML report: the business summary of `insights.summarize` as one self-contained page that works
offline (charts inline as SVG, no scripts, nothing fetched) on a laptop and on a phone.

    write_html_report(summary, "report.html")      # atomic; returns the path
    render_html(summary)                            # the page as a string

Keys read (a section is shown only when its key is present and not empty):

- always: ``reviews``, ``labels``, ``by``, ``negative_label``, ``overall`` {label: share}, ``skipped``
  {reason: count}, ``groups`` [{name, reviews, shares {label: share}, negative_reviews}] -> Overview
- ``period``, ``periods`` [{name, reviews, shares, negative_reviews}] -> the overview's chart by period
- ``most_negative`` [{name, negative_reviews, reviews, negative_share, trend? [{period, reviews,
  negative_share, low, high}], change? (as in ``changes``, or None), examples [{text, date?,
  probability?}]}] -> Products
- ``change_test`` {groups_tested, groups_too_small, false_discovery_rate, min_reviews_each_side} and
  ``changes`` [{group, direction "worse"|"better", onset, before_share, after_share, before_reviews,
  after_reviews, q_value, examples?, evidence? (`drivers.DriverCounts.change_evidence`: {unit, before_units,
  after_units, terms [{term, z, before, after}] shown as "0 of 156 -> 39 of 436 sentences", examples [{text,
  period}]})}] -> Detected changes
- ``drivers`` [{group, unit "sentences"|"reviews", terms [{term, z, negative, positive}]}] (z > 0: more
  frequent in negative text; negative/positive: how many units mention it) -> What drives negative reviews
- ``stars_vs_words`` {rating_column, groups [{name, reviews, star_average, high_stars_negative_text,
  low_stars_positive_text}], examples [{text, rating, label, probability, group}]} -> Stars against words
- ``explained_examples`` [{text, label, probability, method, spans [{start, end, text, weight}] (character
  offsets into text; weight > 0 toward the label), toward [{phrase, weight}], against [...]}]
  -> Example reviews, explained
- ``evaluation``: the model's metrics {accuracy, macro_f1, per_class {label: {precision, recall, f1,
  support}}, reviews?, ece?, brier?, before_calibration? {ece, brier}, reliability? [{low, high, reviews,
  confidence, accuracy}], selective? [{threshold, sent_to_review, accuracy_of_the_rest}]} -> How good is the model

Section ids (for links and tests): overview, products, changes, drivers, stars-vs-words, explanations,
evaluation.
"""

from .page import render_html, write_html_report

__all__ = ["render_html", "write_html_report"]
