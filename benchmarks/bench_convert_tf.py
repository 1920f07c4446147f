"""Full-size (n_hidden 2048, 29 classes) DeepSpeech-style frozen graph: loader times and IR-vs-TF parity.

Builds the graph with TensorFlow (tests/deepspeech_tf_graph.py, the released models' dimensions: ~188 MB),
writes its .pbmm, then times ``load_pb``/``load_pbmm`` (with and without OpenVINO's frontend cut) and
``write_pbmm``, and runs 10 chunks with the state carried through TF and through the frontend IR (f32).
Usage: python benchmarks/bench_convert_tf.py [work_dir]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import deepspeech_tf_graph as tfg  # noqa: E402
import numpy as np  # noqa: E402


def timed(label: str, fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    print(f"{label:<44} {time.perf_counter() - start:8.2f} s")
    return result


def main() -> None:
    import openvino as ov

    from pyds.convert.pbmm import load_pbmm, write_pbmm
    from pyds.convert.tensorflow import load_pb

    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="pyds-bench-tf-"))
    labels = [" "] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["'"]
    built = timed(
        "build full-size graph with TF",
        tfg.build_frozen_graph,
        work / "full.pb",
        n_hidden=2048,
        labels=labels,
    )
    print(f"{'  .pb size':<44} {built.path.stat().st_size / 1e6:8.1f} MB")
    pbmm = timed("write_pbmm", write_pbmm, built.path, work / "full.pbmm")
    timed("load_pb (weights + metadata only)", load_pb, built.path, with_frontend=False)
    src = timed("load_pb (with frontend cut)", load_pb, built.path)
    timed("load_pbmm (weights + metadata only)", load_pbmm, pbmm, with_frontend=False)
    src_mm = timed("load_pbmm (with frontend cut)", load_pbmm, pbmm)
    core = ov.Core()
    runner = tfg.TFRunner(built)
    for name, source in (("pb", src), ("pbmm", src_mm)):
        request = core.compile_model(source.frontend_model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        request = request.create_infer_request()
        runner.reset()
        c = h = np.zeros((1, 2048), np.float32)
        rng = np.random.default_rng(0)
        worst_logits, worst_state, t_ir, t_tf = 0.0, 0.0, 0.0, 0.0
        for _ in range(10):
            x = (rng.standard_normal((1, 16, 19, 26)) * 4).astype(np.float32)
            t0 = time.perf_counter()
            probs, tc, th = runner.step(x)
            t1 = time.perf_counter()
            out = request.infer({"input_node": x, "previous_state_c": c, "previous_state_h": h})
            t_ir += time.perf_counter() - t1
            t_tf += t1 - t0
            logits, c, h = (np.array(out[k]) for k in ("logits", "new_state_c", "new_state_h"))
            worst_logits = max(worst_logits, np.abs(logits - probs).max())
            # the cell state is unbounded (random weights drive |c| to ~80 here): compare it relatively
            for ours, theirs in ((c, tc), (h, th)):
                worst_state = max(worst_state, (np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1)).max())
        print(
            f"{name}: frontend IR vs TF, 10 chunks: logits max |diff| {worst_logits:.1e}, state max "
            f"|diff|/max(|c|,1) {worst_state:.1e}; per chunk IR {t_ir / 10 * 1e3:.0f} ms, "
            f"TF {t_tf / 10 * 1e3:.0f} ms"
        )
    runner.close()


if __name__ == "__main__":
    main()
