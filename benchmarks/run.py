"""Side-by-side benchmark: pyds (single stream, batch) vs Coqui STT 1.4.0 and the TFLite interpreter.

Run: python benchmarks/run.py [--out benchmarks/results] [--short-only] [--skip coqui,tflite]

On the same audio (../shared/data/armenian-tts: the 40 short clips and the 2 long files) and the same model
(the Coqui Armenian model.tflite of armspeech==0.1.4, converted by pyds-convert), each engine runs in its own
subprocess (so its peak RSS is its own):
- pyds single stream: 320 ms chunks fed to a Stream, beams 500 (the model's default) and 100, fidelity
  numerics (the bundle's exact hybrid-int8 arithmetic) and fast (OpenVINO's defaults) at beam 500;
- pyds acoustic model alone (features + OpenVINO, no decoder): the stage split of the single stream, and the
  like-for-like peer of the TFLite interpreter;
- pyds batch: Model.transcribe_batch over the whole set (and the short clips alone), beams 500 and 100;
- the raw-inference ceiling of each graph (requests of 1 and of --batch-size chunks on the compiled model alone)
  beside each end-to-end figure, and live streams (benchmarks/bench_live.py: N paced streams, one thread each);
- Coqui STT 1.4.0: libstt.so + libkenlm.so from the PyPI wheel stt==1.4.0 (fetched with pip into a cache,
  loaded with ctypes), the streaming C API fed the same 320 ms chunks, beams 500 and 100;
- TFLite (tflite-runtime 2.14.0, in its own venv /work/venv-tflite because it needs numpy<2): the acoustic
  model alone over the same windows, chunk by chunk with the state carried.
Reported: RTF, × real time, p50/p95 latency per 320 ms chunk, cold start (model load in a fresh process, with
and without the compiled-model cache), peak RSS, and transcript agreement with the peer at the same beam.
Writes results.md, results.json and results.png (matplotlib) into --out. The machine may be shared: compare
the ratios within one run, not the seconds across runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import wave
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PYDS_SHARED", REPO.parent / "shared"))
DATA = SHARED / "data" / "armenian-tts"
CACHE = Path(os.environ.get("PYDS_BENCH_CACHE", Path.home() / ".cache" / "pyds-bench"))
TFLITE_VENV = Path(os.environ.get("PYDS_TFLITE_VENV", "/work/venv-tflite"))
CHUNK = 5120  # 320 ms at 16 kHz: one model chunk of 16 timesteps


# ------------------------------------------------------------------------------------------------ shared bits
def read_wav(path: Path) -> np.ndarray:
    """int16 mono samples of a 16-bit WAV file."""
    with wave.open(str(path)) as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise ValueError(f"{path}: expected 16-bit mono")
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


def peak_rss_mb() -> float:
    """This process's peak resident set size (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50_ms": float("nan"), "p95_ms": float("nan")}
    v = np.asarray(values) * 1000.0
    return {"p50_ms": float(np.percentile(v, 50)), "p95_ms": float(np.percentile(v, 95))}


# --------------------------------------------------------------------------------------------------- workers
# Each worker runs in its own process, reads the job JSON, and prints one JSON result line.
def worker_pyds_stream(job: dict) -> dict:
    import pyds

    t = time.perf_counter()
    model = pyds.Model(job["bundle"], beam_width=job["beam"], numerics=job["numerics"])
    load_s = time.perf_counter() - t
    files = job["files"]
    model.stt(read_wav(Path(files[0])))  # warm-up
    out = {
        "load_s": load_s,
        "files": {},
        "chunk_s": [],
        "finish_s": [],
        "precision": model._core.compiled_property("INFERENCE_PRECISION_HINT"),
        "device": model._core.device,
    }
    for path in files:
        audio = read_wav(Path(path))
        stream = model.create_stream()
        start = time.perf_counter()
        for i in range(0, len(audio), CHUNK):
            c = time.perf_counter()
            stream.feed_audio_content(audio[i : i + CHUNK])
            _ = stream.timesteps  # waits until the chunk is inferred and decoded (a batched feed only queues)
            out["chunk_s"].append(time.perf_counter() - c)
        c = time.perf_counter()
        text = stream.finish_stream()
        out["finish_s"].append(time.perf_counter() - c)
        out["files"][Path(path).name] = {"text": text, "wall_s": time.perf_counter() - start}
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def worker_pyds_acoustic(job: dict) -> dict:
    import pyds
    from pyds import decoder

    model = pyds.Model(job["bundle"], numerics=job["numerics"])
    files = job["files"]
    model.compute_probabilities(read_wav(Path(files[0])))
    out: dict = {"files": {}, "decoder_s": {}}
    for path in files:
        audio = read_wav(Path(path))
        start = time.perf_counter()
        probs = model.compute_probabilities(audio)
        wall = time.perf_counter() - start
        greedy = decoder.ctc_greedy(probs, model.alphabet).text
        out["files"][Path(path).name] = {"text": greedy, "wall_s": wall}
        for beam in (500, 100):  # the decoder stage alone, on the same posteriors
            start = time.perf_counter()
            decoder.ctc_beam_search(probs, model.alphabet, beam)
            out["decoder_s"].setdefault(str(beam), 0.0)
            out["decoder_s"][str(beam)] += time.perf_counter() - start
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def worker_pyds_batch(job: dict) -> dict:
    import pyds

    model = pyds.Model(job["bundle"], beam_width=job["beam"], numerics=job["numerics"])
    audios = [read_wav(Path(p)) for p in job["files"]]
    t = time.perf_counter()
    model.transcribe_batch(audios[:1], batch_size=job["batch_size"])  # compiles the batch engine
    engine_s = time.perf_counter() - t
    out: dict = {"engine_compile_s": engine_s, "runs": {}}
    for name, subset in (
        ("all", audios),
        ("short", [a for a, p in zip(audios, job["files"]) if not Path(p).name.startswith("long")]),
    ):
        t = time.perf_counter()
        results = model.transcribe_batch(subset, batch_size=job["batch_size"])
        out["runs"][name] = {
            "wall_s": time.perf_counter() - t,
            "audio_s": sum(len(a) for a in subset) / 16000.0,
        }
        if name == "all":
            out["files"] = {Path(p).name: {"text": r.text} for p, r in zip(job["files"], results)}
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def worker_pyds_raw(job: dict) -> dict:
    """The raw-inference ceiling of the bundle's graph: seconds per request of 1 and of batch_size chunks on the
    Model's compiled model (no features, no decoder)."""
    import pyds

    model = pyds.Model(job["bundle"], numerics=job["numerics"])
    rows = {1: model._core.time_inference(1, 30)}
    if model._core.batch_streams:  # a batchable bundle
        rows[job["batch_size"]] = model._core.time_inference(job["batch_size"], 10)
    chunk_s = model._core.n_steps * model._frame_step  # audio per chunk (one row of a request)
    return {"request_s": {str(k): v for k, v in rows.items()}, "chunk_s": chunk_s, "peak_rss_mb": peak_rss_mb()}


def worker_coldstart(job: dict) -> dict:
    t = time.perf_counter()
    import pyds

    import_s = time.perf_counter() - t
    t = time.perf_counter()
    model = pyds.Model(job["bundle"], cache_dir=job["cache_dir"] or None)
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    model.stt(np.zeros(16000, np.int16))
    first_s = time.perf_counter() - t
    return {
        "import_s": import_s,
        "load_s": load_s,
        "first_stt_1s_audio_s": first_s,
        "peak_rss_mb": peak_rss_mb(),
    }


def worker_coqui(job: dict) -> dict:
    import ctypes

    lib_dir = Path(job["lib_dir"])
    ctypes.CDLL(str(lib_dir / "libkenlm.so"), mode=ctypes.RTLD_GLOBAL)
    stt = ctypes.CDLL(str(lib_dir / "libstt.so"))
    stt.STT_CreateModel.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    stt.STT_SetModelBeamWidth.argtypes = [ctypes.c_void_p, ctypes.c_uint]
    stt.STT_CreateStream.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
    stt.STT_FeedAudioContent.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_short), ctypes.c_uint]
    stt.STT_FinishStream.argtypes = [ctypes.c_void_p]
    stt.STT_FinishStream.restype = ctypes.c_void_p
    stt.STT_FreeString.argtypes = [ctypes.c_void_p]
    stt.STT_FreeModel.argtypes = [ctypes.c_void_p]
    model = ctypes.c_void_p()
    t = time.perf_counter()
    code = stt.STT_CreateModel(job["tflite"].encode(), ctypes.byref(model))
    load_s = time.perf_counter() - t
    if code != 0:
        raise RuntimeError(f"STT_CreateModel failed with 0x{code:x}")
    stt.STT_SetModelBeamWidth(model, job["beam"])

    def transcribe(audio: np.ndarray, chunks: list | None, finishes: list | None) -> str:
        state = ctypes.c_void_p()
        if stt.STT_CreateStream(model, ctypes.byref(state)) != 0:
            raise RuntimeError("STT_CreateStream failed")
        audio = np.ascontiguousarray(audio)
        for i in range(0, len(audio), CHUNK):
            part = audio[i : i + CHUNK]
            c = time.perf_counter()
            stt.STT_FeedAudioContent(state, part.ctypes.data_as(ctypes.POINTER(ctypes.c_short)), len(part))
            if chunks is not None:
                chunks.append(time.perf_counter() - c)
        c = time.perf_counter()
        ptr = stt.STT_FinishStream(state)  # frees the stream
        if finishes is not None:
            finishes.append(time.perf_counter() - c)
        text = ctypes.string_at(ptr).decode("utf-8", "replace")
        stt.STT_FreeString(ptr)
        return text

    files = job["files"]
    transcribe(read_wav(Path(files[0])), None, None)  # warm-up
    out: dict = {"load_s": load_s, "files": {}, "chunk_s": [], "finish_s": []}
    for path in files:
        audio = read_wav(Path(path))
        start = time.perf_counter()
        text = transcribe(audio, out["chunk_s"], out["finish_s"])
        out["files"][Path(path).name] = {"text": text, "wall_s": time.perf_counter() - start}
    stt.STT_FreeModel(model)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def worker_tflite(job: dict) -> dict:
    """The acoustic model alone on tflite-runtime (runs in the tflite venv: numpy only, no pyds)."""
    from tflite_runtime.interpreter import Interpreter

    t = time.perf_counter()
    it = Interpreter(model_path=job["tflite"], num_threads=job.get("threads", 1))
    it.allocate_tensors()
    load_s = time.perf_counter() - t
    ins = {d["name"]: d["index"] for d in it.get_input_details()}
    outs = {d["name"]: d["index"] for d in it.get_output_details()}
    alphabet = job["alphabet"]
    out: dict = {"load_s": load_s, "files": {}, "chunk_s": []}
    with np.load(job["windows"]) as data:
        for key, name in job["names"].items():
            chunks, n = data[key], int(data[key + "_n"])
            c = np.zeros((1, 2048), np.float32)
            h = np.zeros((1, 2048), np.float32)
            logits = []
            start = time.perf_counter()
            for chunk in chunks:
                s = time.perf_counter()
                it.set_tensor(ins["input_node"], chunk)
                it.set_tensor(ins["previous_state_c"], c)
                it.set_tensor(ins["previous_state_h"], h)
                it.invoke()
                logits.append(it.get_tensor(outs["logits"]).reshape(-1, len(alphabet) + 1).copy())
                c = it.get_tensor(outs["new_state_c"]).copy()
                h = it.get_tensor(outs["new_state_h"]).copy()
                out["chunk_s"].append(time.perf_counter() - s)
            wall = time.perf_counter() - start
            best = np.concatenate(logits)[:n].argmax(1)
            labels = [int(k) for i, k in enumerate(best) if k != len(alphabet) and (i == 0 or best[i - 1] != k)]
            out["files"][name] = {"text": "".join(alphabet[k] for k in labels), "wall_s": wall}
    out["peak_rss_mb"] = peak_rss_mb()
    return out


WORKERS = {
    "pyds_stream": worker_pyds_stream,
    "pyds_acoustic": worker_pyds_acoustic,
    "pyds_batch": worker_pyds_batch,
    "pyds_raw": worker_pyds_raw,
    "coldstart": worker_coldstart,
    "coqui": worker_coqui,
    "tflite": worker_tflite,
}


# ---------------------------------------------------------------------------------------------- orchestration
def run_worker(kind: str, job: dict, python: str = sys.executable) -> dict:
    """Run one worker in a fresh process; returns its JSON result (raises with its stderr on failure)."""
    with tempfile.TemporaryDirectory() as tmp:
        job_path = Path(tmp) / "job.json"
        job_path.write_text(json.dumps(job))
        done = subprocess.run([python, __file__, "--worker", kind, str(job_path)], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"worker {kind} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def coqui_libs() -> Path:
    """libstt.so + libkenlm.so of the PyPI wheel stt==1.4.0, fetched once with pip into the cache."""
    from pyds._files import write_atomic

    target = CACHE / "stt-1.4.0"
    if (target / "libstt.so").is_file() and (target / "libkenlm.so").is_file():
        return target
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--python-version",
                "3.9",
                "--platform",
                "manylinux_2_24_x86_64",
                "-d",
                tmp,
                "stt==1.4.0",
            ],
            check=True,
            capture_output=True,
        )
        wheel = next(Path(tmp).glob("stt-1.4.0-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            for member in z.namelist():
                if Path(member).name in ("libstt.so", "libkenlm.so"):
                    write_atomic(target / Path(member).name, z.read(member))
    return target


def tflite_python() -> str:
    """The tflite-runtime 2.14 venv's python (created when missing: tflite-runtime needs numpy<2)."""
    python = TFLITE_VENV / "bin" / "python"
    probe = [str(python), "-c", "import tflite_runtime, numpy"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return str(python)
    subprocess.run([sys.executable, "-m", "venv", str(TFLITE_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "tflite-runtime==2.14.0", "numpy<2"], check=True)
    return str(python)


def armenian_model_and_bundle() -> tuple[Path, Path]:
    """The Armenian model.tflite (tests' cached fetch) and its pyds bundle (converted once, cached)."""
    sys.path.insert(0, str(REPO / "tests"))
    import conftest

    from pyds.convert import convert_model

    tflite = conftest.fetch_armenian_model()
    bundle = conftest.TEST_CACHE / "bundles" / f"armspeech-{conftest._converter_fingerprint()}"
    if not (bundle / "pyds.json").is_file():
        bundle.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=bundle.parent) as tmp:
            os.replace(convert_model(tflite, Path(tmp) / "bundle"), bundle)
    return tflite, bundle


def window_file(files: list[str], path: Path) -> dict[str, str]:
    """The model's input chunks of every file (pyds features), for the TFLite worker; returns key -> name."""
    from pyds.convert.verify import chunk_windows
    from pyds.features import FeatureStream

    arrays, names = {}, {}
    for i, f in enumerate(files):
        fs = FeatureStream(16000)
        frames = np.concatenate([fs.accept(read_wav(Path(f))), fs.flush()])
        chunks, n = chunk_windows(frames)
        arrays[f"f{i}"], arrays[f"f{i}_n"], names[f"f{i}"] = chunks, np.asarray(n), Path(f).name
    np.savez(path, **arrays)
    return names


def agreement(ours: dict, peer: dict) -> dict:
    sys.path.insert(0, str(REPO / "tests"))
    from conftest import levenshtein

    """Identical transcripts and character error rate of `ours` against `peer` (file -> {"text"})."""
    same = sum(ours[f]["text"] == peer[f]["text"] for f in peer if f in ours)
    edits = sum(levenshtein(ours[f]["text"], peer[f]["text"]) for f in peer if f in ours)
    chars = sum(len(peer[f]["text"]) for f in peer if f in ours)
    return {"identical": same, "files": len(peer), "cer": edits / max(1, chars)}


def summarize(name: str, result: dict, audio_s: float, durations: dict[str, float]) -> dict:
    wall = sum(v["wall_s"] for v in result["files"].values())
    row = {
        "engine": name,
        "audio_s": audio_s,
        "wall_s": wall,
        "rtf": wall / audio_s,
        "x_real_time": audio_s / wall,
        "peak_rss_mb": result.get("peak_rss_mb"),
    }
    if result.get("chunk_s"):
        row.update(percentiles(result["chunk_s"]))
    if result.get("finish_s"):
        row["finish_p50_ms"] = percentiles(result["finish_s"])["p50_ms"]
    return row


def main() -> None:
    from pyds._files import write_atomic

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", nargs=2, metavar=("KIND", "JOB"), help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    ap.add_argument("--short-only", action="store_true", help="only the 40 short clips (quick)")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--limit", type=int, default=0, help="only the first N files (a smoke run)")
    ap.add_argument("--skip", default="", help="comma-separated: coqui, tflite, fast, coldstart, live")
    ap.add_argument("--live-streams", default="16,32,48,64,80,96", help="live-stream counts to sweep")
    ap.add_argument("--live-seconds", type=float, default=10.0, help="audio per live stream")
    args = ap.parse_args()
    if args.worker:
        kind, job_path = args.worker
        print(json.dumps(WORKERS[kind](json.loads(Path(job_path).read_text()))))
        return

    skip = set(filter(None, args.skip.split(",")))
    with open(DATA / "manifest.tsv", encoding="utf-8") as f:
        manifest = list(csv.DictReader(f, delimiter="\t"))
    rows = [r for r in manifest if not (args.short_only and r["file"].startswith("long"))]
    if args.limit:
        rows = rows[: args.limit]
    files = [str(DATA / r["file"]) for r in rows]
    durations = {r["file"]: len(read_wav(DATA / r["file"])) / 16000.0 for r in rows}
    audio_s = sum(durations.values())
    tflite, bundle = armenian_model_and_bundle()
    weights_mb = tflite.stat().st_size / 1e6
    import openvino

    import pyds

    print(f"{len(files)} files, {audio_s:.1f} s of audio; model {tflite} ({weights_mb:.1f} MB); bundle {bundle}")
    print(
        f"pyds {pyds.__version__}, openvino {openvino.__version__}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    alphabet = json.loads((bundle / "pyds.json").read_text(encoding="utf-8"))["alphabet"]
    results: dict = {
        "meta": {
            "files": len(files),
            "audio_s": audio_s,
            "model_mb": weights_mb,
            "pyds": pyds.__version__,
            "openvino": openvino.__version__,
            "cpus": os.cpu_count(),
            "load_average_start": os.getloadavg()[0],
            "batch_size": args.batch_size,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
        "engines": {},
    }
    raw: dict = {}

    def step(name: str, kind: str, job: dict, python: str = sys.executable) -> dict:
        t = time.perf_counter()
        raw[name] = run_worker(kind, job, python)
        print(f"  {name}: {time.perf_counter() - t:.1f} s", flush=True)
        return raw[name]

    base = {"bundle": str(bundle), "files": files, "tflite": str(tflite), "batch_size": args.batch_size}
    if "coqui" not in skip:
        lib_dir = str(coqui_libs())
        for beam in (500, 100):
            step(f"coqui_b{beam}", "coqui", {**base, "lib_dir": lib_dir, "beam": beam})
    for beam in (500, 100):
        step(f"pyds_stream_b{beam}", "pyds_stream", {**base, "beam": beam, "numerics": "fidelity"})
    if "fast" not in skip:
        step("pyds_stream_fast_b500", "pyds_stream", {**base, "beam": 500, "numerics": "fast"})
    step("pyds_acoustic", "pyds_acoustic", {**base, "numerics": "fidelity"})
    if "fast" not in skip:
        step("pyds_acoustic_fast", "pyds_acoustic", {**base, "numerics": "fast"})
    for beam in (500, 100):
        step(f"pyds_batch_b{beam}", "pyds_batch", {**base, "beam": beam, "numerics": "fidelity"})
    if "fast" not in skip:
        step("pyds_batch_fast_b500", "pyds_batch", {**base, "beam": 500, "numerics": "fast"})
    modes = ["fidelity"] + ([] if "fast" in skip else ["fast"])
    for mode in modes:
        step(f"pyds_raw_{mode}", "pyds_raw", {**base, "numerics": mode})
    if "live" not in skip:
        import bench_live

        t = time.perf_counter()
        counts = [int(n) for n in args.live_streams.split(",") if n]
        results["live"] = bench_live.sweep(str(bundle), modes, counts, args.live_seconds, 200.0, 500)
        print(f"  live streams: {time.perf_counter() - t:.1f} s", flush=True)
    if "tflite" not in skip:
        with tempfile.TemporaryDirectory() as tmp:
            names = window_file(files, Path(tmp) / "windows.npz")
            step(
                "tflite_acoustic",
                "tflite",
                {**base, "windows": str(Path(tmp) / "windows.npz"), "names": names, "alphabet": alphabet},
                python=tflite_python(),
            )
    if "coldstart" not in skip:
        with tempfile.TemporaryDirectory() as cache:
            results["cold_start"] = {
                "no_cache": step("cold_no_cache", "coldstart", {**base, "cache_dir": ""}),
                "cache_first_run": step("cold_cache_fill", "coldstart", {**base, "cache_dir": cache}),
                "with_cache": step("cold_with_cache", "coldstart", {**base, "cache_dir": cache}),
            }

    engines = results["engines"]
    for name, r in raw.items():
        if name.startswith(("cold", "pyds_raw")):
            continue
        if name.startswith("pyds_batch"):
            row = {"engine": name, "peak_rss_mb": r["peak_rss_mb"], "engine_compile_s": r["engine_compile_s"]}
            for part, run in r["runs"].items():
                row[f"{part}_wall_s"] = run["wall_s"]
                row[f"{part}_x_real_time"] = run["audio_s"] / run["wall_s"]
            row["x_real_time"], row["rtf"] = row["all_x_real_time"], 1.0 / row["all_x_real_time"]
        else:
            row = summarize(name, r, audio_s, durations)
            if "load_s" in r:
                row["load_s"] = r["load_s"]
            if "decoder_s" in r:
                row["decoder_rtf"] = {b: s / audio_s for b, s in r["decoder_s"].items()}
            if "precision" in r:
                row["precision"], row["device"] = r["precision"], r["device"]
        beam = "100" if name.endswith("b100") else "500"
        if f"coqui_b{beam}" in raw and not name.startswith(("coqui", "pyds_acoustic", "tflite")):
            row["agreement_with_peer"] = agreement(r["files"], raw[f"coqui_b{beam}"]["files"])
        engines[name] = row
    if "tflite_acoustic" in raw:
        for name in ("pyds_acoustic", "pyds_acoustic_fast"):
            if name in raw:
                engines[name]["greedy_agreement_with_tflite"] = agreement(
                    raw[name]["files"], raw["tflite_acoustic"]["files"]
                )
    results["ceilings"] = ceilings(results, raw, args.batch_size)
    results["targets"] = targets(results, weights_mb)
    results["transcripts"] = {
        name: {f: v["text"] for f, v in r["files"].items()} for name, r in raw.items() if "files" in r
    }
    args.out.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out / "results.json", json.dumps(results, indent=1, ensure_ascii=False).encode())
    markdown = render_markdown(results)
    write_atomic(args.out / "results.md", markdown.encode())
    draw_chart(results, args.out / "results.png")
    print(markdown)


def ceilings(results: dict, raw: dict, batch_size: int) -> list[dict]:
    """The issue's rows, each end-to-end figure beside the raw-inference ceiling of its graph (the same compiled
    model timed alone: no features, no decoder), so the remaining gap is visible."""
    e, live, rows = results["engines"], results.get("live", {}), []
    for mode, stream, batch in (
        ("fidelity", "pyds_stream_b500", "pyds_batch_b500"),
        ("fast", "pyds_stream_fast_b500", "pyds_batch_fast_b500"),
    ):
        r = raw.get(f"pyds_raw_{mode}")
        if r is None:
            continue
        chunk_s, one = r["chunk_s"], r["request_s"]["1"]
        many = r["request_s"].get(str(batch_size))
        if stream in e:
            rows.append(
                {
                    "row": f"single stream, {mode} (x real time)",
                    "end_to_end": e[stream]["x_real_time"],
                    "ceiling": chunk_s / one,
                }
            )
        if batch in e and many:
            rows.append(
                {
                    "row": f"transcribe_batch short clips, {mode} (x real time)",
                    "end_to_end": e[batch]["short_x_real_time"],
                    "ceiling": chunk_s * batch_size / many,
                }
            )
        if mode in live and many:
            rows.append(
                {
                    "row": f"live streams at p95 lag <= 1 s, {mode} (streams)",
                    "end_to_end": live[mode]["max_streams"],
                    "ceiling": chunk_s * batch_size / many,
                }
            )
    for row in rows:
        row["gap"] = 1.0 - row["end_to_end"] / row["ceiling"] if row["ceiling"] else float("nan")
    return rows


def live_peak_rss(live: dict, mode: str) -> float | None:
    """Peak RSS of the live run at the largest N that kept up (else the smallest N measured)."""
    rows = live.get(mode, {}).get("rows", [])
    kept = [r for r in rows if r["streams"] == live[mode]["max_streams"]] or rows[:1]
    return kept[0]["peak_rss_mb"] if kept else None


def targets(results: dict, weights_mb: float) -> dict:
    """The issue's targets (issue 15), each with the measured value and whether it is met."""
    e, live, out = results["engines"], results.get("live", {}), {}
    for name, peer, want in (("pyds_stream_fast_b500", "coqui_b500", 12), ("pyds_stream_b500", "coqui_b500", 8)):
        if peer in e and name in e:
            ratio = e[peer]["wall_s"] / e[name]["wall_s"]
            out[f"{name}_vs_peer"] = {"target": f">= {want}x", "measured": ratio, "met": ratio >= want}
    if "coqui_b100" in e:
        ratio = e["coqui_b100"]["wall_s"] / e["pyds_stream_b100"]["wall_s"]
        out["single_stream_b100_vs_peer"] = {"target": "(reported)", "measured": ratio, "met": None}
    for name, want in (("pyds_batch_fast_b500", 160), ("pyds_batch_b500", 105)):
        if name in e:
            x = e[name]["short_x_real_time"]
            out[f"{name}_short_x_real_time"] = {"target": f">= {want}", "measured": x, "met": x >= want}
    for mode, want in (("fidelity", 64), ("fast", 96)):
        if mode in live:
            n = live[mode]["max_streams"]
            out[f"live_streams_{mode}_p95_lag_le_1s"] = {"target": f">= {want}", "measured": n, "met": n >= want}
    if "cold_start" in results:
        s = results["cold_start"]["with_cache"]["load_s"]
        out["cold_start_with_cache_s"] = {"target": "< 1", "measured": s, "met": s < 1}
    limit = 1.5 * weights_mb + 100
    if "pyds_stream_b500" in e:
        rss = e["pyds_stream_b500"]["peak_rss_mb"]
        out["pyds_stream_b500_peak_rss_mb"] = {"target": f"<= {limit:.0f}", "measured": rss, "met": rss <= limit}
    rss = live_peak_rss(live, "fidelity")
    if rss is not None:
        out["stream_batch_live_peak_rss_mb"] = {"target": "<= 250", "measured": rss, "met": rss <= 250}
    return out


def render_markdown(results: dict) -> str:
    m = results["meta"]
    lines = [
        f"# pyds vs Coqui STT 1.4.0 and TFLite — {m['started']}",
        "",
        f"{m['files']} files, {m['audio_s']:.1f} s of audio (../shared/data/armenian-tts); model armspeech "
        f"0.1.4 ({m['model_mb']:.1f} MB .tflite); pyds {m['pyds']}, OpenVINO {m['openvino']}, "
        f"{m['cpus']} CPUs "
        f"(load average {m['load_average_start']:.1f} at start: shared machine, compare ratios). "
        f"Batch: {m['batch_size']} rows.",
        "",
        "| engine | RTF | × real time | chunk p50 ms | chunk p95 ms | peak RSS MB | identical to peer | CER vs peer |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results["engines"].items():
        agree = r.get("agreement_with_peer") or r.get("greedy_agreement_with_tflite")
        ident = f"{agree['identical']}/{agree['files']}" if agree else "–"
        if r.get("greedy_agreement_with_tflite"):
            ident += " (greedy vs TFLite)"
        cer = f"{agree['cer']:.3f}" if agree else "–"
        p50 = f"{r['p50_ms']:.1f}" if "p50_ms" in r else "–"
        p95 = f"{r['p95_ms']:.1f}" if "p95_ms" in r else "–"
        xrt = f"{r['x_real_time']:.1f}"
        if "short_x_real_time" in r:
            xrt += f" (short clips only: {r['short_x_real_time']:.1f})"
        lines.append(f"| {name} | {r['rtf']:.4f} | {xrt} | {p50} | {p95} | {r['peak_rss_mb']:.0f} | {ident} | {cer} |")
    if "cold_start" in results:
        c = results["cold_start"]
        lines += [
            "",
            "| cold start (fresh process) | import s | model load s | first stt (1 s audio) s | peak RSS MB |",
            "|---|---|---|---|---|",
        ]
        for k, v in c.items():
            lines.append(
                f"| {k} | {v['import_s']:.2f} | {v['load_s']:.2f} | {v['first_stt_1s_audio_s']:.3f} | "
                f"{v['peak_rss_mb']:.0f} |"
            )
    e = results["engines"]
    if "pyds_acoustic" in e:
        a = e["pyds_acoustic"]
        lines += [
            "",
            f"Single-stream stage split (fidelity): acoustic model + features RTF {a['rtf']:.4f}; "
            f"beam search alone RTF {a['decoder_rtf']['500']:.4f} (beam 500), "
            f"{a['decoder_rtf']['100']:.4f} (beam 100).",
        ]
    lines += [
        "",
        "Batch 'all' includes long02_hyw (149 s, 42 % of the audio) and long01_hy (72 s): each long "
        "file's chunks depend on each other, so it runs as one row (alone in the tail) and "
        "bounds the whole-set figure; 'short clips only' is the throughput over many utterances.",
    ]
    if results.get("ceilings"):
        lines += [
            "",
            "End to end beside the raw-inference ceiling of the same compiled graph (requests of 1 or "
            f"{m['batch_size']} chunks timed alone, no features, no decoder; for live streams: how many real-time "
            "streams the raw batched requests could serve):",
            "",
            "| row | end to end | raw-inference ceiling | gap |",
            "|---|---|---|---|",
        ]
        for c in results["ceilings"]:
            lines.append(f"| {c['row']} | {c['end_to_end']:.1f} | {c['ceiling']:.1f} | {100 * c['gap']:.0f} % |")
    for mode, r in results.get("live", {}).items():
        lines += [
            "",
            f"Live streams, {mode} (one thread each, paced at 1x, beam 500):",
            "",
            "| streams | lag p50 s | lag p95 s | lag max s | identical to alone | rows/round | peak RSS MB |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in r["rows"]:
            lines.append(
                f"| {row['streams']} | {row['lag_p50_s']:.2f} | {row['lag_p95_s']:.2f} | {row['lag_max_s']:.2f} | "
                f"{row['identical']}/{row['streams']} | {row['rows_per_round']:.1f} | {row['peak_rss_mb']:.0f} |"
            )
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    for k, t in results["targets"].items():
        met = "–" if t["met"] is None else ("yes" if t["met"] else "**no**")
        lines.append(f"| {k} {t['target']} | {t['measured']:.2f} | {met} |")
    return "\n".join(lines) + "\n"


def draw_chart(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    e = results["engines"]
    names = list(e)
    ceil = results.get("ceilings", [])
    fig, axes = plt.subplots(1, 3 if ceil else 2, figsize=(19 if ceil else 13, 5))
    ax1, ax2 = axes[0], axes[1]
    ax1.barh(
        names,
        [e[n]["x_real_time"] for n in names],
        color=["C1" if n.startswith(("coqui", "tflite")) else "C0" for n in names],
    )
    ax1.set_xscale("log")
    ax1.set_xlabel("× real time (higher is faster, log scale)")
    ax1.invert_yaxis()
    lat = [n for n in names if "p50_ms" in e[n]]
    ax2.barh(lat, [e[n]["p95_ms"] for n in lat], color="C2", label="p95")
    ax2.barh(lat, [e[n]["p50_ms"] for n in lat], color="C0", label="p50")
    ax2.set_xlabel("latency per 320 ms chunk (ms)")
    ax2.invert_yaxis()
    ax2.legend()
    if ceil:
        ax3 = axes[2]
        y = np.arange(len(ceil))
        ax3.barh(y - 0.2, [c["ceiling"] for c in ceil], height=0.4, color="C7", label="raw-inference ceiling")
        ax3.barh(y + 0.2, [c["end_to_end"] for c in ceil], height=0.4, color="C0", label="end to end")
        ax3.set_yticks(y, [c["row"] for c in ceil], fontsize=7)
        ax3.set_xscale("log")
        ax3.set_xlabel("× real time, or streams (log scale)")
        ax3.invert_yaxis()
        ax3.legend(fontsize=7)
    fig.suptitle(f"pyds vs Coqui STT 1.4.0 / TFLite, {results['meta']['audio_s']:.0f} s of Armenian audio")
    fig.tight_layout()
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".png", delete=False) as tmp:
        fig.savefig(tmp.name, dpi=110)
    os.replace(tmp.name, path)


if __name__ == "__main__":
    main()
