"""The poller's cursor logic on its own (the real-stack test is in test_api.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wyntek_desktop.api.polling import JobPoller
from wyntek_desktop.core.models import Job

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


class Table:
    """Rows as the server would return them for ``updated_at >= cursor``."""

    def __init__(self) -> None:
        self.rows: dict[str, Job] = {}
        self.cursors: list[datetime | None] = []

    def put(self, job_id: str, seconds: float, status: str = "submitted") -> None:
        self.rows[job_id] = Job(id=job_id, status=status,
                                updated_at=T0 + timedelta(seconds=seconds))

    def since(self, cursor: datetime | None) -> list[Job]:
        self.cursors.append(cursor)
        rows = [j for j in self.rows.values() if cursor is None or j.updated_at >= cursor]
        return sorted(rows, key=lambda j: j.updated_at)


def test_first_poll_returns_everything_then_only_changes() -> None:
    table = Table()
    table.put("a", 0)
    table.put("b", 1)
    poller = JobPoller(table.since, overlap=timedelta(seconds=10))
    assert [j.id for j in poller.poll()] == ["a", "b"]
    assert poller.poll() == []
    assert table.cursors[-1] == T0 + timedelta(seconds=1) - timedelta(seconds=10)
    table.put("a", 2, "reviewing")
    assert [(j.id, j.status) for j in poller.poll()] == [("a", "reviewing")]


def test_a_late_commit_inside_the_overlap_is_not_missed() -> None:
    table = Table()
    table.put("a", 5)
    poller = JobPoller(table.since, overlap=timedelta(seconds=10))
    poller.poll()
    table.put("late", 1)  # committed after the poll, stamped before the cursor
    assert [j.id for j in poller.poll()] == ["late"]
    assert poller.poll() == []


def test_seen_set_stays_bounded() -> None:
    table = Table()
    poller = JobPoller(table.since, overlap=timedelta(seconds=1))
    for second in range(100):
        table.put(f"j{second}", second)
        assert [j.id for j in poller.poll()] == [f"j{second}"]
    assert len(poller._seen) <= 3
