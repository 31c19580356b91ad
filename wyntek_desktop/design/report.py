"""The design-for-manufacturing report: a typed model that serialises to JSON.

It is shown in the app, printed by ``wyntek analyze --json`` and stored with the job
(``job_files.analysis``), so field names are part of a contract: extend, don't rename.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
Number = float | int
Value = Number | str | bool | None | list[Any]

SCHEMA_VERSION = 1
# The stored analysis must stay well under the backend's 1 MiB limit per file.
MAX_LISTED_BODIES = 1000
MAX_LISTED_FILES = 500


@dataclass(frozen=True)
class Finding:
    severity: Severity           # 'error' blocks submission
    code: str                    # stable identifier, e.g. 'not_watertight'
    message: str                 # one sentence a person understands
    values: dict[str, Value] = field(default_factory=dict)


@dataclass(frozen=True)
class Body:
    index: int
    triangles: int
    volume_mm3: float
    area_mm2: float
    watertight: bool
    dimensions_mm: tuple[float, float, float]


@dataclass(frozen=True)
class Fit:
    material_id: str
    build_volume_mm: tuple[float, float, float]
    fits: bool
    orientation: str                      # e.g. 'as is' or 'X→Z, Y→X, Z→Y'
    placed_mm: tuple[float, float, float]  # part size along the machine's X, Y, Z


@dataclass(frozen=True)
class MeshInfo:
    format: str
    encoding: str
    source_unit: str                # declared by the file, or 'unknown'
    scale: float                    # factor applied to the file's numbers to get mm
    dimensions_mm: tuple[float, float, float]
    bounds_mm: tuple[tuple[float, float, float], tuple[float, float, float]]
    volume_mm3: float
    volume_cm3: float
    area_mm2: float
    triangles: int
    bodies: list[Body]              # the largest MAX_LISTED_BODIES bodies, by volume
    watertight: bool
    winding_consistent: bool
    inverted: bool                  # the mesh (or a body) is inside out
    flipped_edges: int              # edges whose two faces disagree on orientation
    degenerate_faces: int
    duplicate_faces: int
    boundary_edges: int
    non_manifold_edges: int
    instances: int
    fit: Fit | None = None
    has_embedded_thumbnail: bool = False
    body_count: int = 0             # all bodies, also those not listed


@dataclass(frozen=True)
class GerberLayer:
    file: str
    role: str          # 'copper', 'soldermask', 'silkscreen', 'paste', 'outline', 'drill'
    side: str          # 'top', 'bottom', 'inner', 'both', ''
    recognised_by: str  # 'content', 'name' or 'user' (assigned by hand)


@dataclass(frozen=True)
class IgnoredFile:
    file: str
    reason: str


@dataclass(frozen=True)
class GerberInfo:
    layers: list[GerberLayer]
    ignored: list[IgnoredFile]
    copper_layers: int
    outline_mm: tuple[float, float] | None
    drill_holes: int


@dataclass(frozen=True)
class DrawingInfo:
    pages: int


@dataclass(frozen=True)
class DesignReport:
    file_name: str
    size_bytes: int
    kind: str                        # 'model', 'drawing', 'gerber', 'other'
    findings: list[Finding]
    mesh: MeshInfo | None = None
    gerber: GerberInfo | None = None
    drawing: DrawingInfo | None = None
    material_id: str | None = None
    schema: int = SCHEMA_VERSION

    @property
    def volume_cm3(self) -> float:
        """Volume for the quote (0 when the file has none, e.g. a drawing)."""
        return self.mesh.volume_cm3 if self.mesh else 0.0

    @property
    def blocking(self) -> bool:
        """True if any finding is an error: the file cannot be submitted as is."""
        return any(f.severity == "error" for f in self.findings)

    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def suggested_scale(self) -> float | None:
        """The one-click rescale offered by a units warning, if any."""
        for f in self.findings:
            scale = f.values.get("suggested_scale")
            if isinstance(scale, int | float):
                return float(scale)
        return None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DesignReport:
        mesh = data.get("mesh")
        gerber = data.get("gerber")
        drawing = data.get("drawing")
        return cls(
            file_name=data["file_name"], size_bytes=int(data["size_bytes"]), kind=data["kind"],
            findings=[Finding(**f) for f in data.get("findings", [])],
            mesh=_mesh_from_dict(mesh) if mesh else None,
            gerber=_gerber_from_dict(gerber) if gerber else None,
            drawing=DrawingInfo(**drawing) if drawing else None,
            material_id=data.get("material_id"), schema=int(data.get("schema", SCHEMA_VERSION)),
        )

    @classmethod
    def from_json(cls, text: str) -> DesignReport:
        return cls.from_dict(json.loads(text))


def _t3(v: Any) -> tuple[float, float, float]:
    return (float(v[0]), float(v[1]), float(v[2]))


def _mesh_from_dict(d: dict[str, Any]) -> MeshInfo:
    d = dict(d)
    d["dimensions_mm"] = _t3(d["dimensions_mm"])
    d["bounds_mm"] = (_t3(d["bounds_mm"][0]), _t3(d["bounds_mm"][1]))
    d["bodies"] = [Body(**{**b, "dimensions_mm": _t3(b["dimensions_mm"])}) for b in d["bodies"]]
    fit = d.get("fit")
    if fit:
        d["fit"] = Fit(**{**fit, "build_volume_mm": _t3(fit["build_volume_mm"]),
                          "placed_mm": _t3(fit["placed_mm"])})
    return MeshInfo(**d)


def _gerber_from_dict(d: dict[str, Any]) -> GerberInfo:
    outline = d.get("outline_mm")
    return GerberInfo(layers=[GerberLayer(**x) for x in d["layers"]],
                      ignored=[IgnoredFile(**x) for x in d["ignored"]],
                      copper_layers=int(d["copper_layers"]),
                      outline_mm=(float(outline[0]), float(outline[1])) if outline else None,
                      drill_holes=int(d.get("drill_holes", 0)))
