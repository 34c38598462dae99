"""POST /v1/predict: texts checked against the limits, scored through the micro-batcher, explained on
request, and answered with one label and one probability per label for each text.

Calibrated probabilities are the pipeline's `predict_proba`, as `customer-sentiment predict` writes
them. Explanations and raw (uncalibrated) probabilities are rarer and costlier: they bypass
micro-batching and run one request at a time beside it. With an ONNX runtime the labels come from
the exported graph and an explanation's weights from the PyTorch model it was exported from
(loaded beside it), whose probabilities the parity gate holds within 1e-4 (fp32).
"""

from __future__ import annotations

from ..explain import explain
from .limits import PayloadTooLarge, check_texts
from .logs import request_details
from .schemas import PredictRequest
from .service import Service, finite


async def predict_texts(service: Service, body: PredictRequest, scope) -> dict:
    """The answer to one /v1/predict request (see the module docstring)."""
    pipeline, settings = service.ready_pipeline(), service.settings
    details = request_details(scope)
    details["texts"] = len(body.texts)
    if settings.log_texts:
        details["review_texts"] = body.texts
    limit = min(settings.max_texts, settings.max_explain_texts) if body.explain else settings.max_texts
    try:
        check_texts(body.texts, limit, settings.max_text_chars, explain=body.explain and limit < settings.max_texts)
    except PayloadTooLarge:
        service.metrics.reject("too_many_texts")
        raise
    if body.calibrated:
        probabilities = await service.batcher.submit(body.texts, settings.timeout_s)
    else:
        probabilities = await service.run_slow(lambda: pipeline.predictor_.calibrated_and_raw(body.texts)[1])
    explanations = (finite(await service.run_slow(explain, pipeline, body.texts, body.top)) if body.explain
                    else [None] * len(body.texts))
    labels = list(pipeline.labels_)
    return {"model": pipeline.config_.get("architecture"), "labels": labels, "calibrated": body.calibrated,
            "predictions": [{"label": labels[int(row.argmax())],
                             "probabilities": {label: float(p) for label, p in zip(labels, row, strict=True)},
                             "explanation": explanation}
                            for row, explanation in zip(probabilities, explanations, strict=True)]}
