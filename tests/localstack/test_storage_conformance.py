"""The local stack answers as real Supabase Storage (v1.70.6) did, row by row.

The rows are those of `shared/reference/storage-observed.md` (182 requests sent to the
real server and to the local stack); each case below carries its row number and title
and asserts the real server's answer. Rows that depend on the real server's file
backend (a single 7 MiB PATCH accepted, and the two rows built on it) are not held: the
hosted S3 store refuses them. One row (signed TUS uploads) is not emulated; it is kept
as a strict expected failure so it shows when that changes.

Each case sets up what it needs under a per-module folder, so cases run in any order.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from storage3.exceptions import StorageApiError

from tests.localstack.helpers import mint, raw_request
from tests.support.localstack import LocalStackInstance

BUCKET = "designs"
MiB = 1024 * 1024
OCTETS = "application/offset+octet-stream"


@dataclass
class World:
    stack: LocalStackInstance
    sb_a: Any
    a: str
    ta: str
    sb_b: Any
    b: str
    tb: str
    run: str

    @property
    def base(self) -> str:
        return f"{self.stack.url}/storage/v1"

    def key(self, name: str, user: str | None = None) -> str:
        return f"{user or self.a}/{self.run}/{name}"

    def unique(self, name: str) -> str:
        return self.key(f"{uuid.uuid4().hex[:8]}-{name}")

    def headers(self, token: str | None = None, **extra: str) -> dict[str, str]:
        out = {"apikey": self.stack.anon_key, **extra}
        if token is not None:
            out["Authorization"] = f"Bearer {token}"
        return out

    def request(self, method: str, path: str, token: str | None = None,
                headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        with self.stack.http() as http:
            return http.request(method, f"{self.base}{path}",
                                headers={**self.headers(token), **(headers or {})}, **kwargs)

    def put(self, key: str, data: bytes = b"hello", content_type: str = "text/plain",
            token: str | None = None, **headers: str) -> httpx.Response:
        """A raw-body upload (no multipart)."""
        response = self.request("POST", f"/object/{BUCKET}/{quote(key)}", token or self.ta,
                                headers={"Content-Type": content_type, **headers},
                                content=data)
        return response

    def bucket(self, sb: Any | None = None) -> Any:
        return (sb or self.sb_a).storage.from_(BUCKET)

    def expired(self, user: str | None = None) -> str:
        now = int(time.time())
        return mint(self.stack, sub=user or self.a, exp=now - 120, iat=now - 300)

    def forged(self) -> str:
        token = self.ta
        return token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    # -- TUS
    def tus_headers(self, token: str | None, **extra: str) -> dict[str, str]:
        return {"Tus-Resumable": "1.0.0", **self.headers(token), **extra}

    def tus_create(self, key: str, length: int, token: str | None = None, *,
                   upsert: bool = False, content_type: str = "application/octet-stream",
                   **extra: str) -> httpx.Response:
        meta = {"bucketName": BUCKET, "objectName": key, "contentType": content_type,
                "cacheControl": "3600"}
        encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}"
                           for k, v in meta.items() if v is not None)
        headers = {"Upload-Length": str(length), "Upload-Metadata": encoded, **extra}
        if upsert:
            headers["x-upsert"] = "true"
        with self.stack.http() as http:
            return http.post(f"{self.base}/upload/resumable",
                             headers=self.tus_headers(token or self.ta, **headers))

    def tus(self, method: str, url: str, token: str | None = None, *, data: bytes = b"",
            offset: int | None = None, upsert: bool = False, **extra: str) -> httpx.Response:
        headers = self.tus_headers(token or self.ta, **extra)
        if offset is not None:
            headers.setdefault("Upload-Offset", str(offset))
            headers.setdefault("Content-Type", OCTETS)
        if upsert:
            headers["x-upsert"] = "true"
        with self.stack.http() as http:
            return http.request(method, url, headers=headers, content=data or None)

    def exists(self, key: str) -> bool:
        with self.stack.http() as http:
            key_svc = self.stack.service_role_key
            r = http.get(f"{self.base}/object/info/{BUCKET}/{quote(key)}",
                         headers={"apikey": key_svc, "Authorization": f"Bearer {key_svc}"})
        return r.status_code == 200

    def download_as_service(self, key: str) -> bytes | None:
        with self.stack.http() as http:
            key_svc = self.stack.service_role_key
            r = http.get(f"{self.base}/object/{BUCKET}/{quote(key)}",
                         headers={"apikey": key_svc, "Authorization": f"Bearer {key_svc}"})
        return r.content if r.status_code == 200 else None


def _signed_in(stack: LocalStackInstance, http: httpx.Client) -> tuple[Any, str, str]:
    """(official client on `http`, user id, access token) of a new user."""
    from supabase import ClientOptions, create_client

    email, password, user_id = stack.new_user()
    sb = create_client(stack.url, stack.anon_key, ClientOptions(
        httpx_client=http, auto_refresh_token=False, persist_session=False))
    res = sb.auth.sign_in_with_password({"email": email, "password": password})
    return sb, user_id, res.session.access_token


@pytest.fixture(scope="module")
def world(localstack: LocalStackInstance) -> Iterator[World]:
    with localstack.http() as http_a, localstack.http() as http_b:
        sb_a, a, ta = _signed_in(localstack, http_a)
        sb_b, b, tb = _signed_in(localstack, http_b)
        yield World(localstack, sb_a, a, ta, sb_b, b, tb, f"run-{uuid.uuid4().hex[:8]}")


ROWS: list[Any] = []


def row(number: int, title: str, *, xfail: str | None = None
        ) -> Callable[[Callable[[World], None]], Callable[[World], None]]:
    def register(check: Callable[[World], None]) -> Callable[[World], None]:
        marks = [pytest.mark.xfail(reason=xfail, strict=True)] if xfail else []
        ROWS.append(pytest.param(check, id=f"{number:03d} {title}", marks=marks))
        return check
    return register


def api_error(call: Callable[[], Any]) -> StorageApiError:
    with pytest.raises(StorageApiError) as err:
        call()
    return err.value


def envelope(response: httpx.Response, status: str, error: str, code: str,
             message: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"statusCode": status, "error": error, "code": code,
                               "message": message}


def served(r: httpx.Response, content_type: str = "text/plain",
           cache_control: str | None = "max-age=3600") -> None:
    """The headers Storage's renderer sends with an object's bytes (or a HEAD of them)."""
    assert r.headers["content-type"] == content_type
    assert r.headers["x-robots-tag"] == "none"
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["etag"].startswith('"') and r.headers["last-modified"].endswith(" GMT")
    assert r.headers.get("cache-control") == cache_control
    assert "content-disposition" not in r.headers


RLS = "new row violates row-level security policy"
NO_SUCH_BUCKET = ("404", "Bucket not found", "NoSuchBucket", "Bucket not found")
NO_SUCH_KEY = ("404", "not_found", "NoSuchKey", "Object not found")
EXPIRED = ("403", "Unauthorized", "AccessDenied", '"exp" claim timestamp check failed')


# ---------------------------------------------------------------- uploads (1-11)

@row(1, "upload: new object (text/plain)")
def _(w: World) -> None:
    key = w.unique("hello.txt")
    res = w.bucket().upload(key, b"hello", {"content-type": "text/plain"})
    assert res.full_path == f"{BUCKET}/{key}" and res.path == key


@row(2, "upload: same path, no upsert")
def _(w: World) -> None:
    key = w.unique("hello.txt")
    w.bucket().upload(key, b"hello")
    err = api_error(lambda: w.bucket().upload(key, b"again"))
    assert (err.status, err.code, err.message) == ("409", "Duplicate",
                                                   "The resource already exists")


@row(3, "upload: same path, upsert=true")
def _(w: World) -> None:
    key = w.unique("hello.txt")
    w.bucket().upload(key, b"hello")
    assert w.bucket().upload(key, b"updated", {"upsert": "true"}).path == key
    assert w.bucket().download(key) == b"updated"


@row(4, "upload: default content-type + metadata")
def _(w: World) -> None:
    key = w.unique("meta.bin")
    assert w.bucket().upload(key, b"m", {"metadata": {"k": "v"}}).path == key


@row(5, "update (PUT): existing object")
def _(w: World) -> None:
    key = w.unique("hello.txt")
    w.bucket().upload(key, b"hello")
    assert w.bucket().update(key, b"hello updated").path == key
    assert w.bucket().download(key) == b"hello updated"


@row(6, "update (PUT): path that does not exist")
def _(w: World) -> None:
    key = w.unique("created-by-put.txt")
    assert w.bucket().update(key, b"new").path == key


@row(7, "upload: into other user's folder (RLS)")
def _(w: World) -> None:
    err = api_error(lambda: w.bucket().upload(w.key("x.txt", w.b), b"x"))
    assert (err.status, err.code, err.message) == ("403", "Unauthorized", RLS)


@row(8, "upload: user B own folder")
def _(w: World) -> None:
    key = w.key(f"{uuid.uuid4().hex[:8]}-secret.txt", w.b)
    assert w.bucket(w.sb_b).upload(key, b"b's").path == key


@row(9, "upload: bucket that does not exist")
def _(w: World) -> None:
    err = api_error(lambda: w.sb_a.storage.from_("no-such-bucket").upload(w.key("x"), b"x"))
    assert (err.status, err.code, err.message) == ("404", "Bucket not found",
                                                   "Bucket not found")


@row(10, "upload: 0-byte object")
def _(w: World) -> None:
    key = w.unique("empty.txt")
    assert w.bucket().upload(key, b"").path == key
    assert w.bucket().download(key) == b""


@row(11, "upload: raw body (not multipart) application/pdf")
def _(w: World) -> None:
    key = w.unique("raw.pdf")
    r = w.put(key, b"%PDF-1.7", "application/pdf")
    assert r.status_code == 200 and r.json()["Key"] == f"{BUCKET}/{key}"
    assert set(r.json()) == {"Id", "Key"}


# ---------------------------------------------------------------- downloads (12-21)

@row(12, "download: own object (storage3)")
def _(w: World) -> None:
    key = w.unique("hello.txt")
    w.bucket().upload(key, b"hello updated\n", {"content-type": "text/plain"})
    assert w.bucket().download(key) == b"hello updated\n"


def _stored_text(w: World, route: str = "") -> tuple[str, httpx.Response]:
    key = w.unique("hello.txt")
    w.bucket().upload(key, b"hello updated\n", {"content-type": "text/plain"})
    return key, w.request("GET", f"/object/{route}{BUCKET}/{quote(key)}", w.ta)


@row(13, "download: raw GET headers")
def _(w: World) -> None:
    _, r = _stored_text(w)
    assert r.status_code == 200 and r.content == b"hello updated\n"
    served(r)
    assert r.headers["etag"] == '"' + hashlib.md5(b"hello updated\n").hexdigest() + '"'
    assert r.headers["content-length"] == "14"


@row(14, "download: /object/authenticated/ route")
def _(w: World) -> None:
    _, r = _stored_text(w, "authenticated/")
    assert r.status_code == 200 and r.content == b"hello updated\n"
    served(r)


@row(15, "download: Range bytes=0-4")
def _(w: World) -> None:
    key, _ = _stored_text(w)
    r = w.request("GET", f"/object/{BUCKET}/{quote(key)}", w.ta, headers={"Range": "bytes=0-4"})
    assert r.status_code == 206 and r.content == b"hello"
    served(r)
    assert r.headers["content-range"] == "bytes 0-4/14"


@row(16, "download: If-None-Match current etag")
def _(w: World) -> None:
    key, first = _stored_text(w)
    r = w.request("GET", f"/object/{BUCKET}/{quote(key)}", w.ta,
                  headers={"If-None-Match": first.headers["etag"]})
    assert r.status_code == 304 and r.content == b""
    served(r)
    # A stale etag gets the bytes, and the renderer lets caches serve them a while more.
    stale = w.request("GET", f"/object/{BUCKET}/{quote(key)}", w.ta,
                      headers={"If-None-Match": '"0123"'})
    assert stale.status_code == 200
    served(stale, cache_control="max-age=3600, stale-while-revalidate=30")


@row(17, "HEAD object")
def _(w: World) -> None:
    key, _ = _stored_text(w)
    r = w.request("HEAD", f"/object/{BUCKET}/{quote(key)}", w.ta)
    assert r.status_code == 200 and r.content == b""
    served(r)
    assert r.headers["content-length"] == "14"
    stale = w.request("HEAD", f"/object/{BUCKET}/{quote(key)}", w.ta,
                      headers={"If-None-Match": '"0123"'})
    served(stale, cache_control="max-age=3600, must-revalidate")


@row(18, "download: raw-body pdf (content-type kept?)")
def _(w: World) -> None:
    key = w.unique("raw.pdf")
    w.put(key, b"%PDF-1.7", "application/pdf")
    r = w.request("GET", f"/object/{BUCKET}/{quote(key)}", w.ta)
    assert r.content == b"%PDF-1.7"
    served(r, "application/pdf", cache_control="no-cache")  # raw body: no Cache-Control sent


@row(19, "download: default content-type object")
def _(w: World) -> None:
    key = w.unique("default.txt")
    w.bucket().upload(key, b" ")
    r = w.request("GET", f"/object/{BUCKET}/{quote(key)}", w.ta)
    assert r.status_code == 200
    served(r)


@row(20, "download: missing object")
def _(w: World) -> None:
    err = api_error(lambda: w.bucket().download(w.unique("missing.txt")))
    assert (err.status, err.code, err.message) == ("404", "not_found", "Object not found")


@row(21, "download: other user's object")
def _(w: World) -> None:
    key = w.key(f"{uuid.uuid4().hex[:8]}-secret.txt", w.b)
    w.bucket(w.sb_b).upload(key, b"b's")
    err = api_error(lambda: w.bucket().download(key))
    assert (err.status, err.code) == ("404", "not_found")


# ---------------------------------------------------------------- info and exists (22-26)

INFO_KEYS = {"bucket_id", "cache_control", "content_type", "created_at", "etag", "id",
             "last_modified", "metadata", "name", "size", "version"}


@row(22, "info: own object")
def _(w: World) -> None:
    key = w.unique("meta.bin")
    w.bucket().upload(key, b"m", {"metadata": {"k": "v"}, "cache-control": "120"})
    info = w.bucket().info(key)
    assert set(info) == INFO_KEYS
    assert info["content_type"] == "text/plain" and info["cache_control"] == "max-age=120"
    assert info["metadata"] == {"k": "v"} and info["etag"] == f'"{hashlib.md5(b"m").hexdigest()}"'
    r = w.request("GET", f"/object/info/{BUCKET}/{quote(key)}", w.ta)
    assert r.headers["cache-control"] == "max-age=120" and r.headers["etag"] == info["etag"]
    assert r.headers["content-type"] == "application/json"
    assert r.headers["last-modified"].endswith(" GMT") and "x-robots-tag" not in r.headers


@row(23, "info: /object/info/authenticated/ (project client route)")
def _(w: World) -> None:
    key = w.unique("hello.txt")
    w.bucket().upload(key, b"hi", {"content-type": "text/plain"})
    r = w.request("GET", f"/object/info/authenticated/{BUCKET}/{quote(key)}", w.ta)
    assert r.headers["cache-control"] == "max-age=3600" and r.headers["etag"]
    info = r.json()
    assert set(info) == INFO_KEYS
    assert info["metadata"] == {} and info["cache_control"] == "max-age=3600"
    assert info["size"] == 2 and info["content_type"] == "text/plain"


@row(24, "exists: own object")
def _(w: World) -> None:
    key = w.unique("e.txt")
    w.bucket().upload(key, b"e")
    assert w.bucket().exists(key) is True
    served(w.request("HEAD", f"/object/{BUCKET}/{quote(key)}", w.ta))


@row(25, "exists: missing object")
def _(w: World) -> None:
    assert w.bucket().exists(w.unique("missing.txt")) is False


@row(26, "exists: other user's object")
def _(w: World) -> None:
    key = w.key(f"{uuid.uuid4().hex[:8]}-secret.txt", w.b)
    w.bucket(w.sb_b).upload(key, b"b's")
    assert w.bucket().exists(key) is False


# ---------------------------------------------------------------- listing (27-36)

def _list_folder(w: World) -> str:
    """a.txt (2 bytes), b.txt (1 byte) and sub/c.txt, created in that order."""
    folder = w.unique("list")
    for name, data in (("a.txt", b"aa"), ("b.txt", b"b"), ("sub/c.txt", b"c")):
        w.bucket().upload(f"{folder}/{name}", data, {"content-type": "text/plain"})
    return folder


def _names(entries: list[dict[str, Any]]) -> list[str]:
    return [e["name"] for e in entries]


@row(27, "list: prefix folder, defaults")
def _(w: World) -> None:
    entries = w.bucket().list(_list_folder(w))
    assert _names(entries) == ["a.txt", "b.txt", "sub"]
    meta = entries[0]["metadata"]
    assert set(meta) == {"cacheControl", "contentLength", "eTag", "httpStatusCode",
                         "lastModified", "mimetype", "size"}
    assert meta["eTag"] == f'"{hashlib.md5(b"aa").hexdigest()}"' and meta["size"] == 2
    assert entries[2] == {"name": "sub", "id": None, "updated_at": None, "created_at": None,
                          "last_accessed_at": None, "metadata": None}


@row(28, "list: limit=2 offset=1")
def _(w: World) -> None:
    entries = w.bucket().list(_list_folder(w), {"limit": 2, "offset": 1})
    assert _names(entries) == ["b.txt", "sub"]


@row(29, "list: sortBy name desc")
def _(w: World) -> None:
    entries = w.bucket().list(_list_folder(w), {"sortBy": {"column": "name",
                                                           "order": "desc"}})
    assert _names(entries) == ["sub", "b.txt", "a.txt"]


@row(30, "list: sortBy created_at asc")
def _(w: World) -> None:
    entries = w.bucket().list(_list_folder(w), {"sortBy": {"column": "created_at",
                                                           "order": "asc"}})
    assert _names(entries) == ["sub", "a.txt", "b.txt"]  # folders first


@row(31, "list: search 'a'")
def _(w: World) -> None:
    assert _names(w.bucket().list(_list_folder(w), {"search": "a"})) == ["a.txt"]


@row(32, "list: prefix with trailing slash")
def _(w: World) -> None:
    assert _names(w.bucket().list(_list_folder(w) + "/")) == ["a.txt", "b.txt", "sub"]


@row(33, "list: user root (folders only)")
def _(w: World) -> None:
    with w.stack.http() as http:
        sb, uid, _ = _signed_in(w.stack, http)
        for folder in ("run-1", "run-1-pc"):
            sb.storage.from_(BUCKET).upload(f"{uid}/{folder}/x.txt", b"x")
        # Byte-wise on the full key: "run-1-pc/" sorts before "run-1/" ('-' < '/').
        assert _names(sb.storage.from_(BUCKET).list(uid)) == ["run-1-pc", "run-1"]


@row(34, "list: other user's folder")
def _(w: World) -> None:
    key = w.key(f"{uuid.uuid4().hex[:8]}-secret.txt", w.b)
    w.bucket(w.sb_b).upload(key, b"b's")
    assert w.bucket().list(f"{w.b}/{w.run}") == []


@row(35, "list: prefix = file name")
def _(w: World) -> None:
    folder = _list_folder(w)
    assert w.bucket().list(f"{folder}/a.txt") == []


@row(36, "list_v2: prefix, with_delimiter")
def _(w: World) -> None:
    folder = _list_folder(w)
    r = w.request("POST", f"/object/list-v2/{BUCKET}", w.ta,
                  json={"prefix": f"{folder}/", "with_delimiter": True})
    body = r.json()
    assert r.status_code == 200
    assert body["hasNext"] is False and body["nextCursor"] is None
    assert body["folders"] == [{"created_at": None, "key": "sub", "name": f"{folder}/sub/",
                                "updated_at": None}]
    assert [o["key"] for o in body["objects"]] == ["a.txt", "b.txt"]
    assert body["objects"][0]["name"] == f"{folder}/a.txt" and body["objects"][0]["id"]


# ---------------------------------------------------------------- move and copy (37-46)

@row(37, "move: own → own")
def _(w: World) -> None:
    src, dst = w.unique("m.txt"), w.unique("moved.txt")
    w.bucket().upload(src, b"m")
    assert w.bucket().move(src, dst) == {"message": "Successfully moved"}


@row(38, "move: source now missing")
def _(w: World) -> None:
    src, dst = w.unique("m.txt"), w.unique("moved.txt")
    w.bucket().upload(src, b"m")
    w.bucket().move(src, dst)
    err = api_error(lambda: w.bucket().move(src, w.unique("again.txt")))
    assert (err.status, err.code) == ("404", "not_found")


@row(39, "move: missing source")
def _(w: World) -> None:
    err = api_error(lambda: w.bucket().move(w.unique("none.txt"), w.unique("x.txt")))
    assert (err.status, err.code, err.message) == ("404", "not_found", "Object not found")


@row(40, "move: onto existing destination")
def _(w: World) -> None:
    src, dst = w.unique("m.txt"), w.unique("d.txt")
    w.bucket().upload(src, b"m")
    w.bucket().upload(dst, b"d")
    err = api_error(lambda: w.bucket().move(src, dst))
    assert (err.status, err.code) == ("409", "Duplicate")


@row(41, "move: into other user's folder")
def _(w: World) -> None:
    src = w.unique("m.txt")
    w.bucket().upload(src, b"m")
    err = api_error(lambda: w.bucket().move(src, w.key("stolen.txt", w.b)))
    assert (err.status, err.message) == ("403", RLS)


@row(42, "copy: own → own")
def _(w: World) -> None:
    src, dst = w.unique("hello.txt"), w.unique("copy.txt")
    w.bucket().upload(src, b"hello updated\n", {"content-type": "text/plain"})
    copied = w.bucket().copy(src, dst)
    assert copied["Key"] == f"{BUCKET}/{dst}" and copied["Id"] == copied["id"]
    assert copied["bucket_id"] == BUCKET and copied["name"] == dst
    assert copied["metadata"]["contentLength"] == 14 and copied["last_accessed_at"]


@row(43, "copy: onto existing destination")
def _(w: World) -> None:
    src, dst = w.unique("s.txt"), w.unique("d.txt")
    w.bucket().upload(src, b"s")
    w.bucket().upload(dst, b"d")
    err = api_error(lambda: w.bucket().copy(src, dst))
    assert (err.status, err.code, err.message) == ("409", "Duplicate",
                                                   "The resource already exists")


@row(44, "copy: into other user's folder")
def _(w: World) -> None:
    src = w.unique("s.txt")
    w.bucket().upload(src, b"s")
    err = api_error(lambda: w.bucket().copy(src, w.key("copied.txt", w.b)))
    assert (err.status, err.message) == ("403", RLS)


@row(45, "copy: from other user's object")
def _(w: World) -> None:
    key = w.key(f"{uuid.uuid4().hex[:8]}-secret.txt", w.b)
    w.bucket(w.sb_b).upload(key, b"b's")
    err = api_error(lambda: w.bucket().copy(key, w.unique("mine.txt")))
    assert (err.status, err.code) == ("404", "not_found")


@row(46, "copy: content-type/cache-control kept")
def _(w: World) -> None:
    src, dst = w.unique("hello.txt"), w.unique("copy.txt")
    w.bucket().upload(src, b"hello", {"content-type": "text/plain"})
    w.bucket().copy(src, dst)
    info = w.bucket().info(dst)
    assert info["content_type"] == "text/plain" and info["cache_control"] == "max-age=3600"
    assert info["metadata"] == {}


# ---------------------------------------------------------------- signed URLs (47-69)

def _signed(w: World, seconds: int = 60) -> tuple[str, str]:
    key = w.unique("hello.txt")
    w.bucket().upload(key, b"hello updated\n", {"content-type": "text/plain"})
    signed = w.request("POST", f"/object/sign/{BUCKET}/{quote(key)}", w.ta,
                       json={"expiresIn": seconds}).json()["signedURL"]
    return key, signed


@row(47, "create_signed_url: own object")
def _(w: World) -> None:
    key = w.unique("hello.txt")
    w.bucket().upload(key, b"hi")
    res = w.bucket().create_signed_url(key, 60)
    assert f"/object/sign/{BUCKET}/{key}?token=" in res["signedURL"]
    assert res["signedUrl"] == res["signedURL"]


@row(48, "signed URL: fetch without auth")
def _(w: World) -> None:
    _, signed = _signed(w)
    with w.stack.http() as http:
        r = http.get(f"{w.base}{signed}")
    assert r.status_code == 200 and r.content == b"hello updated\n"
    # A signed URL's answer expires with its token instead of carrying Cache-Control.
    served(r, cache_control=None)
    exp = json.loads(base64.urlsafe_b64decode(signed.split("token=")[1].split(".")[1] + "=="))
    assert r.headers["expires"] == formatdate(exp["exp"], usegmt=True)


@row(49, "signed URL: &download= (attachment)")
def _(w: World) -> None:
    _, signed = _signed(w)
    with w.stack.http() as http:
        r = http.get(f"{w.base}{signed}&download=")
    assert r.status_code == 200 and r.headers["content-disposition"] == "attachment;"


@row(50, "signed URL: &download=other name.txt")
def _(w: World) -> None:
    _, signed = _signed(w)
    with w.stack.http() as http:
        r = http.get(f"{w.base}{signed}&download=other%20name.txt")
    assert r.status_code == 200
    assert r.headers["content-disposition"] == (
        "attachment; filename=other%20name.txt; filename*=UTF-8''other%20name.txt")


@row(51, "signed URL: tampered token")
def _(w: World) -> None:
    _, signed = _signed(w)
    with w.stack.http() as http:
        r = http.get(f"{w.base}{signed[:-3]}AAA")
    envelope(r, "400", "InvalidJWT", "InvalidJWT", "signature verification failed")


@row(52, "signed URL: token for another path")
def _(w: World) -> None:
    _, signed = _signed(w)
    other, _ = _signed(w)
    token = signed.split("token=", 1)[1]
    with w.stack.http() as http:
        r = http.get(f"{w.base}/object/sign/{BUCKET}/{quote(other)}?token={token}")
    envelope(r, "400", "InvalidSignature", "InvalidSignature", "Invalid signature")


@row(53, "signed URL: expired token")
def _(w: World) -> None:
    key, _ = _signed(w)
    now = int(time.time())
    token = mint(w.stack, url=f"{BUCKET}/{key}", iat=now - 100, exp=now - 10)
    with w.stack.http() as http:
        r = http.get(f"{w.base}/object/sign/{BUCKET}/{quote(key)}?token={token}")
    envelope(r, "400", "InvalidJWT", "InvalidJWT", '"exp" claim timestamp check failed')


@row(54, "signed URL: no token")
def _(w: World) -> None:
    key, _ = _signed(w)
    with w.stack.http() as http:
        r = http.get(f"{w.base}/object/sign/{BUCKET}/{quote(key)}")
    envelope(r, "400", "Error", "InvalidRequest",
             "querystring must have required property 'token'")


@row(55, "create_signed_url: missing object")
def _(w: World) -> None:
    err = api_error(lambda: w.bucket().create_signed_url(w.unique("none.txt"), 60))
    assert (err.status, err.code) == ("404", "not_found")


@row(56, "create_signed_url: other user's object")
def _(w: World) -> None:
    key = w.key(f"{uuid.uuid4().hex[:8]}-secret.txt", w.b)
    w.bucket(w.sb_b).upload(key, b"b's")
    err = api_error(lambda: w.bucket().create_signed_url(key, 60))
    assert (err.status, err.code) == ("404", "not_found")


@row(57, "create_signed_url: expiresIn as number (raw)")
def _(w: World) -> None:
    _, signed = _signed(w)
    assert signed.startswith(f"/object/sign/{BUCKET}/")


@row(58, "create_signed_url: expiresIn missing (raw)")
def _(w: World) -> None:
    key, _ = _signed(w)
    r = w.request("POST", f"/object/sign/{BUCKET}/{quote(key)}", w.ta, json={})
    envelope(r, "400", "Error", "InvalidRequest", "body must have required property 'expiresIn'")


@row(59, "create_signed_urls: own + missing + other's")
def _(w: World) -> None:
    own = w.unique("own.txt")
    w.bucket().upload(own, b"o")
    others = w.key(f"{uuid.uuid4().hex[:8]}-secret.txt", w.b)
    w.bucket(w.sb_b).upload(others, b"b's")
    res = w.bucket().create_signed_urls([own, w.unique("missing.txt"), others], 60)
    assert [r["error"] is None for r in res] == [True, False, False]
    assert res[1]["error"] == "Either the object does not exist or you do not have access to it"
    assert res[1]["signedURL"] is None


def _signed_upload(w: World, key: str) -> Any:
    return w.bucket().create_signed_upload_url(key)


@row(60, "create_signed_upload_url: own folder")
def _(w: World) -> None:
    key = w.unique("signed-up.txt")
    res = _signed_upload(w, key)
    assert res["path"] == key and res["token"]
    assert f"/object/upload/sign/{BUCKET}/{key}?token=" in res["signed_url"]


@row(61, "upload_to_signed_url: first upload")
def _(w: World) -> None:
    key = w.unique("signed-up.txt")
    res = _signed_upload(w, key)
    assert w.bucket().upload_to_signed_url(key, res["token"], b"signed upload!\n").path == key


@row(62, "upload_to_signed_url: again (same token)")
def _(w: World) -> None:
    key = w.unique("signed-up.txt")
    res = _signed_upload(w, key)
    w.bucket().upload_to_signed_url(key, res["token"], b"one")
    err = api_error(lambda: w.bucket().upload_to_signed_url(key, res["token"], b"two"))
    assert (err.status, err.code) == ("409", "Duplicate")


@row(63, "upload_to_signed_url: token used for another path")
def _(w: World) -> None:
    res = _signed_upload(w, w.unique("signed-up.txt"))
    err = api_error(lambda: w.bucket().upload_to_signed_url(w.unique("other.txt"),
                                                            res["token"], b"x"))
    assert (err.status, err.code, err.message) == ("400", "InvalidSignature",
                                                   "Invalid signature")


@row(64, "signed upload: object readable by owner")
def _(w: World) -> None:
    key = w.unique("signed-up.txt")
    w.bucket().upload_to_signed_url(key, _signed_upload(w, key)["token"], b"signed upload!\n")
    assert w.bucket().download(key) == b"signed upload!\n"


@row(65, "signed upload: owner_id recorded (info)")
def _(w: World) -> None:
    key = w.unique("signed-up.txt")
    w.bucket().upload_to_signed_url(key, _signed_upload(w, key)["token"], b"s")
    info = w.request("GET", f"/object/info/authenticated/{BUCKET}/{quote(key)}", w.ta).json()
    assert set(info) == INFO_KEYS and info["metadata"] == {}


@row(66, "create_signed_upload_url: other user's folder")
def _(w: World) -> None:
    err = api_error(lambda: _signed_upload(w, w.key("x.txt", w.b)))
    assert (err.status, err.message) == ("403", RLS)


@row(67, "create_signed_upload_url: existing object, no upsert")
def _(w: World) -> None:
    key = w.unique("exists.txt")
    w.bucket().upload(key, b"e")
    err = api_error(lambda: _signed_upload(w, key))
    assert (err.status, err.code) == ("409", "Duplicate")


@row(68, "public URL: private bucket, anon")
def _(w: World) -> None:
    key = w.unique("p.txt")
    w.bucket().upload(key, b"p")
    with w.stack.http() as http:
        r = http.get(f"{w.base}/object/public/{BUCKET}/{quote(key)}")
    envelope(r, *NO_SUCH_BUCKET)


@row(69, "public URL: private bucket, owner's JWT")
def _(w: World) -> None:
    key = w.unique("p.txt")
    w.bucket().upload(key, b"p")
    envelope(w.request("GET", f"/object/public/{BUCKET}/{quote(key)}", w.ta), *NO_SUCH_BUCKET)


# ---------------------------------------------------------------- buckets (70-73)

@row(70, "list_buckets as user")
def _(w: World) -> None:
    assert w.sb_a.storage.list_buckets() == []


@row(71, "get_bucket designs as user")
def _(w: World) -> None:
    err = api_error(lambda: w.sb_a.storage.get_bucket(BUCKET))
    assert (err.status, err.code, err.message) == ("404", "Bucket not found",
                                                   "Bucket not found")


@row(72, "get_bucket designs as service_role")
def _(w: World) -> None:
    key = w.stack.service_role_key
    r = w.request("GET", f"/bucket/{BUCKET}", key, headers={"apikey": key})
    body = r.json()
    # The observed bucket had no limits; this project's migrations give `designs` some
    # (their values are the migration's business, the shape is Storage's).
    assert {k: body[k] for k in ("id", "name", "owner", "public", "type")} == {
        "id": BUCKET, "name": BUCKET, "owner": "", "public": False, "type": None}
    assert set(body) == {"allowed_mime_types", "created_at", "file_size_limit", "id", "name",
                         "owner", "public", "type", "updated_at"}


@row(73, "create_bucket as user")
def _(w: World) -> None:
    err = api_error(lambda: w.sb_a.storage.create_bucket(f"mine-{uuid.uuid4().hex[:6]}"))
    assert (err.status, err.code, err.message) == ("403", "Unauthorized", RLS)


# ---------------------------------------------------------------- removing (74-80)

@row(74, "remove: other user's paths (bulk)")
def _(w: World) -> None:
    key = w.key(f"{uuid.uuid4().hex[:8]}-secret.txt", w.b)
    w.bucket(w.sb_b).upload(key, b"b's")
    assert w.bucket().remove([key]) == []


@row(75, "remove: B still has it")
def _(w: World) -> None:
    key = w.key(f"{uuid.uuid4().hex[:8]}-secret.txt", w.b)
    w.bucket(w.sb_b).upload(key, b"b's")
    w.bucket().remove([key])
    assert w.bucket(w.sb_b).exists(key) is True


@row(76, "remove: own + missing (bulk)")
def _(w: World) -> None:
    key = w.unique("gone.txt")
    w.bucket().upload(key, b"hello updated\n")
    removed = w.bucket().remove([key, w.unique("missing.txt")])
    assert [r["name"] for r in removed] == [key]
    assert removed[0]["bucket_id"] == BUCKET and removed[0]["metadata"]["contentLength"] == 14


@row(77, "remove: empty list")
def _(w: World) -> None:
    err = api_error(lambda: w.bucket().remove([]))
    assert (err.status, err.code, err.message) == (
        "400", "Error", "body/prefixes must NOT have fewer than 1 items")


@row(78, "DELETE single object: own")
def _(w: World) -> None:
    key = w.unique("d.txt")
    w.bucket().upload(key, b"d")
    r = w.request("DELETE", f"/object/{BUCKET}/{quote(key)}", w.ta)
    assert r.status_code == 200 and r.json() == {"message": "Successfully deleted"}


@row(79, "DELETE single object: other user's")
def _(w: World) -> None:
    key = w.key(f"{uuid.uuid4().hex[:8]}-secret.txt", w.b)
    w.bucket(w.sb_b).upload(key, b"b's")
    envelope(w.request("DELETE", f"/object/{BUCKET}/{quote(key)}", w.ta),
             "403", "Unauthorized", "AccessDenied", "Access denied")


@row(80, "DELETE single object: missing")
def _(w: World) -> None:
    envelope(w.request("DELETE", f"/object/{BUCKET}/{quote(w.unique('none'))}", w.ta),
             *NO_SUCH_KEY)


# ---------------------------------------------------------------- tokens (81-102)

def _own(w: World) -> str:
    key = w.unique("hello.txt")
    w.bucket().upload(key, b"hello updated\n", {"content-type": "text/plain"})
    return key


def _get(w: World, key: str, token: str | None, route: str = "",
         headers: dict[str, str] | None = None) -> httpx.Response:
    return w.request("GET", f"/object/{route}{BUCKET}/{quote(key)}", token, headers=headers)


def _post(w: World, token: str | None, headers: dict[str, str] | None = None
          ) -> httpx.Response:
    return w.request("POST", f"/object/{BUCKET}/{quote(w.unique('t.txt'))}", token,
                     headers={"Content-Type": "text/plain", **(headers or {})}, content=b"t")


@row(81, "expired JWT: GET object")
def _(w: World) -> None:
    envelope(_get(w, _own(w), w.expired()), *NO_SUCH_BUCKET)


@row(82, "expired JWT: POST upload")
def _(w: World) -> None:
    envelope(_post(w, w.expired()), *EXPIRED)


@row(83, "bad signature: GET object")
def _(w: World) -> None:
    envelope(_get(w, _own(w), w.forged()), *NO_SUCH_BUCKET)


@row(84, "bad signature: POST upload")
def _(w: World) -> None:
    envelope(_post(w, w.forged()), "403", "Unauthorized", "AccessDenied",
             "signature verification failed")


@row(85, "garbage token: GET object")
def _(w: World) -> None:
    envelope(_get(w, _own(w), "garbage"), *NO_SUCH_BUCKET)


@row(86, "garbage token: POST upload")
def _(w: World) -> None:
    envelope(_post(w, "garbage"), "403", "Unauthorized", "AccessDenied", "Invalid Compact JWS")


@row(87, "missing Authorization: GET object")
def _(w: World) -> None:
    envelope(_get(w, _own(w), None), *NO_SUCH_BUCKET)


@row(88, "missing Authorization: POST upload")
def _(w: World) -> None:
    envelope(_post(w, None), "400", "Error", "InvalidRequest",
             "headers must have required property 'authorization'")


@row(89, "Authorization without 'Bearer'")
def _(w: World) -> None:
    r = _get(w, _own(w), None, headers={"Authorization": w.ta})
    assert r.status_code == 200 and r.content == b"hello updated\n"
    assert r.headers["x-robots-tag"] == "none" and r.headers["cache-control"]


@row(90, "anon key as bearer: GET object")
def _(w: World) -> None:
    envelope(_get(w, _own(w), w.stack.anon_key), *NO_SUCH_KEY)


@row(91, "anon key as bearer: POST upload")
def _(w: World) -> None:
    envelope(_post(w, w.stack.anon_key), "403", "Unauthorized", "AccessDenied", RLS)


@row(92, "token without role claim")
def _(w: World) -> None:
    now = int(time.time())
    token = mint(w.stack, sub=w.a, role=None, iat=now, exp=now + 60)
    envelope(_get(w, _own(w), token), *NO_SUCH_KEY)


@row(93, "token with role=service_role (no sub)")
def _(w: World) -> None:
    now = int(time.time())
    token = mint(w.stack, role="service_role", iat=now, exp=now + 60)
    r = _get(w, _own(w), token)
    assert r.content == b"hello updated\n" and r.headers["x-robots-tag"] == "none"


@row(94, "no apikey header, valid bearer")
def _(w: World) -> None:
    key = _own(w)
    with w.stack.http() as http:
        r = http.get(f"{w.base}/object/{BUCKET}/{quote(key)}",
                     headers={"Authorization": f"Bearer {w.ta}"})
    assert r.status_code == 200 and r.headers["x-robots-tag"] == "none"


@row(95, "expired JWT: GET /object/authenticated/")
def _(w: World) -> None:
    envelope(_get(w, _own(w), w.expired(), "authenticated/"), *EXPIRED)


@row(96, "expired JWT: GET /object/info/")
def _(w: World) -> None:
    envelope(_get(w, _own(w), w.expired(), "info/"), *NO_SUCH_BUCKET)


@row(97, "expired JWT: GET /object/info/authenticated/")
def _(w: World) -> None:
    envelope(_get(w, _own(w), w.expired(), "info/authenticated/"), *EXPIRED)


def _expired_call(w: World, use: Callable[[Any], Any]) -> StorageApiError:
    """The StorageApiError storage3 raises for `use(bucket)` with an expired token."""
    from storage3 import SyncStorageClient

    with w.stack.http() as http:
        client = SyncStorageClient(w.base + "/", {"apikey": w.stack.anon_key,
                                                  "Authorization": f"Bearer {w.expired()}"},
                                   http_client=http)
        return api_error(lambda: use(client.from_(BUCKET)))


@row(98, "expired JWT: storage3 download()")
def _(w: World) -> None:
    key = _own(w)
    err = _expired_call(w, lambda b: b.download(key))
    assert (err.status, err.code) == ("404", "Bucket not found")


@row(99, "expired JWT: storage3 exists()")
def _(w: World) -> None:
    key = _own(w)
    err = _expired_call(w, lambda b: b.exists(key))
    assert (err.status, err.code) == ("404", "Bucket not found")


@row(100, "expired JWT: storage3 list()")
def _(w: World) -> None:
    err = _expired_call(w, lambda b: b.list(f"{w.a}/{w.run}"))
    assert (err.status, err.code, err.message) == ("403", "Unauthorized", EXPIRED[3])


@row(101, "expired JWT: storage3 create_signed_url()")
def _(w: World) -> None:
    key = _own(w)
    err = _expired_call(w, lambda b: b.create_signed_url(key, 60))
    assert (err.status, err.code) == ("403", "Unauthorized")


@row(102, "expired JWT: storage3 remove()")
def _(w: World) -> None:
    key = _own(w)
    err = _expired_call(w, lambda b: b.remove([key]))
    assert (err.status, err.code) == ("403", "Unauthorized")


# ---------------------------------------------------------------- path tricks (103-121)

def _raw_upload(w: World, raw_path: str) -> tuple[int, dict[str, Any]]:
    import json
    status, body = raw_request(w.stack, "POST", f"/storage/v1/object/{BUCKET}/{raw_path}",
                               {"Authorization": f"Bearer {w.ta}",
                                "apikey": w.stack.anon_key, "Content-Type": "text/plain"},
                               b"trick")
    return status, json.loads(body)


def _trick(number: int, title: str, suffix: str, expected: str,
           key: str | None = None) -> None:
    @row(number, title)
    def check(w: World) -> None:
        folder = f"{w.a}/{w.run}/{uuid.uuid4().hex[:6]}"
        status, body = _raw_upload(w, f"{folder}/{suffix}")
        if expected == "rls":
            assert (status, body["statusCode"], body["message"]) == (400, "403", RLS)
        elif expected == "ok":
            assert status == 200 and body["Key"] == f"{BUCKET}/{folder}/{key}"
        else:
            assert (status, body["code"], body["message"]) == (
                400, "InvalidKey", f"Invalid key: {folder}/{key}")


_trick(103, "path trick upload: literal ../ segment", "../x/dotdot.txt", "rls")
_trick(104, "path trick upload: %2E%2E segment", "%2E%2E/dotdot2.txt", "rls")
_trick(105, "path trick upload: ./ segment", "./dot.txt", "rls")
_trick(106, "path trick upload: %2F inside a name", "a%2Fb.txt", "ok", "a/b.txt")
_trick(107, "path trick upload: backslash %5C", "a%5Cb.txt", "invalid", "a\\b.txt")
_trick(108, "path trick upload: literal backslash", "a\\b.txt", "invalid", "a\\b.txt")
_trick(109, "path trick upload: double slash", "/double.txt", "rls")
_trick(110, "path trick upload: trailing slash", "folder/", "rls")
_trick(111, "path trick upload: space %20", "with%20space.txt", "ok", "with space.txt")
_trick(112, "path trick upload: non-ASCII é (%C3%A9)", "caf%C3%A9.txt", "invalid", "café.txt")
_trick(113, "path trick upload: non-ASCII CJK", "%E5%9B%BE%E7%BA%B8.dwg", "invalid",
       "图纸.dwg")
_trick(114, "path trick upload: percent literal %25", "100%25.txt", "invalid", "100%.txt")
_trick(115, "path trick upload: NUL %00", "nul%00.txt", "invalid", "nul\0.txt")
_trick(116, "path trick upload: name 250 chars", "n" * 250, "rls")
_trick(117, "path trick upload: path ~1100 bytes", "/".join(["d" * 99] * 11), "rls")
_trick(118, "path trick upload: allowed punctuation !*'()&$=@;:+,",
       "'!*()&$=@;:+,.txt", "ok", "'!*()&$=@;:+,.txt")


def _get_trick(number: int, title: str, middle: str) -> None:
    @row(number, title)
    def check(w: World) -> None:
        secret = w.key(f"{uuid.uuid4().hex[:8]}-secret.txt", w.b)
        w.bucket(w.sb_b).upload(secret, b"b's")
        raw = f"/storage/v1/object/{BUCKET}/{w.a}/{w.run}/{middle}/{middle}/{secret}"
        import json
        status, body = raw_request(w.stack, "GET", raw, {"Authorization": f"Bearer {w.ta}",
                                                         "apikey": w.stack.anon_key})
        assert (status, json.loads(body)["code"]) == (400, "NoSuchKey")


_get_trick(119, "path trick GET: literal ../ to other user's object", "..")
_get_trick(120, "path trick GET: %2E%2E to other user's object", "%2E%2E")


@row(121, "list after tricks (own folder)")
def _(w: World) -> None:
    folder = w.unique("tricks")
    for suffix in ("with%20space.txt", "a%2Fb.txt", "'!*()&$=@;:+,.txt", "Zed.txt"):
        _raw_upload(w, f"{folder}/{suffix}")
    # One level, folders interleaved with files, byte-wise on the lower-cased key.
    assert _names(w.bucket().list(folder)) == ["'!*()&$=@;:+,.txt", "a", "with space.txt",
                                               "Zed.txt"]


# ---------------------------------------------------------------- TUS (122-182)

TUS_EXTENSIONS = "creation,creation-with-upload,creation-defer-length,termination,expiration"


def tus_state(r: httpx.Response, key: str, offset: int, length: int,
              content_type: str = "application/octet-stream") -> None:
    """A TUS HEAD as Storage answers it: offset, length, no caching, and the upload's
    metadata as created (cacheControl as Storage stored it)."""
    assert r.status_code == 200 and r.content == b""
    assert r.headers["upload-offset"] == str(offset)
    assert r.headers["upload-length"] == str(length)
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["upload-metadata"] == _b64_pairs(
        ("bucketName", BUCKET), ("objectName", key), ("contentType", content_type),
        ("cacheControl", "max-age=3600"))


def _b64_pairs(*pairs: tuple[str, str]) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs)


def multipart_etag(data: bytes, part_size: int = 50 * MiB) -> str:
    """S3's etag of an object uploaded in parts: MD5 of the parts' MD5s, dash, count."""
    parts = [data[i:i + part_size] for i in range(0, len(data), part_size)] or [b""]
    digests = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(digests).hexdigest()}-{len(parts)}"'


def _tus_started(w: World, length: int, name: str = "seven.bin", **kw: Any
                 ) -> tuple[str, str]:
    key = w.unique(name)
    created = w.tus_create(key, length, **kw)
    assert created.status_code == 201, created.text
    return key, created.headers["location"]


@row(122, "TUS OPTIONS")
def _(w: World) -> None:
    with w.stack.http() as http:
        r = http.options(f"{w.base}/upload/resumable", headers={"Tus-Resumable": "1.0.0"})
    assert r.status_code == 204 and r.headers["tus-max-size"] == str(50 * MiB)
    assert r.headers["tus-extension"] == TUS_EXTENSIONS and r.headers["tus-version"] == "1.0.0"


@row(123, "TUS OPTIONS with CORS preflight headers")
def _(w: World) -> None:
    with w.stack.http() as http:
        r = http.options(f"{w.base}/upload/resumable", headers={
            "Origin": "https://example.test", "Access-Control-Request-Method": "POST"})
    assert r.status_code == 204 and r.headers["tus-max-size"] == str(50 * MiB)
    assert r.headers["tus-extension"] == TUS_EXTENSIONS


@row(124, "TUS POST create 7 MiB")
def _(w: World) -> None:
    _, location = _tus_started(w, 7 * MiB)
    assert "/upload/resumable/" in location


@row(125, "TUS Location decoded id")
def _(w: World) -> None:
    key, location = _tus_started(w, 7 * MiB)
    upload_id = location.rsplit("/", 1)[1]
    decoded = base64.urlsafe_b64decode(upload_id + "=" * (-len(upload_id) % 4)).decode()
    prefix, version = decoded.rsplit("/", 1)
    assert prefix == f"{BUCKET}/{key}" and str(uuid.UUID(version)) == version  # dashed


@row(126, "TUS HEAD fresh")
def _(w: World) -> None:
    key, location = _tus_started(w, 7 * MiB)
    tus_state(w.tus("HEAD", location), key, 0, 7 * MiB)


def _six_sent(w: World) -> tuple[str, str, bytes]:
    data = bytes(range(256)) * (7 * MiB // 256)
    key, location = _tus_started(w, len(data))
    r = w.tus("PATCH", location, data=data[:6 * MiB], offset=0)
    assert r.status_code == 204 and r.headers["upload-offset"] == str(6 * MiB)
    return key, location, data


@row(127, "TUS PATCH 6 MiB")
def _(w: World) -> None:
    _six_sent(w)


@row(128, "TUS PATCH wrong offset (0 again)")
def _(w: World) -> None:
    _, location, data = _six_sent(w)
    r = w.tus("PATCH", location, data=data[:10], offset=0)
    assert (r.status_code, r.text) == (409, "Upload-Offset conflict")


@row(129, "TUS PATCH wrong content-type")
def _(w: World) -> None:
    _, location = _tus_started(w, 10)
    r = w.tus("PATCH", location, data=b"x", offset=0,
              **{"Content-Type": "application/octet-stream"})
    assert (r.status_code, r.text) == (400, "Invalid content-type")


@row(130, "TUS PATCH without Tus-Resumable")
def _(w: World) -> None:
    _, location = _tus_started(w, 10)
    with w.stack.http() as http:
        r = http.patch(location, content=b"x", headers={
            **w.headers(w.ta), "Upload-Offset": "0", "Content-Type": OCTETS})
    assert (r.status_code, r.text) == (412, "Tus-Resumable Required")


@row(131, "TUS HEAD mid-upload")
def _(w: World) -> None:
    key, location, _ = _six_sent(w)
    tus_state(w.tus("HEAD", location), key, 6 * MiB, 7 * MiB)


@row(132, "TUS HEAD by other user")
def _(w: World) -> None:
    key, location, _ = _six_sent(w)
    tus_state(w.tus("HEAD", location, w.tb), key, 6 * MiB, 7 * MiB)


@row(133, "TUS PATCH by other user")
def _(w: World) -> None:
    _, location, data = _six_sent(w)
    r = w.tus("PATCH", location, w.tb, data=data[6 * MiB:], offset=6 * MiB)
    assert (r.status_code, r.text) == (403, RLS)


@row(134, "TUS HEAD with expired JWT")
def _(w: World) -> None:
    _, location = _tus_started(w, 10)
    r = w.tus("HEAD", location, w.expired())
    assert r.status_code == 400 and r.content == b""


@row(135, "TUS PATCH with expired JWT")
def _(w: World) -> None:
    _, location = _tus_started(w, 10)
    envelope(w.tus("PATCH", location, w.expired(), data=b"x", offset=0), *EXPIRED)


def _finished(w: World) -> tuple[str, str, bytes]:
    key, location, data = _six_sent(w)
    r = w.tus("PATCH", location, data=data[6 * MiB:], offset=6 * MiB)
    assert r.status_code == 204 and r.headers["upload-offset"] == str(len(data))
    return key, location, data


@row(136, "TUS PATCH last 1 MiB")
def _(w: World) -> None:
    _finished(w)


@row(137, "TUS HEAD after completion")
def _(w: World) -> None:
    key, location, data = _finished(w)
    tus_state(w.tus("HEAD", location), key, len(data), len(data))


@row(138, "TUS PATCH after completion")
def _(w: World) -> None:
    _, location, data = _finished(w)
    r = w.tus("PATCH", location, data=b"x", offset=len(data))
    assert (r.status_code, r.text) == (409, "The resource already exists")


@row(139, "TUS DELETE after completion")
def _(w: World) -> None:
    _, location, _ = _finished(w)
    r = w.tus("DELETE", location)
    assert (r.status_code, r.text) == (409, "The resource already exists")


@row(140, "TUS: download finished object")
def _(w: World) -> None:
    key, _, data = _finished(w)
    assert len(w.bucket().download(key)) == len(data)


@row(141, "TUS: bytes match")
def _(w: World) -> None:
    key, _, data = _finished(w)
    assert w.bucket().download(key) == data


@row(142, "TUS: info of finished object")
def _(w: World) -> None:
    key, _, data = _finished(w)
    info = w.bucket().info(key)
    assert set(info) == INFO_KEYS and info["metadata"] is None
    assert info["content_type"] == "application/octet-stream"
    assert info["cache_control"] == "max-age=3600" and info["size"] == len(data)
    # The recorded server's file backend answered an MD5 here; hosted Storage keeps TUS
    # uploads on S3 as multipart uploads (50 MiB parts), whose etag is this:
    assert info["etag"] == multipart_etag(data)


@row(146, "TUS DELETE (terminate) partial upload")
def _(w: World) -> None:
    _, location = _tus_started(w, 10)
    assert w.tus("DELETE", location).status_code == 204


@row(147, "TUS HEAD after DELETE")
def _(w: World) -> None:
    _, location = _tus_started(w, 10)
    w.tus("DELETE", location)
    assert w.tus("HEAD", location).status_code == 404


NOT_FOUND_URL = "The file for this url was not found"


@row(148, "TUS PATCH after DELETE")
def _(w: World) -> None:
    _, location = _tus_started(w, 10)
    w.tus("DELETE", location)
    r = w.tus("PATCH", location, data=b"x", offset=0)
    assert (r.status_code, r.text) == (404, NOT_FOUND_URL)


def _unknown(w: World) -> str:
    fake = base64.urlsafe_b64encode(f"{BUCKET}/{w.unique('u.bin')}/{uuid.uuid4()}".encode())
    return f"{w.base}/upload/resumable/{fake.decode().rstrip('=')}"


@row(149, "TUS HEAD unknown upload id")
def _(w: World) -> None:
    assert w.tus("HEAD", _unknown(w)).status_code == 404


@row(150, "TUS PATCH unknown upload id")
def _(w: World) -> None:
    r = w.tus("PATCH", _unknown(w), data=b"x", offset=0)
    assert (r.status_code, r.text) == (404, NOT_FOUND_URL)


@row(151, "TUS HEAD garbage upload id")
def _(w: World) -> None:
    assert w.tus("HEAD", f"{w.base}/upload/resumable/garbage!").status_code == 400


@row(152, "TUS POST into other user's folder")
def _(w: World) -> None:
    r = w.tus_create(w.key("x.bin", w.b), 10)
    assert (r.status_code, r.text) == (403, RLS)


@row(153, "TUS POST existing object, no upsert")
def _(w: World) -> None:
    key = _own(w)
    r = w.tus_create(key, 3)
    assert (r.status_code, r.text) == (409, "The resource already exists")


@row(154, "TUS POST existing object, x-upsert: true")
def _(w: World) -> None:
    assert w.tus_create(_own(w), 3, upsert=True).status_code == 201


@row(155, "TUS POST missing Tus-Resumable")
def _(w: World) -> None:
    with w.stack.http() as http:
        r = http.post(f"{w.base}/upload/resumable", headers={**w.headers(w.ta),
                                                             "Upload-Length": "3"})
    assert (r.status_code, r.text) == (412, "Tus-Resumable Required")


@row(156, "TUS POST Tus-Resumable 0.2.2")
def _(w: World) -> None:
    r = w.tus_create(w.unique("v.bin"), 3, **{"Tus-Resumable": "0.2.2"})
    assert (r.status_code, r.text) == (400, "Invalid tus-resumable")


@row(157, "TUS POST no Upload-Length")
def _(w: World) -> None:
    with w.stack.http() as http:
        r = http.post(f"{w.base}/upload/resumable", headers=w.tus_headers(w.ta))
    assert (r.status_code, r.text) == (400, "Upload-Length or Upload-Defer-Length header required")


@row(158, "TUS POST Upload-Length over global limit (60 MiB)")
def _(w: World) -> None:
    r = w.tus_create(w.unique("huge.bin"), 60 * MiB)
    assert (r.status_code, r.text) == (413, "Maximum size exceeded")


@row(159, "TUS POST no objectName")
def _(w: World) -> None:
    meta = f"bucketName {base64.b64encode(BUCKET.encode()).decode()}"
    with w.stack.http() as http:
        r = http.post(f"{w.base}/upload/resumable", headers=w.tus_headers(
            w.ta, **{"Upload-Length": "3", "Upload-Metadata": meta}))
    assert (r.status_code, r.text) == (400, "Invalid key: ")


@row(160, "TUS POST bucket missing")
def _(w: World) -> None:
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}"
                    for k, v in (("bucketName", "no-such-bucket"), ("objectName", "a/b")))
    with w.stack.http() as http:
        r = http.post(f"{w.base}/upload/resumable", headers=w.tus_headers(
            w.ta, **{"Upload-Length": "3", "Upload-Metadata": meta}))
    assert (r.status_code, r.text) == (404, "Bucket not found")


@row(161, "TUS POST objectName with ../")
def _(w: World) -> None:
    r = w.tus_create(f"{w.a}/{w.run}/../{w.b}/evil.bin", 3)
    assert (r.status_code, r.text) == (403, RLS)


@row(162, "TUS POST objectName non-ASCII")
def _(w: World) -> None:
    key = f"{w.a}/{w.run}/café.bin"
    r = w.tus_create(key, 3)
    assert (r.status_code, r.text) == (400, f"Invalid key: {key}")


@row(163, "TUS POST expired JWT")
def _(w: World) -> None:
    envelope(w.tus_create(w.unique("x.bin"), 3, w.expired()), *EXPIRED)


@row(164, "TUS POST bad signature")
def _(w: World) -> None:
    envelope(w.tus_create(w.unique("x.bin"), 3, w.forged()), "403", "Unauthorized",
             "AccessDenied", "signature verification failed")


@row(165, "TUS POST missing Authorization")
def _(w: World) -> None:
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}"
                    for k, v in (("bucketName", BUCKET), ("objectName", w.unique("x"))))
    with w.stack.http() as http:
        r = http.post(f"{w.base}/upload/resumable", headers={
            "Tus-Resumable": "1.0.0", "apikey": w.stack.anon_key, "Upload-Length": "3",
            "Upload-Metadata": meta})
    envelope(r, "403", "Unauthorized", "AccessDenied", "Invalid Compact JWS")


@row(166, "TUS POST creation-with-upload (whole 5 bytes)")
def _(w: World) -> None:
    key = w.unique("cwu.bin")
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}"
                    for k, v in (("bucketName", BUCKET), ("objectName", key)))
    with w.stack.http() as http:
        r = http.post(f"{w.base}/upload/resumable", content=b"12345", headers=w.tus_headers(
            w.ta, **{"Upload-Length": "5", "Upload-Metadata": meta, "Content-Type": OCTETS}))
    assert r.status_code == 201 and r.headers["upload-offset"] == "5"
    assert w.bucket().download(key) == b"12345"  # row 167: the object exists


@row(168, "TUS POST 0-byte upload")
def _(w: World) -> None:
    key, _ = _tus_started(w, 0, "zero.bin")
    assert w.bucket().exists(key) is True  # row 169: the object exists after the POST


@row(170, "TUS POST /sign with x-signature")
def _(w: World) -> None:
    key = w.unique("signed.bin")
    token = _signed_upload(w, key)["token"]
    meta = _b64_pairs(("bucketName", BUCKET), ("objectName", key))
    with w.stack.http() as http:  # no Authorization: the signature is the permission
        r = http.post(f"{w.base}/upload/resumable/sign", headers={
            "Tus-Resumable": "1.0.0", "apikey": w.stack.anon_key, "x-signature": token,
            "Upload-Length": "3", "Upload-Metadata": meta})
        assert r.status_code == 201, r.text
        location = r.headers["location"]
        assert f"{w.base}/upload/resumable/sign/" in location
        sig = {"Tus-Resumable": "1.0.0", "apikey": w.stack.anon_key, "x-signature": token}
        head = http.head(location, headers=sig)
        assert head.headers["upload-offset"] == "0" and head.headers["upload-length"] == "3"
        done = http.patch(location, content=b"abc", headers={
            **sig, "Upload-Offset": "0", "Content-Type": OCTETS})
        assert done.status_code == 204 and done.headers["upload-offset"] == "3"
        # The signature is bound to its object and must be present.
        other = http.post(f"{w.base}/upload/resumable/sign", headers={
            **sig, "Upload-Length": "3",
            "Upload-Metadata": _b64_pairs(("bucketName", BUCKET),
                                          ("objectName", w.unique("other.bin")))})
        missing = http.post(f"{w.base}/upload/resumable/sign", headers={
            "Tus-Resumable": "1.0.0", "Upload-Length": "3", "Upload-Metadata": meta})
    assert w.download_as_service(key) == b"abc"
    info = w.bucket().info(key)  # owned by the signer, readable by them through RLS
    assert info["size"] == 3 and info["etag"] == multipart_etag(b"abc")
    assert (other.status_code, other.text) == (400, "Invalid signature")
    assert (missing.status_code, missing.text) == (400, "Missing x-signature header")


@row(171, "TUS race: first finishes; 172 second finishes (no upsert)")
def _(w: World) -> None:
    key = w.unique("race.bin")
    first = w.tus_create(key, 4).headers["location"]
    second = w.tus_create(key, 4).headers["location"]
    r1 = w.tus("PATCH", first, data=b"1111", offset=0)
    assert r1.status_code == 204 and r1.headers["upload-offset"] == "4"
    r2 = w.tus("PATCH", second, data=b"2222", offset=0)
    assert (r2.status_code, r2.text) == (409, "The resource already exists")


def _over_existing(w: World) -> tuple[str, str]:
    key = w.unique("up.bin")
    w.bucket().upload(key, b"old bytes")
    created = w.tus_create(key, 3, upsert=True)
    assert created.status_code == 201
    return key, created.headers["location"]


@row(173, "TUS upsert (x-upsert on POST only): PATCH, bytes, HEAD, DELETE (173-177)")
def _(w: World) -> None:
    key, location = _over_existing(w)
    r = w.tus("PATCH", location, data=b"new", offset=0)
    assert (r.status_code, r.text) == (409, "The resource already exists")
    assert w.download_as_service(key) == b"old bytes"  # 174
    assert w.tus("HEAD", location).headers["upload-offset"] == "0"  # 175
    d = w.tus("DELETE", location)
    assert (d.status_code, d.text) == (409, "The resource already exists")  # 176
    assert w.exists(key)  # 177


@row(178, "TUS upsert (x-upsert on every request): PATCH, bytes, HEAD, DELETE (178-182)")
def _(w: World) -> None:
    key, location = _over_existing(w)
    r = w.tus("PATCH", location, data=b"new", offset=0, upsert=True)
    assert r.status_code == 204 and r.headers["upload-offset"] == "3"
    assert w.download_as_service(key) == b"new"  # 179
    tus_state(w.tus("HEAD", location, upsert=True), key, 3, 3)  # 180
    d = w.tus("DELETE", location, upsert=True)
    assert (d.status_code, d.text) == (400, "Cannot terminate an already completed upload")
    assert w.exists(key)  # 182


# Rows 143-145 (one 7 MiB PATCH accepted, then the offsets built on it) come from the
# real server's file backend; hosted S3 refuses chunks over 6 MiB, as the local stack does.
NOT_HELD = {143, 144, 145}


@pytest.mark.parametrize("check", ROWS)
def test_row(world: World, check: Callable[[World], None]) -> None:
    check(world)


def test_the_table_covers_the_reference() -> None:
    numbers = {int(param.id.split(" ", 1)[0]) for param in ROWS}
    # Rows checked inside another row's case (later steps of the same scenario).
    numbers |= {167, 169, 172, 174, 175, 176, 177, 179, 180, 181, 182}
    missing = set(range(1, 183)) - numbers - NOT_HELD
    assert not missing, f"rows without a case: {sorted(missing)}"


# ---------------------------------------------------------------- beyond the table
# Behaviour the recorded server showed in its headers and Storage's source defines.

def test_a_deferred_length_upload_is_declared_by_a_later_patch(world: World) -> None:
    w = world
    key = w.unique("deferred.bin")
    meta = _b64_pairs(("bucketName", BUCKET), ("objectName", key),
                      ("contentType", "model/stl"), ("cacheControl", "60"))
    with w.stack.http() as http:
        created = http.post(f"{w.base}/upload/resumable", headers=w.tus_headers(
            w.ta, **{"Upload-Defer-Length": "1", "Upload-Metadata": meta}))
        assert created.status_code == 201, created.text
        location = created.headers["location"]
        head = w.tus("HEAD", location)
        assert head.headers["upload-defer-length"] == "1" and "upload-length" not in head.headers
        assert head.headers["upload-metadata"] == _b64_pairs(
            ("bucketName", BUCKET), ("objectName", key), ("contentType", "model/stl"),
            ("cacheControl", "max-age=60"))
        first = w.tus("PATCH", location, data=b"abc", offset=0)
        assert first.status_code == 204 and first.headers["upload-offset"] == "3"
        assert not w.exists(key)  # the length is not known yet: nothing is finished
        last = w.tus("PATCH", location, data=b"de", offset=3, **{"Upload-Length": "5"})
        assert last.status_code == 204 and last.headers["upload-offset"] == "5"
        again = w.tus("PATCH", location, data=b"", offset=5, **{"Upload-Length": "5"})
        both = http.post(f"{w.base}/upload/resumable", headers=w.tus_headers(
            w.ta, **{"Upload-Defer-Length": "1", "Upload-Length": "5",
                     "Upload-Metadata": meta}))
        bad = http.post(f"{w.base}/upload/resumable", headers=w.tus_headers(
            w.ta, **{"Upload-Defer-Length": "2", "Upload-Metadata": meta}))
    assert w.download_as_service(key) == b"abcde"
    info = w.bucket().info(key)
    assert info["etag"] == multipart_etag(b"abcde") and info["cache_control"] == "max-age=60"
    assert again.status_code == 409  # finished: the object exists
    assert (both.status_code, both.text) == (
        400, "Upload-Length or Upload-Defer-Length header required")
    assert (bad.status_code, bad.text) == (400, "Invalid upload-defer-length")


def test_a_deferred_length_over_the_limit_is_refused(world: World) -> None:
    w = world
    key = w.unique("later.bin")
    meta = _b64_pairs(("bucketName", BUCKET), ("objectName", key))
    with w.stack.http() as http:
        location = http.post(f"{w.base}/upload/resumable", headers=w.tus_headers(
            w.ta, **{"Upload-Defer-Length": "1", "Upload-Metadata": meta})).headers["location"]
    r = w.tus("PATCH", location, data=b"x", offset=0, **{"Upload-Length": str(60 * MiB)})
    assert (r.status_code, r.text) == (413, "Maximum size exceeded")


def test_an_uploaded_x_robots_tag_is_served_and_a_bad_one_refused(world: World) -> None:
    w = world
    key = w.unique("robots.txt")
    assert w.put(key, b"r", "text/plain", **{"x-robots-tag": "noindex, nofollow"}
                 ).status_code == 200
    r = w.request("GET", f"/object/{BUCKET}/{quote(key)}", w.ta)
    assert r.headers["x-robots-tag"] == "noindex, nofollow"
    bad = w.put(w.unique("robots.txt"), b"r", "text/plain", **{"x-robots-tag": "index-me"})
    envelope(bad, "400", "invalid_x_robots_tag", "InvalidRequest",
             'Invalid X-Robots-Tag header: Invalid X-Robots-Tag rule: "index-me"')


def test_html_would_be_served_as_plain_text() -> None:
    # The designs bucket refuses text/html at upload; the renderer's rule stands anyway.
    from wyntek_localstack.storage.headers import served_content_type
    assert served_content_type("text/html; charset=utf-8") == "text/plain"
    assert served_content_type("model/stl") == "model/stl"


def test_a_tus_upload_over_several_parts_has_their_multipart_etag() -> None:
    data = bytes(range(256)) * 40
    from wyntek_localstack.storage.blobs import MultipartEtag
    etag = MultipartEtag(1000)
    for i in range(0, len(data), 333):  # any chunking gives the same parts
        etag.update(data[i:i + 333])
    assert f'"{etag.hexdigest()}"' == multipart_etag(data, 1000)
    assert etag.hexdigest().endswith("-11")
