"""STL reader: binary via one numpy pass over a memory map, ASCII via chunked regex.

Binary or ASCII is decided by the size equation ``84 + 50 n`` first, because
SolidWorks and others write binary files whose header starts with ``solid``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from wyntek_desktop.design import limits
from wyntek_desktop.design._errors import check_size, file_error

BINARY_RECORD = np.dtype([("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)),
                          ("attr", "<u2")])
HEADER_BYTES = 84
_VERTEX = re.compile(
    rb"vertex\s+([-+0-9.eEnNaAiIfF]+)\s+([-+0-9.eEnNaAiIfF]+)\s+([-+0-9.eEnNaAiIfF]+)",
    re.IGNORECASE)
_CHUNK = 16 * 1024**2


def read_stl(path: Path) -> tuple[np.ndarray, str]:
    """Return (triangles float32 (n,3,3), 'binary'|'ascii'); raise FileError if unreadable."""
    size = path.stat().st_size
    if size == 0:
        raise file_error(path, "the file is empty.")
    with path.open("rb") as f:
        head = f.read(HEADER_BYTES)
    if size >= HEADER_BYTES:
        count = int(np.frombuffer(head, "<u4", 1, 80)[0])
        if size == HEADER_BYTES + BINARY_RECORD.itemsize * count:
            return _read_binary(path, count), "binary"
    if _looks_ascii(path):
        return _read_ascii(path, size), "ascii"
    if size >= HEADER_BYTES:
        count = int(np.frombuffer(head, "<u4", 1, 80)[0])
        usable = (size - HEADER_BYTES) // BINARY_RECORD.itemsize
        if 0 < count <= usable:  # some exporters pad the end: read what the header says
            return _read_binary(path, count), "binary"
        raise file_error(
            path, f"the file is truncated or not an STL: its header announces {count:,} "
            f"triangles ({HEADER_BYTES + 50 * count:,} bytes) but the file has {size:,} bytes.")
    raise file_error(path, "the file is too short to be an STL.")


def _looks_ascii(path: Path) -> bool:
    with path.open("rb") as f:
        start = f.read(4096)
    text = start.lstrip()
    return text[:5].lower() == b"solid" and b"\0" not in start and (
        b"facet" in start.lower() or b"endsolid" in start.lower() or len(start) < 4096)


def _read_binary(path: Path, count: int) -> np.ndarray:
    if count == 0:
        raise file_error(path, "the STL contains no triangles.")
    if count > limits.MAX_TRIANGLES:
        raise file_error(path, f"the STL has {count:,} triangles, more than the "
                         f"{limits.MAX_TRIANGLES:,} this computer can check.",
                         hint="Simplify the mesh before opening it.")
    check_size(path, HEADER_BYTES + 50 * count, limits.MAX_MESH_FILE_BYTES, "binary mesh")
    records = np.memmap(path, dtype=BINARY_RECORD, mode="r", offset=HEADER_BYTES,
                        shape=(count,))
    try:
        tris = np.array(records["vertices"], dtype=np.float32)  # one contiguous copy
    finally:
        del records
    return tris


def _read_ascii(path: Path, size: int) -> np.ndarray:
    check_size(path, size, limits.MAX_TEXT_MESH_BYTES, "text mesh")
    parts: list[np.ndarray] = []
    tail = b""
    ending = b""  # the last few KB, to check the file is complete
    with path.open("rb") as f:
        while True:
            block = f.read(_CHUNK)
            ending = (ending + block)[-4096:]
            data = tail + block
            if not block:
                cut = len(data)
            else:  # keep the last partial line for the next round
                cut = data.rfind(b"\n") + 1
            found = _VERTEX.findall(data[:cut])
            tail = data[cut:]
            if found:
                try:
                    parts.append(np.array(found, dtype="S").astype(np.float32))
                except ValueError:
                    raise file_error(path, "the ASCII STL has a vertex that is not a "
                                     "number.") from None
            if not block:
                break
    if b"endsolid" not in ending.lower():
        raise file_error(path, "the ASCII STL is truncated: it does not end with 'endsolid'.")
    verts = np.concatenate(parts) if parts else np.zeros((0, 3), np.float32)
    if len(verts) == 0:
        raise file_error(path, "the ASCII STL contains no triangles.")
    if len(verts) % 3:
        raise file_error(path, "the ASCII STL is truncated: a facet has fewer than three "
                         "vertices.")
    if len(verts) // 3 > limits.MAX_TRIANGLES:
        raise file_error(path, "the STL has more triangles than this computer can check.")
    return verts.reshape(-1, 3, 3)
