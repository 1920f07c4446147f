"""The two numerics of one bundle: ``fidelity`` (the exact graph) and ``fast`` (its own graph, built for speed).

Runs on the real Armenian model (the default conversion, cached per converter); the accuracy check runs on the
generated Armenian set (tests/references.py) with the peer's (Coqui STT 1.4.0) transcripts of it.
"""

from __future__ import annotations

import csv
import json
import os
import wave
from pathlib import Path

import numpy as np
import pytest
from conftest import armenian_clip, armenian_manifest, levenshtein, peer_rows

import pyds
from pyds.bundle import Bundle
from pyds.cli import main as pyds_main
from pyds.convert.fast_graph import FAST_IR_NAME, build_fast_model

H = 2048
ACCURACY_BEAM = 100  # the generated references hold the peer's transcripts of every short clip at beam 100


def _read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


@pytest.fixture(scope="module")
def fast_ir(armenian_bundle):
    import openvino as ov

    b = Bundle.read(armenian_bundle)
    return ov.Core().read_model(str(armenian_bundle / b.numerics["fast"]["acoustic_model"]))


def _op_types(model) -> dict[str, int]:
    counts: dict[str, int] = {}
    for op in model.get_ops():
        counts[op.get_type_name()] = counts.get(op.get_type_name(), 0) + 1
    return counts


def test_default_conversion_writes_the_fast_graph(armenian_bundle, fast_ir):
    """The fast IR: same io, dynamic batch, split LSTM (one x·Wx MatMul + 16 h·Wh), native activations, no
    TFLite emulation (no explicit row quantization, no divisions, no padding), unpadded int8 weights."""
    b = Bundle.read(armenian_bundle)
    assert b.numerics["fast"] == {
        "acoustic_model": FAST_IR_NAME,
        "ov_config": {"DYNAMIC_QUANTIZATION_GROUP_SIZE": str(H)},
    }
    assert {n for p in fast_ir.inputs for n in p.get_names()} >= set(
        b.io[k] for k in ("features", "state_c_in", "state_h_in")
    )
    assert {n for p in fast_ir.outputs for n in p.get_names()} >= set(
        b.io[k] for k in ("logits", "state_c_out", "state_h_out")
    )
    for p in fast_ir.inputs:
        assert p.get_partial_shape()[0].is_dynamic
    ops = _op_types(fast_ir)
    assert ops["MatMul"] == 3 + 1 + 16 + 2
    assert ops["Sigmoid"] == 16 * 3 and ops["Tanh"] == 16 * 2
    for absent in ("Divide", "Round", "Pad", "ReduceMax", "Gather"):
        assert absent not in ops, absent
    int8 = sorted(
        tuple(op.get_output_shape(0))
        for op in fast_ir.get_ops()
        if op.get_type_name() == "Constant" and op.get_output_element_type(0).get_type_name() == "i8"
    )
    assert int8 == sorted([(H, 494), (H, H), (H, H), (4 * H, H), (4 * H, H), (H, H), (41, H)])


def test_fast_graph_forms_compute_the_same_network(armenian_tflite):
    """split and joint LSTM forms are the same network: equal logits and state in f32 (to GEMM rounding)."""
    import openvino as ov

    from pyds.convert import load_source

    w = load_source(armenian_tflite, with_frontend=False).weights
    core = ov.Core()
    f32 = {"INFERENCE_PRECISION_HINT": "f32", "DYNAMIC_QUANTIZATION_GROUP_SIZE": "0"}
    rng = np.random.default_rng(11)
    feeds = {
        "input_node": (rng.standard_normal((2, 16, 19, 26)) * 8).astype(np.float32),
        "previous_state_c": (rng.standard_normal((2, H)) * 0.5).astype(np.float32),
        "previous_state_h": np.tanh(rng.standard_normal((2, H))).astype(np.float32),
    }
    outs = []
    for form in ("split", "joint"):
        req = core.compile_model(build_fast_model(w, lstm=form), "CPU", f32).create_infer_request()
        outs.append({k: req.infer(feeds)[k].copy() for k in ("logits", "new_state_c", "new_state_h")})
    for k in outs[0]:
        np.testing.assert_allclose(outs[0][k], outs[1][k], rtol=0, atol=2e-4, err_msg=k)
    with pytest.raises(pyds.ConversionError, match="LSTM form"):
        build_fast_model(w, lstm="sideways")


def _run_ir(model, config, windows, n):
    """Probabilities of an IR over an utterance's chunks (batch 1, state carried), the first n timesteps."""
    import openvino as ov

    req = ov.Core().compile_model(model, "CPU", config).create_infer_request()
    c = np.zeros((1, H), np.float32)
    h = np.zeros((1, H), np.float32)
    out = []
    for chunk in windows:
        r = req.infer({"input_node": chunk, "previous_state_c": c, "previous_state_h": h})
        out.append(r["logits"][0].copy())
        c, h = r["new_state_c"].copy(), r["new_state_h"].copy()
    return np.concatenate(out)[:n]


def test_model_fast_runs_the_fast_graph(armenian_bundle, fast_ir):
    """pyds.Model(bundle, numerics="fast") computes exactly what the bundle's fast IR does with its config,
    which is not what the fidelity graph computes."""
    from pyds.convert.verify import chunk_windows
    from pyds.features import FeatureStream

    audio = _read_wav(armenian_clip("s020_hy"))
    fast = pyds.Model(armenian_bundle, numerics="fast")
    fidelity = pyds.Model(armenian_bundle)
    assert fast.numerics == "fast" and fidelity.numerics == "hybrid_int8"
    got = fast.compute_probabilities(audio)
    fs = FeatureStream(16000)
    windows, n = chunk_windows(np.concatenate([fs.accept(audio), fs.flush()]))
    want = _run_ir(fast_ir, Bundle.read(armenian_bundle).numerics["fast"]["ov_config"], windows, n)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    exact = fidelity.compute_probabilities(audio)
    assert np.abs(exact - got).max() > 1e-3


def test_fast_on_a_bundle_without_a_fast_graph(armenian_bundle, tmp_path):
    """A bundle converted before numerics.fast existed: fast compiles its main IR with OpenVINO's defaults."""
    data = json.loads((armenian_bundle / "pyds.json").read_text(encoding="utf-8"))
    del data["numerics"]["fast"]
    for name in ("acoustic.xml", "acoustic.bin"):
        os.symlink(armenian_bundle / name, tmp_path / name)
    (tmp_path / "pyds.json").write_text(json.dumps(data), encoding="utf-8")
    audio = _read_wav(armenian_clip("s020_hy"))
    old = pyds.Model(tmp_path, numerics="fast")
    assert old.numerics == "fast"
    new = pyds.Model(armenian_bundle, numerics="fast")
    assert not np.array_equal(old.compute_probabilities(audio), new.compute_probabilities(audio))


def test_a_missing_fast_ir_is_an_invalid_model(armenian_bundle, tmp_path):
    data = json.loads((armenian_bundle / "pyds.json").read_text(encoding="utf-8"))
    for name in ("acoustic.xml", "acoustic.bin", FAST_IR_NAME):
        os.symlink(armenian_bundle / name, tmp_path / name)  # the fast .bin is missing
    (tmp_path / "pyds.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(pyds.InvalidModelError, match="numerics.fast.acoustic_model"):
        Bundle.read(tmp_path)
    with pytest.raises(pyds.InvalidModelError, match="acoustic_fast"):
        pyds.Model(tmp_path, numerics="fast")
    with pytest.raises(pyds.InvalidModelError, match="acoustic_fast.bin"):
        pyds.Model(tmp_path)  # the manifest names a file that is not there: the bundle is broken
    data["numerics"]["fast"]["acoustic_model"] = "../elsewhere.xml"
    (tmp_path / "pyds.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(pyds.InvalidModelError, match="numerics"):
        pyds.Model(tmp_path, numerics="fast")
    with pytest.raises(pyds.InvalidArgumentError, match="numerics"):
        pyds.Model(armenian_bundle, numerics="quick")


def _short_clips() -> tuple[list[str], dict[str, str], dict[str, str]]:
    with open(armenian_manifest(), encoding="utf-8") as f:
        refs = {r["file"]: r["reference_text"] for r in csv.DictReader(f, delimiter="\t")}
    peer = {name: row["transcript"] for name, row in peer_rows(ACCURACY_BEAM).items()}
    files = sorted(f for f in refs if not f.startswith("long"))
    return files, refs, peer


def _cer(hyps: dict[str, str], refs: dict[str, str]) -> float:
    edits = sum(levenshtein(" ".join(hyps[f].split()), " ".join(refs[f].split())) for f in hyps)
    return edits / sum(len(" ".join(refs[f].split())) for f in hyps)


@pytest.mark.slow
def test_fast_accuracy_equals_the_peer_within_noise(armenian_bundle):
    """On the 40 generated short clips at beam 100 (the peer ran them all at that beam): fast's CER against the
    reference text is within 1 point of Coqui STT 1.4.0's (benchmarks/bench_numerics.py measures the whole set),
    and it is not the peer's bit pattern (some transcripts differ), while fidelity reproduces the peer."""
    files, refs, peer = _short_clips()
    audio = [_read_wav(armenian_clip(f.removesuffix(".wav"))) for f in files]
    texts = {}
    for mode in ("fast", "fidelity"):
        model = pyds.Model(armenian_bundle, numerics=mode, beam_width=ACCURACY_BEAM)
        texts[mode] = dict(zip(files, (t.text for t in model.transcribe_batch(audio))))
    peer_cer = _cer({f: peer[f] for f in files}, refs)
    fast_cer = _cer(texts["fast"], refs)
    same = sum(texts["fast"][f] == peer[f] for f in files)
    print(f"CER peer {peer_cer:.4f}, fast {fast_cer:.4f}; fast identical to the peer on {same}/{len(files)}")
    assert abs(fast_cer - peer_cer) < 0.01
    assert same < len(files)
    assert all(texts["fidelity"][f] == peer[f] for f in files)


def test_cli_numerics_option(armenian_bundle, capsys):
    fast, fidelity = pyds.Model(armenian_bundle, numerics="fast"), pyds.Model(armenian_bundle)
    for name in ("s020_hy", "s003_hy", "s034_hy", "s104_hy", "s116_hyw"):  # the first clip that tells them apart
        wav = armenian_clip(name)
        want = {"fast": fast.stt(_read_wav(wav)), "fidelity": fidelity.stt(_read_wav(wav))}
        if want["fast"] != want["fidelity"]:
            break
    assert want["fast"] != want["fidelity"], "no clip tells the two numerics apart"
    for mode in ("fast", "fidelity"):
        assert pyds_main(["transcribe", str(wav), "--model", str(armenian_bundle), "--numerics", mode]) == 0
        assert capsys.readouterr().out.strip() == want[mode]
    with pytest.raises(SystemExit) as exc:
        pyds_main(["transcribe", str(wav), "--model", str(armenian_bundle), "--numerics", "quick"])
    assert exc.value.code == 2
    assert "--numerics" in capsys.readouterr().err
