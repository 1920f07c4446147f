"""Recognise a source model's format from its content: the one format detection of ``pyds.convert``.

Every caller (``load_source``, the ``mo`` backend, the tests) asks ``detect_format``; the loaders then check
their format in full while reading it.
"""

from __future__ import annotations

import struct
from pathlib import Path

from ..errors import ConversionError, ModelNotFoundError

__all__ = ["detect_format", "FORMATS"]

FORMATS = ("tflite", "pb", "pbmm", "checkpoint")
#: The last 8 bytes of a checkpoint's ``.index`` (a LevelDB-format table): its magic number.
_TABLE_MAGIC = struct.pack("<Q", 0xDB4775248B80FB57)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data) and shift < 64:
        b = data[pos]
        value |= (b & 0x7F) << shift
        pos += 1
        if not b & 0x80:
            return value, pos
        shift += 7
    raise ValueError("bad varint")


def _looks_like_graphdef(head: bytes, size: int) -> bool:
    """GraphDef starts with field 1 (node, length-delimited) whose NodeDef starts with field 1 (name)."""
    try:
        if not head or head[0] != 0x0A:
            return False
        length, pos = _varint(head, 1)
        return 0 < length <= size - pos and pos < len(head) and head[pos] == 0x0A
    except ValueError:
        return False


def _looks_like_pbmm(path: Path, size: int) -> bool:
    """TF memmapped package: last 8 bytes = little-endian offset of a directory naming memmapped_package://."""
    if size < 16:
        return False
    with open(path, "rb") as f:
        f.seek(size - 8)
        (offset,) = struct.unpack("<Q", f.read(8))
        if not 0 < offset < size - 8:
            return False
        f.seek(offset)
        directory = f.read(min(size - 8 - offset, 1 << 20))
    return b"memmapped_package://" in directory


def _is_checkpoint_index(path: Path) -> bool:
    try:
        size = path.stat().st_size
        if size < 8:
            return False
        with open(path, "rb") as f:
            f.seek(size - 8)
            return f.read(8) == _TABLE_MAGIC
    except OSError:
        return False


def detect_format(path: str | Path) -> str:
    """One of ``FORMATS`` for a model file, a checkpoint directory, a checkpoint prefix (``…/best_dev-1234``)
    or its ``.index``; ConversionError if none fits, ModelNotFoundError if ``path`` does not exist."""
    path = Path(path)
    if not path.exists():
        if _is_checkpoint_index(path.with_name(path.name + ".index")):
            return "checkpoint"  # a checkpoint prefix names no file itself
        raise ModelNotFoundError(f"{path}: no such file or directory")
    if path.is_dir():
        if any((path / state).is_file() for state in ("checkpoint", "best_dev_checkpoint")) or any(
            path.glob("*.index")
        ):
            return "checkpoint"
        raise ConversionError(f"{path}: a directory, but not a TensorFlow checkpoint (no 'checkpoint' or *.index)")
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(64)
    if len(head) >= 8 and head[4:8] == b"TFL3":
        return "tflite"
    if path.suffix == ".index" and _is_checkpoint_index(path):
        return "checkpoint"
    if _looks_like_pbmm(path, size):
        return "pbmm"
    if _looks_like_graphdef(head, size):
        return "pb"
    raise ConversionError(
        f"{path}: unknown model format (not a .tflite flatbuffer, a frozen GraphDef .pb, "
        f"a memmapped .pbmm or a checkpoint directory)"
    )
