"""Run the worker next to an embedded stack (the local stack's ``serve``): a child
process, stopped with the stack."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path


def _background() -> None:
    """On a person's machine (the demo) the window comes first: the worker yields CPU."""
    os.nice(10)


class EmbeddedWorker:
    def __init__(self, url: str, service_role_key: str, database_url: str, *,
                 ca_file: str | Path | None = None, log_path: Path | None = None,
                 concurrency: int = 1) -> None:
        # The queue's tables exist before the stack announces itself, so every job
        # submitted from then on is queued by submit_job at once.
        from wyntek_service.config import ServiceConfig
        from wyntek_service.runner import ensure_queue_schema
        asyncio.run(ensure_queue_schema(ServiceConfig(url, service_role_key, database_url)))
        env = {**os.environ, "SUPABASE_URL": url, "SUPABASE_SERVICE_ROLE_KEY": service_role_key,
               "DATABASE_URL": database_url}
        if ca_file:
            env["WYNTEK_SERVICE_CA_FILE"] = str(ca_file)
        self._log = log_path.open("ab") if log_path else None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "wyntek_service", "worker", "--concurrency",
             str(concurrency), "--name", "embedded"],
            env=env, stdin=subprocess.DEVNULL, stdout=self._log or subprocess.DEVNULL,
            stderr=self._log or subprocess.DEVNULL,
            preexec_fn=_background if hasattr(os, "nice") else None)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None
