"""Transcribe collections on a Ray cluster with Ray Data (extra ``ray``: ``pip install 'pyds[ray]'``).

The driver (``transcribe_ray``, or ``pyds transcribe --ray``) expands the inputs and names the outputs with the
local command's rule (``cli.expand_inputs``, ``cli.output_paths``), skips inputs whose outputs exist (resume), and
hands Ray a dataset of paths only. Each actor (``Transcriber``) loads the model once in its constructor (a model
is never pickled), opens its files itself, runs them through the one pipeline the local command uses
(``pipeline.transcribe_sources``: short files as rows of the batch engine, long files cut at pauses) and writes
each file's outputs atomically, so outputs are byte-identical to ``pyds transcribe``. Every input comes back as a
row (path, status, error, text, audio seconds, node id) that the driver writes to ``_manifest.jsonl``.

A failure is a row, never the end of the job: a file that cannot be read or decoded gives an error row. A file that
kills its worker process is retried a bounded number of times (``MAX_RESTARTS`` actor restarts, ``TASK_RETRIES``
per batch); after that its batch is given up, the job goes on, and the inputs of the lost batch are run again one
per batch so that only the culprit ends as an error row.

Ray is imported lazily: ``import pyds`` and the local ``pyds transcribe`` never import it.
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _files, cli, pipeline
from . import formats as output_formats
from .errors import InvalidArgumentError, PydsRuntimeError

if TYPE_CHECKING:  # pragma: no cover
    import ray.data

__all__ = [
    "MANIFEST_NAME",
    "OUTPUT_COLUMN",
    "Report",
    "Transcriber",
    "run",
    "transcribe_dataset",
    "transcribe_ray",
]

#: The manifest the driver writes into the output directory: one JSON object per input, in input order.
MANIFEST_NAME = "_manifest.jsonl"
#: A dataset column holding each row's output path without extension (``transcribe_ray`` fills it with the local
#: command's names); without it, outputs are named after the path relative to ``input_root``.
OUTPUT_COLUMN = "output_stem"
#: Restarts of one actor whose process died (a node lost, a file that crashes the decoder) before Ray gives up on it.
MAX_RESTARTS = 3
#: Attempts of one batch after the first, when its actor died while running it.
TASK_RETRIES = 2
#: How long the driver waits for the whole actor pool (each actor loads, maybe fetches, the model) before failing
#: with a message that the cluster lacks the resources, instead of waiting for ever.
ACTOR_START_TIMEOUT_S = 900
#: Blocks the path dataset is cut into at most (each block is one Ray object; batches are sliced from blocks).
_MAX_BLOCKS = 2000

ModelArg = str | os.PathLike | cli.ModelOptions | None

#: How ``transcribe_ray`` tells actors to name each input in outputs and messages (as the local command does).
_NAME_COLUMN = "_pyds_name"
_INDEX_COLUMN = "_pyds_index"  # the input's position: rows come back in any order
_RESULT_COLUMNS = ("status", "error", "text", "audio_seconds", "node_id")


# -- the actor --------------------------------------------------------------------------------------------
class Transcriber:
    """The Ray Data actor: one model per actor, loaded in the constructor; ``__call__`` transcribes a batch of paths.

    Each input row gets ``status`` (``ok`` or ``error``), ``error`` (the message, or None), ``text``,
    ``audio_seconds`` and ``node_id`` (the Ray node that did the work); its other columns pass through. When an
    output directory or an ``output_stem`` column is given, each result is written there in every format in
    ``formats``, atomically; a file that cannot be written is an error row.
    """

    def __init__(
        self,
        model: cli.ModelOptions,
        model_name: str,
        *,
        formats: Sequence[str] = (),
        path_column: str = "path",
        output_dir: str | None = None,
        input_root: str | None = None,
    ) -> None:
        import ray

        if formats:
            _check_formats(formats)
        self._model = model.load(progress=False)
        self._model_name = model_name
        self._formats = tuple(formats)
        self._path_column = path_column
        self._output_dir = output_dir
        self._input_root = input_root or os.path.abspath(os.sep)
        self._node_id = ray.get_runtime_context().get_node_id()

    def _stem(self, batch: dict[str, Any], i: int, path: str) -> str | None:
        if OUTPUT_COLUMN in batch:
            return str(batch[OUTPUT_COLUMN][i])
        if self._output_dir is None:
            return None
        relative = os.path.relpath(os.path.abspath(path), self._input_root)
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            raise InvalidArgumentError(f"{path}: not under the input root {self._input_root}")
        return str(Path(self._output_dir) / Path(relative).with_suffix(""))

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        paths = [str(p) for p in batch[self._path_column]]
        names = [str(n) for n in batch[_NAME_COLUMN]] if _NAME_COLUMN in batch else paths
        out: dict[str, list[Any]] = {key: list(values) for key, values in batch.items()}
        rows: list[dict[str, Any]] = [{} for _ in paths]
        results = pipeline.transcribe_sources(
            self._model, enumerate(paths), names=names.__getitem__, model_name=self._model_name, progress=False
        )
        for i, result in results:
            row = rows[i]
            row.update(status="error", error=None, text=None, audio_seconds=None, node_id=self._node_id)
            try:
                if isinstance(result, BaseException):
                    raise result
                row.update(text=result.text, audio_seconds=result.duration)
                stem = self._stem(batch, i, paths[i])
                if stem is not None:
                    for fmt in self._formats:
                        text = output_formats.format_result(result, fmt)
                        output_formats.write_atomic(stem + output_formats.EXTENSIONS[fmt], text)
                row["status"] = "ok"
            except pipeline.INPUT_ERRORS as exc:
                row["error"] = cli.input_error(exc, names[i])
        for key in _RESULT_COLUMNS:
            out[key] = [row[key] for row in rows]
        return out


# -- building the Ray Data stage --------------------------------------------------------------------------
def _model_options(model: ModelArg, threads: int) -> tuple[cli.ModelOptions, str]:
    """Options every node can load from, and the model's name in outputs (as the local command names it).

    A model or scorer given as a path is made absolute: workers do not run in the driver's directory.
    """
    options = model if isinstance(model, cli.ModelOptions) else cli.ModelOptions(None if model is None else str(model))
    name = options.name

    def portable(path: str | None) -> str | None:
        return os.path.abspath(os.path.expanduser(path)) if path and os.path.exists(os.path.expanduser(path)) else path

    portable_options = replace(options, model=portable(options.model), scorer=portable(options.scorer), threads=threads)
    return portable_options, name


def _default_workers(threads_per_worker: int) -> int:
    import ray

    return max(1, int(ray.cluster_resources().get("CPU", 1)) // threads_per_worker)


def _map(
    ds: ray.data.Dataset,
    options: cli.ModelOptions,
    model_name: str,
    *,
    workers: int,
    threads_per_worker: int,
    batch_size: int,
    **actor_kwargs: Any,
) -> ray.data.Dataset:
    import ray.data

    with warnings.catch_warnings():
        # Ray 2.60 deprecates passing actor options through map_batches' **ray_remote_args but offers no named
        # parameter for max_restarts / max_task_retries yet; without them Ray restarts a crashing actor for ever.
        warnings.filterwarnings("ignore", message=r"`ray_remote_args` is deprecated", category=DeprecationWarning)
        return ds.map_batches(
            Transcriber,
            fn_constructor_args=(options, model_name),
            fn_constructor_kwargs=actor_kwargs,
            batch_size=batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=workers, max_tasks_in_flight_per_actor=2),
            num_cpus=threads_per_worker,
            max_restarts=MAX_RESTARTS,
            max_task_retries=TASK_RETRIES,
        )


def _connect(address: str | None) -> None:
    import ray

    try:
        ray.init(address=address, logging_level="WARNING")
    except (ValueError, ConnectionError, RuntimeError) as exc:
        raise PydsRuntimeError(f"cannot connect to the Ray cluster at {address!r}: {exc}") from exc


@contextmanager
def _job_errors() -> Iterator[None]:
    """A failure of the whole job (no actor could start: the model is missing on a node, too few CPUs) as a
    ``PydsRuntimeError`` whose message is the cause, not Ray's nested tracebacks (the worker logs keep those)."""
    from ray.exceptions import RayError

    try:
        yield
    except RayError as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        reason = lines[-1] if lines else type(exc).__name__
        raise PydsRuntimeError(f"the Ray job failed: {reason}") from exc


def _check_counts(workers: int | None, threads_per_worker: int) -> None:
    if threads_per_worker < 1:
        raise InvalidArgumentError(f"threads_per_worker must be at least 1, not {threads_per_worker}")
    if workers is not None and workers < 1:
        raise InvalidArgumentError(f"workers must be at least 1, not {workers}")


def transcribe_dataset(
    ds: ray.data.Dataset,
    model: ModelArg,
    path_column: str = "path",
    *,
    output_dir: str | os.PathLike[str] | None = None,
    formats: Sequence[str] = ("text",),
    input_root: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    threads_per_worker: int = 1,
    batch_size: int = pipeline.GROUP_SIZE,
) -> ray.data.Dataset:
    """Transcribe the audio files named in ``ds[path_column]``: a lazy Ray dataset with one result row per input.

    ``model`` is a registry name, bundle directory or model file reachable at the same path on every node (or a
    ``cli.ModelOptions``). Result columns: ``status`` (``ok``/``error``), ``error``, ``text``, ``audio_seconds``,
    ``node_id``; the input's other columns pass through. With ``output_dir``, each result is also written there
    in ``formats`` (``text``, ``json``, ``srt``, ``vtt``, ``tsv``), named after its path relative to ``input_root``
    (default: the file system root), unless the dataset has an ``output_stem`` column. ``workers`` actors
    (default: the cluster's CPUs / ``threads_per_worker``) each reserve ``threads_per_worker`` CPUs and run
    OpenVINO on as many threads.
    """
    import ray

    _check_counts(workers, threads_per_worker)
    if not ray.is_initialized():
        ray.init()
    options, model_name = _model_options(model, threads_per_worker)
    return _map(
        ds,
        options,
        model_name,
        workers=workers or _default_workers(threads_per_worker),
        threads_per_worker=threads_per_worker,
        batch_size=batch_size,
        formats=tuple(formats) if output_dir is not None else (),
        path_column=path_column,
        output_dir=None if output_dir is None else os.path.abspath(output_dir),
        input_root=None if input_root is None else os.path.abspath(input_root),
    )


# -- the driver -------------------------------------------------------------------------------------------
@dataclass
class Report:
    """What ``transcribe_ray`` did: one manifest row per input, in input order."""

    rows: list[dict[str, Any]]
    manifest: Path
    seconds: float = 0.0
    workers: int = 0

    def _count(self, status: str) -> int:
        return sum(1 for row in self.rows if row["status"] == status)

    @property
    def done(self) -> int:
        """Inputs transcribed in this run."""
        return self._count("ok")

    @property
    def failed(self) -> int:
        """Inputs that gave an error row."""
        return self._count("error")

    @property
    def skipped(self) -> int:
        """Inputs skipped because their outputs existed (``resume``)."""
        return self._count("skipped")

    @property
    def audio_seconds(self) -> float:
        """Seconds of audio transcribed in this run."""
        return sum(row["audio_seconds"] or 0.0 for row in self.rows if row["status"] == "ok")

    @property
    def nodes(self) -> set[str]:
        """The Ray nodes that transcribed something in this run."""
        return {row["node_id"] for row in self.rows if row["status"] == "ok" and row["node_id"]}


def _row(path: str, status: str, error: str | None = None, **extra: Any) -> dict[str, Any]:
    row = {"path": path, "status": status, "error": error, "text": None, "audio_seconds": None, "node_id": None}
    row.update(extra)
    return row


def _read_manifest(path: Path) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    row = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a crash
                if isinstance(row, dict) and isinstance(row.get("path"), str):
                    rows[row["path"]] = row
    except FileNotFoundError:
        pass
    return rows


@contextmanager
def _data_context(**settings: Any) -> Iterator[None]:
    """Ray Data settings for one run, put back afterwards (the context is global to the driver process)."""
    from ray.data import DataContext

    ctx = DataContext.get_current()
    saved = {key: getattr(ctx, key) for key in settings}
    try:
        for key, value in settings.items():
            setattr(ctx, key, value)
        yield
    finally:
        for key, value in saved.items():
            setattr(ctx, key, value)


def _check_formats(fmts: Sequence[str]) -> None:
    if not fmts:
        raise InvalidArgumentError("formats is empty: give at least one output format")
    for fmt in fmts:
        if fmt not in output_formats.EXTENSIONS:
            choices = ", ".join(output_formats.EXTENSIONS)
            raise InvalidArgumentError(f"unknown output format {fmt!r}; choose from {choices}")


def _plan(
    files: Sequence[cli.InputFile], out_dir: Path, fmts: Sequence[str], resume: bool
) -> tuple[list[dict[str, Any] | None], list[dict[str, Any]]]:
    """Manifest rows of the inputs skipped by ``resume`` (None for the others), and the dataset items to run."""
    previous = _read_manifest(out_dir / MANIFEST_NAME) if resume else {}
    rows: list[dict[str, Any] | None] = [None] * len(files)
    todo: list[dict[str, Any]] = []
    # The stems carry the local command's names, -2 suffixes included; every format appends its extension.
    for i, (f, stem) in enumerate(zip(files, cli.output_paths(files, out_dir, ""))):
        source = os.path.abspath(f.source)
        if resume and all(Path(f"{stem}{output_formats.EXTENSIONS[x]}").exists() for x in fmts):
            old = previous.get(source, {})
            rows[i] = _row(source, "skipped", **{k: old.get(k) for k in ("text", "audio_seconds", "node_id")})
        else:
            todo.append({_INDEX_COLUMN: i, "path": source, _NAME_COLUMN: f.display, OUTPUT_COLUMN: str(stem)})
    return rows, todo


def _execute(items: list[dict[str, Any]], pool: int, map_args: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Run ``items`` through the actor pool; yield one result row per item whose batch was not given up on.

    A batch is given up on when its actor died on it every time (``TASK_RETRIES``); the job goes on without it
    (``max_errored_blocks=-1``). Its inputs then run once more, one per batch, so that only the file that kills
    the process is lost.
    """
    import ray.data

    done: set[int] = set()
    # Short jobs use small batches, so that every actor gets some; long ones use the pipeline's group size.
    first = max(1, min(pipeline.GROUP_SIZE, math.ceil(len(items) / (2 * pool))))
    for batch_size in (first, 1):
        blocks = min(_MAX_BLOCKS, max(1, math.ceil(len(items) / batch_size)))
        ds = ray.data.from_items(items, override_num_blocks=blocks)
        for result in _map(ds, workers=min(pool, blocks), batch_size=batch_size, **map_args).iter_rows():
            index = int(result[_INDEX_COLUMN])
            if index not in done:  # a retried batch may give an input twice
                done.add(index)
                yield result
        items = [item for item in items if item[_INDEX_COLUMN] not in done]
        if not items or batch_size == 1:
            break


def run(
    files: Sequence[cli.InputFile],
    output_dir: str | os.PathLike[str],
    model: ModelArg,
    *,
    formats: Sequence[str] = ("text",),
    address: str | None = "auto",
    workers: int | None = None,
    threads_per_worker: int = 1,
    resume: bool = True,
    problems: Sequence[str] = (),
    progress: bool | None = None,
) -> Report:
    """``transcribe_ray`` on already expanded inputs (``cli.InputFile``); ``problems`` (messages that start with
    the input's name, as ``cli.expand_inputs`` gives them) become error rows."""
    import ray

    _check_counts(workers, threads_per_worker)
    fmts = tuple(formats)
    _check_formats(fmts)
    start = time.perf_counter()
    out_dir = Path(os.path.abspath(output_dir))
    manifest = out_dir / MANIFEST_NAME
    rows, todo = _plan(files, out_dir, fmts, resume)
    problem_rows = [_row(message.rsplit(": ", 1)[0], "error", message) for message in problems]
    options, model_name = _model_options(model, threads_per_worker)
    map_args = {"options": options, "model_name": model_name, "threads_per_worker": threads_per_worker}
    map_args["formats"] = fmts
    settings = {
        "enable_progress_bars": False,  # the driver shows one bar over files, as the local command does
        "print_on_execution_start": False,
        "wait_for_min_actors_s": ACTOR_START_TIMEOUT_S,
        "max_errored_blocks": -1,  # a batch given up on is run again file by file (_execute), not fatal
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    # Rows are appended here as they arrive (what a crashed driver leaves behind); the manifest is written whole,
    # in input order, at the end.
    part = manifest.with_name(manifest.name + ".part")
    started_ray, pool = False, 0
    try:
        with open(part, "w", encoding="utf-8") as log:
            for row in problem_rows:
                log.write(json.dumps(row, ensure_ascii=False) + "\n")
            with pipeline.progress_bar(progress, total=len(todo), unit="file", desc="transcribing") as bar:
                if todo:
                    if not ray.is_initialized():
                        _connect(address)
                        started_ray = True
                    pool = workers or _default_workers(threads_per_worker)
                    with _data_context(**settings), _job_errors():
                        for result in _execute(todo, pool, map_args):
                            seconds = result["audio_seconds"]
                            row = _row(
                                str(result["path"]),
                                str(result["status"]),
                                result["error"],
                                text=result["text"],
                                audio_seconds=None if seconds is None else float(seconds),
                                node_id=result["node_id"],
                            )
                            rows[int(result[_INDEX_COLUMN])] = row
                            log.write(json.dumps(row, ensure_ascii=False) + "\n")
                            log.flush()
                            bar.update(1)
                for item in todo:
                    if rows[item[_INDEX_COLUMN]] is None:
                        attempts = 1 + TASK_RETRIES
                        message = f"{item[_NAME_COLUMN]}: the worker process died on this file ({attempts} attempts)"
                        rows[item[_INDEX_COLUMN]] = _row(item["path"], "error", message)
                        bar.update(1)
        final = problem_rows + [row for row in rows if row is not None]
        _files.write_atomic(manifest, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in final).encode())
        part.unlink(missing_ok=True)
    finally:
        if started_ray:
            ray.shutdown()
    return Report(final, manifest, time.perf_counter() - start, pool)


def transcribe_ray(
    inputs: Iterable[str | os.PathLike[str]],
    output_dir: str | os.PathLike[str],
    model: ModelArg = None,
    *,
    formats: Sequence[str] = ("text",),
    address: str | None = "auto",
    workers: int | None = None,
    threads_per_worker: int = 1,
    resume: bool = True,
    progress: bool | None = None,
) -> Report:
    """Transcribe files, directories (recursive) and globs on a Ray cluster into ``output_dir``; returns a ``Report``.

    Outputs are named and written as ``pyds transcribe INPUT... --output-dir DIR`` names and writes them (the same
    bytes), plus ``_manifest.jsonl``: one line per input with ``path``, ``status`` (``ok``, ``error``,
    ``skipped``), ``error``, ``text``, ``audio_seconds`` and ``node_id``. ``model`` must be reachable on every node
    (a registry name, or a path that exists on all of them). With ``resume``, inputs whose outputs all exist are
    skipped. ``address``: a Ray address, ``auto`` (the cluster this machine belongs to) or None (start a local
    Ray); when Ray is already initialized in this process, that connection is used. Failed inputs are rows, never
    exceptions; bad arguments raise ``InvalidArgumentError``.
    """
    files, problems = cli.expand_inputs([os.fspath(p) for p in inputs])
    if any(f.source == "-" for f in files):
        raise InvalidArgumentError("transcribe_ray cannot read standard input (-): the workers open the files")
    return run(
        files,
        output_dir,
        model,
        formats=formats,
        address=address,
        workers=workers,
        threads_per_worker=threads_per_worker,
        resume=resume,
        problems=problems,
        progress=progress,
    )
