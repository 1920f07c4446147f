"""Run the same chunks through the source framework and through an IR: the ``--verify`` check and the
parity measurements.

The TFLite reference runs in-process when a TFLite runtime is importable here, else in the Python named by
``PYDS_TFLITE_PYTHON`` (a venv with ``tflite-runtime==2.14.0 'numpy<2'``; pyds itself needs numpy 2) through
``_tflite_runner.py`` in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConversionError

__all__ = ["tflite_available", "run_tflite", "run_ir", "verify_bundle", "chunk_windows", "greedy_labels"]

_RUNNER = Path(__file__).with_name("_tflite_runner.py")


def chunk_windows(frames: np.ndarray, n_context: int = 9, n_steps: int = 16) -> tuple[np.ndarray, int]:
    """The native client's model inputs for a whole utterance: ([n_chunks, 1, n_steps, 2*n_context+1, F], n).

    ``frames`` are all MFCC rows incl. the flush frame; n_context zero rows go in front and behind; timestep
    t sees rows t..t+2*n_context of that padded array (one timestep per frame, n = len(frames)); the last
    chunk is zero-filled to n_steps (only its first n % n_steps rows of logits are real).
    """
    frames = np.asarray(frames, np.float32)
    n, width = frames.shape[0], 2 * n_context + 1
    padded = np.concatenate(
        [
            np.zeros((n_context, frames.shape[1]), np.float32),
            frames,
            np.zeros((n_context, frames.shape[1]), np.float32),
        ]
    )
    n_chunks = max(1, -(-n // n_steps))
    out = np.zeros((n_chunks * n_steps, width, frames.shape[1]), np.float32)
    for t in range(n):
        out[t] = padded[t : t + width]
    return out.reshape(n_chunks, 1, n_steps, width, frames.shape[1]), n


def greedy_labels(probs: np.ndarray) -> list[int]:
    """CTC greedy path: argmax per timestep, repeats merged, blanks (the last class) dropped."""
    best = np.asarray(probs).argmax(axis=-1)
    blank = np.asarray(probs).shape[-1] - 1
    out: list[int] = []
    prev = -1
    for k in best.tolist():
        if k != prev and k != blank:
            out.append(k)
        prev = k
    return out


def _in_process() -> bool:
    for name in ("tflite_runtime.interpreter", "ai_edge_litert.interpreter"):
        try:
            __import__(name)
            return True
        except ImportError:
            continue
    return False


def tflite_available(python: str | None = None) -> bool:
    """Whether ``run_tflite`` can run (in-process, or with ``python`` / $PYDS_TFLITE_PYTHON)."""
    return _in_process() or bool(python or os.environ.get("PYDS_TFLITE_PYTHON"))


def run_tflite(
    model: str | Path, sequences: dict[str, np.ndarray], *, python: str | None = None, timeout: float = 1800
) -> dict[str, np.ndarray]:
    """TFLite logits for sequences of chunks ([n_chunks, 1, T, W, F] each, state carried from zeros).

    Returns ``{key: logits [n_chunks, T, C], key_c, key_h: final states}``.
    """
    python = python or os.environ.get("PYDS_TFLITE_PYTHON")
    if python is None and _in_process():
        from . import _tflite_runner

        return _tflite_runner.run_sequences(str(model), sequences)
    if python is None:
        raise ConversionError(
            "no TFLite runtime: install tflite-runtime (or ai-edge-litert), or set "
            "PYDS_TFLITE_PYTHON to a Python that has it"
        )
    with tempfile.TemporaryDirectory(prefix="pyds-tflite-run-") as tmp:
        src, dst = Path(tmp) / "in.npz", Path(tmp) / "out.npz"
        np.savez(src, **sequences)
        done = subprocess.run(
            [python, str(_RUNNER), str(model), str(src), str(dst)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise ConversionError(f"TFLite reference run failed ({python}): {done.stderr.strip()[-800:]}")
        with np.load(dst) as data:
            return {k: data[k] for k in data.files}


def run_ir(
    model: Any, numerics: dict[str, Any], sequences: dict[str, np.ndarray], n_cell: int
) -> dict[str, np.ndarray]:
    """The same through an OpenVINO model (path or ``openvino.Model``) with bundle io names, batch 1.

    ``numerics`` is a bundle's ``numerics`` entry (compile settings and load-time marks).
    """
    import openvino as ov

    from .acoustic_graph import prepare_model

    core = ov.Core()
    if not isinstance(model, ov.Model):
        model = core.read_model(str(model))
    compiled = core.compile_model(prepare_model(model, numerics), "CPU", numerics["ov_config"])
    req = compiled.create_infer_request()
    result = {}
    for key, chunks in sequences.items():
        c = np.zeros((1, n_cell), np.float32)
        h = np.zeros((1, n_cell), np.float32)
        logits = []
        for chunk in chunks:
            out = req.infer({"input_node": chunk, "previous_state_c": c, "previous_state_h": h})
            logits.append(out["logits"].reshape(chunk.shape[1], -1).copy())
            c, h = out["new_state_c"].copy(), out["new_state_h"].copy()
        result[key] = np.stack(logits)
        result[key + "_c"], result[key + "_h"] = c, h
    return result


def verify_bundle(
    bundle_dir: str | Path, source: str | Path, *, n_chunks: int = 3, seed: int = 0, python: str | None = None
) -> float:
    """Max |logits difference| between the bundle's IR and the source framework on random chunks."""
    from ..bundle import Bundle

    bundle = Bundle.read(bundle_dir)
    rng = np.random.default_rng(seed)
    shape = (n_chunks, 1, bundle.n_steps, 2 * bundle.n_context + 1, bundle.n_input)
    seqs = {"seq0": (rng.standard_normal(shape) * 8).astype(np.float32)}
    if bundle.source["format"] != "tflite":
        try:
            from .tensorflow import run_sequences as run_tf  # the TensorFlow half provides this
        except ImportError as exc:
            raise ConversionError(f"--verify for {bundle.source['format']} sources needs TensorFlow ({exc})") from exc
        ref = run_tf(source, seqs)
    else:
        ref = run_tflite(source, seqs, python=python)
    ours = run_ir(str(bundle.model_path), bundle.numerics, seqs, bundle.n_cell_dim)
    return float(np.abs(ours["seq0"].reshape(ref["seq0"].shape) - ref["seq0"]).max())


if __name__ == "__main__":  # pragma: no cover - debugging aid
    print(verify_bundle(sys.argv[1], sys.argv[2]))
