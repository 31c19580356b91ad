"""The spec's helpers: what is kept, what is stripped, generated metadata and icons."""

from __future__ import annotations

import os
import plistlib
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.isolation import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "packaging"))
import build_support as bs
import entry_common
import make_icons

QT = "PySide6/Qt/plugins"


@pytest.mark.parametrize(("dest", "unused"), [
    (f"{QT}/platforms/libqxcb.so", False),
    (f"{QT}/platforms/libqoffscreen.so", False),
    (f"{QT}/platforms/libqwayland.so", False),
    (f"{QT}/platforms/qwindows.dll", False),
    (f"{QT}/platforms/libqeglfs.so", True),
    (f"{QT}/platforms/libqvnc.so", True),
    (f"{QT}/platformthemes/libqgtk3.so", True),
    (f"{QT}/imageformats/libqsvg.so", False),
    (f"{QT}/imageformats/libqpdf.so", True),
    (f"{QT}/imageformats/libqtiff.so", True),
    (f"{QT}/iconengines/libqsvgicon.so", False),
    (f"{QT}/sqldrivers/libqsqlite.so", True),
    ("PySide6/Qt/lib/libQt6Core.so.6", False),  # not a plugin: decided by linking
    ("numpy/_core/_multiarray_umath.so", False),
])
def test_qt_plugin_selection(dest: str, unused: bool) -> None:
    assert bs.is_unused_qt_plugin(dest) is unused


@pytest.mark.parametrize(("dest", "unused"), [
    ("PySide6/Qt/translations/qtbase_de.qm", True),
    ("PySide6/Qt/translations/qtbase_en.qm", False),
    ("PySide6/Qt/qml/QtQuick/qmldir", True),
    ("scipy/sparse/tests/data/x.npz", True),
    ("numpy/__init__.pyi", True),
    ("resources/licenses/common/LGPL-3.0.txt", True),  # bundled once, as licenses/
    ("resources/icons/app.svg", False),
    ("trimesh/resources/templates/blender_boolean.py.tmpl", False),
    ("supabase/migrations/0001_schema.sql", False),
])
def test_data_selection(dest: str, unused: bool) -> None:
    assert bs.is_unused_data(dest) is unused


@pytest.mark.parametrize("local_stack", [False, True])
def test_excluded_modules_keep_what_the_app_imports(local_stack: bool) -> None:
    excluded = set(bs.excluded_modules(local_stack))
    for used in bs.QT_MODULES_USED:
        assert f"PySide6.{used}" not in excluded
    assert {"PySide6.QtWebEngineCore", "PySide6.QtQml", "PySide6.QtQuick",
            "PySide6.QtMultimedia", "PySide6.QtPdf", "scipy"} <= excluded
    assert not excluded & {"networkx", "lxml.etree", "cascadio", "keyring", "httpx",
                           "cryptography", "jwt", "supabase"}
    stack = {"wyntek_localstack", "wyntek_service", "procrastinate", "pgserver", "uvicorn",
             "psycopg", "bcrypt"}
    assert not excluded & stack if local_stack else stack <= excluded


def test_nothing_the_app_runs_imports_scipy() -> None:
    """The build leaves scipy out: the app's own code must not import it."""
    sources = (REPO_ROOT / "wyntek_desktop").rglob("*.py")
    offenders = [str(path.relative_to(REPO_ROOT)) for path in sources
                 if re.search(r"^\s*(from|import)\s+scipy\b", path.read_text("utf-8"), re.M)]
    assert offenders == []


def test_ui_imports_only_the_bundled_qt_modules() -> None:
    used = set()
    for path in (REPO_ROOT / "wyntek_desktop").rglob("*.py"):
        for line in path.read_text("utf-8").splitlines():
            words = line.replace(",", " ").split()
            if len(words) >= 2 and words[0] in ("from", "import") \
                    and words[1].startswith("PySide6."):
                used.add(words[1].split(".")[1])
            if words[:2] == ["from", "PySide6"] and "import" in words:
                used.update(w for w in words[words.index("import") + 1:] if w.startswith("Qt"))
    assert used <= set(bs.QT_MODULES_USED), used - set(bs.QT_MODULES_USED)


def test_pruning_drops_libraries_only_dropped_plugins_need() -> None:
    lib = REPO_ROOT / ".venv/lib/python3.11/site-packages/PySide6/Qt"
    if not (lib / "plugins/imageformats/libqpdf.so").is_file():
        pytest.skip("needs the Linux PySide6 wheel")
    entries = [
        (f"{QT}/imageformats/libqpdf.so", str(lib / "plugins/imageformats/libqpdf.so"), "BINARY"),
        (f"{QT}/imageformats/libqsvg.so", str(lib / "plugins/imageformats/libqsvg.so"), "BINARY"),
        ("PySide6/Qt/lib/libQt6Pdf.so.6", str(lib / "lib/libQt6Pdf.so.6"), "BINARY"),
        ("PySide6/Qt/lib/libQt6Svg.so.6", str(lib / "lib/libQt6Svg.so.6"), "BINARY"),
        ("PySide6/Qt/lib/libQt6Gui.so.6", str(lib / "lib/libQt6Gui.so.6"), "BINARY"),
        ("libQt6Pdf.so.6", "PySide6/Qt/lib/libQt6Pdf.so.6", "SYMLINK"),
    ]
    kept = {dest for dest, _, _ in bs.filter_binaries(entries)}
    assert kept == {f"{QT}/imageformats/libqsvg.so", "PySide6/Qt/lib/libQt6Svg.so.6",
                    "PySide6/Qt/lib/libQt6Gui.so.6"}


def elf_with_segment(offset: int, vaddr: int, align: int = 0x1000) -> bytes:
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<Q", header, 0x20, 64)  # program headers right after the header
    struct.pack_into("<HH", header, 0x36, 56, 1)
    phdr = struct.pack("<IIQQQQQQ", 1, 5, offset, vaddr, vaddr, 16, 16, align)
    return bytes(header) + phdr


def test_elf_alignment_check_matches_the_loaders_rule(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.so", tmp_path / "bad.so"
    good.write_bytes(elf_with_segment(0x2000, 0x402000))
    bad.write_bytes(elf_with_segment(0x2010, 0x402000))
    assert bs.elf_segments_aligned(good)
    assert not bs.elf_segments_aligned(bad)


def test_stripped_copies_still_load(tmp_path: Path) -> None:
    import importlib.util
    import subprocess

    spec = importlib.util.find_spec("multidict._multidict")
    assert spec is not None and spec.origin
    [(_, src, _)] = bs.strip_binaries([("multidict/_multidict.so", spec.origin, "EXTENSION")],
                                      tmp_path)
    assert src != spec.origin and bs.elf_segments_aligned(Path(src))
    assert Path(src).stat().st_size < Path(spec.origin).stat().st_size
    load = ("import importlib.util as u, sys; s = u.spec_from_file_location("
            "'multidict._multidict', sys.argv[1]); m = u.module_from_spec(s); "
            "s.loader.exec_module(m); print(m.MultiDict(a=1)['a'])")
    out = subprocess.run([sys.executable, "-c", load, src], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "1"
    untouched = bs.strip_binaries([("pgserver.libs/libpq.so", spec.origin, "BINARY")],
                                  tmp_path)
    assert untouched[0][1] == spec.origin  # pgserver's libraries are never stripped


def test_pgserver_bundle_has_the_programs_and_no_headers() -> None:
    dests = {(Path(src).name, dest) for src, dest in bs.pgserver_datas()}
    names = {name for name, _ in dests}
    assert {"postgres", "initdb", "pg_ctl", "postgres.bki"} <= names
    assert not any(name.endswith((".h", ".a")) for name in names)
    assert ("postgres", "pgserver/pginstall/bin") in dests


def test_windows_version_info_is_a_valid_version_resource(tmp_path: Path) -> None:
    """PyInstaller evaluates the file with its versioninfo classes (Windows only); here the
    same expression is evaluated with recording stand-ins for those classes."""
    names = ("VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable",
             "StringStruct", "VarFileInfo", "VarStruct")

    def recorder(name: str) -> object:
        return lambda *args, **kwargs: (name, args, kwargs)

    path = bs.write_windows_version_info(tmp_path / "v.txt", "wyntek", "WYNTEK Desktop CLI")
    tree = eval(path.read_text("utf-8"), {n: recorder(n) for n in names})
    assert tree[0] == "VSVersionInfo"
    fixed = tree[2]["ffi"][2]
    assert fixed["filevers"] == fixed["prodvers"] == (0, 1, 0, 0)
    strings = {entry[1][0]: entry[1][1] for entry in tree[2]["kids"][0][1][0][0][1][1]}
    assert strings["OriginalFilename"] == "wyntek.exe"
    assert strings["ProductVersion"] == "0.1.0"
    assert strings["CompanyName"] == "WYNTEK"
    assert bs.version_tuple("1.2.3rc1") == (1, 2, 3, 0)


def test_info_plist_is_valid_and_names_the_bundle() -> None:
    plist = plistlib.loads(plistlib.dumps(bs.info_plist()))
    assert plist["CFBundleIdentifier"] == "com.wyntek.desktop"
    assert plist["CFBundleShortVersionString"] == "0.1.0"
    extensions = {e for t in plist["CFBundleDocumentTypes"] for e in t["CFBundleTypeExtensions"]}
    assert {"stl", "step", "3mf", "obj"} <= extensions


def test_committed_icons_are_well_formed() -> None:
    folder = REPO_ROOT / "resources" / "app"
    png = folder / "wyntek-256.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png.read_bytes()[16:24]) == (256, 256)
    ico = (folder / "wyntek.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", ico)
    assert (reserved, kind, count) == (0, 1, len(make_icons.ICO_SIZES))
    for index in range(count):
        *_, size, offset = struct.unpack_from("<BBBBHHII", ico, 6 + 16 * index)
        assert ico[offset:offset + 8] == b"\x89PNG\r\n\x1a\n" and offset + size <= len(ico)
    icns = (folder / "wyntek.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)


def test_icon_containers_hold_what_they_are_given() -> None:
    pngs = {size: b"\x89PNG\r\n\x1a\n" + bytes([size % 251]) * size for size in (16, 32, 256)}
    ico = make_icons.ico(pngs)
    assert struct.unpack_from("<H", ico, 4)[0] == 3
    assert ico[6] == 16 and ico[6 + 32] == 0  # 256 is written as 0
    icns = make_icons.icns(pngs)
    assert b"icp4" in icns and b"ic08" in icns and b"ic10" not in icns


def test_frozen_programs_answer_python_dash_m_for_the_local_stack(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert entry_common.run_module_request(["wyntek", "analyze", "x.stl"]) is None
    assert entry_common.run_module_request(["wyntek", "-m", "http.server"]) == 2
    assert "cannot run module" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:  # argparse: --help prints usage and exits 0
        entry_common.run_module_request(["wyntek", "-m", "wyntek_localstack", "--help"])
    assert exc.value.code == 0
    assert "serve" in capsys.readouterr().out


def test_frozen_programs_answer_python_dash_m_for_the_step_converter(tmp_path: Path) -> None:
    from wyntek_desktop.distribution import selftest

    source, target = tmp_path / "box.step", tmp_path / "box.glb"
    source.write_bytes(selftest.box_step(10.0))
    argv = ["wyntek", "-m", "wyntek_desktop.design._step_worker", str(source), str(target),
            str(2 * 1024**3)]
    # In a child process: the converter limits its own address space, which must never
    # happen to the test runner (threads could no longer be started).
    code = ("import sys, entry_common; "
            f"sys.exit(entry_common.run_module_request({argv!r}))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO_ROOT / "packaging"), str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert target.read_bytes()[:4] == b"glTF"


@pytest.mark.parametrize(("item", "kept"), [
    ("root.res", True), ("en.res", True), ("en_GB.res", True), ("pool.res", True),
    ("de.res", False), ("zh_Hant_TW.res", False), ("coll/en.res", True),
    ("coll/de_.res", False), ("coll/ucadata.icu", True), ("brkitr/line.brk", True),
    ("brkitr/cjdict.dict", True), ("ibm-943_P15A-2003.cnv", False), ("cnvalias.icu", True),
    ("translit/root.res", False), ("unames.icu", False), ("uts46.nrm", True),
    ("supplementalData.res", True), ("zone/en_AU.res", True), ("zone/fr.res", False),
])
def test_icu_data_keeps_the_english_and_shared_items(item: str, kept: bool) -> None:
    assert bs.icu_item_kept(item) is kept


def test_elf_symbol_bytes_reads_a_defined_symbol(tmp_path: Path) -> None:
    if sys.platform != "linux" or shutil.which("cc") is None:
        pytest.skip("needs a C compiler on Linux")
    source = tmp_path / "data.c"
    source.write_text('const char icudt99_dat[] = "hello, data";\n')
    library = tmp_path / "libdata.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    assert bs._elf_symbol_bytes(library, "icudt99_dat") == b"hello, data\0"
    with pytest.raises(ValueError, match="does not define"):
        bs._elf_symbol_bytes(library, "icudt98_dat")


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="needs desktop-file-utils (installed by dev.sh)")
def test_linux_share_tree_has_a_valid_entry_icons_and_mime_types(tmp_path: Path) -> None:
    import linux_package

    linux_package.stage_share(tmp_path / "share")
    entry = tmp_path / "share" / "applications" / "wyntek-desktop.desktop"
    proc = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout == "", proc.stdout + proc.stderr
    assert "Exec=wyntek-desktop %F" in entry.read_text()
    for size in linux_package.ICON_SIZES:
        assert (tmp_path / f"share/icons/hicolor/{size}x{size}/apps/wyntek-desktop.png").is_file()
    if shutil.which("update-mime-database"):
        # The MIME file compiles, and STEP files get our type by name.
        mime = tmp_path / "share" / "mime"
        subprocess.run(["update-mime-database", str(mime)], check=True, capture_output=True)
        globs = (mime / "globs2").read_text()
        assert "model/step:*.stp" in globs and "application/x-gerber-archive:*gerber*.zip" in globs
