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

``Bundle.read`` checks every key and type and raises ``InvalidModelError`` naming the file and the field;
``Bundle.write`` writes ``pyds.json`` atomically (temp file + rename). Shapes and names are checked against
the IR by the runtime at load: nothing here is trusted further.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import _files
from .errors import InvalidModelError, ModelNotFoundError

__all__ = ["Bundle", "BUNDLE_FORMAT", "BUNDLE_FILE", "IO_KEYS"]

BUNDLE_FORMAT = "pyds-bundle/1"
BUNDLE_FILE = "pyds.json"
IO_KEYS = ("features", "state_c_in", "state_h_in", "logits", "state_c_out", "state_h_out")
SOURCE_FORMATS = ("tflite", "pb", "pbmm", "checkpoint")
NUMERICS_MODES = ("hybrid_int8", "f32")


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
        _validate(data, "<unsaved bundle>")
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
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidModelError(f"{path}: not valid UTF-8 JSON ({exc})") from exc
        _validate(data, str(path))
        bundle = cls(**data, directory=directory)
        irs = [("acoustic_model", bundle.acoustic_model)]
        if "fast" in bundle.numerics:
            irs.append(("numerics.fast.acoustic_model", bundle.numerics["fast"]["acoustic_model"]))
        for key, xml in irs:
            for name in (xml, Path(xml).with_suffix(".bin").name):
                if not (directory / name).is_file():
                    raise InvalidModelError(f"{path}: field '{key}': {directory / name} does not exist")
        return bundle

    def write(self, directory: str | Path) -> Path:
        """Write pyds.json into ``directory`` atomically; returns its path."""
        directory = Path(directory)
        text = json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n"
        _files.write_atomic(directory / BUNDLE_FILE, text.encode("utf-8"))
        self.directory = directory
        return directory / BUNDLE_FILE


# ---------------------------------------------------------------------------------------------------------
def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return (isinstance(v, (int, float))) and not isinstance(v, bool)


def _is_xml_name(v: Any) -> bool:
    return isinstance(v, str) and v.endswith(".xml") and Path(v).name == v and v not in (".xml",)


def _is_str_map(v: Any) -> bool:
    return isinstance(v, dict) and all(isinstance(a, str) and isinstance(b, str) for a, b in v.items())


_CHECKS: dict[str, tuple[str, Any]] = {
    "format": ("the string 'pyds-bundle/1'", lambda v: v == BUNDLE_FORMAT),
    "acoustic_model": ("a plain .xml file name", lambda v: _is_xml_name(v)),
    "sample_rate": ("a positive integer", lambda v: _is_int(v) and v > 0),
    "feature_win_len_ms": ("a positive integer", lambda v: _is_int(v) and v > 0),
    "feature_win_step_ms": ("a positive integer", lambda v: _is_int(v) and v > 0),
    "mfcc_upper_hz": ("a positive number", lambda v: _is_num(v) and v > 0),
    "n_input": ("a positive integer", lambda v: _is_int(v) and v > 0),
    "n_context": ("a non-negative integer", lambda v: _is_int(v) and v >= 0),
    "n_steps": ("a positive integer", lambda v: _is_int(v) and v > 0),
    "n_cell_dim": ("a positive integer", lambda v: _is_int(v) and v > 0),
    "alphabet": (
        "a list of non-empty strings",
        lambda v: isinstance(v, list) and all(isinstance(s, str) and s for s in v),
    ),
    "utf8_mode": ("a boolean", lambda v: isinstance(v, bool)),
    "beam_width": ("a positive integer", lambda v: _is_int(v) and v > 0),
    "language": ("a string", lambda v: isinstance(v, str)),
    "io": (
        f"an object with exactly the string keys {list(IO_KEYS)}",
        lambda v: (
            isinstance(v, dict) and sorted(v) == sorted(IO_KEYS) and all(isinstance(s, str) and s for s in v.values())
        ),
    ),
    "batch": ('1 or "dynamic"', lambda v: (_is_int(v) and v == 1) or v == "dynamic"),
    "numerics": (
        f"an object {{'mode': one of {list(NUMERICS_MODES)}, 'ov_config': {{str: str}}, 'exact_divide': bool}} "
        "with optionally 'fast': {'acoustic_model': a plain .xml file name, 'ov_config': {str: str}}",
        lambda v: (
            isinstance(v, dict)
            and sorted(k for k in v if k != "fast") == ["exact_divide", "mode", "ov_config"]
            and v["mode"] in NUMERICS_MODES
            and _is_str_map(v["ov_config"])
            and isinstance(v["exact_divide"], bool)
            and (
                "fast" not in v
                or (
                    isinstance(v["fast"], dict)
                    and sorted(v["fast"]) == ["acoustic_model", "ov_config"]
                    and _is_xml_name(v["fast"]["acoustic_model"])
                    and _is_str_map(v["fast"]["ov_config"])
                )
            )
        ),
    ),
    "logits_are_probabilities": ("a boolean", lambda v: isinstance(v, bool)),
    "source": (
        f"an object {{'file': str, 'format': one of {list(SOURCE_FORMATS)}, 'sha256': 64 hex}}",
        lambda v: (
            isinstance(v, dict)
            and sorted(v) == ["file", "format", "sha256"]
            and isinstance(v["file"], str)
            and v["format"] in SOURCE_FORMATS
            and isinstance(v["sha256"], str)
            and re.fullmatch(r"[0-9a-f]{64}", v["sha256"]) is not None
        ),
    ),
    "converter": (
        "an object {'pyds', 'openvino', 'backend', 'precision', 'graph'} of strings",
        lambda v: (
            isinstance(v, dict)
            and sorted(v) == ["backend", "graph", "openvino", "precision", "pyds"]
            and all(isinstance(s, str) for s in v.values())
            and v["backend"] in ("ovc", "mo")
            and v["precision"] in ("fp32", "int8")
            and v["graph"] in ("canonical", "frontend")
        ),
    ),
    "scorer": (
        "an object {'file': str, 'alpha': number, 'beta': number}",
        lambda v: (
            isinstance(v, dict)
            and sorted(v) == ["alpha", "beta", "file"]
            and isinstance(v["file"], str)
            and _is_num(v["alpha"])
            and _is_num(v["beta"])
        ),
    ),
}
_OPTIONAL = {"scorer"}


def _validate(data: Any, where: str) -> None:
    if not isinstance(data, dict):
        raise InvalidModelError(f"{where}: the top level must be a JSON object")
    for key in data:
        if key not in _CHECKS:
            raise InvalidModelError(f"{where}: unknown field '{key}'")
    for key, (expected, ok) in _CHECKS.items():
        if key not in data:
            if key in _OPTIONAL:
                continue
            raise InvalidModelError(f"{where}: missing field '{key}'")
        if not ok(data[key]):
            raise InvalidModelError(f"{where}: field '{key}' must be {expected}, got {data[key]!r:.200}")
    if data["utf8_mode"] and data["alphabet"]:
        raise InvalidModelError(f"{where}: field 'alphabet' must be empty when 'utf8_mode' is true")
    if not data["utf8_mode"] and not data["alphabet"]:
        raise InvalidModelError(f"{where}: field 'alphabet' is empty")
