"""Start-up shared by the frozen executables (bundled as a module, not an entry script).

A frozen app has no Python interpreter to run ``python -m MODULE``, yet the app starts
helpers exactly that way (``[sys.executable, "-m", ...]``): the local stack
(``wyntek_localstack serve``) and the crash-isolated STEP converter
(``wyntek_desktop.design._step_worker``). ``run_module_request()`` makes either executable
answer such a command line itself, so the same code works from source and frozen.
``multiprocessing``'s spawned children are handled by ``multiprocessing.freeze_support()``
in the entry scripts.
"""

from __future__ import annotations

import sys

# Modules a frozen executable may be asked to run with `-m` (nothing else is allowed).
RUNNABLE_MODULES = {
    "wyntek_localstack": "wyntek_localstack.__main__",
    "wyntek_desktop.design._step_worker": "wyntek_desktop.design._step_worker",
}


def run_module_request(argv: list[str]) -> int | None:
    """Run `EXE -m MODULE ARGS...` as `python -m` would; None if argv is not such a call."""
    if len(argv) < 3 or argv[1] != "-m":
        return None
    target = RUNNABLE_MODULES.get(argv[2])
    if target is None:
        sys.stderr.write(f"{argv[0]}: cannot run module {argv[2]!r} in the packaged app\n")
        return 2
    import importlib

    module = importlib.import_module(target)
    sys.argv = [argv[2], *argv[3:]]
    return int(module.main(argv[3:]) or 0)
