"""Entry script of the frozen `wyntek-desktop` executable (windowed)."""

import multiprocessing
import sys

from entry_common import run_module_request

# A child the helper-process pool spawned (`--multiprocessing-fork`) runs here and exits.
multiprocessing.freeze_support()

_module_exit = run_module_request(sys.argv)
if _module_exit is not None:
    sys.exit(_module_exit)
if "--self-test" in sys.argv[1:] or "--version" in sys.argv[1:]:
    # Answered before anything imports QtWidgets: no window, works headless.
    from wyntek_desktop.distribution.selftest import main as selftest_main

    sys.exit(selftest_main(sys.argv[1:]))

from wyntek_desktop.__main__ import main  # noqa: E402

sys.exit(main())
