"""The window comes back online by itself when its service returns (or, in demo mode,
when the program that ran the demo service quit: it joins or starts it again)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from tests.ui.journey_support import stop_app
from wyntek_desktop.core.appdirs import AppDirs
from wyntek_desktop.local_demo import start_local_backend
from wyntek_desktop.ui import reconnect
from wyntek_desktop.ui.app import DesktopApp
from wyntek_desktop.ui.services import OFFLINE, ONLINE


@pytest.fixture
def demo_dirs(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppDirs]:
    # Not under pytest's private tmp_path: PostgreSQL runs as its own user when the tests
    # run as root and must reach its data folder.
    root = Path(tempfile.mkdtemp(prefix="wyntek-demo-rejoin-"))
    monkeypatch.setenv("XDG_DATA_HOME", str(root))
    runtime = root / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))  # or pgserver's platformdirs warns
    monkeypatch.setattr(reconnect, "FIRST_DELAY_MS", 200)
    try:
        yield AppDirs.default()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_a_demo_window_whose_service_owner_quit_comes_back_online(qtbot: Any,
                                                                 demo_dirs: AppDirs) -> None:
    other_program = start_local_backend(demo_dirs.localstack_data)  # owns the service
    app = DesktopApp(QApplication.instance(), dirs=demo_dirs, local=True)  # type: ignore[arg-type]
    qtbot.addWidget(app.window)
    try:
        app.start()
        qtbot.waitUntil(lambda: app.booted and app.services.connection == ONLINE,
                        timeout=120_000)
        joined = app.services.local_backend
        assert joined.owner is False and joined.url == other_program.url
        states: list[str] = []
        app.services.connection_changed.connect(lambda state, _msg: states.append(state))

        other_program.stop()  # the other program quits: its service is gone
        app.services.refresh_profile()  # the next request finds it gone
        qtbot.waitUntil(lambda: OFFLINE in states, timeout=60_000)
        qtbot.waitUntil(lambda: app.services.connection == ONLINE
                        and app.services.balance == 500, timeout=180_000)
        now = app.services.local_backend
        assert now.owner is True and now.url != other_program.url  # started it again
        assert app.services.email == "demo@wyntek.local"
    finally:
        stop_app(qtbot, app)
        other_program.stop()
    assert not (demo_dirs.localstack_data / "running.json").exists()  # stopped by its owner
