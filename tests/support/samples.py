"""Where the shared sample design files are (CAD, slicer and PCB tool output).

``WYNTEK_SAMPLES_DIR`` wins; otherwise ``../shared/samples`` beside the checkout, then the
workplace copy at ``/work/shared/samples``.
"""

from __future__ import annotations

import os
from pathlib import Path

_REPO = Path(__file__).resolve().parents[2]


def samples_dir() -> Path:
    candidates = [os.environ.get("WYNTEK_SAMPLES_DIR"), _REPO.parent / "shared" / "samples",
                  "/work/shared/samples"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "README.md").is_file():
            return Path(candidate)
    return Path("/work/shared/samples")


SAMPLES = samples_dir()
