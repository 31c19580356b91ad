"""What `wyntek-desktop --version` and the About dialog show.

Plain data and functions (no Qt): the version, the components shipped with the app and
their licences (SPDX identifiers, read from the installed distributions' metadata), and
where the app keeps its settings, data, cache and logs.

In the frozen app the component list is the one written at build time
(`licenses/components.json` inside the bundle, next to the licence texts); from a
source checkout it is read live from the installed distributions.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from wyntek_desktop import APP_NAME, __version__

DISPLAY_NAME = "WYNTEK Desktop"
BUNDLE_ID = "com.wyntek.desktop"
PUBLISHER = "WYNTEK"
COPYRIGHT = "Copyright (c) 2026 WYNTEK"
# The project's own distribution name and the extras shipped in the desktop bundle.
DISTRIBUTION = "wyntek-desktop"
BUNDLED_EXTRAS = frozenset({"localstack"})
COMPONENTS_FILE = "components.json"

# Trove classifiers some distributions still use instead of an SPDX expression.
_CLASSIFIER_SPDX = {
    "MIT License": "MIT",
    "BSD License": "BSD-3-Clause",
    "Apache Software License": "Apache-2.0",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "Python Software Foundation License": "PSF-2.0",
    "ISC License (ISCL)": "ISC",
}
# Free-text `License:` fields seen in the bundled distributions, mapped to SPDX.
_TEXT_SPDX = {
    "the mit license (mit)": "MIT",
    "apache 2": "Apache-2.0",
    "apache 2.0": "Apache-2.0",
    "bsd": "BSD-3-Clause",
}
# Opening words of a licence file, for distributions that declare nothing in metadata.
_TEXT_PREFIX_SPDX = (
    ("Apache License Version 2.0", "Apache-2.0"),
    ("The MIT License", "MIT"),
    ("MIT License", "MIT"),
)
_SUPABASE_NOTE = "Part of the supabase-py project; the distribution ships no licence file."
_QT_NOTE = "The wheel ships no licence file; the LGPLv3 texts apply."
# Distributions that ship no licence file: the text that covers them in the bundle.
_SHARED_TEXTS: dict[str, tuple[tuple[str, ...], str]] = {
    **{name: (("supabase/licenses/LICENSE",), _SUPABASE_NOTE)
       for name in ("postgrest", "realtime", "storage3", "supabase-auth", "supabase-functions")},
    **{name: (("common/LGPL-3.0.txt", "common/GPL-3.0.txt"), _QT_NOTE)
       for name in ("pyside6-essentials", "shiboken6")},
}
_SPDX_TOKEN = re.compile(r"^[A-Za-z0-9.+-]+$")
_LICENCE_NAME = re.compile(r"(licen[cs]e|copying|notice|copyright|authors)", re.IGNORECASE)


@dataclass(frozen=True)
class Component:
    """One thing shipped inside the app, as a person reading the About box sees it."""

    name: str
    version: str
    spdx: str
    # Where the full licence texts are: relative to the licences folder of the bundle.
    licence_files: tuple[str, ...] = ()
    # The Python distribution that ships it ("" for the app's own runtime, e.g. Python).
    distribution: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["licence_files"] = list(self.licence_files)
        return data


@dataclass(frozen=True)
class NativeComponent:
    """A non-Python library shipped inside a wheel, with its own licence."""

    name: str
    distribution: str
    spdx: str
    common_texts: tuple[str, ...]
    note: str = ""


# Libraries inside wheels whose licence is not the wheel's own. Their full texts are in
# the project's `resources/licenses/` (the wheels do not ship them).
NATIVE_COMPONENTS: tuple[NativeComponent, ...] = (
    NativeComponent("Qt 6", "pyside6-essentials", "LGPL-3.0-only",
                    ("LGPL-3.0.txt", "GPL-3.0.txt"),
                    "Qt libraries and plugins, dynamically linked, replaceable in the app folder."),
    NativeComponent("PostgreSQL", "pgserver", "PostgreSQL", ("PostgreSQL.txt",),
                    "Server binaries used by the embedded local stack."),
    NativeComponent("Open CASCADE Technology", "cascadio",
                    "LGPL-2.1-only WITH OCCT-exception-1.0", ("LGPL-2.1.txt",),
                    "STEP import; shared libraries, replaceable in the app folder."),
)


@dataclass(frozen=True)
class AppFolders:
    config: Path
    data: Path
    cache: Path
    logs: Path

    def to_dict(self) -> dict[str, str]:
        return {key: str(value) for key, value in asdict(self).items()}


@dataclass
class AboutInfo:
    name: str
    version: str
    bundle_id: str
    copyright: str
    frozen: bool
    python: str
    platform: str
    folders: AppFolders
    licences_folder: Path
    components: list[Component] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": self.version,
            "bundle_id": self.bundle_id,
            "copyright": self.copyright,
            "frozen": self.frozen,
            "python": self.python,
            "platform": self.platform,
            "folders": self.folders.to_dict(),
            "licences_folder": str(self.licences_folder),
            "components": [c.to_dict() for c in self.components],
        }


def version() -> str:
    return __version__


def version_line() -> str:
    """What `wyntek-desktop --version` prints."""
    return f"{APP_NAME} {__version__}"


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def bundle_root() -> Path | None:
    """The folder holding the frozen app's files, or None when running from source."""
    root = getattr(sys, "_MEIPASS", None)
    return Path(root) if root else None


def resources_folder() -> Path:
    """`resources/` of the project, wherever the app runs from."""
    root = bundle_root()
    if root is not None:
        return root / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def licences_folder() -> Path:
    """Where the full licence texts are: the bundle's `licenses/`, or `resources/licenses/`."""
    root = bundle_root()
    if root is not None:
        return root / "licenses"
    return resources_folder() / "licenses"


def app_folders() -> AppFolders:
    """The folders the app reads and writes: the core's own, so frozen and source agree."""
    from wyntek_desktop.core.appdirs import AppDirs

    dirs = AppDirs.default()
    return AppFolders(config=dirs.config, data=dirs.data, cache=dirs.cache, logs=dirs.log)


def about_info() -> AboutInfo:
    return AboutInfo(
        name=DISPLAY_NAME, version=__version__, bundle_id=BUNDLE_ID, copyright=COPYRIGHT,
        frozen=is_frozen(), python=sys.version.split()[0], platform=sys.platform,
        folders=app_folders(), licences_folder=licences_folder(), components=components(),
    )


def licence_text_paths(component: Component) -> list[Path]:
    """The files holding a component's full licence texts on this machine (for links).

    Frozen: inside the bundle's `licenses/`. From source: `resources/licenses/common/`,
    the interpreter's own licence, or the distribution's installed licence files.
    """
    found = []
    for name in component.licence_files:
        path = resolve_licence_file(name)
        if path is not None and path.is_file():
            found.append(path)
    return found


def resolve_licence_file(name: str) -> Path | None:
    """Where the licence file a component lists (bundle-relative `name`) is right now."""
    if is_frozen() or name.startswith("common/"):
        return licences_folder() / name
    if name == "python/LICENSE.txt":
        import sysconfig

        return Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt"
    return _installed_licence_files(name.split("/", 1)[0]).get(name)


@functools.lru_cache(maxsize=256)
def _installed_licence_files(dist_name: str) -> dict[str, Path]:
    """Bundle name -> installed file, for one distribution (reading RECORD once)."""
    try:
        dist = metadata.distribution(dist_name)
    except metadata.PackageNotFoundError:
        return {}
    return {bundle_licence_name(dist_name, path): path for path in licence_paths(dist)}


def components() -> list[Component]:
    """The bundled components: the build-time list when frozen, else the live one."""
    written = licences_folder() / COMPONENTS_FILE
    if is_frozen() and written.is_file():
        return load_components(written)
    from wyntek_desktop.distribution import edition

    current = edition.current()
    if current is not None:
        return collect_components(current.extras, current.left_out)
    return collect_components()


def load_components(path: Path) -> list[Component]:
    rows = json.loads(path.read_text("utf-8"))
    return [Component(name=row["name"], version=row["version"], spdx=row["spdx"],
                      licence_files=tuple(row.get("licence_files", ())),
                      distribution=row.get("distribution", ""), note=row.get("note", ""))
            for row in rows]


def collect_components(extras: frozenset[str] = BUNDLED_EXTRAS,
                       left_out: frozenset[str] = frozenset()) -> list[Component]:
    """Every runtime distribution of the app (with the bundled extras, without those
    left out), plus Python and the native libraries shipped inside wheels, by name."""
    found = [_python_component()]
    names = runtime_distributions(extras=extras) - left_out
    for name in names:
        found.append(_distribution_component(name))
    for native in NATIVE_COMPONENTS:
        if native.distribution in names:
            found.append(_native_component(native))
    return sorted(found, key=lambda c: c.name.lower())


def runtime_distributions(root: str = DISTRIBUTION,
                          extras: frozenset[str] = BUNDLED_EXTRAS) -> set[str]:
    """Normalised names of the installed distributions `root` needs at run time."""
    from packaging.requirements import Requirement

    seen: set[str] = set()
    pending: list[tuple[str, frozenset[str]]] = [(root, extras)]
    while pending:
        name, wanted = pending.pop()
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            req = Requirement(line)
            if req.marker is not None and not _marker_holds(req.marker, wanted):
                continue
            dep = _normalise(req.name)
            if dep in seen or not _installed(dep):
                continue
            seen.add(dep)
            pending.append((dep, frozenset(req.extras)))
    return seen


def spdx_of(dist: metadata.Distribution) -> str:
    """The distribution's licence as an SPDX expression ("" when it does not say)."""
    meta = dist.metadata
    expression = _field(meta, "License-Expression")
    if expression:
        return expression
    text = _field(meta, "License")
    first_line = text.splitlines()[0].strip() if text else ""
    if first_line.lower() in _TEXT_SPDX:
        return _TEXT_SPDX[first_line.lower()]
    if first_line and all(_SPDX_TOKEN.match(tok) for tok in first_line.split()
                          if tok not in ("AND", "OR", "WITH", "(", ")")):
        return first_line
    for classifier in meta.get_all("Classifier") or []:
        if classifier.startswith("License ::"):
            spdx = _CLASSIFIER_SPDX.get(classifier.rsplit(" :: ", 1)[-1])
            if spdx:
                return spdx
    return ""


def _field(meta: metadata.PackageMetadata, name: str) -> str:
    values = meta.get_all(name) or []
    return str(values[0]).strip() if values else ""


def licence_paths(dist: metadata.Distribution) -> list[Path]:
    """The licence/notice files a distribution installed (in its dist-info folder)."""
    paths = []
    for item in dist.files or []:
        parts = Path(str(item)).parts
        if not parts or not parts[0].endswith(".dist-info"):
            continue
        if _LICENCE_NAME.search(Path(str(item)).name) or "licenses" in parts:
            path = Path(str(dist.locate_file(item)))
            if path.is_file():
                paths.append(path)
    return sorted(paths)


def bundle_licence_name(dist_name: str, path: Path) -> str:
    """Where a distribution's licence file goes inside the bundle's `licenses/` folder."""
    parts = path.parts
    index = next((i for i, part in enumerate(parts) if part.endswith(".dist-info")), None)
    relative = parts[index + 1:] if index is not None else (path.name,)
    return "/".join((dist_name, *relative))


def _distribution_component(name: str) -> Component:
    dist = metadata.distribution(name)
    paths = licence_paths(dist)
    files = tuple(bundle_licence_name(name, path) for path in paths)
    spdx = spdx_of(dist) or _sniff_licence(paths)
    note = ""
    if not files and name in _SHARED_TEXTS:
        files, note = _SHARED_TEXTS[name]
    return Component(name=dist.metadata["Name"], version=dist.version, spdx=spdx,
                     licence_files=files, distribution=name, note=note)


def _sniff_licence(paths: list[Path]) -> str:
    """SPDX id from the licence file itself, for distributions whose metadata is silent."""
    for path in paths:
        head = " ".join(path.read_text("utf-8", "replace")[:300].split())
        for prefix, spdx in _TEXT_PREFIX_SPDX:
            if head.startswith(prefix):
                return spdx
    return ""


def _native_component(native: NativeComponent) -> Component:
    files = tuple(f"common/{text}" for text in native.common_texts)
    return Component(name=native.name, version=_native_version(native), spdx=native.spdx,
                     licence_files=files, distribution=native.distribution, note=native.note)


def _native_version(native: NativeComponent) -> str:
    if native.distribution == "pyside6-essentials":
        return metadata.version("pyside6-essentials")  # PySide6 versions follow Qt's
    if native.distribution == "pgserver":
        return _postgres_version()
    return ""


def _postgres_version() -> str:
    import importlib.util

    spec = importlib.util.find_spec("pgserver")  # located, not imported: importing starts work
    if spec is None or not spec.submodule_search_locations:
        return ""
    package = Path(next(iter(spec.submodule_search_locations)))
    header = package / "pginstall" / "include" / "pg_config.h"
    if not header.is_file():
        return ""
    match = re.search(r'#define PG_VERSION "([^"]+)"', header.read_text("utf-8", "replace"))
    return match.group(1) if match else ""


def _python_component() -> Component:
    return Component(name="Python", version=sys.version.split()[0], spdx="PSF-2.0",
                     licence_files=("python/LICENSE.txt",), note="The interpreter and its "
                     "standard library.")


def _marker_holds(marker: object, extras: frozenset[str]) -> bool:
    evaluate = marker.evaluate  # type: ignore[attr-defined]
    if not extras:
        return bool(evaluate({"extra": ""}))
    return any(evaluate({"extra": extra}) for extra in extras)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True
