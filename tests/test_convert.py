"""pyds-convert on the real Coqui Armenian .tflite (hybrid int8) and on broken variants of it.

Reference runs use tflite-runtime 2.14.0 (what reproduces the peer, libstt 1.4.0), which needs numpy<2: a
venv for it is made once under the test cache and called in a subprocess.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import references
from conftest import armenian_clip, armenian_manifest, generated

import pyds
from pyds.bundle import Bundle
from pyds.convert import convert_model, detect_format
from pyds.convert.acoustic_graph import build_acoustic_model, numerics_config
from pyds.convert.alphabet import ModelAlphabet, parse_serialized
from pyds.convert.cli import main as cli_main
from pyds.convert.numpy_reference import hybrid_fc
from pyds.convert.tflite import load_tflite, prune
from pyds.convert.verify import chunk_windows, greedy_labels, run_ir, run_tflite

H = 2048
F32 = {"INFERENCE_PRECISION_HINT": "f32", "DYNAMIC_QUANTIZATION_GROUP_SIZE": "0"}


# ---------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def source(armenian_tflite):
    """The loaded source model, with OpenVINO's frontend IR."""
    return load_tflite(armenian_tflite)


@pytest.fixture(scope="session")
def bundle_dir(armenian_tflite, tmp_path_factory):
    """The default conversion (canonical graph, hybrid_int8)."""
    return convert_model(armenian_tflite, tmp_path_factory.mktemp("bundle") / "armenian")


@pytest.fixture(scope="session")
def tflite_python() -> str:
    """A Python with tflite-runtime 2.14.0 (and numpy<2), made once in the test cache."""
    return generated(references.tflite_python)


def _zeros_state():
    return np.zeros((1, H), np.float32), np.zeros((1, H), np.float32)


def _compile(model, config):
    import openvino as ov

    return ov.Core().compile_model(model, "CPU", config).create_infer_request()


def _features(name: str) -> np.ndarray:
    import wave

    from pyds.features import FeatureStream

    with wave.open(str(armenian_clip(name))) as w:
        samples = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    fs = FeatureStream(16000)
    return np.concatenate([fs.accept(samples), fs.flush()])


# ---------------------------------------------------------------------------------------------- metadata
def test_metadata_of_the_armenian_model(source):
    meta = source.metadata
    assert source.format == "tflite" and len(source.sha256) == 64
    assert source.numerics_hint == "hybrid_int8"
    assert (meta.sample_rate, meta.feature_win_len_ms, meta.feature_win_step_ms) == (16000, 32, 20)
    assert meta.beam_width == 500 and meta.version == 6 and meta.mfcc_upper_hz == 8000
    assert (meta.n_input, meta.n_context, meta.n_steps, meta.n_cell_dim) == (26, 9, 16, 2048)
    labels = meta.alphabet
    assert len(labels) == 40 and labels[0] == " " and labels[1] == "ա" and "և" in labels
    assert meta.utf8_mode is False


def test_weights_layout(source):
    w = source.weights
    assert w.layer1_w.shape == (494, H) and w.lstm_w.shape == (2 * H, 4 * H) and w.layer6_w.shape == (H, 41)
    assert set(w.int8) == {"layer1_w", "layer2_w", "layer3_w", "lstm_w", "layer5_w", "layer6_w"}
    q, scale = w.int8["lstm_w"]
    assert q.dtype == np.int8 and q.shape == w.lstm_w.shape
    np.testing.assert_array_equal(q.astype(np.float32) * scale, w.lstm_w)


def _serialize(labels: list[bytes]) -> bytes:
    out = struct.pack("<H", len(labels))
    for i, lab in enumerate(labels):
        out += struct.pack("<HH", i, len(lab)) + lab
    return out


def test_parse_alphabet():
    labels = [" ", "a", "ա", "'"]
    assert parse_serialized(_serialize([s.encode() for s in labels])) == ModelAlphabet(labels, False)
    assert parse_serialized(_serialize([bytes([i + 1]) for i in range(255)])) == ModelAlphabet([], True)
    blob = _serialize([b"a", b"bc"])
    for bad in (blob[:-1], blob + b"x", blob[:1], _serialize([b"\xff"]), _serialize([b"a", b"a"])):
        with pytest.raises(pyds.ConversionError):
            parse_serialized(bad)


# ---------------------------------------------------------------------------------------------- pruning
def test_prune_keeps_only_the_acoustic_operators(armenian_tflite):
    from pyds.convert.tflite import _Graph

    data = armenian_tflite.read_bytes()
    full = _Graph(data, armenian_tflite)
    pruned = _Graph(
        prune(
            data,
            ["input_node", "previous_state_c", "previous_state_h"],
            ["logits", "new_state_c", "new_state_h"],
        ),
        Path("pruned"),
    )
    assert "AudioSpectrogram" in full.op_names and "Mfcc" in full.op_names
    assert "AudioSpectrogram" not in pruned.op_names and "Mfcc" not in pruned.op_names
    assert pruned.op_names.count("FULLY_CONNECTED") == 21
    assert len(pruned.ops) < len(full.ops)
    sub = pruned.sub
    assert [pruned.names[sub.Inputs(i)] for i in range(sub.InputsLength())] == [
        "input_node",
        "previous_state_c",
        "previous_state_h",
    ]
    with pytest.raises(pyds.ConversionError, match="input_samples"):
        prune(data, ["input_node", "previous_state_c", "previous_state_h"], ["mfccs"])


def test_frontend_ir_is_cut_to_the_acoustic_io(source):
    model = source.frontend_model
    assert sorted(p.get_any_name() for p in model.inputs) == [
        "input_node",
        "previous_state_c",
        "previous_state_h",
    ]
    assert sorted(p.get_any_name() for p in model.outputs) == ["logits", "new_state_c", "new_state_h"]


# ---------------------------------------------------------------------------------------------- graphs
def test_canonical_graph_matches_frontend_ir_in_f32(source):
    """Several chunks with the state carried: logits within 1e-5 per chunk."""
    fe = _compile(source.frontend_model, F32)
    can = _compile(build_acoustic_model(source.weights, numerics="f32"), F32)
    rng = np.random.default_rng(3)
    c1, h1 = _zeros_state()
    c2, h2 = _zeros_state()
    for _ in range(4):
        x = (rng.standard_normal((1, 16, 19, 26)) * 8).astype(np.float32)
        r1 = fe.infer({"input_node": x, "previous_state_c": c1, "previous_state_h": h1})
        r2 = can.infer({"input_node": x, "previous_state_c": c2, "previous_state_h": h2})
        assert r2["logits"].shape == (1, 16, 41)
        np.testing.assert_allclose(r2["logits"][0], r1["logits"], rtol=0, atol=1e-5)
        c1, h1 = r1["new_state_c"].copy(), r1["new_state_h"].copy()
        c2, h2 = r2["new_state_c"].copy(), r2["new_state_h"].copy()
        np.testing.assert_allclose(c2, c1, rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(h2, h1, rtol=0, atol=1e-5)


@pytest.mark.parametrize("numerics", ["f32", "hybrid_int8"])
def test_canonical_graph_batches_streams_independently(source, numerics):
    """Batch 3 gives each stream what batch 1 gives it (f32 GEMM kernels differ by batch size: 1e-5)."""
    w = source.weights
    req = _compile(build_acoustic_model(w, numerics=numerics), numerics_config(numerics, w)["ov_config"])
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((3, 16, 19, 26)) * 8).astype(np.float32)
    c = (rng.standard_normal((3, H)) * 0.5).astype(np.float32)
    h = np.tanh(rng.standard_normal((3, H))).astype(np.float32)
    batched = {
        k: v.copy()
        for k, v in req.infer({"input_node": x, "previous_state_c": c, "previous_state_h": h}).to_dict().items()
    }
    by_name = {k.get_any_name(): v for k, v in batched.items()}
    for b in range(3):
        one = req.infer(
            {"input_node": x[b : b + 1], "previous_state_c": c[b : b + 1], "previous_state_h": h[b : b + 1]}
        )
        np.testing.assert_allclose(by_name["logits"][b], one["logits"][0], rtol=0, atol=1e-5)
        np.testing.assert_allclose(by_name["new_state_h"][b], one["new_state_h"][0], rtol=0, atol=1e-5)


def test_float_weights_and_int8_precision(source):
    """A float source (the same weights, no int8): stored as f32 it computes what the int8-stored graph does;
    with int8 precision its weights are quantized per channel and the logits stay close."""
    import dataclasses

    w = source.weights
    wf = dataclasses.replace(w, int8={})
    x = (np.random.default_rng(7).standard_normal((2, 16, 19, 26)) * 8).astype(np.float32)
    c = np.zeros((2, H), np.float32)
    feeds = {"input_node": x, "previous_state_c": c, "previous_state_h": c}

    def logits(weights, **kw):
        model = build_acoustic_model(weights, **kw)
        return _compile(model, F32).infer(feeds)["logits"].copy()

    stored_int8 = logits(w, numerics="f32")
    np.testing.assert_allclose(logits(wf, numerics="f32"), stored_int8, rtol=0, atol=1e-5)
    requantized = logits(wf, numerics="f32", int8_weights=True)
    assert 0 < np.abs(requantized - stored_int8).max() < 0.1
    with pytest.raises(pyds.ConversionError, match="int8"):
        build_acoustic_model(wf, numerics="hybrid_int8", int8_weights=False)


KEYS = {
    "layer1": "layer1_w",
    "layer2": "layer2_w",
    "layer3": "layer3_w",
    "layer5": "layer5_w",
    "layer6": "layer6_w",
}


def test_every_fc_equals_the_hybrid_integer_arithmetic(source):
    """Each of the 21 FCs of the hybrid_int8 IR, given its actual input, computes TFLite's hybrid FC."""
    w = source.weights
    model = build_acoustic_model(w, numerics="hybrid_int8", debug_outputs=True)
    req = _compile(model, numerics_config("hybrid_int8", w)["ov_config"])
    x0 = np.load(generated(references.tflite_features) / "armenian_s104_hy_input_node_batch0_tflite.npy")
    rng = np.random.default_rng(5)
    c, h = _zeros_state()
    checked = 0
    for x in (x0, (rng.standard_normal((1, 16, 19, 26)) * 8).astype(np.float32)):
        out = req.infer({"input_node": x, "previous_state_c": c, "previous_state_h": h})
        got = {k.get_any_name(): v.copy() for k, v in out.to_dict().items()}
        names = [n[len("fc_in:") :] for n in got if n.startswith("fc_in:")]
        assert len(names) == 21
        for name in names:
            key = KEYS.get(name, "lstm_w")
            q, scale = w.int8[key]
            want = hybrid_fc(got[f"fc_in:{name}"], q, scale, getattr(w, key[:-2] + "_b"))
            y = got[f"fc_out:{name}"]
            # bit for bit: the same int8 rows, int32 dot products, rescale and bias as TFLite
            np.testing.assert_array_equal(y, want, err_msg=name)
            checked += 1
        c, h = got["new_state_c"], got["new_state_h"]
    assert checked == 42


def test_exact_graph_groups_carry_a_sentinel(source):
    """The lean exact graph: int8 weights laid out in groups of 255 rows + one zero row (the sentinel's), so each
    width grows by 6-12 % (494 -> 512, 2048 -> 2304, 4096 -> 4352) instead of being padded to 4096; the plugin's
    dynamic quantization (group 256) runs all 21 FCs on int8 kernels, and the logits are the padded form's."""
    import openvino as ov

    from pyds.convert.acoustic_graph import SENTINEL_GROUP

    w = source.weights
    model = build_acoustic_model(w, numerics="hybrid_int8")
    shapes = sorted(
        tuple(op.get_output_shape(0))
        for op in model.get_ops()
        if op.get_type_name() == "Constant" and op.get_output_element_type(0) == ov.Type.i8
    )
    assert shapes == sorted([(H, 512), (H, 2304), (H, 2304), (4 * H, 4352), (H, 2304), (41, 2304)])
    q, _ = w.int8["layer2_w"]
    square = [
        op.get_data().reshape(H, -1, SENTINEL_GROUP)
        for op in model.get_ops()
        if op.get_type_name() == "Constant" and tuple(op.get_output_shape(0)) == (H, 2304)
    ]
    assert all(not g[:, :, -1].any() for g in square)  # the sentinels' weight rows are zero
    assert any(np.array_equal(g[:, :, :-1].reshape(H, -1)[:, :2048], q.T) for g in square)
    config = numerics_config("hybrid_int8", w)["ov_config"]
    assert config["DYNAMIC_QUANTIZATION_GROUP_SIZE"] == str(SENTINEL_GROUP)
    compiled = ov.Core().compile_model(model, "CPU", config)
    fcs = [
        op.get_rt_info()["runtimePrecision"].astype(str)
        for op in compiled.get_runtime_model().get_ops()
        if op.get_rt_info()["layerType"].astype(str) == "FullyConnected"
    ]
    assert fcs == ["i8"] * 21
    padded = build_acoustic_model(w, numerics="hybrid_int8", int8_form="padded")
    assert "Pad" in [op.get_type_name() for op in padded.get_ops()]
    x = np.load(generated(references.tflite_features) / "armenian_s104_hy_input_node_batch0_tflite.npy")
    c, h = _zeros_state()
    feeds = {"input_node": x, "previous_state_c": c, "previous_state_h": h}
    lean = compiled.create_infer_request().infer(feeds)["logits"].copy()
    old = _compile(padded, numerics_config("hybrid_int8", w, "padded")["ov_config"]).infer(feeds)["logits"]
    np.testing.assert_allclose(lean, old, rtol=0, atol=1e-6)
    with pytest.raises(pyds.ConversionError, match="int8 form"):
        build_acoustic_model(w, numerics="hybrid_int8", int8_form="fake")


def test_f32_numerics_is_not_the_hybrid_arithmetic(source):
    """The check above can fail: the f32 graph's first FC differs from the hybrid arithmetic."""
    w = source.weights
    req = _compile(build_acoustic_model(w, numerics="f32", debug_outputs=True), F32)
    x = np.load(generated(references.tflite_features) / "armenian_s104_hy_input_node_batch0_tflite.npy")
    c, h = _zeros_state()
    got = {
        k.get_any_name(): v
        for k, v in req.infer({"input_node": x, "previous_state_c": c, "previous_state_h": h}).to_dict().items()
    }
    q, scale = w.int8["layer2_w"]
    want = hybrid_fc(got["fc_in:layer2"], q, scale, w.layer2_b)
    assert np.abs(got["fc_out:layer2"] - want).max() > 1e-4 * np.abs(want).max()


# ---------------------------------------------------------------------------------------------- bundle
def test_bundle_contents(bundle_dir, armenian_tflite):
    import openvino as ov

    b = Bundle.read(bundle_dir)
    assert b.format == "pyds-bundle/1" and b.batch == "dynamic" and b.logits_are_probabilities
    assert b.numerics == {
        "mode": "hybrid_int8",
        "ov_config": {"INFERENCE_PRECISION_HINT": "f32", "DYNAMIC_QUANTIZATION_GROUP_SIZE": "256"},
        "exact_divide": True,
        "fast": {"acoustic_model": "acoustic_fast.xml", "ov_config": {"DYNAMIC_QUANTIZATION_GROUP_SIZE": "2048"}},
    }
    assert b.source["format"] == "tflite" and b.source["file"] == armenian_tflite.name
    assert b.converter["openvino"] == ov.get_version().split("-")[0] and b.converter["pyds"] == pyds.__version__
    assert len(b.alphabet) == 40 and b.beam_width == 500 and b.mfcc_upper_hz == 8000
    model = ov.Core().read_model(str(b.model_path))
    assert {p.get_any_name() for p in model.inputs} == {
        b.io["features"],
        b.io["state_c_in"],
        b.io["state_h_in"],
    }
    assert model.input(b.io["features"]).get_partial_shape().is_dynamic
    assert sorted(p.name for p in bundle_dir.iterdir()) == [
        "acoustic.bin",
        "acoustic.xml",
        "acoustic_fast.bin",
        "acoustic_fast.xml",
        "pyds.json",
    ]


def test_golden_logits_s104(bundle_dir):
    """The whole s104_hy utterance, chunked as the native client does, against tflite-runtime's logits."""
    gold = np.load(generated(references.tflite_features) / "armenian_s104_hy_logits_tflite.npy")
    b = Bundle.read(bundle_dir)
    chunks, n = chunk_windows(_features("s104_hy.wav"))
    ours = run_ir(str(b.model_path), b.numerics, {"s": chunks}, b.n_cell_dim)["s"]
    logits = ours.reshape(-1, 41)[:n]
    assert logits.shape == gold.shape
    diff = np.abs(logits - gold).max(axis=1)
    flips = int((logits.argmax(1) != gold.argmax(1)).sum())
    print(f"s104_hy: max |logits - golden| = {diff.max():.3g}, median {np.median(diff):.3g}, argmax flips {flips}")
    assert np.median(diff) < 1e-6  # timesteps reproduce TFLite to float rounding (softmax, exp)
    assert diff.max() < 1e-3
    assert flips == 0
    assert greedy_labels(logits) == greedy_labels(gold)


def test_parity_with_tflite_runtime_on_clips(bundle_dir, armenian_tflite, tflite_python):
    """A handful of public clips: identical greedy transcripts to tflite-runtime 2.14 on most."""
    import csv

    with open(armenian_manifest(), encoding="utf-8") as f:
        names = [r["file"] for r in csv.DictReader(f, delimiter="\t") if not r["file"].startswith("long")][:6]
    seqs, lengths = {}, {}
    for i, name in enumerate(names):
        seqs[f"seq{i}"], lengths[f"seq{i}"] = chunk_windows(_features(name))
    ref = run_tflite(armenian_tflite, seqs, python=tflite_python)
    b = Bundle.read(bundle_dir)
    ours = run_ir(str(b.model_path), b.numerics, seqs, b.n_cell_dim)
    same, steps = 0, []
    for key, n in lengths.items():
        a, o = ref[key].reshape(-1, 41)[:n], ours[key].reshape(-1, 41)[:n]
        steps.append(np.abs(a - o).max(axis=1))
        same += greedy_labels(a) == greedy_labels(o)
    d = np.concatenate(steps)
    print(f"{same}/{len(names)} identical; per-timestep |diff| median {np.median(d):.3g} max {d.max():.3g}")
    assert np.median(d) < 1e-6
    assert same == len(names)


def test_frontend_graph_bundle(armenian_tflite, tmp_path):
    out = convert_model(armenian_tflite, tmp_path / "fe", graph="frontend")
    b = Bundle.read(out)
    assert b.batch == 1 and b.numerics["mode"] == "f32" and b.converter["graph"] == "frontend"
    chunks = (np.random.default_rng(6).standard_normal((2, 1, 16, 19, 26)) * 8).astype(np.float32)
    fe = run_ir(str(b.model_path), b.numerics, {"s": chunks}, H)
    with pytest.raises(pyds.ConversionError, match="canonical"):
        convert_model(armenian_tflite, tmp_path / "x", graph="frontend", numerics="hybrid_int8")
    can = convert_model(armenian_tflite, tmp_path / "can", numerics="f32")
    cb = Bundle.read(can)
    ours = run_ir(str(cb.model_path), cb.numerics, {"s": chunks}, H)
    assert fe["s"].shape == ours["s"].shape == (2, 16, 41)
    np.testing.assert_allclose(ours["s"], fe["s"], rtol=0, atol=1e-5)


# ---------------------------------------------------------------------------------------------- CLI, errors
def test_cli_converts_and_refuses_an_existing_output(armenian_tflite, tmp_path, capsys):
    out = tmp_path / "cli"
    assert cli_main([str(armenian_tflite), "-o", str(out), "--numerics", "f32", "--beam-width", "100"]) == 0
    assert Bundle.read(out).beam_width == 100 and Bundle.read(out).numerics["mode"] == "f32"
    before = (out / "pyds.json").read_bytes()
    assert cli_main([str(armenian_tflite), "-o", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert (out / "pyds.json").read_bytes() == before
    assert cli_main([str(armenian_tflite), "-o", str(out), "--force"]) == 0
    assert Bundle.read(out).numerics["mode"] == "hybrid_int8"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cli"]  # no temp dirs left


def test_cli_verify(armenian_tflite, tmp_path, tflite_python, monkeypatch, capsys):
    monkeypatch.setenv("PYDS_TFLITE_PYTHON", tflite_python)
    assert cli_main([str(armenian_tflite), "-o", str(tmp_path / "v"), "--verify"]) == 0
    line = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("verify:")][0]
    assert float(line.rsplit(" ", 1)[1]) < 0.05


def test_console_script_is_installed():
    bindir = Path(sys.executable).parent
    script = bindir / "pyds-convert"
    if not script.exists():
        pytest.fail(f"pyds-convert console script missing from {bindir}")
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "--numerics" in done.stdout


def _patched(data: bytes, old: bytes, new: bytes) -> bytes:
    assert len(old) == len(new) and data.count(old) >= 1
    return data.replace(old, new, 1)


@pytest.mark.parametrize("case", ["unknown", "truncated", "missing_tensor", "wrong_alphabet", "bad_alphabet"])
def test_bad_sources_raise_conversion_error_and_leave_nothing(case, armenian_tflite, source, tmp_path):
    data = armenian_tflite.read_bytes()
    labels = [lab.encode() for lab in source.metadata.alphabet]
    blob = _serialize(labels)
    pos = data.find(blob)
    assert pos > 0
    if case == "unknown":
        bad = b"\x00" * 64 + b"not a model"
    elif case == "truncated":
        bad = data[: len(data) // 3]
    elif case == "missing_tensor":
        bad = _patched(data, b"new_state_h\x00", b"new_state_x\x00")
    elif case == "wrong_alphabet":  # a well-formed alphabet of 39 labels for a model with 41 classes
        other = _serialize(labels[:38] + [b"abcdefgh"])
        assert len(other) == len(blob)
        bad = data[:pos] + other + data[pos + len(blob) :]
    else:  # a label length that runs past the end of the serialized alphabet
        bad = data[: pos + 4] + struct.pack("<H", 999) + data[pos + 6 :]
    src = tmp_path / "model.tflite"
    src.write_bytes(bad)
    out = tmp_path / "out"
    with pytest.raises(pyds.ConversionError) as err:
        convert_model(src, out)
    print(err.value)
    assert str(src) in str(err.value)
    if case == "wrong_alphabet":
        assert "39 labels" in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.tflite"]


def test_missing_source_and_bad_options(armenian_tflite, tmp_path):
    with pytest.raises(pyds.ModelNotFoundError):
        convert_model(tmp_path / "nope.tflite", tmp_path / "o")
    for kwargs in (
        {"backend": "x"},
        {"precision": "fp16"},
        {"numerics": "int4"},
        {"graph": "other"},
        {"colour": "red"},
        {"beam_width": "wide"},  # overrides are typed (SourceMetadata)
        {"alphabet": 42},
    ):
        with pytest.raises(pyds.ConversionError):
            convert_model(armenian_tflite, tmp_path / "o", **kwargs)
    assert not (tmp_path / "o").exists()


def test_detect_format_by_content(armenian_tflite, tmp_path):
    assert detect_format(armenian_tflite) == "tflite"
    renamed = tmp_path / "model.pb"
    renamed.write_bytes(armenian_tflite.read_bytes()[:4096])
    assert detect_format(renamed) == "tflite"  # content wins over the extension
    # a GraphDef: field 1 (node) holding a NodeDef whose field 1 is its name
    node = b"\x0a\x0binput_node\x00"[:-1]
    graph = tmp_path / "g.bin"
    graph.write_bytes(b"\x0a" + bytes([len(node)]) + node)
    assert detect_format(graph) == "pb"
    # a memmapped package: regions, then the directory naming memmapped_package://, then its offset
    body = b"\0" * 64 + b"\x0a\x20memmapped_package://."
    pbmm = tmp_path / "m.pbmm"
    pbmm.write_bytes(body + struct.pack("<Q", 64))
    assert detect_format(pbmm) == "pbmm"
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / "checkpoint").write_text('model_checkpoint_path: "best_dev"\n')
    assert detect_format(ckpt) == "checkpoint"
    junk = tmp_path / "junk"
    junk.write_bytes(b"hello world" * 10)
    with pytest.raises(pyds.ConversionError, match="unknown model format"):
        detect_format(junk)


# ---------------------------------------------------------------------------------------------- schema
def test_bundle_read_rejects_bad_fields(bundle_dir, tmp_path):
    good = json.loads((bundle_dir / "pyds.json").read_text(encoding="utf-8"))
    for name in ("acoustic.xml", "acoustic.bin", "acoustic_fast.xml", "acoustic_fast.bin"):
        os.symlink(bundle_dir / name, tmp_path / name)
    fast = good["numerics"]["fast"]
    cases = [
        ("format", "pyds-bundle/2"),
        ("sample_rate", "16000"),
        ("n_steps", 0),
        ("utf8_mode", 1),
        ("io", {**good["io"], "extra": "x"}),
        ("batch", 4),
        ("numerics", {"mode": "fast", "ov_config": {}}),
        ("numerics", {**good["numerics"], "fast": {**fast, "acoustic_model": "../acoustic_fast.xml"}}),
        ("numerics", {**good["numerics"], "fast": {**fast, "ov_config": {"A": 1}}}),
        ("numerics", {**good["numerics"], "fast": {**fast, "colour": 1}}),
        ("numerics.fast.acoustic_model", {**good["numerics"], "fast": {**fast, "acoustic_model": "gone.xml"}}),
        ("source", {**good["source"], "sha256": "abc"}),
        ("acoustic_model", "../acoustic.xml"),
        ("alphabet", []),
        ("beam_width", True),
    ]
    for field, value in cases:
        key = field.split(".")[0]
        (tmp_path / "pyds.json").write_text(json.dumps({**good, key: value}), encoding="utf-8")
        with pytest.raises(pyds.InvalidModelError, match=field):
            Bundle.read(tmp_path)
    (tmp_path / "pyds.json").write_text(json.dumps({**good, "colour": 1}), encoding="utf-8")
    with pytest.raises(pyds.InvalidModelError, match="colour"):
        Bundle.read(tmp_path)
    trimmed = dict(good)
    del trimmed["numerics"]
    (tmp_path / "pyds.json").write_text(json.dumps(trimmed), encoding="utf-8")
    with pytest.raises(pyds.InvalidModelError, match="numerics"):
        Bundle.read(tmp_path)
    (tmp_path / "pyds.json").write_text("{", encoding="utf-8")
    with pytest.raises(pyds.InvalidModelError, match="pyds.json"):
        Bundle.read(tmp_path)
    (tmp_path / "pyds.json").write_text(json.dumps(good), encoding="utf-8")
    assert Bundle.read(tmp_path).to_json() == good
    with pytest.raises(pyds.ModelNotFoundError):
        Bundle.read(tmp_path / "nothing")


def test_bundle_write_round_trip(bundle_dir, tmp_path):
    b = Bundle.read(bundle_dir)
    b.scorer = {"file": "kenlm.scorer", "alpha": 0.93, "beta": 1.18}
    b.write(tmp_path)
    data = json.loads((tmp_path / "pyds.json").read_text(encoding="utf-8"))
    assert data["scorer"]["alpha"] == 0.93 and data["alphabet"] == b.alphabet
    assert [p.name for p in tmp_path.iterdir()] == ["pyds.json"]  # no temp file left
