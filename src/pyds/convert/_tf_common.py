"""Helpers shared by the TensorFlow-family loaders (``tensorflow.py`` for .pb, ``pbmm.py``, ``checkpoint.py``).

They live here so that the loaders import this module, never each other in a cycle: ``pbmm`` uses
``tensorflow``'s GraphDef loader, ``checkpoint`` only these names, and ``tensorflow`` neither of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConversionError
from . import _graphdef as gd
from .spec import AcousticWeights

__all__ = ["CELL_SCOPE", "STATE_C_OUTPUT", "STATE_H_OUTPUT", "check_shapes", "parse_graphdef"]

#: The scope of DeepSpeech's LSTM cell: its checkpoint variables and the frozen graph's BlockLSTM live here.
CELL_SCOPE = "cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell"
STATE_C_OUTPUT = f"{CELL_SCOPE}/GatherNd"
STATE_H_OUTPUT = f"{CELL_SCOPE}/GatherNd_1"


def parse_graphdef(data: bytes | memoryview, what: str) -> Any:
    """Parse serialized GraphDef bytes; a ConversionError naming ``what`` if they are not one."""
    graph = gd.GraphDef()
    try:
        graph.ParseFromString(data)
    except Exception as exc:  # protobuf raises DecodeError (or RuntimeError on some backends)
        raise ConversionError(f"{what} is not a TensorFlow GraphDef (truncated or corrupt): {exc}") from exc
    if not len(graph.node):
        raise ConversionError(f"{what} holds no TensorFlow graph nodes")
    return graph


def check_shapes(w: AcousticWeights, path: Path | str) -> None:
    """ConversionError naming ``path`` unless the weights have DeepSpeech's shapes for their n_cell_dim."""
    h, c = w.layer1_w.shape[1] if w.layer1_w.ndim == 2 else -1, w.layer6_w.shape[-1]
    expected = {
        "layer1_b": (h,),
        "layer2_w": (h, h),
        "layer2_b": (h,),
        "layer3_w": (h, h),
        "layer3_b": (h,),
        "lstm_w": (2 * h, 4 * h),
        "lstm_b": (4 * h,),
        "layer5_w": (h, h),
        "layer5_b": (h,),
        "layer6_w": (h, c),
        "layer6_b": (c,),
    }
    for name, shape in expected.items():
        actual = getattr(w, name).shape
        if actual != shape:
            raise ConversionError(f"{path}: {name} has shape {actual}, expected {shape} for n_cell_dim {h}")
