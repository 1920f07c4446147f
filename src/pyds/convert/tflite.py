"""Loader for DeepSpeech 0.7–0.9 and Coqui STT 1.x ``.tflite`` files.

What it reads from the flatbuffer (schema classes from the ``tflite`` package, pure Python):

- the metadata outputs (``metadata_version``, ``metadata_sample_rate``, ``metadata_feature_win_len``,
  ``metadata_feature_win_step``, ``metadata_beam_width``, ``metadata_alphabet``, ``metadata_language``): each
  is a constant, or a RESHAPE of a constant (Coqui exports ``metadata_alphabet_copy`` -> RESHAPE);
- the weights of the 21 FULLY_CONNECTED ops (layer_1..3, the LSTM kernel shared by 16 unrolled steps, layer_5,
  layer_6), int8 with their scales when the file is dynamic-range quantized ("hybrid" ops);
- the acoustic part of the graph, for OpenVINO's TFLite frontend. That frontend cannot translate the
  ``AudioSpectrogram``/``Mfcc`` custom ops, and converts every operator of the subgraph, so the file is
  rebuilt
  with only the operators that ``logits``, ``new_state_c`` and ``new_state_h`` depend on (see ``prune``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import struct
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConversionError
from .alphabet import AlphabetSpec, parse_serialized, resolve
from .metadata import EXPORT_DEFAULTS, SourceMetadata, default_mfcc_upper_hz
from .spec import AcousticWeights, SourceModel

__all__ = ["load_tflite", "prune", "ACOUSTIC_INPUTS", "ACOUSTIC_OUTPUTS"]

ACOUSTIC_INPUTS = ("input_node", "previous_state_c", "previous_state_h")
ACOUSTIC_OUTPUTS = ("logits", "new_state_c", "new_state_h")

# TensorType values of the TFLite schema that the loader reads.
_NUMPY_TYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 7: np.int16, 9: np.int8}
_STRING = 5


def _schema():
    try:
        import tflite  # the generated flatbuffer readers of the TFLite schema
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ConversionError("reading .tflite needs the 'tflite' package (pip install tflite)") from exc
    return tflite


class _Graph:
    """Read access to subgraph 0 of a TFLite model: tensors by name, constants, producers."""

    def __init__(self, data: bytes, path: Path) -> None:
        tfl = _schema()
        self.path = path
        self.data = data
        if len(data) < 8 or data[4:8] != b"TFL3":
            raise ConversionError(f"{path}: not a TFLite flatbuffer (no 'TFL3' identifier at offset 4)")
        try:
            self.model = tfl.Model.GetRootAsModel(data, 0)
            if self.model.SubgraphsLength() < 1:
                raise ConversionError(f"{path}: the TFLite model has no subgraph")
            self.sub = self.model.Subgraphs(0)
            self.tensors = [self.sub.Tensors(i) for i in range(self.sub.TensorsLength())]
            self.names = [t.Name().decode("utf-8", "replace") for t in self.tensors]
            self.ops = [self.sub.Operators(i) for i in range(self.sub.OperatorsLength())]
            self.op_names = [self._op_name(op) for op in self.ops]
            self.op_inputs = [[int(v) for v in op.InputsAsNumpy()] if op.InputsLength() else [] for op in self.ops]
            self.op_outputs = [[int(v) for v in op.OutputsAsNumpy()] if op.OutputsLength() else [] for op in self.ops]
        except ConversionError:
            raise
        except Exception as exc:  # flatbuffers raises struct.error/IndexError on a truncated file
            raise ConversionError(
                f"{path}: corrupt or truncated TFLite flatbuffer ({type(exc).__name__}: {exc})"
            ) from exc
        self.by_name = {n: i for i, n in enumerate(self.names)}
        self.producer: dict[int, int] = {}
        for k, outs in enumerate(self.op_outputs):
            for t in outs:
                self.producer[t] = k

    def _op_name(self, op: Any) -> str:
        tfl = _schema()
        code = self.model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        if builtin == tfl.BuiltinOperator.CUSTOM:
            return (code.CustomCode() or b"CUSTOM").decode()
        for name, value in vars(tfl.BuiltinOperator).items():
            if value == builtin and not name.startswith("_"):
                return name
        return str(builtin)

    def tensor(self, name: str) -> int:
        if name not in self.by_name:
            raise ConversionError(f"{self.path}: tensor '{name}' not found in the TFLite model")
        return self.by_name[name]

    def shape(self, t: int) -> list[int]:
        tensor = self.tensors[t]
        return [int(v) for v in tensor.ShapeAsNumpy()] if tensor.ShapeLength() else []

    def buffer_bytes(self, t: int) -> bytes:
        index = self.tensors[t].Buffer()
        if index <= 0 or index >= self.model.BuffersLength():
            return b""
        buf = self.model.Buffers(index)
        if buf.DataLength():
            return buf.DataAsNumpy().tobytes()
        if buf.Offset() > 1:  # models over 2 GB keep data outside the flatbuffer
            return self.data[buf.Offset() : buf.Offset() + buf.Size()]
        return b""

    def constant(self, t: int) -> np.ndarray | list[bytes] | None:
        """A constant tensor's value, looking through RESHAPE/IDENTITY/DEQUANTIZE; None if not constant."""
        raw = self.buffer_bytes(t)
        if raw:
            ttype = self.tensors[t].Type()
            if ttype == _STRING:
                return _strings(raw, self.names[t], self.path)
            if ttype not in _NUMPY_TYPES:
                raise ConversionError(f"{self.path}: tensor '{self.names[t]}' has unsupported type {ttype}")
            arr = np.frombuffer(raw, dtype=np.dtype(_NUMPY_TYPES[ttype]).newbyteorder("<"))
            shape = self.shape(t)
            return arr.reshape(shape) if shape and int(np.prod(shape)) == arr.size else arr
        k = self.producer.get(t)
        if k is not None and self.op_names[k] in ("RESHAPE", "IDENTITY", "DEQUANTIZE") and self.op_inputs[k]:
            value = self.constant(self.op_inputs[k][0])
            if isinstance(value, np.ndarray) and self.op_names[k] == "DEQUANTIZE":
                value = value.astype(np.float32)
            if isinstance(value, np.ndarray) and self.shape(t):
                value = value.reshape(self.shape(t))
            return value
        return None

    def quantization(self, t: int) -> tuple[np.ndarray, int] | None:
        q = self.tensors[t].Quantization()
        if q is None or q.ScaleLength() == 0:
            return None
        return q.ScaleAsNumpy().astype(np.float32), int(q.QuantizedDimension())


def _strings(raw: bytes, name: str, path: Path) -> list[bytes]:
    """TFLite string tensor: int32 count N, N+1 int32 offsets from the buffer start, then the bytes."""
    try:
        (count,) = struct.unpack_from("<i", raw, 0)
        offsets = struct.unpack_from(f"<{count + 1}i", raw, 4)
    except struct.error as exc:
        raise ConversionError(f"{path}: string tensor '{name}' is truncated") from exc
    if any(b < a for a, b in zip(offsets, offsets[1:])) or offsets[-1] > len(raw):
        raise ConversionError(f"{path}: string tensor '{name}' has bad offsets")
    return [raw[offsets[i] : offsets[i + 1]] for i in range(count)]


# ---------------------------------------------------------------------------------------------------------
# Pruning: a new root Model/SubGraph in front of the original bytes.
#
# Flatbuffer offsets (uoffset_t) are unsigned and point forward, and the original tables only reference one
# another by relative offsets. So a new header, Model table, subgraphs vector, SubGraph table and the new
# operators/inputs/outputs vectors can be written *in front of* the untouched original file: the new tables
# point forward into it and reuse its tensors, buffers, operator codes and operator tables as they are. The
# prefix is a multiple of 64 bytes, so every alignment inside the original (16 for buffer data) still holds.
# The original's own root and dropped operators stay in the file as unreferenced bytes.
# ---------------------------------------------------------------------------------------------------------


def _vector_pos(table: Any, slot: int) -> int | None:
    """Absolute position of the length prefix of a vector field (slot = 4 + 2*field_id), or None."""
    o = table._tab.Offset(slot)
    return table._tab.Vector(o) - 4 if o else None


def _string_pos(table: Any, slot: int) -> int | None:
    o = table._tab.Offset(slot)
    if not o:
        return None
    pos = table._tab.Pos + o
    return pos + struct.unpack_from("<I", table._tab.Bytes, pos)[0]


class _Writer:
    """Forward writer of a small flatbuffer prefix; positions are final (relative to the new file start)."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def align(self, n: int) -> None:
        self.buf += b"\0" * (-len(self.buf) % n)

    def u32(self, v: int) -> int:
        self.align(4)
        pos = len(self.buf)
        self.buf += struct.pack("<I", v)
        return pos

    def patch_offset(self, at: int, target: int) -> None:
        if target <= at:
            raise AssertionError("flatbuffer offsets must point forward")
        struct.pack_into("<I", self.buf, at, target - at)

    def table(self, fields: list[str | None]) -> tuple[int, dict[int, int]]:
        """Write vtable + table whose fields are all 4-byte ("u32" value or "off" offset) or absent (None).

        Returns the table position and {field_id: slot position} for the caller to fill.
        """
        present = [i for i, f in enumerate(fields) if f is not None]
        table_size = 4 + 4 * len(present)
        self.align(2)
        vtable = len(self.buf)
        offsets = []
        k = 0
        for f in fields:
            if f is None:
                offsets.append(0)
            else:
                k += 1
                offsets.append(4 * k)
        self.buf += struct.pack(f"<HH{len(fields)}H", 4 + 2 * len(fields), table_size, *offsets)
        self.align(4)
        table = len(self.buf)
        self.buf += struct.pack("<i", table - vtable)
        slots = {}
        for i in present:
            slots[i] = len(self.buf)
            self.buf += b"\0\0\0\0"
        return table, slots


def prune(data: bytes, inputs: list[str], outputs: list[str], path: Path = Path("<bytes>")) -> bytes:
    """A copy of the TFLite model whose subgraph has only the operators ``outputs`` depend on.

    ``inputs`` become the subgraph inputs; every other non-constant tensor the outputs reach is an error
    (the cut would be incomplete). Operators keep their original (topological) order.
    """
    g = _Graph(data, path)
    in_ids = [g.tensor(n) for n in inputs]
    out_ids = [g.tensor(n) for n in outputs]
    keep: set[int] = set()
    todo = list(out_ids)
    seen: set[int] = set(in_ids)
    while todo:
        t = todo.pop()
        if t in seen or t < 0:
            continue
        seen.add(t)
        k = g.producer.get(t)
        if k is None:
            if not g.buffer_bytes(t):
                raise ConversionError(
                    f"{path}: output depends on tensor '{g.names[t]}', which is neither "
                    f"one of the inputs {inputs} nor a constant"
                )
            continue
        if k not in keep:
            keep.add(k)
            todo.extend(g.op_inputs[k])
    ops = sorted(keep)

    model, sub = g.model, g.sub
    w = _Writer()
    root_at = w.u32(0)
    w.buf += b"TFL3"
    # Model fields: version, operator_codes, subgraphs, description, buffers, metadata_buffer, metadata
    # (signature_defs, field 7, is dropped: it names tensors of the original signature).
    reuse = {
        1: _vector_pos(model, 6),
        3: _string_pos(model, 10),
        4: _vector_pos(model, 12),
        5: _vector_pos(model, 14),
        6: _vector_pos(model, 16),
    }
    fields: list[str | None] = ["u32", "off", "off"] + ["off" if reuse[i] is not None else None for i in (3, 4, 5, 6)]
    model_table, mslots = w.table(fields)
    w.patch_offset(root_at, model_table)
    struct.pack_into("<I", w.buf, mslots[0], model.Version())
    subgraphs_vec = w.u32(1)
    subgraph_ref = w.u32(0)
    w.patch_offset(mslots[2], subgraphs_vec)
    # SubGraph fields: tensors, inputs, outputs, operators, name
    sub_table, sslots = w.table(["off", "off", "off", "off", "off" if _string_pos(sub, 12) is not None else None])
    w.patch_offset(subgraph_ref, sub_table)
    for slot, ids in ((1, in_ids), (2, out_ids)):
        vec = w.u32(len(ids))
        for t in ids:
            w.buf += struct.pack("<i", t)
        w.patch_offset(sslots[slot], vec)
    ops_vec = w.u32(len(ops))
    op_refs = [w.u32(0) for _ in ops]
    w.patch_offset(sslots[3], ops_vec)
    w.align(64)
    shift = len(w.buf)
    pending = [(mslots[1], reuse[1])] + [(mslots[i], reuse[i]) for i in (3, 4, 5, 6) if reuse[i] is not None]
    pending += [(sslots[0], _vector_pos(sub, 4))]
    if 4 in sslots:
        pending.append((sslots[4], _string_pos(sub, 12)))
    pending += [(ref, g.ops[k]._tab.Pos) for ref, k in zip(op_refs, ops)]
    for at, target in pending:
        if target is None:
            raise ConversionError(f"{path}: TFLite model lacks a required table")
        w.patch_offset(at, target + shift)
    return bytes(w.buf) + data


# ---------------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------------


def _scalar(g: _Graph, name: str, required: bool = True) -> int | None:
    if name not in g.by_name:
        if required:
            raise ConversionError(f"{g.path}: metadata tensor '{name}' not found")
        return None
    value = g.constant(g.by_name[name])
    if not isinstance(value, np.ndarray) or value.size != 1:
        raise ConversionError(f"{g.path}: metadata tensor '{name}' is not a constant scalar")
    return int(value.reshape(-1)[0])


def _string(g: _Graph, name: str) -> bytes | None:
    if name not in g.by_name:
        return None
    value = g.constant(g.by_name[name])
    if not isinstance(value, list) or len(value) != 1:
        raise ConversionError(f"{g.path}: metadata tensor '{name}' is not a constant string")
    return value[0]


def _language(raw: bytes | None) -> str:
    """metadata_language, or "" when absent or still Coqui's unfilled "<language the model ...>" help."""
    text = raw.decode("utf-8", "replace").strip() if raw else ""
    return "" if text.startswith("<") and text.endswith(">") else text


def _read_metadata(g: _Graph, alphabet: AlphabetSpec | None) -> SourceMetadata:
    for name in ACOUSTIC_INPUTS + ACOUSTIC_OUTPUTS:
        g.tensor(name)  # raises ConversionError naming the missing tensor
    in_shape = g.shape(g.tensor("input_node"))
    state_shape = g.shape(g.tensor("previous_state_c"))
    if len(in_shape) != 4 or in_shape[0] != 1 or in_shape[2] % 2 != 1 or len(state_shape) != 2:
        raise ConversionError(
            f"{g.path}: input_node {in_shape} / previous_state_c {state_shape} do not have "
            "DeepSpeech's shapes [1, n_steps, 2*n_context+1, n_input] / [1, n_cell_dim]"
        )
    version = _scalar(g, "metadata_version")
    sample_rate = _scalar(g, "metadata_sample_rate")
    if alphabet is not None:
        parsed = resolve(alphabet)
    else:
        alphabet_blob = _string(g, "metadata_alphabet")
        if alphabet_blob is None:
            raise ConversionError(
                f"{g.path}: metadata tensor 'metadata_alphabet' not found: give the model's alphabet.txt (alphabet=...)"
            )
        parsed = parse_serialized(alphabet_blob, f"{g.path}: metadata_alphabet")
    parsed.check_classes(g.shape(g.tensor("logits"))[-1], str(g.path))
    language = _string(g, "metadata_language")
    beam_width = _scalar(g, "metadata_beam_width", required=False)
    return SourceMetadata(
        sample_rate=sample_rate,
        feature_win_len_ms=_scalar(g, "metadata_feature_win_len"),
        feature_win_step_ms=_scalar(g, "metadata_feature_win_step"),
        # DeepSpeech 0.6 graphs (version 5) have no metadata_beam_width.
        beam_width=beam_width if beam_width is not None else EXPORT_DEFAULTS["beam_width"],
        version=version,
        language=_language(language),
        alphabet=list(parsed.labels),
        utf8_mode=parsed.utf8_mode,
        mfcc_upper_hz=default_mfcc_upper_hz(version, sample_rate or EXPORT_DEFAULTS["sample_rate"]),
        n_input=in_shape[3],
        n_context=(in_shape[2] - 1) // 2,
        n_steps=in_shape[1],
        n_cell_dim=state_shape[1],
    )


def _fc_weight(g: _Graph, op: int) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray] | None, np.ndarray]:
    """(float weights [K, N], optional (int8 [K, N], scale [N] or []), bias [N]) of one FULLY_CONNECTED."""
    ins = g.op_inputs[op]
    if len(ins) < 2:
        raise ConversionError(f"{g.path}: FULLY_CONNECTED #{op} has no weights")
    wt = ins[1]
    w = g.constant(wt)
    if not isinstance(w, np.ndarray) or w.ndim != 2:
        raise ConversionError(f"{g.path}: FULLY_CONNECTED '{g.names[g.op_outputs[op][0]]}' has non-constant weights")
    n = w.shape[0]
    bias = g.constant(ins[2]) if len(ins) > 2 and ins[2] >= 0 else None
    b = np.zeros(n, np.float32) if bias is None else np.asarray(bias, np.float32).reshape(n)
    q = g.quantization(wt) if w.dtype == np.int8 else None
    if w.dtype == np.int8:
        if q is None:
            raise ConversionError(f"{g.path}: int8 weights '{g.names[wt]}' have no quantization scale")
        scale, _ = q
        if scale.size not in (1, n):
            raise ConversionError(f"{g.path}: '{g.names[wt]}' has {scale.size} scales for {n} channels")
        scale_n = scale.reshape(()) if scale.size == 1 else scale.reshape(n)
        wf = (w.astype(np.float32) * (scale_n if scale.size == 1 else scale_n[:, None])).T
        return np.ascontiguousarray(wf), (np.ascontiguousarray(w.T), scale_n.astype(np.float32)), b
    return np.ascontiguousarray(w.astype(np.float32).T), None, b


def _read_weights(g: _Graph, h: int, relu_clip_out: list[float]) -> tuple[AcousticWeights, bool]:
    fc_ops = [k for k, name in enumerate(g.op_names) if name == "FULLY_CONNECTED"]
    distinct: list[int] = []  # weight tensors in network order; the LSTM kernel is shared by every step
    first_op: dict[int, int] = {}
    for k in fc_ops:
        wt = g.op_inputs[k][1] if len(g.op_inputs[k]) > 1 else -1
        if wt not in first_op:
            first_op[wt] = k
            distinct.append(wt)
    if len(distinct) != 6:
        raise ConversionError(
            f"{g.path}: expected the 6 dense weight tensors of DeepSpeech (layer_1..3, LSTM, "
            f"layer_5, layer_6), found {len(distinct)} FULLY_CONNECTED weight tensors"
        )
    names = ("layer1", "layer2", "layer3", "lstm", "layer5", "layer6")
    values: dict[str, np.ndarray] = {}
    int8: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    hybrid = True
    tfl = _schema()
    for name, wt in zip(names, distinct):
        k = first_op[wt]
        wf, q, b = _fc_weight(g, k)
        values[f"{name}_w"], values[f"{name}_b"] = wf, b
        if q is None:
            hybrid = False
        else:
            int8[f"{name}_w"] = q
        opts = g.ops[k].BuiltinOptions()
        if opts is not None:
            fc = tfl.FullyConnectedOptions()
            fc.Init(opts.Bytes, opts.Pos)
            if fc.AsymmetricQuantizeInputs():
                hybrid = False  # a different run-time arithmetic than the one pyds reproduces
    # relu_clip: the MINIMUM constant after layer_1 (DeepSpeech's --relu_clip, 20 by default)
    for k, name in enumerate(g.op_names):
        if name == "MINIMUM":
            for t in g.op_inputs[k]:
                c = g.constant(t)
                if isinstance(c, np.ndarray) and c.size == 1:
                    relu_clip_out.append(float(c.reshape(-1)[0]))
                    break
            break
    shapes = {
        "layer1_w": (None, h),
        "layer2_w": (h, h),
        "layer3_w": (h, h),
        "lstm_w": (None, 4 * h),
        "layer5_w": (h, h),
        "layer6_w": (h, None),
    }
    for key, (rows, cols) in shapes.items():
        r, c = values[key].shape
        if (rows is not None and r != rows) or (cols is not None and c != cols):
            raise ConversionError(f"{g.path}: {key} has shape {[r, c]}, expected {[rows, cols]} (n_cell_dim {h})")
    weights = AcousticWeights(**values, int8=int8 if hybrid else {})
    return weights, hybrid and len(int8) == 6


def frontend_model(data: bytes, path: Path = Path("<bytes>")):
    """OpenVINO's TFLite-frontend conversion of the acoustic part (batch 1, time folded into rows)."""
    import openvino as ov

    pruned = prune(data, list(ACOUSTIC_INPUTS), list(ACOUSTIC_OUTPUTS), path)
    with tempfile.TemporaryDirectory(prefix="pyds-tflite-") as tmp:
        file = Path(tmp) / "acoustic.tflite"
        file.write_bytes(pruned)
        try:
            return ov.convert_model(str(file))
        except Exception as exc:
            raise ConversionError(f"{path}: OpenVINO's TFLite frontend failed on the acoustic graph: {exc}") from exc


def load_tflite(path: str | Path, *, with_frontend: bool = True, alphabet: AlphabetSpec | None = None) -> SourceModel:
    """Read a DeepSpeech/Coqui ``.tflite`` file: metadata, weights, and (optionally) the frontend IR.

    ``alphabet`` (an ``alphabet.txt`` path, labels or a ``pyds.decoder.Alphabet``) replaces the file's
    ``metadata_alphabet`` (required when it has none) and is checked against the output classes.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConversionError(f"{path}: cannot read ({exc.strerror})") from exc
    g = _Graph(data, path)
    metadata = _read_metadata(g, alphabet)
    clip: list[float] = []
    weights, hybrid = _read_weights(g, metadata.n_cell_dim, clip)
    if clip:
        metadata = dataclasses.replace(metadata, relu_clip=clip[0])
    fe = frontend_model(data, path) if with_frontend else None
    return SourceModel(
        format="tflite",
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        metadata=metadata,
        frontend_model=fe,
        weights=weights,
        numerics_hint="hybrid_int8" if hybrid else "f32",
    )
