"""pyds.models: downloads against a real HTTP server on 127.0.0.1 (never the internet), cache, registry."""

from __future__ import annotations

import hashlib
import json
import os
import socket
from pathlib import Path

import pytest
from httpserver import FileServer

from pyds import models
from pyds.errors import InvalidModelError, ModelNotFoundError


@pytest.fixture
def server():
    srv = FileServer()
    yield srv
    srv.close()


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An empty cache, and no mirror from the environment of whoever runs the tests."""
    root = tmp_path / "cache"
    monkeypatch.setenv("PYDS_CACHE_DIR", str(root))
    monkeypatch.delenv("PYDS_MODEL_MIRROR", raising=False)
    return root


def _blob(n: int, seed: int = 0) -> bytes:
    # Incompressible, position-dependent bytes: a resume from the wrong offset cannot pass the checksum.
    out, counter = bytearray(), 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:n])


def _closed_port_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: connection refused, like a machine without network
    return f"http://127.0.0.1:{port}/model.tflite"


# -- download ---------------------------------------------------------------------------------------------
def test_download_with_checksum(server, tmp_path) -> None:
    body = _blob(300_000)
    server.files["/m.bin"] = body
    dest = tmp_path / "d" / "m.bin"
    got = models.download(server.url + "/m.bin", dest, sha256=hashlib.sha256(body).hexdigest(), progress=False)
    assert got == dest and dest.read_bytes() == body
    assert os.listdir(dest.parent) == ["m.bin"]  # no .part left


def test_dropped_transfer_is_resumed_with_range(server, tmp_path) -> None:
    body = _blob(1_000_000, seed=1)
    server.files["/big.bin"] = body
    server.drop_after["/big.bin"], server.drop_times["/big.bin"] = 400_000, 2
    dest = tmp_path / "big.bin"
    models.download(server.url + "/big.bin", dest, sha256=hashlib.sha256(body).hexdigest(), progress=False)
    assert dest.read_bytes() == body
    # Three requests: the first from 0, then each resumes exactly where the previous one stopped.
    assert server.log == [("/big.bin", None), ("/big.bin", "bytes=400000-"), ("/big.bin", "bytes=800000-")]


def test_part_file_from_an_earlier_run_is_resumed(server, tmp_path) -> None:
    body = _blob(200_000, seed=2)
    server.files["/m.bin"] = body
    dest = tmp_path / "m.bin"
    dest.with_name("m.bin.part").write_bytes(body[:123_456])
    models.download(server.url + "/m.bin", dest, sha256=hashlib.sha256(body).hexdigest(), progress=False)
    assert dest.read_bytes() == body
    assert server.log == [("/m.bin", "bytes=123456-")]


def test_complete_part_file_gets_416_and_is_kept(server, tmp_path) -> None:
    body = _blob(50_000, seed=3)
    server.files["/m.bin"] = body
    dest = tmp_path / "m.bin"
    dest.with_name("m.bin.part").write_bytes(body)
    models.download(server.url + "/m.bin", dest, sha256=hashlib.sha256(body).hexdigest(), progress=False)
    assert dest.read_bytes() == body


def test_server_without_range_support_restarts(server, tmp_path) -> None:
    body = _blob(100_000, seed=4)
    server.files["/m.bin"] = body
    server.ignore_range = True
    dest = tmp_path / "m.bin"
    dest.with_name("m.bin.part").write_bytes(b"x" * 5000)  # would corrupt the file if appended to
    models.download(server.url + "/m.bin", dest, sha256=hashlib.sha256(body).hexdigest(), progress=False)
    assert dest.read_bytes() == body


def test_checksum_mismatch_deletes_the_download(server, tmp_path) -> None:
    server.files["/m.bin"] = _blob(10_000)
    dest = tmp_path / "m.bin"
    with pytest.raises(InvalidModelError, match="sha256 .* does not match"):
        models.download(server.url + "/m.bin", dest, sha256="0" * 64, progress=False)
    assert os.listdir(tmp_path) == []


def test_404_names_the_url_and_the_destination(server, tmp_path) -> None:
    dest = tmp_path / "m.bin"
    url = server.url + "/missing.bin"
    with pytest.raises(ModelNotFoundError) as err:
        models.download(url, dest, progress=False)
    assert url in str(err.value) and "404" in str(err.value) and str(dest) in str(err.value)
    assert not dest.exists()


def test_no_network_names_the_url_and_the_destination(tmp_path) -> None:
    url = _closed_port_url()
    dest = tmp_path / "m.bin"
    with pytest.raises(ModelNotFoundError) as err:
        models.download(url, dest, progress=False, attempts=2)
    assert url in str(err.value) and str(dest) in str(err.value)


def test_progress_goes_to_stderr(server, tmp_path, capfd) -> None:
    server.files["/m.bin"] = _blob(200_000)
    models.download(server.url + "/m.bin", tmp_path / "m.bin", progress=True)
    out, err = capfd.readouterr()
    assert out == ""
    assert "m.bin" in err and "%" in err


# -- registry, mirror, cache ------------------------------------------------------------------------------
def test_registry_entries() -> None:
    assert models.DEFAULT_MODEL in models.REGISTRY
    ds = models.REGISTRY["deepspeech-0.9.3-en"]
    assert ds.acoustic.url.startswith("https://github.com/mozilla/DeepSpeech/releases/download/v0.9.3/")
    assert ds.acoustic.url.endswith(".tflite") and ds.scorer is not None and ds.scorer.url.endswith(".scorer")
    hy = models.REGISTRY["armspeech-hy"]
    assert hy.acoustic.pip_sdist == "armspeech==0.1.4" and hy.acoustic.member == "src/model/model.tflite"
    assert hy.acoustic.sha256 == "3b834da11f2d0a1a5079b44dd5d5da2b1955dec56474ba11b4c3793e934787bc"
    assert hy.scorer is None


def test_mirror_replaces_the_base_url(server, cache, monkeypatch) -> None:
    body = _blob(70_000, seed=5)
    server.files["/mirror/deepspeech-0.9.3-models.tflite"] = body
    monkeypatch.setenv("PYDS_MODEL_MIRROR", server.url + "/mirror/")
    paths = models.fetch("deepspeech-0.9.3-en", scorer=False, progress=False)
    assert paths["acoustic"] == cache / "downloads" / "deepspeech-0.9.3-en" / "deepspeech-0.9.3-models.tflite"
    assert paths["acoustic"].read_bytes() == body
    assert server.log == [("/mirror/deepspeech-0.9.3-models.tflite", None)]
    # A second fetch uses the cache: no request.
    models.fetch("deepspeech-0.9.3-en", scorer=False, progress=False)
    assert len(server.log) == 1
    st = models.info("deepspeech-0.9.3-en")
    assert st.files[0]["cached"] and not st.files[1]["cached"] and not st.downloaded
    assert st.files[0]["url"] == server.url + "/mirror/deepspeech-0.9.3-models.tflite"


def test_mirror_checksum_is_enforced_for_published_digests(server, cache, monkeypatch) -> None:
    server.files["/armspeech-0.1.4-model.tflite"] = _blob(5000)  # not the published model
    monkeypatch.setenv("PYDS_MODEL_MIRROR", server.url)
    with pytest.raises(InvalidModelError, match="does not match"):
        models.fetch("armspeech-hy", progress=False)
    assert not list((cache / "downloads").rglob("*.tflite*"))


def test_mirror_serves_the_real_armenian_model(server, cache, monkeypatch, armenian_tflite) -> None:
    server.files["/armspeech-0.1.4-model.tflite"] = armenian_tflite.read_bytes()
    server.drop_after["/armspeech-0.1.4-model.tflite"] = 10_000_000
    server.drop_times["/armspeech-0.1.4-model.tflite"] = 1
    monkeypatch.setenv("PYDS_MODEL_MIRROR", server.url)
    path = models.fetch("armspeech-hy", progress=False)["acoustic"]
    assert models.sha256_file(path) == models.REGISTRY["armspeech-hy"].acoustic.sha256
    assert [r for _, r in server.log] == [None, "bytes=10000000-"]


def test_unreachable_registry_model_explains_what_to_fetch(cache, monkeypatch) -> None:
    url = _closed_port_url().rsplit("/", 1)[0]
    monkeypatch.setenv("PYDS_MODEL_MIRROR", url)
    with pytest.raises(ModelNotFoundError) as err:
        models.fetch("deepspeech-0.9.3-en", progress=False)
    text = str(err.value)
    for name in ("deepspeech-0.9.3-models.tflite", "deepspeech-0.9.3-models.scorer"):
        assert f"{url}/{name}" in text
        assert str(cache / "downloads" / "deepspeech-0.9.3-en" / name) in text


def test_files_put_by_hand_are_used(cache, monkeypatch) -> None:
    monkeypatch.setenv("PYDS_MODEL_MIRROR", _closed_port_url().rsplit("/", 1)[0])
    st = models.info("deepspeech-0.9.3-en")
    for f in st.files:  # the paths the error message names
        Path(f["path"]).parent.mkdir(parents=True, exist_ok=True)
        Path(f["path"]).write_bytes(b"placed by hand")
    paths = models.fetch("deepspeech-0.9.3-en", progress=False)
    assert set(paths) == {"acoustic", "scorer"}
    assert models.info("deepspeech-0.9.3-en").downloaded
    assert models.resolve_scorer("deepspeech-0.9.3-en") == paths["scorer"]


def test_cache_dir_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("PYDS_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert models.cache_dir() == tmp_path / "xdg" / "pyds"
    monkeypatch.setenv("PYDS_CACHE_DIR", str(tmp_path / "own"))
    assert models.cache_dir() == tmp_path / "own"
    monkeypatch.delenv("PYDS_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert models.cache_dir() == Path.home() / ".cache" / "pyds"
    monkeypatch.setenv("PYDS_CACHE_DIR", "~/elsewhere")  # expanded as Python does, by the one definition
    assert models.cache_dir() == Path.home() / "elsewhere"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert models.cache_dir() == tmp_path / "home" / "elsewhere"
    # the converted-bundle layout the C ABI uses (src/cpp/common/model_cache.hpp), as pyds.models sees it
    key = "sha256-" + "ab" * 32
    assert models._bundle_dir(key, tmp_path) == tmp_path / "bundles" / key


def test_list_info_remove(cache) -> None:
    listed = models.list_models()
    assert [s.name for s in listed][0] == models.DEFAULT_MODEL and listed[0].default
    assert {s.name for s in listed} == set(models.REGISTRY)
    assert all(not s.downloaded and s.bundle is None for s in listed)
    target = Path(models.info("armspeech-hy").files[0]["path"])
    target.parent.mkdir(parents=True)
    target.write_bytes(b"x")
    assert models.info("armspeech-hy").downloaded
    assert models.remove("armspeech-hy") == [target.parent]
    assert not target.exists() and models.remove("armspeech-hy") == []
    with pytest.raises(ModelNotFoundError, match="unknown model 'nope'"):
        models.info("nope")


# -- resolve ----------------------------------------------------------------------------------------------
def test_resolve_bundle_dir_is_itself(tmp_path, cache) -> None:
    bundle = tmp_path / "b"
    bundle.mkdir()
    (bundle / "pyds.json").write_text(json.dumps({"format": "pyds-bundle/1"}))
    assert models.resolve(bundle) == bundle
    assert models.resolve(str(bundle)) == bundle


def test_resolve_errors(tmp_path, cache) -> None:
    with pytest.raises(InvalidModelError, match="not a pyds model bundle"):
        models.resolve(tmp_path)
    other = tmp_path / "notes.txt"
    other.write_text("x")
    with pytest.raises(InvalidModelError, match="not a model file"):
        models.resolve(other)
    with pytest.raises(ModelNotFoundError, match="no-such-model.*not a known model name"):
        models.resolve("no-such-model")
    assert models.resolve_scorer(str(other)) is None
    assert models.resolve_scorer("armspeech-hy") is None


def test_resolve_raw_model_converts_once_keyed_by_sha256(cache, armenian_tflite, tmp_path) -> None:
    bundle = models.resolve(armenian_tflite, progress=False)
    digest = models.REGISTRY["armspeech-hy"].acoustic.sha256
    assert bundle == cache / "bundles" / f"sha256-{digest}"
    assert (bundle / "pyds.json").is_file()
    stamp = (bundle / "pyds.json").stat().st_mtime_ns
    copy = tmp_path / "renamed.tflite"
    copy.write_bytes(armenian_tflite.read_bytes())
    assert models.resolve(copy) == bundle  # same content, same bundle, no second conversion
    assert (bundle / "pyds.json").stat().st_mtime_ns == stamp
    assert list(models.iter_cached_bundles()) == [bundle]


def test_concurrent_fetches_download_once(server, cache, monkeypatch) -> None:
    import threading

    body = _blob(2_000_000, seed=8)
    server.files["/deepspeech-0.9.3-models.tflite"] = body
    monkeypatch.setenv("PYDS_MODEL_MIRROR", server.url)
    results, errors = [], []

    def worker() -> None:
        try:
            results.append(models.fetch("deepspeech-0.9.3-en", scorer=False, progress=False)["acoustic"])
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and len(results) == 4 and len(set(results)) == 1
    assert results[0].read_bytes() == body
    assert len(server.log) == 1  # the others waited on the lock and found the file


# -- files inside a PyPI sdist: pip's configured index, fetched by pyds with a progress bar ----------------
def _sdist(project: str, version: str, members: dict[str, bytes]) -> bytes:
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in {"PKG-INFO": b"Metadata-Version: 2.1\n", **members}.items():
            info = tarfile.TarInfo(f"{project}-{version}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture
def sdist_model(server, cache, monkeypatch):
    """A registry model whose file is src/model/model.tflite inside the sdist tiny_model==1.0 on a local index.

    pip's configuration is the test's alone: no config files (PIP_CONFIG_FILE=/dev/null), no PIP_* indexes.
    """
    member = _blob(700_000, seed=11)
    sdist = _sdist("tiny_model", "1.0", {"src/model/model.tflite": member, "setup.py": b""})
    spec = models.ModelSpec(
        name="tiny-sdist",
        description="test",
        language="xx",
        files=(
            models.ModelFile(
                "tiny.tflite",
                "acoustic",
                "https://example.invalid/tiny_model-1.0.tar.gz",
                sha256=hashlib.sha256(member).hexdigest(),
                pip_sdist="tiny-model==1.0",
                member="src/model/model.tflite",
            ),
        ),
        homepage="https://example.invalid",
        license="test",
    )
    monkeypatch.setitem(models.REGISTRY, spec.name, spec)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    for var in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"):
        monkeypatch.delenv(var, raising=False)
    server.files["/files/tiny_model-1.0.tar.gz"] = sdist
    return member, sdist


def test_sdist_from_the_json_index_shows_a_progress_bar_not_pip(server, cache, sdist_model, monkeypatch, capfd) -> None:
    member, sdist = sdist_model
    server.files["/simple/tiny-model/"] = json.dumps(
        {
            "meta": {"api-version": "1.0"},
            "name": "tiny-model",
            "files": [
                {"filename": "tiny_model-0.9.tar.gz", "url": "../../files/old.tar.gz", "hashes": {}},
                {
                    "filename": "tiny_model-1.0.tar.gz",
                    "url": "../../files/tiny_model-1.0.tar.gz",
                    "hashes": {"sha256": hashlib.sha256(sdist).hexdigest()},
                },
            ],
        }
    ).encode()
    server.content_types["/simple/tiny-model/"] = "application/vnd.pypi.simple.v1+json"
    monkeypatch.setenv("PIP_INDEX_URL", server.url + "/simple")
    path = models.fetch("tiny-sdist", progress=True)["acoustic"]
    assert path.read_bytes() == member
    assert os.listdir(path.parent) == ["tiny.tflite"]  # the sdist is gone once the member is out
    assert [p for p, _ in server.log] == ["/simple/tiny-model/", "/files/tiny_model-1.0.tar.gz"]
    out, err = capfd.readouterr()
    assert out == ""
    # tqdm's bar, by bytes of the sdist, completed; none of pip's own output.
    assert "tiny_model-1.0.tar.gz: 100%" in err and "|" in err
    assert not any(word in err for word in ("Collecting", "Saved", "Successfully", "Downloading"))


def test_sdist_from_an_extra_html_index_with_its_sha256(server, cache, sdist_model, monkeypatch) -> None:
    member, sdist = sdist_model
    digest = hashlib.sha256(sdist).hexdigest()
    server.files["/extra/tiny-model/"] = (
        f'<html><body><a href="/files/tiny_model-1.0.tar.gz#sha256={digest}">tiny_model-1.0.tar.gz</a></body></html>'
    ).encode()
    conf = cache.parent / "pip.conf"
    # The first index has no such project (404); pip's [download] section overrides [global].
    conf.write_text(
        f"[global]\nindex-url = {server.url}/unused\n"
        f"[download]\nindex-url = {server.url}/empty\nextra-index-url = {server.url}/extra\n"
    )
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    assert models.pip_index_urls() == [f"{server.url}/empty", f"{server.url}/extra"]
    assert models.fetch("tiny-sdist", progress=False)["acoustic"].read_bytes() == member
    monkeypatch.setenv("PIP_INDEX_URL", "https://index.invalid/simple")
    assert models.pip_index_urls()[0] == "https://index.invalid/simple"  # the environment wins, as in pip


def test_sdist_index_failures_are_clear(server, cache, sdist_model, monkeypatch) -> None:
    member, sdist = sdist_model
    monkeypatch.setenv("PIP_INDEX_URL", server.url + "/simple")
    with pytest.raises(ModelNotFoundError) as err:  # the index does not list the project
        models.fetch("tiny-sdist", progress=False)
    text = str(err.value)
    assert "tiny-model==1.0" in text and server.url + "/simple" in text and "src/model/model.tflite" in text
    assert str(cache / "downloads" / "tiny-sdist" / "tiny.tflite") in text
    server.files["/simple/tiny-model/"] = (
        f'<a href="/files/tiny_model-1.0.tar.gz#sha256={"0" * 64}">tiny_model-1.0.tar.gz</a>'
    ).encode()
    with pytest.raises(InvalidModelError, match="sha256"):  # the index's digest is checked
        models.fetch("tiny-sdist", progress=False)
    assert not (cache / "downloads" / "tiny-sdist" / "tiny.tflite").exists()
