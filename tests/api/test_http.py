"""The configured HTTP client: proxy (setting and HTTPS_PROXY), CA bundle, never unverified."""

from __future__ import annotations

import os
import select
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator

import httpx
import pytest

from wyntek_desktop.api.failures import map_exception
from wyntek_desktop.api.http import make_http_client, ssl_context
from wyntek_desktop.core.settings import Settings


class _Tunnel(socketserver.BaseRequestHandler):
    """A minimal HTTP CONNECT proxy (what corporate proxies do for HTTPS)."""

    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        method, target, _ = head.split(b"\r\n", 1)[0].split(b" ", 2)
        if method != b"CONNECT":
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            return
        host, port = target.decode().rsplit(":", 1)
        self.server.tunnels.append(target.decode())  # type: ignore[attr-defined]
        upstream = socket.create_connection((host, int(port)))
        self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        sockets = [self.request, upstream]
        try:
            while True:
                readable, _, _ = select.select(sockets, [], [], 10)
                if not readable:
                    return
                for sock in readable:
                    try:
                        data = sock.recv(65536)
                    except OSError:  # the client gave up (e.g. a refused certificate)
                        return
                    if not data:
                        return
                    (upstream if sock is self.request else self.request).sendall(data)
        finally:
            upstream.close()


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[str]]]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Tunnel)
    server.daemon_threads = True
    server.tunnels = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", server.tunnels  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


def _materials(client: httpx.Client, stack) -> httpx.Response:
    return client.get(f"{stack.url}/rest/v1/materials?select=id",
                      headers={"apikey": stack.anon_key})


def test_proxy_setting_is_used(localstack, proxy) -> None:
    url, tunnels = proxy
    settings = Settings(proxy=url, ca_bundle=str(localstack.ca_path))
    with make_http_client(settings) as client:
        assert _materials(client, localstack).status_code in (200, 401)  # reached the server
    assert tunnels == [localstack.url.removeprefix("https://")]


def test_https_proxy_environment_is_honoured(localstack, proxy, monkeypatch) -> None:
    url, tunnels = proxy
    monkeypatch.setenv("HTTPS_PROXY", url)
    with make_http_client(Settings(ca_bundle=str(localstack.ca_path))) as client:
        assert _materials(client, localstack).status_code in (200, 401)  # reached the server
    assert len(tunnels) == 1


def test_tls_is_verified_through_the_proxy_too(localstack, proxy) -> None:
    url, tunnels = proxy
    with make_http_client(Settings(proxy=url)) as client, pytest.raises(httpx.ConnectError) \
            as info:
        _materials(client, localstack)
    assert tunnels and "certificate could not be verified" in str(map_exception(info.value))


def test_verification_is_always_on() -> None:
    with make_http_client(Settings()) as client:
        context = client._transport._pool._ssl_context  # type: ignore[attr-defined]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_a_ca_bundle_replaced_in_place_is_read_again(tmp_path) -> None:
    import trustme

    bundle = tmp_path / "org-ca.pem"
    first, second = trustme.CA(), trustme.CA()
    first.cert_pem.write_to_path(str(bundle))
    settings = Settings(ca_bundle=str(bundle))
    before = ssl_context(settings)
    second.cert_pem.write_to_path(str(bundle))
    os.utime(bundle, ns=(1, 1))  # a different time even on a coarse clock
    after = ssl_context(settings)
    new_der = ssl.PEM_cert_to_DER_cert(second.cert_pem.bytes().decode())
    assert new_der in after.get_ca_certs(binary_form=True)
    assert new_der not in before.get_ca_certs(binary_form=True)
    assert ssl_context(settings) is after  # unchanged file: the cached context


def test_a_damaged_ca_bundle_is_a_clear_settings_error(tmp_path) -> None:
    from wyntek_desktop.core.errors import ConfigError

    bundle = tmp_path / "damaged.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with pytest.raises(ConfigError) as refused:
        make_http_client(Settings(ca_bundle=str(bundle)))
    assert "damaged.pem" in str(refused.value) and "WYNTEK_CA_BUNDLE" in str(refused.value)
