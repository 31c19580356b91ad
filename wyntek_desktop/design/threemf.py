"""3MF checks before trimesh reads it: zip caps, XML without DTDs, units, thumbnail."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from wyntek_desktop.design import safezip
from wyntek_desktop.design._errors import file_error


@dataclass(frozen=True)
class ThreeMF:
    data: bytes                 # the archive, checked and safe to hand to trimesh
    unit: str                   # as declared (default 'millimeter')
    thumbnail_png: bytes | None


def _wanted(name: str) -> bool:
    low = name.lower()
    return low.endswith((".model", ".rels", ".png", "[content_types].xml"))


def check_3mf(path: Path) -> ThreeMF:
    members = safezip.read_members(path, _wanted, label="3MF archive")
    models = {k: v for k, v in members.items() if k.lower().endswith(".model")}
    if not any(k.lower().endswith("3d/3dmodel.model") for k in models):
        raise file_error(path, "the 3MF archive has no 3D/3dmodel.model part.")
    for name, xml in members.items():
        if name.lower().endswith((".model", ".rels", ".xml")):
            _check_xml(path, name, xml)
    main = next(v for k, v in models.items() if k.lower().endswith("3d/3dmodel.model"))
    pngs = sorted((k.lower() != "metadata/thumbnail.png", k) for k, v in members.items()
                  if k.lower().startswith("metadata/") and k.lower().endswith(".png")
                  and v.startswith(b"\x89PNG"))
    thumb = members[pngs[0][1]] if pngs else None  # Metadata/thumbnail.png first
    return ThreeMF(data=path.read_bytes(), unit=_unit(path, main), thumbnail_png=thumb)


def _check_xml(path: Path, name: str, xml: bytes) -> None:
    start = xml[:4]
    if start.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\0" in start:
        raise file_error(path, f"the part {name!r} is not UTF-8 XML.")
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise file_error(path, f"the part {name!r} declares a DTD or entities, which 3MF "
                         "does not allow; it was not read.")


def _unit(path: Path, xml: bytes) -> str:
    from lxml import etree  # here: every check of an STL would pay for its import

    parser_options = {"resolve_entities": False, "no_network": True, "huge_tree": False}
    try:
        for _event, root in etree.iterparse(io.BytesIO(xml), events=("start",),
                                            **parser_options):
            return str(root.attrib.get("unit", "millimeter"))
    except etree.XMLSyntaxError:
        pass
    raise file_error(path, "the 3MF model part is not well-formed XML.")
