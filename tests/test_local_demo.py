"""The demo password is shown to the user once, by whichever program starts the demo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from wyntek_desktop.context import build_local
from wyntek_desktop.core.appdirs import AppDirs
from wyntek_desktop.core.settings import Settings
from wyntek_desktop.local_demo import LocalBackend, start_local_backend, take_demo_announcement


def test_the_demo_password_is_announced_once(tmp_path: Path) -> None:
    backend = LocalBackend(url="https://127.0.0.1:1", anon_key="anon", data_dir=tmp_path,
                           demo_password="s3cret-demo", stop=lambda: None)
    first = take_demo_announcement(backend)
    assert first is not None and "s3cret-demo" in first and "demo@wyntek.local" in first
    assert str(tmp_path / "demo.json") in first
    assert take_demo_announcement(backend) is None


# --- one demo service shared by every program of the user ------------------------------


@pytest.fixture
def demo_dirs(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppDirs]:
    # Not under pytest's private tmp_path: PostgreSQL runs as its own user when the tests
    # run as root and must reach its data folder.
    root = Path(tempfile.mkdtemp(prefix="wyntek-demo-share-"))
    monkeypatch.setenv("XDG_DATA_HOME", str(root))
    runtime = root / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))  # or pgserver's platformdirs warns
    try:
        yield AppDirs.default()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _settings(backend: LocalBackend) -> Settings:
    return Settings(supabase_url=backend.url, anon_key=backend.anon_key)


def test_a_second_local_program_leaves_the_first_ones_database_running(
        demo_dirs: AppDirs) -> None:
    """`wyntek --local balance` while a window runs the demo: it joins that window's
    service, and when it ends the window's database still answers (it used to stop it:
    "HTTP XX000", offline for good)."""
    ctx, backend = build_local(demo_dirs, _settings)
    try:
        assert backend.owner
        assert ctx.api.balance() == 500
        proc = subprocess.run([sys.executable, "-m", "wyntek_desktop.cli", "--local", "--json",
                               "balance"], capture_output=True, text=True, timeout=240)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert json.loads(proc.stdout)["balance"] == 500
        registry = json.loads((backend.data_dir / "running.json").read_text())
        assert registry["url"] == backend.url and registry["pid"] == os.getpid()
        assert ctx.api.balance() == 500  # the first program's database is still there
    finally:
        ctx.close()
        backend.stop()
    assert not (backend.data_dir / "running.json").exists()


def test_the_demo_service_is_stopped_only_by_its_owner_and_then_started_anew(
        demo_dirs: AppDirs) -> None:
    first = start_local_backend(demo_dirs.localstack_data)
    second = start_local_backend(demo_dirs.localstack_data)
    try:
        assert (first.owner, second.owner) == (True, False)
        assert second.url == first.url and second.anon_key == first.anon_key
        assert second.demo_password == first.demo_password != ""
        second.stop()  # a joiner's stop leaves the service alone
        assert httpx.get(f"{first.url}/auth/v1/health", timeout=30).status_code == 200
    finally:
        first.stop()
        first.stop()  # stopping twice is harmless
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{first.url}/auth/v1/health", timeout=30)
    # The owner gone, the next program starts (and owns) the service again.
    third = start_local_backend(demo_dirs.localstack_data)
    try:
        assert third.owner
        assert httpx.get(f"{third.url}/auth/v1/health", timeout=30).status_code == 200
    finally:
        third.stop()
