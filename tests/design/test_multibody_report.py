"""Several bodies in one file: which ones are really inside out, and hollow parts."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.design.meshes import cube, write_binary_stl
from wyntek_desktop.design import analyze


def _inverted(tris: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(tris[:, ::-1])


def _findings(path: Path) -> dict[str, str]:
    return {f.code: f.message for f in analyze(path).findings}


def test_a_hollow_part_next_to_an_inside_out_one_counts_one(tmp_path: Path) -> None:
    hollow = [cube(30), _inverted(cube(10, (10, 10, 10)))]  # outer shell + its cavity
    stl = write_binary_stl(tmp_path / "multibody.stl",
                           np.concatenate([*hollow, _inverted(cube(10, (50, 0, 0)))]))
    findings = _findings(stl)
    assert findings["inverted_normals"].startswith("1 closed body is inside out"), findings
    report = analyze(stl)
    assert report.mesh is not None
    # 27 000 minus the 1 000 mm³ cavity, plus the inside-out cube's 1 000
    assert report.mesh.volume_mm3 == 27_000.0


def test_a_hollow_part_alone_is_not_inside_out(tmp_path: Path) -> None:
    stl = write_binary_stl(tmp_path / "hollow.stl", np.concatenate(
        [cube(30), _inverted(cube(10, (10, 10, 10)))]))
    report = analyze(stl)
    assert "inverted_normals" not in {f.code for f in report.findings}
    assert report.mesh is not None and not report.mesh.inverted
    assert report.mesh.volume_mm3 == 26_000.0


def test_two_inside_out_bodies_are_counted_as_two(tmp_path: Path) -> None:
    stl = write_binary_stl(tmp_path / "two.stl", np.concatenate(
        [cube(10), _inverted(cube(10, (20, 0, 0))), _inverted(cube(10, (40, 0, 0)))]))
    assert _findings(stl)["inverted_normals"].startswith("2 closed bodies are inside out")


def test_a_tiny_part_is_not_only_0_mm3(tmp_path: Path) -> None:
    from wyntek_desktop.core.models import Material

    stl = write_binary_stl(tmp_path / "tiny.stl", cube(0.5))  # 0.125 mm³
    cnc = Material(id="cnc-al", process="cnc", name="Aluminium", build_volume_mm=[600, 400, 300])
    messages = [f.message for f in analyze(stl, material=cnc).findings]
    small = next(m for m in messages if m.startswith("The part is"))
    assert "0.12 mm³" in small or "0.13 mm³" in small, small
