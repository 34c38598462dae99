"""`create_app`: the FastAPI application of `customer-sentiment serve`.

Routes: POST /v1/predict (micro-batched), POST /v1/score-file, GET /v1/model, the probes /livez and
/readyz, /metrics (Prometheus), /docs (Swagger UI, served from this package: no CDN), and the page at
/ with its files under /static. Middleware, outermost first: security headers, the access log (request
id, one JSON line, request metrics), the API key, the arrivals count of micro-batching, the body limit.
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from .._version import __version__
from ..errors import CustomerSentimentError
from .batching import CountArrivals, Overloaded, TimedOut
from .files import UnsupportedFile, score_upload, scored_name, upload_suffix
from .limits import BodyLimit, PayloadTooLarge
from .logs import AccessLog
from .metrics import ServeMetrics
from .predicting import predict_texts
from .schemas import PredictRequest, PredictResponse, ScoreFileResponse, Status, problem
from .security import ApiKey, SecurityHeaders
from .service import NotReady, Service
from .settings import ServeSettings

STATIC = Path(__file__).parent / "static"
ROUTES = {"/", "/livez", "/readyz", "/metrics", "/docs", "/openapi.json", "/v1/predict", "/v1/score-file", "/v1/model"}
UNAUTHORIZED = {401: problem("No API key, or a wrong one (only when the service has --api-key-file).")}
BUSY = {503: problem("Not ready, overloaded (queue full) or timed out; retry after the Retry-After header's seconds.")}
STATUS_OF = [(PayloadTooLarge, 413), (UnsupportedFile, 415), (CustomerSentimentError, 422), (Overloaded, 503),
             (TimedOut, 503), (NotReady, 503)]


def create_app(model_dir: str | Path, settings: ServeSettings | None = None) -> FastAPI:
    """The service for the model in `model_dir`; it loads and warms the model up when it starts (lifespan).

    >>> app = create_app("models/sample")          # loads nothing yet
    >>> sorted(route for route in ("/v1/predict", "/readyz") if route in {r.path for r in app.routes})
    ['/readyz', '/v1/predict']
    """
    settings = settings or ServeSettings()
    metrics = ServeMetrics(ROUTES)
    service = Service(model_dir, settings, metrics)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPIOffline(title="customer-sentiment", version=__version__, lifespan=lifespan, redoc_url=None,
                         static_url="/docs-assets", description="Sentiment of customer reviews: labels, "
                         "calibrated probabilities and explanations, from a model trained with customer-sentiment.")
    app.state.service = service
    _add_error_answers(app, metrics)
    _add_probes(app, service)
    _add_model_routes(app, service)
    _add_page(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, on_reject=lambda: metrics.reject("body_too_large"))
    app.add_middleware(CountArrivals, batcher=service.batcher)
    app.add_middleware(ApiKey, key=settings.api_key, on_reject=lambda: metrics.reject("unauthorized"))
    app.add_middleware(AccessLog, metrics=metrics)
    app.add_middleware(SecurityHeaders)
    return app


def _add_error_answers(app: FastAPI, metrics: ServeMetrics) -> None:
    """Our own errors as {"detail": "..."} with their status; 503s with Retry-After."""
    reasons = {Overloaded: "queue_full", TimedOut: "timeout", NotReady: "not_ready"}

    def answer(request: Request, error: Exception) -> JSONResponse:
        status = next(code for kind, code in STATUS_OF if isinstance(error, kind))
        headers = {"Retry-After": str(getattr(error, "retry_after", 1))} if status == 503 else None
        if type(error) in reasons:
            metrics.reject(reasons[type(error)])
        message = error.message if isinstance(error, CustomerSentimentError) else str(error)
        return JSONResponse({"detail": message}, status, headers=headers)

    for kind, _ in STATUS_OF:
        app.add_exception_handler(kind, answer)

    async def invalid(request: Request, error: RequestValidationError) -> Response:
        # FastAPI's own 422, written with ASCII escapes: its errors echo the input, and a lone surrogate
        # ("\ud800", valid in JSON, not in UTF-8) would otherwise make the answer itself fail (500).
        body = json.dumps({"detail": jsonable_encoder(error.errors())}, ensure_ascii=True)
        return Response(body, 422, media_type="application/json")

    app.add_exception_handler(RequestValidationError, invalid)


def _add_probes(app: FastAPI, service: Service) -> None:
    @app.get("/livez", response_model=Status, response_model_exclude_none=True, tags=["probes"])
    async def livez():
        """The process is up and answering (it may still be loading the model)."""
        return {"status": "alive"}

    @app.get("/readyz", response_model=Status, response_model_exclude_none=True, tags=["probes"],
             responses=BUSY)
    async def readyz():
        """The model is loaded and warmed up, and the service is not draining (SIGTERM): send it requests."""
        reason = service.not_ready_reason()
        if reason is not None:
            return JSONResponse({"status": "unavailable", "detail": reason}, 503, headers={"Retry-After": "1"})
        return {"status": "ready"}

    @app.get("/metrics", tags=["probes"], response_class=Response, responses=UNAUTHORIZED)
    async def metrics():
        """Requests, latency, batch sizes, queue depth and rejections, in Prometheus's text format."""
        body, content_type = service.metrics.render()
        return Response(body, media_type=content_type)


def _add_model_routes(app: FastAPI, service: Service) -> None:
    limits = {413: problem("Too many texts, a text too long, or a body over --max-body-bytes."),
              422: problem("Not what the schema asks, or a text with nothing to read."), **UNAUTHORIZED, **BUSY}

    @app.post("/v1/predict", response_model=PredictResponse, tags=["model"], responses=limits)
    async def predict(body: PredictRequest, request: Request):
        """Labels and probabilities of each text, micro-batched with concurrent requests; with `explain`, the
        words toward and against each label."""
        return await predict_texts(service, body, request.scope)

    @app.post("/v1/score-file", response_model=ScoreFileResponse, tags=["model"],
              responses={**limits, 415: problem("The file's format cannot be told.")},
              openapi_extra={"requestBody": {"required": True, "content": {
                  "text/csv": {"schema": {"type": "string"}}, "application/x-ndjson": {"schema": {"type": "string"}}}}})
    async def score_file(request: Request,
                         text_column: str | None = Query(None, max_length=500, description="Column with the review "
                                                         "text.", examples=["review"]),
                         filename: str | None = Query(None, max_length=500, description="The file's name: its "
                                                      "extension (.csv, .jsonl) tells the format."),
                         encoding: str = Query("utf-8", max_length=40, description="The file's text encoding.")):
        """Score a CSV or JSON Lines file sent as the body; the scored CSV comes back, as `predict` writes it."""
        pipeline = service.ready_pipeline()
        suffix = upload_suffix(filename, request.headers.get("content-type"))
        body = await request.body()
        result = await service.run_slow(score_upload, pipeline, body, suffix, text_column, encoding)
        return {"filename": scored_name(filename), **result}

    @app.get("/v1/model", tags=["model"], responses={**UNAUTHORIZED, **BUSY})
    async def model():
        """The model card: architecture, labels, metrics, the training data's fingerprint, runtime and limits."""
        service.ready_pipeline()
        return service.info


def _add_page(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")

    @app.get("/", include_in_schema=False)
    async def page():
        index = STATIC / "index.html"
        if not index.is_file():
            return JSONResponse({"detail": "This installation has no web page (static/index.html)."}, 404)
        return FileResponse(index, media_type="text/html")
