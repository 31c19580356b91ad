"""Which edition of the packaged app this is: customer (the download) or demo.

Both come from the same PyInstaller spec. The customer edition leaves out the embedded
local stack (PostgreSQL and the services that stand in for the hosted backend); the demo
edition keeps it, for evaluation without an account. Neither bundles scipy (a development
dependency only: trimesh imports it optionally, the design checks are numpy-only).

The build writes the edition's name into the bundle (``edition.json``); running from
source there is none and everything installed is available.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

EDITION_FILE = "edition.json"


@dataclass(frozen=True)
class Edition:
    name: str
    #: The project's optional extras (pyproject) bundled with it.
    extras: frozenset[str]
    #: Distributions (normalised names) installed for development but not bundled.
    left_out: frozenset[str]

    @property
    def local_stack(self) -> bool:
        return "localstack" in self.extras


CUSTOMER = Edition("customer", frozenset(), frozenset())
DEMO = Edition("demo", frozenset({"localstack"}), frozenset())
EDITIONS = {edition.name: edition for edition in (CUSTOMER, DEMO)}


def by_name(name: str) -> Edition:
    try:
        return EDITIONS[name]
    except KeyError:
        raise ValueError(f"unknown edition {name!r}: use one of {', '.join(EDITIONS)}") from None


def current() -> Edition | None:
    """The frozen app's edition, or None from source (or a bundle that does not say)."""
    root = getattr(sys, "_MEIPASS", None)
    if not getattr(sys, "frozen", False) or root is None:
        return None
    try:
        data = json.loads((Path(root) / EDITION_FILE).read_text("utf-8"))
        return by_name(str(data["edition"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write(path: Path, edition: Edition) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"edition": edition.name}), "utf-8")
    return path
