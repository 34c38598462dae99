"""The model is used by one thing at a time: an explanation (Captum hooks the embedding layer of a
sequence model) never runs beside a micro-batch, and the explanations waiting for their turn are bounded."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from customer_sentiment.serve import service as service_module

from .conftest import started


class Overlap:
    """Wraps functions that use the model; records how many ran at the same moment."""

    def __init__(self):
        self.lock, self.active, self.most = threading.Lock(), 0, 0

    def wrap(self, function, seconds: float = 0.02):
        def counted(*args, **kwargs):
            with self.lock:
                self.active += 1
                self.most = max(self.most, self.active)
            time.sleep(seconds)                          # long enough for another thread to come in, if it may
            try:
                return function(*args, **kwargs)
            finally:
                with self.lock:
                    self.active -= 1
        return counted


def test_an_explanation_never_runs_beside_a_batch(sample_model_dir, monkeypatch):
    from customer_sentiment.serve import predicting

    overlap = Overlap()
    monkeypatch.setattr(predicting, "explain", overlap.wrap(predicting.explain))
    with started(sample_model_dir) as client:
        pipeline = client.app.state.service.pipeline
        monkeypatch.setattr(pipeline, "predict_proba", overlap.wrap(pipeline.predict_proba))
        bodies = [{"texts": [f"Review {i}: it broke."], "explain": i % 3 == 0} for i in range(12)]
        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(lambda body: client.post("/v1/predict", json=body), bodies))
    assert [a.status_code for a in answers] == [200] * 12
    assert overlap.most == 1


def test_explanations_past_the_waiting_limit_get_503(sample_model_dir):
    from customer_sentiment.serve import ServeSettings
    from customer_sentiment.serve.batching import Overloaded
    from customer_sentiment.serve.metrics import ServeMetrics

    service = service_module.Service(sample_model_dir, ServeSettings(), ServeMetrics({"/v1/predict"}))
    release = threading.Event()

    async def main():
        service.slow_work = asyncio.Semaphore(1)
        working = [asyncio.create_task(service.run_slow(release.wait, 10))]
        while service.slow_work.locked() is False:                          # the first one works ...
            await asyncio.sleep(0.01)
        working += [asyncio.create_task(service.run_slow(release.wait, 10)) for _ in range(service_module.SLOW_WAITING)]
        while service.slow_waiting < service_module.SLOW_WAITING:         # ... the others wait their turn
            await asyncio.sleep(0.01)
        with pytest.raises(Overloaded, match="8 explanations or files are waiting already"):
            await service.run_slow(release.wait, 10)
        release.set()
        return await asyncio.gather(*working)

    assert asyncio.run(main()) == [True] * (service_module.SLOW_WAITING + 1)
