"""Qt item models over the core's plain data (jobs, outbox files, ledger, messages).

The models hold the core's dataclasses and adapt them thinly (napari's
``_qt/containers`` pattern). Sorting happens in Python on the record list with one key
function per column, so sorting 10 000 jobs is one ``sorted`` call instead of hundreds
of thousands of ``data()`` calls from a C++ comparator.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    Qt,
    Signal,
)

if TYPE_CHECKING:
    from PySide6.QtCore import QModelRoleData, SignalInstance

RECORD_ROLE = Qt.ItemDataRole.UserRole + 2
STATUS_ROLE = Qt.ItemDataRole.UserRole + 3
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 4
DISPLAY_ROLE = int(Qt.ItemDataRole.DisplayRole)
ALIGNMENT_ROLE = int(Qt.ItemDataRole.TextAlignmentRole)
# the overload of the layout signals that carries a hint (a sort lets headers skip work)
_LAYOUT_ARGS = "QList<QPersistentModelIndex>,QAbstractItemModel::LayoutChangeHint"


def _overload(signal: SignalInstance) -> Any:
    """A signal indexed by its C++ signature picks one overload (the stubs lack it)."""
    return signal
RIGHT_ALIGNED = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

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


def _sort_value(value: Any) -> Any:
    """A key that compares quickly: datetimes as timestamps (aware and naive mix)."""
    return value.timestamp() if isinstance(value, datetime) else value


@dataclass(frozen=True)
class Column:
    title: str
    display: Callable[[Any], Any]
    sort_key: Callable[[Any], Any] | None = None
    align_right: bool = False


class RecordTableModel(QAbstractTableModel):
    """A table of records (dataclasses); one row per shown record, columns by ``Column``.

    The model keeps every record (``records()``) and shows those its filter accepts, in
    the sort order. Filtering and sorting happen here in Python rather than in a
    QSortFilterProxyModel, which would call ``data()`` once per row from C++. Sorting
    runs on the GUI thread on purpose: with each column's keys computed once per set of
    records, 10 000 rows sort in a few milliseconds, while a sorting thread would hold
    the interpreter lock against every ``data()`` call of the repaint.
    """

    columns: Sequence[Column] = ()
    sorted_ = Signal()                    # the rows are in the requested order

    def __init__(self, parent: Any = None,
                 key: Callable[[Any], Any] = operator.attrgetter("id")) -> None:
        super().__init__(parent)
        self._base: list[Any] = []   # every record, in the order they arrived
        self._all: list[Any] = []    # the same, in the current sort order
        self._sort_keys: dict[int, list[Any]] = {}  # column -> a key per _base record
        self._sorted_base: list[Any] | None = None    # the _base the shown order came from
        self._text_cache: dict[Any, tuple[Any, tuple[str, ...]]] = {}
        self._rows: list[Any] = []   # the records the filter accepts, same order
        self._key = key
        self._accept: Callable[[Any], bool] | None = None
        self._where: dict[Any, int] | None = None      # key -> shown row, built on demand
        self._by_key: dict[Any, Any] | None = None     # key -> record, built on demand
        self._sort: tuple[int, Qt.SortOrder] | None = None

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
                       int(Qt.ItemDataRole.TextAlignmentRole),
                       int(RECORD_ROLE), int(STATUS_ROLE), int(PROGRESS_ROLE)})

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = index.row()
        if role not in self.ROLES or not 0 <= row < len(self._rows) or not index.isValid():
            return None
        return self.value(row, index.column(), role)

    def multiData(self, index: Index, span: QModelRoleDataSpan) -> None:  # type: ignore[override]
        """All roles of a cell in one call: the item delegate asks seven roles per cell,
        and each call from C++ into Python has a fixed cost."""
        row = index.row()
        if not 0 <= row < len(self._rows) or not index.isValid():
            return
        column = index.column()
        roles = self.ROLES
        items = cast("Sequence[QModelRoleData]", span)  # a sequence; its stub says not
        for i in range(len(items)):
            item = items[i]
            role = item.role()
            if role in roles:
                item.setData(self.value(row, column, role))
            else:
                item.clearData()

    def value(self, row: int, column: int, role: int) -> Any:
        """What ``data()`` answers for a shown row; subclasses add roles here."""
        record = self._rows[row]
        col = self.columns[column]
        if role == DISPLAY_ROLE:
            return self._texts(record)[column]
        if role == ALIGNMENT_ROLE:
            return RIGHT_ALIGNED if col.align_right else None
        if role == RECORD_ROLE:
            return record
        return self.extra_data(record, column, role)

    def extra_data(self, record: Any, column: int, role: int) -> Any:
        return None

    def _texts(self, record: Any) -> tuple[str, ...]:
        """A record's display texts, formatted once: a repaint asks for every visible
        cell again, and formatting dates is most of what that costs in Python."""
        key = self._key(record)
        cached = self._text_cache.get(key)
        if cached is not None and cached[0] is record:
            return cached[1]
        texts = tuple("" if (v := c.display(record)) is None else str(v) for c in self.columns)
        self._text_cache[key] = (record, texts)
        return texts

    # -- records --------------------------------------------------------------------------
    def record(self, row: int) -> Any:
        """The record shown in ``row``."""
        return self._rows[row]

    def records(self) -> list[Any]:
        """Every record, shown or filtered out."""
        return list(self._all)

    def get(self, key: Any) -> Any:
        """The record with this key, shown or not; None if there is none."""
        if self._by_key is None:
            self._by_key = {self._key(r): r for r in self._all}
        return self._by_key.get(key)

    def row_of(self, key: Any) -> int | None:
        """The shown row of the record with this key; None if it is not shown."""
        if self._where is None:
            self._where = {self._key(r): i for i, r in enumerate(self._rows)}
        return self._where.get(key)

    def _changed(self) -> None:
        self._where = None
        self._by_key = None

    def _set_base(self, records: list[Any]) -> None:
        self._base = records
        self._sort_keys.clear()
        self._text_cache.clear()

    def _accepts(self, record: Any) -> bool:
        return self._accept is None or self._accept(record)

    def set_filter(self, accept: Callable[[Any], bool] | None) -> None:
        """Show only the records ``accept`` returns true for (None: all of them)."""
        self._accept = accept
        self._relayout(self._all, self._shown(self._all))

    def _shown(self, records: list[Any]) -> list[Any]:
        accept = self._accept
        return list(records) if accept is None else [r for r in records if accept(r)]

    def set_records(self, records: Iterable[Any]) -> None:
        """Merge: changed rows emit dataChanged, new ones are appended, gone ones removed."""
        key = self._key
        incoming = {key(r): r for r in records}
        if not self._all:  # first load: one reset is far cheaper than 10 000 inserts
            self.beginResetModel()
            self._set_base(list(incoming.values()))
            self._all = self._base
            self._rows = self._shown(self._all)
            self._changed()
            self.endResetModel()
            if self._sort is not None and self._all:
                self.sort(*self._sort)
            return
        kept: list[Any] = []
        known: set[Any] = set()
        changed = False
        for record in self._base:
            k = key(record)
            new = incoming.get(k)
            if new is None:
                continue
            known.add(k)
            kept.append(new)
            if new is not record and new != record:
                changed = True
        added = [r for k, r in incoming.items() if k not in known]
        if added or changed or len(kept) != len(self._base):
            self._set_base(kept + added)
            by_key = {key(r): r for r in self._base}
            self._all = [by_key[k] for r in self._all if (k := key(r)) in by_key] + added
        # shown rows: drop the gone and the no longer accepted, update the rest in place
        gone = [i for i, r in enumerate(self._rows)
                if (n := incoming.get(key(r))) is None or not self._accepts(n)]
        for first, last in _ranges_desc(gone[::-1]):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first:last + 1]
            self.endRemoveRows()
        self._changed()
        shown = set()
        for row, record in enumerate(self._rows):
            k = key(record)
            shown.add(k)
            new = incoming[k]
            if new is not record and new != record:
                self._rows[row] = new
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))
        appear = [r for r in self._all if key(r) not in shown and self._accepts(r)]
        if appear:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(appear) - 1)
            self._rows.extend(appear)
            self.endInsertRows()
        self._changed()
        if (added or changed or appear) and self._sort is not None:
            self.sort(*self._sort)

    def upsert(self, records: Iterable[Any]) -> None:
        """Add the new records and replace the changed ones (by key); none is removed.
        Records equal to the ones held cost one lookup each and change nothing."""
        key = self._key
        changes = [r for r in records if (old := self.get(key(r))) is not r and old != r]
        if not changes:
            return
        merged = {key(r): r for r in self._base}
        merged.update((key(r), r) for r in changes)
        self.set_records(merged.values())

    def clear(self) -> None:
        self.beginResetModel()
        self._set_base([])
        self._all = []
        self._rows = []
        self._changed()
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        if self._sort == (column, order) and self._sorted_base is self._base:
            # already in this order (QTableView.sortByColumn asks twice)
            self.sorted_.emit()
            return
        self._sort = (column, order)
        self._sorted_base = self._base
        ordered = self._ordered(column, order == Qt.SortOrder.DescendingOrder)
        self._relayout(ordered, self._shown(ordered),
                       hint=QAbstractItemModel.LayoutChangeHint.VerticalSortHint)
        self.sorted_.emit()

    def _ordered(self, column: int, descending: bool) -> list[Any]:
        """The records sorted by one column, stable, empty values last."""
        keys = self._sort_keys.get(column)
        if keys is None:
            col = self.columns[column]
            get = col.sort_key or col.display
            keys = self._sort_keys[column] = [_sort_value(get(r)) for r in self._base]
        present = [i for i, k in enumerate(keys) if k is not None]
        try:
            present.sort(key=keys.__getitem__, reverse=descending)
        except TypeError:  # mixed kinds of value in one column: compare as text
            present.sort(key=lambda i: str(keys[i]), reverse=descending)
        base = self._base
        return [base[i] for i in present] + [r for r, k in zip(base, keys, strict=True)
                                              if k is None]

    def _relayout(self, records: list[Any], shown: list[Any],
                  hint: QAbstractItemModel.LayoutChangeHint =
                  QAbstractItemModel.LayoutChangeHint.NoLayoutChangeHint) -> None:
        """Replace the shown rows in one layout change; persistent indexes (the view's
        selection and current row) follow their records or become invalid."""
        _overload(self.layoutAboutToBeChanged)[_LAYOUT_ARGS].emit([], hint)
        persistent = self.persistentIndexList()
        old_keys = [self._key(self._rows[p.row()]) for p in persistent]
        self._all = records
        self._rows = shown
        self._changed()
        if persistent:
            moved = []
            for p, k in zip(persistent, old_keys, strict=True):
                row = self.row_of(k)
                moved.append(QModelIndex() if row is None else self.index(row, p.column()))
            self.changePersistentIndexList(persistent, moved)
        _overload(self.layoutChanged)[_LAYOUT_ARGS].emit([], hint)


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


_WAITING = {"pending": "verifying files…", "needs_tokens": "needs tokens"}


def job_status_text(job: Any) -> str:
    """The status, and while the service has the job's files, where verification is."""
    waiting = _WAITING.get(getattr(job, "verification", None) or "")
    label = status_label(job.status)
    return f"{label} · {waiting}" if waiting and job.status == "submitted" else label


class JobsTableModel(RecordTableModel):
    columns = (
        Column("Job", lambda j: _short(j.id)),
        Column("Status", job_status_text, lambda j: j.status),
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

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.status: str | None = None
        self.search = ""
        self._haystacks: dict[str, tuple[Any, str]] = {}  # job id -> (job, its text)

    def set_status(self, status: str | None) -> None:
        """Show only jobs in this status (None: every job)."""
        self.status = status or None
        self._apply_filters()

    def set_search(self, text: str) -> None:
        """Show only jobs whose id, material, process, notes or file names contain every
        word of ``text`` (case-insensitive; empty: no search)."""
        self.search = " ".join(text.split())
        self._apply_filters()

    def _apply_filters(self) -> None:
        status, words = self.status, self.search.casefold().split()
        if status is None and not words:
            self.set_filter(None)
            return
        haystack = self._haystack

        def accept(job: Any) -> bool:
            if status is not None and job.status != status:
                return False
            text = haystack(job) if words else ""
            return all(word in text for word in words)
        self.set_filter(accept)

    def _haystack(self, job: Any) -> str:
        cached = self._haystacks.get(job.id)
        if cached is not None and cached[0] is job:
            return cached[1]
        parts = [job.id, job.material_id, job.process, job.finish, job.notes,
                 job.delivery_instructions, *(f.file_name for f in job.files)]
        text = " ".join(p for p in parts if p).casefold()
        self._haystacks[job.id] = (job, text)
        return text

    def extra_data(self, record: Any, column: int, role: int) -> Any:
        if role == STATUS_ROLE:
            return record.status
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return record.id
        return None


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

    def value(self, row: int, column: int, role: int) -> Any:
        if column in (self.PROGRESS_COLUMN, self.SPEED_COLUMN, self.ETA_COLUMN) \
                and role == DISPLAY_ROLE:
            p = self.progress_of(row)
            if column == self.PROGRESS_COLUMN:
                return f"{100 * p.sent / p.total:.0f} %" if p.total else "100 %"
            if column == self.SPEED_COLUMN:
                return f"{fmt_bytes(p.speed)}/s" if p.speed else ""
            return fmt_eta(p.eta)
        if role == PROGRESS_ROLE:
            p = self.progress_of(row)
            return p.sent / p.total if p.total else 1.0
        return super().value(row, column, role)


# --- ledger and support messages ---------------------------------------------------------

LEDGER_REASONS = {"purchase": "Purchase", "grant": "Grant", "job": "Job charge",
                  "refund": "Refund (job cancelled)"}


class LedgerModel(RecordTableModel):
    columns = (
        Column("Date", lambda e: fmt_time(e.created_at), lambda e: e.created_at),
        Column("Change", lambda e: f"{e.delta:+d}", lambda e: e.delta, align_right=True),
        Column("Reason", lambda e: "Refund (purchase refunded)"
               if e.reason == "refund" and getattr(e, "purchase_id", None)
               else LEDGER_REASONS.get(e.reason, e.reason)),
        Column("Job", lambda e: _short(e.job_id)),
    )


class MessagesModel(RecordTableModel):
    columns = (
        Column("Date", lambda m: fmt_time(m.created_at), lambda m: m.created_at),
        Column("Subject", lambda m: m.subject),
        Column("Job", lambda m: _short(m.job_id)),
        Column("Status", lambda m: status_label(m.status) if m.status else ""),
    )
