"""Stars against words: reviews whose text says the opposite of their star rating, counted per group.

A five-star review that reads "stopped working after a week, avoid" (a wrong click, or a rating
given before the fault) lifts the star average while the text complains; the reverse hides praise.
Where many reviews disagree, the star average misleads, and the text is the better guide.

A review counts when its stars map to one side (1-2 negative, 4-5 positive: the rating map of
`train --rating-column`) and the model puts the opposite label on its text with a calibrated
probability of at least `CONFIDENT` (the negative label against any label but it and "neutral").
Without probability columns in the scored file, the label alone decides (and the result says so).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..io import RatingMap, clean_texts

NEUTRAL = ["neutral"]            # labels on neither side; every other label but the negative one is positive text
CONFIDENT = 0.8                  # calibrated: about 8 in 10 such texts really are what the model says
EXAMPLES = 3


class StarsTally:
    """Per group: rated reviews, their star sum, and how many read opposite to their stars."""

    def __init__(self, rating_column: str, negative_label: str, rating_map: RatingMap | None = None):
        self.rating_column, self.negative = rating_column, negative_label
        self.map = rating_map or RatingMap.default()
        self.counts: pd.DataFrame | None = None
        self.examples: pd.DataFrame | None = None
        self.with_probabilities: bool | None = None

    def add(self, data: pd.DataFrame) -> None:
        # The file's columns decide, the same for every chunk: with probabilities if it has any.
        self.with_probabilities = any(str(column).startswith("prob_") for column in data.columns)
        rated = data[data["rating"].notna()]
        stars = self._star_sides(rated["rating"].to_numpy())
        confidence = self._text_confidence(rated)
        sure = confidence >= CONFIDENT
        text_negative = rated["label"].eq(self.negative).to_numpy()
        text_positive = ~text_negative & ~rated["label"].str.lower().isin(NEUTRAL).to_numpy()
        frame = pd.DataFrame({"group": rated["group"].to_numpy(), "rated": 1, "stars": rated["rating"].to_numpy(),
                              "high_stars_negative_text": (stars == 1) & text_negative & sure,
                              "low_stars_positive_text": (stars == -1) & text_positive & sure})
        counts = frame.groupby("group").sum()
        self.counts = counts if self.counts is None else self.counts.add(counts, fill_value=0)
        opposite = (frame["high_stars_negative_text"] | frame["low_stars_positive_text"]).to_numpy()
        if "text" in rated and opposite.any():
            found = rated[opposite].assign(probability=confidence[opposite])
            pool = found if self.examples is None else pd.concat([self.examples, found])
            self.examples = (pool.sort_values("probability", ascending=False, kind="stable")
                             .groupby("group", sort=False).head(EXAMPLES * 2))

    def result(self) -> dict:
        """JSON-ready: groups with the most opposite reviews first, and examples of them."""
        groups = []
        for name, row in (self.counts if self.counts is not None else pd.DataFrame()).iterrows():
            opposite = int(row["high_stars_negative_text"] + row["low_stars_positive_text"])
            groups.append({"name": str(name), "reviews": int(row["rated"]),
                           "star_average": round(float(row["stars"] / row["rated"]), 2),
                           "high_stars_negative_text": int(row["high_stars_negative_text"]),
                           "low_stars_positive_text": int(row["low_stars_positive_text"]),
                           "opposite_share": round(opposite / row["rated"], 4)})
        groups.sort(key=lambda g: (-(g["high_stars_negative_text"] + g["low_stars_positive_text"]), g["name"]))
        return {"rating_column": self.rating_column, "confident_at": CONFIDENT if self.with_probabilities else None,
                "groups": groups, "examples": self._examples()}

    def _star_sides(self, ratings: np.ndarray) -> np.ndarray:
        """+1 where the stars mean positive, -1 negative, 0 otherwise (neutral, skipped or off the scale)."""
        side = np.zeros(len(ratings), dtype=np.int8)
        for low, high, label in self.map.rules:
            inside = (ratings >= low) & (ratings <= high)
            side[inside] = 1 if label == "positive" else -1 if label == "negative" else 0
        return side

    def _text_confidence(self, rated: pd.DataFrame) -> np.ndarray:
        """The probability the model gave its own label (0 if the file has none for that label); 1 for
        every review where the file has no probabilities at all."""
        if not self.with_probabilities:
            return np.ones(len(rated))
        confidence = np.zeros(len(rated))
        for label in rated["label"].unique():
            if f"prob_{label}" in rated:
                mine = rated["label"].eq(label).to_numpy()
                confidence[mine] = np.nan_to_num(rated[f"prob_{label}"].to_numpy()[mine])
        return confidence

    def _examples(self) -> list[dict]:
        if self.examples is None:
            return []
        picked = self.examples.sort_values("probability", ascending=False, kind="stable").groupby("group").head(EXAMPLES)
        texts = clean_texts(picked["text"]).to_pylist()
        return [{"group": str(row["group"]), "text": text, "rating": float(row["rating"]), "label": str(row["label"]),
                 "probability": round(float(row["probability"]), 4)}
                for text, (_, row) in zip(texts, picked.iterrows(), strict=True)]
