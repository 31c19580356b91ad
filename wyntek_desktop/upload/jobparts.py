"""The steps of sending one job that need no runner state: check, describe, discard."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from wyntek_desktop.core.errors import FileError, WyntekError
from wyntek_desktop.core.outbox import Outbox, OutboxFile, OutboxJob
from wyntek_desktop.core.outbox_files import sha256_file
from wyntek_desktop.upload.transfer import Control, IntegrityError
from wyntek_desktop.upload.tus import (
    AuthRefused,
    OffsetConflict,
    TusClient,
    UploadFinished,
    UploadGone,
)

log = logging.getLogger(__name__)


def verify_sources(job: OutboxJob, control: Control) -> None:
    """Files referenced by path are hashed again: what was checked is what is sent.

    Our own copies are checked by size (they are ours; after the upload the stored size,
    and the MD5 where the etag gives one, confirm them).
    """
    for f in job.files:
        if f.verified:
            continue
        try:
            st = f.local_path.stat()
        except OSError as exc:
            raise IntegrityError(f"{f.file_name} is no longer at {f.local_path}.",
                                 hint="Put it back or prepare the job again.") from exc
        if st.st_size != f.size or (f.mode == "path" and st.st_mtime_ns != f.mtime_ns):
            raise changed(f)
        if f.mode == "path":
            try:
                digest = sha256_file(f.local_path, cancelled=lambda: control.reason is not None)
            except FileError:
                control.check()  # a pause or cancel stopped the hashing: not a failure
                raise
            if digest.sha256 != f.sha256:
                raise changed(f)


def changed(f: OutboxFile) -> IntegrityError:
    return IntegrityError(f"{f.file_name} was changed after it was checked; it was not "
                          "uploaded.", hint="Check the file again and prepare a new job.")


def submit_files(job: OutboxJob) -> list[dict[str, Any]]:
    """The ``files`` argument of ``submit_job`` for an uploaded job."""
    return [{"storage_path": f.storage_path, "file_name": f.file_name, "kind": f.kind,
             "size_bytes": f.size, "sha256": f.sha256, "analysis": f.analysis}
            for f in job.files]


def discard_uploads(outbox: Outbox, tus: TusClient, client_job_id: str) -> None:
    """Remove what a cancelled job left on the service: its partial uploads and objects.

    A partial upload is terminated; then the object is deleted through the Storage API
    whatever TUS said, because a finished upload cannot be terminated (and its last chunk
    may have landed while we cancelled). A file is forgotten only once the service
    confirmed the delete; otherwise it becomes an owed delete in the outbox, which the
    runner retries until it succeeds (`settle_owed_deletes`), across restarts too.
    """
    try:
        files = outbox.get(client_job_id).files
    except WyntekError as exc:  # the job was removed meanwhile
        log.info("cancel cleanup of %s: %s", client_job_id, exc)
        return
    for f in files:
        if not f.storage_path:
            continue
        if f.tus_url and not f.verified and f.offset < f.size:
            try:
                tus.terminate(f.tus_url)
            except UploadFinished:
                pass  # finished meanwhile: the delete below removes it
            except (WyntekError, httpx.HTTPError, OffsetConflict) as exc:
                log.info("could not terminate the upload of %s: %s", f.file_name, exc)
        try:
            tus.delete_object(f.storage_path)
        except _DELETE_FAILURES as exc:
            log.warning("the stored copy of %s was not deleted (retried later): %s",
                        f.file_name, exc)
            try:
                outbox.owe_delete(f, str(exc) or type(exc).__name__)
            except WyntekError:
                return
            continue
        try:
            outbox.reset_upload(f)
        except WyntekError:
            return


_DELETE_FAILURES = (WyntekError, httpx.HTTPError, AuthRefused, OffsetConflict, UploadGone)


def settle_owed_deletes(outbox: Outbox, tus: TusClient, user_id: str) -> bool:
    """Try every delete the service still owes in `user_id`'s folder; True when none is
    left. A failure keeps the delete (with its error) for the next round."""
    settled = True
    for owed in outbox.owed_deletes(prefix=f"{user_id}/"):
        try:
            tus.delete_object(owed.storage_path)
        except _DELETE_FAILURES as exc:
            log.info("owed delete of %s failed again: %s", owed.storage_path, exc)
            outbox.delete_failed(owed.storage_path, str(exc) or type(exc).__name__)
            settled = False
            continue
        outbox.delete_settled(owed.storage_path)
    return settled


def as_dict(result: Any) -> dict[str, Any]:
    """The service's job as JSON-ready data (a typed model, a dict or anything else)."""
    for name in ("model_dump", "to_dict", "_asdict"):
        method = getattr(result, name, None)
        if callable(method):
            data = method()
            if isinstance(data, dict):
                return data
    if isinstance(result, dict):
        return result
    if hasattr(result, "__dict__"):
        return {k: v for k, v in vars(result).items() if not k.startswith("_")}
    return {"value": result}
