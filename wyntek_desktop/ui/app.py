"""Start-up of the desktop app: window first, then the heavy parts in workers.

Order: read the small settings file, apply the theme, show the window; then, in a
worker, open the outbox, (with ``--local``) start the embedded stack, and build the
context (this imports the supabase client, the slowest import). The window is usable
for offline preparation the whole time.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication

from wyntek_desktop.core.appdirs import AppDirs
from wyntek_desktop.core.settings import Settings, resolve_settings, save_settings
from wyntek_desktop.ui.gc_policy import freeze_survivors
from wyntek_desktop.ui.main_window import MainWindow, app_icon
from wyntek_desktop.ui.reconnect import Reconnector
from wyntek_desktop.ui.services import CONNECTING, OFFLINE, Services
from wyntek_desktop.ui.single_instance import FileOpenEvents, bring_to_front, claim
from wyntek_desktop.ui.theme import apply_theme
from wyntek_desktop.ui.workers import TaskState

log = logging.getLogger(__name__)

DESIGN_TASKS = "wyntek_desktop.design.tasks"


class Booted:
    def __init__(self, ctx: Any, outbox: Any, backend: Any, signed_in: str | None) -> None:
        self.ctx, self.outbox, self.backend, self.signed_in = ctx, outbox, backend, signed_in


def boot(state: TaskState, settings: Settings, dirs: AppDirs, local: bool) -> Booted:
    """Worker: outbox, optional local stack, context, optional demo sign-in.

    The outbox is opened through the composition root but kept by the window for the
    whole run: it is used before any service is configured and across settings changes,
    each of which brings a new context (and a runner from its ``make_runner``)."""
    from wyntek_desktop.context import open_outbox

    outbox = open_outbox(dirs)
    backend = None
    signed_in = None
    try:
        ctx = None
        if local:
            from wyntek_desktop.context import build_local
            from wyntek_desktop.local_demo import DEMO_EMAIL, take_demo_announcement

            ctx, backend = build_local(dirs, lambda b: demo_settings(settings, b),
                                       progress=state.report_progress)
            signed_in = DEMO_EMAIL
            message = take_demo_announcement(backend)
            if message is not None:
                print(message, file=sys.stderr)  # the terminal that launched the demo
        elif settings.configured:
            from wyntek_desktop.context import AppContext
            state.report_progress(0.6, "Connecting…")
            ctx = AppContext.build(settings, dirs=dirs)
    except BaseException:
        outbox.close()
        raise
    return Booted(ctx, outbox, backend, signed_in)


class DesktopApp(QObject):
    ready = Signal()

    def __init__(self, qapp: QApplication, *, dirs: AppDirs | None = None,
                 settings: Settings | None = None, local: bool = False) -> None:
        super().__init__()
        self.qapp = qapp
        self.dirs = dirs or AppDirs.default()
        self.local = local
        self.settings = settings if settings is not None else resolve_settings(
            self.dirs.settings_file)
        self.theme = apply_theme(qapp, self.settings.theme)
        self.services = Services(parent=self)
        self.window = MainWindow(self.services)
        self.window.settings_requested.connect(self.open_settings)
        self.window.recent_changed = self.save_recent  # type: ignore[method-assign]
        self.window.set_recent_files(list(self.settings.recent_files))
        for warning in self.settings.warnings:
            self.window.prepare.banner.show_message(warning, "warning")
        self.reconnector = Reconnector(self.services, rejoin=self._rejoin if local else None)
        self.booted = False

    def _rejoin(self, state: TaskState, old_backend: Any) -> tuple[Any, Any]:
        """Worker: the demo service went away; join or start it again, signed in."""
        return rejoin_demo(self.dirs, self.settings, old_backend)

    def start(self) -> None:
        self.window.show()
        if self.local or self.settings.configured:
            self.services._set_connection(CONNECTING, "")
        self.services.call(boot, self.settings, self.dirs, self.local,
                           on_result=self._booted, on_error=self._boot_failed,
                           on_progress=lambda f, m: self.window.statusBar().showMessage(m))

    def _booted(self, b: Booted) -> None:
        self.services.outbox = b.outbox
        self.services.local_backend = b.backend
        self.window.statusBar().clearMessage()
        self.services.set_context(b.ctx)
        self.window.outbox.reload()
        # start the checking process and import the design package (numpy) now, in the
        # background, so opening the first file does not pay for them
        self.services.call(lambda state: self.services.procs.warm_up(DESIGN_TASKS))
        self.services.call_named(f"{DESIGN_TASKS}:warm_up")
        self.booted = True
        self.ready.emit()
        freeze_survivors(full=True)  # once: everything alive now lives as long as the app

    def _boot_failed(self, err: Any) -> None:
        self.services._set_connection(OFFLINE, str(err))
        self.window.prepare.banner.show_message(str(err), "error", "Settings…",
                                                self.open_settings)
        self.booted = True
        self.ready.emit()

    # -- settings ---------------------------------------------------------------------------
    def open_settings(self) -> None:
        from wyntek_desktop.ui.dialogs.settings import SettingsDialog
        dialog = SettingsDialog(self.services, self.settings, self.dirs.settings_file,
                                self.window)
        dialog.saved.connect(self.apply_settings)
        self.settings_dialog = dialog
        dialog.open()

    def apply_settings(self, settings: Settings) -> None:
        connection_changed = (
            (settings.supabase_url, settings.anon_key, settings.ca_bundle, settings.proxy)
            != (self.settings.supabase_url, self.settings.anon_key, self.settings.ca_bundle,
                self.settings.proxy))
        self.settings = settings
        self.theme = apply_theme(self.qapp, settings.theme)
        if connection_changed and not self.local:
            self.services.call(lambda state: _build_context(settings, self.dirs),
                               on_result=self.services.set_context)

    def save_recent(self, paths: list[str]) -> None:
        if self.local:
            return
        self.settings = replace(self.settings, recent_files=tuple(paths))
        settings, path = self.settings, self.dirs.settings_file
        self.services.call(lambda state: save_settings(path, settings), latest="save-settings")

    def open_handed_files(self, files: list[str]) -> None:
        """Another start of the app handed us ``files``: open them, come to the front."""
        log.info("another start handed over %d file(s)", len(files))
        if files:
            self.window.show_page("prepare")
            self.window.prepare.open_paths(files)
        bring_to_front(self.window)

    def shutdown(self) -> None:
        self.window.shutdown()
        self.services.shutdown()


def demo_settings(settings: Settings, backend: Any) -> Settings:
    return replace(settings, supabase_url=backend.url, anon_key=backend.anon_key,
                   ca_bundle=None)


def rejoin_demo(dirs: AppDirs, settings: Settings, old_backend: Any) -> tuple[Any, Any]:
    """Let go of the demo service that went away, then join (or start) it again."""
    from wyntek_desktop.context import build_local

    old_backend.stop()  # a joiner's stop does nothing; an owner's releases ownership
    return build_local(dirs, lambda backend: demo_settings(settings, backend))


def _build_context(settings: Settings, dirs: AppDirs) -> Any:
    if not settings.configured:
        return None
    from wyntek_desktop.context import AppContext
    return AppContext.build(settings, dirs=dirs)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="wyntek-desktop", description="WYNTEK Desktop")
    parser.add_argument("--local", action="store_true",
                        help="start the embedded demo service and sign in the demo account")
    parser.add_argument("files", nargs="*", help="design files to open")
    return parser.parse_args(argv)


def run(argv: list[str]) -> int:
    args = parse_args(argv)
    from wyntek_desktop.ui.viewer import request_gl_format

    request_gl_format()
    qapp = QApplication.instance() or QApplication(["wyntek-desktop"])
    assert isinstance(qapp, QApplication)
    qapp.setApplicationName("wyntek-desktop")
    qapp.setOrganizationName("WYNTEK")
    qapp.setApplicationDisplayName("WYNTEK Desktop")
    qapp.setWindowIcon(app_icon())
    dirs = AppDirs.default()
    instance = claim(dirs.data, args.local, args.files)
    if instance is None:
        return 0  # the running window took the files and comes to the front
    try:
        from wyntek_desktop.core.logging_setup import setup_logging
        setup_logging(dirs.log)
    except OSError as exc:
        log.warning("file logging unavailable: %s", exc)
    desktop = DesktopApp(qapp, dirs=dirs, local=args.local)
    instance.setParent(desktop)
    instance.files_received.connect(desktop.open_handed_files)
    file_open = FileOpenEvents(desktop)
    file_open.files_received.connect(desktop.open_handed_files)
    qapp.installEventFilter(file_open)
    desktop.start()
    if os.environ.get("WYNTEK_STARTUP_PROBE"):  # benchmarks: report "window shown", quit
        from PySide6.QtCore import QTimer

        def shown() -> None:
            print(f"shown {time.time():.6f}", flush=True)
            qapp.quit()
        QTimer.singleShot(0, shown)
    if args.files:
        log.info("opening %s", ", ".join(os.path.basename(path) for path in args.files))
        desktop.window.prepare.open_paths(args.files)
    qapp.aboutToQuit.connect(desktop.shutdown)
    _quit_on_signals(qapp)
    return int(qapp.exec())


def _quit_on_signals(qapp: QApplication) -> None:
    """SIGINT/SIGTERM close the app cleanly (local stack stopped, helpers ended).

    Python runs signal handlers only between bytecodes, so a slow timer wakes it up."""
    import signal

    from PySide6.QtCore import QTimer

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: qapp.quit())
    wake = QTimer(qapp)
    wake.setObjectName("signal-wake")
    wake.timeout.connect(lambda: None)
    wake.start(300)
