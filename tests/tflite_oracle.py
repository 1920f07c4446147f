"""The Coqui Armenian model on tflite-runtime 2.14.0, as the peer (libstt 1.4.0) runs it; runs in its own venv.

``python tflite_oracle.py MODEL OUT_DIR NAME=WAV ...`` writes, per clip, ``armenian_<name>_mfcc_tflite.npy``: the
model's own ``mfccs`` output for each 512-sample window (start 0, step 320, while a full window fits), plus the
flush window (the rest of the samples, zero-padded to 512), as Coqui STT's StreamingState computes them; and
``armenian_<name>_logits_tflite.npy`` (the ``logits`` output, already softmax, one row per MFCC row) with
``armenian_<name>_input_node_batch0_tflite.npy``: the first chunk's input_node. Windowing as the native client:
9 zero frames before and after the MFCC rows, 19-frame windows, chunks of 16 timesteps (the last zero-filled),
the LSTM state carried from zeros. Only numpy and tflite_runtime are imported (numpy<2 venv; no pyds).
"""

import sys
import wave
from pathlib import Path

import numpy as np
from tflite_runtime.interpreter import Interpreter

WINDOW, STEP, CONTEXT, STEPS = 512, 320, 9, 16


def main(model, out, clips):
    it = Interpreter(model_path=model)
    it.allocate_tensors()
    ins = {d["name"]: d["index"] for d in it.get_input_details()}
    outs = {d["name"]: d["index"] for d in it.get_output_details()}
    zeros_c = np.zeros((1, 2048), np.float32)

    def run(node, c, h, samples):
        it.set_tensor(ins["input_node"], node)
        it.set_tensor(ins["previous_state_c"], c)
        it.set_tensor(ins["previous_state_h"], h)
        it.set_tensor(ins["input_samples"], samples)
        it.invoke()
        return {k: it.get_tensor(outs[k]).copy() for k in ("logits", "new_state_c", "new_state_h", "mfccs")}

    idle = np.zeros((1, STEPS, 2 * CONTEXT + 1, 26), np.float32)
    for name, wav in clips:
        with wave.open(wav) as w:
            x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) * np.float32(1 / 32768)
        n_full = (len(x) - WINDOW) // STEP + 1 if len(x) >= WINDOW else 0
        windows = [x[k * STEP : k * STEP + WINDOW] for k in range(n_full)]
        tail = np.zeros(WINDOW, np.float32)
        rest = x[n_full * STEP :]
        tail[: len(rest)] = rest
        rows = [run(idle, zeros_c, zeros_c, w)["mfccs"].reshape(26) for w in [*windows, tail]]
        mfcc = np.stack(rows).astype(np.float32)
        np.save(Path(out) / f"armenian_{name}_mfcc_tflite.npy", mfcc)
        padded = np.concatenate([np.zeros((CONTEXT, 26), np.float32), mfcc, np.zeros((CONTEXT, 26), np.float32)])
        steps = np.stack([padded[t : t + 2 * CONTEXT + 1] for t in range(len(mfcc))])
        c = h = zeros_c
        logits = []
        silence = np.zeros(WINDOW, np.float32)
        for start in range(0, len(steps), STEPS):
            node = np.zeros((1, STEPS, 2 * CONTEXT + 1, 26), np.float32)
            part = steps[start : start + STEPS]
            node[0, : len(part)] = part
            if start == 0:
                np.save(Path(out) / f"armenian_{name}_input_node_batch0_tflite.npy", node)
            r = run(node, c, h, silence)
            logits.append(r["logits"].reshape(STEPS, -1)[: len(part)])
            c, h = r["new_state_c"], r["new_state_h"]
        np.save(Path(out) / f"armenian_{name}_logits_tflite.npy", np.concatenate(logits).astype(np.float32))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], [arg.split("=", 1) for arg in sys.argv[3:]])
