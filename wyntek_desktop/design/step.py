"""STEP to GLB in a child process with a time and memory limit."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from wyntek_desktop.design import limits
from wyntek_desktop.design._errors import check_size, file_error
from wyntek_desktop.design.topology import weld_ids


def check_step_header(path: Path) -> None:
    size = path.stat().st_size
    if size == 0:
        raise file_error(path, "the file is empty.")
    check_size(path, size, limits.MAX_STEP_BYTES, "STEP")
    with path.open("rb") as f:
        head = f.read(256).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"ISO-10303-21"):
        raise file_error(path, "the file is not a STEP file (it lacks the ISO-10303-21 header).")
    with path.open("rb") as f:
        f.seek(max(size - 1024, 0))
        tail = f.read()
    if b"END-ISO-10303-21" not in tail:
        raise file_error(path, "the STEP file is truncated: it does not end with "
                         "END-ISO-10303-21.")


def step_to_glb(path: Path) -> bytes:
    """GLB bytes (metres) converted from the STEP file; FileError on any failure."""
    check_step_header(path)
    if getattr(sys, "frozen", False):
        return _convert_in_process(path)
    with tempfile.TemporaryDirectory(prefix="wyntek-step-") as tmp:
        target = Path(tmp) / "converted.glb"
        command = [sys.executable, "-m", "wyntek_desktop.design._step_worker", str(path),
                   str(target), str(limits.MEMORY_BUDGET)]
        try:
            done = subprocess.run(command, capture_output=True, timeout=limits.STEP_TIMEOUT_S,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise file_error(path, f"reading the STEP file took longer than "
                             f"{limits.STEP_TIMEOUT_S:.0f} s and was stopped.") from None
        if done.returncode != 0 or not target.exists() or target.stat().st_size == 0:
            raise file_error(path, "the STEP file could not be converted to a mesh; it may be "
                             "damaged or contain no solid geometry.")
        return target.read_bytes()


def _convert_in_process(path: Path) -> bytes:
    # A frozen app has no interpreter to start; convert here (no crash isolation).
    import cascadio

    with tempfile.TemporaryDirectory(prefix="wyntek-step-") as tmp:
        target = Path(tmp) / "converted.glb"
        try:
            cascadio.step_to_glb(str(path), str(target))
        except Exception:
            raise file_error(path, "the STEP file could not be converted to a mesh.") from None
        if not target.exists() or target.stat().st_size == 0:
            raise file_error(path, "the STEP file contains no solid geometry.")
        return target.read_bytes()


def share_seam_corners(triangles: np.ndarray) -> np.ndarray:
    """The triangles with every group of coincident corners moved onto one of them.

    OpenCASCADE tessellates each B-rep face on its own: the faces meeting at a seam
    get their own copies of the seam's points, and nothing guarantees the copies are
    the same float32 numbers (a face's transform, or a point computed from a different
    surface, moves them by a rounding error: a sub-pixel crack the renderer shows as
    speckles). Corners in one cell of the grid the report welds with (2 parts per
    million of the part's reach, coarser than CAD's model tolerances) become
    bit-identical, so adjacent faces share vertices exactly as the report counts them.
    """
    ids, slots = weld_ids(triangles)
    corners = triangles.reshape(-1, 3)
    representative = np.empty((slots, 3), dtype=np.float32)
    representative[ids.reshape(-1)] = corners  # any corner of a cell stands for it
    return representative[ids]
