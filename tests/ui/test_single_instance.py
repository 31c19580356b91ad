"""A second start of the app hands its files to the running window and exits."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QDir
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtNetwork import QLocalSocket
from PySide6.QtWidgets import QApplication

from wyntek_desktop.core.appdirs import AppDirs
from wyntek_desktop.ui.single_instance import (
    FileOpenEvents,
    SingleInstance,
    claim,
    hand_off,
    server_name,
)


def _listening(local: bool) -> tuple[SingleInstance, list[list[str]]]:
    instance = claim(AppDirs.default().data, local, [])
    assert instance is not None and instance.lock is not None
    received: list[list[str]] = []
    instance.files_received.connect(received.append)
    return instance, received


def test_a_second_start_hands_its_files_to_the_running_window(qtbot, tmp_path: Path) -> None:
    """The real entry point, in its own process, as "Open with" starts it: it gives the
    file (made absolute) to the running window and exits without opening a window."""
    instance, received = _listening(local=False)
    part = tmp_path / "part.stl"
    part.write_bytes(b"solid x\nendsolid x\n")
    try:
        with subprocess.Popen([sys.executable, "-m", "wyntek_desktop", part.name],
                              cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) as second:
            qtbot.waitUntil(lambda: bool(received), timeout=120_000)
            _, err = second.communicate(timeout=60)
        assert second.returncode == 0, err
        assert received == [[str(part)]]
    finally:
        instance.close()


def test_a_second_local_window_hands_off_instead_of_starting_a_demo_service(
        qtbot, tmp_path: Path) -> None:
    """`wyntek-desktop --local` while a demo window runs: no second window, no second
    start (or stop) of the demo service."""
    instance, received = _listening(local=True)
    try:
        with subprocess.Popen([sys.executable, "-m", "wyntek_desktop", "--local"],
                              cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) as second:
            qtbot.waitUntil(lambda: bool(received), timeout=120_000)
            _, err = second.communicate(timeout=60)
        assert second.returncode == 0, err
        assert received == [[]]  # nothing to open: the running window comes to the front
        assert not (AppDirs.default().localstack_data / "running.json").exists()
    finally:
        instance.close()


def test_nothing_running_means_no_hand_off(qtbot) -> None:
    assert hand_off(server_name(AppDirs.default().data, False), ["x.stl"], 500) is False


RUNNING_WINDOW = """
import sys
from pathlib import Path
from PySide6.QtCore import QCoreApplication, QTimer
from wyntek_desktop.ui.single_instance import claim
app = QCoreApplication([])
instance = claim(Path(sys.argv[1]), False, [])
assert instance is not None
print("listening", flush=True)
QTimer.singleShot(60_000, app.quit)
app.exec()
"""


def test_a_window_never_takes_the_name_of_one_that_answers(qtbot) -> None:
    """Two windows started at once: the one that is second hands off, never listens."""
    data = AppDirs.default().data
    with subprocess.Popen([sys.executable, "-c", RUNNING_WINDOW, str(data)],
                          stdout=subprocess.PIPE, text=True) as running:
        try:
            assert running.stdout is not None and running.stdout.readline() == "listening\n"
            assert claim(data, False, ["a.stl"]) is None  # handed to the running one
        finally:
            running.kill()
            running.communicate()
    # The first one gone (killed: its lock is dropped by the OS), the next one listens.
    after = claim(data, False, [])
    assert after is not None and after.server.isListening()
    after.close()


@pytest.mark.skipif(os.name != "posix", reason="a stale socket file exists only on Unix")
def test_a_stale_socket_left_by_a_crashed_window_is_taken_over(qtbot) -> None:
    name = server_name(AppDirs.default().data, False)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(os.path.join(QDir.tempPath(), name))  # bound, never listening: a dead window
    stale.close()
    instance = claim(AppDirs.default().data, False, [])
    try:
        assert instance is not None and instance.server.isListening()
        sock = QLocalSocket()
        sock.connectToServer(name)
        assert sock.waitForConnected(2000)
        sock.disconnectFromServer()
    finally:
        instance.close()


def test_a_malformed_message_is_refused_and_the_window_keeps_listening(qtbot) -> None:
    instance, received = _listening(local=False)
    try:
        sock = QLocalSocket()
        sock.connectToServer(instance.name)
        assert sock.waitForConnected(2000)
        sock.write(b"not json\n")
        sock.flush()
        qtbot.waitUntil(lambda: sock.state() == QLocalSocket.LocalSocketState.UnconnectedState,
                        timeout=5000)
        assert received == []
    finally:
        instance.close()


def test_a_file_open_event_is_reported_like_a_hand_off(qtbot) -> None:
    """macOS sends "Open with" to the running app as a QFileOpenEvent."""
    events = FileOpenEvents()
    received: list[list[str]] = []
    events.files_received.connect(received.append)
    QApplication.instance().installEventFilter(events)
    try:
        QApplication.sendEvent(QApplication.instance(), QFileOpenEvent("/tmp/part.step"))
        assert received == [["/tmp/part.step"]]
    finally:
        QApplication.instance().removeEventFilter(events)
