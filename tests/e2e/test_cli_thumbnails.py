"""The CLI's pictures are where the window looks for them (one name: the full SHA-256)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.support.samples import samples_dir
from wyntek_desktop import cli
from wyntek_desktop.core.appdirs import AppDirs


def test_the_cli_names_a_thumbnail_as_the_jobs_page_finds_it() -> None:
    source = samples_dir() / "teapot.stl"
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    item = cli.Analysed(path=source, kind="model", report={}, volume_cm3=1.0,
                        size_bytes=source.stat().st_size, sha256=sha)
    dirs = AppDirs.default()
    written = cli.thumbnail(dirs, item)
    assert written == dirs.thumbnails / f"{sha}.png"  # the Jobs page's (and Prepare's) name
    assert Path(written).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
