"""Gerber/Excellon archives: which files are which layer, and the board outline size.

Layers are recognised from the file's own attributes first (Gerber X2
``%TF.FileFunction``, also written by KiCad and EAGLE as ``G04 #@! TF.FileFunction``
comments; Excellon's ``M48`` header), then from the CAD tools' file-name conventions.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

from wyntek_desktop.core.errors import UsageError
from wyntek_desktop.design import gerber_geometry, safezip
from wyntek_desktop.design.progress import Step
from wyntek_desktop.design.report import (
    MAX_LISTED_FILES,
    DesignReport,
    Finding,
    GerberInfo,
    GerberLayer,
    IgnoredFile,
)

_FUNCTION = re.compile(rb"TF\.FileFunction,([^*\r\n]*)")
# extension -> (role, side), KiCad/Protel/Altium and EAGLE CAM conventions
_EXTENSIONS = {
    ".gtl": ("copper", "top"), ".gbl": ("copper", "bottom"), ".cmp": ("copper", "top"),
    ".sol": ("copper", "bottom"), ".gts": ("soldermask", "top"), ".gbs": ("soldermask", "bottom"),
    ".stc": ("soldermask", "top"), ".sts": ("soldermask", "bottom"),
    ".gto": ("silkscreen", "top"), ".gbo": ("silkscreen", "bottom"),
    ".plc": ("silkscreen", "top"), ".pls": ("silkscreen", "bottom"),
    ".gtp": ("paste", "top"), ".gbp": ("paste", "bottom"), ".crc": ("paste", "top"),
    ".crs": ("paste", "bottom"), ".gm1": ("outline", ""), ".gko": ("outline", ""),
    ".gml": ("outline", ""), ".gm": ("outline", ""), ".dim": ("outline", ""),
    ".mil": ("outline", ""), ".drl": ("drill", ""), ".xln": ("drill", ""),
    ".drd": ("drill", ""), ".exc": ("drill", ""), ".ncd": ("drill", ""),
}
_INNER = re.compile(r"\.(?:g(\d{1,2})|gp(\d{1,2})|in(\d{1,2}))$")
# words in generic names such as 'board-F_Cu.gbr' or 'copper_top.gbr'
_WORDS = [
    (re.compile(r"edge[._-]?cuts|profile|outline|board[._-]?edge"), ("outline", "")),
    (re.compile(r"(f[._]cu|copper[._-]?top|top[._-]?copper|toplayer)"), ("copper", "top")),
    (re.compile(r"(b[._]cu|copper[._-]?bottom|bottom[._-]?copper|bottomlayer)"),
     ("copper", "bottom")),
    (re.compile(r"(f[._]mask|soldermask[._-]?top|mask[._-]?top)"), ("soldermask", "top")),
    (re.compile(r"(b[._]mask|soldermask[._-]?bottom|mask[._-]?bottom)"),
     ("soldermask", "bottom")),
    (re.compile(r"(f[._]silks?|silkscreen[._-]?top|silk[._-]?top)"), ("silkscreen", "top")),
    (re.compile(r"(b[._]silks?|silkscreen[._-]?bottom|silk[._-]?bottom)"),
     ("silkscreen", "bottom")),
    (re.compile(r"(f[._]paste|solderpaste[._-]?top|paste[._-]?top)"), ("paste", "top")),
    (re.compile(r"(b[._]paste|solderpaste[._-]?bottom|paste[._-]?bottom)"), ("paste", "bottom")),
]
# DipTrace names a layer by a word at the end of the file name: 'board_Top.gbr',
# 'board_TopMask.gbr', 'board_BottomSilk.gbr', 'board_BoardOutline.gbr', 'board_Inner1.gbr'
_END = r"(?:^|[._ -])"
_STEM_WORDS = [
    (re.compile(_END + r"(?:board)?outline$"), ("outline", "")),
    (re.compile(_END + r"top$"), ("copper", "top")),
    (re.compile(_END + r"bottom$"), ("copper", "bottom")),
    (re.compile(_END + r"(?:inner|mid|plane|signal)\d{1,2}$"), ("copper", "inner")),
    (re.compile(_END + r"topmask$"), ("soldermask", "top")),
    (re.compile(_END + r"bottommask$"), ("soldermask", "bottom")),
    (re.compile(_END + r"topsilk$"), ("silkscreen", "top")),
    (re.compile(_END + r"bottomsilk$"), ("silkscreen", "bottom")),
    (re.compile(_END + r"toppaste$"), ("paste", "top")),
    (re.compile(_END + r"bottompaste$"), ("paste", "bottom")),
]
_NOT_FABRICATION_STEMS = [
    (re.compile(_END + r"(?:top|bottom)assy$"), "an assembly drawing, not fabrication data"),
    (re.compile(_END + r"drill[ _-]?drawing\w*$|" + _END + r"fab(?:rication)?$"),
     "a drawing, not fabrication data"),
]
#: What a person may assign a file to by hand: key -> (role, side); None: not used.
ASSIGNABLE: dict[str, tuple[str, str] | None] = {
    "copper top": ("copper", "top"), "copper bottom": ("copper", "bottom"),
    "copper inner": ("copper", "inner"), "soldermask top": ("soldermask", "top"),
    "soldermask bottom": ("soldermask", "bottom"), "silkscreen top": ("silkscreen", "top"),
    "silkscreen bottom": ("silkscreen", "bottom"), "paste top": ("paste", "top"),
    "paste bottom": ("paste", "bottom"), "outline": ("outline", ""), "drill": ("drill", ""),
    "not used": None,
}
_NOT_FABRICATION = {".pdf": "a PDF document (e.g. a drill map), not fabrication data",
                    ".gbrjob": "a Gerber job file: informational only",
                    ".rpt": "a report, not fabrication data",
                    ".md": "a text document", ".png": "an image", ".jpg": "an image"}
_X2_ROLES = {"copper": "copper", "soldermask": "soldermask", "legend": "silkscreen",
             "paste": "paste", "profile": "outline"}
_DRILL_FUNCTIONS = ("plated", "nonplated", "mixedplating")


def analyze_gerber(path: Path, material: Any = None, step: Step | None = None,
                   assigned: dict[str, str] | None = None) -> DesignReport:
    """``assigned`` maps archive entries to an ``ASSIGNABLE`` key: the person's choice
    wins over recognition (stored in the report as recognised by 'user')."""
    members = safezip.read_members(path, label="Gerber archive")
    assigned = _checked_assignments(assigned or {})
    layers: list[GerberLayer] = []
    ignored: list[IgnoredFile] = []
    outline_files: list[bytes] = []
    drill_holes = 0
    for name in sorted(members):
        data = members[name]
        if name in assigned:
            chosen = ASSIGNABLE[assigned[name]]
            role, side, how, reason = ((chosen[0], chosen[1], "user", "") if chosen else
                                       (None, "", "", "marked as not used"))
        else:
            role, side, how, reason = recognise(name, data)
        if role is None:
            ignored.append(IgnoredFile(name, reason))
            continue
        layers.append(GerberLayer(name, role, side, how))
        if role == "outline":
            outline_files.append(data)
        elif role == "drill":
            drill_holes += gerber_geometry.count_drill_hits(data)
    if step:
        step(0.6, "Measuring the board outline")
    outline = gerber_geometry.outline_size(outline_files)
    if len(ignored) > MAX_LISTED_FILES:
        more = len(ignored) - MAX_LISTED_FILES
        ignored = [*ignored[:MAX_LISTED_FILES], IgnoredFile("…", f"and {more} more files")]
    copper = [x for x in layers if x.role == "copper"]
    info = GerberInfo(layers=layers, ignored=ignored, copper_layers=len(copper),
                      outline_mm=outline, drill_holes=drill_holes)
    findings = _findings(info, material)
    material_id = (str(getattr(material, "id", "")) or None) if material is not None else None
    return DesignReport(path.name, path.stat().st_size, "gerber", findings, gerber=info,
                        material_id=material_id)


def _checked_assignments(assigned: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(assigned.values()) - set(ASSIGNABLE))
    if unknown:
        raise UsageError(f"'{unknown[0]}' is not a layer a file can be assigned to; choose "
                         f"one of: {', '.join(ASSIGNABLE)}.")
    return dict(assigned)


def recognise(name: str, data: bytes) -> tuple[str | None, str, str, str]:
    """(role, side, 'content'|'name', why-ignored) for one archive entry."""
    base = PurePosixPath(name).name.lower()
    suffix = PurePosixPath(base).suffix
    head = data[:65536]
    if suffix == ".gbrjob":
        return None, "", "", _NOT_FABRICATION[".gbrjob"]
    match = _FUNCTION.search(head)
    if match:
        role, side = _x2_role(match.group(1).decode("ascii", "replace"))
        if role is None:
            return None, "", "", (f"its file function is "
                                  f"'{match.group(1).decode('ascii', 'replace')}', "
                                  "not needed for fabrication")
        return role, side, "content", ""
    if head.lstrip().startswith(b"M48"):
        return "drill", "", "content", ""
    if suffix in _NOT_FABRICATION:
        return None, "", "", _NOT_FABRICATION[suffix]
    stem = PurePosixPath(base).stem
    for pattern, why in _NOT_FABRICATION_STEMS:
        if pattern.search(stem):
            return None, "", "", why
    by_name = _by_name(base, suffix)
    looks_gerber = b"%FS" in head or b"%MO" in head
    if by_name is not None and (looks_gerber or by_name[0] == "drill"):
        if by_name[0] == "drill" and b"T" not in head:
            return None, "", "", "named like a drill file but holds no tools"
        return by_name[0], by_name[1], "name", ""
    if looks_gerber:
        return None, "", "", "a Gerber file whose layer could not be recognised"
    return None, "", "", "not a Gerber or Excellon file"


def _x2_role(function: str) -> tuple[str | None, str]:
    parts = [p.strip() for p in function.split(",")]
    kind = parts[0].lower()
    if kind in _DRILL_FUNCTIONS:
        return "drill", ""
    role = _X2_ROLES.get(kind)
    if role is None:
        return None, ""
    if role == "copper":
        side = parts[2].lower() if len(parts) > 2 else ""
        return role, {"top": "top", "bot": "bottom", "inr": "inner"}.get(side, side)
    if role == "outline":
        return role, ""
    side = parts[1].lower() if len(parts) > 1 else ""
    return role, {"top": "top", "bot": "bottom"}.get(side, side)


def _by_name(base: str, suffix: str) -> tuple[str, str] | None:
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    if _INNER.search(base):
        return "copper", "inner"
    for pattern, role in _WORDS:
        if pattern.search(base):
            return role
    stem = PurePosixPath(base).stem
    for pattern, role in _STEM_WORDS:
        if pattern.search(stem):
            return role
    if suffix == ".txt" and ("drill" in base or "drl" in base):
        return "drill", ""
    return None


def _findings(info: GerberInfo, material: Any) -> list[Finding]:
    out: list[Finding] = []
    if not info.layers:
        out.append(Finding("error", "gerber_no_layers", "The archive contains no Gerber or "
                           "Excellon file that could be recognised.",
                           {"ignored_files": len(info.ignored)}))
        return out
    if info.copper_layers == 0:
        out.append(Finding("error", "gerber_no_copper",
                           "No copper layer was found in the archive, so the board cannot be "
                           "made.", {"layers": len(info.layers)}))
    if not any(x.role == "outline" for x in info.layers):
        out.append(Finding("error", "gerber_no_outline",
                           "No board outline (profile / Edge.Cuts) layer was found; the "
                           "manufacturer cannot know the board's shape.", {}))
    elif info.outline_mm is None:
        out.append(Finding("warning", "gerber_outline_unreadable",
                           "The outline layer has no coordinates this app could measure.", {}))
    else:
        w, h = info.outline_mm
        out.append(Finding("info", "gerber_board_size",
                           f"The board outline measures {w:.2f} x {h:.2f} mm.",
                           {"width_mm": w, "height_mm": h}))
    if not any(x.role == "drill" for x in info.layers):
        out.append(Finding("warning", "gerber_no_drill",
                           "No drill (Excellon) file was found; the board will have no holes.",
                           {}))
    out.append(Finding("info", "gerber_layers",
                       f"{len(info.layers)} files will be used ({info.copper_layers} copper "
                       f"layers) and {len(info.ignored)} ignored.",
                       {"used": len(info.layers), "ignored": len(info.ignored),
                        "copper_layers": info.copper_layers}))
    process = str(getattr(material, "process", "") or "").lower()
    if material is not None and process and process != "pcb":
        out.append(Finding("error", "gerber_wrong_process",
                           f"A Gerber archive can only be made as a PCB, not with "
                           f"{process.upper()}.", {"process": process}))
    rank = {"error": 0, "warning": 1, "info": 2}
    return sorted(out, key=lambda f: rank[f.severity])
