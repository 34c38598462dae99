"""`predict --engine ray`: the scoring of `inference.scoring`, spread over the actors of a Ray cluster.

One read task streams the input in chunks through the project's own reader (`iter_table_chunks`: every
CSV dialect, encoding, JSON Lines and Parquet file that `predict` accepts, read the same way), on the node
that runs the command, so the input needs no shared file system. `map_batches` hands the chunks to a pool
of actors; each loads the model once and scores chunks with `score_chunk`, the single-process code. The
chunks keep the input's order (`preserve_order`), and the driver writes them with the same `table_writer`.

A Ray block is one row holding one pickled chunk, the same rows the single-process run scores together:
Ray Data re-cuts blocks of table rows to its byte target (merging small ones, slicing large ones), and a
review's probabilities can differ in the last bit with the batch it is scored in (a matrix product's
blocking). Whole chunks give the single-process file byte for byte, and each chunk is one actor's task.

The model directory travels in Ray's object store (its files, read once by the driver), so actors on
other machines need no copy of it. Ray connects to `address` (or RAY_ADDRESS), else starts a local Ray.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .console import progress_bar
from .errors import CustomerSentimentError
from .inference.onnx_runtime import INT8, ONNX, load_onnx
from .inference.scoring import ScoringSummary, check_scoring_settings, output_columns, score_chunk
from .io import (
    CHUNK_ROWS,
    TABLE_SUFFIXES,
    ReadOptions,
    check_output_path,
    iter_table_chunks,
    parquet_rows,
    read_options,
    table_writer,
)
from .pipeline import SentimentPipeline
from .settings import DataSettings, defaults_of

WAIT_FOR_ACTORS_S = 600                         # how long the pool may take to start before the run gives up
_COUNTED = ("empty_texts", "long_reviews", "numbers_as_text", "carriage_returns", "needs_review")


@dataclass
class RaySettings:
    """Where and how wide to score: the cluster's address and the actor pool."""

    address: str | None = None        # None: RAY_ADDRESS if set, else a local Ray on this machine
    actors: int | None = None         # None: one per `cpus_per_actor` CPUs of the cluster
    cpus_per_actor: int = 1           # CPUs (and torch / onnxruntime threads) each actor reserves

    def __post_init__(self):
        if self.actors is not None and self.actors < 1:
            raise CustomerSentimentError(f"--ray-actors is {self.actors}", expected="an integer >= 1",
                                         fix="Pass --ray-actors 1 or more, or leave it out for one per CPU.")
        if self.cpus_per_actor < 1:
            raise CustomerSentimentError(f"--ray-cpus-per-actor is {self.cpus_per_actor}", expected="an integer >= 1",
                                         fix="Pass --ray-cpus-per-actor 1 or more.")


def import_ray():
    """The `ray` module, or a clear error saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401  (the Data library is a separate extra of Ray)
    except ImportError:
        raise CustomerSentimentError("Ray is not installed, so --engine ray cannot score", expected="ray[data]",
                                     fix="Install it with pip install 'customer-sentiment[ray]', or leave out "
                                         "--engine ray to score in this process.") from None
    return ray


def model_files(model_dir: Path, runtime: str) -> dict[str, bytes]:
    """The files of a model directory that `runtime` loads, by name (an exported graph only when scored with it)."""
    unused = {"torch": {ONNX, INT8}, "onnx": {INT8}, "onnx-int8": {ONNX}}[runtime]
    return {path.name: path.read_bytes() for path in sorted(Path(model_dir).iterdir())
            if path.is_file() and path.name not in unused}


class ChunkScorer:
    """A Ray actor's work: the model, loaded once from files out of the object store, scoring chunks."""

    def __init__(self, files: list, runtime: str, threads: int, text_column: str, columns: list[str], source: str,
                 options: ReadOptions, review_below: float | None):
        import ray
        import torch

        torch.set_num_threads(threads)
        found = files[0]
        files = ray.get(found) if isinstance(found, ray.ObjectRef) else found
        with tempfile.TemporaryDirectory(prefix="customer-sentiment-model-") as folder:
            for name, data in files.items():
                (Path(folder) / name).write_bytes(data)
            pipeline = SentimentPipeline.load(folder, device="cpu")
            if runtime != "torch":          # onnxruntime sized to this actor's CPUs, not the machine's
                pipeline.predictor_.onnx = load_onnx(Path(folder), quantized=runtime == "onnx-int8", threads=threads)
        self.predictor, self.labels = pipeline.predictor_, pipeline.labels_
        self.actor = ray.get_runtime_context().get_actor_id()
        self.request = (text_column, columns, source, options, review_below)

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"scored": [self.score(pickle.loads(chunk)) for chunk in batch["chunk"]]})

    def score(self, chunk: pd.DataFrame) -> bytes:
        """One chunk scored (its index, the file's row numbers, names a bad row), with its counts."""
        text_column, columns, source, options, review_below = self.request
        summary = ScoringSummary(source, "", {label: 0 for label in self.labels})
        out = score_chunk(self.predictor, self.labels, chunk, text_column, columns, summary, source, options,
                          review_below)
        counts = {name: getattr(summary, name) for name in _COUNTED} | {"predicted": summary.predicted,
                                                                         "actor": self.actor}
        return pickle.dumps((out, counts), protocol=pickle.HIGHEST_PROTOCOL)


def review_file_source(path: Path, chunk_rows: int, options: ReadOptions):
    """A Ray Data source with one read task that streams the file's chunks, in order, one pickled chunk a block."""
    from ray.data.block import BlockMetadata
    from ray.data.datasource import Datasource, ReadTask

    class ReviewFileSource(Datasource):
        supports_distributed_reads = False          # Ray runs the read task on this (the driver's) node

        def estimate_inmemory_data_size(self) -> int | None:
            return None

        def get_read_tasks(self, parallelism, per_task_row_limit=None, data_context=None) -> list[ReadTask]:
            metadata = BlockMetadata(num_rows=None, size_bytes=None, input_files=(str(path),),
                                     exec_stats=None)
            return [ReadTask(lambda: (pd.DataFrame({"chunk": [pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)]})
                                      for chunk in iter_table_chunks(path, chunk_rows, options)), metadata)]

    return ReviewFileSource()


def connect(ray, settings: RaySettings) -> bool:
    """Join the cluster at settings.address / RAY_ADDRESS, or start a local Ray; True if this call started it."""
    if ray.is_initialized():
        return False
    try:
        ray.init(address=settings.address, include_dashboard=False, logging_level=logging.WARNING,
                 configure_logging=False)
    except ConnectionError as error:
        raise CustomerSentimentError(f"Cannot reach a Ray cluster at {settings.address or 'RAY_ADDRESS'}",
                                     found=str(error).splitlines()[0],
                                     fix="Start one with `ray start --head`, pass its address (e.g. "
                                         "--ray-address 10.0.0.5:6379), or unset RAY_ADDRESS to score on a local Ray."
                                     ) from None
    return True


def scored_dataset(ray, pipeline_dir: Path, runtime: str, settings: RaySettings, data: Path, chunk_rows: int,
                   options: ReadOptions, scorer_args: dict):
    """The lazy Ray dataset: chunks read on this node, scored by the actor pool, in the input's order."""
    actors = settings.actors or max(1, int(ray.cluster_resources().get("CPU", 1)) // settings.cpus_per_actor)
    files = ray.put(model_files(pipeline_dir, runtime))
    with scoring_context(ray):              # a dataset keeps a copy of the context it was made in
        # No CPU reserved for the read (parsing is cheap beside scoring), which also keeps Ray from fusing it
        # into the actors: fused, one actor would read the whole file and score it alone.
        chunks = ray.data.read_datasource(review_file_source(data, chunk_rows, options), override_num_blocks=1,
                                          num_cpus=0)
        return chunks.map_batches(
            ChunkScorer, batch_size=1, batch_format="pandas", compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=settings.cpus_per_actor, fn_constructor_kwargs={
                "files": [files], "runtime": runtime, "threads": settings.cpus_per_actor, **scorer_args})


@contextlib.contextmanager
def scoring_context(ray):
    """Ray Data's settings for scoring, for the datasets made inside; the caller's settings are put back."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)       # Ray's own settings, renamed in its releases
        context = ray.data.DataContext.get_current()
    wanted = {"enable_progress_bars": False,
              "raise_original_map_exception": True,     # an actor's CustomerSentimentError, not Ray's wrapper
              "target_max_block_size": 1,               # any block is over it: a chunk is never merged with the next
              "wait_for_min_actors_s": WAIT_FOR_ACTORS_S}  # all actors up before chunks flow, else the first takes all
    previous = {name: getattr(context, name) for name in wanted} | {
        "preserve_order": context.execution_options.preserve_order}
    try:
        for name, value in wanted.items():
            setattr(context, name, value)
        context.execution_options.preserve_order = True
        yield
    finally:
        context.execution_options.preserve_order = previous.pop("preserve_order")
        for name, value in previous.items():
            setattr(context, name, value)


@dataclass
class RayScoringSummary(ScoringSummary):
    """A scoring run's summary, and how many Ray actors scored blocks."""

    actors: int = 0

    def to_dict(self) -> dict:
        return {**super().to_dict(), "actors": self.actors}


def score_file_ray(pipeline: SentimentPipeline, model_dir: str | Path, runtime: str, data: str | Path,
                   output: str | Path, text_column: str | None = None, id_column: str | None = None,
                   keep_columns: Sequence[str] | None = None, chunk_rows: int = CHUNK_ROWS,
                   options: ReadOptions | str | None = None, review_below: float | None = None,
                   settings: RaySettings | None = None, verbose: bool = True) -> RayScoringSummary:
    """Score `data` into `output` on Ray: the file `pipeline.predict_file` writes. `pipeline` is the model of
    `model_dir` loaded here (its labels and columns); the actors load `model_dir` with `runtime` themselves."""
    settings, options = settings or RaySettings(), read_options(options)
    if "://" in str(data) or getattr(options, "table", None) or getattr(options, "query", None):
        raise CustomerSentimentError(f"--engine ray reads review files, and {data} is not one",
                                     expected="a .csv, .tsv, .jsonl, .parquet or .xlsx file",
                                     fix="Export the reviews to a file (Parquet, say), or leave out --engine ray.")
    ray = import_ray()
    text_column = text_column or pipeline.config_.get("data", {}).get("text_column") or defaults_of(DataSettings)["text_column"]
    check_scoring_settings(chunk_rows, review_below)
    check_output_path(output, TABLE_SUFFIXES)
    data = Path(data).resolve()         # the read task's working directory is not this one
    if Path(output).resolve() == data:
        raise CustomerSentimentError(f"The output {output} is the input file",
                                     fix="Pass another --output so the reviews are not overwritten.")
    first = first_chunk(data, chunk_rows, options)
    columns = [] if first is None else output_columns(first, data, text_column, id_column, keep_columns)
    summary = RayScoringSummary(str(data), str(output), {label: 0 for label in pipeline.labels_})
    actors = set()
    started = connect(ray, settings)
    start = time.perf_counter()
    try:
        scored = scored_dataset(ray, Path(model_dir), runtime, settings, data, chunk_rows, options,
                                {"text_column": text_column, "columns": columns, "source": str(data),
                                 "options": options, "review_below": review_below})
        with table_writer(output) as write, progress_bar(verbose) as bar, warnings.catch_warnings():
            # Ray counts the read's one streaming task as one input and warns that the pool is too big: not so
            warnings.filterwarnings("ignore", message="The minimum number of concurrent actors")
            task = bar.add_task("scoring on Ray", total=parquet_rows(data), status="")
            for blob in scored.iter_rows():
                block, counts = pickle.loads(blob["scored"])
                actors.add(add_counts(summary, counts))
                write(block)
                summary.rows += len(block)
                bar.update(task, completed=summary.rows,
                           status=f"{summary.rows / max(time.perf_counter() - start, 1e-9):,.0f} reviews/s")
    except ray.exceptions.GetTimeoutError:
        raise CustomerSentimentError(f"The Ray cluster did not start the actor pool within {WAIT_FOR_ACTORS_S} s",
                                     expected=f"{settings.cpus_per_actor} free CPU(s) per actor",
                                     fix="Pass fewer --ray-actors, or add machines to the cluster.") from None
    except Exception as error:
        found = user_error(error)
        if found is None:
            raise
        raise found from None
    finally:
        if started:
            ray.shutdown()
    summary.seconds, summary.actors = round(time.perf_counter() - start, 3), len(actors)
    return summary


def first_chunk(data: Path, chunk_rows: int, options: ReadOptions) -> pd.DataFrame | None:
    """The file's first chunk, read here: a wrong column fails before Ray starts, and it sizes the blocks."""
    with contextlib.closing(iter_table_chunks(data, chunk_rows, options)) as chunks:
        return next(chunks, None)


def add_counts(summary: ScoringSummary, counts: dict) -> str:
    """Add a chunk's counts to `summary`; the actor that scored it."""
    for name in _COUNTED:
        setattr(summary, name, getattr(summary, name) + counts[name])
    for label, count in counts["predicted"].items():
        summary.predicted[label] += count
    return counts["actor"]


def user_error(error: BaseException) -> CustomerSentimentError | None:
    """The user's mistake inside a Ray task or actor (a bad row mid-file), out of Ray's wrappers; else None."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, CustomerSentimentError) and not type(error).__module__.startswith("ray."):
            return error          # Ray re-raises an actor's error as a subclass of both RayTaskError and its type
        error = getattr(error, "cause", None) or error.__cause__ or error.__context__
    return None
