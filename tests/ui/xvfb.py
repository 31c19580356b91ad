"""Start Xvfb on a free display for the tests that need real OpenGL (Mesa llvmpipe)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _free_display() -> int:
    for n in range(90, 190):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    raise RuntimeError("no free X display number between :90 and :189")


@pytest.fixture(scope="session")
def xvfb() -> Iterator[str]:
    """The DISPLAY of a private Xvfb server (1280x800x24), stopped after the session."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed: the OpenGL tests need a virtual X display")
    display = f":{_free_display()}"
    proc = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sock = Path(f"/tmp/.X11-unix/X{display[1:]}")
    deadline = time.monotonic() + 10
    while not sock.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"Xvfb did not start on {display}")
        time.sleep(0.05)
    yield display
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_gl_script(display: str, script: str, *args: str, timeout: float = 120) -> dict:
    """Run ``python -m tests.ui.<script> args`` on the X display; its last stdout line is JSON."""
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb")
    proc = subprocess.run([sys.executable, "-m", f"tests.ui.{script}", *args], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])
