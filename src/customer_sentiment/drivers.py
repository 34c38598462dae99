"""What drives the negative reviews of each product: the terms over-represented in its negative sentences
(or reviews) against its positive ones, and the terms of new complaints after a change (their evidence).

Counting streams: `DriverCounts.add` takes one chunk of units (group, period, label, text) at a time and
keeps, per (group, period, side), how many units contain each term, so memory grows with the vocabulary,
groups and periods, not with the rows. A unit is a review (`add`, with the labels of a scored file) or a
sentence (`add_sentences`, each labelled by a model). Terms are words and 2-3-word phrases (`text.terms`),
each counted once per unit. Past 2 * max_terms distinct terms, all but the max_terms in most units are
dropped (`pruned_below` says the most units a dropped term had: a term that returns restarts from 0).

Terms are ranked by the z-score of their log-odds ratio with an informative Dirichlet prior (Monroe,
Colaresi & Quinn 2008, "Fightin' words"): the prior gives each term its share of all counted units of
every group (the background), with a weight equal to the two sets compared, so a rare term moves little
and a term frequent on one side stands out. Listed: z >= Z_LISTED and MIN_COUNT units on the driving
side, leaving out a term that is part of the phrase of one listed higher, or always counted with it.
Undated units (period None or "") count for the drivers but on neither side of a change.

Results are JSON-ready:
- `drivers(group)`: {"group", "unit": "sentences" | "reviews", "negative_units", "positive_units", "periods",
  "terms": [{"term", "z", "negative", "positive", "rate_by_period"}]}; negative/positive: the group's units
  holding the term; rate_by_period: per 100 of the group's negative units in each of `periods` (dated ones).
- `change_evidence(group, onset)`: {"group", "onset", "unit", "before_units", "after_units",
  "terms": [{"term", "z", "before", "after", "rate_before", "rate_after"}], "examples": [{"text", "period",
  "terms"}]}: negative units from `onset` on against the dated ones before; rates per 100 negative units;
  examples are the sentences, from the onset on, that hold the listed terms (`terms`: which ones), taken
  from a sample of each period's negative units (the EXAMPLES_KEPT with the smallest hash of their text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import sparse

from .errors import CustomerSentimentError
from .text.sentences import split_sentences
from .text.terms import TermVocabulary, as_text_array, term_lengths

if TYPE_CHECKING:                # the pipeline (training, inference) is needed only to label sentences
    from .pipeline import SentimentPipeline

# A sentence counts on the side of its label only when the model is more sure of it than of all other labels
# together: "The basket is dishwasher safe." at 0.41 negative, 0.39 positive is no complaint.
SENTENCE_CONFIDENCE = 0.5
NEUTRAL_LABELS = ["neutral"]   # with positive_label None: on neither side (compared lower-cased)
MIN_COUNT = 3                  # units: a term seen twice is an anecdote, not a driver
Z_LISTED = 1.96                # descriptive: no correction for the thousands of terms compared
# The prior's total, as a multiple of the term counts compared. On the sample, 0.1 lists nothing for a fault
# new after a change (0 units before: a wide prior-less variance), and the raw background (Monroe's own
# choice, 6 to 9 times the data there) lists 1 or 2 terms for most products; 1 lists the faults the data holds.
PRIOR_WEIGHT = 1.0
MAX_TERMS = 1_000_000          # terms kept at a pruning
EXAMPLES_KEPT = 30             # negative units kept per (group, period) to quote as examples


def log_odds_z(counts_a, counts_b, background, prior_weight: float = PRIOR_WEIGHT) -> np.ndarray:
    """z-score of each term's log-odds ratio, set a against set b, with a Dirichlet prior proportional to
    `background` (Monroe et al. 2008, eqs. 16, 18-20). Positive: the term is over-represented in a.

    >>> z = log_odds_z([30, 10, 10], [10, 10, 30], [40, 20, 40])
    >>> [round(float(v), 2) for v in z]
    [3.02, 0.0, -3.02]
    """
    a, b, background = (np.asarray(x, dtype=float) for x in (counts_a, counts_b, background))
    alpha = prior_weight * (a.sum() + b.sum()) * background / max(background.sum(), 1.0)
    alpha_total = alpha.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = (np.log(a + alpha) - np.log(a.sum() + alpha_total - a - alpha)
                 - np.log(b + alpha) + np.log(b.sum() + alpha_total - b - alpha))
        z = delta / np.sqrt(1 / (a + alpha) + 1 / (b + alpha))
    return np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0)


def score_sentences(pipeline: SentimentPipeline, texts) -> pd.DataFrame:
    """The sentences of each text, labelled by `pipeline`: `review`, `start`, `end`, `sentence`, `label`,
    `probability` (of that label). One batch through the model for all sentences.

    >>> from customer_sentiment import SentimentPipeline, TrainingArguments
    >>> model = SentimentPipeline(training=TrainingArguments(epochs=8, seed=0), verbose=False).fit(
    ...     ["Love it", "Great taste", "It leaked", "Broke fast"] * 50, ["positive", "positive", "negative", "negative"] * 50)
    >>> score_sentences(model, ["Great taste. But it leaked!"])[["sentence", "label"]].values.tolist()
    [['Great taste.', 'positive'], ['But it leaked!', 'negative']]
    """
    sentences = split_sentences(texts)
    probabilities = pipeline.predict_proba(sentences["sentence"].tolist()) if len(sentences) else np.zeros((0, 1))
    best = probabilities.argmax(axis=1)
    sentences["label"] = pipeline.classes_[best] if len(sentences) else pd.Series(dtype=object)
    sentences["probability"] = probabilities[np.arange(len(best)), best].round(4)
    return sentences


class DriverCounts:
    """Term counts of negative and positive units per (group, period), added chunk by chunk.

    >>> texts = ["The heating element died.", "Crispy fries, love it.", "The lid leaks.", "Sturdy and quiet."]
    >>> counts = DriverCounts().add(["fryer", "fryer", "kettle", "kettle"] * 20, ["2025-01"] * 40 + ["2025-02"] * 40,
    ...                             ["negative", "positive"] * 40, texts * 20)
    >>> counts.drivers("fryer")["terms"]
    [{'term': 'heating element died', 'z': 2.65, 'negative': 20, 'positive': 0, 'rate_by_period': [100.0, 100.0]}]
    """

    def __init__(self, negative_label: str = "negative", positive_label: str | None = "positive", ngram_max: int = 3,
                 max_terms: int = MAX_TERMS):
        self.negative_label, self.positive_label = negative_label, positive_label
        self.ngram_max, self.max_terms = ngram_max, max_terms
        self.unit: str | None = None
        self.pruned_below = 0                     # a term pruned with this many units may return undercounted
        self._words, self._cells = TermVocabulary(), {}   # (group, period) -> cell; rows 2 * cell (negative), + 1
        self._keys, self._index = np.zeros(0, np.int64), None          # (terms,) each column's term, its index
        self._counts = sparse.csr_matrix((0, 0), dtype=np.int64)     # (rows, terms): units containing the term
        self._units = np.zeros(0, np.int64)                           # (rows,)
        self._examples = pd.DataFrame({"cell": pd.Series(dtype="int64"), "hash": pd.Series(dtype="uint64"),
                                       "text": pd.Series(dtype=object)})

    def add(self, groups, periods, labels, texts, unit: str = "reviews") -> DriverCounts:
        """Count one chunk: a unit's group, period (e.g. "2025-10"; None when undated), label and text.
        Units with a label neither negative nor positive are left out; with `positive_label` None, every
        label but the negative one and "neutral" is the positive side."""
        if self.unit not in (None, unit):
            raise ValueError(f"these counts are of {self.unit}; add {unit} to another DriverCounts")
        self.unit = unit
        labels = pd.Series(np.asarray(labels, dtype=object)).fillna("").to_numpy()
        negative = labels == self.negative_label
        other = ((labels != "") & ~np.isin(np.char.lower(labels.astype(str)), NEUTRAL_LABELS) if self.positive_label is None
                 else labels == self.positive_label)
        keep = np.flatnonzero(negative | other)
        cells = self._cell_ids(np.asarray(groups, dtype=object)[keep], _as_periods(periods, len(labels))[keep])
        rows = 2 * cells + (~negative[keep]).astype(np.int64)
        texts = as_text_array(texts).take(pa.array(keep))
        self._count(rows, texts)
        self._keep_examples(cells[negative[keep]], texts.filter(pa.array(negative[keep])))
        return self

    def add_sentences(self, pipeline: SentimentPipeline, groups, periods, texts) -> DriverCounts:
        """Count one chunk of reviews by sentence, each sentence labelled by `pipeline`; a sentence whose
        label has a calibrated probability under SENTENCE_CONFIDENCE sits on neither side."""
        if self.negative_label not in pipeline.classes_:
            raise CustomerSentimentError(f"Label '{self.negative_label}' is not one the model predicts",
                                         found=", ".join(map(str, pipeline.classes_)),
                                         fix="Pass --negative-label with one of the model's labels.")
        sentences = score_sentences(pipeline, texts)
        review = sentences["review"].to_numpy()
        periods = _as_periods(periods, len(groups))
        labels = sentences["label"].where(sentences["probability"] >= SENTENCE_CONFIDENCE, None)
        return self.add(np.asarray(groups, dtype=object)[review], periods[review], labels,
                        sentences["sentence"], unit="sentences")

    def _cell_ids(self, groups: np.ndarray, periods: np.ndarray) -> np.ndarray:
        group_codes, group_names = pd.factorize(np.asarray(groups, dtype=object).astype(str))
        period_codes, period_names = pd.factorize(np.asarray(periods, dtype=object))
        codes, pairs = pd.factorize(group_codes * max(len(period_names), 1) + period_codes)
        pairs = [(group_names[pair // len(period_names)], period_names[pair % len(period_names)]) for pair in pairs]
        cells = np.array([self._cells.setdefault(pair, len(self._cells)) for pair in pairs], dtype=np.int64)
        return cells[codes] if len(codes) else np.zeros(0, np.int64)

    def _count(self, rows: np.ndarray, texts: pa.Array) -> None:
        units, keys = self._words.term_keys(texts, self.ngram_max)
        codes, distinct = pd.factorize(keys)
        pairs = pd.unique(units * max(len(distinct), 1) + codes)                # a term once per unit
        unit, code = np.divmod(pairs, max(len(distinct), 1))
        column = self._columns(distinct)[code]
        shape = (2 * len(self._cells), len(self._keys))
        self._units = np.pad(self._units, (0, shape[0] - len(self._units))) + np.bincount(rows, minlength=shape[0])
        self._counts.resize(shape)
        self._counts = self._counts + sparse.csr_matrix((np.ones(len(pairs), np.int64), (rows[unit], column)),
                                                        shape=shape)
        if len(self._keys) > 2 * self.max_terms:
            self._prune()

    def _columns(self, keys: np.ndarray) -> np.ndarray:
        """The column of each distinct key; new keys get new columns, in the order given."""
        if self._index is None:
            self._index = pd.Index(self._keys)
        columns = self._index.get_indexer(keys)
        new = np.flatnonzero(columns < 0)
        columns[new] = len(self._keys) + np.arange(len(new))
        if len(new):
            self._keys, self._index = np.concatenate([self._keys, keys[new]]), None
        return columns

    def _prune(self) -> None:
        """Keep the max_terms terms in most units (ties: first seen); the rest start from 0 if seen again."""
        totals = np.asarray(self._counts.sum(axis=0)).ravel()
        order = np.argsort(-totals, kind="stable")
        keep, dropped = np.sort(order[:self.max_terms]), order[self.max_terms:]
        self.pruned_below = max(self.pruned_below, int(totals[dropped].max(initial=0)))
        self._counts, self._keys, self._index = self._counts[:, keep], self._keys[keep], None

    def _keep_examples(self, cells: np.ndarray, texts: pa.Array) -> None:
        new = pd.DataFrame({"cell": cells, "text": texts.to_pylist()})
        new["hash"] = pd.util.hash_pandas_object(new["text"], index=False).to_numpy()
        kept = pd.concat([self._examples, new[["cell", "hash", "text"]]], ignore_index=True)
        kept = kept.drop_duplicates(["cell", "hash"]).sort_values(["cell", "hash"], kind="stable")
        self._examples = kept[kept.groupby("cell").cumcount() < EXAMPLES_KEPT].reset_index(drop=True)

    # ------------------------------------------------------------------ results

    def drivers(self, group: str, top: int = 10) -> dict:
        """The terms driving `group`'s negative units against its positive ones, each with its rate per 100
        negative units in each dated period (`periods`), oldest first (schema: see the module)."""
        cells = np.array([cell for (name, _), cell in self._cells.items() if name == group], dtype=np.int64)
        negative, positive = self._sum(2 * cells), self._sum(2 * cells + 1)
        z = log_odds_z(negative, positive, self._sum())
        listed = self._top(z, negative, top, np.r_[2 * cells, 2 * cells + 1])
        dated = sorted((period, 2 * cell) for (name, period), cell in self._cells.items() if name == group and period)
        rows = np.array([row for _, row in dated], dtype=np.int64)
        rates = 100 * self._counts[rows][:, [i for i, _ in listed]].toarray() / np.maximum(self._units[rows], 1)[:, None]
        return {"group": group, "unit": self.unit, "negative_units": int(self._units[2 * cells].sum()),
                "positive_units": int(self._units[2 * cells + 1].sum()), "periods": [period for period, _ in dated],
                "terms": [{"term": term, "z": round(float(z[i]), 2), "negative": int(negative[i]),
                           "positive": int(positive[i]), "rate_by_period": rates[:, k].round(2).tolist()}
                          for k, (i, term) in enumerate(listed)]}

    def change_evidence(self, group: str, onset: str, top: int = 10, examples: int = 3) -> dict:
        """The terms of `group`'s negative units from `onset` on, against its dated ones before, with
        examples (schema: see the module); `onset` as `changes.detect_changes` gives it."""
        periods = {cell: period for (name, period), cell in self._cells.items() if name == group}
        before = np.array([c for c, period in periods.items() if "" < period < onset], dtype=np.int64)
        after = np.array([c for c, period in periods.items() if period >= onset], dtype=np.int64)
        counts_before, counts_after = self._sum(2 * before), self._sum(2 * after)
        units_before, units_after = int(self._units[2 * before].sum()), int(self._units[2 * after].sum())
        z = log_odds_z(counts_after, counts_before, self._sum())
        z[counts_after * max(units_before, 1) <= counts_before * units_after] = 0.0     # only rates that rose
        listed = self._top(z, counts_after, top, np.r_[2 * before, 2 * after])
        terms = [{"term": term, "z": round(float(z[i]), 2), "before": int(counts_before[i]), "after": int(counts_after[i]),
                  "rate_before": round(100 * float(counts_before[i]) / max(units_before, 1), 2),
                  "rate_after": round(100 * float(counts_after[i]) / max(units_after, 1), 2)} for i, term in listed]
        return {"group": group, "onset": onset, "unit": self.unit, "before_units": units_before,
                "after_units": units_after, "terms": terms,
                "examples": self._quotes(after, listed, periods, examples)}

    def _sum(self, rows: np.ndarray | None = None) -> np.ndarray:
        counts = self._counts if rows is None else self._counts[rows]
        return np.asarray(counts.sum(axis=0)).ravel()

    def _top(self, z: np.ndarray, counts: np.ndarray, top: int, rows: np.ndarray) -> list[tuple[int, str]]:
        """The `top` terms by z (at equal z the longer first), leaving out a term that is one finding with one
        listed higher: both pieces of one listed phrase, or overlapping ("food comes" / "comes out soggy"),
        or counted alike in each compared row (parts of a longer fixed phrase)."""
        listed = np.flatnonzero((z >= Z_LISTED) & (counts >= MIN_COUNT))
        candidates = listed[np.lexsort((-term_lengths(self._keys[listed]), -z[listed]))][:50 * top]
        cells = self._counts[rows][:, candidates].T.toarray()                  # (candidates, rows)
        terms = [self._words.term(key) for key in self._keys[candidates]]
        phrases: dict[str, set[str]] = {}                                       # piece -> listed phrases holding it
        for term in terms:
            words = term.split()
            for start, end in [(s, e) for s in range(len(words)) for e in range(s + 1, len(words) + 1)]:
                phrases.setdefault(" ".join(words[start:end]), set()).add(term)
        picked: list[tuple[int, int, str]] = []
        for j, (i, term) in enumerate(zip(candidates, terms, strict=True)):
            if not any(phrases[term] & phrases[other] or _overlap(term.split(), other.split())
                       or np.array_equal(cells[j], cells[k]) for k, _, other in picked):
                picked.append((j, int(i), term))
            if len(picked) == top:
                break
        return [(i, term) for _, i, term in picked]

    def _quotes(self, cells: np.ndarray, listed: list[tuple[int, str]], periods: dict, n: int) -> list[dict]:
        """Up to n kept negative units of these cells holding a listed term, the first-listed term first,
        each as its sentences that hold listed terms."""
        kept = self._examples[self._examples["cell"].isin(cells)].sort_values("hash").reset_index(drop=True)
        names = dict(zip(self._keys[[i for i, _ in listed]].tolist(), [term for _, term in listed], strict=True))
        found = self._terms_in(kept["text"], names)
        chosen: list[int] = []
        for _, term in listed:
            unit = next((u for u in found.loc[found["term"] == term, "unit"] if u not in chosen), None)
            if unit is not None and len(chosen) < n:
                chosen.append(unit)
        quotes = []
        for unit in chosen:
            text = kept.at[unit, "text"]
            sentences = split_sentences([text])["sentence"]
            holding = self._terms_in(sentences, names)
            quotes.append({"text": " ".join(sentences[sorted(set(holding["unit"]))]) or text,
                           "period": periods[kept.at[unit, "cell"]],
                           "terms": [term for _, term in listed if term in set(holding["term"])]})
        return quotes

    def _terms_in(self, texts, names: dict[int, str]) -> pd.DataFrame:
        """(unit, term) for each text's terms among `names` (key -> term)."""
        units, keys = self._words.term_keys(as_text_array(texts), self.ngram_max)
        return pd.DataFrame({"unit": units, "term": pd.Series(keys, dtype="int64").map(names)}).dropna()


def _overlap(a: list[str], b: list[str]) -> bool:
    """Whether one term's last words are the other's first ones: pieces of one longer phrase."""
    return any(a[-k:] == b[:k] or b[-k:] == a[:k] for k in range(1, min(len(a), len(b))))


def _as_periods(periods, n: int) -> np.ndarray:
    """Periods as strings, "" for undated units (counted, but in no before or after)."""
    if periods is None:
        return np.full(n, "", dtype=object)
    return pd.Series(np.asarray(periods, dtype=object)).astype("string").fillna("").to_numpy(dtype=object)
