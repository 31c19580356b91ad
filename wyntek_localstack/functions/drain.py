"""The local stand-in for the hosted pg_cron job: while email is due in email_outbox,
call the send-email function the way pg_net would (HTTP POST with the service role key)."""

from __future__ import annotations

import logging
import threading
from typing import Any

import httpx
import psycopg

log = logging.getLogger(__name__)

_DUE = """select exists (select 1 from public.email_outbox
                          where (status = 'pending' and next_attempt_at <= now())
                             or (status = 'sending' and locked_until < now()))"""


class EmailDrain:
    def __init__(self, dsn: str, function_url: str, service_role_key: str, *,
                 interval: float = 1.0, verify: Any = True) -> None:
        self.dsn, self.function_url, self.key = dsn, function_url, service_role_key
        self.interval, self.verify = interval, verify
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="email-drain", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(15)

    def _run(self) -> None:
        conn: psycopg.Connection[Any] | None = None
        with httpx.Client(verify=self.verify, timeout=60) as http:
            while not self._stop.wait(self.interval):
                try:
                    if conn is None or conn.closed:
                        conn = psycopg.connect(self.dsn, autocommit=True)
                    row = conn.execute(_DUE).fetchone()
                    if row and row[0]:
                        http.post(self.function_url,
                                  headers={"Authorization": f"Bearer {self.key}"})
                except (psycopg.Error, httpx.HTTPError) as exc:
                    log.warning("email drain: %s", exc)
                    if conn is not None:
                        conn.close()
                        conn = None
        if conn is not None:
            conn.close()
