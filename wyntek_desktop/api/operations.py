"""Operators and the job lifecycle as typed calls (SPEC 5.2): the operator's assigned
jobs, a job's history, verified downloads of its files, advance and reject; for the
customer, reorder and "report a problem".

``Operations(api)`` (also ``api.operations``) shares the ``Api``'s session. The service
decides who may do what (RLS and the SQL functions); ``is_operator`` only tells the UI
which page to offer. Calls block: run them off the GUI thread.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import re
import uuid
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from wyntek_desktop.api.failures import map_exception, server_error
from wyntek_desktop.background.cancel import Cancelled
from wyntek_desktop.core import errors
from wyntek_desktop.core.models import Job, JobFile, Quote, SupportMessage
from wyntek_desktop.core.operations import (
    SUPPORT_TOPICS,
    DownloadedFile,
    JobEvent,
    OperatorJob,
    ReorderChanges,
)

if TYPE_CHECKING:
    from wyntek_desktop.api.client import Api

log = logging.getLogger(__name__)

BUCKET = "designs"
PAGE = 1000  # hosted PostgREST answers at most 1000 rows by default (max_rows)
MAX_NOTE = 2000
MAX_SUBJECT = 200
MAX_BODY = 5000
#: Characters some file systems refuse in a name (Windows' list, plus controls).
_UNSAFE_NAME = re.compile(r'[<>:"/\\|?*\x00-\x1f]')

Progress = Callable[[int, int], None]


def _uuid(value: str, what: str = "job") -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise errors.NotFoundError(f"{value!r} is not a {what} id (ids look like 3f1c…-…; "
                                   "see `wyntek ops jobs`).") from None


def _one(data: Any) -> dict[str, Any]:
    if isinstance(data, list):
        data = data[0] if data else None
    if not isinstance(data, dict):
        raise errors.ServerError("The WYNTEK service sent an unexpected answer.")
    return data


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, unverified: for display decisions only (the service checks)."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return {}
    return data if isinstance(data, dict) else {}


def local_file_name(file: JobFile) -> str:
    """A name for the downloaded copy that any file system accepts: the stored key's name
    (already plain ASCII, unique within the job), without characters Windows refuses."""
    name = PurePosixPath(file.storage_path).name or file.file_name or file.id
    name = _UNSAFE_NAME.sub("_", name).strip(" .") or f"file-{file.id}"
    return name[:200]


class Operations:
    def __init__(self, api: Api) -> None:
        self.api = api

    @property
    def _client(self) -> Any:
        return self.api.session.client

    # --- who is signed in ---------------------------------------------------------------

    def is_operator(self) -> bool:
        """True when the session's JWT says ``app_metadata.role = operator``."""
        claims = jwt_claims(self.api.session.access_token())
        meta = claims.get("app_metadata")
        return isinstance(meta, dict) and meta.get("role") == "operator"

    # --- the operator's jobs ------------------------------------------------------------

    def assigned_jobs(self, status: str | None = None) -> list[OperatorJob]:
        """The jobs assigned to the signed-in operator, oldest first (RLS: a customer
        gets an empty list).

        Pages are read by keyset (after the last row's created_at and id), not by offset:
        with a LIMIT and no OFFSET the database builds the file lists of one page only,
        so 5,000 jobs cost about what one full read costs instead of one per page.
        """
        rows: list[dict[str, Any]] = []
        while True:
            after = rows[-1] if rows else None

            def build(after: dict[str, Any] | None = after) -> Any:
                query = self._client.table("operator_jobs").select("*")
                if status:
                    query = query.eq("status", status)
                if after is not None:
                    at, last = after["created_at"], after["id"]
                    query = query.or_(f'created_at.gt."{at}",'
                                      f'and(created_at.eq."{at}",id.gt.{last})')
                return query.order("created_at").order("id").limit(PAGE)
            page = self.api._rows(build)
            rows += page
            if len(page) < PAGE:
                return [OperatorJob.from_row(r) for r in rows]

    def assigned_job(self, job_id: str) -> OperatorJob:
        job_id = _uuid(job_id)
        rows = self.api._rows(lambda: self._client.table("operator_jobs").select("*")
                              .eq("id", job_id))
        if not rows:
            raise errors.NotFoundError(f"Job {job_id} is not assigned to you.")
        return OperatorJob.from_row(rows[0])

    def job_events(self, job_id: str) -> list[JobEvent]:
        """The job's history as the database wrote it, oldest first. The owner and the
        job's assigned operators see it; anyone else gets an empty list."""
        job_id = _uuid(job_id)
        rows = self.api._paged(lambda: self._client.table("job_events")
                               .select("id,job_id,status,verification,note,actor,created_at")
                               .eq("job_id", job_id).order("id"))
        return [JobEvent.from_row(r) for r in rows]

    def advance(self, job_id: str, status: str, note: str | None = None) -> Job:
        """Move an assigned job to its next status (a retry of the same step is harmless)."""
        job_id = _uuid(job_id)
        note = (note or "").strip() or None
        if note is not None and len(note) > MAX_NOTE:
            raise errors.ValidationError(f"A note is limited to {MAX_NOTE} characters.")
        params = {"job_id": job_id, "status": status, "note": note}
        data = self.api._call(lambda: self._client.rpc("advance_job", params).execute().data)
        job = Job.from_row(_one(data))
        log.info("job %s moved to %s", job_id, job.status)
        return job

    def reject(self, job_id: str, reason: str) -> Job:
        """Reject a submitted or reviewing job; the service refunds its owner once."""
        job_id = _uuid(job_id)
        reason = (reason or "").strip()
        if not reason or len(reason) > MAX_NOTE:
            raise errors.ValidationError(
                f"Give the customer a reason for the rejection (1 to {MAX_NOTE} characters).")
        params = {"job_id": job_id, "reason": reason}
        data = self.api._call(lambda: self._client.rpc("reject_job", params).execute().data)
        job = Job.from_row(_one(data))
        log.info("job %s rejected", job_id)
        return job

    # --- verified downloads -------------------------------------------------------------

    def download_file(self, file: JobFile, directory: Path, *,
                      progress: Progress | None = None,
                      cancelled: Callable[[], bool] = lambda: False) -> DownloadedFile:
        """Stream one stored file into ``directory`` and check it against ``job_files``.

        The bytes go to a hidden ``.part`` file, hashed as they arrive; only a file whose
        size and SHA-256 match is renamed into place. A mismatch raises
        ``IntegrityError`` (and leaves nothing behind); ``cancelled()`` is polled per
        chunk and raises ``Cancelled``. ``progress(done, total)`` reports bytes.
        """
        directory = Path(directory)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise errors.FileError(f"Cannot create the folder {directory} "
                                   f"({exc.strerror or exc}).") from None
        target = directory / local_file_name(file)
        part = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
        try:
            size, digest = self._stream_to(file, part, progress, cancelled)
            self._check_integrity(file, size, digest)
            os.replace(part, target)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        log.info("downloaded %s (%d bytes, SHA-256 checked)", file.storage_path, size)
        return DownloadedFile(path=target, file_id=file.id, file_name=file.file_name,
                              size_bytes=size, sha256=digest)

    def download_job(self, job: OperatorJob | Job, directory: Path, *,
                     progress: Progress | None = None,
                     cancelled: Callable[[], bool] = lambda: False) -> list[DownloadedFile]:
        """Every file of the job that is still stored (see ``download_file``); progress
        counts the bytes of all of them."""
        files = [f for f in job.files if f.deleted_at is None]
        if not files:
            raise errors.NotFoundError(f"Job {job.id} has no stored files to download.")
        total = sum(f.size_bytes for f in files)
        done_before = 0
        results = []
        for file in files:
            def report(done: int, _total: int, base: int = done_before) -> None:
                if progress is not None:
                    progress(base + done, total)
            results.append(self.download_file(file, directory, progress=report,
                                              cancelled=cancelled))
            done_before += file.size_bytes
        return results

    def _object_url(self, path: str) -> str:
        return (f"{self.api.session.url}/storage/v1/object/authenticated/{BUCKET}/"
                f"{quote(path, safe='/')}")

    def _stream_to(self, file: JobFile, part: Path, progress: Progress | None,
                   cancelled: Callable[[], bool]) -> tuple[int, str]:
        http: httpx.Client = self.api.session.http
        for attempt in (1, 2):
            token = self.api.session.current(force_refresh=attempt == 2).access_token
            headers = {"apikey": self.api.session.anon_key, "Authorization": f"Bearer {token}"}
            try:
                with http.stream("GET", self._object_url(file.storage_path),
                                 headers=headers) as response:
                    if response.status_code >= 300:
                        refusal = self._refusal(file, response)
                        if refusal is None and attempt == 1:
                            continue  # the token expired in flight: refresh and retry once
                        raise refusal or errors.SignInRequired()
                    return self._receive(file, response, part, progress, cancelled)
            except (errors.WyntekError, Cancelled):
                raise
            except OSError as exc:
                if exc.errno == 28:  # ENOSPC
                    raise errors.DiskFullError(
                        f"The disk is full; {file.file_name} could not be saved.") from None
                if isinstance(exc, ConnectionError | TimeoutError):
                    raise map_exception(exc) from None
                raise errors.FileError(f"Cannot write {part.parent} "
                                       f"({exc.strerror or exc}).") from None
            except Exception as exc:
                raise map_exception(exc) from None
        raise errors.SignInRequired()

    def _refusal(self, file: JobFile, response: httpx.Response) -> errors.WyntekError | None:
        """The error for a refused download; None when the token merely expired."""
        response.read()
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        status = str(body.get("statusCode") or response.status_code)
        message = str(body.get("message") or body.get("error") or "").lower()
        if status in ("401", "403") and ("exp" in message or "jwt" in message):
            return None
        if status == "404" or "not_found" in str(body.get("error") or ""):
            return errors.NotFoundError(
                f"{file.file_name} is not in storage any more (its files were removed, or "
                "the job is not assigned to you).")
        if status in ("401", "403"):
            return errors.AuthError(f"Storage refused {file.file_name}: this account may "
                                    "not read the files of that job.")
        if response.status_code >= 500 or status.startswith("5"):
            return server_error(status)
        return errors.ServiceRefusal(f"Storage refused {file.file_name} (HTTP {status}).")

    @staticmethod
    def _receive(file: JobFile, response: httpx.Response, part: Path,
                 progress: Progress | None, cancelled: Callable[[], bool]) -> tuple[int, str]:
        size, expected = 0, file.size_bytes
        sink = _HashingWriter(part)
        try:
            # 1 MiB pieces: few hand-overs to the hashing thread (each one is a GIL switch)
            for chunk in response.iter_bytes(chunk_size=CHUNK_BYTES):
                if cancelled():
                    raise Cancelled(f"The download of {file.file_name} was cancelled.")
                size += len(chunk)
                if size > expected:
                    raise _integrity_error(file, f"storage holds more than the recorded "
                                                 f"{expected:,} bytes")
                sink.write(chunk)
                if progress is not None:
                    progress(size, expected)
        except BaseException:
            with suppress(OSError):  # the first failure is the one to report
                sink.close()
            raise
        return size, sink.finish()

    @staticmethod
    def _check_integrity(file: JobFile, size: int, digest: str) -> None:
        if size != file.size_bytes:
            raise _integrity_error(file, f"storage holds {size:,} bytes, not the recorded "
                                         f"{file.size_bytes:,}")
        if digest != (file.sha256 or "").lower():
            raise _integrity_error(file, f"its SHA-256 is {digest[:12]}…, not the recorded "
                                         f"{(file.sha256 or '?')[:12]}…")

    # --- the customer's side ------------------------------------------------------------

    def reorder(self, job_id: str, changes: ReorderChanges | dict[str, Any] | None = None,
                client_job_id: str | None = None) -> Job:
        """Repeat a completed job whose files are still kept; nothing is uploaded (the
        service copies the files). Pass the same ``client_job_id`` to retry safely."""
        job_id = _uuid(job_id)
        client_job_id = _uuid(client_job_id, "reorder") if client_job_id else str(uuid.uuid4())
        body = changes.to_changes() if isinstance(changes, ReorderChanges) else dict(changes or {})
        params = {"job_id": job_id, "client_job_id": client_job_id, "changes": body}
        data = self.api._call(lambda: self._client.rpc("reorder_job", params).execute().data)
        job = Job.from_row(_one(data))
        log.info("job %s reordered as %s", job_id, job.id)
        return self.api._with_files([job])[0]

    def quote_reorder(self, job_id: str,
                      changes: ReorderChanges | None = None) -> Quote:
        """What a reorder with ``changes`` costs: the original's verified measurements
        and board options priced by the service's ``quote_job``, as ``reorder_job``
        prices (and debits) them."""
        job_id = _uuid(job_id)
        rows = self.api._rows(lambda: self._client.table("jobs").select(
            "material_id,quantity,tolerance_mm,finish,spec,volume_cm3,verified_volume_cm3,"
            "verified_board_area_cm2,verified_copper_layers").eq("id", job_id))
        if not rows:
            raise errors.NotFoundError(f"Job {job_id} was not found (or is not yours).")
        row, changes = rows[0], changes or ReorderChanges()
        raw_spec = row.get("spec")
        spec: dict[str, Any] = raw_spec if isinstance(raw_spec, dict) else {}
        volume = row.get("verified_volume_cm3")
        volume = row.get("volume_cm3") if volume is None else volume
        area, layers = row.get("verified_board_area_cm2"), row.get("verified_copper_layers")
        board_layers, thickness = spec.get("board_layers"), spec.get("board_thickness_mm")
        finish = row.get("finish") if changes.finish is None else (changes.finish.strip() or None)
        return self.api.quote(
            str(row["material_id"]), float(volume or 0),
            int(changes.quantity if changes.quantity is not None else row["quantity"]),
            float(changes.tolerance_mm if changes.tolerance_mm is not None
                  else row["tolerance_mm"]),
            board_area_cm2=None if area is None else float(area),
            copper_layers=None if layers is None else int(layers),
            board_layers=None if board_layers is None else int(board_layers),
            board_thickness_mm=None if thickness is None else float(thickness),
            finish=finish)

    def report_problem(self, job_id: str, subject: str, body: str) -> SupportMessage:
        """A warranty message to support about one of the customer's jobs."""
        return self.send_support_message(subject, body, topic="warranty", job_id=job_id)

    def send_support_message(self, subject: str, body: str, *, topic: str = "question",
                             job_id: str | None = None) -> SupportMessage:
        subject, body = subject.strip(), body.strip()
        if topic not in SUPPORT_TOPICS:
            raise errors.ValidationError(
                f"The topic must be one of {', '.join(SUPPORT_TOPICS)} (not {topic!r}).")
        if not subject or len(subject) > MAX_SUBJECT:
            raise errors.ValidationError(
                f"The subject must be 1 to {MAX_SUBJECT} characters long.")
        if not body or len(body) > MAX_BODY:
            raise errors.ValidationError(f"The message must be 1 to {MAX_BODY} characters long.")
        row: dict[str, Any] = {"user_id": self.api.user_id, "subject": subject, "body": body,
                               "topic": topic}
        if job_id:
            row["job_id"] = self.api._own_job_id(job_id)
        rows = self.api._rows(lambda: self._client.table("support_messages").insert(row))
        message = SupportMessage.from_row(_one(rows))
        log.info("support message %s sent (%s)", message.id, topic)
        return message


CHUNK_BYTES = 1 << 20


class _HashingWriter:
    """Hashes and writes the received pieces as they arrive. hashlib and file writes
    release the GIL, and with 1 MiB pieces the hash costs a few percent of the transfer
    (a helper thread was slower: every hand-over is a GIL switch)."""

    def __init__(self, path: Path) -> None:
        self._digest = hashlib.sha256()
        self._sink = path.open("wb")

    def write(self, chunk: bytes) -> None:
        self._digest.update(chunk)
        self._sink.write(chunk)

    def close(self) -> None:
        self._sink.close()

    def finish(self) -> str:
        """The SHA-256 of everything written, once it is all on disk (a write error, such
        as a full disk, is raised here at the latest)."""
        self._sink.close()
        return self._digest.hexdigest()


def _integrity_error(file: JobFile, what: str) -> errors.IntegrityError:
    return errors.IntegrityError(
        f"{file.file_name} does not match the file the service priced for this job: {what}.",
        hint="Do not fabricate from it; the stored file was changed. Report it to WYNTEK "
             "support with the job id.")


def _board_options(row: dict[str, Any], changes: ReorderChanges) -> dict[str, Any]:
    raw = row.get("spec")
    spec: dict[str, Any] = raw if isinstance(raw, dict) else {}
    finish = row.get("finish") if changes.finish is None else (changes.finish.strip() or None)
    layers, thickness = spec.get("board_layers"), spec.get("board_thickness_mm")
    return {"board_layers": None if layers is None else int(layers),
            "board_thickness_mm": None if thickness is None else float(thickness),
            "finish": finish}
