"""Caps that keep hostile or oversized design files from exhausting the machine.

Values are module attributes (not constants baked into functions) so tests can lower
them with ``monkeypatch.setattr(limits, "...", ...)``.
"""

from __future__ import annotations

import os

# Full analysis needs roughly this many bytes per triangle at its peak
# (float32 triangles, merge keys, edge keys, labels).
BYTES_PER_TRIANGLE = 220


def _physical_memory() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # Windows has no sysconf
        return 8 * 1024**3


# Never use more than half of the machine's memory for one design file.
MEMORY_BUDGET = _physical_memory() // 2
MAX_TRIANGLES = min(60_000_000, MEMORY_BUDGET // BYTES_PER_TRIANGLE)

MAX_MESH_FILE_BYTES = 4 * 1024**3        # binary meshes (STL, PLY, GLB)
MAX_TEXT_MESH_BYTES = 512 * 1024**2      # ASCII STL, OBJ, OFF, glTF JSON
MAX_STEP_BYTES = 512 * 1024**2
MAX_PDF_BYTES = 256 * 1024**2
MAX_ARCHIVE_BYTES = 512 * 1024**2        # 3MF and Gerber zips on disk

# Zip archives (3MF, Gerber): counted while streaming, never from the headers.
ZIP_MAX_ENTRIES = 10_000
ZIP_MAX_TOTAL_BYTES = 1024**3
ZIP_MAX_RATIO = 200.0                    # uncompressed / compressed, per entry
ZIP_RATIO_FLOOR = 1024**2                # small entries may compress very well

STEP_TIMEOUT_S = 180.0                   # conversion runs in a child process
