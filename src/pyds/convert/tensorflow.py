"""Frozen DeepSpeech 0.6–0.9 TensorFlow graphs (``.pb``; ``.pbmm`` via ``pbmm.py``) -> ``SourceModel``.

The frontend model is exactly the cut of OpenVINO's DeepSpeech guide and of Open Model Zoo's ``mo``
arguments: ``input_lengths`` frozen to [16]; inputs ``input_node`` [1,16,19,26], ``previous_state_c``/
``previous_state_h`` [1,H]; outputs ``logits`` and the LSTM's final states
``…/cudnn_compatible_lstm_cell/GatherNd`` (c) and ``…/GatherNd_1`` (h). It is made with OpenVINO's FrontEnd
API (``extract_subgraph``, ``set_partial_shape``, ``set_tensor_value``), which ``openvino.convert_model`` does
not expose. The MFCC branch (AudioSpectrogram, Mfcc) and the metadata constants fall outside the cut.

The GraphDef is read with a minimal protobuf schema (``_graphdef.py``): TensorFlow is not needed at run time.
When the state lives in variables (``VariableV2`` as in DeepSpeech 0.5 and the OpenVINO guide, or resource
variables), the graph is first rewritten so each state variable is a ``[1,H]`` float placeholder of the same
name, which is what the guide's ``mo --input previous_state_c[1,2048]`` does.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConversionError
from . import _graphdef as gd
from ._tf_common import CELL_SCOPE, STATE_C_OUTPUT, STATE_H_OUTPUT, check_shapes, parse_graphdef
from .alphabet import AlphabetSpec, parse_serialized, resolve
from .metadata import EXPORT_DEFAULTS, SourceMetadata, default_mfcc_upper_hz
from .spec import AcousticWeights, SourceModel

__all__ = [
    "CELL_SCOPE",
    "STATE_C_OUTPUT",
    "STATE_H_OUTPUT",
    "load_pb",
    "load_graphdef",
    "inspect_graphdef",
    "name_outputs",
    "parse_graphdef",
]

_STATE_INPUTS = ("previous_state_c", "previous_state_h")
_VARIABLE_OPS = {"VariableV2", "Variable", "VarHandleOp"}


def load_pb(
    path: str | os.PathLike[str],
    *,
    alphabet: AlphabetSpec | None = None,
    with_frontend: bool = True,
) -> SourceModel:
    """Load a frozen DeepSpeech ``.pb`` (0.6–0.9; state as placeholders or variables) as a ``SourceModel``.

    ``alphabet`` (an ``alphabet.txt`` path, a list of labels or a ``pyds.decoder.Alphabet``) replaces the
    graph's ``metadata_alphabet``; it is required when the graph has none. Raises ``ConversionError`` for
    anything that is not such a graph (corrupt or truncated file, missing tensors, an alphabet that does not
    fit the output classes).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConversionError(f"cannot read {path}: {exc}") from exc
    graph = parse_graphdef(data, str(path))
    sha256 = hashlib.sha256(data).hexdigest()
    del data  # a released model is ~190 MB: do not hold it twice
    return load_graphdef(graph, path=path, fmt="pb", sha256=sha256, alphabet=alphabet, with_frontend=with_frontend)


def load_graphdef(
    graph: Any,
    *,
    path: Path,
    fmt: str,
    sha256: str,
    alphabet: AlphabetSpec | None = None,
    with_frontend: bool = True,
) -> SourceModel:
    """A parsed GraphDef (``_graphdef.GraphDef``) -> ``SourceModel``; shared by the .pb and .pbmm loaders."""
    nodes, weights, metadata = inspect_graphdef(graph, path, alphabet)
    frontend_model = _frontend_cut(graph, nodes, path, metadata) if with_frontend else None
    return SourceModel(
        format=fmt,
        path=path,
        sha256=sha256,
        metadata=metadata,
        frontend_model=frontend_model,
        weights=weights,
        numerics_hint="f32",
    )


# --- graph inspection ------------------------------------------------------------------------------------


def inspect_graphdef(
    graph: Any, path: Path, alphabet: AlphabetSpec | None = None
) -> tuple[dict[str, Any], AcousticWeights, SourceMetadata]:
    """(nodes by name, weights, metadata) of a DeepSpeech GraphDef; ConversionError if it is not one."""
    nodes = _index(graph, path)
    _state_outputs(nodes, path)
    weights = extract_weights(nodes, path)
    metadata = read_metadata(nodes, path, weights, alphabet)
    return nodes, weights, metadata


def _index(graph: Any, path: Path) -> dict[str, Any]:
    nodes = {n.name: n for n in graph.node}
    required = ["input_node", *_STATE_INPUTS, "logits"]
    missing = [name for name in required if name not in nodes]
    if missing:
        raise ConversionError(
            f"{path} is not a DeepSpeech inference graph: missing tensor(s) {', '.join(missing)} "
            "(expected input_node, previous_state_c/h and logits, as DeepSpeech 0.6–0.9 export them)"
        )
    return nodes


def _producer(name: str) -> str:
    """The node name of an input reference ``name``, ``name:1`` or ``^name``."""
    return name.lstrip("^").split(":")[0]


def _const_value(nodes: dict[str, Any], name: str, path: Path) -> np.ndarray:
    """The value of the Const behind ``name``, looking through Identity (``…/read``) nodes."""
    seen = set()
    current = _producer(name)
    while current in nodes and current not in seen:
        seen.add(current)
        node = nodes[current]
        if node.op == "Const":
            try:
                return gd.tensor_to_numpy(node.attr["value"].tensor)
            except ValueError as exc:
                raise ConversionError(f"{path}: constant {current!r} is malformed: {exc}") from exc
        if node.op in ("Identity", "Snapshot") and node.input:
            current = _producer(node.input[0])
            continue
        break
    raise ConversionError(f"{path}: {name!r} is not a constant (is the graph frozen?)")


def _find_const(nodes: dict[str, Any], names: Sequence[str], path: Path, what: str) -> np.ndarray:
    for name in names:
        if name in nodes:
            return _const_value(nodes, name, path)
    raise ConversionError(f"{path}: missing tensor {names[0]!r} ({what})")


def _find_lstm(nodes: dict[str, Any], path: Path) -> Any:
    """The graph's BlockLSTM node (DeepSpeech's LSTMBlockFusedCell), by its scope name or as the only one."""
    preferred = f"{CELL_SCOPE}/BlockLSTM"
    if preferred in nodes and nodes[preferred].op in ("BlockLSTM", "BlockLSTMV2"):
        return nodes[preferred]
    found = [n for n in nodes.values() if n.op in ("BlockLSTM", "BlockLSTMV2")]
    if len(found) != 1:
        raise ConversionError(
            f"{path}: expected one BlockLSTM op (DeepSpeech's LSTMBlockFusedCell), found {len(found)}; "
            "static-RNN graphs are exported as .tflite, not as .pb"
        )
    return found[0]


def _state_outputs(nodes: dict[str, Any], path: Path) -> tuple[str, str]:
    """Names of the c and h final-state tensors: the guide's GatherNd pair, else what new_state_c/h read."""
    if STATE_C_OUTPUT in nodes and STATE_H_OUTPUT in nodes:
        return STATE_C_OUTPUT, STATE_H_OUTPUT
    outs = []
    for name in ("new_state_c", "new_state_h"):
        node = nodes.get(name)
        if node is None or not node.input:
            raise ConversionError(
                f"{path}: missing tensor {STATE_C_OUTPUT if name.endswith('c') else STATE_H_OUTPUT!r} "
                f"(the LSTM's final state) and no {name} to find it from"
            )
        outs.append(_producer(node.input[0]) if node.op == "Identity" else name)
    return outs[0], outs[1]


def extract_weights(nodes: dict[str, Any], path: Path) -> AcousticWeights:
    """The acoustic network's parameters from a frozen graph's constants, in DeepSpeech layout.

    The LSTM kernel is returned with TF's BlockLSTM gate blocks (i, c̃, f, o) and the op's ``forget_bias``
    folded into the f block of the bias. BlockLSTMV2's blocks (i, f, c̃, o) are reordered to that layout.
    """
    w: dict[str, np.ndarray] = {}
    for k in (1, 2, 3, 5, 6):
        w[f"layer{k}_w"] = _find_const(nodes, [f"layer_{k}/weights"], path, f"dense layer {k} weights")
        w[f"layer{k}_b"] = _find_const(nodes, [f"layer_{k}/bias"], path, f"dense layer {k} bias")
    lstm = _find_lstm(nodes, path)
    inputs = list(lstm.input)
    # BlockLSTM(seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b)
    if len(inputs) < 9:
        raise ConversionError(f"{path}: {lstm.name} has {len(inputs)} inputs, BlockLSTM takes 9")
    kernel = _const_value(nodes, inputs[4], path)
    bias = _const_value(nodes, inputs[8], path).copy()
    # (``in`` first: indexing a protobuf map inserts the key, which would change the graph the frontend reads)
    if "use_peephole" in lstm.attr and lstm.attr["use_peephole"].b:
        raise ConversionError(f"{path}: {lstm.name} uses peephole connections, which DeepSpeech never exports")
    if "cell_clip" in lstm.attr and lstm.attr["cell_clip"].f > 0:
        raise ConversionError(f"{path}: {lstm.name} clips its cell state, which DeepSpeech never exports")
    if kernel.ndim != 2 or bias.ndim != 1 or kernel.shape[1] % 4 or bias.shape[0] != kernel.shape[1]:
        raise ConversionError(f"{path}: LSTM kernel {kernel.shape} and bias {bias.shape} do not fit together")
    h = kernel.shape[1] // 4
    if lstm.op == "BlockLSTMV2":  # IFCO -> ICFO
        order = np.r_[0:h, 2 * h : 3 * h, h : 2 * h, 3 * h : 4 * h]
        kernel, bias = kernel[:, order], bias[order]
    elif "forget_bias" in lstm.attr:
        bias[2 * h : 3 * h] += np.float32(lstm.attr["forget_bias"].f)
    w["lstm_w"], w["lstm_b"] = kernel, bias
    weights = AcousticWeights(**{k: np.ascontiguousarray(v, dtype=np.float32) for k, v in w.items()})
    check_shapes(weights, path)
    return weights


def _scalar(nodes: dict[str, Any], name: str, path: Path) -> Any:
    value = _const_value(nodes, name, path).reshape(-1)
    if value.size != 1:
        raise ConversionError(f"{path}: {name} holds {value.size} values, expected 1")
    return value[0]


def read_metadata(
    nodes: dict[str, Any],
    path: Path,
    weights: AcousticWeights,
    alphabet: AlphabetSpec | None,
) -> SourceMetadata:
    """The ``metadata_*`` constants and the shapes of the inputs, as ``SourceModel.metadata``."""

    def optional(name: str) -> Any:
        return _scalar(nodes, name, path) if name in nodes else None

    def number(name: str, key: str) -> int:
        value = optional(name)
        return int(value) if value is not None else EXPORT_DEFAULTS[key]

    version = optional("metadata_version")
    language = optional("metadata_language")
    if alphabet is not None:
        parsed = resolve(alphabet)
    elif "metadata_alphabet" in nodes:
        parsed = parse_serialized(bytes(_scalar(nodes, "metadata_alphabet", path)), f"{path}: metadata_alphabet")
    else:
        raise ConversionError(f"{path} has no metadata_alphabet: give the model's alphabet.txt (alphabet=...)")
    parsed.check_classes(weights.n_classes, str(path))
    sample_rate = number("metadata_sample_rate", "sample_rate")

    # The Mfcc op itself says which upper frequency the model was trained with; a graph without the MFCC
    # branch falls back on the version rule.
    mfcc = [n for n in nodes.values() if n.op == "Mfcc"]
    if mfcc and "upper_frequency_limit" in mfcc[0].attr:
        upper = int(round(mfcc[0].attr["upper_frequency_limit"].f))
    else:
        upper = default_mfcc_upper_hz(int(version) if version is not None else None, sample_rate)

    shape = _placeholder_shape(nodes["input_node"])
    if shape is None or len(shape) != 4 or shape[2] < 1 or shape[2] % 2 == 0 or shape[3] < 1:
        raise ConversionError(f"{path}: input_node has shape {shape}, expected [1, n_steps, 2*n_context+1, n_input]")
    if weights.layer1_w.shape[0] != shape[2] * shape[3]:
        raise ConversionError(
            f"{path}: layer 1 takes {weights.layer1_w.shape[0]} features but input_node windows hold "
            f"{shape[2]}x{shape[3]}"
        )
    return SourceMetadata(
        sample_rate=sample_rate,
        feature_win_len_ms=number("metadata_feature_win_len", "feature_win_len_ms"),
        feature_win_step_ms=number("metadata_feature_win_step", "feature_win_step_ms"),
        beam_width=number("metadata_beam_width", "beam_width"),
        version=int(version) if version is not None else None,
        language=language.decode("utf-8", "replace") if isinstance(language, bytes) else "",
        alphabet=list(parsed.labels),
        utf8_mode=parsed.utf8_mode,
        mfcc_upper_hz=upper,
        n_input=shape[3],
        n_context=(shape[2] - 1) // 2,
        n_steps=shape[1] if shape[1] > 0 else EXPORT_DEFAULTS["n_steps"],
        n_cell_dim=weights.n_cell_dim,
    )


def _placeholder_shape(node: Any) -> tuple[int, ...] | None:
    if "shape" in node.attr:
        return gd.shape_of(node.attr["shape"].shape)
    return None


# --- the OpenVINO frontend cut ---------------------------------------------------------------------------


def _state_variables_to_placeholders(graph: Any, nodes: dict[str, Any], n_cell: int) -> bool:
    """Rewrite state variables as [1,H] float placeholders of the same name; True if anything changed.

    Reads of a variable (``…/read`` Identity of a VariableV2, ReadVariableOp of a resource) then read the
    placeholder. The ops that wrote the variable (Assign, AssignVariableOp) are removed, with every control
    dependency on them, so the frontend sees a pure function of its inputs.
    """
    state_vars = {n for n in _STATE_INPUTS if nodes[n].op in _VARIABLE_OPS}
    if not state_vars:
        return False
    writers = {
        n.name
        for n in graph.node
        if n.op in ("Assign", "AssignVariableOp", "AssignAdd", "AssignSub")
        and n.input
        and _producer(n.input[0]) in state_vars
    }
    for i in reversed(range(len(graph.node))):
        if graph.node[i].name in writers:
            del graph.node[i]
    for node in graph.node:
        if node.name in state_vars:
            node.op = "Placeholder"
            node.ClearField("attr")
            node.ClearField("input")
            node.attr["dtype"].type = gd.DT_FLOAT
            shape = node.attr["shape"].shape
            shape.dim.add(size=1)
            shape.dim.add(size=n_cell)
        elif node.op == "ReadVariableOp" and _producer(node.input[0]) in state_vars:
            node.op = "Identity"
            node.ClearField("attr")
            node.attr["T"].type = gd.DT_FLOAT
        inputs = [i for i in node.input if not (i.startswith("^") and _producer(i) in writers)]
        if len(inputs) != len(node.input):
            del node.input[:]
            node.input.extend(inputs)
    return True


def _frontend_cut(graph: Any, nodes: dict[str, Any], path: Path, metadata: SourceMetadata) -> Any:
    """The guide's cut of the graph, converted with OpenVINO's TensorFlow frontend."""
    n_cell = metadata.n_cell_dim
    state_c, state_h = _state_outputs(nodes, path)
    rewritten = _state_variables_to_placeholders(graph, nodes, n_cell)
    with tempfile.TemporaryDirectory(prefix="pyds-tf-") as tmp:
        source = path
        if rewritten or path.suffix != ".pb" or not path.is_file():
            # The frontend reads GraphDefs from files only; the rewritten graph lives for this call.
            source = Path(tmp) / "graph.pb"
            source.write_bytes(graph.SerializeToString())
        return convert_cut(source, metadata, state_c, state_h, has_lengths="input_lengths" in nodes)


def convert_cut(source: Path, metadata: SourceMetadata, state_c: str, state_h: str, *, has_lengths: bool) -> Any:
    """Run OpenVINO's TF frontend on ``source`` with the guide's inputs, outputs and frozen ``input_lengths``.

    The outputs also get the tensor names ``logits``, ``new_state_c`` and ``new_state_h``.
    """
    import openvino as ov
    from openvino.frontend import FrontEndManager

    n_steps, n_cell = metadata.n_steps, metadata.n_cell_dim
    window, n_input = 2 * metadata.n_context + 1, metadata.n_input
    try:
        frontend = FrontEndManager().load_by_framework("tf")
        model = frontend.load(str(source))
        place = model.get_place_by_tensor_name
        inputs = [place("input_node"), place("previous_state_c"), place("previous_state_h")]
        outputs = [place("logits"), place(state_c), place(state_h)]
        missing = [
            n for n, p in zip(("input_node", *_STATE_INPUTS, "logits", state_c, state_h), inputs + outputs) if p is None
        ]
        if missing:
            raise ConversionError(f"{source}: OpenVINO's TF frontend finds no tensor(s) {', '.join(missing)}")
        if has_lengths:
            # The guide's --freeze_placeholder_with_value=input_lengths->[16].
            model.set_tensor_value(place("input_lengths"), np.array([n_steps], dtype=np.int32))
        model.extract_subgraph(inputs, outputs)
        model.set_partial_shape(inputs[0], ov.PartialShape([1, n_steps, window, n_input]))
        model.set_partial_shape(inputs[1], ov.PartialShape([1, n_cell]))
        model.set_partial_shape(inputs[2], ov.PartialShape([1, n_cell]))
        converted = frontend.convert(model)
    except ConversionError:
        raise
    except Exception as exc:  # OpenVINO raises RuntimeError/OpConversionFailure with its own text
        raise ConversionError(f"OpenVINO's TensorFlow frontend cannot convert {source}: {exc}") from exc
    name_outputs(converted, state_c, state_h)
    return converted


def name_outputs(model: Any, state_c: str, state_h: str) -> None:
    """Give the cut's outputs the names ``logits``, ``new_state_c``, ``new_state_h`` (keeping their own).

    Raises ConversionError when one of the three is not an output of ``model``.
    """
    wanted = {"logits": "logits", state_c: "new_state_c", state_h: "new_state_h"}
    found = set()
    for output in model.outputs:
        names = {n.split(":")[0] for n in output.get_names()}
        for original, alias in wanted.items():
            if original in names:  # keep the converter's names ("…:0"), add the guide's and pyds's
                output.get_tensor().set_names(set(output.get_names()) | {original, alias})
                found.add(alias)
    missing = set(wanted.values()) - found
    if missing:
        raise ConversionError(f"the converted model lacks the output(s) {', '.join(sorted(missing))}")
