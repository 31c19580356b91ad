"""Qt item models over the core's plain data (jobs, outbox files, ledger, messages).

The models hold the core's dataclasses and adapt them thinly (napari's
``_qt/containers`` pattern). Sorting happens in Python on the record list with one key
function per column, so sorting 10 000 jobs is one ``sorted`` call instead of hundreds
of thousands of ``data()`` calls from a C++ comparator.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRegularExpression,
    QSortFilterProxyModel,
    Qt,
    Signal,
)

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
RECORD_ROLE = Qt.ItemDataRole.UserRole + 2
STATUS_ROLE = Qt.ItemDataRole.UserRole + 3
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 4

Index = QModelIndex | QPersistentModelIndex


def fmt_time(value: datetime | float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value).astimezone()
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def fmt_bytes(n: float | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"  # pragma: no cover


def fmt_eta(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return ""
    s = round(seconds)
    return f"{s // 60}:{s % 60:02d}" if s < 3600 else f"{s // 3600} h {s % 3600 // 60:02d} min"


def status_label(status: str) -> str:
    return status.replace("_", " ").capitalize()


def _sortable(value: Any) -> Any:
    """Keys that compare across None: (is_none, value)."""
    if isinstance(value, datetime):
        value = value.timestamp()
    return (value is None, value if value is not None else 0)


@dataclass(frozen=True)
class Column:
    title: str
    display: Callable[[Any], Any]
    sort_key: Callable[[Any], Any] | None = None
    align_right: bool = False


class RecordTableModel(QAbstractTableModel):
    """A table of records (dataclasses); one row per record, columns by ``Column``.

    Big tables sort off the GUI thread: the order is computed on a snapshot in a short
    thread and applied (if nothing changed meanwhile) in one layout change.
    """

    columns: Sequence[Column] = ()
    ASYNC_SORT_ROWS = 2000
    sorted_ = Signal()                    # the rows are in the requested order
    _order_ready = Signal(int, int, object)  # (request, version, new rows) from the thread

    def __init__(self, parent: Any = None, key: Callable[[Any], Any] = lambda r: r.id) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []
        self._key = key
        self._where: dict[Any, int] = {}
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._version = 0
        self._request = 0
        self._order_ready.connect(self._apply_order)

    # -- Qt interface -------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.columns)):
            return self.columns[section].title
        return None

    # The view asks ~8 roles per visible cell; unanswered roles return at once.
    ROLES = frozenset({int(Qt.ItemDataRole.DisplayRole), int(Qt.ItemDataRole.ToolTipRole),
                       int(Qt.ItemDataRole.TextAlignmentRole), int(SORT_ROLE),
                       int(RECORD_ROLE), int(STATUS_ROLE), int(PROGRESS_ROLE)})

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in self.ROLES or not index.isValid() or index.row() >= len(self._rows):
            return None
        record = self._rows[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = column.display(record)
            return "" if value is None else str(value)
        if role == SORT_ROLE:
            return _sortable((column.sort_key or column.display)(record))
        if role == RECORD_ROLE:
            return record
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return self.extra_data(record, index.column(), role)

    def extra_data(self, record: Any, column: int, role: int) -> Any:
        return None

    # -- records --------------------------------------------------------------------------
    def record(self, row: int) -> Any:
        return self._rows[row]

    def records(self) -> list[Any]:
        return list(self._rows)

    def row_of(self, key: Any) -> int | None:
        return self._where.get(key)

    def _reindex(self) -> None:
        self._version += 1
        self._where = {self._key(r): i for i, r in enumerate(self._rows)}

    def set_records(self, records: Iterable[Any]) -> None:
        """Merge: changed rows emit dataChanged, new ones are appended, gone ones removed."""
        new = list(records)
        new_keys = {self._key(r) for r in new}
        gone = sorted((i for k, i in self._where.items() if k not in new_keys), reverse=True)
        for i in _ranges_desc(gone):
            first, last = i
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first:last + 1]
            self.endRemoveRows()
        if gone:
            self._reindex()
        if not self._rows:  # first load: one reset is far cheaper than 10 000 inserts
            self.beginResetModel()
            self._rows = new
            self._reindex()
            self.endResetModel()
            if self._sort is not None and new:
                self.sort(*self._sort)
            return
        added = []
        changed = False
        for record in new:
            row = self._where.get(self._key(record))
            if row is None:
                added.append(record)
            elif self._rows[row] != record:
                self._rows[row] = record
                self._version += 1
                changed = True
                self.dataChanged.emit(self.index(row, 0),
                                      self.index(row, len(self.columns) - 1))
        if added:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(added) - 1)
            self._rows.extend(added)
            self.endInsertRows()
            self._reindex()
        if (added or changed) and self._sort is not None:
            self.sort(*self._sort)

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self._where = {}
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        self._sort = (column, order)
        self._request += 1
        request, version = self._request, self._version
        if len(self._rows) <= self.ASYNC_SORT_ROWS:
            self._apply_order(request, version, self._sorted_copy(self._rows, column, order))
            return
        rows = list(self._rows)
        threading.Thread(target=lambda: self._order_ready.emit(
            request, version, self._sorted_copy(rows, column, order)),
            name="wyntek-table-sort", daemon=True).start()

    def _sorted_copy(self, rows: list[Any], column: int, order: Qt.SortOrder) -> list[Any]:
        col = self.columns[column]
        get = col.sort_key or col.display
        return sorted(rows, key=lambda r: _sortable(get(r)),
                      reverse=order == Qt.SortOrder.DescendingOrder)

    def _apply_order(self, request: int, version: int, rows: list[Any]) -> None:
        if request != self._request:  # a newer sort was asked for: it will apply
            return
        if version != self._version:  # the rows changed meanwhile: sort them again
            if self._sort is not None:
                self.sort(*self._sort)
            return
        self.layoutAboutToBeChanged.emit()
        old_keys = [self._key(r) for r in self._rows]
        self._rows = rows
        self._reindex()
        persistent = self.persistentIndexList()
        if persistent:
            moved = [self.index(self._where[old_keys[p.row()]], p.column()) for p in persistent]
            self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()
        self.sorted_.emit()


def _ranges_desc(rows_desc: list[int]) -> list[tuple[int, int]]:
    """[9, 8, 7, 3] -> [(7, 9), (3, 3)] for removal from the end."""
    out: list[tuple[int, int]] = []
    for r in rows_desc:
        if out and out[-1][0] == r + 1:
            out[-1] = (r, out[-1][1])
        else:
            out.append((r, r))
    return out


# --- jobs ------------------------------------------------------------------------------

def _short(uuid_text: str | None) -> str:
    return (uuid_text or "")[:8]


class JobsTableModel(RecordTableModel):
    columns = (
        Column("Job", lambda j: _short(j.id)),
        Column("Status", lambda j: status_label(j.status), lambda j: j.status),
        Column("Material", lambda j: j.material_id),
        Column("Qty", lambda j: j.quantity, align_right=True),
        Column("Tolerance", lambda j: f"±{j.tolerance_mm} mm" if j.tolerance_mm else "",
               lambda j: j.tolerance_mm),
        Column("Tokens", lambda j: j.token_cost, align_right=True),
        Column("Files", lambda j: len(j.files), align_right=True),
        Column("Created", lambda j: fmt_time(j.created_at), lambda j: j.created_at),
        Column("Updated", lambda j: fmt_time(j.updated_at), lambda j: j.updated_at),
    )
    STATUS_COLUMN = 1

    def extra_data(self, record: Any, column: int, role: int) -> Any:
        if role == STATUS_ROLE:
            return record.status
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return record.id
        return None


class JobsFilterProxy(QSortFilterProxyModel):
    """Filters by status (exact match, in C++); sorting is delegated to the source."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setFilterKeyColumn(JobsTableModel.STATUS_COLUMN)
        self.setFilterRole(STATUS_ROLE)
        self.setDynamicSortFilter(True)
        self.status: str | None = None

    def set_status(self, status: str | None) -> None:
        self.status = status or None
        pattern = "" if self.status is None else f"^{QRegularExpression.escape(self.status)}$"
        self.setFilterRegularExpression(pattern)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)


# --- outbox ---------------------------------------------------------------------------

@dataclass
class FileProgress:
    sent: int = 0
    total: int = 0
    speed: float | None = None  # bytes/s
    eta: float | None = None    # seconds


@dataclass(frozen=True)
class OutboxRow:
    """One file of one outbox job (the outbox page shows a row per file)."""

    client_job_id: str
    index: int
    file_name: str
    size: int
    state: str
    paused: bool
    failure: str | None
    sent: int

    @property
    def id(self) -> tuple[str, int]:
        return (self.client_job_id, self.index)


def outbox_rows(jobs: Iterable[Any]) -> list[OutboxRow]:
    rows = []
    for job in jobs:
        for f in job.files:
            sent = f.size if f.verified else f.offset
            rows.append(OutboxRow(job.client_job_id, f.index, f.file_name, f.size, job.state,
                                  job.paused, job.failure, sent))
    return rows


class OutboxModel(RecordTableModel):
    columns = (
        Column("Job", lambda r: _short(r.client_job_id)),
        Column("File", lambda r: r.file_name),
        Column("Size", lambda r: fmt_bytes(r.size), lambda r: r.size, align_right=True),
        Column("State", lambda r: ("Paused" if r.paused and r.state not in ("submitted",)
                                   else status_label(r.state))),
        Column("Progress", lambda r: "", lambda r: r.sent / r.size if r.size else 1.0),
        Column("Speed", lambda r: "", lambda r: 0),
        Column("ETA", lambda r: "", lambda r: 0),
        Column("Reason", lambda r: r.failure or ""),
    )
    PROGRESS_COLUMN, SPEED_COLUMN, ETA_COLUMN = 4, 5, 6

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._live: dict[tuple[str, int], FileProgress] = {}

    def update_progress(self, client_job_id: str, index: int, sent: int, total: int,
                        speed: float | None = None, eta: float | None = None) -> None:
        key = (client_job_id, index)
        self._live[key] = FileProgress(sent, total, speed, eta)
        row = self.row_of(key)
        if row is not None:
            self.dataChanged.emit(self.index(row, self.PROGRESS_COLUMN),
                                  self.index(row, self.ETA_COLUMN))

    def progress_of(self, row: int) -> FileProgress:
        record = self.record(row)
        live = self._live.get(record.id)
        if live is not None and live.sent >= record.sent:
            return live
        return FileProgress(record.sent, record.size)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        col = index.column() if index.isValid() else -1
        if (col in (self.PROGRESS_COLUMN, self.SPEED_COLUMN, self.ETA_COLUMN)
                and role == Qt.ItemDataRole.DisplayRole and index.row() < len(self._rows)):
            p = self.progress_of(index.row())
            if col == self.PROGRESS_COLUMN:
                return f"{100 * p.sent / p.total:.0f} %" if p.total else "100 %"
            if col == self.SPEED_COLUMN:
                return f"{fmt_bytes(p.speed)}/s" if p.speed else ""
            return fmt_eta(p.eta)
        if role == PROGRESS_ROLE and index.isValid() and index.row() < len(self._rows):
            p = self.progress_of(index.row())
            return p.sent / p.total if p.total else 1.0
        return super().data(index, role)


# --- ledger and support messages ---------------------------------------------------------

class LedgerModel(RecordTableModel):
    columns = (
        Column("Date", lambda e: fmt_time(e.created_at), lambda e: e.created_at),
        Column("Change", lambda e: f"{e.delta:+d}", lambda e: e.delta, align_right=True),
        Column("Reason", lambda e: e.reason),
        Column("Job", lambda e: _short(e.job_id)),
    )


class MessagesModel(RecordTableModel):
    columns = (
        Column("Date", lambda m: fmt_time(m.created_at), lambda m: m.created_at),
        Column("Subject", lambda m: m.subject),
        Column("Job", lambda m: _short(m.job_id)),
        Column("Status", lambda m: m.status or ""),
    )
