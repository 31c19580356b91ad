"""The fault proxy itself: it forwards faithfully and injects exactly what it is told."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.support.faultproxy import FaultProxy


class _Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    received: list[tuple[str, int]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.received.append((self.command, len(body)))
        out = f"{self.command} {len(body)}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)

    do_GET = do_PATCH = do_POST = do_HEAD = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    _Echo.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with FaultProxy("127.0.0.1", server.server_address[1]) as p:
        yield p
    server.shutdown()
    server.server_close()  # its listening socket too


def test_forwards_requests_and_counts_body_bytes(proxy: FaultProxy) -> None:
    with httpx.Client(base_url=proxy.url) as http:
        assert http.patch("/x", content=b"a" * 100_000).text == "PATCH 100000"
        assert http.head("/x").status_code == 200
        assert http.get("/y").text == "GET 0"
    assert proxy.body_bytes["PATCH"] == 100_000
    assert [entry[0] for entry in proxy.log] == ["PATCH", "HEAD", "GET"]


def test_injects_statuses_without_forwarding(proxy: FaultProxy) -> None:
    proxy.fail("PATCH", 503, count=2)
    with httpx.Client(base_url=proxy.url) as http:
        assert http.patch("/x", content=b"abc").status_code == 503
        assert http.patch("/x", content=b"abc").status_code == 503
        assert http.patch("/x", content=b"abc").status_code == 200
    assert _Echo.received == [("PATCH", 3)]


def test_resets_after_a_number_of_body_bytes(proxy: FaultProxy) -> None:
    proxy.reset_after(150_000)
    with httpx.Client(base_url=proxy.url) as http:
        assert http.patch("/x", content=b"a" * 100_000).status_code == 200
        with pytest.raises(httpx.TransportError):
            http.patch("/x", content=b"a" * 100_000)
        assert http.patch("/x", content=b"a" * 10).status_code == 200  # one-shot
    assert proxy.body_bytes["PATCH"] == 150_010


def test_drops_a_response_after_the_server_handled_it(proxy: FaultProxy) -> None:
    proxy.drop_response("POST", "/rpc")
    with httpx.Client(base_url=proxy.url) as http:
        with pytest.raises(httpx.TransportError):
            http.post("/rpc/x", content=b"{}")
        assert http.post("/rpc/x", content=b"{}").status_code == 200
    assert _Echo.received == [("POST", 2), ("POST", 2)]  # the server saw both


def test_offline_refuses_connections(proxy: FaultProxy) -> None:
    proxy.set_offline(True)
    with httpx.Client(base_url=proxy.url) as http, pytest.raises(httpx.TransportError):
        http.get("/x")
    proxy.set_offline(False)
    with httpx.Client(base_url=proxy.url) as http:
        assert http.get("/x").status_code == 200
