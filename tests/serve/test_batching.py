"""Micro-batching on its own: what goes into one forward pass, when the worker waits, and when it refuses."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest

from customer_sentiment.serve.batching import MicroBatcher, Overloaded, TimedOut


class Recorder:
    """A forward pass that records the texts of each call and gives row i the probability i."""

    def __init__(self, seconds: float = 0.0):
        self.calls: list[list[str]] = []
        self.seconds = seconds

    def __call__(self, texts):
        self.calls.append(list(texts))
        time.sleep(self.seconds)
        return np.array([[float(text.split()[-1])] for text in texts])


def run(batcher: MicroBatcher, scenario):
    async def main():
        batcher.start()
        try:
            return await scenario()
        finally:
            await batcher.stop()
    return asyncio.run(main())


def test_concurrent_requests_share_one_forward_pass_and_each_gets_its_own_rows():
    recorder = Recorder()
    batcher = MicroBatcher(recorder, max_batch=100, max_batch_requests=10, max_wait_ms=50)

    async def scenario():
        batcher.arriving = 3
        return await asyncio.gather(*(batcher.submit([f"r{i} {i}.0", f"r{i} {i}.5"], 5) for i in range(3)))
    answers = run(batcher, scenario)
    assert [a[:, 0].tolist() for a in answers] == [[0.0, 0.5], [1.0, 1.5], [2.0, 2.5]]
    assert [len(call) for call in recorder.calls] == [6]


def test_an_idle_service_does_not_wait_for_more():
    recorder = Recorder()
    batcher = MicroBatcher(recorder, max_wait_ms=2_000)            # a wait would show

    async def scenario():
        batcher.arriving = 1                                        # only this request
        start = time.perf_counter()
        await batcher.submit(["alone 1"], 5)
        return time.perf_counter() - start
    assert run(batcher, scenario) < 0.5


def test_the_worker_waits_for_requests_still_arriving_then_batches_them():
    recorder = Recorder()
    batcher = MicroBatcher(recorder, max_wait_ms=500)

    async def scenario():
        batcher.arriving = 2                                        # a second request is on its way
        first = asyncio.ensure_future(batcher.submit(["first 1"], 5))
        await asyncio.sleep(0.05)
        second = await batcher.submit(["second 2"], 5)
        return await first, second
    run(batcher, scenario)
    assert recorder.calls == [["first 1", "second 2"]]


@pytest.mark.parametrize(("max_batch", "max_batch_requests", "sizes"), [
    (100, 1, [2, 2, 2, 2]),           # micro-batching off: one request (2 texts) per pass
    (5, 64, [4, 4]),                  # 2 + 2 texts fit in 5, a third request's 2 would not
    (100, 2, [4, 4]),
])
def test_batches_stop_at_the_most_texts_and_requests(max_batch, max_batch_requests, sizes):
    recorder = Recorder(seconds=0.05)
    batcher = MicroBatcher(recorder, max_batch=max_batch, max_batch_requests=max_batch_requests, max_wait_ms=0)

    async def scenario():
        return await asyncio.gather(*(batcher.submit([f"a{i} {i}", f"b{i} {i}"], 5) for i in range(4)))
    answers = run(batcher, scenario)
    assert [a[:, 0].tolist() for a in answers] == [[i, i] for i in range(4)]
    assert [len(call) for call in recorder.calls] == sizes            # all four were queued before the worker woke


def test_a_full_queue_refuses_at_once_and_a_late_request_times_out_without_being_scored():
    release = threading.Event()
    calls = []

    def predict(texts):
        calls.append(list(texts))
        release.wait(5)
        return np.zeros((len(texts), 1))
    batcher = MicroBatcher(predict, max_batch_requests=1, max_queue=1, max_wait_ms=0)

    async def scenario():
        first = asyncio.ensure_future(batcher.submit(["first 0"], 5))
        while not calls:                                            # the worker is in the first forward pass
            await asyncio.sleep(0.001)
        late = asyncio.ensure_future(batcher.submit(["late 0"], 0.05))    # queued, waits too long
        await asyncio.sleep(0)
        with pytest.raises(Overloaded, match="1 requests are waiting"):
            await batcher.submit(["refused 0"], 5)
        with pytest.raises(TimedOut, match="no answer within 0.05 s"):
            await late
        release.set()
        await first
        await batcher.submit(["after 0"], 5)
    run(batcher, scenario)
    assert calls == [["first 0"], ["after 0"]]                      # the timed-out request was skipped


def test_an_error_in_the_forward_pass_reaches_every_request_of_the_batch():
    def broken(texts):
        raise RuntimeError("out of memory")
    batcher = MicroBatcher(broken, max_wait_ms=0)

    async def scenario():
        results = await asyncio.gather(batcher.submit(["a 1"], 5), batcher.submit(["b 1"], 5), return_exceptions=True)
        assert [str(r) for r in results] == ["out of memory", "out of memory"]
        batcher.predict = Recorder()
        return await batcher.submit(["works 3"], 5)                 # the worker goes on
    assert run(batcher, scenario)[0, 0] == 3.0
