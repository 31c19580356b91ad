"""One Deno process serving every function in supabase/functions/, started on first use."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

ROUTER = Path(__file__).with_name("router.ts")
START_TIMEOUT = 120.0


class RuntimeError_(RuntimeError):
    """Deno could not start; the message says why."""


def deno_binary() -> str | None:
    beside = Path(sys.executable).with_name("deno")
    return str(beside) if beside.exists() else shutil.which("deno")


def function_names(functions_dir: Path) -> list[str]:
    return sorted(p.parent.name for p in functions_dir.glob("*/handler.ts")
                  if not p.parent.name.startswith("_"))


class DenoRuntime:
    def __init__(self, functions_dir: Path, env: dict[str, str], log_path: Path) -> None:
        self.functions_dir = functions_dir
        self.env = env
        self.log_path = log_path
        self.port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def ensure_started(self) -> int:
        """The port Deno listens on, starting it first if needed (blocking: call off-loop)."""
        with self._lock:
            if self._process is not None and self._process.poll() is None and self.port:
                return self.port
            deno = deno_binary()
            if deno is None:
                raise RuntimeError_("Deno is not installed; run ./dev.sh setup.")
            names = function_names(self.functions_dir)
            env = {**os.environ, **self.env, "NO_COLOR": "1"}
            log = self.log_path.open("ab")
            try:
                # stdin stays open as the lifeline: the router exits when it closes.
                self._process = subprocess.Popen(
                    [deno, "run", "--quiet", "--frozen", "--no-prompt", "--allow-net",
                     "--allow-env", "--allow-read", f"--config={self.functions_dir / 'deno.json'}",
                     str(ROUTER), str(self.functions_dir), *names],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                    cwd=self.functions_dir, env=env)
            finally:
                log.close()
            line: list[bytes] = []
            reader = threading.Thread(target=lambda: line.append(
                self._process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
            reader.start()
            reader.join(START_TIMEOUT)
            if not line or not line[0].strip():
                self.stop()
                raise RuntimeError_(f"Deno did not start the Edge Functions; see {self.log_path}.")
            self.port = int(json.loads(line[0])["port"])
            return self.port

    def stop(self) -> None:
        process, self._process, self.port = self._process, None, None
        if process is None:
            return
        if process.stdin:
            process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        if process.stdout:
            process.stdout.close()
