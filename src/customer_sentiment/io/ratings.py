"""Star ratings to labels: '1-2:negative,3:neutral,4-5:positive', with 'skip' to drop a range."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import CustomerSentimentError

SKIP = "skip"                          # the rating-map label that drops a rating (binary mode drops 3)
_EXAMPLE = "--rating-map '1-2:negative,3:neutral,4-5:positive'"


@dataclass(frozen=True)
class RatingMap:
    """Star ratings to labels, as inclusive ranges: '1-2:negative,3:neutral,4-5:positive'.

    A range mapped to 'skip' drops those ratings (counted, not silently): '3:skip' is binary mode.

    >>> RatingMap.parse("1-2:negative,3:skip,4-5:positive").label_of(4.0)
    'positive'
    """

    rules: tuple[tuple[float, float, str], ...]

    @classmethod
    def default(cls, binary: bool = False) -> RatingMap:
        return cls.parse(f"1-2:negative,3:{SKIP if binary else 'neutral'},4-5:positive")

    @classmethod
    def parse(cls, spec: str) -> RatingMap:
        rules = []
        for part in filter(None, (p.strip() for p in spec.split(","))):
            number = r"(-?\d+(?:\.\d+)?)"
            match = re.fullmatch(rf"{number}(?:\s*-\s*{number})?\s*:\s*(.+)", part)
            if not match:
                raise CustomerSentimentError(f"Rating map rule '{part}' is not a rule",
                                             expected="LOW-HIGH:LABEL or VALUE:LABEL", fix=f"Write e.g. {_EXAMPLE}.")
            low, high, label = match.group(1), match.group(2) or match.group(1), match.group(3).strip()
            rules.append((float(low), float(high), label))
        if not rules:
            raise CustomerSentimentError("The rating map is empty", expected="at least one rule",
                                         fix=f"Write e.g. {_EXAMPLE}.")
        return cls(tuple(rules))

    def label_of(self, rating: float) -> str | None:
        """The label of a rating; None if the map skips it; KeyError if no rule covers it."""
        for low, high, label in self.rules:
            if low <= rating <= high:
                return None if label == SKIP else label
        raise KeyError(rating)

    @property
    def labels(self) -> list[str]:
        return list(dict.fromkeys(label for _, _, label in self.rules if label != SKIP))

    def __str__(self) -> str:
        def number(x: float) -> str:
            return f"{x:g}"
        return ",".join(f"{number(lo)}{'' if lo == hi else '-' + number(hi)}:{label}" for lo, hi, label in self.rules)
