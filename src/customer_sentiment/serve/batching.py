"""Micro-batching: concurrent requests share one forward pass.

One asyncio worker takes the first waiting request, then whatever else is already queued, and waits a
few milliseconds for more only while other requests are on their way (counted as they arrive, before
their bodies are read), never when the service is idle. It runs ONE prediction over all their texts
in a worker thread, so the event loop keeps accepting requests, and hands each request its rows.

The queue is bounded: when it is full a request is refused at once (`Overloaded`, answered 503 with
Retry-After) instead of waiting behind an unbounded backlog; a request not answered within its
timeout gets `TimedOut` (its texts are skipped if the worker has not reached them yet).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np


class Overloaded(Exception):
    """The queue of requests waiting for the model is full."""


class TimedOut(Exception):
    """A request waited longer than its timeout."""


@dataclass
class _Pending:
    texts: list[str]
    future: asyncio.Future


class MicroBatcher:
    """Gathers the texts of concurrent requests into forward passes of at most `max_batch` texts and
    `max_batch_requests` requests (1: every request alone, micro-batching off)."""

    def __init__(self, predict: Callable[[list[str]], np.ndarray], max_batch: int = 256, max_batch_requests: int = 64,
                 max_wait_ms: float = 3.0, max_queue: int = 256, metrics=None):
        self.predict = predict                  # texts -> probabilities (texts, classes); called in a worker thread
        self.max_batch, self.max_batch_requests = max_batch, max_batch_requests
        self.max_wait, self.max_queue, self.metrics = max_wait_ms / 1000, max_queue, metrics
        self.arriving = 0                       # requests on their way to `submit` or waiting for it (see CountArrivals)
        self._queue: asyncio.Queue[_Pending] | None = None
        self._queued: asyncio.Event | None = None   # set by each submit: wakes a worker waiting for more
        self._carry: _Pending | None = None     # taken from the queue but left for the next batch (it would overflow)
        self._task: asyncio.Task | None = None
        self._executor: ThreadPoolExecutor | None = None

    def start(self) -> None:
        """Start the worker on the running event loop."""
        self._queue, self._queued = asyncio.Queue(self.max_queue), asyncio.Event()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="micro-batch")
        self._task = asyncio.get_running_loop().create_task(self._work(), name="micro-batching")

    async def stop(self) -> None:
        """Stop the worker; requests still queued fail (the server has finished the in-flight ones first)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        left = [self._carry] if self._carry is not None else []
        while self._queue is not None and not self._queue.empty():
            left.append(self._queue.get_nowait())
        for pending in left:
            if not pending.future.done():
                pending.future.set_exception(Overloaded("the service is stopping"))
        self._carry = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    @property
    def depth(self) -> int:
        """Requests waiting for a forward pass."""
        return (self._queue.qsize() if self._queue is not None else 0) + (self._carry is not None)

    async def submit(self, texts: list[str], timeout: float) -> np.ndarray:
        """Probabilities (texts, classes) of `texts`, computed in a batch with other requests' texts."""
        future = asyncio.get_running_loop().create_future()
        try:
            self._queue.put_nowait(_Pending(texts, future))
        except asyncio.QueueFull:
            raise Overloaded(f"{self.max_queue} requests are waiting for the model already") from None
        self._queued.set()
        self._observe_depth()
        try:
            return await asyncio.wait_for(future, timeout)     # cancels the future on timeout: the worker skips it
        except TimeoutError:
            raise TimedOut(f"no answer within {timeout:g} s") from None

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [pending for pending in await self._gather() if not pending.future.done()]
            if not batch:
                continue
            texts = [text for pending in batch for text in pending.texts]
            if self.metrics is not None:
                self.metrics.batch(len(batch), len(texts))
            try:
                probabilities = await loop.run_in_executor(self._executor, self.predict, texts)
            except Exception as error:          # every request of the batch gets the error (answered 500)
                for pending in batch:
                    if not pending.future.done():
                        pending.future.set_exception(error)
                continue
            start = 0
            for pending in batch:
                rows = probabilities[start:start + len(pending.texts)]
                start += len(pending.texts)
                if not pending.future.done():
                    pending.future.set_result(rows)

    async def _gather(self) -> list[_Pending]:
        """The next batch: the first request, what is queued behind it, and what arrives within max_wait
        while other requests are on their way."""
        loop = asyncio.get_running_loop()
        first, self._carry = self._carry or await self._queue.get(), None
        batch, size = [first], len(first.texts)
        deadline = loop.time() + self.max_wait
        while size < self.max_batch and len(batch) < self.max_batch_requests:
            if self._queue.empty():
                remaining = deadline - loop.time()
                if remaining <= 0 or self.arriving <= len(batch):        # idle: nobody else is coming
                    break
                self._queued.clear()
                try:        # an Event, not queue.get(): cancelling a get at the deadline could lose a request
                    await asyncio.wait_for(self._queued.wait(), remaining)
                except TimeoutError:
                    break
                continue
            pending = self._queue.get_nowait()
            if size + len(pending.texts) > self.max_batch:
                self._carry = pending
                break
            batch.append(pending)
            size += len(pending.texts)
        self._observe_depth()
        return batch

    def _observe_depth(self) -> None:
        if self.metrics is not None:
            self.metrics.queue_depth(self.depth)


class CountArrivals:
    """ASGI middleware counting the requests to `path` in flight (from their first byte to their answer),
    so that the batcher waits for more only when some are coming."""

    def __init__(self, app, batcher: MicroBatcher, path: str = "/v1/predict"):
        self.app, self.batcher, self.path = app, batcher, path

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != self.path:
            return await self.app(scope, receive, send)
        self.batcher.arriving += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.batcher.arriving -= 1
