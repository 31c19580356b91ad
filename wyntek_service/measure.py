"""Measure one stored design file in a child process with a time and memory limit.

The child runs the desktop's own ``wyntek_desktop.design.analyze`` (same loaders, limits
and hostile-input rules). A file that takes too long or needs too much memory is killed
with its child and reported as a problem of that file: the worker itself never runs the
parsers, so a hostile file cannot take it down.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wyntek_service.declared import Reading

DEFAULT_TIMEOUT_S = 120.0
DEFAULT_MEMORY_BYTES = 6 * 1024**3

_PRELOAD = ["wyntek_desktop.design.analysis", "wyntek_desktop.design.loaders",
            "wyntek_desktop.design.gerber", "wyntek_desktop.design.pdf", "numpy", "trimesh"]


@dataclass(frozen=True)
class Measurement:
    kind: str                          # model | drawing | gerber | other
    volume_cm3: float = 0.0
    board_area_cm2: float | None = None
    copper_layers: int | None = None
    problem: str | None = None         # one sentence: why this file fails its job


_context: Any = None


def _mp_context() -> Any:
    """A forkserver with the analysis code imported once: each file gets a fresh, cheap
    child (Linux); elsewhere a spawned one."""
    global _context
    if _context is None:
        if sys.platform == "linux":
            _context = mp.get_context("forkserver")
            _context.set_forkserver_preload(_PRELOAD)
        else:
            _context = mp.get_context("spawn")
    return _context


def _limit_child(memory_bytes: int) -> None:
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            import ctypes
            ctypes.CDLL("libc.so.6").prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def summarise(path: Path, reading: Reading | None = None) -> Measurement:
    """Analyse ``path`` here (the child's side) read as the customer chose: the numbers
    pricing needs, or the problem."""
    from wyntek_desktop.core.errors import FileError
    from wyntek_desktop.design.analysis import analyze
    from wyntek_desktop.design.estimate import board_measurements

    try:
        report = analyze(path, scale=reading.scale if reading else None,
                         gerber_layers=reading.gerber_layers if reading else None)
    except FileError as exc:
        return Measurement("other", problem=str(exc))
    except MemoryError:
        return Measurement("other", problem=f"{path.name} needs more memory to check than "
                                            "the service allows.")
    errors = report.errors()
    problem = f"{path.name}: {errors[0].message}" if errors and report.kind in (
        "model", "gerber") else None
    area, layers = board_measurements([report])
    return Measurement(report.kind, float(report.volume_cm3), area, layers, problem)


def _child(path: str, reading: Reading | None, conn: Any, memory_bytes: int) -> None:
    from wyntek_desktop.design.heap import keep_freed_memory

    _limit_child(memory_bytes)
    keep_freed_memory()  # one file, then the child exits
    try:
        result: Any = summarise(Path(path), reading)
    except MemoryError:
        result = Measurement("other", problem=f"{Path(path).name} needs more memory to check "
                                              "than the service allows.")
    except Exception as exc:  # a parser bug must still end as one sentence
        result = Measurement("other", problem=f"{Path(path).name} could not be read "
                                              f"({type(exc).__name__}).")
    conn.send(result)
    conn.close()


def measure_file(path: Path, reading: Reading | None = None, *,
                 timeout_s: float = DEFAULT_TIMEOUT_S,
                 memory_bytes: int = DEFAULT_MEMORY_BYTES) -> Measurement:
    """Measure ``path`` in a child process; blocking (call it from a thread)."""
    ctx = _mp_context()
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(str(path), reading, sender, memory_bytes), daemon=True)
    child.start()
    sender.close()
    try:
        if receiver.poll(timeout_s):
            try:
                result: Measurement = receiver.recv()
                return result
            except EOFError:
                pass  # the child died before it could answer
        elif child.is_alive():
            return Measurement("other", problem=f"{path.name} could not be checked within "
                                                f"{timeout_s:g} s; simplify or split it.")
        child.join(5)
        return Measurement("other", problem=f"{path.name} could not be checked: the check "
                                            "stopped (it needs more memory than the service "
                                            "allows, or the file is malformed).")
    finally:
        if child.is_alive():
            child.kill()
        child.join(5)
        receiver.close()
