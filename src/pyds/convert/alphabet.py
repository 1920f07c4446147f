"""The model alphabet, for every source format: one parser, one bytes-mode rule, one class-count check.

A source's alphabet comes from DeepSpeech's serialized ``metadata_alphabet`` (.tflite, .pb, .pbmm: fact sheet
§3.3) or from the caller (``alphabet=``: an ``alphabet.txt``, a list of labels or a ``pyds.decoder.Alphabet``;
checkpoints also find ``alphabet.txt`` beside them). Every loader turns it into one ``ModelAlphabet``.

Bytes ("UTF-8") mode: DeepSpeech serializes a bytes-output model's alphabet as 255 one-byte labels, label i =
byte i+1. Such an alphabet, however it arrives, is ``ModelAlphabet(labels=[], utf8_mode=True)``: the bundle
stores no labels and the runtime builds ``Alphabet.utf8()`` (255 labels + blank = 256 classes).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from ..errors import ConversionError, PydsError

__all__ = ["ModelAlphabet", "AlphabetSpec", "parse_serialized", "from_labels", "resolve", "UTF8_BYTE_LABELS"]

#: The serialized labels of a bytes-mode alphabet: label i is the byte i+1.
UTF8_BYTE_LABELS = tuple(bytes([i + 1]) for i in range(255))
_UTF8_LATIN1_LABELS = tuple(b.decode("latin-1") for b in UTF8_BYTE_LABELS)  # how pyds.decoder shows them

#: What ``alphabet=`` accepts: an alphabet.txt path, labels in class order, or a ``pyds.decoder.Alphabet``.
AlphabetSpec = Union[str, "os.PathLike[str]", Sequence[str], Any]


@dataclass(frozen=True)
class ModelAlphabet:
    """A source model's labels in class order (the CTC blank implied after them), or bytes mode."""

    labels: list[str] = field(default_factory=list)
    utf8_mode: bool = False

    @property
    def n_classes(self) -> int:
        """Output classes the acoustic model must have: labels + 1 blank (256 in bytes mode)."""
        return (255 if self.utf8_mode else len(self.labels)) + 1

    def check_classes(self, n_classes: int, where: str) -> None:
        """ConversionError naming ``where`` unless the model's output has ``n_classes`` = labels + 1 blank."""
        if n_classes != self.n_classes:
            raise ConversionError(
                f"{where}: the alphabet has {self.n_classes - 1} labels but the model outputs {n_classes} "
                "classes (labels + 1 blank); this alphabet does not belong to this model"
            )


def from_labels(labels: Sequence[str | bytes], where: str) -> ModelAlphabet:
    """Labels in class order -> ``ModelAlphabet``; the 255 bytes-mode labels (as bytes or latin-1) are bytes mode."""
    ordered = list(labels)
    if tuple(ordered) in (UTF8_BYTE_LABELS, _UTF8_LATIN1_LABELS):
        return ModelAlphabet([], True)
    texts = []
    for i, label in enumerate(ordered):
        if isinstance(label, bytes):
            try:
                label = label.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ConversionError(f"{where}: label {i} is not valid UTF-8 ({exc})") from exc
        if not isinstance(label, str):
            raise ConversionError(f"{where}: label {i} is {type(label).__name__}, expected str")
        texts.append(label)
    if not texts:
        raise ConversionError(f"{where}: the alphabet has no labels")
    if any(not t for t in texts):
        raise ConversionError(f"{where}: label {texts.index('')} is empty")
    if len(set(texts)) != len(texts):
        raise ConversionError(f"{where}: the alphabet repeats a label")
    return ModelAlphabet(texts, False)


def parse_serialized(blob: bytes, where: str = "metadata_alphabet") -> ModelAlphabet:
    """Decode DeepSpeech's serialized alphabet: uint16 count, then per label uint16 index, uint16 length, bytes.

    Records may come in any order but must cover indices 0..count-1 once; trailing bytes, truncation and labels
    that are not UTF-8 raise ``ConversionError`` naming ``where``.
    """
    try:
        (count,) = struct.unpack_from("<H", blob, 0)
        pos = 2
        labels: dict[int, bytes] = {}
        for _ in range(count):
            index, length = struct.unpack_from("<HH", blob, pos)
            pos += 4
            if pos + length > len(blob):
                raise ConversionError(f"{where}: label {index} runs past the end of the serialized alphabet")
            labels[index] = bytes(blob[pos : pos + length])
            pos += length
    except struct.error as exc:
        raise ConversionError(f"{where}: serialized alphabet is truncated") from exc
    if pos != len(blob):
        raise ConversionError(f"{where}: {len(blob) - pos} trailing bytes after {count} labels")
    if sorted(labels) != list(range(count)):
        raise ConversionError(f"{where}: label indices are not 0..{count - 1}")
    return from_labels([labels[i] for i in range(count)], where)


def resolve(alphabet: AlphabetSpec, where: str = "alphabet") -> ModelAlphabet:
    """The caller's ``alphabet=``: an ``alphabet.txt`` path (DeepSpeech's text format, read by the core's parser),
    labels in class order, or a ``pyds.decoder.Alphabet`` (``Alphabet.utf8()`` for bytes mode)."""
    from .. import _core

    if isinstance(alphabet, ModelAlphabet):
        return alphabet
    if isinstance(alphabet, _core.Alphabet):
        return ModelAlphabet([], True) if alphabet.is_utf8 else from_labels(list(alphabet.labels), where)
    if isinstance(alphabet, (str, os.PathLike)):
        try:
            parsed = _core.Alphabet.from_file(os.fspath(alphabet))
        except (PydsError, ValueError, OSError) as exc:  # ValueError includes UnicodeDecodeError
            raise ConversionError(f"alphabet file {os.fspath(alphabet)}: {exc}") from exc
        return from_labels(list(parsed.labels), f"alphabet file {os.fspath(alphabet)}")
    if isinstance(alphabet, Sequence):
        return from_labels(list(alphabet), where)
    raise ConversionError(
        f"{where}: expected an alphabet.txt path, a list of labels or a pyds.decoder.Alphabet, "
        f"not {type(alphabet).__name__}"
    )
