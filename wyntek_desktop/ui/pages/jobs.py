"""Jobs: the table of submitted jobs with a detail view; polled while visible."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Collection, Mapping
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QGuiApplication, QImage, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QWidget,
)

from wyntek_desktop.background.state import WorkState
from wyntek_desktop.core.errors import WyntekError
from wyntek_desktop.core.models import JOB_STATUSES
from wyntek_desktop.ui.context_menus import attach
from wyntek_desktop.ui.dialogs.confirm import confirm
from wyntek_desktop.ui.gc_policy import BIG_LOAD, freeze_survivors
from wyntek_desktop.ui.models import (
    JobsTableModel,
    fmt_bytes,
    fmt_time,
    status_label,
)
from wyntek_desktop.ui.spec_form import PROCESS_NAMES
from wyntek_desktop.ui.theme import hint_css
from wyntek_desktop.ui.widgets import Page, heading

POLL_MS = 5000             # while the Jobs page is visible
BACKGROUND_POLL_MS = 60000  # otherwise: status-change notifications still arrive
SEARCH_PAUSE_MS = 150      # typing pause before the jobs table filters


def find_pictures(state: WorkState, folder: Path) -> dict[str, Path]:
    """Worker: the pictures made when files were queued or checked on this computer, by
    the file's SHA-256 (listing a folder is I/O: never on the GUI thread)."""
    from wyntek_desktop.core.appdirs import THUMBNAIL_SUFFIX
    try:
        with os.scandir(folder) as entries:
            return {Path(e.name).stem: Path(e.path) for e in entries
                    if e.name.endswith(THUMBNAIL_SUFFIX) and e.is_file()}
    except OSError:  # no folder yet: no pictures
        return {}


def load_pictures(state: WorkState, paths: Mapping[str, Path]) -> dict[str, QImage]:
    """Worker: read and decode pictures (by file SHA-256) for the detail view, which
    then shows them from memory; a picture that cannot be read is left out."""
    images: dict[str, QImage] = {}
    for sha, path in paths.items():
        try:
            data = path.read_bytes()
        except OSError:
            continue
        image = QImage.fromData(data)  # QImage (unlike QPixmap) is safe off the GUI thread
        if not image.isNull():
            images[sha] = image
    return images


def picture_url(sha: str) -> QUrl:
    """The in-memory name of a picture in the detail view (no file:// URL, so the view
    never reads the disk while it paints)."""
    return QUrl(f"wyntek-picture:{sha}")


def material_names(catalogue: Any) -> dict[str, str]:
    """id -> name for the catalogue's materials (empty until it is loaded)."""
    return {m.id: m.name for m in getattr(catalogue, "materials", ()) if m.name}


ACTORS = {"customer": "you", "operator": "WYNTEK operator", "service": "WYNTEK"}
VERIFICATION_EVENTS = {"pending": "Files being verified", "passed": "Files verified",
                       "adjusted": "Price adjusted to the measured files",
                       "needs_tokens": "Needs more tokens at the measured price",
                       "failed": "Verification failed"}


def verified_price(job: Any) -> str:
    """The price the service settled on after measuring the stored files."""
    if job.verification in ("passed", "adjusted"):
        measured = (f", measured {job.verified_volume_cm3:.3f} cm³"
                    if job.verified_volume_cm3 is not None else "")
        refunded = "; refunded" if job.status in ("cancelled", "rejected") else ""
        return (f"{job.token_cost:,} tokens (verified {fmt_time(job.verified_at)}{measured})"
                f"{refunded}")
    if job.verification == "needs_tokens":
        return f"{job.token_cost:,} tokens measured; waiting for your confirmation"
    if job.verification == "pending":
        return "not yet: the service is measuring the files"
    return ""


def history_html(events: list[Any]) -> str:
    """The service's history of the job: every status change and verification outcome,
    with its note, time and who made it."""
    rows = []
    for e in events:
        what = (VERIFICATION_EVENTS.get(e.verification, e.verification) if e.verification
                else status_label(e.status))
        note = f"<br><span style='color:{hint_css()}'>{escape(e.note)}</span>" if e.note else ""
        rows.append(f"<tr><td style='color:{hint_css()};padding-right:12px' valign='top'>"
                    f"{escape(fmt_time(e.created_at))}</td><td><b>{escape(what)}</b> · "
                    f"{escape(ACTORS.get(e.actor, e.actor))}{note}</td></tr>")
    return "<h4>History</h4><table cellspacing='2'>" + "".join(rows) + "</table>"


def job_html(job: Any, history: list[tuple[datetime, str]],
             pictures: Collection[str] = (),
             names: dict[str, str] | None = None, events: list[Any] | None = None) -> str:
    """The detail view's HTML; `pictures` are the file SHA-256s whose picture is loaded
    (shown through `picture_url`); `events` the service's history, when loaded."""
    rows = [("Status", status_label(job.status)),
            ("Verification", getattr(job, "verification_text", "")),
            ("Verified price", verified_price(job)),
            ("Material", (names or {}).get(job.material_id or "") or job.material_id or ""),
            ("Process", PROCESS_NAMES.get(job.process or "", (job.process or "").upper())),
            ("Quantity", str(job.quantity)),
            ("Tolerance", f"±{job.tolerance_mm} mm" if job.tolerance_mm else ""),
            ("Finish", job.finish or ""), ("Tokens", f"{job.token_cost:,}"),
            ("Created", fmt_time(job.created_at)), ("Updated", fmt_time(job.updated_at)),
            ("Completed", fmt_time(job.completed_at))]
    if job.delivery_instructions:
        rows.append(("Delivery", job.delivery_instructions))
    if job.notes:
        rows.append(("Notes", job.notes))
    body = "".join(f"<tr><td style='color:{hint_css()};padding-right:12px'>{k}</td>"
                   f"<td>{escape(str(v))}</td></tr>" for k, v in rows if v)
    parts = [f"<h3>Job {escape(job.id)}</h3><table>{body}</table><h4>Files</h4>"]
    for f in job.files:
        analysis = f.analysis or {}
        mesh = analysis.get("mesh") or {}
        facts = [f.kind, fmt_bytes(f.size_bytes)]
        if mesh.get("dimensions_mm"):
            d = mesh["dimensions_mm"]
            facts.append(f"{d[0]:.1f} × {d[1]:.1f} × {d[2]:.1f} mm")  # noqa: RUF001
        if mesh.get("volume_cm3") is not None:
            facts.append(f"{mesh['volume_cm3']:.2f} cm³")
        findings = analysis.get("findings") or []
        n_warn = sum(1 for x in findings if x.get("severity") == "warning")
        if n_warn:
            facts.append(f"{n_warn} warning(s)")
        if f.deleted_at:
            retention = f"deleted {fmt_time(f.deleted_at)}"
        elif f.retain_until:
            retention = f"kept until {fmt_time(f.retain_until)}"
        else:
            retention = "kept until 12 months after completion"
        shown = bool(f.sha256) and f.sha256 in pictures
        # a table row per file: what follows starts below the picture, not beside it
        image = (f"<td width='100'><img src='{escape(picture_url(f.sha256).toString())}' "
                 "width='96' height='96'></td>" if shown else "")
        parts.append(f"<table cellspacing='0' cellpadding='2'><tr>{image}<td valign='top'>"
                     f"<b>{escape(f.file_name)}</b><br>{escape(' · '.join(facts))}"
                     f"<br><span style='color:{hint_css()}'>{escape(retention)}</span></td></tr>"
                     "</table>")
    if events:
        parts.append(history_html(events))
    elif history:  # the service's history is not loaded (yet, or offline)
        parts.append("<h4>Status history (seen by this app)</h4>")
        parts.append("".join(f"<div>{fmt_time(t)} — {escape(status_label(s))}</div>"
                             for t, s in history))
    return "".join(parts)


REPORTABLE = ("shipped", "completed")


def reorderable(job: Any) -> bool:
    """A completed job whose files WYNTEK still keeps (the service checks again)."""
    return (job.status == "completed" and bool(job.files)
            and all(f.deleted_at is None for f in job.files))


def reorder_hint(job: Any) -> str:
    if job.status != "completed":
        return "A job can be reordered once it is completed."
    if not reorderable(job):
        return ("The files of this job are no longer kept, so it cannot be reordered; "
                "submit the design files again as a new job.")
    return "Make this job again from the files WYNTEK keeps; nothing is uploaded."


def status_changes(events: list[Any], old: str, after: int | None) -> list[tuple[str, str]]:
    """(new status, previous status) of each status change in ``events`` not announced
    yet: after event id ``after``, or else after the last change that led to ``old``."""
    changes: list[tuple[int, str, str]] = []
    previous: str | None = None
    for e in sorted(events, key=lambda e: e.id):
        if previous is not None and e.status != previous:
            changes.append((e.id, e.status, previous))
        previous = e.status
    if after is None:
        start = max((i + 1 for i, (_, status, _) in enumerate(changes) if status == old),
                    default=0)
        return [(s, p) for _, s, p in changes[start:]]
    return [(s, p) for eid, s, p in changes if eid > after]


class JobsPage(Page):
    title = "Jobs"
    status_changed = Signal(object, str)   # job, previous status
    support_requested = Signal(str)        # a job id: write to support about it
    verification_changed = Signal(object)  # job: the service decided its files
    buy_tokens_requested = Signal()

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        top = QHBoxLayout()
        top.addWidget(heading("Jobs"))
        top.addStretch(1)
        self.search = QLineEdit(self)
        self.search.setAccessibleName("Search jobs")
        self.search.setPlaceholderText("Search: job, material, file, notes…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(260)
        top.addWidget(self.search)
        top.addWidget(QLabel("Status:"))
        self.filter = QComboBox(self)
        self.filter.setAccessibleName("Filter by status")
        self.filter.addItem("All", None)
        for s in JOB_STATUSES:
            self.filter.addItem(status_label(s), s)
        top.addWidget(self.filter)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setAccessibleName("Refresh jobs")
        self.refresh_button.setToolTip("F5")
        self.refresh_button.clicked.connect(self.refresh)
        top.addWidget(self.refresh_button)
        self.body.addLayout(top)
        self.model = JobsTableModel(self)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.setObjectName("jobs-splitter")
        self.table = QTableView(split)
        self.table.setAccessibleName("Jobs table")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(7, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        # size columns from the visible rows only (10 000 rows would take seconds)
        self.table.horizontalHeader().setResizeContentsPrecision(40)
        detail = QWidget(split)
        from PySide6.QtWidgets import QVBoxLayout
        dv = QVBoxLayout(detail)
        dv.setContentsMargins(0, 0, 0, 0)
        self.detail = QTextBrowser(detail)
        self.detail.setAccessibleName("Job details")
        dv.addWidget(self.detail, 1)
        self.cancel_button = QPushButton("Cancel job", detail)
        self.cancel_button.setAccessibleName("Cancel the selected job")
        self.cancel_button.clicked.connect(self.cancel_selected)
        dv.addWidget(self.cancel_button)
        # A job whose measured price needs more tokens: buy, confirm, or cancel above.
        self.confirm_button = QPushButton("Confirm measured price", detail)
        self.confirm_button.setAccessibleName("Confirm the measured price of the selected job")
        self.confirm_button.clicked.connect(self.confirm_selected)
        self.buy_button = QPushButton("Buy tokens", detail)
        self.buy_button.clicked.connect(self.buy_tokens_requested.emit)
        for button in (self.confirm_button, self.buy_button):
            button.setVisible(False)
            dv.addWidget(button)
        after = QHBoxLayout()  # what a finished job can still lead to
        self.reorder_button = QPushButton("Reorder…", detail)
        self.reorder_button.setAccessibleName("Reorder the selected job from its kept files")
        self.reorder_button.clicked.connect(self.reorder_selected)
        self.problem_button = QPushButton("Report a problem…", detail)
        self.problem_button.setAccessibleName("Report a problem with the selected job")
        self.problem_button.clicked.connect(self.report_problem_selected)
        after.addWidget(self.reorder_button)
        after.addWidget(self.problem_button)
        dv.addLayout(after)
        split.setSizes([700, 380])
        self.body.addWidget(split, 1)
        self.filter.currentIndexChanged.connect(
            lambda: self.model.set_status(self.filter.currentData()))
        # typing filters after a pause, not on every key, over thousands of jobs
        self._search_pause = QTimer(self)
        self._search_pause.setObjectName("jobs-search")
        self._search_pause.setSingleShot(True)
        self._search_pause.setInterval(SEARCH_PAUSE_MS)
        self._search_pause.timeout.connect(lambda: self.model.set_search(self.search.text()))
        self.search.textChanged.connect(lambda _: self._search_pause.start())
        self.table.selectionModel().selectionChanged.connect(self._show_selected)
        attach(self.table, self._context_menu)
        self.model.dataChanged.connect(lambda *a: self._show_selected())
        self._poll = QTimer(self)
        self._poll.setObjectName("jobs-poll")
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.poll)
        self._poller: Any = None
        self._history: dict[str, list[tuple[datetime, str]]] = {}
        # job id -> (its updated_at when fetched, the service's events)
        self._events: dict[str, tuple[datetime | None, list[Any]]] = {}
        self._announced: dict[str, int] = {}  # job id -> the last event id announced
        self.dialog: Any = None  # the open Reorder / Report a problem dialog
        self._select_next: str | None = None
        self._polling = False
        self._poll_again = False
        self._generation = 0
        self.confirmation: QMessageBox | None = None
        self._pictures: dict[str, Path] = {}  # file SHA-256 -> its picture
        self._images: dict[str, QImage] = {}  # pictures read and decoded in the background
        self._in_document: set[str] = set()  # those handed to the detail view
        self._visible = False
        self._columns_fitted = False
        services.signed_in_changed.connect(self._on_sign_in)
        services.catalogue_changed.connect(
            lambda c: self.model.set_material_names(material_names(c)))
        self.model.set_material_names(material_names(services.catalogue))
        self._show_selected()

    # -- loading --------------------------------------------------------------------------
    def _on_sign_in(self, email: str | None) -> None:
        self._poller = None
        self._generation += 1  # a poll still running for the previous user is dropped
        self.model.clear()
        self._history.clear()
        self._events.clear()
        self._announced.clear()
        if email is not None:
            self.poll()

    def refresh(self) -> None:
        """Everything again, not only what changed (e.g. after the files were deleted)."""
        self._poller = None
        self.poll()

    def poll(self) -> None:
        """One poll at a time: a poller remembers what it returned, so a second poll
        cancelled in flight would lose the changes the first one had already taken."""
        api = self.services.api
        if api is None or not self.services.signed_in:
            return
        if self._polling:
            self._poll_again = True
            return
        if self._poller is None:
            self._poller = api.job_poller()
        poller, generation = self._poller, self._generation
        self._polling = True

        def got(jobs: list[Any]) -> None:
            if generation == self._generation:
                self._got_changes(jobs)

        def finished() -> None:
            self._polling = False
            if self._poll_again:
                self._poll_again = False
                self.poll()
        self.services.call(lambda state: poller.poll(), on_result=got, on_finished=finished)

    def _got_changes(self, jobs: list[Any]) -> None:
        now = datetime.now().astimezone()
        for job in jobs:
            known = self.model.get(job.id)
            history = self._history.setdefault(job.id, [])
            if known is not None:
                # the service decides the files before anyone moves the job on
                if known.verification == "pending" and job.verification not in (None,
                                                                                  "pending"):
                    self.verification_changed.emit(job)
                old = known.status
                if old != job.status:
                    history.append((now, job.status))
                    self._announce(job, old)
            elif not history:
                history.append((job.updated_at or now, job.status))
        self.model.upsert(jobs)  # a poll brings new and changed jobs only
        if self._select_next is not None and self.select_job(self._select_next):
            self._select_next = None
        if jobs:
            self._find_pictures()
        if len(jobs) >= BIG_LOAD:
            freeze_survivors(full=False)  # no full collection over them while scrolling
        if jobs and not self._columns_fitted:  # once, unless the widths were restored
            self._columns_fitted = True
            for col in range(self.model.columnCount() - 1):
                self.table.resizeColumnToContents(col)

    # -- what the window remembers -----------------------------------------------------------
    def view_state(self) -> tuple[QByteArray, str | None]:
        return self.table.horizontalHeader().saveState(), self.filter.currentData()

    def restore_view(self, header: object, status: object) -> None:
        """The column widths, sort and status filter of the last session."""
        view_header = self.table.horizontalHeader()
        if isinstance(header, QByteArray) and not header.isEmpty():
            self._columns_fitted = view_header.restoreState(header)
            self.model.sort(view_header.sortIndicatorSection(), view_header.sortIndicatorOrder())
        if isinstance(status, str) and status:
            index = self.filter.findData(status)
            if index >= 0:
                self.filter.setCurrentIndex(index)

    # -- detail ---------------------------------------------------------------------------
    def selected_job(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.record(rows[0].row())

    def select_job(self, job_id: str) -> bool:
        row = self.model.row_of(job_id)
        if row is None and self.model.get(job_id) is not None:  # hidden: show every job
            self.filter.setCurrentIndex(self.filter.findData(None))
            self.search.clear()
            self._search_pause.stop()
            self.model.set_search("")
            row = self.model.row_of(job_id)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    # -- the service's history and a notification per change ---------------------------------
    def _announce(self, job: Any, old: str) -> None:
        """One notification per status change, from the service's history: two changes
        between polls (an operator moving quickly) are two notifications."""
        ops = self.services.operations
        if ops is None:
            self.status_changed.emit(job, old)
            return
        generation = self._generation

        def got(events: list[Any]) -> None:
            if generation != self._generation:
                return
            self._events[job.id] = (job.updated_at, events)
            changes = status_changes(events, old, self._announced.get(job.id))
            if not changes and job.id not in self._announced:
                changes = [(job.status, old)]  # a history that does not say: still news
            if events:
                self._announced[job.id] = max(e.id for e in events)
            for status, previous in changes:
                self.status_changed.emit(
                    job if status == job.status else dataclasses.replace(job, status=status),
                    previous)
            if self.selected_job() is not None and self.selected_job().id == job.id:
                self._show_selected()

        def failed(err: WyntekError) -> None:  # offline: the change is still news
            self.status_changed.emit(job, old)
        self.services.call(lambda state: ops.job_events(job.id), on_result=got,
                           on_error=failed)

    def _load_events(self, job: Any) -> None:
        """The selected job's history, fetched again when the job changed."""
        ops = self.services.operations
        cached = self._events.get(job.id)
        if ops is None or (cached is not None and cached[0] == job.updated_at):
            return
        generation, stamp = self._generation, job.updated_at

        def got(events: list[Any]) -> None:
            if generation != self._generation:
                return
            self._events[job.id] = (stamp, events)
            selected = self.selected_job()
            if selected is not None and selected.id == job.id:
                self._show_selected()
        self.services.call(lambda state: ops.job_events(job.id), on_result=got,
                           on_error=lambda err: None,  # the app's own history stays shown
                           latest="job-events")

    def events_of(self, job_id: str) -> list[Any] | None:
        cached = self._events.get(job_id)
        return None if cached is None else cached[1]

    # -- reorder and report a problem ---------------------------------------------------------
    def reorder_selected(self) -> None:
        job = self.selected_job()
        ops = self.services.operations
        if job is None or ops is None or not reorderable(job) or self.dialog is not None:
            return
        from wyntek_desktop.core.operations import ReorderChanges
        from wyntek_desktop.ui.dialogs.reorder import ReorderDialog
        dialog = ReorderDialog(
            self.services, job,
            lambda quantity: ops.quote_reorder(job.id, ReorderChanges(quantity=quantity)).tokens,
            lambda cid, changes: ops.reorder(job.id, changes, client_job_id=cid),
            self.model.material_names, self)
        dialog.ordered.connect(self._reordered)
        self._open_dialog(dialog)

    def _reordered(self, new_job: Any) -> None:
        self._got_changes([new_job])
        self.select_job(new_job.id)
        self.services.refresh_profile()
        self.show_info(f"Job {new_job.id[:8]} placed for {new_job.token_cost:,} tokens from "
                       "the kept files; the service checks them again before the shop "
                       "starts.")

    def report_problem_selected(self) -> None:
        job = self.selected_job()
        ops = self.services.operations
        if job is None or ops is None or job.status not in REPORTABLE \
                or self.dialog is not None:
            return
        from wyntek_desktop.ui.dialogs.report_problem import ReportProblemDialog
        dialog = ReportProblemDialog(
            self.services, job, lambda subject, body: ops.report_problem(job.id, subject, body),
            self)
        dialog.sent.connect(lambda msg: self.show_info(
            f"Your report about job {job.id[:8]} was sent to support as a warranty claim; "
            "they answer by email."))
        self._open_dialog(dialog)

    def _open_dialog(self, dialog: Any) -> None:
        self.dialog = dialog
        dialog.finished.connect(lambda _: self._dialog_closed(dialog))
        dialog.open()

    def _dialog_closed(self, dialog: Any) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()
        self.table.setFocus()

    def _context_menu(self, menu: QMenu) -> None:
        job = self.selected_job()
        if job is None:
            return
        cancel = menu.addAction("&Cancel job…", self.cancel_selected)
        cancel.setEnabled(job.cancellable)
        menu.addAction("R&eorder…", self.reorder_selected).setEnabled(reorderable(job))
        menu.addAction("Report a &problem…", self.report_problem_selected).setEnabled(
            job.status in REPORTABLE)
        menu.addAction("Contact &support about this job…",
                       lambda: self.support_requested.emit(job.id))
        menu.addAction("Copy job &ID", lambda: QGuiApplication.clipboard().setText(job.id))
        menu.addSeparator()
        menu.addAction("&Refresh", self.refresh)

    def select_job_when_listed(self, job_id: str) -> None:
        """Select the job now, or after the next poll brings it (a job just submitted)."""
        if not self.select_job(job_id):
            self._select_next = job_id
            self.refresh()

    def _show_selected(self, *args: Any) -> None:
        job = self.selected_job()
        if job is None:
            self.detail.setHtml(f"<p style='color:{hint_css()}'>Select a job to see its "
                                "spec, files, report summary and retention dates.</p>")
            self.cancel_button.setEnabled(False)
            self.confirm_button.setVisible(False)
            self.buy_button.setVisible(False)
            self.reorder_button.setEnabled(False)
            self.problem_button.setEnabled(False)
            return
        shas = {f.sha256 for f in job.files if f.sha256}
        self._hand_over(shas)
        self.detail.setHtml(job_html(job, self._history.get(job.id, []),
                                     shas & self._in_document, self.model.material_names,
                                     self.events_of(job.id)))
        unread = {sha: self._pictures[sha] for sha in shas
                  if sha in self._pictures and sha not in self._images}
        if unread:
            self.services.call(load_pictures, unread, on_result=self._got_images,
                               latest="job-picture-images")
        self._load_events(job)
        self.reorder_button.setEnabled(reorderable(job))
        self.reorder_button.setToolTip(reorder_hint(job))
        self.problem_button.setEnabled(job.status in REPORTABLE)
        self.problem_button.setToolTip(
            "" if job.status in REPORTABLE else
            "A problem can be reported once the job is shipped or completed; before that, "
            "contact support from the job's context menu.")
        if any(f.kind == "model" and f.sha256 and f.sha256 not in self._pictures
               for f in job.files):
            self._find_pictures()  # made since the last look? shown when found
        waiting = job.tokens_to_confirm > 0 and job.status == "submitted"
        self.confirm_button.setVisible(waiting)
        self.buy_button.setVisible(waiting)
        self.cancel_button.setEnabled(job.cancellable)
        self.cancel_button.setToolTip("" if job.cancellable else
                                      "Only a job that is still 'submitted' can be cancelled.")

    def confirm_selected(self) -> None:
        job = self.selected_job()
        api = self.services.api
        if job is None or api is None:
            return
        self.confirm_button.setEnabled(False)

        def done(updated: Any) -> None:
            self.confirm_button.setEnabled(True)
            self._got_changes([updated])
            self._show_selected()
            self.services.refresh_profile()
            self.show_info(f"Job {job.id[:8]}: the measured price of {updated.token_cost:,} "
                           "tokens is confirmed.")

        def failed(err: Any) -> None:
            self.confirm_button.setEnabled(True)
            self.show_error(err)
        self.services.call(lambda state: api.confirm_job_price(job.id), on_result=done,
                           on_error=failed)

    def cancel_selected(self) -> None:
        job = self.selected_job()
        if job is None or self.services.api is None:
            return
        self.confirmation = confirm(
            self, "Cancel the job", f"Cancel job {job.id[:8]}?", "Cancel the job",
            lambda: self._cancel(job), destructive=True, keep="Keep the job",
            informative=f"WYNTEK will not make it, and its {job.token_cost:,} tokens are "
                        "refunded to your balance. This cannot be undone.")

    def _cancel(self, job: Any) -> None:
        api = self.services.api
        if api is None:
            return
        self.cancel_button.setEnabled(False)

        def done(updated: Any) -> None:
            self._got_changes([updated])
            self.services.refresh_profile()
            self.show_info(f"Job {job.id[:8]} cancelled; {job.token_cost} tokens refunded.")
        def failed(err: WyntekError) -> None:
            self.show_error(err)
            self._show_selected()
        self.services.call(lambda state: api.cancel_job(job.id), on_result=done,
                           on_error=failed)

    # -- visibility -----------------------------------------------------------------------
    def _find_pictures(self) -> None:
        from wyntek_desktop.core.appdirs import AppDirs
        self.services.call(find_pictures, AppDirs.default().thumbnails,
                           on_result=self._got_pictures, latest="job-pictures")

    def _hand_over(self, shas: Collection[str]) -> None:
        """Give the detail view's document the loaded pictures it does not have yet."""
        document = self.detail.document()
        for sha in shas:
            if sha in self._images and sha not in self._in_document:
                document.addResource(QTextDocument.ResourceType.ImageResource,
                                     picture_url(sha), self._images[sha])
                self._in_document.add(sha)

    def _got_images(self, images: dict[str, QImage]) -> None:
        fresh = {sha: image for sha, image in images.items() if sha not in self._images}
        if not fresh:
            return
        self._images.update(fresh)
        if self.selected_job() is not None:
            self._show_selected()

    def _got_pictures(self, pictures: dict[str, Path]) -> None:
        if pictures != self._pictures:
            self._pictures = pictures
            if self.selected_job() is not None:
                self._show_selected()

    def page_shown(self) -> None:
        self._visible = True
        self._find_pictures()  # new ones may have been made since
        self.poll()
        self._poll.start(POLL_MS)

    def page_hidden(self) -> None:
        self._visible = False
        if self.services.signed_in:
            self._poll.start(BACKGROUND_POLL_MS)
        else:
            self._poll.stop()

    def shutdown(self) -> None:
        self._poll.stop()
