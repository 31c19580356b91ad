"""Events the upload runner reports (on its worker threads; never block in a handler)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Runner states, as shown to people.
IDLE, RUNNING, OFFLINE, SIGN_IN_REQUIRED, STOPPED = (
    "idle", "running", "offline", "sign_in_required", "stopped")
RUNNER_MESSAGES = {
    IDLE: "Nothing is waiting to be sent.",
    RUNNING: "Uploading…",
    OFFLINE: "Offline: uploads continue when the connection is back.",
    SIGN_IN_REQUIRED: "Sign in to continue uploading.",
    STOPPED: "Uploads stopped.",
}


@dataclass(frozen=True)
class RunnerStateChanged:
    state: str
    message: str


@dataclass(frozen=True)
class JobStateChanged:
    client_job_id: str
    state: str
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
