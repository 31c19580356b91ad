"""The main window: a left navigation over the six screens, menus, status bar, tray."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QSplitter,
    QStackedWidget,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from wyntek_desktop.ui.pages.account import AccountPage
from wyntek_desktop.ui.pages.help import HelpPage
from wyntek_desktop.ui.pages.jobs import JobsPage
from wyntek_desktop.ui.pages.operations import OperationsPage, install_operations
from wyntek_desktop.ui.pages.outbox import OutboxPage
from wyntek_desktop.ui.pages.prepare import PreparePage, icon
from wyntek_desktop.ui.pages.tokens import TokensPage
from wyntek_desktop.ui.policy_notice import PolicyNotice
from wyntek_desktop.ui.services import (
    CONNECTING,
    NOT_CONFIGURED,
    OFFLINE,
    ONLINE,
    SIGNED_OUT,
    Services,
)
from wyntek_desktop.ui.widgets import Page

PAGES = ("prepare", "outbox", "jobs", "tokens", "account", "help", "operations")
CONNECTION_TEXT: dict[str, str] = {
    ONLINE: "● Online",
    OFFLINE: "● Offline",
    SIGNED_OUT: "● Not signed in",
    NOT_CONFIGURED: "● No service configured",
    CONNECTING: "● Connecting…",
}


class MainWindow(QMainWindow):
    settings_requested = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setWindowTitle("WYNTEK Desktop")
        self.setWindowIcon(icon("app.svg"))
        self.setObjectName("main-window")
        self.notifications: list[tuple[str, str]] = []
        self.recent_files: list[str] = []
        self.nav = QListWidget(self)
        self.nav.setObjectName("nav")
        self.nav.setAccessibleName("Sections")
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setFixedWidth(170)
        self.stack = QStackedWidget(self)
        self.prepare = PreparePage(services)
        self.outbox = OutboxPage(services)
        self.jobs = JobsPage(services)
        self.tokens = TokensPage(services)
        self.tokens.notify.connect(self._notify_purchase)
        self.account = AccountPage(services)
        self.help = HelpPage(services)
        self.pages: dict[str, Page] = dict(zip(PAGES, (
            self.prepare, self.outbox, self.jobs, self.tokens, self.account, self.help,
            OperationsPage(services)), strict=True))
        for page in self.pages.values():
            self.nav.addItem(QListWidgetItem(page.title))
            self.stack.addWidget(page)
        central = QWidget(self)
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        column = QVBoxLayout()  # the policy notice above whatever page is shown
        column.setContentsMargins(0, 0, 0, 0)
        self.policy_notice = PolicyNotice(services, central)
        column.addWidget(self.policy_notice)
        column.addWidget(self.stack, 1)
        row.addLayout(column, 1)
        self.setCentralWidget(central)
        self._current = -1
        self.nav.currentRowChanged.connect(self._switch)
        self._build_status_bar()
        self._build_menus()
        self._build_tray()
        services.signed_in_changed.connect(self._on_sign_in)
        services.connection_changed.connect(self._on_connection)
        services.balance_changed.connect(self._on_balance)
        services.error.connect(self._on_error)
        self.jobs.status_changed.connect(self._on_job_status)
        self.jobs.verification_changed.connect(self._on_job_verified)
        self.jobs.buy_tokens_requested.connect(lambda: self.show_page("tokens"))
        self.help.about_button.clicked.connect(self.show_about)
        self.help.shortcuts_requested.connect(self.show_shortcuts)
        # dataChanged too: a status change (a cancelled job) must reach the support form
        for signal in (self.jobs.model.rowsInserted, self.jobs.model.modelReset,
                       self.jobs.model.rowsRemoved, self.jobs.model.dataChanged):
            signal.connect(lambda *a: self.help.set_jobs(self.jobs.model.records()))
        self.prepare.job_queued.connect(self._on_job_queued)
        self.prepare.recent_file_opened.connect(self.remember_recent)
        self.prepare.buy_tokens_requested.connect(self.buy_tokens_for)
        self.outbox.show_job_requested.connect(self.show_job)
        self.jobs.support_requested.connect(self.contact_support_about)
        self.account.files_deleted.connect(self.jobs.refresh)  # retention dates changed
        self.operations = install_operations(self)  # shown to operator accounts only
        self.nav.setCurrentRow(0)
        self._on_connection(services.connection, "")
        self._on_sign_in(services.email)
        self.resize(1280, 800)
        self.restore_layout()

    # -- structure ------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.connection_label = QLabel(self)
        self.connection_label.setAccessibleName("Connection state")
        self.user_label = QLabel(self)
        self.user_label.setAccessibleName("Signed-in user")
        self.balance_label = QLabel("Tokens: —", self)
        self.balance_label.setObjectName("balance")
        self.balance_label.setAccessibleName("Token balance")
        bar.addWidget(self.connection_label)
        bar.addPermanentWidget(self.user_label)
        bar.addPermanentWidget(self.balance_label)

    def _action(self, menu: QMenu, text: str, slot: Any, shortcut: Any = None,
                name: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        action.triggered.connect(lambda checked=False: slot())
        action.setObjectName(name or text)
        menu.addAction(action)
        self.actions_by_name[name or text] = action
        return action

    def _build_menus(self) -> None:
        self.actions_by_name: dict[str, QAction] = {}
        bar = self.menuBar()
        f = bar.addMenu("&File")
        self._action(f, "&Open…", self.open_files, QKeySequence.StandardKey.Open, "open")
        self.recent_menu = f.addMenu("Open &recent")
        self.recent_menu.setObjectName("recent-menu")
        f.addSeparator()
        self._action(f, "&Add to outbox", lambda: self._go_queue(False), "Ctrl+Shift+Return",
                     "add")
        self._action(f, "&Submit now", lambda: self._go_queue(True), "Ctrl+Return", "submit")
        f.addSeparator()
        self._action(f, "Se&ttings…", self.settings_requested.emit, "Ctrl+,", "settings")
        self._action(f, "&Quit", self.close, QKeySequence.StandardKey.Quit, "quit")
        v = bar.addMenu("&View")
        for i, key in enumerate(PAGES):
            # '&' in a title ("Account & Privacy") is text, not a mnemonic marker
            self._action(v, self.pages[key].title.replace("&", "&&"),
                         lambda i=i: self.nav.setCurrentRow(i), f"Ctrl+{i + 1}", f"page-{key}")
        v.addSeparator()
        self._action(v, "&Refresh", self.refresh, "F5", "refresh")
        self._action(v, "&Find jobs…", self.find_jobs, QKeySequence.StandardKey.Find, "find")
        for view, key in (("front", "1"), ("top", "5"), ("right", "4"), ("iso", "7")):
            self._action(v, f"3D view: {view}", lambda view=view: self.prepare.view.set_view(view),
                         f"Alt+{key}", f"view-{view}")
        # Alt+0 beside Alt+1/4/5/7; Alt+F belongs to the File menu
        self._action(v, "3D view: fit", self.prepare.view.fit, "Alt+0", "view-fit")
        a = bar.addMenu("&Account")
        self.sign_in_action = self._action(a, "&Sign in…", self.sign_in, "Ctrl+L", "sign-in")
        self.sign_out_action = self._action(a, "Sign &out", self.services.sign_out, None,
                                            "sign-out")
        self._action(a, "&Buy tokens…", self.buy_tokens, None, "buy")
        h = bar.addMenu("&Help")
        self._action(h, "&Keyboard shortcuts", self.show_shortcuts, "F1", "shortcuts"
                     ).setShortcuts([QKeySequence("F1"), QKeySequence("?")])  # ? as in web apps
        self._action(h, "&Contact support", self.show_support, None, "support")
        self._action(h, "&About WYNTEK Desktop", self.show_about, None, "about")

    def _build_tray(self) -> None:
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(self.windowIcon(), self)
            self.tray.setToolTip("WYNTEK Desktop")
            self.tray.messageClicked.connect(self.open_notified_job)
            self.tray.show()
        self._notified_job: str | None = None

    # -- navigation -------------------------------------------------------------------------
    def _switch(self, row: int) -> None:
        if row == self._current or row < 0:
            return
        if 0 <= self._current < len(PAGES):
            self.pages[PAGES[self._current]].page_hidden()
        self._current = row
        self.stack.setCurrentIndex(row)
        self.pages[PAGES[row]].page_shown()

    def show_page(self, key: str) -> Page:
        self.nav.setCurrentRow(PAGES.index(key))
        return self.pages[key]

    def current_page(self) -> Page:
        return self.pages[PAGES[self.stack.currentIndex()]]

    def refresh(self) -> None:
        page = self.current_page()
        refresh = getattr(page, "refresh", None) or getattr(page, "reload", None)
        if callable(refresh):
            refresh()
        self.services.refresh_profile()

    def open_paths(self, paths: list[str]) -> None:
        """Files from the command line (or another instance): they open on Prepare,
        whatever page the last session ended on."""
        self.show_page("prepare")
        self.prepare.open_paths(paths)

    def open_files(self) -> None:
        self.show_page("prepare")
        self.prepare.open_dialog()

    def _go_queue(self, submit: bool) -> None:
        self.show_page("prepare")
        self.prepare.queue_job(submit)

    def _on_job_queued(self, client_job_id: str, submit: bool) -> None:
        self.show_page("outbox")
        if submit:
            self.outbox.expect(client_job_id)
        else:
            self.outbox.announce_draft(client_job_id)
        self.outbox.select_when_listed(client_job_id)
        self.outbox.reload()

    def contact_support_about(self, job_id: str) -> None:
        self.help.set_jobs(self.jobs.model.records())
        self.show_page("help")
        self.help.choose_job(job_id)
        self.help.subject.setFocus()

    def show_job(self, job_id: str) -> None:
        """The Jobs page with this job selected (fetched first if it is new)."""
        self.show_page("jobs")
        self.jobs.select_job_when_listed(job_id)

    # -- sign-in and status -------------------------------------------------------------------
    def sign_in(self) -> None:
        from wyntek_desktop.ui.dialogs.sign_in import SignInDialog
        dialog = SignInDialog(self.services, self)
        self.sign_in_dialog = dialog
        dialog.accepted.connect(lambda: self._after_sign_in_dialog(dialog))
        dialog.open()

    def _after_sign_in_dialog(self, dialog: Any) -> None:
        result = dialog.result_info
        warning = getattr(result, "persistence_warning", None)
        if warning and dialog.remember.isChecked():
            self.current_page().banner.show_message(
                f"You are signed in for this session only: {warning} You will need to sign "
                "in again after restarting the app.", "warning")

    def _on_sign_in(self, email: str | None) -> None:
        self.user_label.setText(email or "Not signed in")
        self.sign_in_action.setEnabled(email is None)
        self.sign_out_action.setEnabled(email is not None)
        if email is None and self.services.configured:
            self.prepare.banner.show_message(
                "You are not signed in: you can prepare jobs; they are sent once you sign in.",
                "warning", "Sign in…", self.sign_in)
        elif email is None:
            self.prepare.banner.show_message(
                "No WYNTEK service is configured. You can open, check and prepare jobs "
                "offline; to submit them, enter the backend URL and anon key in Settings.",
                "warning", "Settings…", self.settings_requested.emit)
        elif self.prepare.banner.kind == "warning":
            self.prepare.banner.dismiss()

    def _on_connection(self, state: str, message: str) -> None:
        self.connection_label.setText(CONNECTION_TEXT.get(state, state))
        colors: dict[str, str] = {ONLINE: "#4caf50", OFFLINE: "#e0a030"}
        color = colors.get(state, "#999")
        self.connection_label.setStyleSheet(f"color:{color}")
        self.connection_label.setToolTip(message)

    def _on_balance(self, balance: int | None) -> None:
        self.balance_label.setText("Tokens: —" if balance is None else f"Tokens: {balance:,}")

    def _on_error(self, err: Any) -> None:
        self.current_page().show_error(err)

    def _on_job_status(self, job: Any, previous: str) -> None:
        from wyntek_desktop.ui.models import material_text, status_label
        title = f"Job {job.id[:8]}: {status_label(job.status)}"
        what = material_text(job, self.jobs.model.material_names)
        text = f"Was {status_label(previous)}; {what} × {job.quantity}."  # noqa: RUF001
        self.notify(title, text)
        self._notified_job = job.id
        self.services.refresh_profile()

    def _on_job_verified(self, job: Any) -> None:
        titles = {"passed": "files verified", "adjusted": "price adjusted",
                  "needs_tokens": "needs more tokens", "failed": "verification failed"}
        self.notify(f"Job {job.id[:8]}: {titles.get(job.verification, 'verified')}",
                    job.verification_text)
        self._notified_job = job.id
        self.services.refresh_profile()

    def notify(self, title: str, text: str) -> None:
        """A desktop notification (the tray's, else the status bar)."""
        self.notifications.append((title, text))
        if self.tray is not None:
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)
        else:
            self.statusBar().showMessage(f"{title}. {text}", 10000)

    def _notify_purchase(self, title: str, text: str) -> None:
        self._notified_job = None  # a click on this notification opens no job
        self.notify(title, text)

    def buy_tokens_for(self, shortfall: int) -> None:
        """The job needs more tokens: the packs, with how many more are needed."""
        self.show_page("tokens")
        self.tokens.packs_table.setFocus()
        self.tokens.show_info(f"This job needs {shortfall:,} more tokens than you have: "
                              "choose a pack, then Buy in the browser.")

    def buy_tokens(self) -> None:
        self.show_page("tokens")
        self.tokens.buy_tokens()

    def find_jobs(self) -> None:
        self.show_page("jobs")
        self.jobs.search.setFocus()
        self.jobs.search.selectAll()

    def open_notified_job(self) -> None:
        """A click on the last status notification: the window, the Jobs page, that job."""
        if self._notified_job is None:
            return
        self.showNormal()
        self.raise_()
        self.activateWindow()
        self.show_page("jobs")
        self.jobs.select_job(self._notified_job)

    def show_support(self) -> None:
        self.nav.setCurrentRow(5)
        self.help.show_support()

    def show_shortcuts(self) -> None:
        from wyntek_desktop.ui.dialogs.shortcuts import ShortcutsDialog
        self.shortcuts_dialog = ShortcutsDialog(self.actions_by_name.values(), self)
        self.shortcuts_dialog.open()

    def show_about(self) -> None:
        from wyntek_desktop.distribution.about import about_info
        from wyntek_desktop.ui.dialogs.about import AboutDialog

        def show(info: Any) -> None:
            self.about_dialog = AboutDialog(info, self)
            self.about_dialog.open()
        # collecting component licences reads package metadata: a worker does it
        self.services.call(lambda state: about_info(), on_result=show)

    # -- recent files -------------------------------------------------------------------------
    def set_recent_files(self, paths: list[str]) -> None:
        self.recent_files = list(paths)
        self.recent_menu.clear()
        for path in self.recent_files:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda checked=False, p=path: self.open_paths([p]))
        self.recent_menu.setEnabled(bool(self.recent_files))

    def remember_recent(self, path: str) -> None:
        self.set_recent_files([path, *(p for p in self.recent_files if p != path)][:10])
        self.recent_changed(self.recent_files)

    def recent_changed(self, paths: list[str]) -> None:
        """Hook: the app saves the list to the settings file (in a worker)."""

    # -- layout persistence -------------------------------------------------------------------
    def qsettings(self) -> QSettings:
        return QSettings("WYNTEK", "wyntek-desktop")

    def restore_layout(self) -> None:
        s = self.qsettings()
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = s.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        for splitter in self.findChildren(QSplitter):
            value = s.value(f"splitters/{splitter.objectName()}")
            if isinstance(value, QByteArray) and splitter.objectName():
                splitter.restoreState(value)
        self.jobs.restore_view(s.value("jobs/header"), s.value("jobs/status"))
        page = s.value("window/page")
        if isinstance(page, str) and page in PAGES:
            self.show_page(page)

    def save_layout(self) -> None:
        s = self.qsettings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("window/page", PAGES[self.stack.currentIndex()])
        header, status = self.jobs.view_state()
        s.setValue("jobs/header", header)  # column widths and order, the sorted column
        s.setValue("jobs/status", status or "")
        for splitter in self.findChildren(QSplitter):
            if splitter.objectName():
                s.setValue(f"splitters/{splitter.objectName()}", splitter.saveState())
        s.sync()

    def shutdown(self) -> None:
        for page in self.pages.values():
            page.shutdown()
            page.banner.dismiss()
        if self.tray is not None:
            self.tray.hide()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        self.shutdown()
        super().closeEvent(event)


def app_icon() -> QIcon:
    return icon("app.svg")
