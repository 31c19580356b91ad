"""Design-file benchmark: first paint and full report vs trimesh, on big binary STLs.

    .venv/bin/python benchmarks/design_bench.py [--sizes 100k,1.3M,4M] [--runs 5]
    .venv/bin/python benchmarks/design_bench.py --analysis [--pairs 5] [--baseline DIR]

``--analysis`` measures the cost of the report itself (see ``analysis_main``): in-process
``analyze`` per million triangles at 0.1, 1.3, 4 and 12 M, the whole ``wyntek --json
analyze`` process against a whole ``trimesh.load`` process in alternating pairs, peak
memory, and the level of detail of 20 M triangles. ``--baseline DIR`` (a folder holding
an older ``wyntek_desktop``, e.g. from ``git archive``) times that code in the same pairs.

The default run:

Generates closed binary STLs (spheres) into benchmarks/.data/ (git-ignored), then times,
in one process so the ratios compare like with like:

- ours: ``load_preview`` (float32 triangles + normals + bounds): first paint ready
- ``trimesh.load(path)`` (default, processes the mesh) and ``process=False``
- ours: ``analyze`` (the full report), and ``render_thumbnail`` of the preview
- peak extra memory of ``analyze`` (tracemalloc: numpy buffers are traced) / file size

trimesh is imported before timing; its import cost is reported apart.
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
SIZES = {"100k": (5, 5), "0.1M": (5, 5), "1.3M": (8, 1), "4M": (7, 12),
         "12M": (8, 9)}  # (icosphere level, spheres)


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
    parser.add_argument("--sizes", default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--trimesh-runs", type=int, default=3)
    parser.add_argument("--analysis", action="store_true",
                        help="the cost of the report: scaling, whole process, memory, LOD")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--baseline", type=Path, default=None,
                        help="folder with an older wyntek_desktop to time alongside")
    parser.add_argument("--skip", default="",
                        help="comma list of: stages,scaling,process,memory,lod")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT.parent))
    if args.analysis:
        return analysis_main(args)
    args.sizes = args.sizes or "100k,1.3M,4M"

    started = time.perf_counter()
    import trimesh
    trimesh_import = time.perf_counter() - started

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


# ---- the cost of the report (issue: linear in triangles, a fifth of trimesh) ----------

_IN_PROCESS = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from wyntek_desktop.design import analyze
path, runs = sys.argv[2], int(sys.argv[3])
analyze(path)
times = []
for _ in range(runs):
    started = time.perf_counter()
    analyze(path)
    times.append(time.perf_counter() - started)
print(json.dumps(times))
"""

_STAGES = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
from pathlib import Path
from wyntek_desktop.design import analyze, loaders, measure, stl, topology
path, runs = Path(sys.argv[2]), int(sys.argv[3])
analyze(path)
rows = []
for _ in range(runs):
    took = {}
    def timed(name, fn, *args):
        cpu = time.process_time()
        out = fn(*args)
        took[name] = time.process_time() - cpu
        return out
    tris, _ = timed("read", stl.read_stl, path)
    bounds = timed("bounds check", loaders.check_triangles, path, tris)
    ids, slots = timed("weld", topology.weld_ids, tris)
    faces, keep = topology.drop_degenerate_indices(ids)
    found = timed("edges", topology.edges, faces, slots)
    topo = timed("bodies", topology.bodies, found)
    timed("volume, area, overhang", measure._volume_area, tris, keep, topo.face_body,
          topo.bodies, float(np.abs(bounds).max()) * 1e-7, float(bounds[0, 2]))
    cpu = time.process_time()
    analyze(path)
    took["whole analyze()"] = time.process_time() - cpu
    rows.append(took)
print(json.dumps(rows))
"""

_PEAK = """
import os, sys, tracemalloc
sys.path.insert(0, sys.argv[1])
from wyntek_desktop.design import analyze
analyze(sys.argv[2])
tracemalloc.start()
analyze(sys.argv[2])
print(tracemalloc.get_traced_memory()[1])
"""

_TRIMESH = "import sys, trimesh; trimesh.load(sys.argv[1])"


def _in_process(tree: Path, path: Path, runs: int) -> list[float]:
    """Seconds per ``analyze(path)`` in a fresh interpreter (after one warm-up call)."""
    import json
    import subprocess

    out = subprocess.run([sys.executable, "-c", _IN_PROCESS, str(tree), str(path), str(runs)],
                         check=True, capture_output=True, text=True).stdout
    return [float(t) for t in json.loads(out.strip().splitlines()[-1])]


def _whole(command: list[str], env: dict[str, str] | None = None) -> float:
    """Wall seconds of one whole process."""
    import subprocess

    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - started


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def analysis_main(args: argparse.Namespace) -> int:
    """Scaling of in-process ``analyze``, whole process vs trimesh, memory, LOD.

    Every timing alternates with the thing it is compared to (ours, theirs, ours, ...),
    so a change of load on the shared machine hits both sides; medians of the pairs.
    """
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)  # tables survive an interrupted run
    tree = ROOT.parent
    baseline = args.baseline.resolve() if args.baseline else None
    skip = set(filter(None, args.skip.split(",")))
    sizes = (args.sizes or "0.1M,1.3M,4M,12M").split(",")
    loads = [os.getloadavg()[0]]
    print(f"load average at the start: {loads[0]:.1f} on {os.cpu_count()} CPUs; "
          f"pairs: {args.pairs}; baseline: {baseline or 'none'}\n")
    if "stages" not in skip:
        _stages(tree, baseline, [s for s in sizes if s in ("1.3M", "4M")], args.pairs)
        loads.append(os.getloadavg()[0])
    if "scaling" not in skip:
        _scaling(tree, baseline, sizes, args.pairs)
        loads.append(os.getloadavg()[0])
    if "process" not in skip:
        _process(tree, baseline, [s for s in sizes if s in ("1.3M", "4M")], args.pairs)
        loads.append(os.getloadavg()[0])
    if "memory" not in skip:
        _memory(tree, baseline, [s for s in sizes if s in ("1.3M", "4M")])
        loads.append(os.getloadavg()[0])
    if "lod" not in skip:
        _lod(baseline, args.pairs)
        loads.append(os.getloadavg()[0])
    print("load average (1 min) after each section: "
          + ", ".join(f"{load:.1f}" for load in loads))
    return 0


def _stages(tree: Path, baseline: Path | None, sizes: list[str], pairs: int) -> None:
    """CPU seconds per stage of the report (CPU time: on a shared machine it moves far
    less with the load than wall time), ours and the baseline alternating."""
    import json
    import subprocess

    def run(folder: Path, path: Path) -> list[dict[str, float]]:
        out = subprocess.run([sys.executable, "-c", _STAGES, str(folder), str(path), "2"],
                             check=True, capture_output=True, text=True).stdout
        rows: list[dict[str, float]] = json.loads(out.strip().splitlines()[-1])
        return rows

    print("Where the time goes: CPU seconds per stage of `analyze` (median over "
          f"{pairs} pairs x 2 calls; the stages are called one by one, as `measure` does):\n")
    for label in sizes:
        path = make_stl(label)
        ours: list[dict[str, float]] = []
        theirs: list[dict[str, float]] = []
        for _ in range(pairs):
            ours += run(tree, path)
            if baseline is not None:
                theirs += run(baseline, path)
        print(f"{label} ({(path.stat().st_size - 84) // 50:,} triangles):\n")
        print("| stage | **ours CPU s** | baseline CPU s | ours / baseline |")
        print("|---|---:|---:|---:|")
        for stage in ours[0]:
            a = _median([r[stage] for r in ours])
            b = _median([r[stage] for r in theirs])
            ratio = f"{a / b:.2f}" if theirs and b > 0 else "-"
            base = f"{b:.3f}" if theirs else "-"
            print(f"| {stage} | **{a:.3f}** | {base} | {ratio} |")
        print(flush=True)


def _scaling(tree: Path, baseline: Path | None, sizes: list[str], pairs: int) -> None:
    rows = []
    for label in sizes:
        path = make_stl(label)
        n = (path.stat().st_size - 84) // 50
        runs = 1 if n > 6_000_000 else 3  # each pair: a fresh interpreter per side
        ours: list[float] = []
        theirs: list[float] = []
        for _ in range(pairs):
            ours.append(_median(_in_process(tree, path, runs)))
            if baseline is not None:
                theirs.append(_median(_in_process(baseline, path, runs)))
        rows.append((label, n, _median(ours), _median(theirs)))
        print(f"done scaling {label}", file=sys.stderr, flush=True)
    reference = next((r for r in rows if r[0] == "1.3M"), rows[0])
    per_ref = reference[2] / reference[1] * 1e6
    print("In-process `analyze(path)` (full report, after one warm-up call), median of "
          "the pairs:\n")
    print("| triangles | **report s** | **s per M triangles** | per-triangle cost vs 1.3M "
          "| baseline s | baseline s per M | **ours / baseline** |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for label, n, ours_s, theirs_s in rows:
        per = ours_s / n * 1e6
        base = (f"{theirs_s:.2f} | {theirs_s / n * 1e6:.3f} | **{ours_s / theirs_s:.2f}**"
                if theirs_s == theirs_s else "- | - | -")
        print(f"| {n:,} ({label}) | **{ours_s:.3f}** | **{per:.3f}** | {per / per_ref:.2f} "
              f"| {base} |")
    print()


def _process(tree: Path, baseline: Path | None, sizes: list[str], pairs: int) -> None:
    wyntek = [sys.executable, "-c", "import sys; from wyntek_desktop.cli import main; "
              "sys.exit(main())", "--json", "analyze"]
    env = dict(os.environ, XDG_CACHE_HOME=str(DATA / "cache"))
    env["PYTHONPATH"] = str(tree) + os.pathsep + env.get("PYTHONPATH", "")
    _compile_bytecode(tree / "wyntek_desktop")
    print("Whole process, alternating pairs (`wyntek --json analyze FILE` against "
          "`python -c 'import trimesh; trimesh.load(FILE)'`; the CLI's thumbnail is "
          "rendered once before timing and then found in its cache; both sides import "
          "compiled bytecode, as installed packages do):\n")
    print("| triangles | **wyntek --json analyze s** | trimesh.load process s "
          "| **ratio (median of pair ratios)** |")
    print("|---:|---:|---:|---:|")
    for label in sizes:
        path = make_stl(label)
        n = (path.stat().st_size - 84) // 50
        _whole([*wyntek, str(path)], env)  # warm: page cache, thumbnail cache
        ours, theirs, ratios = [], [], []
        for _ in range(pairs):
            a = _whole([*wyntek, str(path)], env)
            b = _whole([sys.executable, "-c", _TRIMESH, str(path)])
            ours.append(a)
            theirs.append(b)
            ratios.append(a / b)
        print(f"| {n:,} ({label}) | **{_median(ours):.2f}** | {_median(theirs):.2f} "
              f"| **{_median(ratios):.3f}** |", flush=True)
    del baseline
    print()


def _compile_bytecode(package: Path) -> None:
    """Write the package's .pyc files, as installing it does: trimesh's came with its
    install, and a shell with PYTHONDONTWRITEBYTECODE set would otherwise leave ours
    to be compiled again by every run."""
    import compileall

    compileall.compile_dir(package, quiet=1)


def _memory(tree: Path, baseline: Path | None, sizes: list[str]) -> None:
    import subprocess

    print("Peak memory of `analyze` (tracemalloc peak of one call, the triangles "
          "included):\n")
    print("| triangles | file MB | **peak / file size** | peak MB | baseline peak / file |")
    print("|---:|---:|---:|---:|---:|")
    for label in sizes:
        path = make_stl(label)
        n = (path.stat().st_size - 84) // 50
        peaks = []
        for folder in (tree, baseline):
            if folder is None:
                peaks.append(float("nan"))
                continue
            out = subprocess.run([sys.executable, "-c", _PEAK, str(folder), str(path)],
                                 check=True, capture_output=True, text=True).stdout
            peaks.append(float(out.strip().splitlines()[-1]))
        size = path.stat().st_size
        print(f"| {n:,} ({label}) | {size / 1e6:.1f} | **{peaks[0] / size:.2f}x** "
              f"| {peaks[0] / 1e6:.0f} | {peaks[1] / size:.2f}x |", flush=True)
    print()


def lod_triangles() -> np.ndarray:
    """20,971,520 triangles: four closed icospheres of 5,242,880 (cached as .npy)."""
    path = DATA / "spheres_20M.npy"
    if not path.exists():
        import trimesh

        DATA.mkdir(exist_ok=True)
        one = trimesh.creation.icosphere(subdivisions=9, radius=20.0).triangles
        tris = np.concatenate([one + np.array([50.0 * i, 0, 0]) for i in range(4)])
        np.save(path, tris.astype(np.float32))
    return np.load(path)


def _lod(baseline: Path | None, pairs: int) -> None:
    from wyntek_desktop.design.lod import decimate

    tris = lod_triangles()
    decimate(tris)  # warm
    ours, copies, sizes = [], [], []
    for _ in range(pairs):
        gc.collect()
        started = time.perf_counter()
        out = decimate(tris, 200_000)
        ours.append(time.perf_counter() - started)
        sizes.append(len(out))
        started = time.perf_counter()
        np.array(tris, copy=True)  # the same-run yardstick: one copy of the input
        copies.append(time.perf_counter() - started)
    print("Level of detail: `decimate(triangles, 200_000)` of 20,971,520 triangles "
          "(755 MB of float32) in-process, alternating with a plain copy of the input:\n")
    print("| input triangles | **decimate s** | triangles out | copy of the input s "
          "| decimate / copy |")
    print("|---:|---:|---:|---:|---:|")
    print(f"| {len(tris):,} | **{_median(ours):.2f}** | {sizes[-1]:,} "
          f"| {_median(copies):.2f} | {_median(ours) / _median(copies):.1f} |")
    del baseline
    print()


if __name__ == "__main__":
    raise SystemExit(main())
