"""The upload runner: sends the outbox's jobs, one after another, in a worker thread.

For each job: verify the files (hash of files referenced by path), upload them with
bounded parallelism, confirm them in storage, then call ``submit_job`` with the job's
``client_job_id`` (the same on every retry, so a lost answer never charges twice).
It waits while offline (probing with backoff), stops with "sign in to continue" when
the session is gone, and never blocks its caller: results arrive as events.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from wyntek_desktop.api.failures import transport_error
from wyntek_desktop.core import outbox as ob
from wyntek_desktop.core.errors import (
    NetworkError,
    NotFoundError,
    SignInRequired,
    TLSError,
    UsageError,
    WyntekError,
)
from wyntek_desktop.core.outbox import Outbox, OutboxFile, OutboxJob
from wyntek_desktop.upload.events import (
    IDLE,
    OFFLINE,
    RUNNER_MESSAGES,
    RUNNING,
    SIGN_IN_REQUIRED,
    STOPPED,
    Event,
    EventHandler,
    JobStateChanged,
    RunnerState,
    RunnerStateChanged,
    UploadProgress,
)
from wyntek_desktop.upload.joblock import JobLocks
from wyntek_desktop.upload.jobparts import (
    as_dict,
    discard_uploads,
    settle_owed_deletes,
    submit_files,
    verify_sources,
)
from wyntek_desktop.upload.progress import ProgressMeter
from wyntek_desktop.upload.retry import RetryPolicy
from wyntek_desktop.upload.transfer import (
    CANCEL,
    PAUSE,
    STOP,
    Control,
    upload_file,
)
from wyntek_desktop.upload.tus import CHUNK_SIZE, Interrupted, TusClient

log = logging.getLogger(__name__)
_SETTLED = (IDLE, OFFLINE, SIGN_IN_REQUIRED, STOPPED)


@dataclass
class RunResult:
    """What a ``run_pending(wait=True)`` pass achieved."""

    state: RunnerState
    message: str
    submitted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)


class UploadRunner:
    def __init__(self, outbox: Outbox, transport_factory: Callable[[], httpx.Client],
                 access_token: Callable[[], str],
                 submit_job: Callable[[str, dict[str, Any], list[dict[str, Any]]], Any],
                 user_id: str | Callable[[], str], storage_url: str, apikey: str,
                 parallel: int = 2, events: EventHandler | None = None, *,
                 retry: RetryPolicy | None = None, probe: Callable[[], bool] | None = None,
                 offline_delays: tuple[float, float] = (2.0, 60.0), idle_poll: float = 30.0,
                 chunk_size: int = CHUNK_SIZE, progress_interval: float = 0.25,
                 check_affordable: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.outbox = outbox
        self._check_affordable = check_affordable
        self._transport_factory = transport_factory
        self._access_token = access_token
        self._submit_job = submit_job
        self._user_id = user_id
        self.storage_url = storage_url.rstrip("/")
        self._apikey = apikey
        self.parallel = max(1, parallel)
        self._events = events
        self._retry = retry or RetryPolicy()
        self._probe = probe
        self._offline_delays = offline_delays
        self._idle_poll = idle_poll
        self._chunk_size = chunk_size
        self._progress_interval = progress_interval
        self._lock = threading.RLock()
        self._settled = threading.Condition(self._lock)
        self._settle_count = 0
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._auto = False
        self._stopping = False
        self._controls: dict[str, Control] = {}
        self._need_sign_in = False
        self._offline = True  # probe before the first job
        self._offline_delay = offline_delays[0]
        self._retry_at = 0.0
        self._outcomes: list[tuple[str, str]] = []
        self._last_progress: dict[tuple[str, int], float] = {}
        # Owed deletes (see core.outbox) are retried with backoff until they succeed.
        self._owed_at = 0.0
        self._owed_delay = offline_delays[0]
        self.state: RunnerState = IDLE
        self._locks = JobLocks(outbox.path.parent / "outbox-locks")

    # ---- public control --------------------------------------------------------------
    def start(self) -> None:
        """Run in the background for good: sends jobs whenever online and signed in."""
        with self._lock:
            self._auto = True
            self._ensure_thread()
        self._wake.set()

    def run_pending(self, wait: bool = True, timeout: float | None = None) -> RunResult | None:
        """Send what is pending. ``wait=False`` returns at once (background thread).

        ``wait=True`` returns when nothing is left to do now: all sent, offline, or
        sign-in needed; the result lists the jobs sent, failed and still pending.
        """
        if not wait:
            self.start()
            return None
        with self._lock:
            mark, count = len(self._outcomes), self._settle_count
            self._ensure_thread()
            self._wake.set()
            deadline = None if timeout is None else time.monotonic() + timeout
            while self._settle_count == count:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._settled.wait(0.5 if left is None else min(0.5, left))
            outcomes = self._outcomes[mark:]
            state = self.state
        pending = [j.client_job_id for j in self.outbox.jobs(ob.RUNNABLE)]
        return RunResult(state, RUNNER_MESSAGES[state],
                         submitted=[c for c, o in outcomes if o == ob.SUBMITTED],
                         failed=[c for c, o in outcomes if o == ob.FAILED], pending=pending)

    def pause(self, client_job_id: str) -> None:
        self.outbox.set_paused(client_job_id, True)
        with self._lock:
            control = self._controls.get(client_job_id)
        if control:
            control.request(PAUSE)
        self._emit_job(self.outbox.get(client_job_id))

    def resume(self, client_job_id: str) -> None:
        self.outbox.set_paused(client_job_id, False)
        self._emit_job(self.outbox.get(client_job_id))
        self._wake.set()

    def retry(self, client_job_id: str) -> None:
        """A failed (or draft) job goes back into the queue."""
        self.outbox.retry(client_job_id)
        self._emit_job(self.outbox.get(client_job_id))
        self._wake.set()

    def cancel(self, client_job_id: str) -> None:
        """Stop the job's upload, delete what reached the service, keep it as a draft."""
        with self._lock:
            job = self.outbox.get(client_job_id)
            if job.state in (ob.SUBMITTING, ob.SUBMITTED):
                raise UsageError("This job is already being submitted; cancel it from the "
                                 "job list instead.")
            control = self._controls.get(client_job_id)
            if control is not None:
                control.request(CANCEL)
                return
            self.outbox.set_state(client_job_id, ob.DRAFT)
        self._emit_job(self.outbox.get(client_job_id))
        threading.Thread(target=self._discard_uploads, args=(client_job_id,),
                         name="wyntek-upload-cancel", daemon=True).start()

    def notify_signed_in(self) -> None:
        """Call after a successful sign-in: uploads continue."""
        with self._lock:
            self._need_sign_in = False
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        with self._lock:
            self._stopping = True
            for control in self._controls.values():
                control.request(STOP)
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout)

    # ---- the worker thread -----------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stopping = False
            self._thread = threading.Thread(target=self._loop, name="wyntek-upload-runner",
                                            daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        http = self._transport_factory()
        tus = TusClient(http, self.storage_url, self._apikey, self._access_token)
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    if not self._step(http, tus) and not self._auto:
                        break
                except Exception:  # never let one bad round end the uploads for good
                    log.exception("upload runner round failed")
                    if not self._auto:
                        break
                    self._wake.wait(self._offline_delays[0])
        finally:
            http.close()
            with self._lock:
                if self._stopping:
                    self._set_state(STOPPED)
                self._settle()

    def _step(self, http: httpx.Client, tus: TusClient) -> bool:
        """One round; False when there is nothing to do now (the runner settles)."""
        job: OutboxJob | None = None
        delay: float | None = self._idle_poll
        if self._need_sign_in:
            state, delay = SIGN_IN_REQUIRED, None
        elif self._offline and (time.monotonic() < self._retry_at
                                or not self._is_online(http)):
            state, delay = OFFLINE, self._offline_delay
            self._retry_at = 0.0
            self._offline_delay = min(self._offline_delay * 2, self._offline_delays[1])
        else:
            self._offline, self._offline_delay = False, self._offline_delays[0]
            state = IDLE
            owed_wait = self._settle_owed_deletes(tus)
            if owed_wait is not None:
                delay = owed_wait if delay is None else min(delay, owed_wait)
        with self._lock:
            if state == IDLE:
                job = self._next_job()
                if job is not None:
                    control = self._controls[job.client_job_id] = Control()
                    state = RUNNING
            self._set_state(state)
            if job is None:
                self._settle()
        if job is None:
            if self._auto and not self._stopping:
                self._wake.wait(delay)
            return False
        try:
            self._run_job(tus, job, control)
        finally:
            with self._lock:
                self._controls.pop(job.client_job_id, None)
                self._locks.release(job.client_job_id)
                with contextlib.suppress(WyntekError):  # removed meanwhile: nothing to keep
                    if self.outbox.get(job.client_job_id).state == ob.SUBMITTED:
                        self._locks.forget({job.client_job_id})
        return True

    def _settle_owed_deletes(self, tus: TusClient) -> float | None:
        """Retry the deletes the service still owes, when due; the seconds until the
        next try if some are left, else None."""
        now = time.monotonic()
        if now < self._owed_at:
            return self._owed_at - now
        try:
            user_id = self._user_id() if callable(self._user_id) else self._user_id
        except WyntekError:
            return None  # signed out: the deletes wait for their user
        if not user_id:
            return None
        if settle_owed_deletes(self.outbox, tus, user_id):
            self._owed_at, self._owed_delay = 0.0, self._offline_delays[0]
            return None
        wait = self._owed_delay
        self._owed_at = time.monotonic() + wait
        self._owed_delay = min(self._owed_delay * 2, self._offline_delays[1])
        return wait

    def _next_job(self) -> OutboxJob | None:
        """The oldest runnable job that no other process is sending."""
        busy: list[str] = []
        while (job := self.outbox.next_runnable(skip=busy)) is not None:
            if self._locks.acquire(job.client_job_id):
                fresh = self.outbox.get(job.client_job_id)  # another process may have sent it
                if fresh.state in ob.RUNNABLE and not fresh.paused:
                    return fresh
                self._locks.release(job.client_job_id)
            busy.append(job.client_job_id)
        return None

    def _settle(self) -> None:
        self._settle_count += 1
        self._settled.notify_all()

    def _is_online(self, http: httpx.Client) -> bool:
        if self._probe is not None:
            return self._probe()
        base = self.storage_url.removesuffix("/storage/v1")
        try:
            http.get(f"{base}/auth/v1/health", headers={"apikey": self._apikey}, timeout=5.0)
        except httpx.HTTPError as exc:
            # the service answered with a certificate we do not trust: that is not
            # "offline"; the job's own request reports it (and the job fails)
            return isinstance(transport_error(exc), TLSError)
        return True

    # ---- one job ---------------------------------------------------------------------
    def _run_job(self, tus: TusClient, job: OutboxJob, control: Control) -> None:
        cid = job.client_job_id
        try:
            if job.state in (ob.QUEUED, ob.UPLOADING):
                if job.state == ob.QUEUED:
                    # priced by the server first: nothing is stored for a job the balance
                    # cannot pay for (raises BalanceError, which fails the job with the sum)
                    if self._check_affordable is not None:
                        self._check_affordable(job.spec)
                    self._set_job_state(job, ob.UPLOADING)
                verify_sources(job, control)
                self._upload_files(tus, job, control)
                self._set_job_state(job, ob.SUBMITTING)
            self._submit(job, control)
        except Interrupted as exc:
            if exc.reason == CANCEL:
                self.outbox.set_state(cid, ob.DRAFT)
                self._discard_uploads(cid, tus)
            self._emit_job(self.outbox.get(cid))
        except SignInRequired:
            with self._lock:
                self._need_sign_in = True
        except TLSError as exc:  # a NetworkError that waiting does not fix
            self._fail(job, str(exc), exc.kind)
        except NetworkError as exc:
            log.info("upload of %s paused by a network failure: %s", cid, exc)
            with self._lock:
                self._offline = True
                self._retry_at = time.monotonic() + self._offline_delay
        except WyntekError as exc:
            self._fail(job, str(exc), exc.kind)
        except Exception as exc:  # a bug must not kill the runner or lose the job
            log.exception("upload of %s failed unexpectedly", cid)
            self._fail(job, f"Unexpected error while sending the job: {exc}.", "error")

    def _fail(self, job: OutboxJob, reason: str, kind: str) -> None:
        try:
            self.outbox.mark_failed(job.client_job_id, reason, kind)
        except NotFoundError:  # the user removed the job meanwhile
            log.info("job %s left the outbox while it was sent", job.client_job_id)
            return
        self._record(job.client_job_id, ob.FAILED)
        self._emit_job(self.outbox.get(job.client_job_id))

    def _upload_files(self, tus: TusClient, job: OutboxJob, control: Control) -> None:
        user_id = self._user_id() if callable(self._user_id) else self._user_id
        meter = ProgressMeter({f.index: f.size for f in job.files},
                              {f.index: f.size if f.verified else f.offset for f in job.files})
        todo = [f for f in job.files if not f.verified]
        errors: list[BaseException] = []

        def one(f: OutboxFile) -> None:
            try:
                upload_file(tus, self.outbox, f, f"{user_id}/{job.client_job_id}/"
                            f"{f.storage_name}", control, meter, self._retry,
                            self._chunk_size, lambda: self._emit_progress(job, f, meter),
                            online=lambda: self._is_online(tus.http))
                self._emit_progress(job, f, meter, force=True)
            except BaseException as exc:
                errors.append(exc)
                control.request(STOP)  # siblings stop too; the job is retried as a whole

        with ThreadPoolExecutor(max_workers=min(self.parallel, max(1, len(todo))),
                                thread_name_prefix="wyntek-upload") as pool:
            list(pool.map(one, todo))
        real = [e for e in errors if not isinstance(e, Interrupted)]
        if real:
            raise real[0]
        if errors:
            raise errors[0]

    def _submit(self, job: OutboxJob, control: Control) -> None:
        files = submit_files(self.outbox.get(job.client_job_id))
        failures = 0
        while True:
            control.check()
            try:
                result = self._submit_job(job.client_job_id, job.spec, files)
                break
            except TLSError:
                raise
            except (NetworkError, httpx.TransportError) as exc:
                if isinstance(exc, httpx.TransportError):
                    mapped = transport_error(exc)
                    if isinstance(mapped, TLSError):
                        raise mapped from exc
                failures += 1
                if self._retry.exhausted(failures):
                    raise NetworkError("The job cannot be submitted now; it stays in the "
                                       "outbox and is sent when the service is back.") from exc
                control.sleep(self._retry.delay(failures))
        server_job = as_dict(result)
        self.outbox.mark_submitted(job.client_job_id, server_job)
        self._record(job.client_job_id, ob.SUBMITTED)
        self._emit_job(self.outbox.get(job.client_job_id))

    def _discard_uploads(self, client_job_id: str, tus: TusClient | None = None) -> None:
        if tus is not None:
            discard_uploads(self.outbox, tus, client_job_id)
        else:
            with self._transport_factory() as http:
                discard_uploads(self.outbox, TusClient(http, self.storage_url, self._apikey,
                                                       self._access_token), client_job_id)
        if self.outbox.owes_deletes(client_job_id):
            with self._lock:  # the runner retries them (now, then with backoff)
                self._owed_at = 0.0
                if self._auto:
                    self._ensure_thread()
            self._wake.set()

    # ---- events ----------------------------------------------------------------------
    def _set_state(self, state: RunnerState) -> None:
        if state != self.state:
            self.state = state
            self._emit(RunnerStateChanged(state, RUNNER_MESSAGES[state]))

    def _set_job_state(self, job: OutboxJob, state: ob.JobState) -> None:
        self.outbox.set_state(job.client_job_id, state)
        job.state = state
        self._emit_job(job)

    def _record(self, client_job_id: str, outcome: str) -> None:
        with self._lock:
            self._outcomes.append((client_job_id, outcome))

    def _emit_job(self, job: OutboxJob) -> None:
        server_id = str(job.server_job.get("id")) if job.server_job else None
        self._emit(JobStateChanged(job.client_job_id, job.state, job.failure, server_id,
                                   job.paused))

    def _emit_progress(self, job: OutboxJob, f: OutboxFile, meter: ProgressMeter,
                       force: bool = False) -> None:
        key, now = (job.client_job_id, f.index), time.monotonic()
        if not force and now - self._last_progress.get(key, 0.0) < self._progress_interval:
            return
        self._last_progress[key] = now
        self._emit(UploadProgress(job.client_job_id, f.index, f.file_name,
                                  meter.file_sent(f.index), f.size, meter.sent, meter.total,
                                  meter.speed, meter.eta))

    def _emit(self, event: Event) -> None:
        if self._events is None:
            return
        try:
            self._events(event)
        except Exception:  # a broken handler must not stop uploads
            log.exception("upload event handler failed")
