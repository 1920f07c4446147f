"""Numerics benchmark: raw acoustic-model speed of each graph form / compile config, and the accuracy of `fast`.

Run: python benchmarks/bench_numerics.py [--rounds 7] [--no-accuracy] [--json FILE]

1. Raw ``infer()`` of one 16-step chunk (320 ms of audio) per row, batch 1 and batch 16, on the Armenian model
   (the tests' model.tflite, converted once and cached): the bundle's fidelity graph (exact hybrid int8, its
   config), the exact graph's earlier padded form, the bundle's fast graph (its config), and the candidates
   the fast graph was chosen among (LSTM joint/split, compile configs, static batch-1 copies). All are
   compiled in one process and timed in interleaved rounds (median per graph), so the ratios hold on a shared
   machine even when seconds do not.
   × real time = rows × 0.32 s / wall.
2. Accuracy (``pyds.Model(bundle, numerics=...)``, beam 500, no scorer, ``transcribe_batch``) on the 42 files
   of ../shared/data/armenian-tts: corpus CER against the reference texts (Levenshtein on characters, spaces
   included, / reference length, whitespace collapsed: the peer's own definition) beside Coqui STT 1.4.0's
   CER from its transcripts, and how many transcripts are identical to the peer's.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from run import DATA, REPO, armenian_model_and_bundle, read_wav

CHUNK_S = 0.32  # one 16-step chunk of 20 ms frames


def candidates(tflite: Path, bundle: Path) -> list[tuple[str, Any, dict[str, str], bool]]:
    """(name, openvino.Model, compile config, batch-16 capable) of every graph measured."""
    import openvino as ov

    from pyds.bundle import Bundle
    from pyds.convert import load_source
    from pyds.convert.acoustic_graph import build_acoustic_model, numerics_config, prepare_model
    from pyds.convert.fast_graph import build_fast_model

    manifest = Bundle.read(bundle)
    numerics = manifest.numerics
    core = ov.Core()
    weights = load_source(tflite, with_frontend=False).weights
    fidelity = prepare_model(core.read_model(str(bundle / manifest.acoustic_model)), numerics)
    out: list[tuple[str, Any, dict[str, str], bool]] = [
        ("fidelity (bundle: exact hybrid_int8 grouped, its config)", fidelity, numerics["ov_config"], True),
    ]
    if "fast" in numerics:
        fast = core.read_model(str(bundle / numerics["fast"]["acoustic_model"]))
        out.append(("fast (bundle: split LSTM, its config)", fast, numerics["fast"]["ov_config"], True))

    def exact(form: str, static: bool = False):
        model = prepare_model(build_acoustic_model(weights, numerics="hybrid_int8", int8_form=form), numerics)
        if static:
            model.reshape({"input_node": [1, 16, 19, 26], "previous_state_c": [1, 2048], "previous_state_h": [1, 2048]})
        return model

    padded_config = numerics_config("hybrid_int8", weights, "padded")["ov_config"]
    # the exact graph before and after: FCs zero-padded to 4096 vs groups of 255 values + a sentinel;
    # static batch-1 copies (the CPU plugin then fuses elementwise chains into JIT subgraphs: not exact)
    out += [
        ("exact, before: padded FCs, dyn. quant. group 4096", exact("padded"), padded_config, True),
        ("exact grouped, static batch 1", exact("grouped", True), numerics["ov_config"], False),
        (
            "exact grouped, static batch 1, snippets off",
            exact("grouped", True),
            {**numerics["ov_config"], "SNIPPETS_MODE": "DISABLE"},
            False,
        ),
    ]
    static = build_fast_model(weights)
    static.reshape({"input_node": [1, 16, 19, 26], "previous_state_c": [1, 2048], "previous_state_h": [1, 2048]})
    split = build_fast_model(weights)
    out += [
        ("fast split, static batch 1", static, numerics["fast"]["ov_config"], False),
        (
            "fast split, f32 + dyn. int8 group 2048",
            split,
            {**numerics["fast"]["ov_config"], "INFERENCE_PRECISION_HINT": "f32"},
            True,
        ),
        ("fast split, plugin defaults (bf16 + dyn. int8 group 32)", split, {}, True),
        ("fast split, bf16, no dyn. quantization", split, {"DYNAMIC_QUANTIZATION_GROUP_SIZE": "0"}, True),
        ("fast joint [x,h] FC, defaults", build_fast_model(weights, lstm="joint"), {}, True),
        ("exact graph, OpenVINO defaults (old fast)", core.read_model(str(bundle / manifest.acoustic_model)), {}, True),
    ]
    return out


def bench_raw(tflite: Path, bundle: Path, rounds: int) -> list[dict[str, Any]]:
    import openvino as ov

    core = ov.Core()
    compiled = []
    for name, model, config, batched in candidates(tflite, bundle):
        c = core.compile_model(model, "CPU", config)
        compiled.append((name, c, batched, c.get_property("INFERENCE_PRECISION_HINT").get_type_name()))
    rng = np.random.default_rng(0)
    # real-looking inputs: the features of a clip, so activations and row maxima are those of speech
    from pyds.convert.verify import chunk_windows
    from pyds.features import FeatureStream

    fs = FeatureStream(16000)
    audio = read_wav(DATA / "long01_hy.wav")
    windows = chunk_windows(np.concatenate([fs.accept(audio), fs.flush()]))[0][:, 0]
    rows: list[dict[str, Any]] = []
    for batch in (1, 16):
        pick = rng.choice(len(windows), batch, replace=False)
        inputs = {
            "input_node": np.ascontiguousarray(windows[pick], np.float32),
            "previous_state_c": np.zeros((batch, 2048), np.float32),
            "previous_state_h": np.zeros((batch, 2048), np.float32),
        }
        requests = [(n, c.create_infer_request(), p) for n, c, ok, p in compiled if ok or batch == 1]
        times: dict[str, list[float]] = {n: [] for n, _, _ in requests}
        reps = 8 if batch == 1 else 3
        for _, r, _ in requests:  # warm-up
            for _ in range(2):
                r.infer(inputs)
        for _ in range(rounds):
            for n, r, _ in requests:
                start = time.perf_counter()
                for _ in range(reps):
                    r.infer(inputs)
                times[n].append((time.perf_counter() - start) / reps)
        reference = requests[0][1].infer(inputs)["logits"].copy()
        for n, r, precision in requests:
            ms = float(np.median(times[n]) * 1000)
            diff = float(np.abs(r.infer(inputs)["logits"] - reference).max())
            rows.append(
                {
                    "graph": n,
                    "batch": batch,
                    "precision": precision,
                    "ms_per_chunk": ms,
                    "x_real_time": batch * CHUNK_S / (ms / 1000),
                    "max_prob_diff_vs_fidelity": diff,
                }
            )
    return rows


def corpus_cer(hyps: dict[str, str], refs: dict[str, str]) -> float:
    sys.path.insert(0, str(REPO / "tests"))
    from conftest import levenshtein

    def norm(s: str) -> str:
        return " ".join(s.split())

    edits = sum(levenshtein(norm(hyps[f]), norm(refs[f])) for f in refs)
    return edits / sum(len(norm(refs[f])) for f in refs)


def bench_accuracy(bundle: Path) -> dict[str, Any]:
    import pyds

    with open(DATA / "manifest.tsv", encoding="utf-8") as f:
        refs = {r["file"]: r["reference_text"] for r in csv.DictReader(f, delimiter="\t")}
    with open(DATA / "peer_coqui_stt_1.4.0.tsv", encoding="utf-8") as f:
        peer = {r["file"]: r["transcript"] for r in csv.DictReader(f, delimiter="\t") if r["beam_width"] == "500"}
    files = sorted(refs)
    audio = [read_wav(DATA / f) for f in files]
    out: dict[str, Any] = {"files": len(files), "peer": {"cer": corpus_cer(peer, refs)}}
    for numerics in ("fidelity", "fast"):
        model = pyds.Model(bundle, numerics=numerics, beam_width=500)
        start = time.perf_counter()
        texts = [t.text for t in model.transcribe_batch(audio)]
        wall = time.perf_counter() - start
        hyps = dict(zip(files, texts))
        out[numerics] = {
            "cer": corpus_cer(hyps, refs),
            "identical_to_peer": sum(hyps[f] == peer[f] for f in files),
            "batch_wall_s": wall,
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds per graph")
    ap.add_argument("--no-accuracy", action="store_true", help="skip the 42-file accuracy run")
    ap.add_argument("--no-raw", action="store_true", help="skip the raw infer() timings")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args()

    tflite, bundle = armenian_model_and_bundle()
    results: dict[str, Any] = {"bundle": str(bundle)}
    if not args.no_raw:
        results["raw"] = bench_raw(tflite, bundle, args.rounds)
        print("| graph, config | precision | batch | ms / chunk | × real time | max |Δp| vs fidelity |")
        print("|---|---|---|---|---|---|")
        for r in results["raw"]:
            print(
                f"| {r['graph']} | {r['precision']} | {r['batch']} | {r['ms_per_chunk']:.1f} | "
                f"{r['x_real_time']:.0f} | {r['max_prob_diff_vs_fidelity']:.2g} |"
            )
    if not args.no_accuracy:
        acc = bench_accuracy(bundle)
        results["accuracy"] = acc
        print(f"\naccuracy on {acc['files']} files of armenian-tts, beam 500, no scorer (CER vs reference text):")
        print(f"  Coqui STT 1.4.0: CER {acc['peer']['cer']:.4f}")
        for mode in ("fidelity", "fast"):
            a = acc[mode]
            print(
                f"  pyds {mode}: CER {a['cer']:.4f} ({(a['cer'] - acc['peer']['cer']) * 100:+.2f} points), "
                f"{a['identical_to_peer']}/{acc['files']} identical to the peer, batch wall {a['batch_wall_s']:.1f} s"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
