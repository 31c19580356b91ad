"""Entry script of the frozen `wyntek` command-line executable (console)."""

import multiprocessing
import sys

from entry_common import run_module_request

# A child the helper-process pool spawned (`--multiprocessing-fork`) runs here and exits.
multiprocessing.freeze_support()

_module_exit = run_module_request(sys.argv)
if _module_exit is not None:
    sys.exit(_module_exit)

from wyntek_desktop.cli import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
