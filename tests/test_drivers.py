"""The terms that drive negative reviews: the log-odds z-score by hand, counts that stream, and on the
sample the air fryer's heating fault as the evidence of its change, from star labels and from sentences."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from customer_sentiment.drivers import MIN_COUNT, Z_LISTED, DriverCounts, log_odds_z, score_sentences
from customer_sentiment.errors import CustomerSentimentError

from .conftest import SAMPLE

FRYER, ONSET = "ChefPro Air Fryer", "2025-10"


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE)
    frame["period"] = frame["date"].str[:7]
    frame["label"] = frame["rating"].map({1: "negative", 2: "negative", 3: "neutral", 4: "positive", 5: "positive"})
    return frame


@pytest.fixture(scope="module")
def by_review(sample) -> DriverCounts:
    return DriverCounts().add(sample["product"], sample["period"], sample["label"], sample["review"])


# Sentences of four products (pySBD takes about 1.5 s for their 960 reviews): the fryer, the two others
# whose reviews mention heat, and one more.
SENTENCE_PRODUCTS = [FRYER, "VoltMax Power Bank", "SilkWave Hair Dryer", "PureAir Purifier"]


@pytest.fixture(scope="module")
def by_sentence(sample, sample_pipeline) -> DriverCounts:
    reviews = sample[sample["product"].isin(SENTENCE_PRODUCTS)]
    counts = DriverCounts()
    for start in range(0, len(reviews), 400):                          # in chunks, as the report reads
        part = reviews.iloc[start:start + 400]
        counts.add_sentences(sample_pipeline, part["product"], part["period"], part["review"])
    return counts


def test_log_odds_z_by_hand():
    # a = [30, 10, 10], b = [10, 10, 30]; prior = (50 + 50) * [0.4, 0.2, 0.4] = [40, 20, 40], total 100.
    delta = math.log(70 / (50 + 100 - 70)) - math.log(50 / (50 + 100 - 50))
    expected = delta / math.sqrt(1 / 70 + 1 / 50)
    z = log_odds_z([30, 10, 10], [10, 10, 30], [40, 20, 40])
    assert z[0] == pytest.approx(expected) and z[0] > 0
    assert z[1] == pytest.approx(0.0, abs=1e-12)                 # used alike: no driver
    assert z[2] == pytest.approx(-expected)                      # mirror image


def test_the_prior_keeps_a_rare_term_from_standing_out():
    """2 to 0 and 20 to 0 both have an infinite raw odds ratio; only the frequent term is a driver."""
    negative, positive = np.array([2, 20, 300]), np.array([0, 0, 300])
    z = log_odds_z(negative, positive, negative + positive)
    assert 0 < z[0] < Z_LISTED < z[1]
    weak = log_odds_z(negative, positive, negative + positive, prior_weight=0.01)
    assert weak[0] < z[0] < Z_LISTED                            # a weaker prior: no more confident either


def test_counts_added_in_chunks_equal_counts_added_at_once(sample, by_review):
    chunked = DriverCounts()
    shuffled = sample.sample(frac=1.0, random_state=0)
    for part in (shuffled.iloc[start:start + 350] for start in range(0, len(shuffled), 350)):
        chunked.add(part["product"], part["period"], part["label"], part["review"])
    for group in sample["product"].unique():
        assert chunked.drivers(group, top=30) == by_review.drivers(group, top=30)
        assert chunked.change_evidence(group, ONSET, top=30) == by_review.change_evidence(group, ONSET, top=30)


def test_pruning_bounds_the_terms_and_undercounts_by_at_most_pruned_below(sample, by_review):
    pruned = DriverCounts(max_terms=300)
    for part in (sample.iloc[start:start + 200] for start in range(0, len(sample), 200)):
        pruned.add(part["product"], part["period"], part["label"], part["review"])
    assert pruned.pruned_below > 0 and len(pruned._keys) <= 2 * 300
    exact = {t["term"]: t for t in by_review.drivers(FRYER, top=100)["terms"]}
    for term in pruned.drivers(FRYER, top=100)["terms"]:
        true = exact.get(term["term"])
        if true is not None:
            assert 0 <= true["negative"] - term["negative"] <= pruned.pruned_below


def test_fryer_drivers_from_star_labels_name_its_faults(by_review):
    found = by_review.drivers(FRYER)
    assert found["unit"] == "reviews" and found["negative_units"] == 140 and found["positive_units"] == 155
    terms = [t["term"] for t in found["terms"]]
    assert any("heating" in term for term in terms), terms
    assert all(t["z"] >= Z_LISTED and t["negative"] >= MIN_COUNT for t in found["terms"])
    assert not {"the", "it", "and", "was"} & set(terms)


@pytest.mark.parametrize("level", ["by_review", "by_sentence"])
def test_the_fryer_change_evidence_names_its_heating_fault(level, request):
    evidence = request.getfixturevalue(level).change_evidence(FRYER, ONSET)
    heating = next(t for t in evidence["terms"] if "heating" in t["term"])
    assert heating["rate_before"] == 0.0 and heating["rate_after"] >= 5.0 and heating["after"] >= 15
    assert evidence["examples"], "examples of the new complaints"
    for example in evidence["examples"]:
        assert example["period"] >= ONSET and example["terms"]
        assert all(re.search(re.escape(term).replace(r"\ ", r"\W+"), example["text"], re.I) for term in example["terms"])


@pytest.mark.parametrize("level", ["by_review", "by_sentence"])
def test_products_without_that_change_get_no_heating_term_as_new(level, request, sample):
    counts = request.getfixturevalue(level)
    # the power bank's "overheats" complaints fell after 2025-07
    for group in {name for name, _ in counts._cells} - {FRYER}:
        assert not [t["term"] for t in counts.change_evidence(group, ONSET)["terms"] if "heat" in t["term"]]


def test_sentence_units_split_mixed_reviews(by_sentence, by_review):
    fryer = by_sentence.drivers(FRYER)
    assert fryer["unit"] == "sentences"
    assert fryer["negative_units"] > by_review.drivers(FRYER)["negative_units"]
    assert any("heating" in t["term"] for t in fryer["terms"])


def test_a_mixed_review_shows_its_positive_and_its_negative_part(sample_pipeline, sample):
    text = "I love the taste of the fries, crispy and juicy every time. Sadly the heating element died after a month."
    assert text not in set(sample["review"])
    scored = score_sentences(sample_pipeline, [text])
    assert scored["sentence"].tolist() == [text[s:e] for s, e in zip(scored["start"], scored["end"], strict=True)]
    assert scored["label"].tolist() == ["positive", "negative"]
    assert ((scored["probability"] > 0) & (scored["probability"] <= 1)).all()


def test_neutral_and_undated_units_are_left_out_where_they_do_not_belong():
    counts = DriverCounts().add(["fryer"] * 8, [None, None, "2025-01", "2025-02", None, None, None, None],
                                ["negative"] * 4 + ["neutral"] * 4, ["The heating element died."] * 8)
    assert counts.drivers("fryer")["negative_units"] == 4 and counts.drivers("fryer")["positive_units"] == 0
    evidence = counts.change_evidence("fryer", "2025-02")
    assert (evidence["before_units"], evidence["after_units"]) == (1, 1)


def test_a_negative_label_the_model_does_not_predict_is_an_error(sample_pipeline):
    with pytest.raises(CustomerSentimentError, match=re.escape(
            "Label 'complaint' is not one the model predicts: found negative, neutral, positive. "
            "Pass --negative-label with one of the model's labels.")):
        DriverCounts("complaint").add_sentences(sample_pipeline, ["fryer"], None, ["It leaked."])


class _FixedModel:
    """A stand-in for a pipeline that gives each sentence the probabilities written in it."""

    classes_ = np.array(["negative", "neutral", "positive"])

    def predict_proba(self, sentences):           # "0.41 ..." : P(negative) 0.41, P(positive) 0.39, P(neutral) 0.2
        negative = np.array([float(s.split()[0]) for s in sentences])
        return np.stack([negative, np.full_like(negative, 0.2), 0.8 - negative], axis=1)


def test_a_sentence_the_model_is_unsure_of_sits_on_neither_side():
    texts = ["0.7 leaked badly. 0.41 basket washes fine.", "0.7 leaked again. 0.1 lovely colour. 0.39 meh."]
    counts = DriverCounts().add_sentences(_FixedModel(), ["fryer", "fryer"], None, texts)
    found = counts.drivers("fryer")
    assert (found["negative_units"], found["positive_units"]) == (2, 1)     # 0.41 and 0.39 (argmax < 0.5) are left out


def test_each_driver_term_has_its_rate_in_each_period():
    periods = ["2025-01"] * 4 + ["2025-02"] * 6 + [None] * 2 + ["2025-01"] * 10 + ["2025-01"] * 40
    labels = ["negative"] * 12 + ["positive"] * 10 + ["negative", "positive"] * 20
    texts = (["It leaked"] * 2 + ["Too loud"] * 2 + ["It leaked"] * 5 + ["Too loud"] + ["It leaked"] * 2
             + ["Lovely"] * 10 + ["Rusty lid", "Boils fast"] * 20)
    groups = ["fryer"] * 22 + ["kettle"] * 40
    found = DriverCounts().add(groups, periods, labels, texts).drivers("fryer", top=5)
    assert found["periods"] == ["2025-01", "2025-02"]          # the undated units count, in no period
    leaked = next(t for t in found["terms"] if t["term"] == "leaked")
    assert leaked["negative"] == 9 and leaked["rate_by_period"] == [50.0, 83.33]
