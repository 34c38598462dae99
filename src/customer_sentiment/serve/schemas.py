"""The JSON the service takes and gives, as pydantic models: they validate requests (wrong types and
unknown keys get FastAPI's standard 422) and write the OpenAPI schema that /docs shows."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator


class PredictRequest(BaseModel):
    """Texts to label; optionally each label's explanation, and probabilities without calibration."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"texts": ["Works great, the battery lasts all day.", "Broke after a week."]}]})

    texts: list[StrictStr] = Field(min_length=1, description="The reviews, one string each (limits: --max-texts, "
                                                             "--max-text-chars).")
    explain: StrictBool = Field(False, description="Add each review's explanation: the words toward and against its "
                                                   "label (at most --max-explain-texts texts).")
    top: StrictInt = Field(5, ge=1, le=50, description="Phrases listed on each side of an explanation.")
    calibrated: StrictBool = Field(True, description="Calibrated probabilities (temperature scaling fitted on "
                                                     "validation reviews); false gives the raw softmax.")

    @field_validator("texts")
    @classmethod
    def _utf8(cls, texts: list[str]) -> list[str]:
        for i, text in enumerate(texts):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:          # a lone surrogate such as "\ud800": JSON allows it, UTF-8 does not
                raise ValueError(f"texts[{i}] is not valid Unicode (it holds a lone surrogate)") from None
        return texts


class Prediction(BaseModel):
    label: str = Field(description="The most probable label.")
    probabilities: dict[str, float] = Field(description="Each label's probability, in the order of `labels`.")
    explanation: dict[str, Any] | None = Field(None, description="With explain: the review as read, its spans "
                                                                 "{start, end, text, weight}, the phrases toward and "
                                                                 "against its label.")


class PredictResponse(BaseModel):
    model: str = Field(description="The model's architecture.")
    labels: list[str]
    calibrated: bool
    predictions: list[Prediction]


class ScoreFileResponse(BaseModel):
    filename: str = Field(description="A name for the scored file: <stem>.scored.csv.")
    rows: int = Field(description="Rows read (and written).")
    skipped: int = Field(description="Rows without review text: kept, with an empty predicted_label.")
    counts: dict[str, int] = Field(description="Reviews per predicted label.")
    scored: str = Field(description="The scored CSV, as `customer-sentiment predict` writes it.")


class Problem(BaseModel):
    detail: str = Field(description="What went wrong, what was expected, and the fix.")


class Status(BaseModel):
    status: str
    detail: str | None = None


def problem(description: str) -> dict:
    """An OpenAPI `responses` entry for an error answered as {"detail": "..."}."""
    return {"model": Problem, "description": description}
