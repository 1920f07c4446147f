"""The peer: Coqui STT 1.4.0's own libstt.so (the PyPI wheel stt==1.4.0), fetched with pip and loaded with ctypes.

One place for the tests' reference transcripts (tests/references.py) and benchmarks/run.py. The wheel is built for
CPython 3.9, but libstt.so and libkenlm.so are plain C libraries: pip downloads the wheel for that tag and only the
two libraries are kept, so any Python loads them. libkenlm.so must be loaded first with RTLD_GLOBAL (libstt.so
links against it without an rpath).

Run as a script (``python coqui_peer.py JOB.json OUT.json``) to transcribe in a process of its own: libstt.so
carries its own TensorFlow Lite, which should not share a process with TensorFlow.
"""

from __future__ import annotations

import ctypes
import json
import subprocess
import sys
import tempfile
import wave
import zipfile
from pathlib import Path

import numpy as np

STT_WHEEL = "stt==1.4.0"
LIBS = ("libstt.so", "libkenlm.so")


def fetch_libs(cache: Path) -> Path:
    """libstt.so + libkenlm.so of the PyPI wheel stt==1.4.0, fetched once with pip into ``cache/stt-1.4.0``."""
    target = cache / "stt-1.4.0"
    if all((target / name).is_file() for name in LIBS):
        return target
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version", "3.9"]
            + ["--platform", "manylinux_2_24_x86_64", "-d", tmp, STT_WHEEL],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"pip cannot download {STT_WHEEL}: {done.stderr.strip()[-500:]}")
        wheel = next(Path(tmp).glob("stt-1.4.0-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            for member in z.namelist():
                if Path(member).name in LIBS:
                    part = Path(tmp) / Path(member).name
                    part.write_bytes(z.read(member))
                    part.replace(target / part.name)  # atomic: a concurrent reader sees all or nothing
    return target


class _Token(ctypes.Structure):
    _fields_ = [("text", ctypes.c_char_p), ("timestep", ctypes.c_uint), ("start_time", ctypes.c_float)]


class _Candidate(ctypes.Structure):
    _fields_ = [("tokens", ctypes.POINTER(_Token)), ("num_tokens", ctypes.c_uint), ("confidence", ctypes.c_double)]


class _Metadata(ctypes.Structure):
    _fields_ = [("transcripts", ctypes.POINTER(_Candidate)), ("num_transcripts", ctypes.c_uint)]


class CoquiSTT:
    """A Coqui STT 1.4.0 model loaded from libstt.so (C API through ctypes). Not thread-safe: one per thread."""

    def __init__(self, lib_dir: Path, tflite: Path, beam_width: int | None = None) -> None:
        ctypes.CDLL(str(lib_dir / "libkenlm.so"), mode=ctypes.RTLD_GLOBAL)
        stt = ctypes.CDLL(str(lib_dir / "libstt.so"))
        vp, pvp = ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)
        stt.STT_CreateModel.argtypes = [ctypes.c_char_p, pvp]
        stt.STT_SetModelBeamWidth.argtypes = [vp, ctypes.c_uint]
        stt.STT_CreateStream.argtypes = [vp, pvp]
        stt.STT_FeedAudioContent.argtypes = [vp, ctypes.POINTER(ctypes.c_short), ctypes.c_uint]
        stt.STT_FinishStream.argtypes = [vp]
        stt.STT_FinishStream.restype = vp
        stt.STT_FinishStreamWithMetadata.argtypes = [vp, ctypes.c_uint]
        stt.STT_FinishStreamWithMetadata.restype = ctypes.POINTER(_Metadata)
        stt.STT_FreeMetadata.argtypes = [ctypes.POINTER(_Metadata)]
        stt.STT_FreeString.argtypes = [vp]
        stt.STT_FreeModel.argtypes = [vp]
        self._stt = stt
        self._model = ctypes.c_void_p()
        code = stt.STT_CreateModel(str(tflite).encode(), ctypes.byref(self._model))
        if code != 0:
            raise RuntimeError(f"STT_CreateModel({tflite}) failed with 0x{code:x}")
        if beam_width is not None:
            stt.STT_SetModelBeamWidth(self._model, beam_width)

    def _stream(self, audio: np.ndarray, chunk: int, on_chunk=None) -> ctypes.c_void_p:
        state = ctypes.c_void_p()
        if self._stt.STT_CreateStream(self._model, ctypes.byref(state)) != 0:
            raise RuntimeError("STT_CreateStream failed")
        audio = np.ascontiguousarray(audio, dtype=np.int16)
        for i in range(0, len(audio), chunk):
            part = audio[i : i + chunk]
            self._stt.STT_FeedAudioContent(state, part.ctypes.data_as(ctypes.POINTER(ctypes.c_short)), len(part))
            if on_chunk is not None:
                on_chunk()
        return state

    def stt(self, audio: np.ndarray, chunk: int = 5120, on_chunk=None) -> str:
        """The transcript of int16 16 kHz audio fed in ``chunk``-sample parts (STT_FinishStream)."""
        ptr = self._stt.STT_FinishStream(self._stream(audio, chunk, on_chunk))  # frees the stream
        text = ctypes.string_at(ptr).decode("utf-8", "replace")
        self._stt.STT_FreeString(ptr)
        return text

    def stt_with_metadata(self, audio: np.ndarray, chunk: int = 5120) -> dict:
        """The best candidate's transcript, confidence and per-token timesteps (STT_FinishStreamWithMetadata)."""
        meta = self._stt.STT_FinishStreamWithMetadata(self._stream(audio, chunk), 1)
        try:
            best = meta.contents.transcripts[0]
            tokens = [best.tokens[i] for i in range(best.num_tokens)]
            return {
                "transcript": b"".join(t.text for t in tokens).decode("utf-8", "replace"),
                "confidence": best.confidence,
                "token_timesteps": [int(t.timestep) for t in tokens],
            }
        finally:
            self._stt.STT_FreeMetadata(meta)

    def close(self) -> None:
        if self._model:
            self._stt.STT_FreeModel(self._model)
            self._model = ctypes.c_void_p()


def read_wav(path: Path) -> np.ndarray:
    """int16 mono samples of a 16-bit mono WAV file."""
    with wave.open(str(path)) as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise ValueError(f"{path}: expected 16-bit mono")
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


def transcribe_files(lib_dir: Path, tflite: Path, beam_width: int, wavs: list[Path]) -> dict[str, dict]:
    """The peer's result (STT_SpeechToText transcript, and the metadata call's confidence and timesteps) per file."""
    model = CoquiSTT(lib_dir, tflite, beam_width)
    try:
        out = {}
        for wav in wavs:
            audio = read_wav(wav)
            text = model.stt(audio)
            meta = model.stt_with_metadata(audio)
            if meta["transcript"] != text:
                raise RuntimeError(f"{wav}: the peer's metadata transcript differs from its plain transcript")
            out[wav.name] = meta
        return out
    finally:
        model.close()


def run_in_subprocess(lib_dir: Path, tflite: Path, beam_width: int, wavs: list[Path]) -> dict[str, dict]:
    """transcribe_files in a fresh Python process (libstt.so's TFLite stays out of the caller's process)."""
    with tempfile.TemporaryDirectory() as tmp:
        job, out = Path(tmp) / "job.json", Path(tmp) / "out.json"
        spec = {"lib_dir": str(lib_dir), "tflite": str(tflite), "beam": beam_width, "wavs": [str(w) for w in wavs]}
        job.write_text(json.dumps(spec))
        done = subprocess.run([sys.executable, __file__, str(job), str(out)], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"the Coqui STT 1.4.0 peer failed:\n{done.stderr[-3000:]}")
        return json.loads(out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    _job = json.loads(Path(sys.argv[1]).read_text())
    _result = transcribe_files(
        Path(_job["lib_dir"]), Path(_job["tflite"]), _job["beam"], [Path(w) for w in _job["wavs"]]
    )
    Path(sys.argv[2]).write_text(json.dumps(_result, ensure_ascii=False), encoding="utf-8")
