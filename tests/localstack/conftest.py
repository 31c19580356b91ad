"""A real PostgreSQL with the bootstrap, the project's migrations and the seed, per session."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.localstack.dbworld import Actor, create_user, user_actor
from wyntek_localstack.database import Database


@pytest.fixture(scope="session")
def local_db() -> Iterator[Database]:
    # Not under pytest's basetemp: a concurrent pytest session prunes old numbered
    # basetemp folders, which would delete a live cluster underneath us.
    folder = Path(tempfile.mkdtemp(prefix="wyntek-localdb-"))
    db = Database(folder)
    db.start()
    try:
        yield db
    finally:
        db.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg(local_db: Database) -> Iterator[psycopg.Connection[Any]]:
    """A superuser connection; tests switch roles per transaction (see dbworld.acting)."""
    with local_db.connect(autocommit=True) as connection:
        yield connection


@pytest.fixture
def make_actor(pg: psycopg.Connection[Any]) -> Any:
    """Factory: a fresh signed-up user (optionally an operator) as an Actor."""
    def make(name: str = "user", *, operator: bool = False) -> Actor:
        email = f"{name}-{uuid.uuid4().hex[:10]}@example.test"
        uid = create_user(pg, email, app_metadata={"role": "operator"} if operator else None)
        return user_actor(name, uid, email, operator=operator)
    return make
