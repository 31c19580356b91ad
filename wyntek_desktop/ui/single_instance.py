"""One window per user and mode: a second start hands its files to the running window.

``wyntek-desktop part.stl`` (or "Open with WYNTEK Desktop") while the app runs connects
to the running window's local socket, sends the file paths and exits; the running window
opens them and comes to the front. The socket is named after the user's data folder and
the mode (``--local`` demo or the configured service), so a demo window and a normal one
may run side by side, and test runs with their own folders never meet the user's app.

The protocol is one JSON line each way: ``{"files": [...]}`` then ``{"ok": true}``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path

from filelock import FileLock, Timeout
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

HAND_OFF_TIMEOUT_MS = 5000
MAX_MESSAGE_BYTES = 1 << 20
# How long a second start waits for a first window that is still starting to answer.
FIRST_WINDOW_GRACE_S = 15.0


def server_name(data_dir: Path, local: bool) -> str:
    """The running window's socket name for this user's data folder and mode."""
    digest = hashlib.sha256(str(data_dir.expanduser().resolve()).encode()).hexdigest()[:16]
    return f"wyntek-desktop-{'demo' if local else 'app'}-{digest}"


def claim(data_dir: Path, local: bool, files: list[str]) -> SingleInstance | None:
    """This process's listener if it is the first window of its mode, else None once
    the running window took ``files``.

    Who is first is decided by an OS file lock held for the whole run (dropped by the OS
    when the window exits or crashes), so two windows started at the same moment never
    both listen. A first window still starting gets a few seconds to answer."""
    name = server_name(data_dir, local)
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(data_dir / f"window-{'demo' if local else 'app'}.lock", thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        deadline = time.monotonic() + FIRST_WINDOW_GRACE_S
        while time.monotonic() < deadline:
            if hand_off(name, files):
                log.info("handed %d file(s) to the running window", len(files))
                return None
            time.sleep(0.2)
        log.warning("the running window does not answer; opening another one")
        return SingleInstance(name)
    instance = SingleInstance(name)
    instance.lock = lock
    instance.listen()
    return instance


def hand_off(name: str, files: list[str], timeout_ms: int = HAND_OFF_TIMEOUT_MS) -> bool:
    """Give ``files`` to the window already running under ``name``.

    True when it took them (this process should then exit); False when no window runs.
    Blocks for at most about ``timeout_ms``: called before this process shows anything.
    """
    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(timeout_ms):
        return False
    paths = [os.path.abspath(path) for path in files]
    sock.write(json.dumps({"files": paths}).encode("utf-8") + b"\n")
    sock.flush()
    reply = b""
    while b"\n" not in reply and sock.waitForReadyRead(timeout_ms):
        reply += bytes(sock.readAll().data())
    sock.disconnectFromServer()
    try:
        return bool(json.loads(reply.decode("utf-8") or "{}").get("ok"))
    except ValueError:
        return False


class SingleInstance(QObject):
    """The running window's end: listens under ``name`` and reports files handed to it."""

    files_received = Signal(list)  # absolute paths (may be empty: "come to the front")

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}
        #: The instance lock, held while this window runs (released by ``close``).
        self.lock: FileLock | None = None

    def listen(self) -> bool:
        """Listen under the name, taking it over from a window that is gone.

        Only the holder of the instance lock calls this (``claim``): on Unix Qt replaces
        an existing socket file, so listening itself cannot tell who came first."""
        QLocalServer.removeServer(self.name)
        if not self.server.listen(self.name):
            log.warning("cannot listen on %s: %s", self.name, self.server.errorString())
            return False
        return True

    def close(self) -> None:
        for sock in list(self._buffers):
            sock.readyRead.disconnect()
            sock.disconnected.disconnect()
            sock.abort()
        self._buffers.clear()
        self.server.close()
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            self._buffers[sock] = b""
            sock.readyRead.connect(self._read)
            sock.disconnected.connect(self._forget)

    def _read(self) -> None:
        sock = self.sender()
        if not isinstance(sock, QLocalSocket) or sock not in self._buffers:
            return
        data = self._buffers.get(sock, b"") + bytes(sock.readAll().data())
        if b"\n" not in data:
            if len(data) > MAX_MESSAGE_BYTES:
                sock.abort()
            else:
                self._buffers[sock] = data
            return
        line = data.split(b"\n", 1)[0]
        self._buffers[sock] = b""
        try:
            message = json.loads(line.decode("utf-8"))
            files = [str(path) for path in message.get("files", [])]
        except (ValueError, AttributeError, TypeError):
            log.warning("ignored a malformed hand-off message")
            sock.abort()
            return
        sock.write(b'{"ok": true}\n')
        sock.flush()
        self.files_received.emit(files)

    def _forget(self) -> None:
        sock = self.sender()
        if isinstance(sock, QLocalSocket) and self._buffers.pop(sock, None) is not None:
            sock.deleteLater()


class FileOpenEvents(QObject):
    """macOS: Finder's "Open with" reaches the running app as ``QFileOpenEvent``s
    (no second process starts); they are reported like a hand-off."""

    files_received = Signal(list)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            self.files_received.emit([event.file()])
            return True
        return super().eventFilter(watched, event)


def bring_to_front(window: QWidget) -> None:
    """Show ``window`` restored and active (window managers may only flash it)."""
    state = window.windowState() & ~Qt.WindowState.WindowMinimized
    window.setWindowState(state | Qt.WindowState.WindowActive)
    window.show()
    window.raise_()
    window.activateWindow()
