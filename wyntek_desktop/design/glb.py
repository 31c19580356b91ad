"""GLB container check before trimesh reads it: lengths must agree with the file.

trimesh reads each chunk with ``read(declared_length)``, which allocates the declared
size up front; a header claiming 2 GB would do exactly that.
"""

from __future__ import annotations

import struct
from pathlib import Path

from wyntek_desktop.design._errors import file_error


def check_glb(path: Path) -> None:
    size = path.stat().st_size
    with path.open("rb") as f:
        header = f.read(12)
        if len(header) < 12 or header[:4] != b"glTF":
            raise file_error(path, "the file is not a binary glTF (GLB) file.")
        _, total = struct.unpack("<II", header[4:12])
        if total > size:
            raise file_error(path, f"the GLB file is truncated: it announces {total:,} bytes "
                             f"but has {size:,}.")
        offset = 12
        while offset + 8 <= total:
            f.seek(offset)
            length, _kind = struct.unpack("<II", f.read(8))
            offset += 8 + length
            if offset > total:
                raise file_error(path, "the GLB file is damaged: a chunk runs past the end "
                                 "of the file.")


def check_gltf(path: Path, max_bytes: int) -> None:
    """A .gltf may only reference data URIs or files next to it (no absolute paths, no
    '..', no devices), and the referenced files must be of reasonable size."""
    import json

    try:
        document = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise file_error(path, "the glTF file is not valid JSON.") from None
    if not isinstance(document, dict):
        raise file_error(path, "the glTF file is not a glTF document.")
    folder = path.parent.resolve()
    total = 0
    for group in ("buffers", "images"):
        entries = document.get(group) or []
        if not isinstance(entries, list):
            raise file_error(path, f"the glTF '{group}' list is malformed.")
        for entry in entries:
            uri = entry.get("uri") if isinstance(entry, dict) else None
            if not isinstance(uri, str) or uri.startswith("data:"):
                continue
            target = (folder / uri).resolve()
            if folder not in target.parents or not target.is_file():
                raise file_error(path, f"the glTF refers to '{uri}', which is not a file "
                                 "next to it.")
            total += target.stat().st_size
            if total > max_bytes:
                raise file_error(path, "the glTF's data files are too large to open.")
