"""Speed of the converted acoustic IR per numerics choice: ms per model call and × real time, batch 1 and 16.

One call runs one 16-timestep chunk (320 ms of audio) for each of B streams, so
× real time = B * 0.32 s / seconds per call. Bundles are converted once (time reported separately) and
compiled with the compile settings their pyds.json records. The frontend graph only runs at batch 1.

Run: python benchmarks/bench_convert.py [--model model.tflite] [--reps 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

CHOICES = [("hybrid_int8", "canonical"), ("f32", "canonical"), ("f32", "frontend")]


def bench(bundle_dir: Path, batch: int, reps: int) -> float:
    """Median seconds per call at this batch size."""
    import openvino as ov

    from pyds.bundle import Bundle
    from pyds.convert.acoustic_graph import prepare_model

    b = Bundle.read(bundle_dir)
    core = ov.Core()
    model = prepare_model(core.read_model(str(b.model_path)), b.numerics)
    req = core.compile_model(model, "CPU", b.numerics["ov_config"]).create_infer_request()
    rng = np.random.default_rng(0)
    inputs = {
        b.io["features"]: (rng.standard_normal((batch, b.n_steps, 2 * b.n_context + 1, b.n_input)) * 8).astype(
            np.float32
        ),
        b.io["state_c_in"]: np.zeros((batch, b.n_cell_dim), np.float32),
        b.io["state_h_in"]: np.zeros((batch, b.n_cell_dim), np.float32),
    }
    for _ in range(3):
        req.infer(inputs)
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        req.infer(inputs)
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, default=None, help="the .tflite (default: the armspeech fixture)")
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args()

    from pyds.convert import convert_model

    model = args.model
    if model is None:
        from conftest import fetch_armenian_model

        model = fetch_armenian_model()
    print(
        f"{'numerics':12s} {'graph':10s} {'convert s':>9s} {'batch':>5s} {'ms/call':>9s} "
        f"{'ms/chunk':>9s} {'x real time':>11s}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for numerics, graph in CHOICES:
            t = time.perf_counter()
            out = convert_model(model, Path(tmp) / f"{numerics}-{graph}", numerics=numerics, graph=graph)
            convert_s = time.perf_counter() - t
            for batch in (1, 16) if graph == "canonical" else (1,):
                sec = bench(out, batch, args.reps if batch == 1 else max(3, args.reps // 4))
                print(
                    f"{numerics:12s} {graph:10s} {convert_s:9.1f} {batch:5d} {sec * 1e3:9.1f} "
                    f"{sec * 1e3 / batch:9.2f} {batch * 0.32 / sec:11.1f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
