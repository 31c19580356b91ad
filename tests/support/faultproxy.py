"""A fault-injecting HTTP/1.1 proxy on 127.0.0.1 for upload tests.

The client speaks plain HTTP to the proxy; the proxy forwards the bytes to the
upstream (optionally over TLS, so the HTTPS local stack can sit behind it). It parses
just enough HTTP/1.1 to know where requests and responses end, so faults hit exact
places:

- ``reset_after(n, method="PATCH")``: reset the connection once ``n`` request-body
  bytes of matching requests went through (counted from the moment of arming);
- ``drop_response(method, path_part)``: forward the request, let the server finish it,
  then reset the client connection instead of answering ("the server committed, the
  client never heard");
- ``fail(method, status, count)``: answer matching requests with ``status`` without
  forwarding them (500/502/503 from a gateway, 409, 410, ...);
- ``offline = True``: refuse new connections and cut open ones;
- ``throttle(bytes_per_second)``: slow request bodies down;
- ``before(method, path_part, action)``: run ``action()`` (in the proxy's thread) just
  before a matching request is forwarded, to change the server's state at an exact
  moment of the client's protocol.

Counters: ``body_bytes[method]`` (request body bytes forwarded upstream), ``log``
(method, path, status, body bytes forwarded) of every exchange; status -1 means the
request was cut by a reset, -2 that its response was dropped.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field


class _Reset(Exception):
    pass


@dataclass
class _Rule:
    kind: str                     # "reset", "drop", "fail", "before"
    method: str
    path_part: str = ""
    count: int = 1
    status: int = 0
    at: int = 0                   # reset: body bytes after arming
    seen: int = 0
    action: Callable[[], None] | None = None  # before: what to run

    def matches(self, method: str, path: str) -> bool:
        return self.count > 0 and method == self.method and self.path_part in path


@dataclass
class FaultProxy:
    upstream_host: str
    upstream_port: int
    upstream_tls: ssl.SSLContext | None = None
    offline: bool = False
    rules: list[_Rule] = field(default_factory=list)
    body_bytes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    log: list[tuple[str, str, int, int]] = field(default_factory=list)
    bytes_per_second: float | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._stopped = False
        threading.Thread(target=self._accept_loop, daemon=True, name="faultproxy").start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- arming faults ---------------------------------------------------------------
    def reset_after(self, nbytes: int, method: str = "PATCH", path_part: str = "") -> None:
        with self._lock:
            self.rules.append(_Rule("reset", method, path_part, at=nbytes))

    def drop_response(self, method: str, path_part: str = "", count: int = 1) -> None:
        with self._lock:
            self.rules.append(_Rule("drop", method, path_part, count=count))

    def fail(self, method: str, status: int, count: int = 1, path_part: str = "") -> None:
        with self._lock:
            self.rules.append(_Rule("fail", method, path_part, count=count, status=status))

    def before(self, method: str, path_part: str, action: Callable[[], None],
               count: int = 1) -> None:
        with self._lock:
            self.rules.append(_Rule("before", method, path_part, count=count, action=action))

    def throttle(self, bytes_per_second: float | None) -> None:
        self.bytes_per_second = bytes_per_second

    def pending(self) -> list[_Rule]:
        with self._lock:
            return [r for r in self.rules if r.count > 0]

    def set_offline(self, offline: bool) -> None:
        self.offline = offline
        if offline:
            self._cut_all()

    def close(self) -> None:
        self._stopped = True
        self._listener.close()
        self._cut_all()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- plumbing --------------------------------------------------------------------
    def _cut_all(self) -> None:
        with self._lock:
            conns = list(self._open)
        for conn in conns:
            _reset(conn)

    def _accept_loop(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.offline:
                _reset(client)
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _connect_upstream(self) -> socket.socket:
        raw = socket.create_connection((self.upstream_host, self.upstream_port), timeout=60)
        if self.upstream_tls is None:
            return raw
        try:
            return self.upstream_tls.wrap_socket(raw, server_hostname=self.upstream_host)
        except BaseException:
            raw.close()
            raise

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = self._connect_upstream()
        except OSError:
            _reset(client)
            return
        with self._lock:
            self._open.update((client, upstream))
        creader, ureader = _Reader(client), _Reader(upstream)
        try:
            while not self.offline:
                head = creader.head()
                if head is None:
                    break
                if not self._exchange(head, creader, ureader, client, upstream):
                    break
        except (_Reset, OSError):
            pass
        finally:
            with self._lock:
                self._open.discard(client)
                self._open.discard(upstream)
            _reset(client)
            with contextlib.suppress(OSError):
                upstream.close()

    def _take(self, kind: str, method: str, path: str) -> _Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.kind == kind and rule.matches(method, path):
                    if kind != "reset":
                        rule.count -= 1
                    return rule
        return None

    def _exchange(self, head: bytes, creader: _Reader, ureader: _Reader,
                  client: socket.socket, upstream: socket.socket) -> bool:
        method, path, headers = _parse_head(head)
        hook = self._take("before", method, path)
        if hook is not None and hook.action is not None:
            hook.action()
        failing = self._take("fail", method, path)
        if failing is not None:
            for _ in creader.body(headers, method_or_status=method):
                pass
            text = f"injected {failing.status}".encode()
            client.sendall(b"HTTP/1.1 %d Injected\r\nContent-Type: text/plain\r\n"
                           b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                           % (failing.status, len(text), text))
            self.log.append((method, path, failing.status, 0))
            return False
        upstream.sendall(head)
        reset_rule = self._take("reset", method, path)
        forwarded = 0
        for piece in creader.body(headers, method_or_status=method):
            if reset_rule is not None and reset_rule.count > 0:
                left = reset_rule.at - reset_rule.seen
                if len(piece) >= left:
                    if left > 0:
                        upstream.sendall(piece[:left])
                        self.body_bytes[method] += left
                    reset_rule.count = 0
                    self.log.append((method, path, -1, forwarded + max(left, 0)))
                    raise _Reset
                reset_rule.seen += len(piece)
            upstream.sendall(piece)
            self.body_bytes[method] += len(piece)
            forwarded += len(piece)
            if self.bytes_per_second:
                time.sleep(len(piece) / self.bytes_per_second)
        rhead = ureader.head()
        if rhead is None:
            raise _Reset
        status, rheaders = _parse_status(rhead)
        dropping = self._take("drop", method, path)
        out = [] if dropping is not None else None
        if out is None:
            client.sendall(rhead)
        framing = "HEAD" if method == "HEAD" else status
        for piece in ureader.body(rheaders, method_or_status=framing):
            if out is None:
                client.sendall(piece)
        self.log.append((method, path, status if dropping is None else -2, forwarded))
        if dropping is not None:
            raise _Reset
        return rheaders.get("connection", "").lower() != "close"


class _Reader:
    """Buffered reads of heads and framed bodies from one socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _fill(self) -> bool:
        data = self.sock.recv(256 * 1024)
        if not data:
            return False
        self.buf += data
        return True

    def head(self) -> bytes | None:
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                return None
        end = self.buf.index(b"\r\n\r\n") + 4
        head, self.buf = self.buf[:end], self.buf[end:]
        return head

    def _exact(self, n: int) -> Iterator[bytes]:
        while n > 0:
            if not self.buf and not self._fill():
                raise _Reset
            piece, self.buf = self.buf[:n], self.buf[n:]
            n -= len(piece)
            yield piece

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            if not self._fill():
                raise _Reset
        end = self.buf.index(b"\r\n") + 2
        line, self.buf = self.buf[:end], self.buf[end:]
        return line

    def body(self, headers: dict[str, str], method_or_status: str | int) -> Iterator[bytes]:
        if method_or_status == "HEAD" or method_or_status in (204, 304) or (
                isinstance(method_or_status, int) and method_or_status < 200):
            return
        if "chunked" in headers.get("transfer-encoding", "").lower():
            while True:
                line = self._line()
                yield line
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while (trailer := self._line()) != b"\r\n":
                        yield trailer
                    yield b"\r\n"
                    return
                yield from self._exact(size + 2)
        elif "content-length" in headers:
            yield from self._exact(int(headers["content-length"]))
        elif isinstance(method_or_status, int):  # a response without length: until close
            while self.buf or self._fill():
                piece, self.buf = self.buf, b""
                yield piece


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    return method, path, _headers(lines[1:])


def _parse_status(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    return int(lines[0].split(" ", 2)[1]), _headers(lines[1:])


def _headers(lines: list[str]) -> dict[str, str]:
    out = {}
    for line in lines:
        if ":" in line:
            name, _, value = line.partition(":")
            out[name.strip().lower()] = value.strip()
    return out


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0), like a dropped network path."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()
