"""Where the app's icons and stylesheets are (source checkout or frozen bundle).

Same answer as ``distribution.about.resources_folder()``, without importing ``importlib.metadata``
at start-up (it costs a tenth of a second before the window can appear).
"""

from __future__ import annotations

import sys
from pathlib import Path


def resources_folder() -> Path:
    root = getattr(sys, "_MEIPASS", None)
    if root:
        return Path(root) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"
