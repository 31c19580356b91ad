"""Own readers for the text formats OBJ and OFF.

Written here rather than delegated so that every malformed line (bad number, index out
of range, truncated body) becomes a clear ``FileError`` instead of a library crash.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from wyntek_desktop.design import limits
from wyntek_desktop.design._errors import check_size, file_error

_OBJ_VERTEX = re.compile(rb"^[ \t]*v[ \t]+(\S+)[ \t]+(\S+)[ \t]+(\S+)", re.MULTILINE)
_OBJ_FACE = re.compile(rb"^[ \t]*f[ \t]+([^\r\n#]*)", re.MULTILINE)
_BLOCK = 16 * 1024**2


def _read_text(path: Path) -> bytes:
    size = path.stat().st_size
    if size == 0:
        raise file_error(path, "the file is empty.")
    check_size(path, size, limits.MAX_TEXT_MESH_BYTES, "text mesh")
    data = path.read_bytes()
    if b"\0" in data[:4096]:
        raise file_error(path, "the file is binary data, not a text mesh.")
    return data


def _floats(path: Path, rows: list[tuple[bytes, ...]] | list[list[bytes]], what: str
            ) -> np.ndarray:
    try:
        return np.array(rows, dtype="S").astype(np.float64).reshape(-1, 3)
    except ValueError:
        raise file_error(path, f"a {what} coordinate is not a number.") from None


def _line_blocks(path: Path) -> Iterator[bytes]:
    """The file in blocks of about 16 MB that end at a line break (bounded memory)."""
    tail = b""
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            data = tail + block
            cut = data.rfind(b"\n") + 1
            if cut == 0:  # no line break yet: keep reading
                tail = data
                continue
            tail = data[cut:]
            yield data[:cut]
    if tail:
        yield tail


def read_obj(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(vertices (V,3) float64, faces (n,3) int64); polygons are fanned into triangles.

    Read block by block; negative (relative) indices count the vertices defined before
    the face, as the format says.
    """
    size = path.stat().st_size
    if size == 0:
        raise file_error(path, "the file is empty.")
    check_size(path, size, limits.MAX_TEXT_MESH_BYTES, "text mesh")
    vertex_parts: list[np.ndarray] = []
    face_parts: list[np.ndarray] = []
    n_vertices = 0
    n_faces = 0
    for number, block in enumerate(_line_blocks(path)):
        if number == 0 and b"\0" in block[:4096]:
            raise file_error(path, "the file is binary data, not a text mesh.")
        found = list(_OBJ_VERTEX.finditer(block))
        positions = np.array([m.start() for m in found], dtype=np.int64)
        if found:
            vertex_parts.append(_floats(path, [m.groups() for m in found], "vertex"))
        faces = list(_OBJ_FACE.finditer(block))
        before = (n_vertices + np.searchsorted(positions, [m.start() for m in faces])).tolist()
        triangles: list[tuple[int, int, int]] = []
        for match, known in zip(faces, before, strict=True):
            n_faces += 1
            corners = _obj_corners(path, match.group(1), known, n_faces)
            triangles.extend((corners[0], corners[i], corners[i + 1])
                             for i in range(1, len(corners) - 1))
        n_vertices += len(found)
        if triangles:
            face_parts.append(np.array(triangles, dtype=np.int64))
        if sum(len(p) for p in face_parts) > limits.MAX_TRIANGLES:
            raise file_error(path, "the OBJ has more triangles than this computer can check.")
    if not face_parts:
        raise file_error(path, "the OBJ file contains no faces.")
    faces_array = np.concatenate(face_parts)
    if int(faces_array.max()) >= n_vertices or int(faces_array.min()) < 0:
        worst = int(faces_array.max()) + 1 if faces_array.max() >= n_vertices else \
            int(faces_array.min()) + 1
        raise file_error(path, f"a face refers to vertex {worst}, but the file has "
                         f"{n_vertices:,} vertices.")
    return np.concatenate(vertex_parts), faces_array


def _obj_corners(path: Path, line: bytes, known: int, number: int) -> list[int]:
    """Zero-based vertex indices of one face line ('f 1 2/5 -1//3 ...')."""
    corners = []
    for token in line.split():
        try:
            index = int(token.split(b"/", 1)[0])
        except ValueError:
            raise file_error(path, f"face {number} has an index that is not a "
                             "number.") from None
        if index < 0:
            index += known + 1
            if index < 1:
                raise file_error(path, f"face {number} refers to a vertex before the first "
                                 "one.")
        elif index == 0:
            raise file_error(path, f"face {number} uses index 0; OBJ counts from 1.")
        corners.append(index - 1)
    if len(corners) < 3:
        raise file_error(path, f"face {number} has fewer than three corners.")
    return corners


def read_off(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(vertices, faces) of an OFF file (also COFF/NOFF: extra columns are ignored)."""
    data = _read_text(path)
    lines = [ln.split(b"#", 1)[0].split() for ln in data.splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines or not lines[0][0].upper().endswith(b"OFF"):
        raise file_error(path, "the file does not start with an OFF header.")
    header = lines[0][1:] or (lines[1] if len(lines) > 1 else [])
    body = lines[1:] if lines[0][1:] else lines[2:]
    try:
        n_vertices, n_faces = int(header[0]), int(header[1])
    except (ValueError, IndexError):
        raise file_error(path, "the OFF header does not give vertex and face counts.") from None
    if n_vertices < 0 or n_faces < 0 or n_vertices + n_faces > len(body):
        raise file_error(path, f"the OFF file is truncated: it announces {n_vertices:,} "
                         f"vertices and {n_faces:,} faces but has {len(body):,} data lines.")
    vertices = _floats(path, [ln[:3] for ln in body[:n_vertices]], "vertex")
    if len(vertices) != n_vertices:
        raise file_error(path, "a vertex line has fewer than three coordinates.")
    faces: list[tuple[int, int, int]] = []
    for number, line in enumerate(body[n_vertices:n_vertices + n_faces], start=1):
        try:
            count = int(line[0])
            corners = [int(t) for t in line[1:1 + count]]
        except ValueError:
            raise file_error(path, f"face {number} is not a list of numbers.") from None
        if count < 3 or len(corners) != count:
            raise file_error(path, f"face {number} is malformed.")
        if min(corners) < 0 or max(corners) >= n_vertices:
            raise file_error(path, f"face {number} refers to a vertex that does not exist.")
        faces.extend((corners[0], corners[i], corners[i + 1]) for i in range(1, count - 1))
    if not faces:
        raise file_error(path, "the OFF file contains no faces.")
    return vertices, np.array(faces, dtype=np.int64)
