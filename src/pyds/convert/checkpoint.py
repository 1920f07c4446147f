"""DeepSpeech training checkpoints -> ``SourceModel`` with the acoustic weights (needs TensorFlow 2).

A checkpoint holds the variables of the training graph (fact sheet §3.2): ``layer_{1,2,3,5,6}/{weights,bias}``
and ``cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell/{kernel,bias}``, plus optimizer slots
that are ignored. They are read with ``tf.train.load_checkpoint`` (TensorFlow 2; no TF1 graph, no Python 3.7).
A checkpoint carries no metadata and no inference graph: the alphabet must be given, the other metadata take
DeepSpeech's export defaults unless overridden, and ``frontend_model`` is None (the canonical graph is built
from the weights).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConversionError
from .spec import AcousticWeights, SourceModel
from .tensorflow import CELL_SCOPE, DEFAULT_BEAM_WIDTH, _check_shapes, _override_alphabet, sha256_file

__all__ = ["load_checkpoint", "find_checkpoint", "is_checkpoint"]

# The checkpoint state files DeepSpeech writes, in the order its export prefers them.
_STATE_FILES = ("best_dev_checkpoint", "checkpoint")
_METADATA_KEYS = {
    "sample_rate",
    "feature_win_len_ms",
    "feature_win_step_ms",
    "beam_width",
    "version",
    "language",
    "mfcc_upper_hz",
    "n_input",
    "n_steps",
}


def find_checkpoint(path: str | os.PathLike[str]) -> Path:
    """The checkpoint prefix for a directory (best_dev first, then the latest) or a prefix path."""
    path = Path(path)
    if path.is_dir():
        for state in _STATE_FILES:
            state_file = path / state
            if state_file.is_file():
                for line in state_file.read_text(errors="replace").splitlines():
                    key, _, value = line.partition(":")
                    if key.strip() == "model_checkpoint_path":
                        prefix = Path(value.strip().strip('"'))
                        prefix = prefix if prefix.is_absolute() else path / prefix
                        if prefix.with_name(prefix.name + ".index").is_file():
                            return prefix
        indexes = sorted(path.glob("*.index"), key=lambda p: p.stat().st_mtime)
        if indexes:
            return indexes[-1].with_suffix("")
        raise ConversionError(f"{path} holds no TensorFlow checkpoint (no checkpoint state file, no *.index)")
    if path.with_name(path.name + ".index").is_file():
        return path
    if path.suffix == ".index" and path.is_file():
        return path.with_suffix("")
    raise ConversionError(f"{path} is not a TensorFlow checkpoint directory or prefix")


def is_checkpoint(path: str | os.PathLike[str]) -> bool:
    """True for a directory or prefix that ``find_checkpoint`` resolves."""
    try:
        find_checkpoint(path)
        return True
    except (ConversionError, OSError):
        return False


def load_checkpoint(
    path: str | os.PathLike[str],
    *,
    alphabet: str | os.PathLike[str] | Sequence[str],
    n_context: int = 9,
    **metadata: Any,
) -> SourceModel:
    """Read a DeepSpeech checkpoint's acoustic weights; ``alphabet`` (alphabet.txt or labels) is required.

    ``metadata`` may override DeepSpeech's export defaults (sample_rate 16000, feature_win_len_ms 32,
    feature_win_step_ms 20, beam_width 500, version 6, language "", n_input 26, n_steps 16). Raises
    ``ConversionError`` when TensorFlow is missing, a variable is absent or the alphabet does not fit.
    """
    unknown = set(metadata) - _METADATA_KEYS
    if unknown:
        raise ConversionError(f"unknown checkpoint metadata override(s): {', '.join(sorted(unknown))}")
    prefix = find_checkpoint(path)
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise ConversionError(
            "reading a checkpoint needs TensorFlow 2: pip install tensorflow-cpu (any 2.x release)"
        ) from exc
    try:
        reader = tf.train.load_checkpoint(str(prefix))
        available = reader.get_variable_to_shape_map()
    except Exception as exc:  # tf raises NotFoundError / DataLossError
        raise ConversionError(f"cannot read the checkpoint {prefix}: {exc}") from exc

    def get(name: str) -> np.ndarray:
        if name not in available:
            hint = ""
            if any("opaque" in v or "cudnn_lstm/" in v and "cell_0" not in v for v in available):
                hint = " (a CudnnLSTM checkpoint: convert it with DeepSpeech's --load_cudnn first)"
            raise ConversionError(f"checkpoint {prefix} has no variable {name!r}{hint}")
        return np.ascontiguousarray(reader.get_tensor(name), dtype=np.float32)

    w = {}
    for k in (1, 2, 3, 5, 6):
        w[f"layer{k}_w"] = get(f"layer_{k}/weights")
        w[f"layer{k}_b"] = get(f"layer_{k}/bias")
    w["lstm_w"] = get(f"{CELL_SCOPE}/kernel")
    w["lstm_b"] = get(f"{CELL_SCOPE}/bias")  # LSTMBlockFusedCell(forget_bias=0): nothing to fold
    weights = AcousticWeights(**w)

    labels, utf8 = _override_alphabet(alphabet)
    if len(labels) + 1 != weights.n_classes:
        raise ConversionError(
            f"checkpoint {prefix}: the alphabet has {len(labels)} labels but the model outputs "
            f"{weights.n_classes} classes (labels + 1 blank); this alphabet does not belong to this model"
        )
    meta: dict[str, Any] = {
        "sample_rate": 16000,
        "feature_win_len_ms": 32,
        "feature_win_step_ms": 20,
        "beam_width": DEFAULT_BEAM_WIDTH,
        "version": 6,
        "language": "",
        "n_input": 26,
        "n_steps": 16,
    }
    meta.update(metadata)
    meta.setdefault("mfcc_upper_hz", 4000 if meta["version"] == 5 else 8000)
    window = 2 * n_context + 1
    if weights.layer1_w.shape[0] != window * meta["n_input"]:
        raise ConversionError(
            f"checkpoint {prefix}: layer 1 takes {weights.layer1_w.shape[0]} features, not "
            f"{window} x {meta['n_input']} (n_context {n_context}, n_input {meta['n_input']})"
        )
    meta.update(alphabet=labels, utf8_mode=utf8, n_context=n_context, n_cell_dim=weights.n_cell_dim)
    _check_shapes(weights, prefix)
    # The index stores a CRC32C of every tensor, so its digest identifies the weights without hashing the
    # (optimizer-slot laden, often GB-sized) data shards.
    index = prefix.with_name(prefix.name + ".index")
    return SourceModel(
        format="checkpoint",
        path=prefix,
        sha256=sha256_file(index),
        metadata=meta,
        frontend_model=None,
        weights=weights,
        numerics_hint="f32",
    )
