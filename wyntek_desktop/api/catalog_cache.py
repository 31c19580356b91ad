"""The materials catalogue kept on disk so offline job preparation has prices."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wyntek_desktop.core.models import Material, MaterialCatalogue
from wyntek_desktop.core.paths import atomic_write_text

log = logging.getLogger(__name__)


def save_catalogue(path: Path, rows: list[dict[str, Any]]) -> MaterialCatalogue:
    fetched_at = datetime.now(UTC)
    payload = {"fetched_at": fetched_at.isoformat(), "materials": rows}
    try:
        atomic_write_text(path, json.dumps(payload, default=str))
    except Exception as exc:  # a cache failure must not fail the online answer
        log.warning("could not cache the catalogue: %s", exc)
    return MaterialCatalogue(tuple(Material.from_row(r) for r in rows), fetched_at, False)


def load_catalogue(path: Path) -> MaterialCatalogue | None:
    try:
        payload = json.loads(path.read_text("utf-8"))
        materials = tuple(Material.from_row(r) for r in payload["materials"])
        fetched_at = datetime.fromisoformat(payload["fetched_at"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring an unreadable catalogue cache: %s", exc)
        return None
    return MaterialCatalogue(materials, fetched_at, True)
