"""The analysis benchmark runs end to end (small sizes), and the level of detail of a
20 M-triangle part stays within its budget. Slow: skipped unless --run-slow; nothing
here asserts a time (the machine is shared)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_analysis_benchmark_prints_its_tables() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "design_bench.py"),
                          "--analysis", "--sizes", "0.1M,1.3M", "--pairs", "1",
                          "--skip", "lod"], check=True, capture_output=True, text=True,
                         timeout=900).stdout
    assert "s per M triangles" in out and "(1.3M)" in out
    assert "wyntek --json analyze" in out and "peak / file size" in out


def test_decimating_20_million_triangles_keeps_the_budget_and_the_shape() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from design_bench import lod_triangles  # type: ignore[import-not-found]

    from wyntek_desktop.design import decimate

    tris = lod_triangles()
    out = decimate(tris, 200_000)
    assert 100_000 <= len(out) <= 200_000 and out.dtype == np.float32
    # four spheres of radius 20 at x = 0, 50, 100, 150: every point stays near a surface
    points = out.reshape(-1, 3).astype(np.float64)
    centre = np.round(points[:, 0] / 50.0) * 50.0
    radius = np.sqrt((points[:, 0] - centre) ** 2 + points[:, 1] ** 2 + points[:, 2] ** 2)
    assert np.percentile(np.abs(radius - 20.0), 99) < 0.5
