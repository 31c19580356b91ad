"""The example parts shipped with the app load, and each one's licence is recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from wyntek_desktop.design import analyze

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
FILES = sorted(p for p in EXAMPLES.iterdir() if p.name != "LICENSES.md")


def test_every_example_has_a_licence_entry() -> None:
    licences = (EXAMPLES / "LICENSES.md").read_text()
    assert FILES
    for path in FILES:
        assert f"`{path.name}`" in licences


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_example_loads(path: Path) -> None:
    report = analyze(path)
    assert report.kind in ("model", "gerber", "drawing")
    blocking = {f.code for f in report.errors()}
    assert blocking == ({"not_watertight"} if path.name == "teapot.stl" else set())
