"""One file's resumable transfer: create or resume, send chunks, confirm, keep state.

The outbox holds the upload URL and the offset the server acknowledged, committed
after every chunk; a killed process therefore resumes from there (after a HEAD, since
the server may hold more than we recorded) and re-sends at most one chunk.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import threading
from collections.abc import Callable

import httpx

from wyntek_desktop.api.failures import transport_error
from wyntek_desktop.core.errors import AuthError, FileError, NetworkError, ServerError, TLSError
from wyntek_desktop.core.outbox import Outbox, OutboxFile, checkpoint
from wyntek_desktop.upload.progress import ProgressMeter
from wyntek_desktop.upload.retry import RetryPolicy
from wyntek_desktop.upload.tus import (
    CHUNK_SIZE,
    AuthRefused,
    Interrupted,
    OffsetConflict,
    TusClient,
    UploadGone,
)

PAUSE, CANCEL, STOP = "pause", "cancel", "stop"
_PRIORITY = {PAUSE: 1, STOP: 2, CANCEL: 3}


class IntegrityError(FileError):
    """The stored object is not the file we checked (size or MD5 differ)."""


class Control:
    """Asks a running transfer to stop; sleeps that wake up when asked."""

    def __init__(self) -> None:
        self._reason: str | None = None
        self._event = threading.Event()

    @property
    def reason(self) -> str | None:
        return self._reason

    def request(self, reason: str) -> None:
        if self._reason is None or _PRIORITY[reason] > _PRIORITY[self._reason]:
            self._reason = reason
        self._event.set()

    def check(self) -> None:
        if self._reason is not None:
            raise Interrupted(self._reason)

    def sleep(self, seconds: float) -> None:
        self._event.wait(seconds)
        self.check()


def content_type_of(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def upload_file(tus: TusClient, outbox: Outbox, f: OutboxFile, storage_path: str,
                control: Control, meter: ProgressMeter, policy: RetryPolicy,
                chunk_size: int = CHUNK_SIZE,
                on_progress: Callable[[], None] = lambda: None,
                online: Callable[[], bool] | None = None) -> None:
    """Upload ``f`` to ``storage_path`` until the service holds it, verified.

    ``online`` (optional) is asked after a connection failure; False ends the transfer
    at once with :class:`NetworkError`.

    Raises :class:`Interrupted`, :class:`NetworkError` (retries exhausted or offline),
    :class:`AuthError`/``SignInRequired``, :class:`IntegrityError` or :class:`FileError`.
    """
    if f.verified:
        meter.set(f.index, f.size)
        return
    if f.tus_url and (f.storage_path != storage_path or f.upload_expired):
        outbox.reset_upload(f)  # another account's upload, or past Upload-Expires
    def sent(nbytes: int) -> None:
        meter.add(f.index, nbytes)
        on_progress()

    failures = auth_failures = 0
    while True:
        control.check()
        try:
            _resume_or_create(tus, outbox, f, storage_path, meter)
            while f.offset < f.size:
                length = min(chunk_size, f.size - f.offset)
                assert f.tus_url is not None
                new_offset, expires = tus.patch(
                    f.tus_url, f.local_path, f.offset, length, sent, control.check)
                checkpoint("upload.chunk_acked")
                outbox.save_offset(f, new_offset, expires)
                meter.set(f.index, new_offset)
                failures = auth_failures = 0
            if f.size == 0:
                _finish_empty(tus, f, storage_path)
            _confirm(tus, outbox, f, storage_path)
            return
        except UploadGone:
            outbox.reset_upload(f)
            failures += 1
        except OffsetConflict:
            # The next round's HEAD learns the server's offset; a short wait first lets a
            # server that still holds the upload for a cut request let go of it.
            failures += 1
            control.sleep(policy.delay(1))
        except AuthRefused as exc:
            auth_failures += 1
            if auth_failures > 2:
                raise AuthError(f"The storage service refused the upload: {exc}.") from exc
            continue
        except (httpx.TransportError, ServerError) as exc:
            if isinstance(exc, httpx.TransportError):
                mapped = transport_error(exc, "the storage service")
                if isinstance(mapped, TLSError):
                    raise mapped from exc  # waiting does not fix a certificate
            failures += 1
            # The network is gone (not just this connection): stop now and let the
            # runner wait for it, instead of spending the whole backoff.
            if policy.exhausted(failures) or (
                    isinstance(exc, httpx.TransportError) and online is not None
                    and not online()):
                raise NetworkError("The upload cannot reach the service; it continues when "
                                   "the connection is back.") from exc
            control.sleep(policy.delay(failures))
            continue
        if policy.exhausted(failures):
            raise NetworkError("The upload keeps being refused by the service; it will be "
                               "tried again later.")


def _resume_or_create(tus: TusClient, outbox: Outbox, f: OutboxFile, storage_path: str,
                      meter: ProgressMeter) -> None:
    if f.tus_url is None:
        url, expires = tus.create(storage_path, f.size, content_type_of(f.storage_name))
        outbox.start_upload(f, storage_path, url, expires)
        meter.set(f.index, 0)
        return
    offset, length = tus.head(f.tus_url)
    if offset > f.size or (length is not None and length != f.size):
        raise UploadGone("the server's upload does not match the file")
    if offset != f.offset:
        outbox.save_offset(f, offset)
    meter.set(f.index, offset)
    if offset < f.size:
        # An empty PATCH before the next 6 MiB: after a crash or a cut connection the
        # server may still hold the upload (409), and a refused empty request costs
        # nothing where a refused chunk would be sent again in full.
        tus.patch(f.tus_url, f.local_path, offset, 0, lambda n: None, lambda: None)


def _finish_empty(tus: TusClient, f: OutboxFile, storage_path: str) -> None:
    """A zero-byte upload: some servers finish it on creation, others on an empty PATCH."""
    if f.tus_url is None or tus.object_info(storage_path) is not None:
        return
    try:
        tus.patch(f.tus_url, f.local_path, 0, 0, lambda n: None, lambda: None)
    except OffsetConflict:
        pass  # finished meanwhile; _confirm checks


def _confirm(tus: TusClient, outbox: Outbox, f: OutboxFile, storage_path: str) -> None:
    """Check what the service stored: its size always, its bytes where the etag allows.

    A single-part etag is the MD5 of the stored bytes: the file (still the checked one, by
    its SHA-256) must have that MD5. A multipart etag (TUS uploads on S3) says nothing
    about the bytes, so only the size is confirmed here, and that the user's own file
    (not our copy) was not changed while it was read; the SHA-256 of the stored bytes is
    the service worker's check, made on the server after the job is submitted.
    """
    info = tus.object_info(storage_path)
    if info is None:
        raise UploadGone("the finished upload is not in storage")
    size = _find(info, "size")
    md5 = single_part_md5(info.get("etag"))
    matches = size is not None and int(str(size)) == f.size
    if matches and (md5 is not None or f.mode == "path"):
        local_md5 = _local_md5_if_unchanged(f)
        matches = local_md5 is not None and (md5 is None or local_md5 == md5)
    if not matches:
        outbox.reset_upload(f)
        tus.delete_object(storage_path)  # never leave bytes that were not checked
        raise IntegrityError(
            f"The uploaded copy of {f.file_name} does not match the checked file.",
            hint="Retry the job to upload it again.")
    outbox.mark_verified(f)


_MD5_ETAG = re.compile(r"[0-9a-f]{32}")


def single_part_md5(etag: object) -> str | None:
    """The MD5 an etag states, or None for a multipart ("…-3") or missing etag."""
    if not isinstance(etag, str):
        return None
    value = etag.strip().removeprefix("W/").strip('"').lower()
    return value if _MD5_ETAG.fullmatch(value) else None


def _local_md5_if_unchanged(f: OutboxFile) -> str | None:
    """The MD5 of the local file, if it still is the checked file (same SHA-256)."""
    md5 = hashlib.md5(usedforsecurity=False)
    sha = hashlib.sha256()
    try:
        with open(f.local_path, "rb") as fh:
            while block := fh.read(4 * 1024 * 1024):
                md5.update(block)
                sha.update(block)
    except OSError:
        return None
    return md5.hexdigest() if sha.hexdigest() == f.sha256 else None


def _find(info: dict[str, object], key: str) -> object | None:
    """``key`` at the top level of the object info or inside its metadata objects."""
    if info.get(key) is not None:
        return info[key]
    for nested in ("metadata", "user_metadata"):
        sub = info.get(nested)
        if isinstance(sub, dict) and sub.get(key) is not None:
            return sub[key]
    return None
