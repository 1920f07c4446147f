"""The ``pyds`` command: transcribe audio files, manage cached models, print the version.

Transcripts go to standard output (or atomically into ``--output-dir``); progress bars and error messages go
to standard error only, so ``pyds transcribe a.mp3 > a.txt`` captures just the transcript. The exit status
is 0 when every input was transcribed, 1 when any failed (the others are still done), 2 for a usage error
or a model that cannot be loaded.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import audio, formats, models, pipeline
from .errors import InvalidArgumentError, PydsError

__all__ = ["InputFile", "ModelOptions", "expand_inputs", "main", "output_paths", "read_file_list"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_GLOB_CHARS = frozenset("*?[")


class _Usage(Exception):
    """A command-line mistake the user must fix (exit status 2)."""


# -- output helpers ---------------------------------------------------------------------------------------
def _write_stdout(text: str) -> None:
    # UTF-8 whatever the locale: transcripts may be Armenian or Russian.
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        sys.stdout.flush()
        buffer.write(text.encode("utf-8"))
        buffer.flush()
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _write_stderr(text: str) -> None:
    from tqdm import tqdm

    tqdm.write(text, file=sys.stderr, end="")


def _error(message: str) -> None:
    from tqdm import tqdm

    # tqdm.write keeps an active progress bar intact around the message.
    tqdm.write(f"pyds: error: {message}", file=sys.stderr)


# -- inputs -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InputFile:
    """One audio input: what to open, how to name it in messages, and its output name (no extension)."""

    source: str
    display: str
    output_stem: Path


def expand_inputs(inputs: Sequence[str]) -> tuple[list[InputFile], list[str]]:
    """Files, directories (recursive, audio extensions only), globs and ``-`` → input files, error messages.

    Each file appears once, in the order given (directories and globs sorted).
    """
    found: list[InputFile] = []
    errors: list[str] = []
    seen: set[str] = set()

    def add(item: InputFile) -> None:
        key = item.source if item.source == "-" else str(Path(item.source).resolve())
        if key not in seen:
            seen.add(key)
            found.append(item)

    def add_dir(root: Path) -> int:
        count = 0
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix.lower() in audio.AUDIO_EXTENSIONS:
                add(InputFile(str(path), str(path), path.relative_to(root).with_suffix("")))
                count += 1
        return count

    for text in inputs:
        if text == "-":
            add(InputFile("-", "<stdin>", Path("stdin")))
            continue
        path = Path(text).expanduser()
        if path.is_dir():
            if add_dir(path) == 0:
                errors.append(f"{text}: no audio files in this directory")
        elif path.exists():
            add(InputFile(str(path), text, Path(path.stem)))
        elif _GLOB_CHARS & set(text):
            matches = sorted(glob.glob(os.path.expanduser(text), recursive=True))
            count = 0
            for match in matches:
                m = Path(match)
                if m.is_dir():
                    count += add_dir(m)
                elif m.is_file():
                    add(InputFile(match, match, Path(m.stem)))
                    count += 1
            if count == 0:
                errors.append(f"{text}: no files match")
        else:
            errors.append(f"{text}: no such file or directory")
    return found, errors


def read_file_list(path: str | os.PathLike[str]) -> list[InputFile]:
    """The inputs of a ``--files-from`` list: one audio file path per line (``-`` reads the list from stdin).

    Blank lines and lines starting with ``#`` are skipped; relative paths are relative to the current directory.
    Entries are not checked here (a list may name millions of files): a missing one fails when it is opened.
    Outputs are named after each path relative to the deepest directory holding all of them, so files with the
    same name in different folders keep apart, as they do for a directory input.
    """
    if os.fspath(path) == "-":
        lines = sys.stdin.read().splitlines()
    else:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    entries = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    absolute = [os.path.abspath(os.path.expanduser(e)) for e in entries]
    if not absolute:
        return []
    root = os.path.commonpath([os.path.dirname(a) for a in absolute])
    return [InputFile(a, e, Path(os.path.relpath(a, root)).with_suffix("")) for e, a in zip(entries, absolute)]


def output_paths(files: Sequence[InputFile], out_dir: Path, ext: str) -> list[Path]:
    """One output path per input; same-named inputs get -2, -3 ... instead of overwriting each other.

    The one naming rule of ``--output-dir``, for the local command and ``--ray`` alike.
    """
    used: set[Path] = set()
    paths = []
    for f in files:
        base = out_dir / f.output_stem
        candidate, n = base.with_name(base.name + ext), 1
        while candidate in used:
            n += 1
            candidate = base.with_name(f"{base.name}-{n}{ext}")
        used.add(candidate)
        paths.append(candidate)
    return paths


_output_paths = output_paths


def input_error(exc: BaseException, name: str) -> str:
    """The message for an input that failed, naming it once (most pyds errors already name their file)."""
    message = str(exc) or type(exc).__name__
    return message if name in message else f"{name}: {message}"


# -- transcription ----------------------------------------------------------------------------------------
def _parse_hot_word(text: str) -> tuple[str, float]:
    word, sep, boost = text.rpartition(":")
    try:
        if not sep or not word:
            raise ValueError
        return word, float(boost)
    except ValueError:
        raise argparse.ArgumentTypeError(f"hot word must be WORD:BOOST (a number), not {text!r}") from None


@dataclass(frozen=True)
class ModelOptions:
    """The recognizer ``pyds transcribe``'s model options describe, as plain data.

    Plain data so that it can travel to Ray workers, each of which builds its own ``pyds.Model`` from it
    (a loaded model is never pickled). ``threads`` is the OpenVINO inference thread count (0 or None: all cores).
    """

    model: str | None = None
    scorer: str | None = None
    no_scorer: bool = False
    alpha: float | None = None
    beta: float | None = None
    hot_words: tuple[tuple[str, float], ...] = ()
    beam_width: int | None = None
    device: str | None = None
    threads: int | None = None
    numerics: str | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ModelOptions:
        """The model options of a parsed ``pyds transcribe`` command line."""
        return cls(
            model=args.model,
            scorer=args.scorer,
            no_scorer=args.no_scorer,
            alpha=args.alpha,
            beta=args.beta,
            hot_words=tuple(args.hot_word or ()),
            beam_width=args.beam_width,
            device=args.device,
            threads=args.threads,
            numerics=args.numerics,
        )

    @property
    def name(self) -> str:
        """The model's name in outputs: what was asked for, or the default model's registry name."""
        return self.model or models.DEFAULT_MODEL

    def load(self, *, progress: bool | None = None) -> Any:
        """Resolve (fetch and convert on first use) and load the model; raises ``PydsError`` subclasses."""
        import pyds

        bundle = models.resolve(self.model, progress=progress)
        scorer = self.scorer
        if scorer is None and not self.no_scorer:
            scorer = models.resolve_scorer(self.model, progress=progress)
        # None leaves a setting at pyds.Model's default (defined once, in the core's ModelOptions).
        kwargs: dict[str, Any] = {
            "device": self.device,
            "beam_width": self.beam_width,
            "threads": self.threads,
            "numerics": self.numerics,
        }
        if scorer is not None:
            kwargs["scorer"] = str(scorer)
        if scorer is None and self.alpha is not None:
            raise InvalidArgumentError("--alpha/--beta need a scorer (--scorer PATH)")
        if scorer is None and self.hot_words:
            raise InvalidArgumentError("--hot-word needs a scorer (--scorer PATH)")
        model = pyds.Model(str(bundle), **kwargs)
        if self.alpha is not None:
            model.set_scorer_alpha_beta(self.alpha, self.beta)
        for word, boost in self.hot_words:
            model.add_hot_word(word, boost)
        return model


def _load_model(args: argparse.Namespace) -> tuple[Any, str]:
    options = ModelOptions.from_args(args)
    try:
        return options.load(progress=args.progress), options.name
    except ImportError as exc:  # a broken install: the message names the library that failed to load
        raise _Usage(str(exc)) from exc


def _inputs(args: argparse.Namespace) -> tuple[list[InputFile], list[str]]:
    """The inputs of ``pyds transcribe``: its arguments, then the ``--files-from`` list; error messages."""
    files, problems = expand_inputs(args.inputs)
    if args.files_from is not None:
        if args.files_from == "-" and "-" in args.inputs:
            raise _Usage("--files-from - and the input - cannot both read standard input")
        try:
            files += read_file_list(args.files_from)
        except (OSError, UnicodeDecodeError) as exc:
            raise _Usage(f"--files-from {args.files_from}: cannot read the list ({exc})") from exc
    return files, problems


def _cmd_transcribe(args: argparse.Namespace) -> int:
    if args.ray is not None:
        return _cmd_transcribe_ray(args)
    files, problems = _inputs(args)
    for message in problems:
        _error(message)
    if not files:
        return EXIT_FAILED
    out_dir = Path(args.output_dir) if args.output_dir else None
    ext = formats.EXTENSIONS[args.format]
    targets: list[Path | None] = list(_output_paths(files, out_dir, ext)) if out_dir else [None] * len(files)
    if args.resume:  # skip the inputs whose output is already there
        kept = [(f, t) for f, t in zip(files, targets) if t is None or not t.exists()]
        files, targets = [f for f, _ in kept], [t for _, t in kept]
        if not files:
            return EXIT_FAILED if problems else EXIT_OK
    model, model_name = _load_model(args)
    failed = len(problems)
    many = len(files) > 1

    def sources() -> Iterator[tuple[int, pipeline.Source]]:
        stdin_bytes: bytes | None = None
        for i, f in enumerate(files):
            if f.source == "-":
                if stdin_bytes is None:
                    stdin_bytes = sys.stdin.buffer.read()
                yield i, stdin_bytes
            else:
                yield i, f.source

    # The bar over files only when there are several; long files get their own bar over seconds.
    with pipeline.progress_bar(
        args.progress if many else False, total=len(files), unit="file", desc="transcribing"
    ) as bar:
        results = pipeline.transcribe_sources(
            model, sources(), names=lambda i: files[i].display, model_name=model_name, progress=args.progress
        )
        for i, result in results:
            f, target = files[i], targets[i]
            try:
                if isinstance(result, BaseException):
                    raise result
                if target is not None:
                    formats.write_atomic(target, formats.format_result(result, args.format))
                elif args.format == "json":
                    _write_stdout(formats.to_json(result, indent=None))  # JSON Lines: one object per input
                else:
                    text = formats.format_result(result, args.format)
                    _write_stdout(f"==> {f.display} <==\n{text}" if many else text)
            except pipeline.INPUT_ERRORS as exc:  # this file failed; go on
                failed += 1
                _error(input_error(exc, f.display))
            bar.update(1)
    return EXIT_FAILED if failed else EXIT_OK


# -- serve ------------------------------------------------------------------------------------------------
def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        from . import server
    except ImportError as exc:  # the server extra is not installed: say how to get it
        raise _Usage(str(exc)) from exc
    limits: dict[str, Any] = {
        "api_key": args.api_key or None,
        "max_sessions": args.max_sessions,
        "max_upload_bytes": None if args.max_upload_mb is None else int(args.max_upload_mb * 1_000_000),
        "idle_timeout": args.idle_timeout,
    }
    # /v1/models names the model as given: a registry name, or a bundle directory's / model file's name.
    name = args.model or models.DEFAULT_MODEL
    if name not in models.REGISTRY:
        name = Path(name).name or name
    options = server.ServerOptions(model_name=name, **{k: v for k, v in limits.items() if v is not None})
    options.validate()
    if not 0 <= args.port <= 65535:
        raise _Usage(f"--port must be from 0 to 65535, not {args.port}")
    return server.serve(lambda: _load_model(args)[0], host=args.host, port=args.port, options=options)


def _cmd_transcribe_ray(args: argparse.Namespace) -> int:
    """``pyds transcribe --ray``: the same inputs, options and outputs, computed by actors on a Ray cluster."""
    if args.ray != "auto" and os.path.exists(args.ray):  # `--ray in/`: argparse took an input for the address
        raise _Usage(f"--ray took {args.ray!r} for the cluster address: put the inputs before --ray, or --ray=auto")
    if args.output_dir is None:
        raise _Usage("--ray writes its outputs and _manifest.jsonl into --output-dir DIR: give one")
    if "-" in args.inputs:
        raise _Usage("--ray cannot read standard input (-): the workers open the files themselves")
    files, problems = _inputs(args)
    if not files and not problems:
        raise _Usage("no inputs")
    try:
        from . import distributed
    except ImportError as exc:
        raise _Usage(f"--ray needs Ray: pip install 'pyds[ray]' ({exc})") from exc
    report = distributed.run(
        files,
        Path(args.output_dir),
        ModelOptions.from_args(args),
        formats=[args.format],
        address=args.ray,
        workers=args.workers,
        threads_per_worker=args.threads or 1,
        resume=args.resume,
        problems=problems,
        progress=args.progress,
    )
    for row in report.rows:
        if row["status"] == "error":
            _error(row["error"])  # the message names the input (input_error)
    summary = f"pyds: {report.done} transcribed, {report.skipped} skipped, {report.failed} failed"
    _write_stderr(f"{summary} ({report.manifest})\n")
    return EXIT_FAILED if report.failed else EXIT_OK


# -- models and version -----------------------------------------------------------------------------------
def _size(n: int | None) -> str:
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def _cmd_models(args: argparse.Namespace) -> int:
    if args.action == "list":
        rows = [("NAME", "LANG", "CACHED", "DESCRIPTION")]
        for st in models.list_models():
            cached = sum(f["cached"] for f in st.files)
            state = "converted" if st.bundle else ("yes" if cached == len(st.files) else ("partly" if cached else "no"))
            rows.append((st.name + (" (default)" if st.default else ""), st.language, state, st.description))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines = ["  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3] for r in rows]
        _write_stdout("\n".join(lines) + "\n")
        return EXIT_OK
    if args.name is None:
        raise _Usage(f"pyds models {args.action} needs a model name ({', '.join(models.REGISTRY)})")
    if args.action == "info":
        st = models.info(args.name)
        if args.json:
            doc = asdict(st)
            doc["downloaded"] = st.downloaded
            _write_stdout(json.dumps(doc, indent=2) + "\n")
            return EXIT_OK
        lines = [
            f"name: {st.name}" + (" (default)" if st.default else ""),
            f"description: {st.description}",
            f"language: {st.language}",
            f"homepage: {st.homepage}",
            f"license: {st.license}",
            f"bundle: {st.bundle or 'not converted yet'}",
        ]
        for f in st.files:
            lines += [
                f"{f['role']}: {f['name']}",
                f"  url: {f['url']}",
                f"  size: {_size(f['size'])}",
                f"  sha256: {f['sha256'] or 'not published'}",
                f"  path: {f['path']}",
                f"  cached: {'yes' if f['cached'] else 'no'}",
            ]
            if f["pip_sdist"]:
                lines.append(f"  from: pip sdist {f['pip_sdist']}, member {f['member']}")
        _write_stdout("\n".join(lines) + "\n")
        return EXIT_OK
    if args.action == "fetch":
        paths = models.fetch(args.name, scorer=not args.no_scorer, progress=args.progress)
        for role, path in paths.items():
            _write_stdout(f"{role}: {path}\n")
        if args.convert:
            _write_stdout(f"bundle: {models.resolve(args.name, progress=args.progress)}\n")
        return EXIT_OK
    if args.action == "remove":
        gone = models.remove(args.name)
        for path in gone:
            _write_stdout(f"removed {path}\n")
        if not gone:
            _write_stdout(f"{args.name}: nothing in the cache\n")
        return EXIT_OK
    raise _Usage(f"unknown action {args.action!r}")


def _version_text() -> str:
    from importlib import metadata

    try:
        import pyds

        version = pyds.__version__
    except ImportError:
        version = metadata.version("pyds")
    try:
        openvino = metadata.version("openvino")
    except metadata.PackageNotFoundError:
        openvino = "not installed"
    return f"pyds {version} (openvino {openvino}, python {sys.version.split()[0]})"


def _cmd_version(args: argparse.Namespace) -> int:
    _write_stdout(_version_text() + "\n")
    return EXIT_OK


# -- parser -----------------------------------------------------------------------------------------------
def _add_progress(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="show progress bars on stderr (default: only when stderr is a terminal)",
    )
    p.add_argument("--no-progress", dest="progress", action="store_false", help="never show progress bars")


def _add_model_options(p: argparse.ArgumentParser) -> None:
    """The options that choose and tune the model (``transcribe`` and ``serve``)."""
    p.add_argument(
        "--model",
        default=None,
        help=f"registry name, bundle directory or model file (default {models.DEFAULT_MODEL})",
    )
    p.add_argument("--scorer", default=None, help="external scorer (.scorer) file")
    p.add_argument("--no-scorer", action="store_true", help="do not use the registry model's scorer")
    p.add_argument("--alpha", type=float, default=None, help="language model weight (needs a scorer)")
    p.add_argument("--beta", type=float, default=None, help="word insertion bonus (needs a scorer)")
    p.add_argument(
        "--hot-word",
        action="append",
        type=_parse_hot_word,
        metavar="WORD:BOOST",
        help="boost (or with a negative number, suppress) a word; repeatable; needs a scorer",
    )
    p.add_argument("--beam-width", type=int, default=None, help="beam width (default: the model's)")
    p.add_argument("--device", default=None, help="OpenVINO device (default: pyds.Model's, CPU)")
    p.add_argument("--threads", type=int, default=None, help="inference threads (with --ray: per worker)")
    p.add_argument(
        "--numerics",
        choices=["fidelity", "fast"],
        default=None,
        help="fidelity (default): transcripts identical to Coqui STT/TFLite; fast: the bundle's graph built for "
        "speed (about 2x faster acoustic model, accuracy equal within noise, not bit-identical)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``pyds`` command."""
    parser = argparse.ArgumentParser(
        prog="pyds", description="Speech-to-text with DeepSpeech and Coqui STT models on OpenVINO."
    )
    parser.add_argument("--version", action="version", version=_version_text())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    t = sub.add_parser("transcribe", help="transcribe audio files", description="Transcribe audio files.")
    t.add_argument(
        "inputs",
        nargs="*",
        metavar="INPUT",
        help="audio file, directory (searched recursively), glob, or - for standard input",
    )
    _add_model_options(t)
    t.add_argument("--format", choices=sorted(formats.FORMATS), default="text", help="output format")
    t.add_argument("--output-dir", default=None, help="write one file per input here (atomically) instead of printing")
    t.add_argument(
        "--files-from",
        metavar="LIST",
        default=None,
        help="also transcribe the audio files named in LIST, one path per line (- reads the list from stdin)",
    )
    t.add_argument("--resume", action="store_true", help="skip inputs whose output already exists in --output-dir")
    t.add_argument(
        "--ray",
        nargs="?",
        const="auto",
        default=None,
        metavar="ADDRESS",
        help="run on a Ray cluster (default address: auto); needs --output-dir and pip install 'pyds[ray]'",
    )
    t.add_argument(
        "--workers", type=int, default=None, help="with --ray: model actors (default: cluster CPUs / --threads)"
    )
    _add_progress(t)
    t.set_defaults(func=_cmd_transcribe)

    s = sub.add_parser(
        "serve",
        help="run the speech server (Vosk WebSocket, OpenAI API, live-captions page)",
        description="Serve one model: a Vosk-compatible WebSocket at /ws, the OpenAI audio API at "
        "/v1/audio/transcriptions and /v1/models, /health, /metrics and a live-captions page at /. "
        "Needs the server extra: pip install 'pyds[server]'.",
    )
    _add_model_options(s)
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=2700, help="port (default 2700, vosk-server's)")
    s.add_argument(
        "--api-key",
        default=os.environ.get("PYDS_API_KEY"),
        help="require this key (Bearer header or ?api_key=) on /ws, /v1/* and /metrics (default: $PYDS_API_KEY)",
    )
    s.add_argument("--max-sessions", type=int, default=None, help="most concurrent sessions; more get 503")
    s.add_argument("--max-upload-mb", type=float, default=None, help="largest uploaded file, in MB")
    s.add_argument("--idle-timeout", type=float, default=None, help="close a silent WebSocket after this many seconds")
    _add_progress(s)
    s.set_defaults(func=_cmd_serve)

    m = sub.add_parser(
        "models",
        help="list, fetch, remove or describe known models",
        description=f"Models cached in {models.cache_dir()} (set PYDS_CACHE_DIR to move it).",
    )
    m.add_argument("action", choices=["list", "fetch", "remove", "info"])
    m.add_argument("name", nargs="?", default=None, help="model name (see pyds models list)")
    m.add_argument("--no-scorer", action="store_true", help="fetch: skip the scorer")
    m.add_argument("--convert", action="store_true", help="fetch: also convert to a bundle now")
    m.add_argument("--json", action="store_true", help="info: print JSON")
    _add_progress(m)
    m.set_defaults(func=_cmd_models)

    v = sub.add_parser("version", help="print the pyds and OpenVINO versions")
    v.set_defaults(func=_cmd_version)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``pyds`` command with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "beam_width", None) is not None and args.beam_width <= 0:
        parser.error("--beam-width must be a positive integer")
    if getattr(args, "threads", None) is not None and args.threads <= 0:
        parser.error("--threads must be a positive integer")
    if getattr(args, "workers", None) is not None and args.workers <= 0:
        parser.error("--workers must be a positive integer")
    if getattr(args, "workers", None) is not None and args.ray is None:
        parser.error("--workers goes with --ray")
    if args.command == "transcribe" and not args.inputs and args.files_from is None:
        parser.error("give at least one INPUT or --files-from LIST")
    if getattr(args, "resume", False) and args.output_dir is None:
        parser.error("--resume needs --output-dir (it skips inputs whose output file exists)")
    if (getattr(args, "alpha", None) is None) != (getattr(args, "beta", None) is None):
        parser.error("--alpha and --beta go together")
    try:
        return int(args.func(args))
    except _Usage as exc:
        _error(str(exc))
        return EXIT_USAGE
    except (PydsError, OSError, RuntimeError) as exc:  # a model that cannot be found, fetched or loaded
        _error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _error("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
