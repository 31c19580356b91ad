"""Helpers for `pyinstaller.spec`: what to bundle, what to strip, generated metadata.

Kept out of the spec so they can be read, linted and tested like the rest of the code.
Nothing here imports PyInstaller at module level except where a function needs it.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# --- Qt: only what the app uses -------------------------------------------------------

# PySide6 modules the app imports (ui/ and selftest; QtNetwork for the single-instance
# socket). Everything else is excluded.
QT_MODULES_USED = ("QtCore", "QtGui", "QtWidgets", "QtOpenGL", "QtOpenGLWidgets", "QtNetwork")
QT_MODULES_ALL = (
    "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender",
    "QtAxContainer", "QtBluetooth", "QtCanvasPainter", "QtCharts", "QtConcurrent", "QtDBus",
    "QtDataVisualization", "QtDesigner", "QtGraphs", "QtGraphsWidgets", "QtHelp",
    "QtHttpServer", "QtLocation", "QtMultimedia", "QtMultimediaWidgets", "QtNetwork",
    "QtNetworkAuth", "QtNfc", "QtPdf", "QtPdfWidgets", "QtPositioning", "QtPrintSupport",
    "QtQml", "QtQuick", "QtQuick3D", "QtQuickControls2", "QtQuickTest", "QtQuickWidgets",
    "QtRemoteObjects", "QtScxml", "QtSensors", "QtSerialBus", "QtSerialPort",
    "QtSpatialAudio", "QtSql", "QtStateMachine", "QtSvg", "QtSvgWidgets", "QtTest",
    "QtTextToSpeech", "QtUiTools", "QtWebChannel", "QtWebEngineCore", "QtWebEngineQuick",
    "QtWebEngineWidgets", "QtWebSockets", "QtWebView", "QtXml",
)

# Qt plugins kept, by plugin folder: file-name patterns (platform-neutral stems).
QT_PLUGINS_KEPT: dict[str, tuple[str, ...]] = {
    # xcb/wayland for Linux desktops, offscreen for --self-test and CI, cocoa, windows.
    "platforms": ("*qxcb*", "*qwayland*", "*qoffscreen*", "*qminimal.*", "*qcocoa*",
                  "*qwindows*", "*qdirect2d*"),
    # Not qgtk3: it drags in GTK, cairo and pango (~8 MB) for native file dialogs only.
    "platformthemes": ("*qxdgdesktopportal*",),
    "platforminputcontexts": ("*",),
    "xcbglintegrations": ("*",),
    "wayland-decoration-client": ("*",),
    "wayland-graphics-integration-client": ("*",),
    "wayland-shell-integration": ("*",),
    "imageformats": ("*qjpeg*", "*qico*", "*qgif*", "*qsvg*"),
    "iconengines": ("*qsvgicon*",),
    "styles": ("*",),
    "generic": ("*",),
    "accessiblebridge": ("*",),
}

# Python packages never used by the app that other packages import optionally.
EXCLUDED_MODULES = (
    "tkinter", "_tkinter", "turtle", "turtledemo", "idlelib", "lib2to3", "pydoc_data",
    "IPython", "matplotlib", "PIL", "pytest", "_pytest", "pytestqt", "hypothesis", "trustme",
    "mypy", "ruff", "importlinter", "grimp", "setuptools", "pkg_resources", "pip",
    "distutils", "PyInstaller", "numpy.distutils", "numpy.tests",
    "sympy", "shapely", "rtree", "pyglet", "embreex", "manifold3d", "fast_simplification",
    "vhacdx", "mapbox_earcut", "meshio", "xxhash", "jsonschema", "openctm", "collada",
    "gmsh", "pandas", "torch", "sklearn", "skimage", "psycopg2", "psycopg_c",
    # httpx's own command line (rich, pygments, markdown) and lxml parts nobody imports.
    "httpx._main", "rich", "pygments", "markdown_it", "mdurl",
    "lxml.objectify", "lxml.html", "lxml.isoschematron",
    *(f"PySide6.{name}" for name in QT_MODULES_ALL if name not in QT_MODULES_USED),
)

# Nothing the app runs needs scipy: the design checks use numpy only, and trimesh imports
# scipy optionally (its KD-tree, convex hull and sparse-graph paths, none used here).
NOT_BUNDLED = ("scipy",)
# The embedded local stack and what only it uses (its service worker with the task queue,
# Deno for the Edge Functions): bundled in the demo edition only. The service worker
# holds service-side code and must never reach a customer's machine.
LOCAL_STACK_MODULES = ("wyntek_localstack", "wyntek_service", "procrastinate", "deno",
                       "pgserver", "psycopg", "psycopg_binary", "psycopg_pool", "uvicorn",
                       "starlette", "bcrypt", "multipart", "python_multipart")

# Files inside collected packages that are never needed at run time.
DATA_EXCLUDED = (
    "*/tests/*", "*/test/*", "*/testing/*", "*.pyi", "*/py.typed",
    "PySide6/Qt/translations/*", "PySide6/Qt/metatypes/*", "PySide6/Qt/qml/*",
    "PySide6/include/*", "PySide6/typesystems/*", "PySide6/glue/*", "PySide6/doc/*",
    "PySide6/Qt/libexec/*", "shiboken6/*.pyi",
    "resources/licenses/*",  # bundled once, as `licenses/`
)
# Translations kept: the app is in English; Qt's own English catalogue only.
TRANSLATIONS_KEPT = ("qtbase_en.qm",)


def excluded_modules(local_stack: bool) -> list[str]:
    return [*EXCLUDED_MODULES, *NOT_BUNDLED, *(() if local_stack else LOCAL_STACK_MODULES)]


def _posix(dest: str) -> str:
    return str(PurePosixPath(Path(dest).as_posix()))


def is_unused_qt_plugin(dest: str) -> bool:
    """True for a collected Qt plugin file the app does not need."""
    parts = PurePosixPath(_posix(dest)).parts
    if "plugins" not in parts:
        return False
    at = parts.index("plugins")
    if len(parts) < at + 3:  # plugins/<folder>/<file>
        return False
    folder, name = parts[at + 1], parts[-1]
    patterns = QT_PLUGINS_KEPT.get(folder)
    if patterns is None:
        return True
    return not any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


def is_unused_data(dest: str) -> bool:
    path = _posix(dest)
    if fnmatch.fnmatch(path, "PySide6/Qt/translations/*"):
        return PurePosixPath(path).name not in TRANSLATIONS_KEPT
    return any(fnmatch.fnmatch(path, pattern) for pattern in DATA_EXCLUDED)


def _basename(dest: str) -> str:
    return PurePosixPath(_posix(dest)).name


def _linked_names(src: str) -> list[str]:
    from PyInstaller.depend import bindepend

    try:
        return [PurePosixPath(name.replace("\\", "/")).name
                for name, _ in bindepend.get_imports(src)]
    except Exception:  # not a binary PyInstaller can parse: it links nothing we collect
        return []


def _closure(starts: Iterable[str], sources: dict[str, list[str]]) -> set[str]:
    """Basenames of the collected binaries reachable by linking from `starts` (included).

    `sources` maps a basename to the source files collected under it (several extension
    modules share names such as `_core.*.so`; every one of them is followed).
    """
    seen: set[str] = set()
    pending = [name for name in starts if name in sources]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for src in sources[name]:
            pending += [dep for dep in _linked_names(src) if dep in sources]
    return seen


def filter_binaries(binaries: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Drop unused Qt plugins, then every library only they needed.

    PyInstaller collects every plugin of a type and then their dependencies: the PDF
    image-format plugin brings QtPdf and QtQml, the GTK theme brings GTK, cairo and
    pango. A library is removed only if a dropped plugin needs it and nothing kept
    needs it, so libraries collected for other reasons are never touched.
    """
    entries = list(binaries)
    dropped = {_basename(d) for d, _, kind in entries
               if kind != "SYMLINK" and is_unused_qt_plugin(d)}
    sources: dict[str, list[str]] = {}
    for dest, src, kind in entries:
        if kind != "SYMLINK":
            sources.setdefault(_basename(dest), []).append(src)
    only_for_dropped = _closure(dropped, sources)
    roots = [name for name in sources if name not in only_for_dropped]
    still_needed = _closure(roots, sources)
    removed = (only_for_dropped - still_needed) | dropped
    return [entry for entry in entries if _basename(entry[0]) not in removed
            and not (entry[2] == "SYMLINK" and _basename(entry[1]) in removed)]


def filter_datas(datas: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    return [entry for entry in datas if not is_unused_data(entry[0])]


# --- stripping ------------------------------------------------------------------------

# pgserver's programs find libpq through a patched RUNPATH and crash once stripped again;
# ICU's data library has nothing to strip. Everything else is stripped and checked.
NO_STRIP_PARTS = ("pgserver/", "pgserver.libs/", "libicudata")


def strip_binaries(binaries: Iterable[tuple[str, str, str]], workdir: Path
                   ) -> list[tuple[str, str, str]]:
    """Point ELF binaries at stripped copies (Linux), keeping any copy that would not load.

    Each copy is checked the way the dynamic loader checks it: every loadable segment's
    file offset must match its address modulo the alignment. Stripping breaks exactly that
    in some auditwheel-repaired libraries (numpy's OpenBLAS: "ELF load command
    address/offset not page-aligned"); such a file keeps the original.
    """
    if not sys.platform.startswith("linux") or shutil.which("strip") is None:
        return list(binaries)

    out = []
    for dest, src, kind in binaries:
        posix = _posix(dest)
        if kind not in ("BINARY", "EXTENSION") or any(p in posix for p in NO_STRIP_PARTS) \
                or not _is_elf(Path(src)):
            out.append((dest, src, kind))
            continue
        target = workdir / "stripped" / posix
        if not target.exists() or target.stat().st_mtime < Path(src).stat().st_mtime:
            target.parent.mkdir(parents=True, exist_ok=True)
            result = subprocess.run(["strip", "--strip-unneeded", "-o", str(target), src],
                                    capture_output=True, check=False)
            if result.returncode != 0 or not elf_segments_aligned(target):
                target.unlink(missing_ok=True)
        out.append((dest, str(target) if target.exists() else src, kind))
    return out


def _is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def elf_segments_aligned(path: Path) -> bool:
    """True if every PT_LOAD segment of a 64-bit little-endian ELF file is loadable."""
    import struct

    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return True  # not a 64-bit LE ELF: nothing to judge, keep as is
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for index in range(phnum):
        p_type, _flags, p_offset, p_vaddr, _paddr, _filesz, _memsz, p_align = \
            struct.unpack_from("<IIQQQQQQ", data, phoff + index * phentsize)
        if p_type == 1 and p_align > 1 and (p_vaddr - p_offset) % p_align:
            return False
    return True


# --- ICU data: the locales an English app uses ----------------------------------------

# Qt links ICU on Linux; its data library holds every locale, converter and
# transliterator (32 MB). The app is in English: the trimmed library keeps the root and
# English locale data, collation, break rules with their dictionaries, normalisation and
# IDNA tables, and drops other locales, legacy code-page converters (Qt converts UTF-8/16
# and Latin-1 itself), transliterators, Unicode names and spoof-check data (~25 MB).
ICU_DROPPED_SUFFIXES = (".cnv",)
ICU_DROPPED_ITEMS = ("confusables.cfu", "unames.icu")
ICU_DROPPED_FOLDERS = ("translit",)
ICU_LOCALE_FOLDERS = ("", "curr", "lang", "region", "unit", "zone", "coll", "brkitr", "rbnf")
ICU_LOCALES_KEPT = ("en",)
_ICU_LOCALE = re.compile(r"[a-z]{2,3}(_[A-Za-z0-9]*)*")
_ICU_LIBRARY = re.compile(r"libicudata\.so\.(\d+)$")


def icu_item_kept(item: str) -> bool:
    """Whether an item of ICU's data package (e.g. ``coll/de.res``) stays in the bundle."""
    folder, _, name = item.rpartition("/")
    if folder in ICU_DROPPED_FOLDERS or name in ICU_DROPPED_ITEMS \
            or name.endswith(ICU_DROPPED_SUFFIXES):
        return False
    stem, dot, suffix = name.rpartition(".")
    if dot and suffix == "res" and folder in ICU_LOCALE_FOLDERS and _ICU_LOCALE.fullmatch(stem):
        language = stem.split("_", 1)[0]
        return language in ICU_LOCALES_KEPT
    return True


def trim_icu_data(binaries: Iterable[tuple[str, str, str]], workdir: Path
                  ) -> list[tuple[str, str, str]]:
    """Point ``libicudata.so.N`` at a rebuilt copy holding only the kept items (Linux).

    Needs ICU's ``icupkg`` and ``genccode`` (Debian ``icu-devtools``) and a C compiler;
    without them, or if any step fails, the original library stays and the size check
    of the build says so."""
    entries = list(binaries)
    if not sys.platform.startswith("linux"):
        return entries
    out = []
    for dest, src, kind in entries:
        match = _ICU_LIBRARY.search(_basename(dest))
        if match and kind != "SYMLINK":
            try:
                src = str(_rebuild_icu_data(Path(src), match.group(1), workdir / "icu"))
            except (OSError, subprocess.SubprocessError, ValueError) as exc:
                print(f"build_support: ICU data kept whole ({exc})", file=sys.stderr)
        out.append((dest, src, kind))
    return out


def _rebuild_icu_data(library: Path, version: str, workdir: Path) -> Path:
    for tool in ("icupkg", "genccode", "cc"):
        if shutil.which(tool) is None:
            raise ValueError(f"{tool} is not installed")
    symbol = f"icudt{version}_dat"
    target = workdir / library.name
    if target.exists() and target.stat().st_mtime >= library.stat().st_mtime:
        return target
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    package = workdir / f"icudt{version}l.dat"
    package.write_bytes(_elf_symbol_bytes(library, symbol))
    listed = subprocess.run(["icupkg", "-l", str(package)], capture_output=True, text=True,
                            check=True).stdout.split()
    removed = workdir / "removed.txt"
    removed.write_text("".join(f"{item}\n" for item in listed if not icu_item_kept(item)))
    subprocess.run(["icupkg", "-r", str(removed), str(package)], cwd=workdir,
                   capture_output=True, check=True)
    subprocess.run(["genccode", "-a", "gcc", "-e", f"icudt{version}", "-d", str(workdir),
                    str(package)], capture_output=True, check=True)
    assembly = workdir / f"{package.stem}_dat.S"
    subprocess.run(["cc", "-shared", "-nostdlib", "-o", str(target),
                    f"-Wl,-soname,{library.name}", "-Wl,-z,noexecstack", str(assembly)],
                   capture_output=True, check=True)
    return target


def _elf_symbol_bytes(path: Path, symbol: str) -> bytes:
    """The bytes of a defined symbol of a 64-bit little-endian ELF shared library."""
    import struct

    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError(f"{path.name} is not a 64-bit little-endian ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                for i in range(shnum)]
    for _name, sh_type, _flags, _addr, offset, size, link, _info, _align, entsize in sections:
        if sh_type != 11:  # SHT_DYNSYM
            continue
        strtab = sections[link]
        for at in range(offset, offset + size, entsize):
            st_name, _st_info, _other, shndx, value, st_size = struct.unpack_from(
                "<IBBHQQ", data, at)
            start = strtab[4] + st_name
            name = data[start:data.index(b"\0", start)].decode()
            if name == symbol:
                section = sections[shndx]
                file_offset = section[4] + value - section[3]
                return data[file_offset:file_offset + st_size]
    raise ValueError(f"{path.name} does not define {symbol}")


# --- pgserver's PostgreSQL ------------------------------------------------------------

# What the local stack runs: initdb and pg_ctl start `postgres`; nothing else.
PG_PROGRAMS = ("postgres", "initdb", "pg_ctl", "pg_isready")


def pgserver_datas() -> list[tuple[str, str]]:
    """The PostgreSQL install inside the pgserver wheel, minus headers and client tools.

    The server needs no libpq; the programs that do (initdb) link `pgserver.libs/`.

    Collected as data (not binaries) so the relative layout the programs rely on
    (`bin/../lib`, `bin/../share`, `../../../pgserver.libs`) stays exactly as installed.
    """
    import importlib.util

    spec = importlib.util.find_spec("pgserver")  # not imported: importing it starts work
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pgserver is not installed: install the app with its [localstack] extra")
    package = Path(next(iter(spec.submodule_search_locations))).resolve()
    install = package / "pginstall"
    exe = ".exe" if sys.platform == "win32" else ""
    datas: list[tuple[str, str]] = []
    for program in PG_PROGRAMS:
        path = install / "bin" / f"{program}{exe}"
        if path.exists():
            datas.append((str(path), "pgserver/pginstall/bin"))
    if sys.platform == "win32":  # DLLs live beside the programs on Windows
        datas += [(str(p), "pgserver/pginstall/bin") for p in (install / "bin").glob("*.dll")]
    lib = install / "lib"
    for path in lib.rglob("*"):
        if path.is_file() and path.suffix not in (".a", ".pc", ".lib") \
                and "pgxs" not in path.parts \
                and not path.name.startswith(("libecpg", "libpgtypes", "libpq")):
            datas.append((str(path), str(Path("pgserver/pginstall") / path.parent.relative_to(
                install))))
    share = install / "share"
    for path in share.rglob("*"):
        if path.is_file():
            datas.append((str(path), str(Path("pgserver/pginstall") / path.parent.relative_to(
                install))))
    # The repaired wheel's own copies of libpq for the programs: auditwheel (Linux) puts
    # them beside the package, delocate (macOS) inside it.
    for libs, dest in ((package.parent / "pgserver.libs", "pgserver.libs"),
                       (package / ".dylibs", "pgserver/.dylibs")):
        if libs.is_dir():
            datas += [(str(p), dest) for p in libs.iterdir() if p.is_file()]
    return datas


# --- licences -------------------------------------------------------------------------

def stage_licences(target: Path, extras: frozenset[str] | None = None,
                   left_out: frozenset[str] = frozenset()) -> Path:
    """Write the bundle's `licenses/` folder: texts of every component and the list the
    About dialog shows (`components.json`). Runs from source, so each text is copied from
    where it is installed (dist-info folders, `resources/licenses/common/`, the
    interpreter's LICENSE.txt)."""
    sys.path.insert(0, str(ROOT))
    from wyntek_desktop.distribution import about

    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    components = about.collect_components(
        about.BUNDLED_EXTRAS if extras is None else extras, left_out)
    missing = []
    for component in components:
        for name in component.licence_files:
            source = about.resolve_licence_file(name)  # from source: the installed file
            if source is None or not source.is_file():
                missing.append(f"{component.name}: {name}")
                continue
            dest = target / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest)
    if missing:
        raise SystemExit("licence texts missing from the bundle: " + "; ".join(missing))
    (target / about.COMPONENTS_FILE).write_text(
        json.dumps([c.to_dict() for c in components], indent=1), "utf-8")
    return target


# --- Windows version resource and macOS Info.plist --------------------------------------

def version_tuple(version: str) -> tuple[int, int, int, int]:
    import re

    numbers = [int(match.group()) if (match := re.match(r"\d+", part)) else 0
               for part in version.split(".")[:4]]
    return tuple([*numbers, 0, 0, 0, 0][:4])  # type: ignore[return-value]


def write_windows_version_info(path: Path, exe_name: str, description: str) -> Path:
    """A version resource (PyInstaller's `VSVersionInfo` text form) for one executable."""
    from wyntek_desktop.distribution import about

    numbers = version_tuple(about.version())
    fields = {
        "CompanyName": about.PUBLISHER, "FileDescription": description,
        "FileVersion": about.version(), "InternalName": exe_name,
        "LegalCopyright": about.COPYRIGHT, "OriginalFilename": f"{exe_name}.exe",
        "ProductName": about.DISPLAY_NAME, "ProductVersion": about.version(),
    }
    strings = ",\n".join(f"          StringStruct({key!r}, {value!r})"
                         for key, value in fields.items())
    text = f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={numbers}, prodvers={numbers}, mask=0x3f, flags=0x0,
                    OS=0x40004, fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[
    StringFileInfo([
      StringTable('040904B0', [
{strings}
      ])
    ]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


# File types the app opens, for the macOS Finder ("Open with WYNTEK Desktop").
DOCUMENT_TYPES = (
    ("3D model", ("stl", "obj", "ply", "off", "3mf", "glb", "gltf")),
    ("STEP model", ("step", "stp")),
    ("Gerber archive", ("zip",)),
)


def info_plist() -> dict[str, object]:
    from wyntek_desktop.distribution import about

    return {
        "CFBundleName": about.DISPLAY_NAME,
        "CFBundleDisplayName": about.DISPLAY_NAME,
        "CFBundleIdentifier": about.BUNDLE_ID,
        "CFBundleShortVersionString": about.version(),
        "CFBundleVersion": about.version(),
        "NSHumanReadableCopyright": about.COPYRIGHT,
        "NSHighResolutionCapable": True,
        "NSRequiresAquaSystemAppearance": False,  # follow the system's dark mode
        "LSMinimumSystemVersion": "11.0",
        "LSApplicationCategoryType": "public.app-category.productivity",
        "CFBundleDocumentTypes": [
            {"CFBundleTypeName": name, "CFBundleTypeRole": "Viewer",
             "LSHandlerRank": "Alternate", "CFBundleTypeExtensions": list(exts)}
            for name, exts in DOCUMENT_TYPES
        ],
    }


def directory_size(path: Path) -> int:
    """Bytes of all files below `path` (symlinks not followed, not counted twice)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
