"""Prometheus metrics of one app: requests, latency, batch sizes, queue depth, rejections.

Each app has its own `CollectorRegistry` (tests create many apps in one process; the global registry
would refuse the second). Paths are labelled by route, and any other path as "other", so that a
scanner trying random URLs cannot grow the number of series without bound.
"""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
REJECTIONS = ("body_too_large", "too_many_texts", "queue_full", "timeout", "unauthorized", "not_ready")


class ServeMetrics:
    """The service's counters, histograms and gauges, and their text exposition (`render`)."""

    def __init__(self, routes: set[str]):
        self.routes = routes
        self.registry = CollectorRegistry()
        self.requests = Counter("customer_sentiment_requests", "HTTP requests answered, by method, route and status.",
                                ["method", "path", "status"], registry=self.registry)
        self.latency = Histogram("customer_sentiment_request_duration_seconds", "Time to answer a request, by route.",
                                 ["path"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.batch_texts = Histogram("customer_sentiment_batch_texts", "Texts in one forward pass of micro-batching.",
                                     buckets=BATCH_BUCKETS, registry=self.registry)
        self.batch_requests = Histogram("customer_sentiment_batch_requests", "Requests gathered into one forward pass.",
                                        buckets=BATCH_BUCKETS, registry=self.registry)
        self.depth = Gauge("customer_sentiment_queue_depth", "Requests waiting for the model.", registry=self.registry)
        self.rejections = Counter("customer_sentiment_rejections", "Requests refused by a limit, by reason.",
                                  ["reason"], registry=self.registry)
        self.texts = Counter("customer_sentiment_texts", "Texts scored.", registry=self.registry)
        self.ready = Gauge("customer_sentiment_ready", "1 when the model is loaded and warm and the service is not "
                                                     "draining.", registry=self.registry)
        for reason in REJECTIONS:            # every reason shows, at 0, before the first refusal
            self.rejections.labels(reason)

    def path_label(self, path: str) -> str:
        return path if path in self.routes else "/static/*" if path.startswith("/static/") else "other"

    def request(self, method: str, path: str, status: int, started: float) -> None:
        label = self.path_label(path)
        self.requests.labels(method if method in ("GET", "POST", "HEAD") else "other", label, str(status)).inc()
        self.latency.labels(label).observe(time.perf_counter() - started)

    def batch(self, requests: int, texts: int) -> None:
        self.batch_requests.observe(requests)
        self.batch_texts.observe(texts)
        self.texts.inc(texts)

    def queue_depth(self, depth: int) -> None:
        self.depth.set(depth)

    def reject(self, reason: str) -> None:
        self.rejections.labels(reason).inc()

    def render(self) -> tuple[bytes, str]:
        """The metrics in Prometheus's text format, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
