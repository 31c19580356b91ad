"""The Edge Functions' own Deno tests (supabase/functions/*/handler_test.ts), under the
Deno that dev.sh installs, against the pinned npm packages of deno.lock."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FUNCTIONS = Path(__file__).resolve().parents[2] / "supabase" / "functions"


def deno_binary() -> str:
    local = Path(sys.executable).with_name("deno")
    found = str(local) if local.exists() else shutil.which("deno")
    if found is None:
        pytest.fail("Deno is missing: run ./dev.sh setup (it installs the PyPI package deno).")
    return found


def test_deno_test_passes_for_every_function() -> None:
    result = subprocess.run(
        [deno_binary(), "test", "--frozen", "--allow-net=127.0.0.1", "--allow-env",
         "--allow-read", "--no-prompt"],
        cwd=FUNCTIONS, capture_output=True, text=True, timeout=240)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert " 0 failed" in output and "passed" in output, output


def test_functions_import_only_npm_and_local_modules() -> None:
    """npm: specifiers and relative files only: no jsr: or URL imports (they would need
    registries the build machines cannot reach)."""
    offending = []
    for source in FUNCTIONS.rglob("*.ts"):
        for line in source.read_text(encoding="utf-8").splitlines():
            if " from \"" in line or line.startswith("import \""):
                target = line.split("\"")[1]
                if not target.startswith(("npm:", "node:", "./", "../")):
                    offending.append(f"{source.name}: {target}")
    assert offending == []
