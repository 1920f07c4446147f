"""The TensorFlow loaders of pyds-convert: frozen .pb, .pbmm, checkpoints and the legacy mo backend.

The DeepSpeech-0.8-style graphs are built by the tests with TensorFlow (tests/deepspeech_tf_graph.py; small
width, real topology) once per session, and every conversion is compared with TensorFlow running the same
graph chunk by chunk with the LSTM state carried.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import tempfile
from pathlib import Path

import deepspeech_tf_graph as tf_graph
import numpy as np
import pytest
from conftest import missing

from pyds.errors import ConversionError

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

TOL = 1e-5
N_CHUNKS = 5
STATES = ("placeholder", "variable", "resource")


@pytest.fixture(scope="session")
def tf():
    try:
        import tensorflow
    except ImportError:
        missing("TensorFlow is not installed (pip install .[test] brings tensorflow-cpu)")
    return tensorflow


@pytest.fixture(scope="session")
def graphs(tf, tmp_path_factory):
    """Builds each graph variant once per session: graphs(name) -> BuiltGraph."""
    root = tmp_path_factory.mktemp("tf-graphs")
    variants = {
        "placeholder": {"state": "placeholder", "checkpoint_dir": root / "checkpoint"},
        "variable": {"state": "variable", "seed": 1},
        "resource": {"state": "resource", "seed": 2},
        "v5": {"version": 5, "seed": 3, "language": None},
        "forget_bias": {"forget_bias": 1.0, "seed": 4},
        "v2": {"lstm_op": "BlockLSTMV2", "seed": 5},
        "utf8": {"labels": [bytes([i + 1]) for i in range(255)], "seed": 6, "checkpoint_dir": root / "utf8-ckpt"},
    }
    cache: dict[str, object] = {}

    def get(name: str):
        if name not in cache:
            cache[name] = tf_graph.build_frozen_graph(root / f"{name}.pb", **variants[name])
        return cache[name]

    return get


def _chunks(seed: int, n: int = N_CHUNKS) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    # MFCC-like magnitudes: coefficient 0 is large and negative-ish, the rest spread around zero
    return [(rng.standard_normal((1, 16, 19, 26)) * 4.0).astype(np.float32) for _ in range(n)]


def _compile(model):
    import openvino as ov

    return ov.Core().compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"}).create_infer_request()


def _max_diffs_vs_tf(built, model, seed: int = 7, batch_major: bool = False) -> list[float]:
    """Max |IR - TF| over logits and both states, per chunk, with each side carrying its own state."""
    runner = tf_graph.TFRunner(built)
    request = _compile(model)
    h = built.weights["layer_1/bias"].shape[0]
    c_state, h_state = np.zeros((1, h), np.float32), np.zeros((1, h), np.float32)
    diffs = []
    try:
        for chunk in _chunks(seed):
            probs, tc, th = runner.step(chunk)
            out = request.infer({"input_node": chunk, "previous_state_c": c_state, "previous_state_h": h_state})
            logits, c_state, h_state = (np.array(out[k]) for k in ("logits", "new_state_c", "new_state_h"))
            if batch_major:  # the bundle layout [1, n_steps, C]
                assert logits.shape == (1, probs.shape[0], probs.shape[2])
                logits = logits.transpose(1, 0, 2)
            assert logits.shape == probs.shape
            diffs.append(max(np.abs(logits - probs).max(), np.abs(c_state - tc).max(), np.abs(h_state - th).max()))
    finally:
        runner.close()
    return diffs


def _bundle_ir(bundle_dir: Path):
    import openvino as ov

    return ov.Core().read_model(str(bundle_dir / "acoustic.xml"))


def reference_forward(w, chunk: np.ndarray, c: np.ndarray, h: np.ndarray):
    """DeepSpeech's acoustic model for one chunk in float64 NumPy, from AcousticWeights."""
    f = lambda a: np.asarray(a, np.float64)  # noqa: E731
    x = f(chunk).transpose(1, 0, 2, 3).reshape(-1, chunk.shape[2] * chunk.shape[3])

    def dense(x, wk, bk, relu=True):
        y = x @ f(wk) + f(bk)
        return np.minimum(np.maximum(y, 0.0), 20.0) if relu else y

    x = dense(dense(dense(x, w.layer1_w, w.layer1_b), w.layer2_w, w.layer2_b), w.layer3_w, w.layer3_b)
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    c, h = f(c), f(h)
    outs = []
    for t in range(x.shape[0]):
        z = np.concatenate([x[t : t + 1], h], axis=1) @ f(w.lstm_w) + f(w.lstm_b)
        i, j, fg, o = np.split(z, 4, axis=1)  # TF BlockLSTM / LSTMCell gate order
        c = np.tanh(j) * sig(i) + c * sig(fg)
        h = np.tanh(c) * sig(o)
        outs.append(h)
    x = dense(dense(np.concatenate(outs), w.layer5_w, w.layer5_b), w.layer6_w, w.layer6_b, relu=False)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True))[:, None, :], c, h


# --- the protobuf schema ----------------------------------------------------------------------------------


def test_graphdef_schema_field_numbers_match_tensorflow(tf):
    from tensorflow.core.framework import (
        attr_value_pb2,
        graph_pb2,
        node_def_pb2,
        tensor_pb2,
        tensor_shape_pb2,
    )
    from tensorflow.core.util import memmapped_file_system_pb2 as mm

    from pyds.convert import _graphdef as gd

    pairs = [
        (gd.GraphDef, graph_pb2.GraphDef),
        (gd.NodeDef, node_def_pb2.NodeDef),
        (gd.AttrValue, attr_value_pb2.AttrValue),
        (gd.AttrValue.ListValue, attr_value_pb2.AttrValue.ListValue),
        (gd.TensorProto, tensor_pb2.TensorProto),
        (gd.TensorShapeProto, tensor_shape_pb2.TensorShapeProto),
        (gd.TensorShapeProto.Dim, tensor_shape_pb2.TensorShapeProto.Dim),
        (gd.MemmappedFileSystemDirectory, mm.MemmappedFileSystemDirectory),
        (gd.MemmappedFileSystemDirectory().element.add().__class__, mm.MemmappedFileSystemDirectoryElement),
    ]
    for ours, theirs in pairs:
        for field in ours.DESCRIPTOR.fields:
            assert field.name in theirs.DESCRIPTOR.fields_by_name, (ours.DESCRIPTOR.name, field.name)
            assert theirs.DESCRIPTOR.fields_by_name[field.name].number == field.number, (ours, field.name)
    assert gd.DT_FLOAT == tf.float32.as_datatype_enum and gd.DT_STRING == tf.string.as_datatype_enum
    assert gd.DT_RESOURCE == tf.resource.as_datatype_enum and gd.DT_HALF == tf.float16.as_datatype_enum


# --- .pb --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", STATES)
def test_load_pb_source_model(graphs, state):
    from pyds.convert.tensorflow import load_pb

    built = graphs(state)
    src = load_pb(built.path)
    assert src.format == "pb" and src.path == built.path and src.numerics_hint == "f32"
    assert src.sha256 == hashlib.sha256(built.path.read_bytes()).hexdigest()
    meta = src.metadata
    assert meta.alphabet == built.labels and meta.utf8_mode is False
    assert (
        meta.version,
        meta.sample_rate,
        meta.feature_win_len_ms,
        meta.feature_win_step_ms,
    ) == (
        6,
        16000,
        32,
        20,
    )
    assert meta.beam_width == 500 and meta.language == "en-US" and meta.mfcc_upper_hz == 8000
    assert (meta.n_input, meta.n_context, meta.n_steps, meta.n_cell_dim) == (26, 9, 16, 32)

    w = src.weights
    for k in (1, 2, 3, 5, 6):
        np.testing.assert_array_equal(getattr(w, f"layer{k}_w"), built.weights[f"layer_{k}/weights"])
        np.testing.assert_array_equal(getattr(w, f"layer{k}_b"), built.weights[f"layer_{k}/bias"])
    np.testing.assert_array_equal(w.lstm_w, built.weights[f"{tf_graph.CELL_SCOPE}/kernel"])
    np.testing.assert_array_equal(w.lstm_b, built.weights[f"{tf_graph.CELL_SCOPE}/bias"])
    assert all(getattr(w, n).dtype == np.float32 for n in ("layer1_w", "lstm_w", "layer6_b")) and not w.int8

    model = src.frontend_model
    inputs = {next(iter(i.get_names())): tuple(i.get_partial_shape().to_shape()) for i in model.inputs}
    assert inputs == {"input_node": (1, 16, 19, 26), "previous_state_c": (1, 32), "previous_state_h": (1, 32)}
    names = [o.get_names() for o in model.outputs]
    cell = tf_graph.CELL_SCOPE
    assert {"logits"} <= names[0] and {"new_state_c", f"{cell}/GatherNd"} <= names[1]
    assert {"new_state_h", f"{cell}/GatherNd_1"} <= names[2]
    assert not any(op.get_type_name() in ("Mfcc", "AudioSpectrogram") for op in model.get_ops())


@pytest.mark.parametrize("state", STATES)
def test_frontend_model_matches_tensorflow_across_chunks(graphs, state):
    from pyds.convert.tensorflow import load_pb

    built = graphs(state)
    diffs = _max_diffs_vs_tf(built, load_pb(built.path).frontend_model)
    assert max(diffs) <= TOL, diffs


@pytest.mark.parametrize("name", ["placeholder", "forget_bias", "v2"])
def test_weights_through_numpy_reference_match_tensorflow(graphs, name):
    """The extracted weights (gate order, folded forget bias) reproduce TF's outputs in a NumPy forward pass.

    BlockLSTMV2 (gate blocks i, f, c~, o) is read by pyds but OpenVINO's TF frontend has no translator for it,
    so only the weights are checked for it; DeepSpeech exports BlockLSTM.
    """
    from pyds.convert.tensorflow import inspect_graphdef, load_pb, parse_graphdef

    built = graphs(name)
    _, weights, _ = inspect_graphdef(parse_graphdef(built.path.read_bytes(), "test"), built.path)
    if name == "v2":
        with pytest.raises(ConversionError, match="BlockLSTMV2"):
            load_pb(built.path)
    runner = tf_graph.TFRunner(built)
    c = h = np.zeros((1, weights.n_cell_dim), np.float64)
    try:
        for chunk in _chunks(11):
            probs, tc, th = runner.step(chunk)
            ref, c, h = reference_forward(weights, chunk, c, h)
            assert np.abs(ref - probs).max() <= TOL
            # the cell state is unbounded (|c| reaches ~2 here): float32 TF vs this float64 pass, relatively
            np.testing.assert_allclose(c, tc, rtol=TOL, atol=TOL)
            np.testing.assert_allclose(h, th, rtol=TOL, atol=TOL)
    finally:
        runner.close()


def test_block_lstm_gate_order_is_i_cbar_f_o(tf):
    """TF's BlockLSTM column blocks are (i, c~, f, o), BlockLSTMV2's (i, f, c~, o): checked on the ops."""
    n, h = 5, 4
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 1, n)).astype(np.float32)
    w = rng.standard_normal((n + h, 4 * h)).astype(np.float32)
    b = rng.standard_normal(4 * h).astype(np.float32)
    zeros, state = np.zeros(h, np.float32), np.zeros((1, h), np.float32)
    common = {"seq_len_max": tf.constant(3, tf.int64), "x": x, "cs_prev": state, "h_prev": state}
    common.update(wci=zeros, wcf=zeros, wco=zeros, cell_clip=-1.0)
    v1 = tf.raw_ops.BlockLSTM(w=w, b=b, forget_bias=0.0, **common)
    order = np.r_[0:h, 2 * h : 3 * h, h : 2 * h, 3 * h : 4 * h]
    v2 = tf.raw_ops.BlockLSTMV2(w=w[:, order], b=b[order], **common)
    np.testing.assert_allclose(v2.h.numpy(), v1.h.numpy(), atol=1e-6)
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    c, hh = np.zeros((1, h)), np.zeros((1, h))
    for t in range(3):
        i, j, f, o = np.split(np.concatenate([x[t], hh], 1) @ w + b, 4, axis=1)
        c = np.tanh(j) * sig(i) + c * sig(f)
        hh = np.tanh(c) * sig(o)
    np.testing.assert_allclose(v1.h.numpy()[-1], hh, atol=1e-5)


def test_graph_version_5_gives_upper_frequency_4000(graphs):
    from pyds.convert.tensorflow import load_pb

    src = load_pb(graphs("v5").path)
    assert src.metadata.version == 5 and src.metadata.mfcc_upper_hz == 4000
    assert src.metadata.beam_width == 500  # 0.6 graphs carry none: DeepSpeech's default
    assert src.metadata.language == ""


def test_metadata_upper_frequency_is_the_one_the_graphs_mfcc_uses(graphs):
    """pyds's front end set to the reported mfcc_upper_hz reproduces the graph's own Mfcc (v5 and v6)."""
    import pyds.features
    from pyds.convert.tensorflow import load_pb

    rng = np.random.default_rng(2)
    samples = (rng.standard_normal(512) * 0.1).astype(np.float32)
    for name in ("placeholder", "v5"):
        built = graphs(name)
        runner = tf_graph.TFRunner(built)
        try:
            tf_mfcc = runner.mfcc(samples)
        finally:
            runner.close()
        options = pyds.features.FeatureOptions()
        options.upper_frequency_hz = load_pb(built.path).metadata.mfcc_upper_hz
        ours = pyds.features.mfcc(samples, 16000, options=options)
        np.testing.assert_allclose(ours, tf_mfcc, rtol=1e-5, atol=1e-4)
        options.upper_frequency_hz = 12000 - options.upper_frequency_hz  # the other one: 4000 <-> 8000
        assert np.abs(pyds.features.mfcc(samples, 16000, options=options) - tf_mfcc).max() > 1e-2


def test_alphabet_override(graphs, tmp_path):
    from pyds.convert.tensorflow import load_pb

    built = graphs("placeholder")
    src = load_pb(built.path, alphabet=["x", "y", "z", "w"])
    assert src.metadata.alphabet == ["x", "y", "z", "w"]
    alphabet_txt = tmp_path / "alphabet.txt"
    alphabet_txt.write_text("# comment\n \na\nb\nc\n")
    assert load_pb(built.path, alphabet=alphabet_txt).metadata.alphabet == [" ", "a", "b", "c"]


def test_utf8_bytes_mode_alphabet_is_detected():
    from pyds.convert.alphabet import ModelAlphabet, parse_serialized, resolve
    from pyds.decoder import Alphabet

    serialized = struct.pack("<H", 255) + b"".join(struct.pack("<HH", i, 1) + bytes([i + 1]) for i in range(255))
    assert parse_serialized(serialized, "test") == ModelAlphabet([], True)
    assert parse_serialized(tf_graph.serialize_alphabet(["é", "ab", " "]), "test") == ModelAlphabet(["é", "ab", " "])
    # The caller's alphabet follows the same rule, whichever form it takes.
    latin1_labels = [chr(i + 1) for i in range(255)]  # how pyds.decoder shows bytes-mode labels
    assert resolve(Alphabet.utf8()) == resolve(latin1_labels) == ModelAlphabet([], True)
    assert resolve(Alphabet(["a", "b"])) == ModelAlphabet(["a", "b"])


@pytest.mark.parametrize("fmt", ["pb", "pbmm", "checkpoint"])
def test_bytes_output_mode_loads_like_tflite(graphs, tmp_path, fmt):
    """Every TensorFlow format gives a bytes-output model (256 classes) what the .tflite loader gives: no labels,
    utf8_mode (it returned the 255 byte labels, which the bundle writer refuses in utf8 mode)."""
    from pyds.convert import load_source
    from pyds.convert.pbmm import write_pbmm

    built = graphs("utf8")
    path = built.path
    if fmt == "pbmm":
        path = write_pbmm(built.path, tmp_path / "m.pbmm")
    elif fmt == "checkpoint":
        path = tmp_path / "ckpt"
        shutil.copytree(built.checkpoint_dir, path)
        (path / "flags.txt").write_text("--bytes_output_mode\n")
    src = load_source(path, with_frontend=False)
    assert src.format == fmt and src.weights.n_classes == 256
    assert src.metadata.utf8_mode is True and src.metadata.alphabet == []


def test_bytes_output_mode_pb_converts_end_to_end(graphs, tmp_path):
    """A bytes-mode .pb becomes a utf8 bundle whose Model runs the TF graph's logits through Alphabet.utf8()."""
    import pyds
    from pyds.bundle import Bundle
    from pyds.convert import convert_model

    built = graphs("utf8")
    out = convert_model(built.path, tmp_path / "bundle")
    bundle = Bundle.read(out)
    assert bundle.utf8_mode is True and bundle.alphabet == [] and bundle.source["format"] == "pb"
    model = pyds.Model(out)
    assert model.alphabet.is_utf8 and model.alphabet.num_classes == 256
    # The IR computes the graph's function: TensorFlow's logits on the same feature chunks.
    assert max(_max_diffs_vs_tf(built, _bundle_ir(out), seed=21, batch_major=True)) <= TOL
    audio = (np.random.default_rng(5).standard_normal(16000) * 3000).astype(np.int16)
    text = model.stt(audio)
    assert isinstance(text, str) and text == model.stt(audio)


# --- .pbmm ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["placeholder", "variable"])
def test_pbmm_written_from_pb_converts_the_same(graphs, tmp_path, state):
    from pyds.convert import _graphdef as gd
    from pyds.convert.detect import detect_format
    from pyds.convert.pbmm import ALIGNMENT, GRAPH_REGION, load_pbmm, write_pbmm
    from pyds.convert.tensorflow import load_pb

    built = graphs(state)
    pbmm = write_pbmm(built.path, tmp_path / "model.pbmm")
    assert detect_format(pbmm) == "pbmm" and detect_format(built.path) == "pb"
    assert [p.name for p in tmp_path.iterdir()] == ["model.pbmm"]

    # The package really is memmapped: aligned regions, ImmutableConst nodes, strings left as Const.
    raw = pbmm.read_bytes()
    (dir_offset,) = struct.unpack("<Q", raw[-8:])
    directory = gd.MemmappedFileSystemDirectory()
    directory.ParseFromString(raw[dir_offset:-8])
    regions = {e.name: e for e in directory.element}
    assert GRAPH_REGION in regions and "memmapped_package://layer_1_weights" in regions
    assert all(e.offset % ALIGNMENT == 0 for name, e in regions.items() if name != GRAPH_REGION)
    graph = gd.GraphDef()
    g = regions[GRAPH_REGION]
    graph.ParseFromString(raw[g.offset : g.offset + g.length])
    ops = {n.name: n.op for n in graph.node}
    assert ops["layer_1/weights"] == "ImmutableConst" and ops["metadata_alphabet"] == "Const"

    src, ref = load_pbmm(pbmm), load_pb(built.path)
    assert src.format == "pbmm" and src.sha256 == hashlib.sha256(raw).hexdigest()
    assert src.metadata == ref.metadata
    for name in ("layer1_w", "layer3_b", "lstm_w", "lstm_b", "layer6_w"):
        np.testing.assert_array_equal(getattr(src.weights, name), getattr(ref.weights, name))
    assert max(_max_diffs_vs_tf(built, src.frontend_model, seed=13)) <= TOL


def test_pbmm_reader_accepts_directories_without_lengths(graphs, tmp_path):
    """Older writers store no region length: regions then run to the next offset (or to the directory)."""
    from pyds.convert import _graphdef as gd
    from pyds.convert.pbmm import load_pbmm, write_pbmm

    raw = write_pbmm(graphs("placeholder").path, tmp_path / "a.pbmm").read_bytes()
    (dir_offset,) = struct.unpack("<Q", raw[-8:])
    directory = gd.MemmappedFileSystemDirectory()
    directory.ParseFromString(raw[dir_offset:-8])
    graph_region = max(directory.element, key=lambda e: e.offset)
    graph_end = graph_region.offset + graph_region.length
    for e in directory.element:
        e.ClearField("length")
    old_style = tmp_path / "old.pbmm"
    old_style.write_bytes(raw[:graph_end] + directory.SerializeToString() + struct.pack("<Q", graph_end))
    src = load_pbmm(old_style)
    assert src.metadata.alphabet == graphs("placeholder").labels


# --- checkpoints ------------------------------------------------------------------------------------------


def test_checkpoint_weights_equal_the_frozen_graphs(graphs, tmp_path):
    from pyds.convert.checkpoint import load_checkpoint
    from pyds.convert.detect import detect_format
    from pyds.convert.tensorflow import load_pb

    built = graphs("placeholder")
    prefix = built.checkpoint_dir / "best_dev-1234"
    assert detect_format(built.checkpoint_dir) == "checkpoint" and detect_format(built.path) == "pb"
    assert detect_format(prefix) == detect_format(prefix.with_name(prefix.name + ".index")) == "checkpoint"
    src = load_checkpoint(built.checkpoint_dir, alphabet=built.labels, language="en-US")
    ref = load_pb(built.path)
    assert src.format == "checkpoint" and src.frontend_model is None and src.numerics_hint == "f32"
    assert src.metadata == ref.metadata
    for name in ("layer1_w", "layer2_b", "lstm_w", "lstm_b", "layer5_w", "layer6_b"):
        np.testing.assert_array_equal(getattr(src.weights, name), getattr(ref.weights, name))
    v5 = load_checkpoint(built.checkpoint_dir, alphabet=built.labels, version=5)
    assert v5.metadata.mfcc_upper_hz == 4000
    with pytest.raises(ConversionError, match="3 labels"):
        load_checkpoint(built.checkpoint_dir, alphabet=["a", "b", "c"])
    with pytest.raises(ConversionError, match="no TensorFlow checkpoint"):
        load_checkpoint(tmp_path, alphabet=built.labels)


def test_checkpoint_metadata_from_flags_and_alphabet_beside_it(graphs, tmp_path):
    from pyds.convert.checkpoint import load_checkpoint

    built = graphs("placeholder")
    ckpt = tmp_path / "ckpt"
    shutil.copytree(built.checkpoint_dir, ckpt)
    with pytest.raises(ConversionError, match="no alphabet"):
        load_checkpoint(ckpt)
    (ckpt / "flags.txt").write_text(
        "--audio_sample_rate=8000\n--export_beam_width=1024\n--export_language=de-DE\n--n_steps=16\n"
        "--feature_win_len=32\n--nobytes_output_mode\n--alphabet_config_path=data/alphabet.txt\n"
    )
    (ckpt / "data").mkdir()
    (ckpt / "data" / "alphabet.txt").write_text(" \na\nb\nc\n")
    src = load_checkpoint(ckpt)
    meta = src.metadata
    assert meta.alphabet == [" ", "a", "b", "c"] and not meta.utf8_mode
    assert (meta.sample_rate, meta.beam_width, meta.language) == (8000, 1024, "de-DE")
    assert meta.n_context == 9 and meta.n_cell_dim == 32
    (ckpt / "alphabet.txt").write_text("w\nx\ny\nz\n")  # beside the checkpoint wins over the flags
    assert load_checkpoint(ckpt, beam_width=7).metadata.alphabet == ["w", "x", "y", "z"]
    assert load_checkpoint(ckpt, beam_width=7).metadata.beam_width == 7
    with pytest.raises(ConversionError, match="unknown"):
        load_checkpoint(ckpt, n_hidden=4)


def test_load_dispatches_by_format(graphs, tmp_path):
    """``load_source(path)``: the entry point convert_model uses, with or without the frontend."""
    from pyds.convert import load_source
    from pyds.convert.pbmm import write_pbmm

    built = graphs("placeholder")
    pbmm = write_pbmm(built.path, tmp_path / "m.pbmm")
    assert load_source(built.path).format == "pb" and load_source(pbmm).format == "pbmm"
    lean = load_source(pbmm, with_frontend=False)
    assert lean.frontend_model is None and lean.weights is not None
    src = load_source(built.checkpoint_dir, alphabet=built.labels)
    assert src.format == "checkpoint" and src.frontend_model is None
    assert load_source(built.checkpoint_dir / "best_dev-1234", alphabet=built.labels).metadata == src.metadata


# --- bad inputs -------------------------------------------------------------------------------------------


@pytest.fixture
def private_tmp(monkeypatch, tmp_path):
    """Point tempfile at an empty folder, to see that a failed conversion leaves nothing behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _without(built, tmp_path: Path, drop: str) -> Path:
    from pyds.convert import _graphdef as gd

    graph = gd.GraphDef()
    graph.ParseFromString(built.path.read_bytes())
    keep = [i for i, n in enumerate(graph.node) if n.name != drop]
    pruned = gd.GraphDef()
    pruned.node.extend(graph.node[i] for i in keep)
    out = tmp_path / f"without-{drop.replace('/', '_')}.pb"
    out.write_bytes(pruned.SerializeToString())
    return out


def _with_alphabet(built, tmp_path: Path, serialized: bytes, name: str) -> Path:
    from pyds.convert import _graphdef as gd

    graph = gd.GraphDef()
    graph.ParseFromString(built.path.read_bytes())
    for node in graph.node:
        if node.name == "metadata_alphabet":
            node.attr["value"].tensor.string_val[0] = serialized
    out = tmp_path / f"{name}.pb"
    out.write_bytes(graph.SerializeToString())
    return out


def test_convert_model_forwards_the_alphabet(graphs, tmp_path):
    """A frozen graph without metadata_alphabet converts with ``alphabet=`` (it was not passed to the loader)."""
    from pyds.bundle import Bundle
    from pyds.convert import convert_model

    built = graphs("placeholder")
    bare = _without(built, tmp_path, "metadata_alphabet")
    with pytest.raises(ConversionError, match="no metadata_alphabet"):
        convert_model(bare, tmp_path / "none")
    assert not (tmp_path / "none").exists()
    alphabet_txt = tmp_path / "alphabet.txt"
    alphabet_txt.write_text("# the model's labels\n \nx\ny\nz\n")
    for spec in (alphabet_txt, str(alphabet_txt), [" ", "x", "y", "z"]):
        out = convert_model(bare, tmp_path / "b", alphabet=spec, force=True)
        assert Bundle.read(out).alphabet == [" ", "x", "y", "z"]
    # A source that has an alphabet: the caller's replaces it, and must fit the output classes.
    out = convert_model(built.path, tmp_path / "c", alphabet=["p", "q", "r", "s"])
    assert Bundle.read(out).alphabet == ["p", "q", "r", "s"]
    with pytest.raises(ConversionError, match="3 labels"):
        convert_model(built.path, tmp_path / "d", alphabet=["p", "q", "r"])
    assert not (tmp_path / "d").exists()


def test_cli_alphabet_option(graphs, tmp_path, capsys):
    from pyds.bundle import Bundle
    from pyds.convert.cli import main

    bare = _without(graphs("placeholder"), tmp_path, "metadata_alphabet")
    alphabet_txt = tmp_path / "alphabet.txt"
    alphabet_txt.write_text(" \nx\ny\nz\n")
    assert main([str(bare), "-o", str(tmp_path / "no")]) == 1
    assert "no metadata_alphabet" in capsys.readouterr().err
    assert main([str(bare), "-o", str(tmp_path / "b"), "--alphabet", str(alphabet_txt)]) == 0
    assert Bundle.read(tmp_path / "b").alphabet == [" ", "x", "y", "z"]
    assert main([str(bare), "-o", str(tmp_path / "c"), "--alphabet", str(tmp_path / "absent.txt")]) == 1
    assert "absent.txt" in capsys.readouterr().err and not (tmp_path / "c").exists()


@pytest.mark.parametrize("state", ["placeholder", "variable"])
def test_bad_inputs_raise_conversion_error_and_leave_nothing(graphs, tmp_path, private_tmp, state):
    from pyds.convert.pbmm import load_pbmm, write_pbmm
    from pyds.convert.tensorflow import load_pb

    built = graphs(state)
    data = built.path.read_bytes()
    bad = tmp_path / "bad"
    bad.mkdir()
    truncated = bad / "truncated.pb"
    truncated.write_bytes(data[: len(data) // 2 + 3])
    garbage = bad / "garbage.pb"
    garbage.write_bytes(b"\xff" * 100)
    empty = bad / "empty.pb"
    empty.write_bytes(b"")
    cases = [
        (truncated, "truncated or corrupt|missing|not a constant"),
        (garbage, "truncated or corrupt"),
        (empty, "no TensorFlow graph nodes"),
        (bad / "absent.pb", "cannot read"),
        (_without(built, bad, "previous_state_c"), "missing tensor.*previous_state_c"),
        (_without(built, bad, "logits"), "missing tensor.*logits"),
        (_without(built, bad, "layer_5/bias"), "layer_5/bias"),
        (_without(built, bad, f"{tf_graph.CELL_SCOPE}/GatherNd_1"), "GatherNd_1|new_state"),
        (_with_alphabet(built, bad, tf_graph.serialize_alphabet(["a", "b"]), "small"), "2 labels.*5 classes"),
        (_with_alphabet(built, bad, b"\x04\x00\x00\x00\x01", "cut"), "alphabet"),
    ]
    for path, message in cases:
        with pytest.raises(ConversionError, match=message):
            load_pb(path)
    with pytest.raises(ConversionError, match="3 labels"):
        load_pb(built.path, alphabet=["a", "b", "c"])
    with pytest.raises(ConversionError, match="alphabet"):
        load_pb(built.path, alphabet=bad / "no-such-alphabet.txt")

    pbmm = write_pbmm(built.path, bad / "model.pbmm")
    raw = pbmm.read_bytes()
    cut = bad / "cut.pbmm"
    cut.write_bytes(raw[: len(raw) - 20])
    with pytest.raises(ConversionError, match="memmapped"):
        load_pbmm(cut)
    with pytest.raises(ConversionError):
        write_pbmm(truncated, bad / "never.pbmm")
    assert not (bad / "never.pbmm").exists() and not list(bad.glob(".never*"))
    assert list(private_tmp.iterdir()) == []  # no temp graphs or IRs left behind


# --- the legacy mo backend --------------------------------------------------------------------------------


def _mo_or_skip() -> None:
    from pyds.convert.mo import find_mo

    try:
        find_mo()
    except ConversionError as exc:  # CI installs it (scripts/setup_mo.sh, PYDS_MO): a failure there, a skip here
        missing(f"the legacy mo backend is not installed (scripts/setup_mo.sh VENV; PYDS_MO=VENV/bin/mo): {exc}")


def test_mo_missing_gives_install_steps(monkeypatch, graphs, tmp_path):
    from pyds.convert.mo import convert_with_mo

    monkeypatch.delenv("PYDS_MO", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConversionError, match=r"openvino-dev\[tensorflow2\]==2024.6.0"):
        convert_with_mo(graphs("placeholder").path)
    monkeypatch.setenv("PYDS_MO", str(tmp_path / "no-mo"))
    with pytest.raises(ConversionError, match="PYDS_MO"):
        convert_with_mo(graphs("placeholder").path)


@pytest.mark.slow
def test_mo_backend_source_model_matches_tensorflow(graphs):
    """convert_with_mo on the guide's case, a frozen .pb with placeholder state."""
    from pyds.convert.mo import convert_with_mo
    from pyds.convert.tensorflow import load_pb

    _mo_or_skip()
    built = graphs("placeholder")
    src = convert_with_mo(built.path)
    assert src.format == "pb" and src.metadata == load_pb(built.path, with_frontend=False).metadata
    names = {i.get_any_name() for i in src.frontend_model.inputs}
    assert names == {"input_node", "previous_state_c", "previous_state_h"}
    assert max(_max_diffs_vs_tf(built, src.frontend_model, seed=17)) <= TOL


@pytest.mark.slow
def test_mo_convert_ir_writes_the_bundle_layout(graphs, tmp_path):
    """convert_ir (convert_model's mo backend) on a .pbmm of a variable-state graph: IR with the bundle io."""
    import openvino as ov

    from pyds.convert import load_source
    from pyds.convert.mo import convert_ir
    from pyds.convert.pbmm import write_pbmm

    _mo_or_skip()
    built = graphs("variable")
    pbmm = write_pbmm(built.path, tmp_path / "model.pbmm")
    work = tmp_path / "work"
    work.mkdir()
    source = load_source(pbmm, with_frontend=False)
    assert source.frontend_model is None
    with pytest.raises(ConversionError, match="f32"):
        convert_ir(source, work, precision="int8")
    xml = convert_ir(source, work)
    assert xml == work / "acoustic.xml" and xml.with_suffix(".bin").is_file()
    model = ov.Core().read_model(str(xml))
    io = {n for p in list(model.inputs) + list(model.outputs) for n in p.get_names()}
    assert {
        "input_node",
        "previous_state_c",
        "previous_state_h",
        "logits",
        "new_state_c",
        "new_state_h",
    } <= io
    assert tuple(model.output("logits").get_partial_shape().to_shape()) == (1, 16, 5)
    assert max(_max_diffs_vs_tf(built, model, seed=19, batch_major=True)) <= TOL


def test_mo_command_is_the_guides():
    from pyds.convert.mo import mo_command

    cmd = mo_command(Path("mo"), Path("output_graph.pb"), Path("out"))
    cell = tf_graph.CELL_SCOPE
    assert cmd[cmd.index("--input") + 1] == (
        "input_lengths->[16],input_node[1,16,19,26],previous_state_h[1,2048],previous_state_c[1,2048]"
    )
    assert cmd[cmd.index("--output") + 1] == f"{cell}/GatherNd_1,{cell}/GatherNd,logits"
    assert "--compress_to_fp16=False" in cmd


# --- the seed's mo flow against the default backend (release engineering, issue 19) ------------------------
MO_TOL = 1e-4
MO_CHUNKS = 3


def _chained_outputs(xml: Path, n_chunks: int, seed: int, names: tuple[str, str, str]) -> list[list[np.ndarray]]:
    """Run the IR at ``xml`` on ``n_chunks`` chunks, carrying its state: per chunk [logits, c, h].

    ``names`` are the IR's (logits, new c, new h) outputs; logits come back time-major [n_steps, 1, C].
    """
    import openvino as ov

    model = ov.Core().read_model(str(xml))
    request = _compile(model)
    n_hidden = model.input("previous_state_c").get_partial_shape()[1].get_length()
    c, h = np.zeros((1, n_hidden), np.float32), np.zeros((1, n_hidden), np.float32)
    out = []
    for chunk in _chunks(seed, n_chunks):
        res = request.infer({"input_node": chunk, "previous_state_c": c, "previous_state_h": h})
        by_name = {n: np.array(v) for port, v in res.items() for n in port.get_names()}
        logits, c, h = (by_name[n] for n in names)
        if logits.shape[0] == 1:  # the bundle layout [1, n_steps, C]
            logits = logits.transpose(1, 0, 2)
        out.append([logits, c, h])
    return out


def _max_diff(a: list[list[np.ndarray]], b: list[list[np.ndarray]]) -> float:
    assert len(a) == len(b) == MO_CHUNKS
    for x, y in zip(a, b):
        assert [t.shape for t in x] == [t.shape for t in y]
    return max(float(np.abs(x - y).max()) for xs, ys in zip(a, b) for x, y in zip(xs, ys))


def _pyds_convert(*args: str) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "pyds.convert.cli", *args], capture_output=True, text=True, timeout=1800
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def default_bundle_outputs(graphs, tmp_path_factory):
    """The placeholder-state graph through pyds-convert's default backend, run over the chained chunks."""
    built = graphs("placeholder")
    bundle = tmp_path_factory.mktemp("mo-default") / "bundle"
    _pyds_convert(str(built.path), "-o", str(bundle))
    return _chained_outputs(bundle / "acoustic.xml", MO_CHUNKS, 23, ("logits", "new_state_c", "new_state_h"))


@pytest.mark.slow
def test_mo_seed_cut_matches_the_default_backend(graphs, tmp_path, default_bundle_outputs):
    """mo run by hand with the seed's cut (OpenVINO's DeepSpeech guide / Open Model Zoo's arguments) gives the
    IR the default backend's bundle computes: logits and both states over 3 chained chunks."""
    import subprocess

    from pyds.convert.mo import find_mo

    _mo_or_skip()
    built = graphs("placeholder")
    h = built.weights["layer_1/bias"].shape[0]
    cell = tf_graph.CELL_SCOPE
    out = tmp_path / "ir"
    command = [
        str(find_mo()),
        "--input_model",
        str(built.path),
        "--freeze_placeholder_with_value",
        "input_lengths->[16]",
        "--input",
        "input_node,previous_state_c,previous_state_h",
        "--input_shape",
        f"[1,16,19,26],[1,{h}],[1,{h}]",
        "--output",
        f"logits,{cell}/GatherNd,{cell}/GatherNd_1",
        "--compress_to_fp16=False",
        "--output_dir",
        str(out),
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    xml = out / (built.path.stem + ".xml")
    # mo names its outputs by TensorFlow tensor (op:0); GatherNd is the new c, GatherNd_1 the new h.
    names = ("logits:0", f"{cell}/GatherNd:0", f"{cell}/GatherNd_1:0")
    seed_cut = _chained_outputs(xml, MO_CHUNKS, 23, names)
    assert _max_diff(seed_cut, default_bundle_outputs) <= MO_TOL


@pytest.mark.slow
def test_pyds_convert_backend_mo_matches_the_default_backend(graphs, tmp_path, default_bundle_outputs):
    """`pyds-convert --backend mo` writes a bundle whose IR computes what the default backend's does."""
    import json

    _mo_or_skip()
    built = graphs("placeholder")
    bundle = tmp_path / "bundle-mo"
    _pyds_convert(str(built.path), "-o", str(bundle), "--backend", "mo")
    assert json.loads((bundle / "pyds.json").read_text())["converter"]["backend"] == "mo"
    with_mo = _chained_outputs(bundle / "acoustic.xml", MO_CHUNKS, 23, ("logits", "new_state_c", "new_state_h"))
    assert _max_diff(with_mo, default_bundle_outputs) <= MO_TOL
