"""PLY header check before trimesh parses the body.

trimesh trusts the element counts in the header; a hostile header claiming billions of
vertices would make it allocate accordingly. Here the counts are checked against the
file size first.
"""

from __future__ import annotations

from pathlib import Path

from wyntek_desktop.design._errors import file_error

_SIZES = {"char": 1, "uchar": 1, "int8": 1, "uint8": 1, "short": 2, "ushort": 2, "int16": 2,
          "uint16": 2, "int": 4, "uint": 4, "int32": 4, "uint32": 4, "float": 4,
          "float32": 4, "double": 8, "float64": 8}
_MAX_HEADER = 64 * 1024


def check_ply_header(path: Path) -> None:
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(_MAX_HEADER)
    if not head.startswith(b"ply"):
        raise file_error(path, "the file does not start with a PLY header.")
    end = head.find(b"end_header")
    if end < 0:
        raise file_error(path, "the PLY header is damaged or too long.")
    lines = head[:end].decode("ascii", "replace").splitlines()
    body = size - (end + len("end_header") + 1)
    binary = any(ln.startswith("format binary") for ln in lines)
    minimum = 0  # bytes (binary) or values (ascii) the announced elements need at least
    count = 0
    for line in lines:
        words = line.split()
        if not words:
            continue
        if words[0] == "element" and len(words) == 3:
            try:
                count = int(words[2])
            except ValueError:
                raise file_error(path, "the PLY header has an invalid element count.") from None
            if count < 0:
                raise file_error(path, "the PLY header has a negative element count.")
        elif words[0] == "property" and len(words) >= 3:
            if words[1] == "list":  # at least the length field per element
                need = _SIZES.get(words[2], 1) if binary else 1
            else:
                need = _SIZES.get(words[1], 1) if binary else 2
            minimum += count * need
    if minimum > body:
        raise file_error(path, "the PLY file is truncated: its header announces more data "
                         f"than the {size:,}-byte file holds.")
