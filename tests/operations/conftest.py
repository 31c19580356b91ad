"""Fixtures: a customer with a verified job, an operator assigned to it, another not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.operations.support import Account, assign, new_account, new_operator
from tests.service.support import cube_stl, wait_verified


@pytest.fixture
def accounts(localstack) -> Iterator[dict[str, Account]]:
    made = {"customer": new_account(localstack, 2_000), "operator": new_operator(localstack),
            "stranger": new_operator(localstack)}
    yield made
    for account in made.values():
        account.ctx.close()


@pytest.fixture
def assigned_job(localstack, accounts, tmp_path: Path) -> dict[str, Any]:
    """A submitted job of the customer, assigned to ``operator`` (not to ``stranger``);
    its verification may still be running."""
    job = accounts["customer"].customer.submit({"cube.stl": cube_stl(tmp_path, 20.0)},
                                               volume_cm3=8.0, notes="Deburr the edges",
                                               delivery_instructions="Leave at reception")
    assign(localstack, job["id"], accounts["operator"].uid)
    return job


@pytest.fixture
def verified_job(localstack, assigned_job) -> dict[str, Any]:
    """``assigned_job`` once the worker verified it (it may then leave submitted)."""
    wait_verified(localstack, [assigned_job["id"]])
    return assigned_job
