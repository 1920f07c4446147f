"""The shared file helpers: atomic writes and file hashes."""

from __future__ import annotations

import hashlib
import os
import stat

import pytest

from pyds import _files


def test_write_atomic_replaces_whole_files_with_ordinary_permissions(tmp_path) -> None:
    target = tmp_path / "sub" / "out.bin"
    assert _files.write_atomic(target, b"first") == target
    _files.write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert os.listdir(target.parent) == ["out.bin"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path) -> None:
    target = tmp_path / "out.bin"
    _files.write_atomic(target, b"old")
    with pytest.raises(TypeError):
        _files.write_atomic(target, object())  # type: ignore[arg-type]  (fails inside the write)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_sha256_file(tmp_path) -> None:
    data = os.urandom(3 << 20)
    path = tmp_path / "blob"
    path.write_bytes(data)
    assert _files.sha256_file(path) == hashlib.sha256(data).hexdigest()
