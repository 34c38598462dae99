"""Change detection in each group's negative share: the most likely single shift, which way it went,
and whether it is more than noise once every split tried and every group tested is accounted for.

The input is a table of counts, one row per group and period (`reviews`, `negatives`); the result is
one JSON-ready dict per group with a significant change, most significant first. `insights.summarize`
builds the table from scored reviews and puts the result under `"changes"` in the report.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
from scipy.special import xlogy
from scipy.stats import false_discovery_control

# A share from fewer than 30 reviews has a standard error of 9 points or more (at 50 %): too unstable to
# act on as "the share before" or "after", and a shift that only the latest handful of reviews show is
# more likely the latest noise than a new trend. A group under 60 reviews is therefore never tested.
MIN_REVIEWS_EACH_SIDE = 30
# Benjamini-Hochberg across groups: of the changes reported, at most 5 % are expected to be false.
FALSE_DISCOVERY_RATE = 0.05
# Monte Carlo draws per group: the smallest p-value is 1 / 10,000, below what BH needs to report a change
# among up to 500 groups (0.05 / 500), at a cost of draws x periods per group (about 25 ms for 18 months,
# a tenth of that for a group far from significance: see EXCEEDANCES_TO_STOP).
PERMUTATIONS = 9_999
# Stop drawing once this many draws reach the observed statistic: the p-value is then known to about
# 1 / sqrt(50) = 14 % of itself, which is all a large p-value needs.
EXCEEDANCES_TO_STOP = 50
SEED = 0
Z_95 = 1.959963984540054                                # the standard normal's 97.5 % quantile


def wilson_interval(negatives, reviews, z: float = Z_95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a share (95 % by default): unlike share ± 1.96 SE, it stays inside
    [0, 1] and keeps its coverage for small counts and shares near 0 or 1.

    >>> low, high = wilson_interval(81, 263)             # 81 negative of 263 reviews (Newcombe 1998)
    >>> round(float(low), 4), round(float(high), 4)
    (0.2553, 0.3662)
    """
    k, n = np.asarray(negatives, dtype=float), np.asarray(reviews, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = k / n
        centre = (share + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z / (1 + z**2 / n) * np.sqrt(share * (1 - share) / n + z**2 / (4 * n**2))
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def split_statistics(negatives: np.ndarray, reviews: np.ndarray, min_each_side: int = MIN_REVIEWS_EACH_SIDE):
    """Binomial likelihood-ratio statistic of a shift after each period, for one or many count series.

    negatives: (..., periods) integers, reviews: (periods,). Returns (..., periods - 1): entry j compares
    periods 0..j with j+1..; splits leaving fewer than `min_each_side` reviews on a side are -inf.
    """
    reviews = np.asarray(reviews, dtype=np.int64)
    x_log_x = xlogy(np.arange(reviews.sum() + 1), np.arange(reviews.sum() + 1))   # looked up, not recomputed

    def log_likelihood(k, n):          # binomial, at the fitted share k / n, less its constant term
        return x_log_x[k] + x_log_x[n - k] - x_log_x[n]

    n_before = np.cumsum(reviews)[:-1]                                            # (splits,)
    n_total = reviews.sum()
    k_before = np.cumsum(negatives, axis=-1)[..., :-1]                            # (..., splits)
    k_total = negatives.sum(axis=-1, keepdims=True)                                # (..., 1)
    split = (log_likelihood(k_before, n_before) + log_likelihood(k_total - k_before, n_total - n_before)
             - log_likelihood(k_total, n_total))                                  # (..., splits)
    allowed = (n_before >= min_each_side) & (n_total - n_before >= min_each_side)
    return np.where(allowed, 2 * split, -np.inf)


def change_p_value(negatives: np.ndarray, reviews: np.ndarray, observed: float, rng: np.random.Generator,
                   permutations: int = PERMUTATIONS, min_each_side: int = MIN_REVIEWS_EACH_SIDE) -> float:
    """P-value of the largest split statistic, the search over splits included: a permutation test.

    Under no change, every review of the group is negative with the same chance whatever its period, so
    given the group's negatives, any assignment of them to its reviews is as likely as the one seen.
    Shuffling the labels across the group's reviews, keeping each period's number of reviews, draws the
    negatives per period from a multivariate hypergeometric distribution; each draw is searched over
    every allowed split exactly as the data was, so the p-value is that of the maximum, not of one
    pre-chosen split (a chi-square(1) p-value of the best split would be far too small). The test is
    exact given the counts (Monte Carlo error only): no large-sample approximation, no nuisance share.
    It assumes reviews are independent within a period; months more variable than that read as change.

    Draws stop once EXCEEDANCES_TO_STOP of them reach the observed statistic, with p = that number over
    the draws made (the sequential p-value of Besag & Clifford 1991, valid as it stands): a group far from
    significance costs about a tenth of the full `permutations`, which only small p-values need.
    """
    exceeded, drawn, batch = 0, 0, 1_000
    while drawn < permutations:
        size = min(batch, permutations - drawn)
        draws = rng.multivariate_hypergeometric(reviews, int(negatives.sum()), size=size)    # (size, periods)
        running = exceeded + np.cumsum(split_statistics(draws, reviews, min_each_side).max(axis=-1) >= observed - 1e-9)
        if running[-1] >= EXCEEDANCES_TO_STOP:
            return EXCEEDANCES_TO_STOP / (drawn + 1 + int(np.argmax(running >= EXCEEDANCES_TO_STOP)))
        exceeded, drawn = int(running[-1]), drawn + size
    return (exceeded + 1) / (permutations + 1)


def find_change(name: str, periods: list[str], negatives: np.ndarray, reviews: np.ndarray,
                min_each_side: int = MIN_REVIEWS_EACH_SIDE, permutations: int = PERMUTATIONS) -> dict | None:
    """The most likely change point of one group and its p-value; None when no split is allowed."""
    statistics = split_statistics(negatives, reviews, min_each_side)
    if statistics.size == 0 or not np.isfinite(statistics).any():
        return None
    best = int(np.argmax(statistics))
    k_before, n_before = int(negatives[: best + 1].sum()), int(reviews[: best + 1].sum())
    k_after, n_after = int(negatives.sum()) - k_before, int(reviews.sum()) - n_before
    rng = np.random.default_rng([SEED, zlib.crc32(name.encode())])     # a group's answer ignores the others
    before, after = k_before / n_before, k_after / n_after
    return {"group": name, "direction": "worse" if after > before else "better", "onset": periods[best + 1],
            "before_share": round(before, 4), "after_share": round(after, 4), "q_value": None,
            "p_value": change_p_value(negatives, reviews, float(statistics[best]), rng, permutations, min_each_side),
            "before_reviews": n_before, "after_reviews": n_after,
            "before_periods": f"{periods[0]}..{periods[best]}", "after_periods": f"{periods[best + 1]}..{periods[-1]}",
            "statistic": round(float(statistics[best]), 4)}


def detect_changes(counts: pd.DataFrame, false_discovery_rate: float = FALSE_DISCOVERY_RATE,
                   min_each_side: int = MIN_REVIEWS_EACH_SIDE, permutations: int = PERMUTATIONS) -> dict:
    """Test every group for a shift in its negative share and keep those significant at the stated FDR.

    `counts` has columns group, period (sortable: "2025-10"), reviews, negatives. Returns
    {"changes": [...], "tests": [...], "too_small": n}: changes sorted by q-value, q from Benjamini-Hochberg
    over the tested groups (those with an allowed split), whose results `tests` lists, significant or not.

    >>> counts = pd.DataFrame({"group": "fryer", "period": [f"2025-{m:02d}" for m in range(1, 13)],
    ...                        "reviews": 40, "negatives": [4] * 6 + [20] * 6})
    >>> change = detect_changes(counts)["changes"][0]
    >>> change["direction"], change["onset"], change["before_share"], change["after_share"]
    ('worse', '2025-07', 0.1, 0.5)
    """
    tests, too_small = [], 0
    for name, part in counts.sort_values(["group", "period"]).groupby("group", sort=True):
        result = find_change(str(name), part["period"].astype(str).tolist(), part["negatives"].to_numpy(np.int64),
                             part["reviews"].to_numpy(np.int64), min_each_side, permutations)
        if result is None:
            too_small += 1
        else:
            tests.append(result)
    if tests:
        q_values = false_discovery_control([t["p_value"] for t in tests], method="bh")
        for result, q in zip(tests, q_values, strict=True):
            result["q_value"] = round(float(q), 6)
    significant = [t for t in tests if t["q_value"] < false_discovery_rate]
    significant.sort(key=lambda t: (t["q_value"], t["p_value"], -t["statistic"], t["group"]))
    return {"changes": significant, "tests": tests, "too_small": too_small}
