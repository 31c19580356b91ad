"""Run the local stack in-process: Postgres, then the ASGI app on a uvicorn thread."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol, cast

import uvicorn

from .context import DEFAULT_MAX_FILE_SIZE, DEFAULT_TUS_PART_SIZE, Context, Settings
from .keys import Keys, load_or_create
from .pg import Pool

DEMO_EMAIL = "demo@wyntek.local"
DEMO_TOKENS = 500
STARTUP_TIMEOUT = 60.0


class DatabaseLike(Protocol):
    @property
    def dsn(self) -> str: ...

    def start(self) -> Any: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class ServeInfo:
    url: str
    anon_key: str
    service_role_key: str
    data_dir: str
    demo_password: str | None = None
    stripe_webhook_secret: str | None = None
    database_url: str | None = None
    operator_password: str | None = None  # operator@wyntek.local, with --demo

    def to_json(self) -> str:
        data = {k: v for k, v in asdict(self).items() if v is not None}
        return json.dumps(data)


class StartupError(RuntimeError):
    """The stack could not start; the message says why."""


def _default_database(data_dir: Path) -> DatabaseLike:
    from .database import Database
    db: DatabaseLike = Database(data_dir)
    return db


class LocalStack:
    """Postgres plus the HTTP services; `start()` returns the connection info.

    With `data_dir=None` everything lives in a temporary folder removed by `stop()`.
    """

    def __init__(self, data_dir: Path | str | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, tls_cert: Path | str | None = None,
                 tls_key: Path | str | None = None, demo: bool = False,
                 jwt_expiry: int = 3600, tus_expiry: int = 86400,
                 refresh_reuse_interval: int = 10, worker: bool = True,
                 max_file_size: int = DEFAULT_MAX_FILE_SIZE,
                 tus_part_size: int = DEFAULT_TUS_PART_SIZE,
                 demo_operator: float | None = None,
                 database_factory: Callable[[Path], DatabaseLike] | None = None) -> None:
        if (tls_cert is None) != (tls_key is None):
            raise ValueError("TLS needs both a certificate and a key file.")
        self._owns_dir = data_dir is None
        self.data_dir = Path(data_dir) if data_dir is not None else Path(
            tempfile.mkdtemp(prefix="wyntek-localstack-"))
        self.host, self.port = host, port
        self.tls_cert, self.tls_key = tls_cert, tls_key
        self.demo = demo
        self.jwt_expiry, self.tus_expiry = jwt_expiry, tus_expiry
        self.refresh_reuse_interval = refresh_reuse_interval
        self.worker, self._worker = worker, cast(Any, None)  # the service worker (wyntek_service)
        self.max_file_size = max_file_size
        self.tus_part_size = tus_part_size
        self.demo_operator = demo_operator  # seconds between a demo job's steps
        self._operator: Any = None
        self._database_factory = database_factory or _default_database
        self._db: DatabaseLike | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._ctx: Context | None = None
        self._edge: Any = None
        self.info: ServeInfo | None = None
        self.keys: Keys | None = None

    # -- lifecycle
    def start(self) -> ServeInfo:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> ServeInfo:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        keys = self.keys = load_or_create(self.data_dir)
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto says TCP, and without it small responses stall on delayed ACKs (~40 ms).
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET,
                             socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, self.port))
        self._sock = sock
        port = sock.getsockname()[1]
        scheme = "https" if self.tls_cert else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        url = f"{scheme}://{host}:{port}"

        # Half-received uploads from a previous run are useless: their requests failed.
        shutil.rmtree(self.data_dir / "storage" / ".incoming", ignore_errors=True)
        self._db = self._database_factory(self.data_dir)
        self._db.start()
        demo_password = asyncio.run(self._ensure_demo(keys)) if self.demo else None
        operator_id = operator_password = None
        if self.demo:
            from .demo_shop import ensure_demo_operator
            operator_id, operator_password = asyncio.run(ensure_demo_operator(
                self._db.dsn, self.data_dir, _write_private_json))

        settings = Settings(data_dir=self.data_dir, jwt_expiry=self.jwt_expiry,
                            tus_expiry=self.tus_expiry, public_url=url,
                            refresh_reuse_interval=self.refresh_reuse_interval,
                            max_file_size=self.max_file_size,
                            tus_part_size=self.tus_part_size)
        ctx = self._ctx = Context(settings=settings, keys=keys, pool=Pool(self._db.dsn))
        self._edge = _start_edge(ctx, self._db.dsn)
        from .app import build_app
        config = uvicorn.Config(
            build_app(ctx), log_level="warning", access_log=False, lifespan="on",
            http="h11", ssl_certfile=str(self.tls_cert) if self.tls_cert else None,
            ssl_keyfile=str(self.tls_key) if self.tls_key else None,
            timeout_graceful_shutdown=5,
        )
        server = self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                        name="localstack-http", daemon=True)
        self._thread.start()
        waited = 0.0
        while not server.started:
            if not self._thread.is_alive():
                raise StartupError("The HTTP server stopped during start-up; see the log above.")
            if waited > STARTUP_TIMEOUT:
                raise StartupError("The HTTP server did not start within a minute.")
            self._thread.join(0.01)
            waited += 0.01
        self.info = ServeInfo(url, keys.anon_key, keys.service_role_key, str(self.data_dir),
                              demo_password, self._edge.webhook_secret,
                              database_url=self._db.dsn,
                              operator_password=operator_password)
        if self.worker:
            from wyntek_service.embedded import EmbeddedWorker
            self._worker = EmbeddedWorker(url, keys.service_role_key, self._db.dsn,
                                          ca_file=self.tls_cert,
                                          log_path=self.data_dir / "worker.log")
        if self.demo and self.demo_operator and operator_id:
            from .demo_operator import DemoOperator
            self._operator = DemoOperator(self._db.dsn, self.demo_operator,
                                          operator_id).start()
        return self.info

    def stop(self) -> None:
        if self._operator is not None:
            self._operator.stop()
            self._operator = None
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            deadline = time.monotonic() + 15
            while self._thread.is_alive() and time.monotonic() < deadline:
                self._abort_idle_connections()
                self._thread.join(0.1)
            self._thread = None
        self._server = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._edge is not None:
            self._edge.stop()
            self._edge = None
        if self._db is not None:
            self._db.stop()
            self._db = None
        if self._owns_dir and self.data_dir.exists():
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def _abort_idle_connections(self) -> None:
        """Drop keep-alive connections that carry no request.

        Closing an idle TLS connection politely waits for the client's close_notify,
        which an idle client never sends, so shutdown would sit out uvicorn's grace period.
        Requests in flight keep their connection until they finish.
        """
        server, ctx = self._server, self._ctx
        loop = ctx.loop if ctx is not None else None
        if server is None or loop is None or loop.is_closed():
            return

        def abort() -> None:
            for protocol in list(getattr(server.server_state, "connections", ())):
                cycle = getattr(protocol, "cycle", None)
                if cycle is None or getattr(cycle, "response_complete", False):
                    transport = getattr(protocol, "transport", None)
                    if transport is not None:
                        transport.abort()
        try:
            loop.call_soon_threadsafe(abort)
        except RuntimeError:  # the loop closed meanwhile
            pass

    def __enter__(self) -> ServeInfo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- demo account
    async def _ensure_demo(self, keys: Keys) -> str:
        """Create the demo account once (500 tokens through `grant_tokens`); reuse later.

        The password lives only in ``demo.json``. If that file is gone or unreadable while
        the account exists, the account gets a new password (its data and tokens stay) and
        the file is written again, so ``--demo`` never gets stuck on an existing account.
        """
        from psycopg import AsyncConnection
        from psycopg.rows import dict_row

        from .gotrue import create_user, hash_password, load_user_by_email
        path = self.data_dir / "demo.json"
        known = _read_demo_password(path)
        if known is not None:
            return known
        password = secrets.token_urlsafe(12)
        assert self._db is not None
        async with await AsyncConnection.connect(self._db.dsn, row_factory=dict_row) as conn:
            async with conn.transaction():
                existing = await load_user_by_email(conn, DEMO_EMAIL)
                if existing is not None:
                    await conn.execute(
                        "update auth.users set encrypted_password = %s, updated_at = now() "
                        "where id = %s", [await hash_password(password), existing["id"]])
                else:
                    user = await create_user(conn, email=DEMO_EMAIL, password=password,
                                             user_metadata={"display_name": "Demo Engineer"})
                    await conn.execute(
                        "select set_config('role', 'service_role', true), "
                        "set_config('request.jwt.claims', %s, true), "
                        "set_config('request.jwt.claim.role', 'service_role', true)",
                        [json.dumps({"role": "service_role"})])
                    await conn.execute("select public.grant_tokens(%s::uuid, %s, %s)",
                                       [str(user["id"]), DEMO_TOKENS, "grant"])
        _write_private_json(path, {"email": DEMO_EMAIL, "password": password})
        return password


def _start_edge(ctx: Context, dsn: str) -> Any:
    """Edge Functions under Deno with the Stripe and Resend stand-ins (SPEC 5.6)."""
    from .functions import start_edge
    return start_edge(ctx, dsn)


def _read_demo_password(path: Path) -> str | None:
    """The stored demo password, or None if the file is missing, unreadable or damaged."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    password = data.get("password") if isinstance(data, dict) else None
    return password if isinstance(password, str) and password else None


def _write_private_json(path: Path, data: dict[str, str]) -> None:
    """Write owner-only (0600) through a temporary file, so a crash never leaves half a file."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
