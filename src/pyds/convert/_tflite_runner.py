"""Run DeepSpeech chunks through a TFLite interpreter; also usable as a script in another venv.

``python _tflite_runner.py MODEL IN.npz OUT.npz``: IN holds arrays ``seq<i>`` of shape
[n_chunks, 1, n_steps, 2*n_context+1, n_input]; each sequence starts from a zero state and carries it from
chunk to chunk. OUT gets ``seq<i>`` = logits [n_chunks, n_steps, classes] and ``seq<i>_c``/``seq<i>_h`` the
final states. Needs only numpy and one of tflite_runtime / ai_edge_litert / tensorflow (so it runs in a
venv with tflite-runtime 2.14, which needs numpy<2, beside a numpy-2 project venv). Imports nothing of pyds.
"""

from __future__ import annotations

import sys

import numpy as np


def interpreter(model_path: str, threads: int = 1):
    """A TFLite interpreter from whichever runtime is installed."""
    try:
        from tflite_runtime.interpreter import Interpreter
    except ImportError:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            from tensorflow.lite import Interpreter  # type: ignore[no-redef]
    it = Interpreter(model_path=model_path, num_threads=threads)
    it.allocate_tensors()
    return it


def run_sequences(model_path: str, sequences: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Logits and final states of each sequence of chunks (see the module docstring)."""
    it = interpreter(model_path)
    ins = {d["name"]: d for d in it.get_input_details()}
    outs = {d["name"]: d for d in it.get_output_details()}
    n_cell = int(ins["previous_state_c"]["shape"][1])
    result: dict[str, np.ndarray] = {}
    for key, chunks in sequences.items():
        c = np.zeros((1, n_cell), np.float32)
        h = np.zeros((1, n_cell), np.float32)
        logits = []
        for chunk in chunks:
            it.set_tensor(ins["input_node"]["index"], np.ascontiguousarray(chunk, np.float32))
            it.set_tensor(ins["previous_state_c"]["index"], c)
            it.set_tensor(ins["previous_state_h"]["index"], h)
            it.invoke()
            logits.append(it.get_tensor(outs["logits"]["index"]).copy())
            c = it.get_tensor(outs["new_state_c"]["index"]).copy()
            h = it.get_tensor(outs["new_state_h"]["index"]).copy()
        result[key] = np.stack(logits)
        result[key + "_c"], result[key + "_h"] = c, h
    return result


if __name__ == "__main__":
    model, src, dst = sys.argv[1:4]
    with np.load(src) as data:
        seqs = {k: data[k] for k in data.files}
    np.savez(dst, **run_sequences(model, seqs))
