"""pyds-convert: DeepSpeech and Coqui STT model files to an OpenVINO IR model bundle.

``convert_model(src, out_dir)`` detects the source format by content (``detect.py``), loads it with its loader
(``tflite.py``, ``tensorflow.py`` for .pb, ``pbmm.py``, ``checkpoint.py``) into one ``SourceModel`` whose
``metadata`` is a ``SourceMetadata`` (``metadata.py``; the alphabet of every format parsed by ``alphabet.py``),
builds the acoustic IR
(the canonical batch-dynamic graph from the weights by default, or OpenVINO's own frontend conversion), and
writes ``acoustic.xml``/``.bin`` + ``pyds.json`` into a temporary directory beside ``out_dir`` that is renamed
into place at the end: a failed conversion leaves nothing behind.

Loaders are imported lazily, so a missing optional dependency only matters when used. Each takes
``alphabet=`` (an ``alphabet.txt``, labels or a ``pyds.decoder.Alphabet``) to replace the source's own.
``mo.convert_ir(source, work_dir, *, precision) -> Path`` writes the .xml of the legacy backend.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..errors import ConversionError
from .alphabet import AlphabetSpec
from .detect import FORMATS, detect_format
from .metadata import SourceMetadata
from .spec import AcousticWeights, SourceModel

__all__ = [
    "convert_model",
    "load_source",
    "detect_format",
    "SourceModel",
    "SourceMetadata",
    "AcousticWeights",
    "FORMATS",
]

IO_NAMES = {
    "features": "input_node",
    "state_c_in": "previous_state_c",
    "state_h_in": "previous_state_h",
    "logits": "logits",
    "state_c_out": "new_state_c",
    "state_h_out": "new_state_h",
}


def load_source(src: str | Path, *, with_frontend: bool = True, alphabet: AlphabetSpec | None = None) -> SourceModel:
    """Detect and load a source model (no conversion); ``alphabet`` replaces the source's own alphabet."""
    path = Path(src)
    fmt = detect_format(path)
    try:
        if fmt == "tflite":
            from .tflite import load_tflite

            return load_tflite(path, with_frontend=with_frontend, alphabet=alphabet)
        if fmt == "pb":
            from .tensorflow import load_pb

            return load_pb(path, with_frontend=with_frontend, alphabet=alphabet)
        if fmt == "pbmm":
            from .pbmm import load_pbmm

            return load_pbmm(path, with_frontend=with_frontend, alphabet=alphabet)
    except ImportError as exc:  # pragma: no cover - an install without the converter's dependencies
        raise ConversionError(f"{path}: converting {fmt} sources needs {exc.name} ({exc})") from exc
    from .checkpoint import load_checkpoint  # checkpoints have no graph: no frontend model

    return load_checkpoint(path, alphabet=alphabet)


def _pack_scorer(
    scorer: str | Path, alpha: float | None, beta: float | None, meta: SourceMetadata, bundle_dir: Path
) -> dict[str, Any]:
    """Check a scorer against the model's alphabet and copy it into the bundle; the pyds.json ``scorer`` entry."""
    from ..decoder import Alphabet, Scorer
    from ..errors import PydsError

    path = Path(scorer)
    if not path.is_file():
        raise ConversionError(f"{path}: scorer file not found")
    alphabet = Alphabet.utf8() if meta.utf8_mode else Alphabet(list(meta.alphabet))
    try:
        loaded = Scorer(str(path), alphabet, alpha=alpha, beta=beta)
    except PydsError as exc:
        raise ConversionError(f"{path}: not a scorer for this model: {exc}") from exc
    if loaded.is_utf8_mode != alphabet.is_utf8:
        raise ConversionError(f"{path}: the scorer's UTF-8 mode does not match the model's alphabet")
    name = "scorer" + (path.suffix if path.suffix else ".scorer")
    shutil.copyfile(path, bundle_dir / name)
    return {"file": name, "alpha": float(loaded.alpha), "beta": float(loaded.beta)}


def _frontend_ir(source: SourceModel):
    """OpenVINO's conversion of the source with logits reshaped to the bundle layout [1, n_steps, C]."""
    import openvino as ov
    from openvino import opset13 as ops

    model = source.frontend_model
    if model is None:
        raise ConversionError(f"{source.path}: the loader produced no frontend IR")
    n_steps = source.metadata.n_steps
    for result in model.get_results():
        tensor = result.input_value(0)
        names = tensor.get_names() | result.output(0).get_names()
        if "logits" in names and tensor.get_partial_shape().rank.get_length() == 2:
            reshaped = ops.reshape(tensor, ops.constant([1, n_steps, -1], ov.Type.i64), False)
            tensor.get_tensor().set_names(set())
            result.output(0).get_tensor().set_names(set())
            reshaped.output(0).get_tensor().set_names({"logits"})
            result.input(0).replace_source_output(reshaped.output(0))
            result.output(0).get_tensor().set_names({"logits"})
    model.validate_nodes_and_infer_types()
    return model


def convert_model(
    src: str | Path,
    out_dir: str | Path,
    *,
    backend: str = "ovc",
    precision: str = "fp32",
    numerics: str | None = None,
    graph: str = "canonical",
    force: bool = False,
    scorer: str | Path | None = None,
    scorer_alpha: float | None = None,
    scorer_beta: float | None = None,
    alphabet: AlphabetSpec | None = None,
    **overrides: Any,
) -> Path:
    """Convert a DeepSpeech/Coqui model file into a pyds bundle directory; returns ``out_dir``.

    - ``backend``: "ovc" (OpenVINO's Python API) or "mo" (the legacy Model Optimizer, see ``mo.py``).
    - ``precision``: "fp32" keeps the source's weights (float sources stay f32; int8 .tflite stays int8);
      "int8" stores float weights as int8 with per-channel scales.
    - ``numerics``: "hybrid_int8" (TFLite's dynamic-range arithmetic; the default for int8 .tflite) or "f32".
    - ``graph``: "canonical" (batch-dynamic graph built from the weights) or "frontend" (OpenVINO's own
      conversion of the source, batch 1).
    - ``force``: replace an existing ``out_dir``.
    - ``scorer``: a ``.scorer`` (or KenLM binary / ARPA) to ship inside the bundle; ``pyds.Model`` then enables it
      by default, with ``scorer_alpha``/``scorer_beta`` (default: the file's). It is checked against the model's
      alphabet first.
    - ``alphabet``: the model's alphabet, replacing the source's ``metadata_alphabet`` (required for a source
      that has none, e.g. a frozen graph exported without metadata or a checkpoint without ``alphabet.txt``):
      an ``alphabet.txt`` path, the labels in class order, or a ``pyds.decoder.Alphabet``
      (``Alphabet.utf8()`` for a bytes-output model). It must fit the model's output classes.
    - ``overrides``: metadata to replace (``metadata.OVERRIDABLE``), e.g. ``beam_width=100``,
      ``language="hy-AM"``.
    """
    import openvino as ov

    from .. import __version__
    from ..bundle import Bundle

    if backend not in ("ovc", "mo"):
        raise ConversionError(f"unknown backend '{backend}' (expected 'ovc' or 'mo')")
    if precision not in ("fp32", "int8"):
        raise ConversionError(f"unknown precision '{precision}' (expected 'fp32' or 'int8')")
    if graph not in ("canonical", "frontend"):
        raise ConversionError(f"unknown graph '{graph}' (expected 'canonical' or 'frontend')")
    if numerics not in (None, "hybrid_int8", "f32"):
        raise ConversionError(f"unknown numerics '{numerics}' (expected 'hybrid_int8' or 'f32')")
    src, out_dir = Path(src), Path(out_dir)
    detect_format(src)  # ModelNotFoundError / ConversionError before anything is written
    if out_dir.exists() and not force:
        raise ConversionError(f"{out_dir} already exists (use force=True / --force to replace it)")

    use_frontend = graph == "frontend" and backend == "ovc"
    source = load_source(src, with_frontend=use_frontend, alphabet=alphabet)
    meta = source.metadata.with_overrides(**overrides)
    mode = numerics or source.numerics_hint
    if backend == "mo" or use_frontend:
        if numerics == "hybrid_int8":
            raise ConversionError("numerics 'hybrid_int8' needs the canonical graph with the ovc backend")
        mode = "f32"
    weights = source.weights
    if mode == "hybrid_int8" and (weights is None or (not weights.int8 and precision != "int8")):
        raise ConversionError(
            f"{src}: numerics 'hybrid_int8' needs int8 weights (an int8 .tflite, or "
            "precision='int8' for a float source)"
        )

    from .acoustic_graph import build_acoustic_model, numerics_config

    parent = out_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; the bundle is an ordinary directory
    try:
        xml = tmp / "acoustic.xml"
        if backend == "mo":
            try:
                from . import mo
            except ImportError as exc:
                raise ConversionError(f"the 'mo' backend is not available ({exc})") from exc
            written = Path(mo.convert_ir(source, tmp, precision=precision))
            if written != xml:
                os.replace(written, xml)
                os.replace(written.with_suffix(".bin"), xml.with_suffix(".bin"))
            batch: int | str = 1
        else:
            if use_frontend:
                model = _frontend_ir(source)
                batch = 1
            else:
                if weights is None:
                    raise ConversionError(f"{src}: the loader extracted no weights for the canonical graph")
                model = build_acoustic_model(
                    weights,
                    n_steps=meta.n_steps,
                    n_context=meta.n_context,
                    n_input=meta.n_input,
                    numerics=mode,
                    relu_clip=float(meta.relu_clip),
                    int8_weights=bool(weights.int8) or precision == "int8",
                )
                batch = "dynamic"
            ov.save_model(model, str(xml), compress_to_fp16=False)
        if weights is not None:
            numerics_entry = numerics_config(mode, weights)
            numerics_entry["fast"] = _write_fast_ir(weights, meta, tmp)
        else:
            numerics_entry = {
                "mode": "f32",
                "ov_config": {"INFERENCE_PRECISION_HINT": "f32", "DYNAMIC_QUANTIZATION_GROUP_SIZE": "0"},
                "exact_divide": False,
            }
        _check_ir(xml, meta)
        scorer_entry = _pack_scorer(scorer, scorer_alpha, scorer_beta, meta, tmp) if scorer is not None else None
        bundle = Bundle(
            acoustic_model=xml.name,
            sample_rate=int(meta.sample_rate),
            feature_win_len_ms=int(meta.feature_win_len_ms),
            feature_win_step_ms=int(meta.feature_win_step_ms),
            mfcc_upper_hz=meta.mfcc_upper_hz,
            n_input=int(meta.n_input),
            n_context=int(meta.n_context),
            n_steps=int(meta.n_steps),
            n_cell_dim=int(meta.n_cell_dim),
            alphabet=list(meta.alphabet),
            utf8_mode=bool(meta.utf8_mode),
            beam_width=int(meta.beam_width),
            language=str(meta.language),
            io=dict(IO_NAMES),
            batch=batch,
            numerics=numerics_entry,
            logits_are_probabilities=True,
            source={"file": src.name, "format": source.format, "sha256": source.sha256},
            converter={
                "pyds": __version__,
                "openvino": ov.get_version().split("-")[0],
                "backend": backend,
                "precision": precision,
                "graph": graph,
            },
            scorer=scorer_entry,
        )
        try:
            bundle.write(tmp)
        except Exception as exc:  # a metadata value the schema refuses (e.g. an empty alphabet)
            raise ConversionError(f"{src}: cannot write pyds.json: {exc}") from exc
        if out_dir.exists():  # force: move the old bundle aside first so the rename is atomic
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=parent))
            os.replace(out_dir, old / "bundle")
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _write_fast_ir(weights: AcousticWeights, meta: SourceMetadata, bundle_dir: Path) -> dict[str, Any]:
    """Write the ``fast`` numerics' own IR (``fast_graph``) into the bundle; the ``numerics.fast`` entry.

    Written at conversion, beside the exact IR, rather than derived by the runtime at load: the graph is built
    from the source's weights by the Python converter, which the C++ runtime (and the C ABI) does not have.
    """
    import openvino as ov

    from .fast_graph import build_fast_model, fast_numerics_entry

    entry = fast_numerics_entry(weights)
    model = build_fast_model(
        weights,
        n_steps=meta.n_steps,
        n_context=meta.n_context,
        n_input=meta.n_input,
        relu_clip=float(meta.relu_clip),
    )
    xml = bundle_dir / entry["acoustic_model"]
    ov.save_model(model, str(xml), compress_to_fp16=False)
    _check_ir(xml, meta)
    return entry


def _check_ir(xml: Path, meta: SourceMetadata) -> None:
    """The saved IR has the bundle's io names with the expected static dimensions."""
    import openvino as ov

    model = ov.Core().read_model(str(xml))
    names = {n for p in list(model.inputs) + list(model.outputs) for n in p.get_names()}
    missing = [n for n in IO_NAMES.values() if n not in names]
    if missing:
        raise ConversionError(f"{xml.name}: the IR lacks tensors {missing}")
    shape = model.input("input_node").get_partial_shape()
    want = [meta.n_steps, 2 * meta.n_context + 1, meta.n_input]
    if shape.rank.get_length() != 4 or [d.get_length() for d in list(shape)[1:]] != want:
        raise ConversionError(f"{xml.name}: input_node is {shape}, expected [B, {want[0]}, {want[1]}, {want[2]}]")
