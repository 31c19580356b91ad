"""The TUS 1.0.0 protocol on httpx, as Supabase Storage speaks it.

Only the wire: create, HEAD, PATCH (streamed from disk), DELETE, and the object-info
lookup that confirms a finished upload. Retrying, resuming and state keeping live in
:mod:`wyntek_desktop.upload.transfer`.

Every request asks ``access_token()`` again, so an upload that outlives an access token
carries the refreshed one; an auth refusal is retried twice with a fresh token before
it becomes an :class:`AuthError`. Storage answers a stale or forged token on its
anonymous-capable read routes with "404 Bucket not found"; for our own bucket that is
an auth refusal too.

Uploads always overwrite (``x-upsert: true``), and the hosted service checks the header
on every request of the upload, so every TUS request carries it.
"""

from __future__ import annotations

import base64
import email.utils
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx

from wyntek_desktop.background.cancel import Cancelled
from wyntek_desktop.core.errors import AuthError, FileError, ServerError, ValidationError

CHUNK_SIZE = 6 * 1024 * 1024  # Supabase requires exactly 6 MiB chunks (the last may be less)
PIECE_SIZE = 1024 * 1024      # what one body iteration reads from disk
TUS_VERSION = "1.0.0"
BUCKET = "designs"


class UploadGone(Exception):
    """404/410: the upload URL is unknown or expired; start over."""


class OffsetConflict(Exception):
    """409: our offset is not the server's; ask with HEAD."""


class AuthRefused(Exception):
    """401/403 (or Storage's 400 wrapping a 403): the token was not accepted."""


class UploadFinished(Exception):
    """The upload is complete on the server: TUS refuses to terminate it (400/409)."""


class Interrupted(Cancelled):
    """Pause, cancel or shutdown asked the transfer to stop."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TusClient:
    def __init__(self, http: httpx.Client, storage_url: str, apikey: str,
                 access_token: Callable[[], str], *, bucket: str = BUCKET,
                 timeout: httpx.Timeout | None = None) -> None:
        self.http = http
        self.storage_url = storage_url.rstrip("/")
        self.endpoint = self.storage_url + "/upload/resumable"
        self.apikey = apikey
        self.access_token = access_token
        self.bucket = bucket
        self.timeout = timeout or httpx.Timeout(60.0, connect=10.0)

    # ---- requests ---------------------------------------------------------------------
    def create(self, object_name: str, size: int, content_type: str,
               cache_control: str = "3600") -> tuple[str, float | None]:
        """POST a new upload; returns (upload URL, expiry as epoch seconds or None).

        A file over the service's size limit is a :class:`FileError` naming the limit.
        """
        meta = {"bucketName": self.bucket, "objectName": object_name,
                "contentType": content_type, "cacheControl": cache_control}
        encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}"
                           for k, v in meta.items())
        try:
            resp = self._send("POST", self.endpoint, {
                "Upload-Length": str(size), "Upload-Metadata": encoded})
        except TooLarge:
            raise self._too_large(object_name, size) from None
        location = resp.headers.get("Location")
        if resp.status_code != 201 or not location:
            raise ServerError(f"The storage service did not start the upload "
                              f"(HTTP {resp.status_code}).")
        return self.rebase(urljoin(str(resp.request.url), location)), _expires(resp)

    def max_size(self) -> int | None:
        """The service's upload limit in bytes (TUS ``Tus-Max-Size``), if it says."""
        try:
            resp = self.http.request("OPTIONS", self.endpoint,
                                     headers={"Tus-Resumable": TUS_VERSION,
                                              "apikey": self.apikey}, timeout=self.timeout)
        except httpx.HTTPError:
            return None
        value = resp.headers.get("Tus-Max-Size", "")
        return int(value) if value.isdigit() else None

    def _too_large(self, object_name: str, size: int) -> FileError:
        name = object_name.rsplit("/", 1)[-1]
        limit = self.max_size()
        if limit is not None and size > limit:
            return FileError(f"{name} is {format_size(size)}; the storage service accepts "
                             f"files up to {format_size(limit)}.",
                             hint="Make the file smaller (fewer triangles, or split the "
                                  "design) and prepare the job again.")
        return FileError(f"{name} is {format_size(size)}, more than the storage service "
                         f"accepts for design files.",
                         hint="Make the file smaller and prepare the job again.")

    def head(self, url: str) -> tuple[int, int | None]:
        """The server's (offset, length) of an upload."""
        resp = self._send("HEAD", self.rebase(url), {"Cache-Control": "no-store"})
        length = resp.headers.get("Upload-Length")
        return _offset(resp), int(length) if length is not None else None

    def patch(self, url: str, path: Path, offset: int, length: int,
              on_sent: Callable[[int], None], check: Callable[[], None],
              ) -> tuple[int, float | None]:
        """Send ``length`` bytes of ``path`` from ``offset``; returns (new offset, expiry)."""
        body = _file_slice(path, offset, length, on_sent, check)
        resp = self._send("PATCH", self.rebase(url), {
            "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream",
            "Content-Length": str(length)}, content=body)
        return _offset(resp), _expires(resp)

    def terminate(self, url: str, attempts: int = 15) -> None:
        """DELETE a partial upload (a gone upload is fine).

        A PATCH we just abandoned may still hold the upload on the server (409 "locked")
        until the server has read what was in flight; ask again for a few seconds. A
        finished upload cannot be terminated (400, or 409 "already exists"):
        :class:`UploadFinished` says so, and its object must be deleted instead.
        """
        for attempt in range(attempts):
            try:
                self._send("DELETE", self.rebase(url), {})
                return
            except UploadGone:
                return
            except OffsetConflict as exc:
                if _already_exists(str(exc)):
                    raise UploadFinished(str(exc)) from exc
                if attempt == attempts - 1:
                    raise
                time.sleep(0.2)
            except ValidationError as exc:
                if "completed" in str(exc):
                    raise UploadFinished(str(exc)) from exc
                raise

    def delete_object(self, object_name: str) -> None:
        """DELETE a stored object (a missing one is fine); raises unless the service
        confirmed. A refused token is retried with a fresh one."""
        url = self._object_url("object", object_name)
        for attempt in range(3):
            resp = self.http.delete(url, headers=self._auth_headers(), timeout=self.timeout)
            status = _effective_status(resp)
            if status == 404 and not _stale_token_answer(resp):
                return
            if _auth_refusal(resp, status) and attempt < 2:
                continue
            _raise_for_status(resp, 403 if _stale_token_answer(resp) else status)
            return

    def object_info(self, object_name: str) -> dict[str, Any] | None:
        """The stored object's info (size, etag), or None if it does not exist."""
        url = self._object_url("object/info/authenticated", object_name)
        for attempt in range(3):
            resp = self.http.get(url, headers=self._auth_headers(), timeout=self.timeout)
            status = _effective_status(resp)
            if _auth_refusal(resp, status):
                if attempt < 2:
                    continue
                _raise_for_status(resp, 403)
            if status == 404:
                return None
            _raise_for_status(resp, status)
            data = resp.json()
            return data if isinstance(data, dict) else None
        return None  # pragma: no cover - the loop always returns or raises

    def _object_url(self, route: str, object_name: str) -> str:
        quoted = "/".join(quote(seg, safe="") for seg in object_name.split("/"))
        return f"{self.storage_url}/{route}/{self.bucket}/{quoted}"

    def rebase(self, url: str) -> str:
        """Point an upload URL at our endpoint (gateways and restarts change hosts).

        Every request carries the user's bearer token, so an upload URL that is not an
        upload path under our endpoint must not leave for another origin: a hostile or
        misconfigured answer would receive the token.
        """
        path = urlsplit(url).path
        marker = "/upload/resumable/"
        if marker in path:
            return f"{self.endpoint}/{path.split(marker, 1)[1]}"
        if _origin(url) != _origin(self.endpoint):
            raise ServerError(
                f"The storage service gave an upload address on another server "
                f"({_origin_text(url)}); it was not used, so your sign-in stays private.",
                hint="Check the service address in the settings.")
        return url

    # ---- plumbing -------------------------------------------------------------------
    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token()}", "apikey": self.apikey}

    def _send(self, method: str, url: str, headers: dict[str, str],
              content: Iterator[bytes] | None = None) -> httpx.Response:
        for attempt in range(3):
            all_headers = {"Tus-Resumable": TUS_VERSION, **self._auth_headers(),
                           "x-upsert": "true", **headers}
            resp = self.http.request(method, url, headers=all_headers, content=content,
                                     timeout=self.timeout)
            status = _effective_status(resp)
            if method == "HEAD" and status == 400:
                status = 403  # Storage answers an expired token on HEAD with a bare 400
            # A refused token: ask for a fresh one and try again (a body iterator cannot
            # be replayed; the caller re-sends the chunk after a HEAD).
            refused = status in (401, 403) or _stale_token_answer(resp)
            if refused and attempt < 2 and content is None:
                continue
            if refused:
                raise AuthRefused(_message(resp))
            if status == 413 and method == "POST":
                raise TooLarge(_message(resp))
            _raise_for_status(resp, status)
            return resp
        raise AssertionError("unreachable")


def _file_slice(path: Path, offset: int, length: int, on_sent: Callable[[int], None],
                check: Callable[[], None]) -> Iterator[bytes]:
    """Stream ``length`` bytes from disk: never more than one piece in memory."""
    with open(path, "rb") as src:
        src.seek(offset)
        remaining = length
        while remaining:
            check()
            data = src.read(min(PIECE_SIZE, remaining))
            if not data:
                raise FileError(f"{path.name} became shorter while it was uploaded.")
            remaining -= len(data)
            yield data
            on_sent(len(data))


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the default port filled in, as browsers compare origins."""
    try:
        parts = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return ("", "", None)
    scheme = parts.scheme.lower()
    return scheme, parts.host.lower(), parts.port or _DEFAULT_PORTS.get(scheme)


def _origin_text(url: str) -> str:
    scheme, host, port = _origin(url)
    return f"{scheme}://{host}:{port}" if host else "an unreadable address"


class TooLarge(Exception):
    """413 at creation: the file is over a size limit of the service."""


def format_size(nbytes: int) -> str:
    """Bytes as a person reads them: "50 MiB", "60.5 MiB", "900 KiB"."""
    for unit, scale in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if nbytes >= scale:
            value = nbytes / scale
            text = f"{value:.1f}".removesuffix(".0")
            return f"{text} {unit}"
    return f"{nbytes} bytes"


def _storage_error(resp: httpx.Response) -> dict[str, Any]:
    if resp.status_code != 400:
        return {}
    try:
        body = resp.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _stale_token_answer(resp: httpx.Response) -> bool:
    """Storage's "404 Bucket not found" for our bucket: on the routes that read anonymous
    callers it is what a stale or forged token gets, so it is an auth refusal."""
    body = _storage_error(resp)
    return str(body.get("statusCode")) == "404" and (
        body.get("error") == "Bucket not found" or body.get("code") == "NoSuchBucket")


def _auth_refusal(resp: httpx.Response, status: int) -> bool:
    return status in (401, 403) or _stale_token_answer(resp)


def _already_exists(message: str) -> bool:
    return "already exists" in message.lower()


def _effective_status(resp: httpx.Response) -> int:
    """Storage wraps most errors in HTTP 400 with the real status as a string."""
    if resp.status_code == 400:
        try:
            body = resp.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return 400
        if isinstance(body, dict) and str(body.get("statusCode", "")).isdigit():
            return int(body["statusCode"])
    return resp.status_code


def _message(resp: httpx.Response) -> str:
    try:
        body = resp.json()
        if isinstance(body, dict):
            return str(body.get("message") or body.get("error") or body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        pass
    return resp.text.strip()[:200] or f"HTTP {resp.status_code}"


def _raise_for_status(resp: httpx.Response, status: int) -> None:
    if status < 300:
        return
    if status in (404, 410):
        raise UploadGone(_message(resp))
    if status == 409:
        raise OffsetConflict(_message(resp))
    if status >= 500:
        raise ServerError(f"The storage service failed (HTTP {status}).")
    if status == 413:
        raise FileError("The file is larger than the storage service accepts.")
    if status in (401, 403):
        raise AuthError(f"The storage service refused the upload: {_message(resp)}.")
    raise ValidationError(f"The storage service refused the upload: {_message(resp)} "
                          f"(HTTP {status}).")


def _offset(resp: httpx.Response) -> int:
    value = resp.headers.get("Upload-Offset")
    if value is None or not value.isdigit():
        raise ServerError("The storage service did not report the upload offset.")
    return int(value)


def _expires(resp: httpx.Response) -> float | None:
    value = resp.headers.get("Upload-Expires")
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
