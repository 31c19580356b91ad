"""The About data: version, bundled components with SPDX licences, app folders."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import pytest

from tests.support.isolation import REPO_ROOT
from wyntek_desktop.core.appdirs import AppDirs
from wyntek_desktop.distribution import about

sys.path.insert(0, str(REPO_ROOT / "packaging"))
import build_support


def test_version_matches_the_project_metadata() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert about.version() == project["version"]
    assert about.version_line() == f"wyntek-desktop {project['version']}"


@pytest.fixture(scope="module")
def components() -> list[about.Component]:
    return about.collect_components()


def by_name(components: list[about.Component]) -> dict[str, about.Component]:
    return {c.name.lower(): c for c in components}


@pytest.mark.parametrize(("name", "spdx"), [
    ("qt 6", "LGPL-3.0-only"),
    ("pyside6_essentials", "LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only"),
    ("numpy", "BSD-3-Clause"),  # the expression starts with numpy's own licence
    ("trimesh", "MIT"),
    ("httpx", "BSD-3-Clause"),
    ("supabase", "MIT"),
    ("postgresql", "PostgreSQL"),
    ("open cascade technology", "LGPL-2.1-only WITH OCCT-exception-1.0"),
    ("psycopg", "LGPL-3.0-only"),
    ("pgserver", "Apache-2.0"),
    ("python", "PSF-2.0"),
])
def test_bundled_components_carry_their_spdx_licence(components: list[about.Component],
                                                     name: str, spdx: str) -> None:
    component = by_name(components)[name]
    assert component.spdx.startswith(spdx)
    assert component.licence_files, f"{name} has no licence text"


def test_every_component_is_licensed_and_has_a_text(components: list[about.Component]) -> None:
    unlicensed = [c.name for c in components if not c.spdx]
    without_text = [c.name for c in components if not c.licence_files]
    assert not unlicensed and not without_text, (unlicensed, without_text)


def test_every_licence_text_is_found_from_source(components: list[about.Component]) -> None:
    missing = [(c.name, c.licence_files) for c in components
               if len(about.licence_text_paths(c)) != len(c.licence_files)]
    assert not missing
    [text] = next(about.licence_text_paths(c) for c in components if c.name == "trimesh")
    assert "Permission is hereby granted" in text.read_text("utf-8")


def test_dev_tools_are_not_listed_as_bundled(components: list[about.Component]) -> None:
    names = set(by_name(components))
    assert not names & {"pytest", "mypy", "ruff", "hypothesis", "pyinstaller", "trustme"}
    assert {"keyring", "platformdirs", "cascadio", "uvicorn", "starlette"} <= names


def test_staged_licences_hold_every_listed_text_and_the_frozen_app_reads_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        components: list[about.Component]) -> None:
    bundle = tmp_path / "_internal"
    staged = build_support.stage_licences(bundle / "licenses")
    for component in components:
        for name in component.licence_files:
            assert (staged / name).is_file(), f"{component.name}: {name}"
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in (staged / "common/LGPL-3.0.txt").read_text()
    # The frozen app shows the list written at build time, not a live scan.
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert about.licences_folder() == staged
    assert about.components() == components
    qt = next(c for c in components if c.name == "Qt 6")
    assert about.licence_text_paths(qt) == [staged / "common/LGPL-3.0.txt",
                                            staged / "common/GPL-3.0.txt"]
    rows = json.loads((staged / about.COMPONENTS_FILE).read_text("utf-8"))
    assert {row["name"] for row in rows} == {c.name for c in components}


def test_app_folders_are_the_cores_and_follow_the_platform_dirs(app_dirs: dict[str, Path]
                                                                ) -> None:
    folders = about.app_folders()
    core = AppDirs.default()
    assert (folders.config, folders.data, folders.cache, folders.logs) == (
        core.config, core.data, core.cache, core.log)
    assert folders.config.is_relative_to(app_dirs["config"])
    assert folders.data.is_relative_to(app_dirs["data"])


def test_about_info_serialises_to_json(app_dirs: dict[str, Path]) -> None:
    info = about.about_info().to_dict()
    text = json.dumps(info)
    assert info["version"] == about.version()
    assert info["bundle_id"] == "com.wyntek.desktop"
    assert str(app_dirs["data"]) in text
    assert info["frozen"] is False
