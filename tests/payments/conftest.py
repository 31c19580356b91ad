from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.payments.shop import Shop
from tests.support.localstack import LocalStackInstance


@pytest.fixture
def shop(localstack: LocalStackInstance) -> Iterator[Shop]:
    s = Shop(localstack)
    yield s
    s.close()
