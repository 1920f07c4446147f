"""The legacy backend: OpenVINO's Model Optimizer (``mo``) command line, exactly as OpenVINO's DeepSpeech
guide runs it, in a subprocess.

``mo`` left OpenVINO in 2025; openvino-dev 2024.6 with its ``[tensorflow2]`` extra still works, in a separate
venv. pyds finds it through ``PYDS_MO`` (the path of the ``mo`` executable) or on ``PATH``. The command is the
guide's (and Open Model Zoo's)::

  mo --input_model output_graph.pb \\
  --input "input_lengths->[16],input_node[1,16,19,26],previous_state_h[1,2048],previous_state_c[1,2048]" \\
  --output "…/cudnn_compatible_lstm_cell/GatherNd_1,…/cudnn_compatible_lstm_cell/GatherNd,logits"

plus ``--compress_to_fp16=False`` (float sources stay f32) and an output directory. ``mo`` itself turns state
variables into inputs, so a ``.pb`` goes to it untouched; a ``.pbmm`` goes as the ``.pb`` rebuilt from it. The
weights and metadata come from pyds's own reading of the graph, the frontend model from ``mo``'s IR.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .._files import sha256_file
from ..errors import ConversionError
from ._tf_common import STATE_C_OUTPUT, STATE_H_OUTPUT, parse_graphdef
from .alphabet import AlphabetSpec
from .detect import detect_format
from .metadata import SourceMetadata
from .spec import SourceModel
from .tensorflow import _state_outputs, inspect_graphdef, name_outputs

__all__ = ["find_mo", "mo_command", "run_mo", "convert_with_mo", "convert_ir", "INSTALL_HINT"]

INSTALL_HINT = (
    "the mo backend needs OpenVINO's legacy Model Optimizer, which is not installed. Install it in its own "
    "venv: python3 -m venv ~/venv-mo && ~/venv-mo/bin/pip install 'openvino-dev[tensorflow2]==2024.6.0'; "
    "then put ~/venv-mo/bin on PATH or set PYDS_MO=~/venv-mo/bin/mo (or use the default backend)"
)
DEFAULT_TIMEOUT_S = 1800.0


def find_mo() -> Path:
    """The ``mo`` executable: ``$PYDS_MO``, else ``mo`` on PATH; or ConversionError with install steps."""
    configured = os.environ.get("PYDS_MO")
    if configured:
        path = Path(configured).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ConversionError(f"PYDS_MO={configured} is not an executable file; {INSTALL_HINT}")
        return path
    found = shutil.which("mo")
    if found is None:
        raise ConversionError(INSTALL_HINT)
    return Path(found)


def mo_command(
    mo: Path,
    input_model: Path,
    output_dir: Path,
    *,
    n_steps: int = 16,
    window: int = 19,
    n_input: int = 26,
    n_cell_dim: int = 2048,
    state_c: str = STATE_C_OUTPUT,
    state_h: str = STATE_H_OUTPUT,
    has_lengths: bool = True,
) -> list[str]:
    """The guide's ``mo`` arguments for a DeepSpeech graph of these dimensions."""
    inputs = [f"input_node[1,{n_steps},{window},{n_input}]", f"previous_state_h[1,{n_cell_dim}]"]
    inputs.append(f"previous_state_c[1,{n_cell_dim}]")
    if has_lengths:
        inputs.insert(0, f"input_lengths->[{n_steps}]")
    return [
        str(mo),
        "--input_model",
        str(input_model),
        "--input",
        ",".join(inputs),
        "--output",
        f"{state_h},{state_c},logits",
        "--compress_to_fp16=False",
        "--output_dir",
        str(output_dir),
        "--model_name",
        "acoustic",
    ]


def _read_graph(path: Path, fmt: str) -> Any:
    from .pbmm import read_pbmm_graphdef

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConversionError(f"cannot read {path}: {exc}") from exc
    return read_pbmm_graphdef(data, str(path)) if fmt == "pbmm" else parse_graphdef(data, str(path))


def run_mo(
    path: Path,
    fmt: str,
    graph: Any,
    metadata: SourceMetadata,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> Any:
    """Run the guide's ``mo`` command on a ``.pb`` (or the ``.pb`` rebuilt from a ``.pbmm``).

    Returns mo's IR as an ``openvino.Model`` read into memory, its outputs also named ``logits``,
    ``new_state_c`` and ``new_state_h``. ``graph`` is the parsed GraphDef (used to find the state outputs and,
    for a .pbmm, written out for mo).
    """
    import openvino as ov

    mo = find_mo()
    nodes = {n.name: n for n in graph.node}
    state_c, state_h = _state_outputs(nodes, path)
    with tempfile.TemporaryDirectory(prefix="pyds-mo-") as tmp:
        source = path
        if fmt == "pbmm":
            source = Path(tmp) / "graph.pb"
            source.write_bytes(graph.SerializeToString())
        out_dir = Path(tmp) / "ir"
        command = mo_command(
            mo,
            source,
            out_dir,
            n_steps=metadata.n_steps,
            window=2 * metadata.n_context + 1,
            n_input=metadata.n_input,
            n_cell_dim=metadata.n_cell_dim,
            state_c=state_c,
            state_h=state_h,
            has_lengths="input_lengths" in nodes,
        )
        # mo runs on its own venv's Python: none of this interpreter's module paths may leak into it.
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        try:
            done = subprocess.run(
                command, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired as exc:
            raise ConversionError(f"mo did not finish converting {path} within {timeout:.0f} s") from exc
        except OSError as exc:
            raise ConversionError(f"cannot run {mo}: {exc}; {INSTALL_HINT}") from exc
        xml = out_dir / "acoustic.xml"
        if done.returncode != 0 or not xml.is_file():
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise ConversionError(f"mo failed (exit {done.returncode}) on {path}:\n{tail}")
        try:
            # Read the weights into memory: the IR's temp dir is gone when this returns.
            model = ov.Core().read_model(str(xml), weights=str(xml.with_suffix(".bin")), config={"ENABLE_MMAP": False})
        except Exception as exc:
            raise ConversionError(f"cannot read the IR mo wrote for {path}: {exc}") from exc
    name_outputs(model, state_c, state_h)
    return model


def convert_with_mo(
    path: str | os.PathLike[str],
    *,
    alphabet: AlphabetSpec | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> SourceModel:
    """Load a DeepSpeech ``.pb``/``.pbmm`` with ``mo`` making the frontend model (see the module doc).

    The returned ``SourceModel`` is the one ``load_pb``/``load_pbmm`` give, except that ``frontend_model`` is
    ``mo``'s IR (outputs named ``logits``, ``new_state_c``, ``new_state_h`` as well as their graph names;
    logits time-major [n_steps, 1, C] as in the graph). Raises ConversionError when ``mo`` is absent (with
    install steps), fails (with its last output lines) or the file is not a DeepSpeech graph.
    """
    path = Path(path)
    find_mo()  # fail fast, before parsing a large graph
    fmt = detect_format(path)
    if fmt not in ("pb", "pbmm"):
        raise ConversionError(f"{path}: the mo backend converts frozen graphs (.pb/.pbmm), not a {fmt}")
    graph = _read_graph(path, fmt)
    _, weights, metadata = inspect_graphdef(graph, path, alphabet)
    model = run_mo(path, fmt, graph, metadata, timeout=timeout)
    return SourceModel(
        format=fmt,
        path=path,
        sha256=sha256_file(path),
        metadata=metadata,
        frontend_model=model,
        weights=weights,
        numerics_hint="f32",
    )


def convert_ir(
    source: SourceModel,
    work_dir: str | os.PathLike[str],
    *,
    precision: str = "fp32",
    timeout: float = DEFAULT_TIMEOUT_S,
) -> Path:
    """The ``mo`` backend of ``convert_model``: write ``work_dir/acoustic.xml`` (+ .bin) and return its path.

    ``source`` is a loaded ``.pb``/``.pbmm`` (``frontend_model`` may be None). The IR is mo's, with the
    bundle's io names (inputs ``input_node``, ``previous_state_c``/``previous_state_h``; outputs ``logits``,
    ``new_state_c``, ``new_state_h``) and ``logits`` laid out as the bundle wants, [1, n_steps, C]
    (DeepSpeech's graph is time-major [n_steps, 1, C]; at batch 1 that is the same memory). Saved f32.
    """
    import openvino as ov
    from openvino import opset13 as ops

    if source.format not in ("pb", "pbmm"):
        raise ConversionError(
            f"{source.path}: the mo backend converts frozen graphs (.pb/.pbmm), not a {source.format}; "
            "use the default backend"
        )
    if precision != "fp32":
        raise ConversionError(f"the mo backend writes f32 IRs only (precision {precision!r}: use backend ovc)")
    find_mo()
    graph = _read_graph(Path(source.path), source.format)
    model = run_mo(Path(source.path), source.format, graph, source.metadata, timeout=timeout)
    n_steps = source.metadata.n_steps
    for result in model.get_results():
        value = result.input_value(0)
        names = value.get_names() | result.output(0).get_names()
        if "logits" in names:
            reshaped = ops.reshape(value, ops.constant(np.array([1, n_steps, -1], np.int64)), False)
            value.get_tensor().set_names(set())
            result.input(0).replace_source_output(reshaped.output(0))
            reshaped.output(0).get_tensor().set_names(names)
    model.validate_nodes_and_infer_types()
    xml = Path(work_dir) / "acoustic.xml"
    try:
        ov.save_model(model, str(xml), compress_to_fp16=False)
    except Exception as exc:
        raise ConversionError(f"cannot write the IR {xml}: {exc}") from exc
    return xml
