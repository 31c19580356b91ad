"""The service role's HTTP client for Supabase: REST rows and functions, Storage files."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from wyntek_service.config import ServiceConfig

BUCKET = "designs"
CHUNK = 1024 * 1024
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class ObjectMissing(Exception):
    """Storage has no object under that name."""


class ObjectExists(Exception):
    """Storage refused to replace an existing object (409 Duplicate)."""


class ServiceHTTPError(RuntimeError):
    """Supabase answered with an unexpected status (the task is retried)."""


@dataclass(frozen=True)
class Downloaded:
    size: int          # bytes received (at most limit + 1)
    sha256: str
    truncated: bool    # more bytes than the limit were stored


def _says_not_found(response: httpx.Response) -> bool:
    """Storage answers a missing object with 404, or 400 carrying statusCode 404."""
    text = response.text
    return response.status_code == 404 or "not_found" in text or '"404"' in text


def _object_url(name: str) -> str:
    return f"/storage/v1/object/{BUCKET}/{quote(name, safe='/')}"


class ServiceAPI:
    """One async HTTP client; use ``async with ServiceAPI(config) as api``."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        key = config.service_role_key
        self._http = httpx.AsyncClient(
            base_url=config.supabase_url, verify=config.ssl_context(), timeout=TIMEOUT,
            headers={"apikey": key, "Authorization": f"Bearer {key}"})

    async def __aenter__(self) -> ServiceAPI:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    @staticmethod
    def _check(response: httpx.Response, what: str) -> None:
        if response.status_code >= 300:
            raise ServiceHTTPError(f"{what}: HTTP {response.status_code} {response.text[:300]}")

    # -- REST
    async def select(self, table: str, params: dict[str, str]) -> list[dict[str, Any]]:
        response = await self._http.get(f"/rest/v1/{table}", params=params)
        self._check(response, f"reading {table}")
        rows: list[dict[str, Any]] = response.json()
        return rows

    async def rpc(self, name: str, body: dict[str, Any]) -> Any:
        response = await self._http.post(f"/rest/v1/rpc/{name}", json=body)
        self._check(response, f"calling {name}")
        return response.json()

    async def update(self, table: str, params: dict[str, str], values: dict[str, Any]) -> int:
        """PATCH the rows ``params`` select; returns how many changed."""
        response = await self._http.patch(f"/rest/v1/{table}", params=params, json=values,
                                          headers={"Prefer": "return=representation"})
        self._check(response, f"updating {table}")
        return len(response.json())

    # -- Auth (GoTrue admin)
    async def delete_auth_user(self, user_id: str) -> bool:
        """Delete an auth user through the GoTrue admin API; False if it was gone already."""
        response = await self._http.delete(f"/auth/v1/admin/users/{quote(user_id, safe='')}")
        if response.status_code == 404:
            return False
        self._check(response, "deleting the auth user")
        return True

    async def job_with_files(self, job_id: str) -> dict[str, Any] | None:
        rows = await self.select("jobs", {"id": f"eq.{job_id}", "select": "*,job_files(*)"})
        return rows[0] if rows else None

    # -- Storage
    async def download(self, name: str, target: Path, limit: int) -> Downloaded:
        """Stream the object to ``target`` (never more than ``limit + 1`` bytes) and hash it."""
        digest = hashlib.sha256()
        size = 0
        async with self._http.stream("GET", _object_url(name)) as response:
            if response.status_code in (400, 404):
                body = (await response.aread()).decode("utf-8", "replace")
                if response.status_code == 404 or "not_found" in body or "404" in body:
                    raise ObjectMissing(name)
            self._check(response, f"downloading {name}")
            with target.open("wb") as sink:
                async for chunk in response.aiter_bytes(CHUNK):
                    room = limit + 1 - size
                    if room <= 0:
                        break
                    chunk = chunk[:room]
                    sink.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
        return Downloaded(size, digest.hexdigest(), size > limit)

    async def copy(self, source: str, destination: str) -> None:
        """Copy an object inside the bucket on the server (replacing the destination)."""
        response = await self._http.post(
            "/storage/v1/object/copy", headers={"x-upsert": "true"},
            json={"bucketId": BUCKET, "sourceKey": source, "destinationKey": destination})
        if response.status_code in (400, 404) and _says_not_found(response):
            raise ObjectMissing(source)
        if response.status_code in (400, 409) and "Duplicate" in response.text:
            raise ObjectExists(destination)  # a Storage that ignores x-upsert on copies
        self._check(response, f"copying {source}")

    async def exists(self, name: str) -> bool:
        response = await self._http.get(f"/storage/v1/object/info/{BUCKET}/"
                                        f"{quote(name, safe='/')}")
        if response.status_code in (400, 404) and _says_not_found(response):
            return False
        self._check(response, f"looking up {name}")
        return True

    async def list_folder(self, prefix: str) -> list[dict[str, Any]]:
        """Entries directly under ``prefix`` (folders have ``id`` None), all pages."""
        entries: list[dict[str, Any]] = []
        while True:
            response = await self._http.post(
                f"/storage/v1/object/list/{BUCKET}",
                json={"prefix": prefix, "limit": 1000, "offset": len(entries),
                      "sortBy": {"column": "name", "order": "asc"}})
            self._check(response, f"listing {prefix or 'the bucket'}")
            page: list[dict[str, Any]] = response.json()
            entries += page
            if len(page) < 1000:
                return entries

    async def remove(self, names: list[str]) -> list[str]:
        """Delete objects through the Storage API; returns the names removed."""
        response = await self._http.request("DELETE", f"/storage/v1/object/{BUCKET}",
                                            json={"prefixes": names})
        self._check(response, "removing files")
        return [str(row.get("name")) for row in response.json()]
