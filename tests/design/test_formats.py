"""Formats without a shared sample (OFF, ASCII PLY, OBJ polygons) and lazy imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.design.meshes import SAMPLES
from wyntek_desktop.design import analyze

CUBE_CORNERS = ["0 0 0", "10 0 0", "10 10 0", "0 10 0", "0 0 10", "10 0 10", "10 10 10",
                "0 10 10"]
CUBE_QUADS = [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (2, 3, 7, 6), (1, 2, 6, 5),
              (3, 0, 4, 7)]


def test_off_with_quads_and_comments(tmp_path: Path) -> None:
    lines = ["OFF", "# a cube", "8 6 12", *CUBE_CORNERS,
             *(f"4 {a} {b} {c} {d}" for a, b, c, d in CUBE_QUADS)]
    path = tmp_path / "cube.off"
    path.write_text("\n".join(lines) + "\n")
    mesh = analyze(path).mesh
    assert mesh is not None and mesh.triangles == 12 and mesh.watertight
    assert mesh.volume_mm3 == pytest.approx(1000.0)


def test_obj_with_polygons_and_texture_indices(tmp_path: Path) -> None:
    lines = ["o cube", *(f"v {c}" for c in CUBE_CORNERS), "vt 0 0",
             *(f"f {a + 1}/1 {b + 1}/1 {c + 1}/1 {d + 1}/1" for a, b, c, d in CUBE_QUADS)]
    path = tmp_path / "cube.obj"
    path.write_text("\n".join(lines) + "\n")
    mesh = analyze(path).mesh
    assert mesh is not None and mesh.triangles == 12 and mesh.watertight
    assert mesh.area_mm2 == pytest.approx(600.0)


def test_ascii_ply(tmp_path: Path) -> None:
    header = ["ply", "format ascii 1.0", "element vertex 8", "property float x",
              "property float y", "property float z", "element face 6",
              "property list uchar int vertex_indices", "end_header"]
    faces = [f"4 {a} {b} {c} {d}" for a, b, c, d in CUBE_QUADS]
    path = tmp_path / "cube.ply"
    path.write_text("\n".join(header + CUBE_CORNERS + faces) + "\n")
    mesh = analyze(path).mesh
    assert mesh is not None and mesh.watertight
    assert mesh.volume_mm3 == pytest.approx(1000.0)


def test_stl_preview_does_not_import_trimesh() -> None:
    code = ("import sys; from wyntek_desktop.design import load_preview, analyze; "
            f"load_preview({str(SAMPLES / 'teapot.stl')!r}); "
            f"analyze({str(SAMPLES / 'teapot.stl')!r}); "
            "print('trimesh' in sys.modules, 'PySide6' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("block", [16 * 1024**2, 64, 7])
def test_obj_relative_indices_across_objects_and_blocks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    from wyntek_desktop.design import textmesh

    monkeypatch.setattr(textmesh, "_BLOCK", block)
    tetra = ["v 0 0 0", "v 10 0 0", "v 0 10 0", "v 0 0 10",
             "f -4 -2 -3", "f -4 -3 -1", "f -4 -1 -2", "f -3 -2 -1"]
    moved = [f"v {float(line.split()[1]) + 20} {line.split(maxsplit=2)[2]}"
             if line.startswith("v ") else line for line in tetra]
    path = tmp_path / "two.obj"
    path.write_text("\n".join(["o a", *tetra, "o b", *moved]) + "\n")
    mesh = analyze(path).mesh
    assert mesh is not None and mesh.body_count == 2 and mesh.watertight
    assert mesh.volume_mm3 == pytest.approx(2 * 1000 / 6, abs=1e-3)
