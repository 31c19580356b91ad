"""Build the one-folder app with PyInstaller and run it with no Python environment.

Slow (a full build takes minutes): run with `--run-slow`. Uses the interpreter running
the tests as the build venv (`packaging/build.sh --no-install`), or checks an app already
built when WYNTEK_FROZEN_APP names its folder (e.g. `dist/wyntek-desktop`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.isolation import REPO_ROOT
from tests.support.samples import SAMPLES
from wyntek_desktop.distribution import selftest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800),
              pytest.mark.skipif(not sys.platform.startswith("linux"),
                                 reason="the frozen build is checked on Linux here")]

SAMPLE = SAMPLES / "featuretype.STL"
# A regression guard, not the target: the README and benchmarks/README.md report the
# measured size (the 300 MB target is not met with STEP support and the local stack).
SIZE_LIMIT_BYTES = 450_000_000


@pytest.fixture(scope="module")
def frozen_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Builds the app, or uses WYNTEK_FROZEN_APP (a folder packaging/build.sh made)."""
    prebuilt = os.environ.get("WYNTEK_FROZEN_APP")
    if prebuilt:
        return Path(prebuilt).resolve()
    out = tmp_path_factory.mktemp("frozen")
    env = {**os.environ, "WYNTEK_BUILD_VENV": sys.prefix, "WYNTEK_DIST": str(out / "dist"),
           "WYNTEK_WORK": str(out / "work")}
    proc = subprocess.run([str(REPO_ROOT / "packaging" / "build.sh"), "--no-install",
                           "--no-self-test"], env=env, capture_output=True, text=True,
                          timeout=1700, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    app = out / "dist" / "wyntek-desktop"
    assert (app / "wyntek-desktop").is_file() and (app / "wyntek").is_file()
    return app


def bare_env(home: Path) -> dict[str, str]:
    """No Python anywhere: only the system's /usr/bin and /bin, a throw-away home."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
            "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
            "XDG_CACHE_HOME": str(home / "cache"), "XDG_STATE_HOME": str(home / "state")}


def test_frozen_self_test_passes_without_python(frozen_app: Path, tmp_path: Path) -> None:
    proc = subprocess.run([str(frozen_app / "wyntek-desktop"), "--self-test", "--json"],
                          env=bare_env(tmp_path), capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    report = json.loads(proc.stdout)
    statuses = {check["name"]: check["status"] for check in report["checks"]}
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert report["frozen"] is True
    required = [name for name, _, needed in selftest.CHECKS if needed and name != "keyring"]
    assert all(statuses[name] == "pass" for name in required), statuses
    # No D-Bus session here: the Secret Service cannot work, reported as a warning.
    assert statuses["keyring"] in ("pass", "warn")


def test_frozen_version(frozen_app: Path, tmp_path: Path) -> None:
    for program in ("wyntek-desktop", "wyntek"):
        proc = subprocess.run([str(frozen_app / program), "--version"], env=bare_env(tmp_path),
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip().endswith("0.1.0")


@pytest.mark.parametrize(("part", "triangles", "bodies"), [
    (SAMPLE, 3476, 1),
    (SAMPLE.with_suffix(".STEP"), None, 1),  # through cascadio (OpenCASCADE)
    ("two-tetrahedra", 8, 2),
])
def test_frozen_cli_analyzes_a_part(frozen_app: Path, tmp_path: Path, part: Path | str,
                                    triangles: int | None, bodies: int) -> None:
    if part == "two-tetrahedra":
        path = tmp_path / "two-tetrahedra.stl"
        path.write_bytes(selftest.tetrahedra_stl(2))
    else:
        path = Path(part)
        if not path.is_file():
            pytest.skip(f"sample {path} is not on this machine")
    proc = subprocess.run([str(frozen_app / "wyntek"), "--json", "analyze", str(path)],
                          env=bare_env(tmp_path), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [item] = json.loads(proc.stdout)
    mesh = item["report"]["mesh"]
    assert item["kind"] == "model"
    assert triangles is None or mesh["triangles"] == triangles
    assert len(mesh["bodies"]) == bodies
    assert Path(item["thumbnail"]).is_file()  # the software renderer works frozen too


def test_frozen_app_uses_the_settings_and_outbox_the_source_app_wrote(frozen_app: Path,
                                                                     tmp_path: Path) -> None:
    """Same folders, same files: the service configured and a job queued from source are
    what the frozen CLI sees (no environment variables point it anywhere)."""
    env = bare_env(tmp_path)
    part = tmp_path / "part.stl"
    part.write_bytes(selftest.tetrahedra_stl(1))
    from_source = (
        "import dataclasses, sys\n"
        "from wyntek_desktop.core.appdirs import AppDirs\n"
        "from wyntek_desktop.core.outbox import Outbox\n"
        "from wyntek_desktop.core.settings import Settings, save_settings\n"
        "dirs = AppDirs.default()\n"
        "save_settings(dirs.settings_file, dataclasses.replace(Settings(),\n"
        "    supabase_url='http://127.0.0.1:9', anon_key='anon'))\n"
        "with Outbox.open() as box:\n"
        "    box.add_job({'material_id': 'fdm-pla', 'quantity': 1, 'tolerance_mm': 0.2},\n"
        "                [sys.argv[1]])\n")
    subprocess.run([sys.executable, "-c", from_source, str(part)],
                   env={**env, "PYTHONPATH": str(REPO_ROOT)}, check=True, timeout=120,
                   capture_output=True)
    # Listing needs a configured service (never contacted: nothing is sent).
    proc = subprocess.run([str(frozen_app / "wyntek"), "--json", "outbox"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    jobs = json.loads(proc.stdout)
    assert [(job["state"], job["files"]) for job in jobs] == [("queued", ["part.stl"])]


def test_frozen_size_is_reported_and_bounded(frozen_app: Path) -> None:
    size = sum(p.stat().st_size for p in frozen_app.rglob("*")
               if p.is_file() and not p.is_symlink())
    print(f"unpacked size: {size / 1e6:.0f} MB")
    assert size < SIZE_LIMIT_BYTES
    assert not list(frozen_app.rglob("*WebEngine*")) and not list(frozen_app.rglob("*Qml*"))
    assert (frozen_app / "_internal" / "licenses" / "components.json").is_file()


def test_frozen_cli_runs_the_local_stack_through_its_own_executable(frozen_app: Path,
                                                                    tmp_path: Path) -> None:
    """`wyntek --local` starts `sys.executable -m wyntek_localstack serve`; frozen, the
    executable itself answers that command line (packaging/entry_common.py)."""
    # Not under pytest's tmp_path: that folder is private (0700), and PostgreSQL, which
    # pgserver runs as its own user when the tests run as root, could not reach its data.
    home = Path(tempfile.mkdtemp(prefix="wyntek-frozen-local-"))
    try:
        proc = subprocess.run([str(frozen_app / "wyntek"), "--local", "--json", "balance"],
                              env=bare_env(home), capture_output=True, text=True, timeout=300)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["balance"] == 500


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs Xvfb (xvfb-run)")
def test_frozen_opengl_on_x11_with_mesa(frozen_app: Path, tmp_path: Path) -> None:
    """With a display the bundled xcb plugin and GL integration give a 3.3+ context."""
    proc = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1280x800x24",
                           str(frozen_app / "wyntek-desktop"), "--self-test", "--json",
                           "--platform", "xcb", "--skip", "localstack"],
                          env=bare_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
    assert checks["qt"]["details"]["platform"] == "xcb"
    assert checks["opengl"]["status"] == "pass", checks["opengl"]["summary"]


def test_frozen_window_starts_and_keeps_running(frozen_app: Path, tmp_path: Path) -> None:
    """The GUI imports its whole start-up path in the bundle: alive after 10 s, then closed."""
    env = {**bare_env(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([str(frozen_app / "wyntek-desktop")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "Traceback" not in err and "ModuleNotFoundError" not in err, err


@pytest.fixture
def secret_service(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A real Secret Service (gnome-keyring on a private D-Bus session), unlocked."""
    if not (shutil.which("dbus-daemon") and shutil.which("gnome-keyring-daemon")):
        pytest.skip("needs dbus-daemon and gnome-keyring-daemon")
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {**bare_env(tmp_path), "XDG_RUNTIME_DIR": str(runtime)}
    bus = subprocess.run(["dbus-daemon", "--session", "--fork", "--print-address=1",
                          "--print-pid=1"], env=env, capture_output=True, text=True,
                         check=True, timeout=30).stdout.split()
    env["DBUS_SESSION_BUS_ADDRESS"] = bus[0]
    keyring_daemon = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert keyring_daemon.stdin is not None
    keyring_daemon.stdin.write(b"test-keyring-password")
    keyring_daemon.stdin.close()
    try:
        yield env
    finally:
        keyring_daemon.terminate()
        keyring_daemon.wait(timeout=30)
        os.kill(int(bus[1]), signal.SIGTERM)


def test_frozen_and_source_apps_share_the_session_in_the_os_keyring(
        frozen_app: Path, secret_service: dict[str, str], localstack: Any) -> None:
    """Signed in from source, the frozen CLI is signed in too (same Secret Service entries);
    signed out by the frozen CLI, the source app is signed out."""
    email, password, _ = localstack.new_user("frozen")
    service = ["--url", localstack.url, "--anon-key", localstack.anon_key,
               "--ca-bundle", str(localstack.ca_path)]
    source_cli = [sys.executable, "-c", "import sys; from wyntek_desktop.cli import main; "
                  "sys.exit(main(sys.argv[1:]))"]
    source_env = {**secret_service, "PYTHONPATH": str(REPO_ROOT)}

    login = subprocess.run([*source_cli, *service, "login", "--email", email,
                            "--password-stdin"], input=password, env=source_env,
                           capture_output=True, text=True, timeout=120)
    assert login.returncode == 0, login.stdout + login.stderr
    frozen = subprocess.run([str(frozen_app / "wyntek"), *service, "--json", "balance"],
                            env=secret_service, capture_output=True, text=True, timeout=120)
    assert frozen.returncode == 0, frozen.stdout + frozen.stderr
    assert json.loads(frozen.stdout)["balance"] == 0

    logout = subprocess.run([str(frozen_app / "wyntek"), *service, "logout"],
                            env=secret_service, capture_output=True, text=True, timeout=120)
    assert logout.returncode == 0, logout.stdout + logout.stderr
    after = subprocess.run([*source_cli, *service, "--json", "balance"], env=source_env,
                           capture_output=True, text=True, timeout=120)
    assert after.returncode == 2, after.stdout + after.stderr  # refused: sign in again
