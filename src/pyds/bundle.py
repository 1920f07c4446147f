"""The pyds model bundle: a directory with the acoustic IR (``acoustic.xml``/``.bin``) and ``pyds.json``.

``pyds.json`` is one flat JSON object (UTF-8). The Python runtime reads it with ``Bundle.read``; the C++
runtime reads the same keys. Every key below is required unless marked optional; no other keys are allowed
at the top level (so a typo is an error, not a silently ignored setting).

=========================== ============= ===================================================================
key                         type          meaning
=========================== ============= ===================================================================
format                      str           ``"pyds-bundle/1"``
acoustic_model              str           IR file name inside the bundle (``"acoustic.xml"``; its ``.bin``
                                          beside it); a plain file name, no directories
sample_rate                 int > 0       audio sample rate the model expects (16000)
feature_win_len_ms          int > 0       MFCC window length (32 -> 512 samples at 16 kHz)
feature_win_step_ms         int > 0       MFCC window step (20 -> 320 samples)
mfcc_upper_hz               number > 0    Mfcc upper frequency limit: sample_rate/2, or 4000 for graph v5
n_input                     int > 0       MFCC coefficients per frame (26)
n_context                   int >= 0      context frames each side (9 -> 19-frame windows)
n_steps                     int > 0       timesteps per model call (16)
n_cell_dim                  int > 0       LSTM state width (2048)
alphabet                    list[str]     labels in index order, the CTC blank implied after the last one;
                                          empty when ``utf8_mode`` is true (255 byte labels + blank)
utf8_mode                   bool          bytes-output model (Alphabet.utf8())
beam_width                  int > 0       default beam width (the model's metadata_beam_width)
language                    str           language tag from the model ("" when unknown)
io                          object        IR tensor names, keys exactly: ``features`` (f32 [B, n_steps,
                                          2*n_context+1, n_input]), ``state_c_in``, ``state_h_in`` (f32
                                          [B, n_cell_dim]), ``logits`` (f32 [B, n_steps, classes]),
                                          ``state_c_out``, ``state_h_out`` (f32 [B, n_cell_dim])
batch                       1 | "dynamic" whether B may be more than 1
numerics                    object        ``{"mode": "hybrid_int8" | "f32", "ov_config": {str: str},
                                          "exact_divide": bool, "fast": {...}}`` (``fast`` optional, see
                                          below): ``ov_config`` are the OpenVINO compile
                                          properties the runtime must pass to compile_model (they decide
                                          the arithmetic); ``exact_divide`` true means: after read_model and
                                          before compile_model, set rt_info key
                                          ``"nonconvertable_divide_0"`` (any value) on every ``Divide``
                                          node, else OpenVINO turns a/b into a*(1/b) and the rounding
                                          differs from TFLite's (C++: ``op->get_rt_info()[key] = true``).
                                          ``fast``: ``{"acoustic_model": str, "ov_config": {str: str}}``, the
                                          IR (same io names and shapes, its .bin beside it) and compile
                                          properties of ``numerics="fast"``; without it, fast compiles the
                                          main IR with OpenVINO's defaults
logits_are_probabilities    bool          the ``logits`` output is already softmax-ed (true for every
                                          DeepSpeech/Coqui export)
source                      object        ``{"file": str, "format": "tflite"|"pb"|"pbmm"|"checkpoint",
                                          "sha256": 64 hex chars}``
converter                   object        ``{"pyds": str, "openvino": str, "backend": "ovc"|"mo",
                                          "precision": "fp32"|"int8", "graph": "canonical"|"frontend"}``
scorer                      object        optional: ``{"file": str, "alpha": number, "beta": number}``
                                          (file relative to the bundle)
=========================== ============= ===================================================================

The rules are checked in one place, the C++ core (``src/cpp/runtime/bundle.cpp``), which the runtime, the C ABI
and this module all use: ``Bundle.read`` validates through it (every key, type and range; unknown keys are
errors; the IR files must exist) and raises ``InvalidModelError`` naming the file and the field, and
``Bundle.to_json``/``Bundle.write`` check what they are about to write the same way. ``Bundle.write`` writes
``pyds.json`` atomically (temp file + rename). Shapes and names are checked against the IR by the runtime at
load: nothing here is trusted further. The ``numerics`` record is kept as a dict here: its fields are defined
once, in the core's table (``kNumericsFields``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import _core, _files
from .errors import InvalidModelError, ModelNotFoundError

__all__ = ["Bundle", "BUNDLE_FORMAT", "BUNDLE_FILE", "IO_KEYS"]

BUNDLE_FORMAT = "pyds-bundle/1"
BUNDLE_FILE = "pyds.json"
IO_KEYS = ("features", "state_c_in", "state_h_in", "logits", "state_c_out", "state_h_out")


@dataclass
class Bundle:
    """The contents of ``pyds.json`` (see the module docstring for every field)."""

    acoustic_model: str
    sample_rate: int
    feature_win_len_ms: int
    feature_win_step_ms: int
    mfcc_upper_hz: float
    n_input: int
    n_context: int
    n_steps: int
    n_cell_dim: int
    alphabet: list[str]
    utf8_mode: bool
    beam_width: int
    language: str
    io: dict[str, str]
    batch: int | str
    numerics: dict[str, Any]
    logits_are_probabilities: bool
    source: dict[str, str]
    converter: dict[str, str]
    scorer: dict[str, Any] | None = None
    format: str = BUNDLE_FORMAT
    #: the directory the bundle was read from (not stored in pyds.json)
    directory: Path | None = field(default=None, compare=False, repr=False)

    # ----------------------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The JSON object written to pyds.json (validated)."""
        data = asdict(self)
        data.pop("directory")
        if data["scorer"] is None:
            data.pop("scorer")
        try:
            text = json.dumps(data, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidModelError(f"<unsaved bundle>: not representable as JSON ({exc})") from exc
        _core.check_bundle_text(text, "<unsaved bundle>")
        return data

    @property
    def model_path(self) -> Path:
        """Absolute path of the IR .xml (needs ``directory``)."""
        if self.directory is None:
            raise InvalidModelError("bundle has no directory (it was not read from or written to disk)")
        return self.directory / self.acoustic_model

    @classmethod
    def read(cls, directory: str | Path) -> Bundle:
        """Read and validate ``<directory>/pyds.json``; the IR file must exist beside it."""
        directory = Path(directory)
        path = directory / BUNDLE_FILE
        if not path.is_file():
            raise ModelNotFoundError(f"{path}: no such file (not a pyds bundle directory)")
        _core.check_bundle(str(directory))  # the one validation, shared with the runtime and the C ABI
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidModelError(f"{path}: not valid UTF-8 JSON ({exc})") from exc
        return cls(**data, directory=directory)

    def write(self, directory: str | Path) -> Path:
        """Write pyds.json into ``directory`` atomically; returns its path."""
        directory = Path(directory)
        text = json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n"
        _files.write_atomic(directory / BUNDLE_FILE, text.encode("utf-8"))
        self.directory = directory
        return directory / BUNDLE_FILE
