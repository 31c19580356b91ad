"""Design-file benchmark: first paint and full report vs trimesh, on big binary STLs.

    .venv/bin/python benchmarks/design_bench.py [--sizes 100k,1.3M,4M] [--runs 5]

Generates closed binary STLs (spheres) into benchmarks/.data/ (git-ignored), then times,
in one process so the ratios compare like with like:

- ours: ``load_preview`` (float32 triangles + normals + bounds): first paint ready
- ``trimesh.load(path)`` (default, processes the mesh) and ``process=False``
- ours: ``analyze`` (the full report), and ``render_thumbnail`` of the preview
- peak extra memory of ``analyze`` (tracemalloc: numpy buffers are traced) / file size

trimesh and scipy are imported before timing; their import cost is reported apart.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import struct
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
DATA = ROOT / ".data"
SIZES = {"100k": (5, 5), "1.3M": (8, 1), "4M": (7, 12)}  # (icosphere level, spheres)


def make_stl(label: str) -> Path:
    level, count = SIZES[label]
    path = DATA / f"spheres_{label}.stl"
    if path.exists():
        return path
    import trimesh

    DATA.mkdir(exist_ok=True)
    sphere = trimesh.creation.icosphere(subdivisions=level, radius=20.0).triangles
    parts = [sphere + np.array([50.0 * i, 0, 0]) for i in range(count)]
    tris = np.concatenate(parts).astype(np.float32)
    record = np.zeros(len(tris), dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    record["v"] = tris
    with path.open("wb") as f:
        f.write(b"design_bench".ljust(80, b" ") + struct.pack("<I", len(tris)))
        f.write(record.tobytes())
    return path


def median_time(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def peak_memory(fn: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1.3M,4M")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--trimesh-runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT.parent))

    started = time.perf_counter()
    import trimesh
    trimesh_import = time.perf_counter() - started
    import scipy.sparse.csgraph  # noqa: F401

    from wyntek_desktop.design import analyze, load_preview, render_thumbnail

    rows = []
    for label in args.sizes.split(","):
        path = make_stl(label)
        size = path.stat().st_size
        triangles = (size - 84) // 50
        load_preview(path)  # warm the page cache and code paths
        raw = median_time(lambda p=path: np.fromfile(p, dtype=np.uint8), args.runs)
        ours = median_time(lambda p=path: load_preview(p), args.runs)
        default = median_time(lambda p=path: trimesh.load(p), args.trimesh_runs)
        plain = median_time(lambda p=path: trimesh.load(p, process=False), args.trimesh_runs)
        report = median_time(lambda p=path: analyze(p), args.runs)
        tris = load_preview(path).triangles
        thumb = median_time(lambda t=tris: render_thumbnail(t, 256), args.runs)
        del tris
        peak = peak_memory(lambda p=path: analyze(p))
        rows.append((label, triangles, size, raw, ours, default, plain, report, thumb, peak))
        print(f"done {label}", file=sys.stderr, flush=True)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"trimesh import: {trimesh_import:.2f} s (paid once, outside the timings); "
          f"load average at the end: {load:.1f} on {os.cpu_count()} CPUs\n")
    print("| triangles | file MB | read bytes s | **first paint (ours) s** | trimesh.load s "
          "| trimesh process=False s | speed-up vs default | vs process=False "
          "| **full report s** | report / trimesh.load | thumbnail 256 px s "
          "| **peak extra memory / file** |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, n, size, raw, ours, default, plain, report, thumb, peak in rows:
        print(f"| {n:,} ({label}) | {size / 1e6:.1f} | {raw:.3f} | **{ours:.3f}** | "
              f"{default:.2f} | {plain:.2f} | {default / ours:.0f}x | {plain / ours:.1f}x | "
              f"**{report:.2f}** | {report / default:.2f} | {thumb:.2f} | "
              f"**{peak / size:.2f}x** "
              f"({peak / 1e6:.0f} MB) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
