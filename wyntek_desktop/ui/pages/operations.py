"""Operations: the jobs assigned to a WYNTEK operator, their work sheet and files, and the
next step of each (advance with a note, reject with a reason).

Shown only to accounts whose token says they are operators; the database's row-level
security decides what they see, so a customer who opens the page anyway sees no jobs.
Everything the page fetches, downloads, hashes or reads runs off the GUI thread.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from wyntek_desktop.background.state import WorkState
from wyntek_desktop.core.errors import IntegrityError, WyntekError
from wyntek_desktop.core.models import JOB_STATUSES, JobFile
from wyntek_desktop.core.operations import OperatorJob
from wyntek_desktop.ui.gc_policy import BIG_LOAD, freeze_survivors
from wyntek_desktop.ui.models import fmt_bytes, status_label
from wyntek_desktop.ui.operations_models import (
    OPEN,
    OperationsTableModel,
    advance_hint,
    reading_of,
    search_text,
    work_sheet_html,
)
from wyntek_desktop.ui.report_panel import ReportPanel
from wyntek_desktop.ui.theme import hint_css, mark_hint
from wyntek_desktop.ui.viewer import MeshView
from wyntek_desktop.ui.widgets import Page, heading

# Design work is named, not imported (numpy loads in the worker, as on Prepare).
TASKS = "wyntek_desktop.design.tasks:"
SEARCH_PAUSE_MS = 150
POLL_MS = 60_000  # new assignments and changes while the page is visible (F5: at once)
SHORTCUTS = {"download": "Ctrl+D", "advance": "Ctrl+Shift+A", "reject": "Ctrl+Shift+R",
             "cancel": "Escape", "search": "Ctrl+Shift+F", "refresh": "F5"}


def download_folder(job_id: str) -> Path:
    """Where an operator's copy of a job's files goes (one folder per job)."""
    from wyntek_desktop.core.appdirs import AppDirs
    return AppDirs.default().data / "operations" / job_id


@dataclass(frozen=True)
class Downloaded:
    """What a download brought: the checked files, or the one that did not match."""

    paths: dict[str, Path]                 # file id -> the local copy (SHA-256 checked)
    mismatch: IntegrityError | None = None
    mismatched_file: str | None = None     # its file id


def download_files(state: WorkState, ops: Any, job: OperatorJob, folder: Path) -> Downloaded:
    """Worker: each stored file of the job into ``folder``, hashed as it arrives and
    checked against ``job_files`` (a file that does not match is not kept)."""
    files = [f for f in job.files if f.deleted_at is None]
    total = sum(f.size_bytes for f in files) or 1
    paths: dict[str, Path] = {}
    done = 0
    for f in files:
        def progress(sent: int, size: int, base: int = done, name: str = f.file_name) -> None:
            state.report_progress((base + sent) / total, f"Downloading {name}… "
                                  f"{fmt_bytes(base + sent)} of {fmt_bytes(total)}")
        try:
            got = ops.download_file(f, folder, progress=progress, cancelled=state.is_cancelled)
        except IntegrityError as exc:
            return Downloaded(paths, exc, f.id)
        paths[f.id] = got.path
        done += f.size_bytes
    return Downloaded(paths)


class OperationsPage(Page):
    title = "Operations"
    job_changed = Signal(object)      # a job this page moved on (advanced or rejected)

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setObjectName("operations-page")
        top = QHBoxLayout()
        top.addWidget(heading("Operations"))
        self.count_label = QLabel("", self)
        self.count_label.setAccessibleName("Assigned jobs shown")
        top.addWidget(self.count_label)
        top.addStretch(1)
        self.search = QLineEdit(self)
        self.search.setAccessibleName("Search assigned jobs")
        self.search.setPlaceholderText("Search: job, material, file, notes…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(220)
        top.addWidget(self.search)
        status_label_ = QLabel("&Status:", self)
        top.addWidget(status_label_)
        self.filter = QComboBox(self)
        self.filter.setAccessibleName("Filter assigned jobs by status")
        self.filter.addItem("Open (to do)", OPEN)
        self.filter.addItem("All", None)
        for s in JOB_STATUSES:
            self.filter.addItem(status_label(s), s)
        status_label_.setBuddy(self.filter)
        top.addWidget(self.filter)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setAccessibleName("Refresh assigned jobs")
        self.refresh_button.setToolTip("F5")
        self.refresh_button.clicked.connect(self.refresh)
        top.addWidget(self.refresh_button)
        self.body.addLayout(top)

        self.model = OperationsTableModel(self)
        self.model.set_status(OPEN)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.setObjectName("operations-splitter")
        split.setChildrenCollapsible(False)
        left = QSplitter(Qt.Orientation.Vertical, split)
        left.setObjectName("operations-left-splitter")
        self.table = QTableView(left)
        self.table.setAccessibleName("Assigned jobs")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(OperationsTableModel.SUBMITTED_COLUMN,
                                Qt.SortOrder.AscendingOrder)  # oldest first
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setResizeContentsPrecision(40)  # size columns from the visible rows only
        sheet = QWidget(left)
        sv = QVBoxLayout(sheet)
        sv.setContentsMargins(0, 0, 0, 0)
        self.sheet = QTextBrowser(sheet)
        self.sheet.setAccessibleName("Work sheet")
        sv.addWidget(self.sheet, 1)
        actions = QHBoxLayout()
        self.advance_button = QPushButton("Advance…", sheet)
        self.advance_button.setAccessibleName("Advance the job to its next status")
        self.advance_button.setToolTip(SHORTCUTS["advance"])
        self.advance_button.clicked.connect(self.advance_selected)
        self.reject_button = QPushButton("Reject…", sheet)
        self.reject_button.setAccessibleName("Reject the job")
        self.reject_button.setToolTip(SHORTCUTS["reject"])
        self.reject_button.clicked.connect(self.reject_selected)
        actions.addWidget(self.advance_button)
        actions.addWidget(self.reject_button)
        actions.addStretch(1)
        keys = QLabel(f"{SHORTCUTS['download']} download · {SHORTCUTS['advance']} advance · "
                      f"{SHORTCUTS['reject']} reject · Esc cancel download · "
                      f"{SHORTCUTS['search']} search", sheet)
        keys.setObjectName("operations-keys")
        mark_hint(keys)
        keys.setWordWrap(True)  # a line of its own: it must not widen the pane
        sv.addLayout(actions)
        sv.addWidget(keys)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 2)

        right = QSplitter(Qt.Orientation.Vertical, split)
        right.setObjectName("operations-right-splitter")
        files_box = QWidget(right)
        fv = QVBoxLayout(files_box)
        fv.setContentsMargins(0, 0, 0, 0)
        self.file_list = QListWidget(files_box)
        self.file_list.setAccessibleName("The job's files")
        self.file_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.file_list.currentRowChanged.connect(self._on_file_selected)
        fv.addWidget(self.file_list, 1)
        row = QHBoxLayout()
        self.download_button = QPushButton("Download files", files_box)
        self.download_button.setAccessibleName("Download the job's files")
        self.download_button.setToolTip(SHORTCUTS["download"])
        self.download_button.clicked.connect(self.download_selected)
        self.cancel_download_button = QPushButton("Cancel download", files_box)
        self.cancel_download_button.setAccessibleName("Cancel the download")
        self.cancel_download_button.setToolTip(SHORTCUTS["cancel"])
        self.cancel_download_button.clicked.connect(self.cancel_download)
        self.open_folder_button = QPushButton("Open folder", files_box)
        self.open_folder_button.setAccessibleName("Open the folder of the downloaded files")
        self.open_folder_button.clicked.connect(self.open_folder)
        self.progress = QProgressBar(files_box)
        self.progress.setAccessibleName("Download progress")
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        row.addWidget(self.download_button)
        row.addWidget(self.cancel_download_button)
        row.addWidget(self.open_folder_button)
        row.addWidget(self.progress, 1)
        fv.addLayout(row)
        self.download_label = QLabel("", files_box)
        self.download_label.setWordWrap(True)
        self.download_label.setAccessibleName("Download state")
        fv.addWidget(self.download_label)
        self.view = MeshView(right)
        self.report = ReportPanel(right)
        self.report.show_text("Download the job's files to see them and their report here.")
        right.setStretchFactor(0, 1)
        right.setStretchFactor(1, 3)
        right.setStretchFactor(2, 2)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([620, 500])
        self.body.addWidget(split, 1)

        self.filter.currentIndexChanged.connect(
            lambda: self.model.set_status(self.filter.currentData()))
        self._search_pause = QTimer(self)
        self._search_pause.setObjectName("operations-search")
        self._search_pause.setSingleShot(True)
        self._search_pause.setInterval(SEARCH_PAUSE_MS)
        self._search_pause.timeout.connect(lambda: self.model.set_search(self.search.text()))
        self.search.textChanged.connect(lambda _: self._search_pause.start())
        self._poll = QTimer(self)
        self._poll.setObjectName("operations-poll")
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.refresh)
        self.table.selectionModel().selectionChanged.connect(lambda *a: self._show_selected())
        self.model.dataChanged.connect(lambda *a: self._show_selected())
        for signal in (self.model.modelReset, self.model.layoutChanged,
                       self.model.rowsInserted, self.model.rowsRemoved):
            signal.connect(lambda *a: self._count())
        self._build_shortcuts()

        self.dialog: Any = None
        self._loading = False
        self._load_again = False
        self._generation = 0
        self._columns_fitted = False
        self._download: Any = None          # the running download's task
        self._downloading: str | None = None  # its job id
        self._downloaded: dict[str, dict[str, Path]] = {}  # job id -> file id -> local path
        self._file_states: dict[tuple[str, str], str] = {}  # (job, file id) -> state text
        self._shown_job: str | None = None
        self._shown_path: Path | None = None
        self._reports: dict[Path, Any] = {}
        self.load_started: float | None = None
        self.load_ms: float | None = None   # the last full load, request to rows shown
        services.signed_in_changed.connect(self._on_sign_in)
        services.catalogue_changed.connect(self._on_catalogue)
        self._on_catalogue(services.catalogue)
        self._show_selected()

    # -- keyboard -------------------------------------------------------------------------
    def _build_shortcuts(self) -> None:
        self.shortcut_actions: dict[str, QAction] = {}
        for name, slot in (("download", self.download_selected),
                           ("advance", self.advance_selected),
                           ("reject", self.reject_selected),
                           ("cancel", self.cancel_download),
                           ("search", self._focus_search)):
            action = QAction(name, self)
            action.setObjectName(f"operations-{name}")
            action.setShortcut(QKeySequence(SHORTCUTS[name]))
            # only while the page (or a widget on it) has focus: no clash with Prepare
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda checked=False, slot=slot: slot())
            self.addAction(action)
            self.shortcut_actions[name] = action
        # Tab order: filter and search, the table, the work sheet's actions, the files
        order = [self.search, self.filter, self.refresh_button, self.table,
                 self.advance_button, self.reject_button, self.sheet, self.file_list,
                 self.download_button, self.cancel_download_button, self.open_folder_button]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    # -- loading ---------------------------------------------------------------------------
    def _on_catalogue(self, catalogue: Any) -> None:
        from wyntek_desktop.ui.pages.jobs import material_names
        self.model.set_material_names(material_names(catalogue))

    def _on_sign_in(self, email: str | None) -> None:
        self._generation += 1  # a load still running for the previous account is dropped
        if email is None:
            self._poll.stop()
        self.cancel_download()
        self.model.clear()
        self._downloaded.clear()
        self._file_states.clear()
        self._shown_job = None
        self._count()

    def refresh(self) -> None:
        """Every assigned job again (one load at a time; a second request waits)."""
        ops = self.services.operations
        if ops is None or not self.services.signed_in:
            return
        if self._loading:
            self._load_again = True
            return
        self._loading = True
        generation = self._generation
        self.load_started = time.perf_counter()

        def load(state: WorkState) -> tuple[list[OperatorJob], dict[str, str]]:
            jobs = ops.assigned_jobs()
            return jobs, {job.id: search_text(job) for job in jobs}

        def got(result: tuple[list[OperatorJob], dict[str, str]]) -> None:
            if generation == self._generation:
                self._got_jobs(*result)

        def failed(err: WyntekError) -> None:
            # one sentence, once per load: no storm of banners for an account the
            # database gives nothing
            self.show_error(err)

        def finished() -> None:
            self._loading = False
            if self._load_again:
                self._load_again = False
                self.refresh()
        self.services.call(load, on_result=got, on_error=failed, on_finished=finished,
                           latest="operations-jobs")

    def _got_jobs(self, jobs: list[OperatorJob], texts: dict[str, str]) -> None:
        """The rows now; the rest in later turns of the event loop, so that no single
        turn holds the GUI thread long with thousands of jobs."""
        self.model.set_search_texts(texts)
        self.model.set_records(jobs)
        if self.load_started is not None:
            self.load_ms = (time.perf_counter() - self.load_started) * 1000
            self.load_started = None
        self._count()
        QTimer.singleShot(0, self, self._after_load)
        if len(jobs) >= BIG_LOAD:
            QTimer.singleShot(0, self, lambda: freeze_survivors(full=False))

    def _after_load(self) -> None:
        if self.model.rowCount() and not self._columns_fitted:
            self._columns_fitted = True
            for col in range(self.model.columnCount() - 1):
                self.table.resizeColumnToContents(col)
            QTimer.singleShot(0, self, self._select_first)  # the work sheet: next turn
            return
        self._select_first()

    def _select_first(self) -> None:
        if self.selected_job() is None and self.model.rowCount():
            self.table.selectRow(0)  # the selection's signal shows its work sheet
        else:
            self._show_selected()

    def _count(self) -> None:
        total, shown = len(self.model.records()), self.model.rowCount()
        if not total:
            self.count_label.setText("No jobs are assigned to you.")
        elif shown == total:
            self.count_label.setText(f"{total:,} assigned")
        else:
            self.count_label.setText(f"{shown:,} of {total:,} assigned")

    # -- the selected job -------------------------------------------------------------------
    def selected_job(self) -> OperatorJob | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record(rows[0].row()) if rows else None

    def select_job(self, job_id: str) -> bool:
        row = self.model.row_of(job_id)
        if row is None and self.model.get(job_id) is not None:  # filtered out: show all
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

    def _show_selected(self) -> None:
        job = self.selected_job()
        busy = self._download is not None
        if job is None:
            self.sheet.setHtml(f"<p style='color:{hint_css()}'>Select an assigned job to "
                               "see its work sheet and files.</p>")
            for button in (self.advance_button, self.reject_button, self.download_button,
                           self.open_folder_button):
                button.setEnabled(False)
            self.advance_button.setText("Advance…")
            self.cancel_download_button.setEnabled(busy)
            if self._shown_job is not None:
                self._shown_job = None
                self._fill_files(None)
            return
        self.sheet.setHtml(work_sheet_html(job))
        target = job.next_status
        self.advance_button.setText(f"Advance to {status_label(target)}…" if target
                                    else "Advance…")
        self.advance_button.setEnabled(job.ready_to_advance)
        self.advance_button.setToolTip(advance_hint(job) or SHORTCUTS["advance"])
        self.reject_button.setEnabled(job.rejectable)
        live = [f for f in job.files if f.deleted_at is None]
        self.download_button.setEnabled(not busy and bool(live))
        self.cancel_download_button.setEnabled(busy)
        self.open_folder_button.setEnabled(job.id in self._downloaded)
        if job.id != self._shown_job or self.file_list.count() != len(job.files):
            self._shown_job = job.id
            self._fill_files(job)

    def _fill_files(self, job: OperatorJob | None) -> None:
        self.file_list.blockSignals(True)
        self.file_list.clear()
        for f in (job.files if job is not None else ()):
            item = QListWidgetItem(self._file_text(job.id, f))  # type: ignore[union-attr]
            item.setToolTip(f"SHA-256 {f.sha256}")
            self.file_list.addItem(item)
        self.file_list.blockSignals(False)
        self._shown_path = None
        downloaded = job is not None and job.id in self._downloaded
        if job is not None and self.file_list.count():
            self.file_list.setCurrentRow(0)
            self._on_file_selected(0)
        elif not downloaded:
            self.view.show_message("Download the job's files to see them here")
            self.report.show_text("Download the job's files to see them and their report "
                                  "here.")
        if job is None or (not downloaded and self._downloading != job.id):
            self.progress.setValue(0)
            self.download_label.setText("")

    def _file_text(self, job_id: str, f: JobFile) -> str:
        state = self._file_states.get((job_id, f.id))
        if state is None:
            state = "deleted" if f.deleted_at else "not downloaded"
        return f"{f.file_name}\n{f.kind} · {fmt_bytes(f.size_bytes)} · {state}"

    def _refresh_file_items(self, job_id: str) -> None:
        job = self.model.get(job_id)
        if job is None or self._shown_job != job_id:
            return
        for i, f in enumerate(job.files):
            item = self.file_list.item(i)
            if item is not None:
                item.setText(self._file_text(job_id, f))

    # -- downloading --------------------------------------------------------------------------
    def download_selected(self) -> None:
        job = self.selected_job()
        ops = self.services.operations
        if job is None or ops is None or self._download is not None:
            return
        folder = download_folder(job.id)
        self._downloading = job.id
        for f in job.files:
            if f.deleted_at is None:
                self._file_states[(job.id, f.id)] = "waiting"
        self._refresh_file_items(job.id)
        self.progress.setValue(0)
        self.download_label.setText(f"Downloading to {folder}…")

        def progress(fraction: float, message: str) -> None:
            self.progress.setValue(round(fraction * 1000))
            if message:
                self.download_label.setText(message)

        def done(result: Downloaded) -> None:
            if result.paths:
                self._downloaded[job.id] = dict(result.paths)
            else:
                self._downloaded.pop(job.id, None)
            for f in job.files:
                if f.id in result.paths:
                    self._file_states[(job.id, f.id)] = "SHA-256 checked ✓"
                elif self._file_states.get((job.id, f.id)) == "waiting":
                    self._file_states.pop((job.id, f.id))
            if result.mismatch is not None:
                self._file_states[(job.id, result.mismatched_file or "")] = \
                    "SHA-256 MISMATCH: not kept"
                self.progress.setValue(0)
                self.download_label.setText(f"Download stopped: {result.mismatch.message}")
                # loud: a file that is not what was priced must not be made
                self.banner.show_message(f"{result.mismatch.message} {result.mismatch.hint}",
                                         "error")
            else:
                self.progress.setValue(1000)
                self.download_label.setText(f"{len(result.paths)} file(s) in {folder}, each "
                                            "matching its SHA-256.")
            self._refresh_file_items(job.id)
            self._shown_path = None
            if self._shown_job == job.id:
                self._on_file_selected(max(self.file_list.currentRow(), 0))

        def failed(err: WyntekError) -> None:
            for f in job.files:
                if self._file_states.get((job.id, f.id)) == "waiting":
                    self._file_states.pop((job.id, f.id))
            self.progress.setValue(0)
            self.download_label.setText(f"Download failed: {err.message}")
            self.show_error(err)
            self._refresh_file_items(job.id)

        def cancelled() -> None:
            for f in job.files:
                if self._file_states.get((job.id, f.id)) == "waiting":
                    self._file_states.pop((job.id, f.id))
            self.progress.setValue(0)
            self.download_label.setText("Download cancelled; the partial file was removed.")
            self._refresh_file_items(job.id)

        def finished() -> None:
            self._download = None
            self._downloading = None
            self._show_selected()
        self._download = self.services.call(download_files, ops, job, folder,
                                            on_result=done, on_error=failed,
                                            on_progress=progress, on_finished=finished)
        self._download.cancelled.connect(cancelled)
        self._show_selected()


    def cancel_download(self) -> None:
        if self._download is not None:
            self._download.cancel()
            self.download_label.setText("Cancelling the download…")

    def open_folder(self) -> None:
        job = self.selected_job()
        if job is not None and job.id in self._downloaded:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(download_folder(job.id))))

    # -- the 3D view and the report of a downloaded file -----------------------------------------
    def _on_file_selected(self, row: int) -> None:
        job = self.model.get(self._shown_job) if self._shown_job else None
        if job is None or not 0 <= row < len(job.files):
            return
        f = job.files[row]
        path = self._downloaded.get(job.id, {}).get(f.id)
        if path is None:
            self._shown_path = None
            self.view.show_message(f"{f.file_name} is not downloaded yet (Ctrl+D)")
            self.report.show_text("Download the job's files to see them and their report "
                                  "here.")
            return
        if path == self._shown_path:
            return
        self._shown_path = path
        scale, layers = reading_of(f.analysis)
        report = self._reports.get(path)
        if report is not None:
            self.report.show_report(report, f.file_name)
        else:
            self._analyse(job, f, path, scale, layers)
        if f.kind != "model":
            from wyntek_desktop.ui.pages.prepare import NO_3D_VIEW
            self.view.show_message(f"{f.file_name} " + NO_3D_VIEW.get(f.kind, NO_3D_VIEW["other"]))
            return
        self.view.show_message(f"Loading {f.file_name}…")
        self.services.call_named(
            TASKS + "load_preview", path, scale, True,
            on_result=lambda data, p=path: self._got_preview(p, data, scale),
            on_error=lambda err, p=path: self._view_failed(p, err), latest="ops-preview")

    def _analyse(self, job: OperatorJob, f: JobFile, path: Path, scale: float | None,
                 layers: dict[str, str] | None) -> None:
        catalogue = self.services.catalogue
        material = catalogue.get(job.material_id) if catalogue and job.material_id else None
        self.report.show_progress(f.file_name, "Checking…")
        self.services.call_in_process(
            TASKS + "analyze", path, material, scale, layers,
            on_result=lambda report, p=path, n=f.file_name: self._got_report(p, n, report),
            on_error=lambda err, p=path, n=f.file_name: self._report_failed(p, n, err),
            on_progress=lambda fr, msg, p=path, n=f.file_name: self._report_progress(
                p, n, fr, msg),
            latest="ops-analyze")

    def _report_progress(self, path: Path, name: str, fraction: float, message: str) -> None:
        if path == self._shown_path:
            self.report.show_progress(name, f"{message} ({fraction:.0%})")

    def _got_report(self, path: Path, name: str, report: Any) -> None:
        self._reports[path] = report
        if path == self._shown_path:
            self.report.show_report(report, name)

    def _report_failed(self, path: Path, name: str, err: Any) -> None:
        if path == self._shown_path:
            self.report.show_error(name, str(err))

    def _got_preview(self, path: Path, data: Any, scale: float | None) -> None:
        if path != self._shown_path:
            return
        self.view.set_mesh(data.triangles, data.lo, data.hi, data.units or "mm",
                           data.quick_lod, normals=data.normals,
                           lod_normals=data.quick_normals, total=data.total,
                           stand_in=data.stand_in)
        if data.lod_wanted:
            self.services.call_in_process(
                TASKS + "view_meshes", path, scale,
                on_result=lambda meshes, p=path: self._got_view_meshes(p, meshes),
                on_error=lambda err, p=path: self._view_failed(p, err), latest="ops-lod")

    def _got_view_meshes(self, path: Path, meshes: Any) -> None:
        if path != self._shown_path:
            return
        if meshes.still is not None:
            self.view.set_still(meshes.still, meshes.still_normals)
        self.view.set_lod(meshes.moving, meshes.moving_normals)

    def _view_failed(self, path: Path, err: Any) -> None:
        if path == self._shown_path:
            self.view.show_message(str(err))

    # -- advancing and rejecting ----------------------------------------------------------------
    def advance_selected(self) -> None:
        job = self.selected_job()
        if job is None or self.dialog is not None:
            return
        target = job.next_status
        if target is None or not job.ready_to_advance:
            self.show_error(advance_hint(job))
            return
        from wyntek_desktop.ui.dialogs.job_step import AdvanceDialog
        self._open_dialog(AdvanceDialog(job, target, self))

    def reject_selected(self) -> None:
        job = self.selected_job()
        if job is None or self.dialog is not None:
            return
        if not job.rejectable:
            self.show_error("Only a submitted or reviewing job can be rejected.")
            return
        from wyntek_desktop.ui.dialogs.job_step import RejectDialog
        self._open_dialog(RejectDialog(job, self))

    def _open_dialog(self, dialog: Any) -> None:
        self.dialog = dialog
        dialog.submitted.connect(lambda: self._send_step(dialog))
        dialog.finished.connect(lambda _: self._dialog_closed(dialog))
        dialog.open()

    def _dialog_closed(self, dialog: Any) -> None:
        if self.dialog is dialog:
            self.dialog = None
        self.table.setFocus()

    def _send_step(self, dialog: Any) -> None:
        ops = self.services.operations
        if ops is None:
            return
        send = dialog.request()  # what was typed, read here on the GUI thread
        job_id = dialog.job.id
        dialog.set_busy(True)

        def step(state: WorkState) -> OperatorJob:
            send(ops)
            return ops.assigned_job(job_id)  # the job as this page lists it, with files

        def done(updated: OperatorJob) -> None:
            dialog.set_busy(False)
            dialog.accept()
            self.model.upsert([updated])
            self.select_job(updated.id)
            self._show_selected()
            self.show_info(dialog.done_text(updated))
            self.job_changed.emit(updated)

        def failed(err: WyntekError) -> None:
            dialog.set_busy(False)
            dialog.show_error(str(err))  # the server's sentence, in the dialog
        self.services.call(step, on_result=done, on_error=failed)

    # -- visibility -------------------------------------------------------------------------------
    def page_shown(self) -> None:
        self.refresh()
        self.table.setFocus()
        if self.services.is_operator:  # nobody else has anything to wait for here
            self._poll.start()

    def page_hidden(self) -> None:
        self._poll.stop()

    def shutdown(self) -> None:
        self._poll.stop()
        self.cancel_download()
        self.view.shutdown()


def install_operations(window: Any) -> OperationsPage:
    """Offer the page only to operators: its navigation row and its View menu entry
    follow the account's role (the page itself stays empty for anyone else)."""
    page: OperationsPage = window.pages["operations"]
    row = list(window.pages).index("operations")

    def follow(role: object) -> None:
        shown = window.services.is_operator
        window.nav.item(row).setHidden(not shown)
        action = window.actions_by_name.get("page-operations")
        if action is not None:
            action.setVisible(shown)
        if not shown and window.current_page() is page:
            window.show_page("prepare")
    window.services.role_changed.connect(follow)
    follow(window.services.role)
    return page
