"""The import contracts hold, and nothing outside the UI imports Qt (a Qt-less import run)."""

from __future__ import annotations

import os
import pkgutil
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import wyntek_desktop

REPO = Path(__file__).resolve().parents[1]
NON_UI = ("core", "background", "api", "design", "upload")
# Qt-free modules outside those packages (the self-test imports Qt inside its checks only)
NON_UI_MODULES = ["wyntek_desktop.cli", "wyntek_desktop.context", "wyntek_desktop.local_demo",
                  "wyntek_desktop.distribution.about", "wyntek_desktop.distribution.selftest"]

BLOCK_QT = r"""
import importlib, importlib.abc, pkgutil, sys

class NoQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "PySide6" or name.startswith("PySide6.") or name == "shiboken6":
            raise ImportError(f"{name} is blocked: non-UI code must not import Qt")
        return None

sys.meta_path.insert(0, NoQt())
import wyntek_desktop
failed = []
modules = list(NON_UI_MODULES)
for package in NON_UI_PACKAGES:
    pkg = importlib.import_module("wyntek_desktop." + package)
    modules += [m.name for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + ".")]
for name in modules:
    try:
        importlib.import_module(name)
    except ImportError as exc:
        failed.append(f"{name}: {exc}")
assert "PySide6" not in sys.modules
print(len(modules))
if failed:
    raise SystemExit("\n".join(failed))
""".replace("NON_UI_PACKAGES", repr(NON_UI)).replace("NON_UI_MODULES", repr(NON_UI_MODULES))


def test_import_linter_contracts() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is part of the dev extra"
    proc = subprocess.run([lint, "--no-cache"], cwd=REPO, capture_output=True, text=True,
                          timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    contracts = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))[
        "tool"]["importlinter"]["contracts"]
    assert f"Contracts: {len(contracts)} kept, 0 broken" in proc.stdout


def test_a_broken_contract_is_reported(tmp_path: Path) -> None:
    """The contracts bite: core importing httpx (in a copy of the code) breaks one."""
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "wyntek_desktop", copy / "wyntek_desktop",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for package in ("wyntek_localstack", "wyntek_service"):
        shutil.copytree(REPO / package, copy / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", copy / "pyproject.toml")
    with (copy / "wyntek_desktop" / "core" / "paths.py").open("a", encoding="utf-8") as f:
        f.write("\nimport httpx  # noqa: E402, F401\n")
    proc = subprocess.run([lint, "--no-cache"], cwd=copy, capture_output=True, text=True,
                          timeout=240, env={**os.environ, "PYTHONPATH": str(copy)})
    assert proc.returncode != 0
    assert "Core is pure: no service client, HTTP, keyring or local stack BROKEN" in proc.stdout


def test_non_ui_packages_import_without_qt() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", BLOCK_QT], cwd=REPO, capture_output=True,
                          text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    expected = sum(1 for package in NON_UI for _ in pkgutil.walk_packages(
        [str(Path(wyntek_desktop.__file__).parent / package)]))
    assert int(proc.stdout.split()[-1]) == expected + len(NON_UI_MODULES)


@pytest.mark.parametrize("package", NON_UI)
def test_no_qt_names_in_non_ui_sources(package: str) -> None:
    folder = Path(wyntek_desktop.__file__).parent / package
    offenders = [str(p) for p in folder.rglob("*.py")
                 if "import PySide6" in p.read_text("utf-8")
                 or "from PySide6" in p.read_text("utf-8")]
    assert offenders == []


def test_non_ui_tests_pass_without_qt(tmp_path: Path) -> None:
    """The Qt-free unit tests run green with PySide6 unimportable."""
    blocker = BLOCK_QT.split("import wyntek_desktop")[0]
    (tmp_path / "sitecustomize.py").write_text(blocker, "utf-8")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}"}
    probe = subprocess.run([sys.executable, "-c", "import PySide6"], env=env,
                           capture_output=True, text=True, timeout=60)
    assert probe.returncode != 0 and "blocked" in probe.stderr
    tests = ["tests/core/test_settings.py", "tests/core/test_paths.py",
             "tests/api/test_failures.py", "tests/core/test_logging_redaction.py",
             "tests/api/test_keyring_storage.py", "tests/api/test_polling.py"]
    # without pytest-qt its `qt_api` option is unknown: not --strict-config here
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:pytest-qt",
                           "-o", "addopts=--strict-markers",
                           "-p", "no:cacheprovider", "-W", "ignore::pytest.PytestConfigWarning",
                           *tests], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout
