"""Load test of `customer-sentiment serve`: concurrent clients, micro-batching on, then off.

    python benchmarks/serve_load.py                       # 50 clients, 2 x 30 s (about 80 s on 2 cores)
    python benchmarks/serve_load.py --model models/sample --clients 50 --seconds 30

Starts the service as a real process on a free port of 127.0.0.1 (the model given, or the bundled
sample model trained in a few seconds), and runs `--clients` asyncio clients (keep-alive HTTP/1.1 over
asyncio streams: see `Connection`) that each post
`--texts` reviews of sample_reviews.csv per request, wait for the answer and post again, until
`--seconds` have passed or `--max-requests` were sent. It prints p50 and p99 latency, requests/s,
texts/s and the number of 5xx answers; then the same against a service started with
--max-batch-requests 1 (one request per forward pass: micro-batching off), and the ratio of the two
throughputs. Each service is stopped with SIGTERM and must exit 0. Results go to
benchmarks/results/serve_load.json. The exit status is 1 if any answer was a 5xx or not an answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CLI = [sys.executable, "-m", "customer_sentiment"]


def train_sample_model(folder: Path) -> Path:
    """The bundled sample reviews' model (bag of embeddings, a few seconds)."""
    model = folder / "model"
    subprocess.run([*CLI, "train", ROOT / "sample_reviews.csv", "--rating-column", "rating", "--output", model,
                    "--epochs", "8", "--quiet"], check=True, capture_output=True)
    return model


class Service:
    """`customer-sentiment serve MODEL --port 0 EXTRA` with its log in a file; `url` once it listens."""

    def __init__(self, model: Path, log: Path, extra: list[str]):
        self.log = log
        with open(log, "w") as sink:
            self.process = subprocess.Popen([*CLI, "serve", model, "--port", "0", *extra], stdout=subprocess.DEVNULL,
                                            stderr=sink)
        self.url = self._wait_for_url()

    def _wait_for_url(self, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the service stopped: {self.log.read_text()[-2000:]}")
            for line in self.log.read_text().splitlines():
                if line.startswith("{") and json.loads(line).get("event") == "listening":
                    return json.loads(line)["url"]
            time.sleep(0.1)
        raise SystemExit("the service did not start")

    def stop(self) -> int:
        """SIGTERM, then the exit status (0: drained and finished)."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(60)


class Connection:
    """One keep-alive HTTP/1.1 connection over asyncio streams. The load test's clients use this rather than
    httpx: with 50 concurrent requests httpx's own pool took most of the CPU the two share with the service
    (the service's event loop sat idle 87 % of the time), so the test measured the client."""

    def __init__(self, url: str):
        self.host, port = url.removeprefix("http://").rsplit(":", 1)
        self.port, self.streams = int(port), None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        """(status, body) of one request; reconnects when the server closed the connection."""
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        writer.write(f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        try:
            await writer.drain()
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
            length = int(head.split("content-length:", 1)[1].split("\r\n", 1)[0])
            answer = int(head[9:12]), await reader.readexactly(length)
        except BaseException:
            self.close()
            raise
        if "connection: close" in head:
            self.close()
        return answer

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def wait_ready(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        connection = Connection(url)
        try:
            if (await connection.request("GET", "/readyz"))[0] == 200:
                return
        except OSError:             # not accepting yet
            pass
        finally:
            connection.close()
        await asyncio.sleep(0.1)
    raise SystemExit("the service never became ready")


async def load(url: str, reviews: list[str], clients: int, seconds: float, max_requests: int, texts: int) -> dict:
    """`clients` concurrent clients posting `texts` reviews each until the time or the request count runs out."""
    latencies, statuses, failures = [], [], []
    sent = 0

    async def client_loop(number: int):
        nonlocal sent
        connection, position = Connection(url), number * texts
        while time.perf_counter() < deadline and sent < max_requests:
            sent += 1
            body = json.dumps({"texts": [reviews[(position + i) % len(reviews)] for i in range(texts)]}).encode()
            position += clients * texts
            start = time.perf_counter()
            try:
                status, _ = await connection.request("POST", "/v1/predict", body)
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                failures.append(type(error).__name__)
                continue
            statuses.append(status)
            latencies.append(time.perf_counter() - start)
        connection.close()

    await wait_ready(url)
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(client_loop(i) for i in range(clients)))
    elapsed = time.perf_counter() - start
    ok = sum(200 <= s < 300 for s in statuses)
    return {"requests": len(statuses), "ok": ok, "server_errors": sum(s >= 500 for s in statuses),
            "other_statuses": sorted({s for s in statuses if not 200 <= s < 300}), "failures": len(failures),
            "seconds": round(elapsed, 2), "requests_per_second": round(ok / elapsed, 1),
            "texts_per_second": round(ok * texts / elapsed, 1),
            "p50_ms": round(float(np.percentile(latencies, 50)) * 1000, 1) if latencies else None,
            "p99_ms": round(float(np.percentile(latencies, 99)) * 1000, 1) if latencies else None}


async def batch_sizes(url: str) -> dict:
    """Mean requests and texts per forward pass, from the service's /metrics."""
    connection = Connection(url)
    try:
        _, body = await connection.request("GET", "/metrics")
    finally:
        connection.close()
    values = {line.split()[0]: float(line.split()[1]) for line in body.decode().splitlines()
              if line.startswith("customer_sentiment_batch_") and ("_sum " in line or "_count " in line)}
    passes = max(values["customer_sentiment_batch_requests_count"], 1)
    return {"forward_passes": int(passes),
            "requests_per_pass": round(values["customer_sentiment_batch_requests_sum"] / passes, 2),
            "texts_per_pass": round(values["customer_sentiment_batch_texts_sum"] / passes, 2)}


def run_mode(name: str, model: Path, folder: Path, extra: list[str], args, reviews: list[str]) -> dict:
    service = Service(model, folder / f"{name}.log", extra)
    try:
        result = asyncio.run(load(service.url, reviews, args.clients, args.seconds, args.max_requests, args.texts))
        result.update(asyncio.run(batch_sizes(service.url)))
    finally:
        result_exit = service.stop()
    result["exit_status"] = result_exit
    batches = [json.loads(line) for line in (folder / f"{name}.log").read_text().splitlines()
               if line.startswith("{") and '"event": "request"' in line]
    result["logged_requests"] = len(batches)
    print(f"{name:>16}: {result['requests_per_second']:8.1f} requests/s {result['texts_per_second']:9.1f} texts/s  "
          f"p50 {result['p50_ms']} ms  p99 {result['p99_ms']} ms  5xx {result['server_errors']}  "
          f"failed {result['failures']}  exit {result['exit_status']}  {result['requests_per_pass']} requests per "
          f"forward pass", flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="model directory (default: train the sample model)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=30, help="seconds per mode (default: %(default)s)")
    parser.add_argument("--max-requests", type=int, default=500_000, help="requests per mode at most (default: %(default)s)")
    parser.add_argument("--texts", type=int, default=4, help="reviews per request (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "serve_load.json",
                        help="results JSON (default: %(default)s)")
    args = parser.parse_args()
    import pandas as pd

    reviews = pd.read_csv(ROOT / "sample_reviews.csv")["review"].dropna().astype(str).tolist()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model = args.model or train_sample_model(folder)
        print(f"{args.clients} clients, {args.seconds:g} s per mode, {args.texts} reviews per request, "
              f"{os.cpu_count()} cores, model {args.model or 'the sample model (bag of embeddings)'}", flush=True)
        batched = run_mode("micro-batched", model, folder, [], args, reviews)
        alone = run_mode("one at a time", model, folder, ["--max-batch-requests", "1"], args, reviews)
    ratio = batched["requests_per_second"] / max(alone["requests_per_second"], 1e-9)
    print(f"micro-batching raises throughput {ratio:.2f}x over one request at a time", flush=True)
    results = {"clients": args.clients, "seconds": args.seconds, "texts_per_request": args.texts,
               "cores": os.cpu_count(), "model": str(args.model or "sample (bag_of_embeddings.v1)"),
               "micro_batched": batched, "one_at_a_time": alone, "throughput_ratio": round(ratio, 2)}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"Wrote {args.output}")
    bad = any(r["server_errors"] or r["failures"] or r["exit_status"] for r in (batched, alone))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
