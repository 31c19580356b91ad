"""`wyntek-desktop` / `python -m wyntek_desktop`: the desktop app.

``--version`` and ``--self-test`` are answered before any Qt widget module is imported,
so they work without a display (and fast).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--version" in args:
        from wyntek_desktop.distribution.about import version_line
        print(version_line())
        return 0
    if "--self-test" in args:
        try:
            from wyntek_desktop.distribution import selftest
        except ImportError:
            print("The self-test is not available in this build.", file=sys.stderr)
            return 1
        return int(selftest.main(args))
    from wyntek_desktop.ui.app import run
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
