"""Storage's error envelope (HTTP 400 with the real status as a string in `statusCode`)
and the wrapper every REST endpoint goes through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import psycopg
from starlette.requests import Request
from starlette.responses import Response

from ..responses import json_response


class StorageError(Exception):
    def __init__(self, status: str, error: str, message: str, code: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.code = status, error, message, code

    def response(self) -> Response:
        http_status = 500 if self.status == "500" else 400
        return json_response({"statusCode": self.status, "error": self.error,
                              "message": self.message, "code": self.code}, http_status)


def not_found() -> StorageError:
    return StorageError("404", "not_found", "Object not found", "NoSuchKey")


def bucket_not_found() -> StorageError:
    return StorageError("404", "Bucket not found", "Bucket not found", "NoSuchBucket")


def access_denied(message: str = "new row violates row-level security policy") -> StorageError:
    return StorageError("403", "Unauthorized", message, "AccessDenied")


def duplicate() -> StorageError:
    return StorageError("409", "Duplicate", "The resource already exists",
                        "KeyAlreadyExists")


def map_db_error(exc: psycopg.Error) -> StorageError:
    state = exc.sqlstate or ""
    if state == "42501":
        return access_denied()
    if state == "23505":
        return duplicate()
    message = exc.diag.message_primary or str(exc)
    if state.startswith("23") or state.startswith("22") or state == "P0001":
        return StorageError("400", "Error", message, "InvalidRequest")
    return StorageError("500", "internal", message, "InternalError")


Handler = Callable[[Request], Awaitable[Response]]


def endpoint(handler: Handler) -> Handler:
    """Answer StorageError in Storage's JSON envelope."""
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except StorageError as err:
            return err.response()
    return wrapped


class TusError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def tus_endpoint(handler: Handler) -> Handler:
    """TUS answers with real HTTP statuses and plain-text bodies, except for a bad or
    missing JWT, which gets Storage's JSON envelope."""
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except TusError as err:
            return tus_text(err.status, err.message)
        except StorageError as err:
            token_problem = (err.code == "AccessDenied" and "row-level" not in err.message) \
                or "authorization" in err.message
            if token_problem:
                return err.response()
            return tus_text(int(err.status) if err.status.isdigit() else 500, err.message)
    return wrapped


TUS_VERSION = "1.0.0"


def tus_headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"Tus-Resumable": TUS_VERSION, **(extra or {})}


def tus_text(status: int, message: str, extra: dict[str, str] | None = None) -> Response:
    return Response(message, status_code=status, media_type="text/plain",
                    headers=tus_headers(extra))
