"""The two programs start from a source checkout and answer --version without Qt."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["version"]


@pytest.mark.parametrize(("module", "name"), [("wyntek_desktop", "wyntek-desktop"),
                                              ("wyntek_desktop.cli", "wyntek")])
def test_program_starts_and_reports_its_version(module: str, name: str) -> None:
    # PySide6 unimportable: --version must be answered before any Qt module loads
    code = ("import sys; sys.modules['PySide6'] = None; import runpy; "
            f"sys.argv = [{name!r}, '--version']; "
            f"runpy.run_module({module!r}, run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{name} {VERSION}"
