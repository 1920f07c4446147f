"""DeepSpeech training checkpoints -> ``SourceModel`` with the acoustic weights (needs TensorFlow 2).

A checkpoint holds the variables of the training graph (fact sheet §3.2): ``layer_{1,2,3,5,6}/{weights,bias}``
and ``cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell/{kernel,bias}``, plus optimizer slots
that are ignored. They are read with ``tf.train.load_checkpoint`` (TensorFlow 2; no TF1 graph, no Python 3.7).
A checkpoint carries no inference graph, so ``frontend_model`` is None (the canonical graph is built from the
weights). Metadata come, in this order, from the caller, from the ``flags.txt`` DeepSpeech's training writes
into the checkpoint directory, and from DeepSpeech's export defaults; the alphabet from the caller, else
``alphabet.txt`` beside the checkpoint, else the flags' ``alphabet_config_path``, else bytes mode when the
flags say ``bytes_output_mode``/``utf8``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConversionError
from .spec import AcousticWeights, SourceModel
from .tensorflow import (
    CELL_SCOPE,
    DEFAULT_BEAM_WIDTH,
    UTF8_LABELS,
    _check_shapes,
    _override_alphabet,
    sha256_file,
)

__all__ = ["load_checkpoint", "find_checkpoint", "is_checkpoint", "read_flags"]

# The checkpoint state files DeepSpeech writes, in the order its export prefers them.
_STATE_FILES = ("best_dev_checkpoint", "checkpoint")
_DEFAULTS: dict[str, Any] = {
    "sample_rate": 16000,
    "feature_win_len_ms": 32,
    "feature_win_step_ms": 20,
    "beam_width": DEFAULT_BEAM_WIDTH,
    "version": 6,
    "language": "",
    "n_input": 26,
    "n_steps": 16,
}
_METADATA_KEYS = set(_DEFAULTS) | {"mfcc_upper_hz"}
# DeepSpeech training flag -> metadata key (integers unless noted)
_FLAG_KEYS = {
    "audio_sample_rate": "sample_rate",
    "feature_win_len": "feature_win_len_ms",
    "feature_win_step": "feature_win_step_ms",
    "export_beam_width": "beam_width",
    "n_steps": "n_steps",
}


def read_flags(directory: Path) -> dict[str, str]:
    """``--name=value`` lines of DeepSpeech's ``flags.txt`` in ``directory`` ({} when there is none)."""
    flags: dict[str, str] = {}
    try:
        text = (directory / "flags.txt").read_text(errors="replace")
    except OSError:
        return flags
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("--") and "=" in line:
            key, _, value = line[2:].partition("=")
            flags[key] = value
        elif line.startswith("--no"):
            flags[line[4:]] = "false"
        elif line.startswith("--"):
            flags[line[2:]] = "true"
    return flags


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
                        # State files often hold the training machine's absolute paths: look for the
                        # named checkpoint in this directory first.
                        named = Path(value.strip().strip('"'))
                        for prefix in (path / named.name, named if named.is_absolute() else path / named):
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


def _metadata_from_flags(flags: dict[str, str]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for flag, key in _FLAG_KEYS.items():
        value = flags.get(flag, "")
        try:
            if value and float(value) > 0:
                meta[key] = int(float(value))
        except ValueError:
            continue
    if flags.get("export_language"):
        meta["language"] = flags["export_language"]
    return meta


def _resolve_alphabet(
    alphabet: str | os.PathLike[str] | Sequence[str] | None, directory: Path, flags: dict[str, str]
) -> tuple[list[str], bool]:
    if alphabet is not None:
        return _override_alphabet(alphabet)
    beside = directory / "alphabet.txt"
    if beside.is_file():
        return _override_alphabet(beside)
    configured = flags.get("alphabet_config_path", "")
    if configured:
        candidate = Path(configured) if Path(configured).is_absolute() else directory / configured
        if candidate.is_file():
            return _override_alphabet(candidate)
    if any(flags.get(k, "").lower() in ("true", "1") for k in ("bytes_output_mode", "utf8")):
        return list(UTF8_LABELS), True
    raise ConversionError(f"{directory}: a checkpoint has no alphabet; give the model's alphabet.txt (alphabet=...)")


def load_checkpoint(
    path: str | os.PathLike[str],
    *,
    alphabet: str | os.PathLike[str] | Sequence[str] | None = None,
    **metadata: Any,
) -> SourceModel:
    """Read a DeepSpeech checkpoint's acoustic weights into a ``SourceModel`` (``frontend_model`` None).

    ``metadata`` may set sample_rate, feature_win_len_ms, feature_win_step_ms, beam_width, version,
    language, n_input, n_steps, mfcc_upper_hz (see the module doc for the fallbacks). ``n_context`` follows
    from layer 1's width. Raises ``ConversionError`` when TensorFlow is missing, a variable is absent or the
    alphabet does not fit the output classes.
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
            if any("opaque" in v or ("cudnn_lstm/" in v and "cell_0" not in v) for v in available):
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
    _check_shapes(weights, prefix)

    flags = read_flags(prefix.parent)
    labels, utf8 = _resolve_alphabet(alphabet, prefix.parent, flags)
    if len(labels) + 1 != weights.n_classes:
        raise ConversionError(
            f"checkpoint {prefix}: the alphabet has {len(labels)} labels but the model outputs "
            f"{weights.n_classes} classes (labels + 1 blank); this alphabet does not belong to this model"
        )
    meta: dict[str, Any] = {**_DEFAULTS, **_metadata_from_flags(flags), **metadata}
    meta.setdefault("mfcc_upper_hz", 4000 if meta["version"] == 5 else 8000)
    features, n_input = weights.layer1_w.shape[0], int(meta["n_input"])
    if n_input <= 0 or features % n_input or (features // n_input) % 2 == 0:
        raise ConversionError(
            f"checkpoint {prefix}: layer 1 takes {features} features, which is no odd number of "
            f"{n_input}-coefficient frames"
        )
    meta.update(
        alphabet=labels,
        utf8_mode=utf8,
        n_context=(features // n_input - 1) // 2,
        n_cell_dim=weights.n_cell_dim,
    )
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
