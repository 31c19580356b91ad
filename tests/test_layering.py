"""Nothing outside the UI imports Qt: import-linter contracts plus a Qt-less import run."""

from __future__ import annotations

import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import wyntek_desktop

REPO = Path(__file__).resolve().parents[1]
NON_UI = ("core", "api", "design", "upload")

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
modules = ["wyntek_desktop.cli", "wyntek_desktop.context"]
for package in %r:
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
""" % (NON_UI,)


def test_import_linter_contracts() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is part of the dev extra"
    proc = subprocess.run([lint], cwd=REPO, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 2 kept, 0 broken" in proc.stdout


def test_non_ui_packages_import_without_qt() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", BLOCK_QT], cwd=REPO, capture_output=True,
                          text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    expected = sum(1 for package in NON_UI for _ in pkgutil.walk_packages(
        [str(Path(wyntek_desktop.__file__).parent / package)]))
    assert int(proc.stdout.split()[-1]) == expected + 2


@pytest.mark.parametrize("package", NON_UI)
def test_no_qt_names_in_non_ui_sources(package: str) -> None:
    folder = Path(wyntek_desktop.__file__).parent / package
    offenders = [str(p) for p in folder.rglob("*.py")
                 if "import PySide6" in p.read_text("utf-8")
                 or "from PySide6" in p.read_text("utf-8")]
    assert offenders == []
