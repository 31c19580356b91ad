"""Events the upload runner reports (on its worker threads; never block in a handler)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from wyntek_desktop.core.outbox import JobState


class RunnerState(StrEnum):
    """What the upload runner is doing (the window's connection state follows it)."""

    IDLE = "idle"
    RUNNING = "running"
    OFFLINE = "offline"
    SIGN_IN_REQUIRED = "sign_in_required"
    STOPPED = "stopped"


IDLE, RUNNING, OFFLINE = RunnerState.IDLE, RunnerState.RUNNING, RunnerState.OFFLINE
SIGN_IN_REQUIRED, STOPPED = RunnerState.SIGN_IN_REQUIRED, RunnerState.STOPPED
RUNNER_MESSAGES = {
    IDLE: "Nothing is waiting to be sent.",
    RUNNING: "Uploading…",
    OFFLINE: "Offline: uploads continue when the connection is back.",
    SIGN_IN_REQUIRED: "Sign in to continue uploading.",
    STOPPED: "Uploads stopped.",
}


@dataclass(frozen=True)
class RunnerStateChanged:
    state: RunnerState
    message: str


@dataclass(frozen=True)
class JobStateChanged:
    client_job_id: str
    state: JobState
    failure: str | None = None
    server_job_id: str | None = None
    paused: bool = False


@dataclass(frozen=True)
class UploadProgress:
    client_job_id: str
    file_index: int
    file_name: str
    file_sent: int
    file_total: int
    job_sent: int
    job_total: int
    speed: float            # bytes per second, moving average
    eta: float | None       # seconds, None until the speed is known


Event = RunnerStateChanged | JobStateChanged | UploadProgress
EventHandler = Callable[[Event], None]
