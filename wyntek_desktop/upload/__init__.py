"""Resumable uploads (TUS on httpx) and the runner that empties the outbox.

No Qt here: the GUI and the CLI drive the same objects. The public API::

    from wyntek_desktop.core.outbox import Outbox, FileInput
    from wyntek_desktop.upload import UploadRunner, RetryPolicy

    outbox = Outbox.open()                      # or Outbox.open(path); default in user_data_dir
    job = outbox.add_job(spec, [FileInput(path, kind="model", analysis=report_json)],
                         copy=True)             # -> OutboxJob; client_job_id = uuid4, offline
                                                # copy=False: keep path + size + mtime + SHA-256
                                                # (hashed again right before upload)
    runner = UploadRunner(
        outbox,
        transport_factory=lambda: make_http_client(settings),   # one httpx.Client per thread
        access_token=session.access_token,      # fresh token or raises SignInRequired
        submit_job=api.submit_job,              # (client_job_id, spec, files) -> Job
        user_id=lambda: session.user_id,        # str or callable
        storage_url=f"{url}/storage/v1", apikey=anon_key,
        parallel=2, events=on_event)            # events arrive on worker threads

    result = runner.run_pending(wait=True)      # CLI: returns RunResult(state, message,
                                                #   submitted, failed, pending) when all is
                                                #   sent, or offline, or sign-in is needed
    runner.start()                              # GUI: keeps sending in the background
    runner.pause(cid); runner.resume(cid)       # pause flag survives restarts
    runner.cancel(cid)                          # deletes the partial upload; job -> draft
    runner.retry(cid)                           # failed/draft -> queued
    runner.notify_signed_in()                   # after a sign-in: uploads continue
    runner.stop()

``add_job`` raises ``DiskFullError`` (nothing kept) or ``FileError``. The runner keeps one
process per job (an OS file lock), so the GUI and a CLI run can share an outbox. After a
connection failure it asks ``{url}/auth/v1/health``; if that fails too it goes offline
at once (and probes with backoff), otherwise it retries with exponential backoff and
jitter, resuming from the server's offset (HEAD).

Events (:mod:`wyntek_desktop.upload.events`): ``RunnerStateChanged(state, message)`` with
``idle``/``running``/``offline``/``sign_in_required`` ("Sign in to continue uploading.")
/``stopped``; ``JobStateChanged(client_job_id, state, failure, server_job_id, paused)``;
``UploadProgress(client_job_id, file_index, file_name, file_sent, file_total, job_sent,
job_total, speed, eta)``. A GUI handler should only post them to its own thread (a Qt
signal), never block.

Exit-code mapping for the CLI: ``result.state == "offline"`` or jobs still pending after a
network failure → exit 3 (the job stays in the outbox); ``result.failed`` → the job's
``failure`` text (``outbox.get(cid).failure``) and exit 2 or 1 by ``failure_kind``;
``sign_in_required`` → exit 2.
"""

from wyntek_desktop.upload.events import (
    JobStateChanged,
    RunnerStateChanged,
    UploadProgress,
)
from wyntek_desktop.upload.retry import RetryPolicy
from wyntek_desktop.upload.runner import RunResult, UploadRunner
from wyntek_desktop.upload.transfer import IntegrityError
from wyntek_desktop.upload.tus import CHUNK_SIZE, TusClient

__all__ = ["CHUNK_SIZE", "IntegrityError", "JobStateChanged", "RetryPolicy", "RunResult",
           "RunnerStateChanged", "TusClient", "UploadProgress", "UploadRunner"]
