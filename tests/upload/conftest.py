"""Upload tests get a fresh client world (user, session, outbox, proxy) per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.uploads import UploadEnv, build_env, close_env


@pytest.fixture
def upload_env(localstack: Any, tmp_path: Path) -> Iterator[UploadEnv]:
    env = build_env(localstack, tmp_path)
    yield env
    close_env(env)
