"""How the customer asked the service to read a file, taken from the job's analysis.

Some readings are the customer's choice, not a measurement: a part drawn in inches and
rescaled by 25.4 on the desktop, or Gerber files assigned to layers by hand. The worker
measures the stored bytes *with* those choices, so the price follows what will be made;
it never takes a number (volume, area) from the analysis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wyntek_desktop.design.gerber import ASSIGNABLE

# (role, side) -> the key a person picks in the desktop's layer dialog
_KEY_OF_LAYER = {layer: key for key, layer in ASSIGNABLE.items() if layer is not None}


@dataclass(frozen=True)
class Reading:
    scale: float | None = None                   # factor to mm the customer chose
    gerber_layers: dict[str, str] | None = None  # archive entry -> ASSIGNABLE key


def declared_reading(analysis: Any) -> Reading:
    """The customer's choices in ``analysis`` (anything: it came from the client)."""
    if not isinstance(analysis, dict):
        return Reading()
    return Reading(_scale(analysis.get("mesh")), _layers(analysis.get("gerber")))


def _scale(mesh: Any) -> float | None:
    value = mesh.get("scale") if isinstance(mesh, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    # an out-of-range factor goes on to the analysis, which refuses it with a sentence
    return None if float(value) == 1.0 else float(value)


def _layers(gerber: Any) -> dict[str, str] | None:
    layers = gerber.get("layers") if isinstance(gerber, dict) else None
    if not isinstance(layers, list):
        return None
    chosen: dict[str, str] = {}
    for layer in layers:
        if not isinstance(layer, dict) or layer.get("recognised_by") != "user":
            continue
        key = _KEY_OF_LAYER.get((str(layer.get("role")), str(layer.get("side") or "")))
        if isinstance(layer.get("file"), str) and key is not None:
            chosen[layer["file"]] = key
    return chosen or None
