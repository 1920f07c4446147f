"""``SourceMetadata``: the facts about a source model that every loader returns and the bundle records.

The DeepSpeech export defaults (used where a source carries no value) and the MFCC upper-frequency rule are
defined here once, for the .tflite, .pb/.pbmm and checkpoint loaders alike.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..errors import ConversionError
from .alphabet import AlphabetSpec, ModelAlphabet, resolve

__all__ = ["SourceMetadata", "EXPORT_DEFAULTS", "OVERRIDABLE", "default_mfcc_upper_hz"]

#: DeepSpeech's export defaults, for sources that do not store a value (0.6 graphs have no beam width,
#: checkpoints store nothing but what ``flags.txt`` says).
EXPORT_DEFAULTS: dict[str, Any] = {
    "sample_rate": 16000,
    "feature_win_len_ms": 32,
    "feature_win_step_ms": 20,
    "beam_width": 500,  # DeepSpeech's export_beam_width and its 0.6 client's default
    "version": 6,
    "language": "",
    "n_input": 26,
    "n_steps": 16,  # the export default and the OpenVINO guide's frozen input_lengths
    "relu_clip": 20.0,
}

#: Fields ``convert_model(..., **overrides)`` may replace (the alphabet has its own ``alphabet=`` argument).
OVERRIDABLE = ("sample_rate", "feature_win_len_ms", "feature_win_step_ms", "beam_width", "language", "mfcc_upper_hz")


def default_mfcc_upper_hz(version: int | None, sample_rate: int) -> int:
    """The Mfcc op's upper frequency when the source does not say: graph version 5 (DeepSpeech 0.6) used TF's
    default, 4000 Hz; later exports sample_rate / 2."""
    return 4000 if version == 5 else int(sample_rate) // 2


@dataclass(frozen=True)
class SourceMetadata:
    """A source model's metadata (the ``pyds.json`` facts apart from io names, numerics and provenance).

    ``alphabet`` holds the labels in class order with the blank implied after them; it is empty in bytes
    (``utf8_mode``) mode. ``version`` is the graph version (None when the source does not store one).
    ``relu_clip`` is the dense layers' ReLU ceiling (20 in every DeepSpeech release).
    """

    sample_rate: int
    feature_win_len_ms: int
    feature_win_step_ms: int
    beam_width: int
    version: int | None
    language: str
    alphabet: list[str]
    utf8_mode: bool
    mfcc_upper_hz: int
    n_input: int
    n_context: int
    n_steps: int
    n_cell_dim: int
    relu_clip: float = EXPORT_DEFAULTS["relu_clip"]

    @property
    def model_alphabet(self) -> ModelAlphabet:
        """The alphabet as one ``ModelAlphabet`` (labels + bytes mode)."""
        return ModelAlphabet(list(self.alphabet), self.utf8_mode)

    def with_alphabet(self, alphabet: AlphabetSpec, n_classes: int, where: str) -> SourceMetadata:
        """A copy with the caller's alphabet, checked against the model's ``n_classes`` output classes."""
        parsed = resolve(alphabet)
        parsed.check_classes(n_classes, where)
        return dataclasses.replace(self, alphabet=list(parsed.labels), utf8_mode=parsed.utf8_mode)

    def with_overrides(self, **overrides: Any) -> SourceMetadata:
        """A copy with some of ``OVERRIDABLE`` replaced; ConversionError names an unknown or mistyped one."""
        for key, value in overrides.items():
            if key not in OVERRIDABLE:
                raise ConversionError(f"unknown override '{key}' (allowed: alphabet, {', '.join(OVERRIDABLE)})")
            expected = str if key == "language" else int
            if not isinstance(value, expected) or isinstance(value, bool):
                raise ConversionError(f"override '{key}' must be {expected.__name__}, not {value!r}")
        return dataclasses.replace(self, **overrides)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (for printing and comparisons)."""
        return dataclasses.asdict(self)
