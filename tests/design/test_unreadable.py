"""A design file the system will not let us read is named as unreadable, not as damaged."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from wyntek_desktop.core.errors import FileError
from wyntek_desktop.design.loaders import load_mesh

TRIANGLE_STL = (b"solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\n"
                b"vertex 0 1 0\nendloop\nendfacet\nendsolid t\n")
NOBODY = 65534


@contextlib.contextmanager
def _without_root() -> Iterator[None]:
    """Act as an ordinary user for a moment: root reads files whatever their mode."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)


@pytest.fixture
def unreadable_stl() -> Iterator[Path]:
    # A folder others may pass through, so the file itself is what refuses the read.
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o711)
        path = Path(folder) / "bracket.stl"
        path.write_bytes(TRIANGLE_STL)
        assert len(load_mesh(path).triangles) == 1  # a good file while readable
        path.chmod(0)
        try:
            yield path
        finally:
            path.chmod(0o600)


def test_a_file_without_read_permission_is_reported_as_unreadable(unreadable_stl: Path) -> None:
    with _without_root(), pytest.raises(FileError) as info:
        load_mesh(unreadable_stl)
    assert info.value.message == "bracket.stl cannot be read (Permission denied)."
    assert "damaged" not in str(info.value)


def test_a_name_the_system_rejects_is_reported_as_unreadable(tmp_path: Path) -> None:
    path = tmp_path / ("x" * 300 + ".stl")  # longer than any file system allows
    with pytest.raises(FileError) as info:
        load_mesh(path)
    assert info.value.message.endswith("cannot be read (File name too long).")
    assert "damaged" not in str(info.value)
