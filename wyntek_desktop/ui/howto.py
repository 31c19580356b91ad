"""The short how-to pages (``docs/howto/*.md``), read off the GUI thread."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class HowTo:
    title: str
    markdown: str


def howto_folder() -> Path:
    """``docs/howto`` of the checkout, or of the frozen bundle."""
    root = getattr(sys, "_MEIPASS", None)
    base = Path(root) if root else Path(__file__).resolve().parents[2]
    return base / "docs" / "howto"


def read_howtos(state: Any = None, folder: Path | None = None) -> list[HowTo]:
    """The pages in file-name order, titled by their first heading."""
    pages = []
    for path in sorted((folder or howto_folder()).glob("*.md")):
        text = path.read_text(encoding="utf-8")
        first = next((line for line in text.splitlines() if line.startswith("# ")), "")
        pages.append(HowTo(first[2:].strip() or path.stem, text))
    return pages
