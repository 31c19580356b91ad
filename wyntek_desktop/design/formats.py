"""File kinds by extension (and a peek at the content where names are ambiguous)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

Kind = Literal["model", "drawing", "gerber", "other"]

MESH_FORMATS = {".stl": "stl", ".obj": "obj", ".ply": "ply", ".off": "off", ".3mf": "3mf",
                ".glb": "glb", ".gltf": "gltf", ".step": "step", ".stp": "step"}
DRAWING_EXTENSIONS = (".pdf",)
GERBER_EXTENSIONS = (".zip",)

#: Patterns for file dialogs, e.g. ``"3D models (*.stl *.obj ...)"``.
FILE_DIALOG_FILTERS: list[tuple[str, list[str]]] = [
    ("3D models", sorted({f"*{e}" for e in MESH_FORMATS})),
    ("Gerber archives", ["*.zip"]),
    ("PDF drawings", ["*.pdf"]),
]
SUPPORTED_EXTENSIONS: tuple[str, ...] = (*sorted(MESH_FORMATS), ".zip", ".pdf")


def mesh_format(path: Path | str) -> str | None:
    """'stl', 'obj', ... for a mesh/CAD file name, else None."""
    return MESH_FORMATS.get(Path(path).suffix.lower())


def classify(path: Path | str) -> Kind:
    """'model', 'drawing', 'gerber' (any .zip: Gerber/Excellon archive) or 'other'."""
    suffix = Path(path).suffix.lower()
    if suffix in MESH_FORMATS:
        return "model"
    if suffix in DRAWING_EXTENSIONS:
        return "drawing"
    if suffix in GERBER_EXTENSIONS:
        return "gerber"
    return "other"
