"""Run the real ``wyntek`` command as a subprocess against a local stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from tests.support.isolation import REPO_ROOT
from tests.support.samples import SAMPLES

if not SAMPLES.is_dir():  # the repository's own copies, when the shared folder is absent
    SAMPLES = REPO_ROOT / "resources" / "examples"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def error(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.err.strip())
        return data

    def one_line_error(self) -> str:
        """stderr must be exactly one line and never a traceback."""
        lines = [line for line in self.err.splitlines() if line.strip()]
        assert len(lines) == 1, self.err
        assert "Traceback" not in self.err
        return lines[0]


def wyntek(*args: str, env: dict[str, str] | None = None, stdin: str | None = None,
           timeout: float = 120) -> Result:
    full_env = {**os.environ, "WYNTEK_LOG_LEVEL": "DEBUG", **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "wyntek_desktop.cli", *args],
                          input=stdin, capture_output=True, text=True, env=full_env,
                          cwd=REPO_ROOT, timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def stack_env(stack: Any, *, ca: bool = True) -> dict[str, str]:
    env = {"WYNTEK_SUPABASE_URL": stack.url, "WYNTEK_SUPABASE_ANON_KEY": stack.anon_key}
    if ca and stack.ca_path:
        env["WYNTEK_CA_BUNDLE"] = str(stack.ca_path)
    return env


def grant(stack: Any, user_id: str, amount: int) -> None:
    service = stack.service_client()
    service.rpc("grant_tokens", {"user_id": user_id, "amount": amount,
                                 "reason": "grant"}).execute()
