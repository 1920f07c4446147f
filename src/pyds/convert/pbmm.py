"""TensorFlow's memmapped package format (the DeepSpeech release ``.pbmm``): read back as a GraphDef, written.

Layout (fact sheet §3.5): tensor regions, each starting on a 64-byte boundary from the start of the file;
then the GraphDef (region ``memmapped_package://.``); then a ``MemmappedFileSystemDirectory`` proto listing
every region (offset, name and, in newer writers, length); then the directory's offset as a little-endian
uint64 in the last 8 bytes. In the stored GraphDef each large constant is an ``ImmutableConst`` node whose
``memory_region_name`` attribute names the region holding its raw little-endian bytes.

Reading undoes that: every ImmutableConst becomes a Const whose ``tensor_content`` is its region, and the
graph then loads as a ``.pb`` (``tensorflow.load_graphdef``). No TensorFlow needed.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConversionError
from . import _graphdef as gd
from ._tf_common import parse_graphdef
from .alphabet import AlphabetSpec
from .spec import SourceModel
from .tensorflow import load_graphdef

__all__ = ["read_pbmm_graphdef", "load_pbmm", "write_pbmm", "GRAPH_REGION", "ALIGNMENT"]

GRAPH_REGION = "memmapped_package://."
REGION_PREFIX = "memmapped_package://"
ALIGNMENT = 64  # TensorFlow's Allocator::kAllocatorAlignment: tensor regions start on this boundary
MIN_CONVERSION_SIZE_BYTES = 10_000  # the conversion tool's default threshold for moving a Const to a region


def _directory(data: bytes | mmap.mmap | memoryview, what: str) -> tuple[dict[str, tuple[int, int]], int]:
    """{region name: (offset, length)} and the directory's own offset; ConversionError if not a package."""
    size = len(data)
    if size < 8:
        raise ConversionError(f"{what} is too short to be a TensorFlow memmapped package (.pbmm)")
    (dir_offset,) = struct.unpack("<Q", data[size - 8 : size])
    if dir_offset >= size - 8:
        raise ConversionError(f"{what} is not a TensorFlow memmapped package (.pbmm): bad directory offset")
    directory = gd.MemmappedFileSystemDirectory()
    try:
        directory.ParseFromString(bytes(data[dir_offset : size - 8]))
    except Exception as exc:
        raise ConversionError(f"{what} is not a TensorFlow memmapped package (.pbmm): {exc}") from exc
    elements = sorted(directory.element, key=lambda e: e.offset)
    if not elements or GRAPH_REGION not in {e.name for e in elements}:
        raise ConversionError(f"{what} is not a TensorFlow memmapped package (.pbmm): no {GRAPH_REGION} region")
    regions: dict[str, tuple[int, int]] = {}
    for i, element in enumerate(elements):
        # Older writers store no length: a region runs to the next one, the last to the directory.
        end = elements[i + 1].offset if i + 1 < len(elements) else dir_offset
        length = element.length or end - element.offset
        if element.offset + length > dir_offset:
            raise ConversionError(f"{what}: region {element.name!r} runs past the package directory (truncated?)")
        regions[element.name] = (int(element.offset), int(length))
    return regions, dir_offset


def read_pbmm_graphdef(data: bytes | mmap.mmap | memoryview, what: str) -> Any:
    """The package's GraphDef, every ImmutableConst turned back into a Const holding its region's bytes."""
    regions, _ = _directory(data, what)
    offset, length = regions[GRAPH_REGION]
    graph = parse_graphdef(bytes(data[offset : offset + length]), f"{what} (its GraphDef region)")
    for node in graph.node:
        if node.op != "ImmutableConst":
            continue
        region = node.attr["memory_region_name"].s.decode("utf-8", "replace")
        if region not in regions:
            raise ConversionError(f"{what}: {node.name} refers to region {region!r}, which the package lacks")
        dtype = node.attr["dtype"].type
        shape = gd.shape_of(node.attr["shape"].shape)
        numpy_dtype = gd.NUMPY_DTYPES.get(dtype)
        if numpy_dtype is None or shape is None or any(d < 0 for d in shape):
            raise ConversionError(f"{what}: {node.name} has an unsupported dtype {dtype} or shape {shape}")
        start, size = regions[region]
        needed = int(np.prod(shape, dtype=np.int64)) * numpy_dtype.itemsize
        if size < needed:
            raise ConversionError(f"{what}: region {region!r} holds {size} bytes, {node.name} needs {needed}")
        tensor = gd.TensorProto(dtype=dtype, tensor_content=bytes(data[start : start + needed]))
        tensor.tensor_shape.CopyFrom(node.attr["shape"].shape)
        node.op = "Const"
        node.ClearField("attr")
        node.attr["dtype"].type = dtype
        node.attr["value"].tensor.CopyFrom(tensor)
    return graph


def load_pbmm(
    path: str | os.PathLike[str],
    *,
    alphabet: AlphabetSpec | None = None,
    with_frontend: bool = True,
) -> SourceModel:
    """Load a DeepSpeech ``.pbmm`` as a ``SourceModel`` (format "pbmm"), exactly as its ``.pb`` would load."""
    path = Path(path)
    try:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            sha256 = hashlib.sha256(data).hexdigest()
            graph = read_pbmm_graphdef(data, str(path))
    except (OSError, ValueError) as exc:  # mmap of an empty file raises ValueError
        raise ConversionError(f"cannot read {path}: {exc}") from exc
    return load_graphdef(graph, path=path, fmt="pbmm", sha256=sha256, alphabet=alphabet, with_frontend=with_frontend)


def _region_name(node_name: str, used: set[str]) -> str:
    name = REGION_PREFIX + re.sub(r"[^A-Za-z0-9_.]", "_", node_name)
    while name in used:
        name += "_"
    used.add(name)
    return name


def write_pbmm(
    graph_pb: str | os.PathLike[str] | bytes,
    out_path: str | os.PathLike[str],
    *,
    min_conversion_size_bytes: int = MIN_CONVERSION_SIZE_BYTES,
) -> Path:
    """Write a frozen GraphDef (a ``.pb`` path or its bytes) as a memmapped package, as TF's tool does.

    Every POD ``Const`` of at least ``min_conversion_size_bytes`` moves to its own 64-byte-aligned region and
    becomes an ``ImmutableConst`` (attributes ``dtype``, ``shape``, ``memory_region_name``); string constants
    stay. The file is written to a temporary name and renamed into place.
    """
    data = graph_pb if isinstance(graph_pb, bytes) else Path(graph_pb).read_bytes()
    graph = parse_graphdef(data, "the graph to write as .pbmm")
    out_path = Path(out_path)
    body = bytearray()
    directory = gd.MemmappedFileSystemDirectory()
    used: set[str] = set()
    for node in graph.node:
        if node.op != "Const":
            continue
        tensor = node.attr["value"].tensor
        if tensor.dtype not in gd.NUMPY_DTYPES:
            continue
        raw = gd.tensor_to_numpy(tensor).astype(gd.NUMPY_DTYPES[tensor.dtype], copy=False).tobytes()
        if len(raw) < min_conversion_size_bytes:
            continue
        body.extend(b"\0" * (-len(body) % ALIGNMENT))
        region = _region_name(node.name, used)
        directory.element.add(offset=len(body), name=region, length=len(raw))
        body.extend(raw)
        shape = gd.TensorShapeProto()
        shape.CopyFrom(tensor.tensor_shape)
        dtype = tensor.dtype
        node.op = "ImmutableConst"
        node.ClearField("attr")
        node.attr["dtype"].type = dtype
        node.attr["shape"].shape.CopyFrom(shape)
        node.attr["memory_region_name"].s = region.encode()
    serialized = graph.SerializeToString()
    directory.element.add(offset=len(body), name=GRAPH_REGION, length=len(serialized))
    body.extend(serialized)
    dir_offset = len(body)
    body.extend(directory.SerializeToString())
    body.extend(struct.pack("<Q", dir_offset))
    tmp = out_path.with_name(f".{out_path.name}.tmp{os.getpid()}")
    try:
        tmp.write_bytes(bytes(body))
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
    return out_path
