"""Change detection: a shift found where there is one, with its onset and direction; noise left alone
at the stated false discovery rate; the demo's model on the bundled sample finds the sample's changes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest, chi2

from customer_sentiment.changes import (
    FALSE_DISCOVERY_RATE,
    MIN_REVIEWS_EACH_SIDE,
    detect_changes,
    split_statistics,
    wilson_interval,
)

from .conftest import SAMPLE, invoke

MONTHS = [f"{2025 + m // 12}-{m % 12 + 1:02d}" for m in range(18)]


def counts(groups: dict[str, tuple[list[int], list[int]]]) -> pd.DataFrame:
    """{group: (reviews per month, negatives per month)} as the table detect_changes reads."""
    rows = [(name, month, n, k) for name, (reviews, negatives) in groups.items()
            for month, n, k in zip(MONTHS, reviews, negatives, strict=False)]
    return pd.DataFrame(rows, columns=["group", "period", "reviews", "negatives"])


def noise(rng: np.random.Generator, groups: int, months: int = 12) -> pd.DataFrame:
    """Groups whose reviews are negative with one fixed chance each month: nothing changes."""
    out = {}
    for g in range(groups):
        reviews = rng.poisson(rng.uniform(8, 40), months) + 1
        out[f"g{g:03d}"] = (reviews.tolist(), rng.binomial(reviews, rng.uniform(0.05, 0.5)).tolist())
    return counts(out)


@pytest.mark.parametrize(("negatives", "reviews", "low", "high"), [
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)])
def test_wilson_interval_matches_newcombe_1998(negatives, reviews, low, high):
    got = wilson_interval(negatives, reviews)
    assert (round(float(got[0]), 4), round(float(got[1]), 4)) == (low, high)
    interval = binomtest(negatives, reviews).proportion_ci(method="wilson")
    assert np.allclose(got, (interval.low, interval.high))


def test_split_statistic_is_the_two_sample_likelihood_ratio():
    # 10 of 100 negative before, 30 of 100 after: G = 2 sum O log(O / E), E from the pooled share 0.2.
    observed, expected = np.array([10, 90, 30, 70]), np.array([20, 80, 20, 80])
    statistics = split_statistics(np.array([10, 30]), np.array([100, 100]))
    assert statistics.shape == (1,) and statistics[0] == pytest.approx(2 * np.sum(observed * np.log(observed / expected)))


def test_a_step_change_is_found_with_its_onset_and_direction():
    rng = np.random.default_rng(1)
    reviews = rng.poisson(60, 12) + 1
    worse = rng.binomial(reviews, np.where(np.arange(12) < 7, 0.15, 0.45))
    better = rng.binomial(reviews, np.where(np.arange(12) < 4, 0.5, 0.2))
    steady = rng.binomial(reviews, 0.3)
    found = detect_changes(counts({"fryer": (reviews, worse), "bank": (reviews, better), "kettle": (reviews, steady)}))
    assert sorted((c["group"], c["direction"], c["onset"]) for c in found["changes"]) == [
        ("bank", "better", "2025-05"), ("fryer", "worse", "2025-08")]
    fryer = next(c for c in found["changes"] if c["group"] == "fryer")
    assert fryer["before_share"] < 0.2 < 0.4 < fryer["after_share"] and fryer["q_value"] < FALSE_DISCOVERY_RATE
    assert fryer["before_reviews"] == reviews[:7].sum() and fryer["after_reviews"] == reviews[7:].sum()


def test_pure_noise_is_left_alone_and_p_values_are_uniform():
    """200 groups, no change anywhere: BH keeps false reports rare, and because the p-value accounts for
    the search over splits, about 5 % of groups have p < 0.05 (a chi-square(1) p-value of the best split
    would give several times that)."""
    flagged, small_p = [], []
    for seed in range(3):
        found = detect_changes(noise(np.random.default_rng(seed), 200))
        assert len(found["tests"]) == 200
        flagged.append(len(found["changes"]))
        small_p.append(np.mean([t["p_value"] < 0.05 for t in found["tests"]]))
        naive = np.mean([chi2.sf(t["statistic"], 1) < 0.05 for t in found["tests"]])
        assert naive > 0.15                      # the search over splits matters, so the test can fail
    assert max(flagged) <= 3 and np.mean(flagged) / 200 <= FALSE_DISCOVERY_RATE
    assert 0.02 <= np.mean(small_p) <= 0.08


def test_a_group_below_the_minimum_is_never_tested():
    # 50 reviews, all negative for the first 25 and none after: as stark as a change gets, but under 2 x 30.
    tiny = ([5] * 10, [5] * 5 + [0] * 5)
    # 200 reviews whose last month alone (20 reviews) turns: that month is too few to be "after".
    late = ([20] * 10, [2] * 9 + [20])
    found = detect_changes(counts({"tiny": tiny, "late": late}))
    assert found["too_small"] == 1 and [t["group"] for t in found["tests"]] == ["late"]
    assert found["tests"][0]["onset"] != "2025-10" and found["tests"][0]["after_reviews"] >= MIN_REVIEWS_EACH_SIDE


def test_the_same_counts_give_the_same_p_values():
    table = noise(np.random.default_rng(5), 5)
    assert detect_changes(table) == detect_changes(table.sample(frac=1, random_state=0))


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory) -> tuple[dict, pd.DataFrame]:
    """The sample scored by the model `customer_sentiment_analysis.py` trains (same split, same settings),
    then `predict` and `report --json` as a user runs them."""
    from customer_sentiment import SentimentPipeline, TrainingArguments, read_reviews, split_indices

    reviews = read_reviews(SAMPLE, text_column="review", rating_column="rating")
    train_rows, _ = split_indices(reviews.labels, fraction=0.2, seed=0)
    train = reviews.subset(train_rows)
    pipeline = SentimentPipeline(model="bag_of_embeddings.v1", training=TrainingArguments(epochs=10, seed=0),
                                 verbose=False).fit(train.texts, train.labels, data_info=train.info)
    folder = tmp_path_factory.mktemp("demo")
    pipeline.save(folder / "model")
    done = invoke("predict", folder / "model", SAMPLE, "--output", folder / "scored.csv", "--device", "cpu")
    assert done.returncode == 0, done.stderr
    done = invoke("report", folder / "scored.csv", "--by", "product", "--time-column", "date", "--rating-column",
                  "rating", "--model", folder / "model", "--html", folder / "report.html", "--json", folder / "summary.json")
    assert done.returncode == 0, done.stderr
    assert (folder / "report.html").stat().st_size > 10_000 and f"Wrote the report to {folder / 'report.html'}" in done.stderr
    return json.loads((folder / "summary.json").read_text()), pd.read_csv(SAMPLE)


def test_report_finds_the_sample_changes(demo_report):
    summary, _ = demo_report
    changes = {c["group"]: c for c in summary["changes"]}
    fryer, bank = changes["ChefPro Air Fryer"], changes["VoltMax Power Bank"]
    assert fryer["direction"] == "worse" and fryer["onset"] in {"2025-09", "2025-10", "2025-11"}
    assert bank["direction"] == "better" and bank["onset"] in {"2025-06", "2025-07", "2025-08"}
    assert "AeroBuds Pro" not in changes
    assert all(c["q_value"] < FALSE_DISCOVERY_RATE for c in summary["changes"])
    assert [c["q_value"] for c in summary["changes"]] == sorted(c["q_value"] for c in summary["changes"])
    assert set(summary["changes"][0]) >= {"group", "direction", "onset", "before_share", "after_share", "q_value"}


def test_the_air_fryers_new_complaints_name_its_heating_fault(demo_report):
    summary, _ = demo_report
    fryer = next(c for c in summary["changes"] if c["group"] == "ChefPro Air Fryer")
    evidence = fryer["evidence"]
    assert evidence["unit"] == "sentences" and evidence["onset"] == fryer["onset"]
    assert any("heating" in t["term"] for t in evidence["terms"][:3]), evidence["terms"]
    heating = next(t for t in evidence["terms"] if "heating" in t["term"])
    assert heating["rate_after"] > heating["rate_before"]
    assert any("heating" in quote["text"].lower() for quote in evidence["examples"])
    assert "evidence" not in next(c for c in summary["changes"] if c["direction"] == "better")
    drivers = {d["group"]: d for d in summary["drivers"]}
    assert set(drivers) >= {"ChefPro Air Fryer", "VoltMax Power Bank"}
    assert all(t["z"] >= 1.96 for t in drivers["ChefPro Air Fryer"]["terms"])


def test_the_report_explains_examples_and_keeps_the_models_evaluation(demo_report):
    summary, _ = demo_report
    explained = summary["explained_examples"]
    assert explained and all(e["method"] == "exact n-gram contributions" for e in explained)
    for example in explained:
        assert all(example["text"][s["start"]:s["end"]] == s["text"] for s in example["spans"])
        assert [example["text"][s["start"]:s["end"]] for s in example["sentences"]][0] in example["text"]
    assert summary["evaluation"]["split"] == "validation" and summary["evaluation"]["reliability"]
    assert summary["stars_vs_words"]["groups"] and summary["drivers_counted"]["reviews_counted"] == 2400


def test_every_listed_change_shows_in_the_star_ratings(demo_report):
    summary, reviews = demo_report
    month, low_stars = reviews["date"].str[:7], reviews["rating"] <= 2
    for change in summary["changes"]:
        product = reviews["product"] == change["group"]
        before = low_stars[product & (month < change["onset"])].mean()
        after = low_stars[product & (month >= change["onset"])].mean()
        assert (after > before) == (change["direction"] == "worse"), change["group"]


def test_the_report_prints_each_change_with_its_evidence():
    from customer_sentiment.display import print_summary
    from customer_sentiment.insights import summarize

    from .insights.test_summary import large_scored
    from .test_display import render, rows

    text = render(print_summary, summarize(large_scored(), by="product", time_column="date", text_column="review"))
    table = rows(text)
    header = table.index(["product", "change", "negative share before → after", "reviews before → after", "q"])
    assert table[header + 1][:4] == ["fryer", "▲ worse from 2025-07", "10% → 50%", "240 → 240"]
    assert float(table[header + 1][4]) < 0.05 and table[header + 2][0] == "product"     # one change, then drivers
    assert "fryer, new in negative reviews from 2025-07 (per 100): month 7 0 → 16.67" in text
    assert "1 of 2 product groups tested changed (false discovery rate 5%;" in " ".join(text.split())
