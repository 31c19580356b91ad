"""Child process: convert a STEP file to GLB with cascadio (OpenCASCADE).

Run as ``python -m wyntek_desktop.design._step_worker IN.step OUT.glb MEMORY_BYTES``.
OpenCASCADE is native code: a hostile file could crash or hang it, so it never runs
inside the app's process.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    source, target, memory = argv[0], argv[1], int(argv[2])
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ImportError, ValueError, OSError):  # Windows: no rlimit; the timeout still holds
        pass
    import cascadio

    result = cascadio.step_to_glb(source, target, tol_linear=0.01, tol_angular=0.5,
                                  merge_primitives=True, use_parallel=False)
    return 0 if result == 0 else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
