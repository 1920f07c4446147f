"""The C ABI (DS_*/STT_*) of the installed package: compiled C programs and ctypes against libpyds,
libstt.so and libdeepspeech.so from pyds.get_lib_dir(), compared with the Python API on the Armenian model."""

from __future__ import annotations

import csv
import ctypes
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, missing, shared_path

import pyds

CLIPS = ["s003_hy", "s020_hyw", "s047_hy"]
BEAM = 100


def ov_lib_dir() -> str:
    spec = importlib.util.find_spec("openvino")
    assert spec is not None and spec.submodule_search_locations
    return str(Path(next(iter(spec.submodule_search_locations))) / "libs")


def run_env(**extra: str) -> dict[str, str]:
    """The environment a C program needs: OpenVINO's libs (not beside pyds in a system-site-packages venv)."""
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.pathsep.join([pyds.get_lib_dir(), ov_lib_dir(), env.get("LD_LIBRARY_PATH", "")])
    env["PYDS_PYTHON"] = sys.executable
    env.update(extra)
    return env


def compile_c(cc: str, source: Path, out: Path, libs: list[str], *flags: str, lib_dir: str | None = None) -> Path:
    lib_dir = lib_dir or pyds.get_lib_dir()
    cmd = [
        cc,
        "-std=c99",
        "-Wall",
        "-Wextra",
        "-Werror",
        *flags,
        f"-I{pyds.get_include()}/pyds/c",
        str(source),
        "-o",
        str(out),
        f"-L{lib_dir}",
        *[f"-l{lib}" for lib in libs],
        f"-Wl,-rpath,{lib_dir}",
        f"-Wl,-rpath-link,{ov_lib_dir()}",
        f"-Wl,-rpath-link,{pyds.get_lib_dir()}",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stderr}"
    return out


def clip(name: str) -> np.ndarray:
    with wave.open(str(shared_path(f"data/armenian-tts/{name}.wav"))) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


@pytest.fixture(scope="module")
def model(armenian_bundle: Path) -> pyds.Model:
    return pyds.Model(armenian_bundle, beam_width=BEAM)


# --- a C program against the installed headers and libstt.so ---------------------------------------------
def test_c_streaming_client_matches_python(cc, tmp_path, armenian_bundle, model):
    exe = compile_c(cc, REPO / "tests" / "capi" / "stt_client.c", tmp_path / "stt_client", ["stt"])
    wavs = [str(shared_path(f"data/armenian-tts/{n}.wav")) for n in CLIPS]
    chunk = 2900
    done = subprocess.run(
        [str(exe), str(armenian_bundle), str(chunk), str(BEAM), *wavs],
        capture_output=True,
        env=run_env(),
        timeout=600,
    )
    assert done.returncode == 0, done.stderr.decode()
    lines = [line.split("\t") for line in done.stdout.decode("utf-8").splitlines()]
    for name, wav in zip(CLIPS, wavs):
        rows = [r[1:] for r in lines if r[0] == wav]
        samples = clip(name)
        best = model.stt_with_metadata(samples, 2)[0]
        assert [r[1] for r in rows if r[0] == "stt"] == [model.stt(samples)]
        meta = next(r for r in rows if r[0] == "meta")
        assert meta[1] == best.text
        assert float(meta[2]) == pytest.approx(best.confidence, abs=1e-3)
        assert meta[3] == ",".join(str(t) for t in best.timesteps)

        stream = model.create_stream()
        partials = []
        for at in range(0, len(samples), chunk):
            stream.feed_audio_content(samples[at : at + chunk])
            partials.append(stream.intermediate_decode())
        final = stream.finish_stream_with_metadata(1)[0]
        assert [r[1] for r in rows if r[0] == "partial"] == partials
        streamed = next(r for r in rows if r[0] == "stream")
        assert streamed[1:] == [
            final.text,
            f"{final.confidence:.4f}",
            ",".join(str(t) for t in final.timesteps),
        ]
        assert final.text == best.text  # streaming in chunks gives the one-shot result

        flushing = model.create_stream()
        flushing.feed_audio_content(samples[: len(samples) // 2])
        assert [r[1] for r in rows if r[0] == "flush"] == [flushing.intermediate_decode_flush_buffers(1)[0].text]


# --- ctypes against libstt.so ------------------------------------------------------------------------------
class TokenMetadata(ctypes.Structure):
    _fields_ = [("text", ctypes.c_char_p), ("timestep", ctypes.c_uint), ("start_time", ctypes.c_float)]


class CandidateTranscript(ctypes.Structure):
    _fields_ = [
        ("tokens", ctypes.POINTER(TokenMetadata)),
        ("num_tokens", ctypes.c_uint),
        ("confidence", ctypes.c_double),
    ]


class Metadata(ctypes.Structure):
    _fields_ = [("transcripts", ctypes.POINTER(CandidateTranscript)), ("num_transcripts", ctypes.c_uint)]


def load_c_api(name: str, prefix: str) -> ctypes.CDLL:
    """libstt.so / libdeepspeech.so from pyds.get_lib_dir(), with the prototypes of the C headers."""
    for lib in sorted(Path(ov_lib_dir()).glob("libopenvino.so.*")):  # what LD_LIBRARY_PATH would give
        ctypes.CDLL(str(lib), mode=ctypes.RTLD_GLOBAL)
    lib = ctypes.CDLL(str(Path(pyds.get_lib_dir()) / name))
    P, C = ctypes.c_void_p, ctypes.c_char_p
    protos = {
        "CreateModel": (ctypes.c_int, [C, ctypes.POINTER(P)]),
        "FreeModel": (None, [P]),
        "GetModelBeamWidth": (ctypes.c_uint, [P]),
        "SetModelBeamWidth": (ctypes.c_int, [P, ctypes.c_uint]),
        "GetModelSampleRate": (ctypes.c_int, [P]),
        "EnableExternalScorer": (ctypes.c_int, [P, C]),
        "DisableExternalScorer": (ctypes.c_int, [P]),
        "SetScorerAlphaBeta": (ctypes.c_int, [P, ctypes.c_float, ctypes.c_float]),
        "AddHotWord": (ctypes.c_int, [P, C, ctypes.c_float]),
        "EraseHotWord": (ctypes.c_int, [P, C]),
        "ClearHotWords": (ctypes.c_int, [P]),
        "SpeechToText": (P, [P, P, ctypes.c_uint]),
        "SpeechToTextWithMetadata": (ctypes.POINTER(Metadata), [P, P, ctypes.c_uint, ctypes.c_uint]),
        "CreateStream": (ctypes.c_int, [P, ctypes.POINTER(P)]),
        "FeedAudioContent": (None, [P, P, ctypes.c_uint]),
        "IntermediateDecode": (P, [P]),
        "IntermediateDecodeWithMetadata": (ctypes.POINTER(Metadata), [P, ctypes.c_uint]),
        "FinishStream": (P, [P]),
        "FinishStreamWithMetadata": (ctypes.POINTER(Metadata), [P, ctypes.c_uint]),
        "FreeStream": (None, [P]),
        "FreeMetadata": (None, [P]),
        "FreeString": (None, [P]),
        "Version": (P, []),
        "ErrorCodeToErrorMessage": (P, [ctypes.c_int]),
    }
    if prefix == "STT":
        protos.update(
            {
                "IntermediateDecodeFlushBuffers": (P, [P]),
                "IntermediateDecodeWithMetadataFlushBuffers": (ctypes.POINTER(Metadata), [P, ctypes.c_uint]),
                "CreateModelFromBuffer": (ctypes.c_int, [C, ctypes.c_uint, ctypes.POINTER(P)]),
                "EnableExternalScorerFromBuffer": (ctypes.c_int, [P, C, ctypes.c_uint]),
            }
        )
    for short, (restype, argtypes) in protos.items():
        fn = getattr(lib, f"{prefix}_{short}")
        fn.restype, fn.argtypes = restype, argtypes
    return lib


class CApi:
    """Thin Python helpers over one loaded C ABI library (strings freed with *_FreeString)."""

    def __init__(self, lib: ctypes.CDLL, prefix: str) -> None:
        self.lib, self.prefix = lib, prefix

    def __getattr__(self, short: str):
        return getattr(self.lib, f"{self.prefix}_{short}")

    def take_string(self, ptr: int | None) -> str | None:
        if not ptr:
            return None
        text = ctypes.string_at(ptr).decode("utf-8")
        self.FreeString(ptr)
        return text

    def create_model(self, path: str | None) -> tuple[int, ctypes.c_void_p]:
        handle = ctypes.c_void_p()
        code = self.CreateModel(path.encode() if path is not None else None, ctypes.byref(handle))
        return code, handle

    def stt(self, model: ctypes.c_void_p, samples: np.ndarray) -> str | None:
        return self.take_string(self.SpeechToText(model, samples.ctypes.data, len(samples)))

    def message(self, code: int) -> str:
        return self.take_string(self.ErrorCodeToErrorMessage(code))


@pytest.fixture(scope="module")
def stt_api() -> CApi:
    return CApi(load_c_api("libstt.so", "STT"), "STT")


@pytest.fixture(scope="module")
def ds_api() -> CApi:
    return CApi(load_c_api("libdeepspeech.so", "DS"), "DS")


@pytest.fixture(scope="module")
def c_model(stt_api, armenian_bundle):
    code, handle = stt_api.create_model(str(armenian_bundle))
    assert code == 0
    yield handle
    stt_api.FreeModel(handle)


def test_ctypes_libstt_matches_python_and_the_peer(stt_api, c_model, armenian_bundle):
    """At the model's default beam (500), libstt.so gives the Python API's transcripts, so it matches the peer
    (Coqui STT 1.4.0) on the same files."""
    python = pyds.Model(armenian_bundle)
    assert stt_api.GetModelBeamWidth(c_model) == python.beam_width == 500
    assert stt_api.GetModelSampleRate(c_model) == 16000
    with open(shared_path("data/armenian-tts/peer_coqui_stt_1.4.0.tsv"), encoding="utf-8") as f:
        peer = {r["file"]: r["transcript"] for r in csv.DictReader(f, delimiter="\t") if r["beam_width"] == "500"}
    names = ["s003_hy", "s003_hyw", "s020_hy", "s047_hy", "s099_hyw", "s104_hy"]
    c_same, py_same = set(), set()
    for name in names:
        samples = clip(name)
        c_text, py_text = stt_api.stt(c_model, samples), python.stt(samples)
        assert c_text == py_text, name
        if c_text == peer[f"{name}.wav"]:
            c_same.add(name)
        if py_text == peer[f"{name}.wav"]:
            py_same.add(name)
    print(f"libstt.so vs peer: {len(c_same)}/{len(names)} identical; Python API: {len(py_same)}/{len(names)}")
    assert c_same == py_same == set(names)  # the logits are TFLite-exact, so every transcript is the peer's


def test_metadata_layout_and_num_results(stt_api, c_model, model):
    samples = clip("s020_hyw")
    stt_api.SetModelBeamWidth(c_model, BEAM)
    meta = stt_api.SpeechToTextWithMetadata(c_model, samples.ctypes.data, len(samples), 3)
    assert meta
    try:
        expected = model.stt_with_metadata(samples, 3)
        assert meta.contents.num_transcripts == len(expected) == 3
        for i, want in enumerate(expected):
            got = meta.contents.transcripts[i]
            tokens = [got.tokens[j] for j in range(got.num_tokens)]
            assert "".join(t.text.decode() for t in tokens) == want.text
            assert [t.timestep for t in tokens] == want.timesteps
            assert [t.start_time for t in tokens] == pytest.approx([t.start_time for t in want.tokens], abs=1e-6)
            assert got.confidence == pytest.approx(want.confidence, abs=1e-4)
    finally:
        stt_api.FreeMetadata(meta)
        stt_api.SetModelBeamWidth(c_model, 500)


# --- error codes -------------------------------------------------------------------------------------------
def header_codes(cc: str, tmp_path: Path) -> dict[str, tuple[int, str]]:
    """The error tables of the installed headers, compiled: NAME -> (value, message) for DS_ERR_* and STT_ERR_*
    (each enum constant checked against its table row)."""
    exe = compile_c(cc, REPO / "tests" / "capi" / "error_table.c", tmp_path / "error_table", [])
    done = subprocess.run([str(exe)], capture_output=True, text=True, check=True)
    codes = {}
    for line in done.stdout.splitlines():
        name, value, constant, message = line.split("\t")
        assert value == constant, name
        codes[name] = (int(value), message)
    return codes


def test_error_tables_agree_everywhere(stt_api, ds_api, cc, tmp_path):
    from pyds import compat

    header = header_codes(cc, tmp_path)
    assert len(header) == 2 * len(compat.ERROR_CODES) == 2 * 23
    for name, (value, message) in compat.ERROR_CODES.items():
        assert header["DS_" + name] == header["STT_" + name] == (value, message)
        assert ds_api.message(value) == stt_api.message(value) == message
    # the numbers and texts of DeepSpeech 0.9.3 / Coqui STT 1.4.0 (a few, from their headers)
    assert compat.ERROR_CODES["ERR_OK"] == (0, "No error.")
    assert compat.ERROR_CODES["ERR_FAIL_ERASE_HOTWORD"] == (0x3010, "Could not erase hot-word.")
    assert compat.ERROR_CODES["ERR_SCORER_VERSION_MISMATCH"][0] == 0x2009
    assert (
        stt_api.message(0x4242)
        == compat.errorCodeToErrorMessage(0x4242)
        == ("Unknown error, please make sure you are using the correct error code.")
    )


def test_every_error_code_is_mapped_and_the_reachable_ones_reached(
    stt_api, c_model, armenian_bundle, tmp_path, monkeypatch, cc
):
    api = stt_api
    codes = header_codes(cc, tmp_path)
    monkeypatch.setenv("PYDS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PYDS_PYTHON", sys.executable)
    monkeypatch.setenv("PYDS_CAPI_QUIET", "1")
    reached: dict[str, int] = {}

    def expect(name: str, code: int) -> None:
        assert code == codes[f"STT_ERR_{name}"][0], (name, hex(code))
        reached[name] = code

    # Models.
    expect("NO_MODEL", api.create_model(None)[0])
    expect("NO_MODEL", api.create_model("")[0])
    expect("FAIL_INIT_MMAP", api.create_model(str(tmp_path / "missing.tflite"))[0])
    expect("MODEL_INCOMPATIBLE", api.create_model(str(tmp_path))[0])  # a directory that is not a bundle
    corrupt = tmp_path / "corrupt.tflite"
    corrupt.write_bytes(b"\x1c\x00\x00\x00TFL3" + bytes(range(256)) * 4)
    expect("FAIL_READ_PROTOBUF", api.create_model(str(corrupt))[0])  # the converter rejects it
    broken = tmp_path / "broken-bundle"
    shutil.copytree(armenian_bundle, broken)
    manifest = json.loads((broken / "pyds.json").read_text())
    manifest["n_cell_dim"] = int(manifest["n_cell_dim"]) + 1
    (broken / "pyds.json").write_text(json.dumps(manifest))
    expect("MODEL_INCOMPATIBLE", api.create_model(str(broken))[0])  # pyds.json does not match the IR
    (broken / "pyds.json").write_text(json.dumps({**manifest, "n_cell_dim": manifest["n_cell_dim"] - 1}))
    (broken / manifest["acoustic_model"]).write_text("<net>not an IR</net>")
    code = api.create_model(str(broken))[0]
    assert code in (0x2003, 0x3001), hex(code)  # an unreadable IR: incompatible or the session cannot start
    reached["FAIL_INIT_SESS" if code == 0x3001 else "MODEL_INCOMPATIBLE"] = code
    expect("FAIL_CREATE_MODEL", api.CreateModel(str(armenian_bundle).encode(), None))
    expect("NO_MODEL", api.CreateModelFromBuffer(None, 0, ctypes.byref(ctypes.c_void_p())))
    expect(
        "FAIL_READ_PROTOBUF",
        api.CreateModelFromBuffer(corrupt.read_bytes(), corrupt.stat().st_size, ctypes.byref(ctypes.c_void_p())),
    )

    # Decoder settings.
    expect("INVALID_SHAPE", api.SetModelBeamWidth(c_model, 0))
    expect("NO_MODEL", api.SetModelBeamWidth(None, 10))
    assert api.GetModelBeamWidth(None) == 0 and api.GetModelSampleRate(None) == 0
    expect("INVALID_SCORER", api.EnableExternalScorer(c_model, str(tmp_path / "missing.scorer").encode()))
    expect("INVALID_SCORER", api.EnableExternalScorer(c_model, None))
    expect("INVALID_SCORER", api.EnableExternalScorer(c_model, str(corrupt).encode()))
    expect("INVALID_SCORER", api.EnableExternalScorerFromBuffer(c_model, b"not a scorer", 12))
    expect("NO_MODEL", api.EnableExternalScorer(None, b"x"))
    expect("SCORER_NOT_ENABLED", api.SetScorerAlphaBeta(c_model, 0.5, 0.5))
    expect("SCORER_NOT_ENABLED", api.AddHotWord(c_model, "բառ".encode(), 5.0))
    expect("SCORER_NOT_ENABLED", api.EraseHotWord(c_model, "բառ".encode()))
    expect("SCORER_NOT_ENABLED", api.ClearHotWords(c_model))
    expect("SCORER_NOT_ENABLED", api.DisableExternalScorer(c_model))

    # Streams.
    expect("NO_MODEL", api.CreateStream(None, ctypes.byref(ctypes.c_void_p())))
    expect("FAIL_CREATE_STREAM", api.CreateStream(c_model, None))

    # With a scorer: a bytes-mode scorer does not fit this character-alphabet model; a small Armenian one does.
    from pyds import decoder
    from pyds._core import write_scorer_package

    bytes_scorer = shared_path("data/deepspeech-smoke/pruned_lm.bytes.scorer")
    expect("INVALID_SCORER", api.EnableExternalScorer(c_model, str(bytes_scorer).encode()))
    arpa = tmp_path / "hy.arpa"
    words = ["շատ", "հաց", "ալե"]
    arpa.write_text(
        "\\data\\\nngram 1=5\nngram 2=1\n\n\\1-grams:\n-1.0\t<s>\t-0.1\n-1.0\t</s>\n"
        + "".join(f"-1.0\t{w}\t-0.1\n" for w in words)
        + f"\n\\2-grams:\n-0.5\t<s> {words[0]}\n\n\\end\\\n",
        encoding="utf-8",
    )
    alphabet = decoder.Alphabet(json.loads((armenian_bundle / "pyds.json").read_text(encoding="utf-8"))["alphabet"])
    scorer = tmp_path / "hy.scorer"
    write_scorer_package(arpa, scorer, alphabet, 0.9, 1.1)
    assert api.EnableExternalScorer(c_model, str(scorer).encode()) == 0
    assert api.AddHotWord(c_model, "հաց".encode(), 2.0) == 0
    expect("FAIL_INSERT_HOTWORD", api.AddHotWord(c_model, "հաց".encode(), 3.0))
    assert api.EraseHotWord(c_model, "հաց".encode()) == 0
    expect("FAIL_ERASE_HOTWORD", api.EraseHotWord(c_model, "հաց".encode()))
    assert api.SetScorerAlphaBeta(c_model, 0.0, 0.0) == 0
    expect("INVALID_SCORER", api.SetScorerAlphaBeta(c_model, float("nan"), 0.0))
    assert api.DisableExternalScorer(c_model) == 0

    # Codes the C ABI never returns, as in DeepSpeech/Coqui: the scorer's internal reasons (every scorer
    # failure is INVALID_SCORER), the TFLite/TF-session ones, clearing hot words (cannot fail), and
    # INVALID_ALPHABET (a bundle's bad alphabet is an incompatible model here). Decode failures give NULL.
    never = {
        "OK",
        "SCORER_UNREADABLE",
        "SCORER_INVALID_LM",
        "SCORER_NO_TRIE",
        "SCORER_INVALID_TRIE",
        "SCORER_VERSION_MISMATCH",
        "FAIL_INTERPRETER",
        "FAIL_RUN_SESS",
        "FAIL_CREATE_SESS",
        "FAIL_CLEAR_HOTWORD",
        "INVALID_ALPHABET",
        "FAIL_INIT_SESS",
        "FAIL_INSERT_HOTWORD",
        "FAIL_ERASE_HOTWORD",
    }
    every = {name.removeprefix("STT_ERR_") for name in codes if name.startswith("STT_ERR_")}
    assert every - never <= set(reached), sorted(every - never - set(reached))


def test_null_and_misuse_never_crash(stt_api, c_model):
    api = stt_api
    samples = clip("s003_hy")
    assert api.stt(None, samples) is None
    assert api.take_string(api.SpeechToText(c_model, None, 100)) is None
    assert api.take_string(api.SpeechToText(c_model, None, 0)) == ""  # no audio: an empty transcript
    assert not api.SpeechToTextWithMetadata(None, samples.ctypes.data, len(samples), 1)
    api.FeedAudioContent(None, samples.ctypes.data, len(samples))
    assert api.IntermediateDecode(None) is None and api.FinishStream(None) is None
    assert not api.IntermediateDecodeWithMetadata(None, 1) and not api.FinishStreamWithMetadata(None, 1)
    assert api.IntermediateDecodeFlushBuffers(None) is None
    for free in (api.FreeStream, api.FreeMetadata, api.FreeString, api.FreeModel):
        free(None)
    # A NULL buffer fed to a live stream poisons it: decodes return NULL, finishing still frees it.
    stream = ctypes.c_void_p()
    assert api.CreateStream(c_model, ctypes.byref(stream)) == 0
    api.FeedAudioContent(stream, None, 10)
    assert api.IntermediateDecode(stream) is None
    assert api.FinishStream(stream) is None
    code, handle = api.create_model(str(Path(pyds.get_lib_dir())))  # not a bundle: no handle
    assert code != 0 and not handle.value
    version = api.take_string(api.Version())
    assert version == f"1.4.0+pyds.{pyds.__version__}"


def test_stream_outlives_freed_model(stt_api, armenian_bundle):
    api = stt_api
    code, handle = api.create_model(str(armenian_bundle))
    assert code == 0
    stream = ctypes.c_void_p()
    assert api.CreateStream(handle, ctypes.byref(stream)) == 0
    api.FreeModel(handle)
    samples = clip("s003_hy")
    api.FeedAudioContent(stream, samples.ctypes.data, len(samples))
    assert api.take_string(api.FinishStream(stream))


def test_raw_model_converted_once_and_shared_by_sha256(stt_api, armenian_tflite, tmp_path, monkeypatch):
    monkeypatch.setenv("PYDS_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("PYDS_PYTHON", sys.executable)
    digest = hashlib.sha256(armenian_tflite.read_bytes()).hexdigest()
    code, handle = stt_api.create_model(str(armenian_tflite))
    assert code == 0
    stt_api.FreeModel(handle)
    bundle = tmp_path / "bundles" / f"sha256-{digest}"
    manifest = bundle / "pyds.json"
    assert manifest.is_file()
    stamp = manifest.stat().st_mtime_ns
    data = armenian_tflite.read_bytes()
    handle = ctypes.c_void_p()
    assert stt_api.CreateModelFromBuffer(data, len(data), ctypes.byref(handle)) == 0  # the same bytes: cached
    samples = clip("s003_hy")
    assert stt_api.stt(handle, samples) == pyds.Model(bundle).stt(samples)
    stt_api.FreeModel(handle)
    assert manifest.stat().st_mtime_ns == stamp
    assert sorted(p.name for p in (tmp_path / "bundles").iterdir()) == [f"sha256-{digest}"]


# --- binaries built against the original libraries ---------------------------------------------------------
STUB_RE = re.compile(r"DEEPSPEECH_EXPORT [^;(]*?\b(DS_\w+)\(")


def test_binary_linked_against_original_libdeepspeech_runs_on_pyds(cc, tmp_path, armenian_bundle, model):
    """Build the DeepSpeech example against a stand-in for the original libdeepspeech.so (same SONAME, no pyds
    inside), then run the binary with LD_LIBRARY_PATH at pyds.get_lib_dir(): pyds's library answers."""
    header = (Path(pyds.get_include()) / "pyds" / "c" / "deepspeech.h").read_text()
    names = sorted(set(STUB_RE.findall(header)))
    assert len(names) == 24
    original = tmp_path / "original"
    original.mkdir()
    (original / "stub.c").write_text("".join(f"void {n}(void) {{}}\n" for n in names))
    done = subprocess.run(
        [
            cc,
            "-shared",
            "-fPIC",
            "-Wl,-soname,libdeepspeech.so",
            str(original / "stub.c"),
            "-o",
            str(original / "libdeepspeech.so"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    exe = tmp_path / "deepspeech_client"
    cmd = [
        cc,
        "-std=c99",
        f"-I{pyds.get_include()}/pyds/c",
        str(REPO / "src/cpp/examples/deepspeech_client.c"),
        "-o",
        str(exe),
        f"-L{original}",
        "-ldeepspeech",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    needed = subprocess.run(["readelf", "-d", str(exe)], capture_output=True, text=True).stdout
    assert "libdeepspeech.so" in needed and "libpyds" not in needed
    wav = shared_path("data/armenian-tts/s047_hy.wav")
    done = subprocess.run(
        [str(exe), "--model", str(armenian_bundle), "--beam_width", str(BEAM), "--audio", str(wav)],
        capture_output=True,
        env=run_env(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip().splitlines()[-1] == model.stt(clip("s047_hy"))


def test_link_lines_ldeepspeech_and_lpyds_both_work(cc, tmp_path, armenian_bundle, model):
    wav = shared_path("data/armenian-tts/s003_hy.wav")
    for lib in ("deepspeech", "pyds"):
        exe = compile_c(cc, REPO / "src/cpp/examples/deepspeech_client.c", tmp_path / f"client-{lib}", [lib])
        done = subprocess.run(
            [
                str(exe),
                "--model",
                str(armenian_bundle),
                "--beam_width",
                str(BEAM),
                "--audio",
                str(wav),
                "--stream",
                "4000",
            ],
            capture_output=True,
            env=run_env(),
            timeout=300,
        )
        assert done.returncode == 0, done.stderr.decode()
        assert done.stdout.decode().strip().splitlines()[-1] == model.stt(clip("s003_hy"))


# --- the C++ SDK: find_package(pyds) and the example programs ----------------------------------------------
def test_examples_build_against_the_installed_package(tmp_path, armenian_bundle, model):
    cmake = shutil.which("cmake")
    if cmake is None:
        missing("cmake not on PATH")
    build = tmp_path / "build"
    configure = [
        cmake,
        "-S",
        str(REPO / "src/cpp/examples"),
        "-B",
        str(build),
        "-DCMAKE_BUILD_TYPE=Release",
        f"-Dpyds_DIR={pyds.get_cmake_dir()}",
        f"-DPython3_EXECUTABLE={sys.executable}",
    ]
    done = subprocess.run(configure, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run([cmake, "--build", str(build), "-j2"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    wav = shared_path("data/armenian-tts/s020_hy.wav")
    expected = model.stt(clip("s020_hy"))
    done = subprocess.run(
        [str(build / "transcribe_stream"), str(armenian_bundle), str(wav), str(BEAM)],
        capture_output=True,
        env=run_env(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode().splitlines()
    assert out[-1] == f"final: {expected}"
    assert any(line.startswith("partial: ") for line in out)
    done = subprocess.run(
        [
            str(build / "deepspeech_client"),
            "--model",
            str(armenian_bundle),
            "--beam_width",
            str(BEAM),
            "--audio",
            str(wav),
            "--extended",
        ],
        capture_output=True,
        env=run_env(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip().splitlines()[-1] == expected


# --- sanitizers (opt-in: rebuilds the core) ----------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("PYDS_TEST_ASAN") != "1",
    reason="rebuilds libpyds with ASan/UBSan (about 4 minutes on 2 cores): set PYDS_TEST_ASAN=1",
)
def test_c_abi_failure_paths_under_address_sanitizer(cc, tmp_path):
    """The C ABI's failure paths (NULLs, missing files, messages) under ASan + UBSan. No model is loaded:
    OpenVINO's TBB dlopens a library with RTLD_DEEPBIND, which AddressSanitizer refuses."""
    cmake = shutil.which("cmake")
    if cmake is None:
        missing("cmake not on PATH")
    build = tmp_path / "asan"
    configure = [
        cmake,
        "-S",
        str(REPO),
        "-B",
        str(build),
        "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
        "-DPYDS_SANITIZE=ON",
        "-DPYDS_BUILD_PYTHON=OFF",
        f"-DPython_EXECUTABLE={sys.executable}",
    ]
    done = subprocess.run(configure, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run(
        [cmake, "--build", str(build), "-j2", "--target", "pyds_stt"],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lib_dir = build / "src" / "cpp"
    exe = compile_c(
        cc,
        REPO / "tests" / "capi" / "stt_errors.c",
        tmp_path / "stt_errors",
        ["stt"],
        "-fsanitize=address,undefined",
        lib_dir=str(lib_dir),
    )
    env = run_env(ASAN_OPTIONS="detect_leaks=1:abort_on_error=1", UBSAN_OPTIONS="halt_on_error=1", PYDS_CAPI_QUIET="1")
    env["LD_LIBRARY_PATH"] = os.pathsep.join([str(lib_dir), ov_lib_dir()])
    done = subprocess.run([str(exe), str(tmp_path)], capture_output=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr.decode()[-5000:]
    assert done.stdout.decode().strip() == "ok"


# --- the headers alone -------------------------------------------------------------------------------------
def test_public_headers_compile_with_pyds_include_dir_only(cc, tmp_path):
    """C++ headers need no OpenVINO headers; both C headers go into one C99 or C++ translation unit."""
    include = pyds.get_include()
    cxx = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
    if cxx is None:
        missing("no C++ compiler on PATH")
    headers = sorted(p.name for p in (Path(include) / "pyds").glob("*.hpp"))
    assert {"model.hpp", "stream.hpp", "decoder.hpp", "scorer.hpp", "errors.hpp"} <= set(headers)
    unit = tmp_path / "all.cpp"
    unit.write_text(
        "".join(f"#include <pyds/{h}>\n" for h in headers) + '#include "deepspeech.h"\n'
        '#include "coqui-stt.h"\nint main() { return DS_ERR_OK + STT_ERR_OK; }\n'
    )
    done = subprocess.run(
        [
            cxx,
            "-std=c++17",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-fsyntax-only",
            f"-I{include}",
            f"-I{include}/pyds/c",
            str(unit),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    c_unit = tmp_path / "both.c"
    c_unit.write_text(
        '#include "deepspeech.h"\n#include "coqui-stt.h"\n'
        "int main(void) { return (int)DS_ERR_NO_MODEL == (int)STT_ERR_NO_MODEL ? 0 : 1; }\n"
    )
    done = subprocess.run(
        [
            cc,
            "-std=c99",
            "-pedantic",
            "-Wall",
            "-Werror",
            "-fsyntax-only",
            f"-I{include}/pyds/c",
            str(c_unit),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
