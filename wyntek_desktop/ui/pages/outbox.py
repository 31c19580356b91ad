"""Outbox: prepared jobs and their uploads, per-file progress with speed and ETA."""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QTimer, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from wyntek_desktop.ui.context_menus import attach
from wyntek_desktop.ui.dialogs.confirm import confirm, confirm_submit
from wyntek_desktop.ui.models import PROGRESS_ROLE, OutboxModel, outbox_rows
from wyntek_desktop.ui.theme import mark_hint
from wyntek_desktop.ui.widgets import Page, heading


class ProgressDelegate(QStyledItemDelegate):
    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        fraction = index.data(PROGRESS_ROLE)
        if fraction is None:
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = QRect(option.rect.adjusted(2, 3, -2, -3))
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = round(float(fraction) * 1000)
        bar.text = index.data() or ""
        bar.textVisible = True
        # Qt 6 reads the orientation from the state: without Horizontal the bar is
        # drawn vertically, which in a table row never looks partly filled
        bar.state = option.state | QStyle.StateFlag.State_Horizontal
        QApplication.style().drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


class OutboxPage(Page):
    title = "Outbox"
    show_job_requested = Signal(str)   # the service's job id: the Jobs page shows it

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        top = QHBoxLayout()
        top.addWidget(heading("Outbox"))
        top.addStretch(1)
        self.runner_label = QLabel("", self)
        self.runner_label.setAccessibleName("Upload state")
        top.addWidget(self.runner_label)
        self.body.addLayout(top)
        self.model = OutboxModel(self)
        self.table = QTableView(self)
        self.table.setAccessibleName("Outbox files")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setItemDelegateForColumn(OutboxModel.PROGRESS_COLUMN, ProgressDelegate(self))
        self.table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().resizeSection(OutboxModel.PROGRESS_COLUMN, 160)
        self.table.verticalHeader().hide()
        self.body.addWidget(self.table, 1)
        self.empty = QLabel("Nothing waiting. Jobs you add on the Prepare page appear here "
                            "until they are submitted.", self)
        mark_hint(self.empty)
        self.body.addWidget(self.empty)
        row = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, text in (("send", "Send now"), ("pause", "Pause"), ("resume", "Resume"),
                          ("cancel", "Cancel upload"), ("retry", "Retry"),
                          ("remove", "Remove")):
            b = QPushButton(text, self)
            b.setAccessibleName(text)
            b.clicked.connect(lambda _=False, k=key: self.act(k))
            row.addWidget(b)
            self.buttons[key] = b
        row.addStretch(1)
        self.body.addLayout(row)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        attach(self.table, self._context_menu)
        services.outbox_changed.connect(self.reload)
        services.runner_event.connect(self._on_event)
        services.signed_in_changed.connect(lambda _: self._show_runner_hint())
        self._reload_pending = QTimer(self)
        self._reload_pending.setObjectName("outbox-reload")
        self._reload_pending.setSingleShot(True)
        self._reload_pending.setInterval(150)
        self._reload_pending.timeout.connect(self._reload_now)
        self._jobs: dict[str, Any] = {}
        self._expected: set[str] = set()
        self._select_next: str | None = None  # sent by the user here: say when it is submitted
        self.confirmation: QMessageBox | None = None
        self._runner_state: str | None = None
        self._runner_message: str | None = None  # None until the runner reports
        self._show_runner_hint()
        self._update_buttons()

    def _show_runner_hint(self) -> None:
        self._runner_message = None  # until the runner reports again
        self.runner_label.setText(self._hint())

    def _hint(self) -> str:
        if self.services.outbox is None:
            return "The outbox is not available."
        if not self.services.signed_in:
            return "Sign in to send the outbox."
        return ""

    # -- loading --------------------------------------------------------------------------
    def reload(self) -> None:
        """Coalesce bursts of changes into one read of the outbox (in a worker)."""
        if not self.services.closing:
            self._reload_pending.start()

    def _reload_now(self) -> None:
        outbox = self.services.outbox
        if outbox is None:
            return
        self.services.call(lambda state: outbox.jobs(), on_result=self._got_jobs,
                           latest="outbox")

    def announce_draft(self, client_job_id: str) -> None:
        """A draft waits for the user, not for the connection: say so, offer to send."""
        def send() -> None:
            if self.select_job(client_job_id):
                self.act("send")
        self.banner.show_message(
            "Added as a draft: a draft is not sent until you press Send now (or choose "
            "Submit now on the Prepare page next time).", "info", "Send now", send)

    def expect(self, client_job_id: str) -> None:
        """The user sent this job: say what happens now, and later where it went."""
        self._expected.add(client_job_id)
        self.banner.show_message(
            "Sending the job: its files are uploaded and checked by the service. Once it is "
            "submitted it moves to the Jobs page.", "info")

    def _announce_submitted(self, jobs: list[Any]) -> None:
        for job in jobs:
            if job.client_job_id not in self._expected or job.state != "submitted":
                continue
            self._expected.discard(job.client_job_id)
            server = job.server_job or {}
            job_id = str(server.get("id") or "")
            cost = server.get("token_cost")
            charged = f": {int(cost):,} tokens were taken from your balance" if cost else ""
            self.banner.show_message(
                f"Job {job_id[:8]} was submitted{charged}. Follow it on the Jobs page.",
                "success", "Show job", partial(self.show_job_requested.emit, job_id))

    def _got_jobs(self, jobs: list[Any]) -> None:
        self._announce_submitted(jobs)
        visible = [j for j in jobs if j.state != "submitted"]
        self._jobs = {j.client_job_id: j for j in visible}
        self.model.set_records(outbox_rows(visible))
        if self._select_next is not None and self.select_job(self._select_next):
            self._select_next = None
        self.empty.setVisible(not visible)
        self._update_buttons()
        self._show_state()

    def _show_state(self) -> None:
        """The runner's state, plus what waits for the user rather than for the runner."""
        states = [j.state for j in self._jobs.values()]
        paused = sum(1 for j in self._jobs.values()
                     if j.paused and j.state in ("queued", "uploading"))
        message = self._runner_message
        if message is None:  # the runner has not reported (signed out, starting)
            message = self._hint()
        waiting = []
        if paused:
            waiting.append(f"{_jobs(paused)} paused: select and press Resume.")
        if (drafts := states.count("draft")):
            waiting.append(f"{_jobs(drafts)} kept as draft: select and press Send now.")
        if (failed := states.count("failed")):
            waiting.append(f"{_jobs(failed)} failed: select to see why, then Retry.")
        if waiting and self._runner_state == "idle":
            message = ""  # not "nothing is waiting to be sent": these wait for the user
        self.runner_label.setText(" ".join(p for p in (message, *waiting) if p))

    def _on_event(self, event: Any) -> None:
        from wyntek_desktop.upload.events import (
            JobStateChanged,
            RunnerStateChanged,
            UploadProgress,
        )

        if isinstance(event, UploadProgress):
            self.model.update_progress(event.client_job_id, event.file_index, event.file_sent,
                                       event.file_total, event.speed, event.eta)
        elif isinstance(event, JobStateChanged):
            if event.state != "uploading" or event.paused:
                self.model.forget_live(event.client_job_id)
        elif isinstance(event, RunnerStateChanged):
            self._runner_state, self._runner_message = event.state, event.message
            self._show_state()

    # -- actions --------------------------------------------------------------------------
    def selected_job(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self._jobs.get(self.model.record(rows[0].row()).client_job_id)

    def select_job(self, client_job_id: str) -> bool:
        for r in range(self.model.rowCount()):
            if self.model.record(r).client_job_id == client_job_id:
                self.table.selectRow(r)
                return True
        return False

    def select_when_listed(self, client_job_id: str) -> None:
        """Select the job now, or once the next read of the outbox lists it."""
        if not self.select_job(client_job_id):
            self._select_next = client_job_id

    def _update_buttons(self, *args: Any) -> None:
        job = self.selected_job()
        state = job.state if job else None
        paused = bool(job and job.paused)
        active = state in ("queued", "uploading")
        self.buttons["send"].setEnabled(state == "draft")
        self.buttons["pause"].setEnabled(active and not paused)
        self.buttons["resume"].setEnabled(active and paused)
        self.buttons["cancel"].setEnabled(active)
        self.buttons["retry"].setEnabled(state == "failed")
        self.buttons["remove"].setEnabled(state in ("draft", "failed"))
        if job is not None and job.failure:
            self.buttons["retry"].setToolTip(f"Failed: {job.failure}")

    def _context_menu(self, menu: QMenu) -> None:
        """The buttons below the table, as a menu: the same entries, enabled alike."""
        self._update_buttons()
        for key, button in self.buttons.items():
            if key == "remove":
                menu.addSeparator()
            text = button.text() + ("…" if key == "remove" else "")
            entry = menu.addAction(text, partial(self.act, key))
            entry.setEnabled(button.isEnabled())

    def act(self, action: str) -> None:
        job = self.selected_job()
        if job is None:
            return
        if action == "remove":
            files = len(job.files)
            self.confirmation = confirm(
                self, "Remove the job",
                f"Remove job {job.client_job_id[:8]} ({files} file{'s' if files != 1 else ''})"
                " from the outbox?", "Remove the job", lambda: self._act(job, action),
                destructive=True,
                informative="It is not sent, and you would need to prepare it again. Your "
                            "design files on this computer are not touched.")
            return
        if action in ("send", "retry"):  # sending spends tokens: asked first, with the price
            files = len(job.files)
            self.confirmation = confirm_submit(
                self, spec_estimate(job.spec, self.services.catalogue), self.services.balance,
                files, lambda: self._act(job, action))
            return
        self._act(job, action)

    def _act(self, job: Any, action: str) -> None:
        cid = job.client_job_id
        if action in ("send", "retry"):
            self._expected.add(cid)
        runner, outbox = self.services.runner, self.services.outbox
        if action in ("send", "retry"):
            work = (lambda s: runner.retry(cid)) if runner else (lambda s: outbox.queue(cid))
        elif action == "remove":
            def work(state: Any) -> None:
                outbox.remove(cid)
        elif runner is None:
            self.show_error("Sign in first: uploads run only while signed in.")
            return
        else:
            method = getattr(runner, action)

            def work(state: Any) -> None:
                method(cid)

        def done(_: Any) -> None:
            self.services.outbox_changed.emit()
            if action in ("send", "retry", "resume"):
                self.services.kick_uploads()
        self.services.call(work, on_result=done, on_error=self.show_error)

    def page_shown(self) -> None:
        self.reload()

    def shutdown(self) -> None:
        self._reload_pending.stop()


def spec_estimate(spec: dict[str, Any], catalogue: Any) -> int | None:
    """The outbox job's price by the service's rule, if its material is known here."""
    from decimal import Decimal

    from wyntek_desktop.core import pricing
    from wyntek_desktop.core.errors import WyntekError

    material = catalogue.get(spec.get("material_id") or "") if catalogue is not None else None
    if material is None:
        return None
    try:
        return int(pricing.quote(material, Decimal(str(spec.get("volume_cm3") or 0)),
                                 int(spec.get("quantity") or 1),
                                 Decimal(str(spec.get("tolerance_mm") or 0))))
    except (WyntekError, ArithmeticError, ValueError):
        return None


def _jobs(n: int) -> str:
    return "1 job" if n == 1 else f"{n} jobs"
