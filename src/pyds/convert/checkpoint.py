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
from pathlib import Path
from typing import Any

import numpy as np

from .._files import sha256_file
from ..errors import ConversionError
from ._tf_common import CELL_SCOPE, check_shapes
from .alphabet import AlphabetSpec, ModelAlphabet, resolve
from .metadata import EXPORT_DEFAULTS, SourceMetadata, default_mfcc_upper_hz
from .spec import AcousticWeights, SourceModel

__all__ = ["load_checkpoint", "find_checkpoint", "read_flags"]

# The checkpoint state files DeepSpeech writes, in the order its export prefers them.
_STATE_FILES = ("best_dev_checkpoint", "checkpoint")
_DEFAULT_KEYS = (
    "sample_rate",
    "feature_win_len_ms",
    "feature_win_step_ms",
    "beam_width",
    "version",
    "language",
    "n_input",
    "n_steps",
)
_METADATA_KEYS = {*_DEFAULT_KEYS, "mfcc_upper_hz"}
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


def _resolve_alphabet(alphabet: AlphabetSpec | None, directory: Path, flags: dict[str, str]) -> ModelAlphabet:
    if alphabet is not None:
        return resolve(alphabet)
    beside = directory / "alphabet.txt"
    if beside.is_file():
        return resolve(beside)
    configured = flags.get("alphabet_config_path", "")
    if configured:
        candidate = Path(configured) if Path(configured).is_absolute() else directory / configured
        if candidate.is_file():
            return resolve(candidate)
    if any(flags.get(k, "").lower() in ("true", "1") for k in ("bytes_output_mode", "utf8")):
        return ModelAlphabet([], True)
    raise ConversionError(f"{directory}: a checkpoint has no alphabet; give the model's alphabet.txt (alphabet=...)")


def load_checkpoint(
    path: str | os.PathLike[str],
    *,
    alphabet: AlphabetSpec | None = None,
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
    check_shapes(weights, prefix)

    flags = read_flags(prefix.parent)
    parsed = _resolve_alphabet(alphabet, prefix.parent, flags)
    parsed.check_classes(weights.n_classes, f"checkpoint {prefix}")
    meta: dict[str, Any] = {
        **{k: EXPORT_DEFAULTS[k] for k in _DEFAULT_KEYS},
        **_metadata_from_flags(flags),
        **metadata,
    }
    if "mfcc_upper_hz" not in meta:
        meta["mfcc_upper_hz"] = default_mfcc_upper_hz(meta["version"], meta["sample_rate"])
    features, n_input = weights.layer1_w.shape[0], int(meta["n_input"])
    if n_input <= 0 or features % n_input or (features // n_input) % 2 == 0:
        raise ConversionError(
            f"checkpoint {prefix}: layer 1 takes {features} features, which is no odd number of "
            f"{n_input}-coefficient frames"
        )
    record = SourceMetadata(
        **meta,
        alphabet=list(parsed.labels),
        utf8_mode=parsed.utf8_mode,
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
        metadata=record,
        frontend_model=None,
        weights=weights,
        numerics_hint="f32",
    )
