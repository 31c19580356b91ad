"""Mail from the local stack's catcher, the service role's HTTP, and run-once tasks."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import httpx

from tests.support.localstack import REPO_ROOT, LocalStackInstance


class Mailbox:
    """The .eml files the stack writes under ``<data-dir>/mail/`` after this point."""

    def __init__(self, stack: LocalStackInstance) -> None:
        self.folder = stack.data_dir / "mail"
        self.seen = set(self.folder.glob("*.eml")) if self.folder.exists() else set()

    def _new(self) -> list[Path]:
        if not self.folder.exists():
            return []
        return sorted((p for p in self.folder.glob("*.eml") if p not in self.seen),
                      key=lambda p: p.name)

    def messages(self, to: str | None = None, subject_has: str = "") -> list[dict[str, str]]:
        found = []
        for path in self._new():
            with path.open("rb") as handle:
                msg = BytesParser(policy=policy.default).parse(handle)
            body = msg.get_body(preferencelist=("plain", "html"))
            text = body.get_content() if body is not None else ""
            if to and to.lower() not in str(msg["To"]).lower():
                continue
            if subject_has and subject_has not in str(msg["Subject"]):
                continue
            found.append({"to": str(msg["To"]), "subject": str(msg["Subject"]), "text": text,
                          "path": str(path)})
        return found

    def wait_for(self, to: str, subject_has: str = "", count: int = 1,
                 timeout: float = 30.0) -> list[dict[str, str]]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages(to, subject_has)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.2)


def code_in(mail: dict[str, str]) -> str:
    found = re.search(r"enter the code: (\d{6})", mail["text"])
    assert found is not None, mail["text"]
    return found.group(1)


def service_http(stack: LocalStackInstance) -> httpx.Client:
    key = stack.service_role_key
    return stack.http(headers={"apikey": key, "Authorization": f"Bearer {key}"},
                      base_url=stack.url)


def run_once(stack: LocalStackInstance, task: str, *extra: str) -> str:
    """``python -m wyntek_service run-once TASK`` as a child process."""
    env = {**os.environ, "SUPABASE_URL": stack.url,
           "SUPABASE_SERVICE_ROLE_KEY": stack.service_role_key,
           "DATABASE_URL": stack.database_url, "WYNTEK_SERVICE_CA_FILE": str(stack.ca_path),
           "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, "-m", "wyntek_service", "run-once", task, *extra],
                          env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def run_task(stack: LocalStackInstance, task: str, *, deletion_grace_days: int = 7) -> str:
    """The same run-once in this process (saves the child's start-up on a busy machine)."""
    from wyntek_service import runner
    from wyntek_service.config import ServiceConfig

    config = ServiceConfig.resolve(stack.url, stack.service_role_key, stack.database_url,
                                   str(stack.ca_path))
    return asyncio.run(runner.run_once(config, task, deletion_grace_days=deletion_grace_days))


def eventually(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)
