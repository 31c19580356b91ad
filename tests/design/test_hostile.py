"""Hostile and broken files: each gives a FileError with one clear sentence, within 2 s
and bounded memory; nothing crashes, hangs or allocates what a header claims."""

from __future__ import annotations

import io
import os
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.design.hostile import expect_file_error, warm_imports  # noqa: F401
from tests.design.meshes import SAMPLES, cube, write_ascii_stl, write_binary_stl
from wyntek_desktop.design import analyze, limits, load_preview

pytestmark = pytest.mark.usefixtures("warm_imports")

MESH_EXTENSIONS = [".stl", ".obj", ".ply", ".off", ".3mf", ".glb", ".gltf", ".step", ".stp"]


def _copy_truncated(tmp_path: Path, name: str, keep: float) -> Path:
    data = (SAMPLES / name).read_bytes()
    target = tmp_path / name
    target.write_bytes(data[: int(len(data) * keep)])
    return target


@pytest.mark.parametrize("suffix", [*MESH_EXTENSIONS, ".zip", ".pdf"])
def test_empty_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    expect_file_error(path, analyze)


@pytest.mark.parametrize("suffix", [*MESH_EXTENSIONS, ".zip", ".pdf"])
def test_random_bytes_with_a_known_extension(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"noise{suffix}"
    path.write_bytes(np.random.default_rng(7).bytes(200_000))
    expect_file_error(path, analyze)


@pytest.mark.parametrize("name,keep", [
    ("counter.unitsmm.STL", 0.5), ("plate_holes.STL", 0.99), ("1002_tray_bottom.STL", 0.6),
    ("octagonal_pocket.ply", 0.5), ("pins.glb", 0.7), ("shell.prusa-slicer-project.3mf", 0.8),
    ("featuretype.STEP", 0.5), ("dimtad-dimjust.pdf", 0.3), ("esp-rgb-driver-gerbers.zip", 0.5),
])
def test_truncated_sample(tmp_path: Path, name: str, keep: float) -> None:
    expect_file_error(_copy_truncated(tmp_path, name, keep), analyze)


def test_binary_stl_header_claims_four_billion_triangles(tmp_path: Path) -> None:
    path = tmp_path / "liar.stl"
    path.write_bytes(b"\0" * 80 + struct.pack("<I", 0xFFFFFFFF) + b"\0" * 500)
    expect_file_error(path, load_preview, match="4,294,967,295")


def test_solid_header_with_binary_body_is_binary(tmp_path: Path) -> None:
    path = write_binary_stl(tmp_path / "solid.stl", cube(10), header=b"solid cube facet normal")
    report = analyze(path)
    assert report.mesh is not None and report.mesh.encoding == "binary"
    assert report.mesh.volume_mm3 == pytest.approx(1000.0)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_coordinates_in_binary_stl(tmp_path: Path, bad: float) -> None:
    tris = cube(10)
    tris[3, 1, 2] = bad
    expect_file_error(write_binary_stl(tmp_path / "nan.stl", tris), analyze, match="finite")


def test_absurdly_large_coordinates(tmp_path: Path) -> None:
    tris = cube(10)
    tris[0, 0, 0] = 3e38
    expect_file_error(write_binary_stl(tmp_path / "huge.stl", tris), analyze, match="beyond")


def test_nan_in_ascii_stl(tmp_path: Path) -> None:
    path = write_ascii_stl(tmp_path / "nan.stl", cube(10))
    text = path.read_text().replace("vertex 1.000000e+01", "vertex nan", 1)
    path.write_text(text)
    expect_file_error(path, analyze, match="finite")


def test_ascii_stl_without_endsolid_is_truncated(tmp_path: Path) -> None:
    path = write_ascii_stl(tmp_path / "cut.stl", cube(10))
    path.write_text(path.read_text().rsplit("endsolid", 1)[0])
    expect_file_error(path, analyze, match="truncated")


def test_ascii_stl_with_garbage_number(tmp_path: Path) -> None:
    path = write_ascii_stl(tmp_path / "junk.stl", cube(10))
    path.write_text(path.read_text().replace("vertex 0.000000e+00", "vertex 1e+e+1", 1))
    expect_file_error(path, analyze)


def test_obj_with_out_of_range_index(tmp_path: Path) -> None:
    path = tmp_path / "bad.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\nf 1 2 99\n")
    expect_file_error(path, analyze, match="vertex 99")


def test_obj_with_negative_out_of_range_index(tmp_path: Path) -> None:
    path = tmp_path / "bad.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf -1 -2 -7\n")
    expect_file_error(path, analyze)


def test_obj_with_relative_indices_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.obj"
    path.write_text("v 0 0 0\nv 10 0 0\nv 0 10 0\nv 0 0 10\n"
                    "f -4 -2 -3\nf -4 -3 -1\nf -4 -1 -2\nf -3 -2 -1\n")
    mesh = analyze(path).mesh
    assert mesh is not None and mesh.watertight
    assert mesh.volume_mm3 == pytest.approx(1000 / 6, abs=1e-3)


def test_obj_without_faces(tmp_path: Path) -> None:
    path = tmp_path / "points.obj"
    path.write_text("v 0 0 0\nv 1 0 0\n")
    expect_file_error(path, analyze, match="no faces")


def test_off_header_claims_more_than_the_file_holds(tmp_path: Path) -> None:
    path = tmp_path / "liar.off"
    path.write_text("OFF\n2000000000 2000000000 0\n0 0 0\n")
    expect_file_error(path, analyze, match="truncated")


def test_ply_header_claims_billions_of_vertices(tmp_path: Path) -> None:
    path = tmp_path / "liar.ply"
    path.write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 4000000000\n"
                     b"property float x\nproperty float y\nproperty float z\n"
                     b"element face 1\nproperty list uchar int vertex_indices\nend_header\n"
                     + b"\0" * 1000)
    expect_file_error(path, analyze, match="truncated")


def test_step_without_header_never_reaches_opencascade(tmp_path: Path) -> None:
    path = tmp_path / "fake.step"
    path.write_text("HEADER;\nENDSEC;\n")
    expect_file_error(path, analyze, match="ISO-10303-21")


def test_glb_with_lying_length(tmp_path: Path) -> None:
    data = bytearray((SAMPLES / "pins.glb").read_bytes())
    data[8:12] = struct.pack("<I", 0x7FFFFFFF)   # total length
    data[12:16] = struct.pack("<I", 0x7FFFFFF0)  # JSON chunk length
    path = tmp_path / "liar.glb"
    path.write_bytes(bytes(data))
    expect_file_error(path, analyze)


def test_gltf_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.gltf"
    path.write_text('{"asset": {"version": "2.0"}, "meshes": [')
    expect_file_error(path, analyze)


# --- zip archives: 3MF and Gerber ---------------------------------------------------------

def _zip(path: Path, entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _model(body: str, prolog: str = "") -> bytes:
    return (prolog + '<model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufac'
            'turing/core/2015/02"><resources><object id="1" type="model"><mesh><vertices>'
            '<vertex x="0" y="0" z="0"/><vertex x="10" y="0" z="0"/>'
            '<vertex x="0" y="10" z="0"/><vertex x="0" y="0" z="10"/></vertices><triangles>'
            '<triangle v1="0" v2="2" v3="1"/><triangle v1="0" v2="1" v3="3"/>'
            '<triangle v1="0" v2="3" v3="2"/><triangle v1="1" v2="2" v3="3"/>'
            f'</triangles></mesh></object></resources><build><item objectid="1"/></build>'
            f'{body}</model>').encode()


def test_small_valid_3mf_loads(tmp_path: Path) -> None:
    path = _zip(tmp_path / "tet.3mf", {"3D/3dmodel.model": _model("")})
    mesh = analyze(path).mesh
    assert mesh is not None and mesh.watertight
    assert mesh.volume_mm3 == pytest.approx(1000 / 6, abs=1e-3)


def test_3mf_zip_bomb_ratio(tmp_path: Path) -> None:
    path = _zip(tmp_path / "bomb.3mf", {"3D/3dmodel.model": b"\0" * (64 * 1024**2)})
    assert path.stat().st_size < 1024**2
    expect_file_error(path, analyze, match="zip bomb")


def test_3mf_total_size_counted_while_streaming(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                ) -> None:
    monkeypatch.setattr(limits, "ZIP_MAX_TOTAL_BYTES", 2 * 1024**2)
    noise = np.random.default_rng(1).bytes(1024**2)
    path = _zip(tmp_path / "big.3mf", {"3D/3dmodel.model": _model(""),
                                       **{f"Metadata/{i}.png": noise for i in range(3)}},
                method=zipfile.ZIP_STORED)
    expect_file_error(path, analyze, match="unpacks to more than")


def test_zip_header_sizes_are_not_trusted(tmp_path: Path) -> None:
    """Central directory claims a tiny entry; the data streams far more: caught by CRC/caps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("3D/3dmodel.model", b"\0" * (8 * 1024**2))
    data = bytearray(buffer.getvalue())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        data[at + offset:at + offset + 4] = struct.pack("<I", 100)  # uncompressed size
    path = tmp_path / "liar.3mf"
    path.write_bytes(bytes(data))
    expect_file_error(path, analyze)


def test_3mf_with_too_many_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "ZIP_MAX_ENTRIES", 50)
    entries = {"3D/3dmodel.model": _model("")} | {f"Metadata/{i}.txt": b"x" for i in range(60)}
    expect_file_error(_zip(tmp_path / "many.3mf", entries), analyze, match="entries")


BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE model [<!ENTITY a "aaaaaaaaaa">'
                  + "".join(f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">'
                            for i in range(9)) + "]>")


def test_3mf_billion_laughs(tmp_path: Path) -> None:
    model = _model("<metadata name='x'>&j;</metadata>", prolog=BILLION_LAUGHS)
    path = _zip(tmp_path / "laughs.3mf", {"3D/3dmodel.model": model})
    expect_file_error(path, analyze, match="DTD")


def test_3mf_external_entity(tmp_path: Path) -> None:
    prolog = '<?xml version="1.0"?><!DOCTYPE model [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    path = _zip(tmp_path / "xxe.3mf",
                {"3D/3dmodel.model": _model("<metadata name='x'>&x;</metadata>", prolog)})
    expect_file_error(path, analyze, match="DTD")


def test_3mf_without_model_part(tmp_path: Path) -> None:
    path = _zip(tmp_path / "empty.3mf", {"Metadata/readme.txt": b"hello"})
    expect_file_error(path, analyze, match="3dmodel.model")


def test_zero_byte_gerber_zip(tmp_path: Path) -> None:
    path = tmp_path / "board.zip"
    path.write_bytes(b"")
    expect_file_error(path, analyze, match="empty")


def test_gerber_zip_bomb(tmp_path: Path) -> None:
    path = _zip(tmp_path / "bomb.zip", {"board.gtl": b"G04*\n" * (16 * 1024**2)})
    expect_file_error(path, analyze, match="zip bomb")


# --- sizes beyond what the machine can hold ---------------------------------------------

def test_too_many_triangles_for_this_computer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    monkeypatch.setattr(limits, "MAX_TRIANGLES", 1000)
    expect_file_error(SAMPLES / "counter.unitsmm.STL", analyze, match="83,750 triangles")


def test_file_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_TEXT_MESH_BYTES", 1024)
    expect_file_error(SAMPLES / "fandisk.obj", analyze, match="MB")


def test_hostile_pdf(tmp_path: Path) -> None:
    path = tmp_path / "loop.pdf"
    # a page tree whose Kids point back at itself
    path.write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
                     b"2 0 obj<</Type/Pages/Kids[2 0 R]/Count 1>>endobj\n"
                     b"trailer<</Root 1 0 R>>\n%%EOF\n")
    expect_file_error(path, analyze)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    expect_file_error(tmp_path / "nothing.stl", analyze, match="does not exist")
    folder = tmp_path / "folder.stl"
    os.mkdir(folder)
    expect_file_error(folder, analyze)


@pytest.mark.parametrize("uri", ["/dev/zero", "../../etc/passwd", "missing.bin"])
def test_gltf_buffer_outside_its_folder(tmp_path: Path, uri: str) -> None:
    path = tmp_path / "scene.gltf"
    path.write_text('{"asset": {"version": "2.0"}, "buffers": [{"byteLength": 12, "uri": "'
                    + uri + '"}]}')
    expect_file_error(path, analyze, match="not a file next to it")


def test_gltf_with_embedded_buffer_loads(tmp_path: Path) -> None:
    import trimesh

    scene = trimesh.Scene(trimesh.creation.box((10, 20, 30)))
    path = tmp_path / "box.gltf"
    path.write_bytes(trimesh.exchange.gltf.export_gltf(scene, embed_buffers=True)["model.gltf"])
    mesh = analyze(path).mesh
    assert mesh is not None and mesh.watertight
    # glTF without units is in metres (its specification): 6000 m³ in mm³
    assert mesh.volume_mm3 == pytest.approx(6000 * 1000**3)
    assert mesh.source_unit == "meters"


def test_zip_from_the_future(tmp_path: Path) -> None:
    """A central directory asking for a zip version Python cannot extract."""
    data = bytearray((SAMPLES / "eagle9-dallamcsengo-gerbers.zip").read_bytes())
    at = data.find(b"PK\x01\x02")
    data[at + 6:at + 8] = struct.pack("<H", 124)  # 'version needed to extract' 12.4
    path = tmp_path / "future.zip"
    path.write_bytes(bytes(data))
    expect_file_error(path, analyze)
