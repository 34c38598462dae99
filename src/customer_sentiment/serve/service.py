"""The model behind the service: loaded and warmed up in the background, then ready until it drains.

`/livez` answers as soon as the process serves; `/readyz` only once the model is loaded and has
scored a few reviews (the first call of a model is slow), and no longer once SIGTERM has started the
drain. A model that fails to load is logged, kept as `load_error`, and the runner stops the server.
"""

from __future__ import annotations

import asyncio
import math
import threading
from pathlib import Path

import numpy as np

from ..pipeline import SentimentPipeline
from .batching import MicroBatcher, Overloaded, TimedOut
from .logs import EVENTS
from .metrics import ServeMetrics
from .settings import ServeSettings

SLOW_WAITING = 8                # explanations and files waiting for their turn at most; more get 503
WARM_UP = ["Works great, the battery lasts all day.", "Broke after a week; avoid.", "It's okay."]


def load_pipeline(model_dir: str | Path, settings: ServeSettings) -> SentimentPipeline:
    """The model directory on the settings' device and runtime (onnx: the exported graph)."""
    return SentimentPipeline.load(model_dir, device=settings.device, runtime=settings.runtime)


class NotReady(Exception):
    """The model is not loaded (yet, or at all): answered 503 with Retry-After."""

    retry_after = 1


class Service:
    """The pipeline, its micro-batcher, and the state the probes report."""

    def __init__(self, model_dir: str | Path, settings: ServeSettings, metrics: ServeMetrics):
        self.model_dir, self.settings, self.metrics = Path(model_dir), settings, metrics
        self.pipeline: SentimentPipeline | None = None
        self.info: dict = {}
        self.load_error: BaseException | None = None
        self.ready = self.draining = False
        self.batcher = MicroBatcher(self.predict_now, settings.max_batch, settings.max_batch_requests,
                                    settings.max_wait_ms, settings.max_queue, metrics)
        self.loaded: asyncio.Event | None = None        # set when loading ends, with or without the model
        self.slow_work: asyncio.Semaphore | None = None   # explanations and files: one at a time, beside the batches
        self.slow_waiting = 0
        # Every use of the model holds this lock: Captum's hooks on a sequence model's embedding layer would
        # hand an explanation's embeddings to a batch scored at the same moment (and the batch's to Captum).
        self.model_lock = threading.Lock()
        self._loading: asyncio.Task | None = None

    async def start(self) -> None:
        """Start the batcher, and loading the model in a thread (the probes answer meanwhile)."""
        self.loaded, self.slow_work = asyncio.Event(), asyncio.Semaphore(1)
        self.batcher.start()
        self._loading = asyncio.get_running_loop().create_task(self._load(), name="load-model")

    async def stop(self) -> None:
        self.ready = False
        self.metrics.ready.set(0)
        if self._loading is not None:
            self._loading.cancel()
        await self.batcher.stop()

    def predict_now(self, texts: list[str]) -> np.ndarray:
        """Calibrated probabilities (texts, classes): the pipeline's own `predict_proba` (so, what `predict` gives)."""
        with self.model_lock:
            return self.pipeline.predict_proba(texts)

    def _locked(self, work, *args):
        with self.model_lock:
            return work(*args)

    def ready_pipeline(self) -> SentimentPipeline:
        """The loaded pipeline; `NotReady` while it loads (draining still answers: requests in flight finish)."""
        if not self.ready:
            raise NotReady(self.not_ready_reason())
        return self.pipeline

    async def run_slow(self, work, *args):
        """`work(*args)` in a thread, one at a time (explanations, files), within the request timeout; at most
        SLOW_WAITING requests wait for their turn (more get `Overloaded`: 503)."""
        loop, timeout = asyncio.get_running_loop(), self.settings.timeout_s
        deadline = loop.time() + timeout
        if self.slow_waiting >= SLOW_WAITING:
            raise Overloaded(f"{SLOW_WAITING} explanations or files are waiting already")
        self.slow_waiting += 1
        try:
            await asyncio.wait_for(self.slow_work.acquire(), timeout)
        except TimeoutError:
            raise TimedOut(f"no answer within {timeout:g} s: other explanations or files are being worked on") from None
        finally:
            self.slow_waiting -= 1
        task = asyncio.ensure_future(asyncio.to_thread(self._locked, work, *args))
        task.add_done_callback(self._release_slow)     # a thread cannot be stopped: the next work waits for it
        try:
            return await asyncio.wait_for(asyncio.shield(task), max(deadline - loop.time(), 0.001))
        except TimeoutError:
            raise TimedOut(f"no answer within {timeout:g} s") from None

    def _release_slow(self, task: asyncio.Future) -> None:
        self.slow_work.release()
        if not task.cancelled():
            task.exception()          # retrieved: a timed-out request's error is not reported again

    def drain(self) -> None:
        """Stop reporting ready (SIGTERM): load balancers stop sending requests; those in flight are answered."""
        self.draining = True
        self.metrics.ready.set(0)
        EVENTS.info({"event": "draining", "detail": "/readyz answers 503 from now on"})

    def not_ready_reason(self) -> str | None:
        """Why /readyz is 503, or None when the service is ready."""
        if self.draining:
            return "The service is shutting down (draining); send requests to another instance"
        if self.load_error is not None:
            return f"The model failed to load: {self.load_error}"
        if not self.ready:
            return "The model is still loading"
        return None

    async def _load(self) -> None:
        try:
            self.pipeline = await asyncio.to_thread(load_pipeline, self.model_dir, self.settings)
            self.info = model_info(self.pipeline, self.model_dir, self.settings)
            await asyncio.to_thread(self.predict_now, WARM_UP)
            await self.batcher.submit(WARM_UP, self.settings.timeout_s)     # the batcher's path warms up too
        except Exception as error:
            self.load_error = error
            EVENTS.error({"event": "load_failed", "model_dir": str(self.model_dir), "detail": str(error)})
        else:
            self.ready = True
            self.metrics.ready.set(0 if self.draining else 1)
            EVENTS.info({"event": "ready", "model_dir": str(self.model_dir), "architecture": self.info["architecture"],
                         "runtime": self.settings.runtime, "device": self.info["device"]})
        finally:
            self.loaded.set()


def model_info(pipeline: SentimentPipeline, model_dir: Path, settings: ServeSettings) -> dict:
    """What GET /v1/model answers: architecture, labels, metrics, the training data's fingerprint, runtime, card."""
    config, data = pipeline.config_, pipeline.config_.get("data", {})
    card = model_dir / "README.md"
    predictor = getattr(pipeline, "predictor_", None)
    return finite({
        "architecture": config.get("architecture"), "labels": list(pipeline.labels_),
        "runtime": settings.runtime, "device": str(getattr(predictor, "device", settings.device)),
        "text_column": data.get("text_column"), "fingerprint": data.get("fingerprint"),
        "data": {key: data.get(key) for key in ("file", "fingerprint", "reviews", "train_reviews", "validation_reviews",
                                                "text_column", "label_column", "rating_column", "rating_map")},
        "metrics": pipeline.metrics_, "calibration": config.get("calibration"),
        "library_version": config.get("library_version"), "created": config.get("created"),
        "card": card.read_text(encoding="utf-8") if card.is_file() else None,
        "limits": {key: getattr(settings, key) for key in ("max_body_bytes", "max_texts", "max_text_chars",
                                                           "max_explain_texts", "timeout_s")},
    })


def finite(value):
    """`value` with NaN and infinities as None, so that it is valid JSON.

    >>> finite({"f1": float("nan"), "scores": [1.0, float("inf")]})
    {'f1': None, 'scores': [1.0, None]}
    """
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
