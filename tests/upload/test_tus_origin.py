"""An upload URL may only lead to the configured storage origin (it carries the token).

``httpx.MockTransport`` records which requests would have left the machine; nothing
here talks to a server.
"""

from __future__ import annotations

import httpx
import pytest

from wyntek_desktop.core.errors import ServerError
from wyntek_desktop.upload.tus import TusClient

STORAGE = "https://storage.example.test/storage/v1"


def _client(seen: list[httpx.Request], location: str = "") -> TusClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(201, headers={"Location": location})
        return httpx.Response(200, headers={"Upload-Offset": "0", "Upload-Length": "10"})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    return TusClient(http, STORAGE, "anon", lambda: "secret-token")


@pytest.mark.parametrize("url", [
    "https://evil.example.net/uploads/abc",          # another host
    "http://storage.example.test/storage/v1/x",      # same host, plain HTTP
    "https://storage.example.test:8443/storage/v1/x",  # same host, another port
    "not a url",
])
def test_a_foreign_upload_url_is_refused_before_any_request(url: str) -> None:
    seen: list[httpx.Request] = []
    client = _client(seen)
    with pytest.raises(ServerError, match="another server"):
        client.head(url)
    assert seen == []  # the token never left


def test_create_refuses_a_location_on_another_origin() -> None:
    seen: list[httpx.Request] = []
    client = _client(seen, location="https://evil.example.net/tus/abc")
    with pytest.raises(ServerError, match="another server"):
        client.create("u/j/a.stl", 10, "model/stl")
    assert [r.url.host for r in seen] == ["storage.example.test"]  # only the POST


@pytest.mark.parametrize("url", [
    # a proxy or the local stack answers with the host the client used: same upload path
    "http://127.0.0.1:54321/storage/v1/upload/resumable/abc",
    "http://internal:5000/upload/resumable/abc",
])
def test_an_upload_path_is_rebased_onto_the_endpoint(url: str) -> None:
    seen: list[httpx.Request] = []
    client = _client(seen)
    assert client.rebase(url) == f"{STORAGE}/upload/resumable/abc"
    client.head(url)
    assert [str(r.url) for r in seen] == [f"{STORAGE}/upload/resumable/abc"]


@pytest.mark.parametrize("url", [
    f"{STORAGE}/other/abc",
    "HTTPS://Storage.Example.Test:443/storage/v1/other/abc",  # same origin, spelled otherwise
])
def test_a_url_on_the_endpoint_origin_is_used_as_is(url: str) -> None:
    seen: list[httpx.Request] = []
    assert _client(seen).rebase(url) == url


def test_a_relative_location_resolves_against_the_endpoint() -> None:
    seen: list[httpx.Request] = []
    url, _ = _client(seen, location="/storage/v1/upload/resumable/xyz").create(
        "u/j/a.stl", 10, "model/stl")
    assert url == f"{STORAGE}/upload/resumable/xyz"
