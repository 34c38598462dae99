"""What `predict --resume` costs and saves: scoring a synthetic review file whole, against a run stopped
after some of its chunks and resumed (the committed rows read again, not scored), and what the
commits cost (fsync and a progress record per chunk, the Parquet join) against writing in one go.

    python benchmarks/resume.py --rows 500000 --stop-after 0.5,0.9

A run is stopped in-process, as Ctrl-C stops it, once that share of its chunks is committed; the SIGKILL
case is tested in tests/inference/test_resume.py. Every resumed file is checked byte for byte
against the uninterrupted one. Results: benchmarks/results/resume.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path
from unittest import mock

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synthetic import cached_reviews  # noqa: E402

import customer_sentiment.inference.scoring as scoring  # noqa: E402
from customer_sentiment import SentimentPipeline, TrainingArguments, read_reviews  # noqa: E402
from customer_sentiment.io import iter_table_chunks, table_writer  # noqa: E402


def timed(pipeline, data: Path, output: Path, chunk_rows: int, **options) -> tuple[float, dict]:
    start = time.perf_counter()
    summary = pipeline.predict_file(data, output, chunk_rows=chunk_rows, **options)
    return round(time.perf_counter() - start, 2), summary


@contextlib.contextmanager
def _written_in_one_go(output, fingerprint, resume):
    """The writer scoring used before resumable output: `table_writer`, no commits."""
    with table_writer(output) as write:
        yield scoring._Unresumable(write)


def stopped_after(pipeline, data: Path, output: Path, chunk_rows: int, chunks: int) -> None:
    """Score until `chunks` chunks are committed, then stop as Ctrl-C would."""
    real, calls = scoring.score_chunk, [0]

    def dying(*args, **kwargs):
        calls[0] += 1
        if calls[0] > chunks:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    with mock.patch.object(scoring, "score_chunk", dying), contextlib.suppress(KeyboardInterrupt):
        pipeline.predict_file(data, output, chunk_rows=chunk_rows)


def measure(pipeline, data: Path, work: Path, suffix: str, chunk_rows: int, stops: list[int]) -> dict:
    whole = work / f"whole{suffix}"
    seconds, summary = timed(pipeline, data, whole, chunk_rows)
    with mock.patch.object(scoring, "resumable_writer", _written_in_one_go):
        in_one_go, _ = timed(pipeline, data, work / f"one_go{suffix}", chunk_rows)
    result = {"format": suffix, "rows": summary["rows"], "chunk_rows": chunk_rows, "whole_seconds": seconds,
              "scored_rows_per_second": round(summary["rows"] / seconds),
              "written_in_one_go_seconds": in_one_go, "resumes": []}
    for stop in stops:
        output = work / f"stopped-{stop}{suffix}"
        stopped_after(pipeline, data, output, chunk_rows, stop)
        resumed_seconds, resumed = timed(pipeline, data, output, chunk_rows, resume=True)
        rescoring = seconds * (1 - resumed["resumed_rows"] / summary["rows"])    # the rows left, at the whole run's pace
        result["resumes"].append({"committed_rows": resumed["resumed_rows"], "resume_seconds": resumed_seconds,
                                  "scoring_the_rest_seconds": round(rescoring, 2),
                                  "skipped_rows_per_second": round(resumed["resumed_rows"]
                                                                   / max(resumed_seconds - rescoring, 1e-3)),
                                  "identical": output.read_bytes() == whole.read_bytes()})
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000, help="reviews in the file (default: %(default)s)")
    parser.add_argument("--chunk-rows", type=int, default=50_000, help="rows a chunk (default: %(default)s)")
    parser.add_argument("--stop-after", default="0.5,0.9",
                        help="shares of the chunks committed before the stop (default: %(default)s)")
    parser.add_argument("--cache", type=Path, default=HERE / ".cache", help="data cache (default: %(default)s)")
    parser.add_argument("--results", type=Path, default=HERE / "results" / "resume.json",
                        help="where the results go (default: %(default)s)")
    args = parser.parse_args()
    data = cached_reviews(args.cache, args.rows)
    training = read_reviews(cached_reviews(args.cache, 20_000, seed=1), "review", rating_column="rating")
    pipeline = SentimentPipeline(training=TrainingArguments(epochs=2, seed=0), verbose=False).fit(
        training.texts, training.labels, training.info)
    work = args.cache / "resume"
    work.mkdir(parents=True, exist_ok=True)
    chunks = sum(1 for _ in iter_table_chunks(data, args.chunk_rows))     # CHUNK_BYTES may make them smaller
    stops = [max(1, round(float(share) * chunks)) for share in args.stop_after.split(",")]
    results = [measure(pipeline, data, work, suffix, args.chunk_rows, stops) for suffix in (".csv", ".parquet")]
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0 if all(r["identical"] for result in results for r in result["resumes"]) else 1


if __name__ == "__main__":
    sys.exit(main())
