"""The response headers Storage's renderers put on an object (download, HEAD, info).

Rules as Storage v1.70.6 applies them: `X-Robots-Tag` is `none` unless the object was
stored with a valid one; `text/html` is served as `text/plain`; a signed URL answers
with `Expires` (its token's expiry) instead of `Cache-Control`; a request that names an
etag that is no longer current gets `stale-while-revalidate=30` (`must-revalidate` on
HEAD) after the stored cache control; `?download=` sets a `Content-Disposition` in
Storage's own spelling.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import format_datetime, formatdate
from typing import Any
from urllib.parse import quote

from starlette.requests import Request

from .errors import StorageError

DEFAULT_ROBOTS = "none"


def served_content_type(mimetype: str | None) -> str:
    """The stored type, except that HTML is never served as HTML."""
    value = mimetype or "application/octet-stream"
    return "text/plain" if "text/html" in value else value


def object_headers(row: dict[str, Any], request: Request, *, expires: int | None = None
                   ) -> dict[str, str]:
    """Headers of a download or HEAD of the object `row` (a `storage.objects` row)."""
    meta = row.get("metadata") or {}
    etag = str(meta.get("eTag") or "")
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Type": served_content_type(meta.get("mimetype")),
        "ETag": etag,
        "X-Robots-Tag": robots_tag_of(meta),
        "Last-Modified": _http_date(row["updated_at"]),
    }
    if expires is not None:
        headers["Expires"] = formatdate(expires, usegmt=True)
    else:
        values = [str(meta.get("cacheControl") or "")]
        asked = request.headers.get("if-none-match")
        if asked and asked != etag:
            values.append("must-revalidate" if request.method == "HEAD"
                          else "stale-while-revalidate=30")
        _set_cache_control(headers, values)
    disposition = content_disposition(request.query_params.get("download"))
    if disposition is not None:
        headers["Content-Disposition"] = disposition
    return {k: v for k, v in headers.items() if v}


def info_headers(row: dict[str, Any]) -> dict[str, str]:
    """Headers of `GET /object/info/...`: the JSON body describes the object, and its
    etag, modification time and cache control are sent as headers too."""
    meta = row.get("metadata") or {}
    headers = {"ETag": str(meta.get("eTag") or ""),
               "Last-Modified": _http_date(row["updated_at"])}
    _set_cache_control(headers, [str(meta.get("cacheControl") or "")])
    return {k: v for k, v in headers.items() if v}


def content_disposition(download: str | None) -> str | None:
    """Storage's header for `?download=`: bare `attachment;` without a name, else the name
    percent-encoded twice over (`filename=` and `filename*=UTF-8''`)."""
    if download is None:
        return None
    if download == "":
        return "attachment;"
    encoded = quote(download, safe="-_.!~*'()")  # as JavaScript's encodeURIComponent
    return f"attachment; filename={encoded}; filename*=UTF-8''{encoded}"


def _set_cache_control(headers: dict[str, str], values: list[str]) -> None:
    joined = ", ".join(v for v in values if v)
    if joined:
        headers["Cache-Control"] = joined


def _http_date(value: datetime) -> str:
    return format_datetime(value.astimezone(UTC), usegmt=True)


# ---- X-Robots-Tag ---------------------------------------------------------------------

_SIMPLE_RULES = {"all", "noindex", "nofollow", "none", "nosnippet", "indexifembedded",
                 "notranslate", "noimageindex"}
_PARAMETRIC = re.compile(r"^(max-snippet|max-image-preview|max-video-preview|"
                         r"unavailable_after):\s*(.*)$")
_INTEGER = re.compile(r"^-?\d+$")


def robots_tag_of(meta: dict[str, Any]) -> str:
    stored = meta.get("xRobotsTag")
    if isinstance(stored, str):
        try:
            validate_robots_tag(stored)
            return stored
        except StorageError:
            pass
    return DEFAULT_ROBOTS


def validate_robots_tag(value: str) -> None:
    """Refuse an `x-robots-tag` upload header Storage would refuse (400, InvalidRequest)."""
    text = value.strip()
    if not text:
        raise _invalid_robots("X-Robots-Tag header value must be a non-empty string")
    for part in _rules(text):
        if not part:
            raise _invalid_robots("X-Robots-Tag header contains empty rule")
        if part in _SIMPLE_RULES:
            continue
        match = _PARAMETRIC.match(part)
        if match:
            _check_parameter(match.group(1), match.group(2).strip())
            continue
        agent, colon, rules = part.partition(":")
        if colon:
            if not rules.strip():
                raise _invalid_robots(f'X-Robots-Tag user agent "{agent.strip()}" has no '
                                      "rules specified")
            validate_robots_tag(rules)
            continue
        raise _invalid_robots(f'Invalid X-Robots-Tag rule: "{part}"')


def _rules(text: str) -> list[str]:
    """Split on commas, keeping the date of `unavailable_after` (it has one) whole."""
    parts: list[str] = []
    for piece in (p.strip() for p in text.split(",")):
        if parts and parts[-1].startswith("unavailable_after:") and piece and not (
                piece in _SIMPLE_RULES or _PARAMETRIC.match(piece)
                or re.match(r"^[A-Za-z0-9_-]+:", piece)):
            parts[-1] += ", " + piece
        else:
            parts.append(piece)
    return parts


def _check_parameter(rule: str, value: str) -> None:
    if not value:
        raise _invalid_robots(f'X-Robots-Tag rule "{rule}" requires a value')
    if rule in ("max-snippet", "max-video-preview") and (
            not _INTEGER.match(value) or int(value) < -1):
        raise _invalid_robots(f'X-Robots-Tag "{rule}" value must be an integer >= -1, '
                              f'got: "{value}"')
    if rule == "max-image-preview" and value not in ("none", "standard", "large"):
        raise _invalid_robots('X-Robots-Tag "max-image-preview" value must be one of: none, '
                              f'standard, large, got: "{value}"')


def _invalid_robots(message: str) -> StorageError:
    return StorageError("400", "invalid_x_robots_tag", f"Invalid X-Robots-Tag header: {message}",
                        "InvalidRequest")
