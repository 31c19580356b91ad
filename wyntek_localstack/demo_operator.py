"""The demo's simulated shop floor: the demo operator moves the demo account's jobs along
the lifecycle.

Every ``interval`` seconds each job assigned to operator@wyntek.local (``demo_shop``
assigns the demo account's jobs) whose last change is at least that old moves one step
(submitted → reviewing → in_production → shipped → completed) with a note for its
history. It calls ``advance_job`` as that operator — role ``authenticated`` with the
operator's JWT claims, as PostgREST would — so RLS, the lifecycle rules and the
history's ``actor`` (operator) are exactly those of a person at the Operations page. A
submitted job moves only once the intake worker verified it, as the database requires.
"""

from __future__ import annotations

import json
import logging
import threading

import psycopg

from .demo_shop import OPERATOR_EMAIL

log = logging.getLogger(__name__)

NEXT_STATUS = {"submitted": "reviewing", "reviewing": "in_production",
               "in_production": "shipped", "shipped": "completed"}
NOTES = {
    "reviewing": "The shop is reviewing your files.",
    "in_production": "Your parts are being made.",
    "shipped": "Your parts are on their way.",
    "completed": "Delivered. The files are kept 12 months for repeat orders and warranty "
                 "claims.",
}

# Read through the operator's own view: RLS shows only the jobs assigned to them.
_DUE = """
select j.id, j.status from public.operator_jobs j
 where j.status = any(%(movable)s)
   and (j.status <> 'submitted' or j.verification in ('passed', 'adjusted'))
   and j.updated_at <= now() - make_interval(secs => %(interval)s)
 order by j.updated_at limit 50
"""


def operator_claims(operator_id: str) -> dict[str, object]:
    return {"sub": operator_id, "role": "authenticated", "aud": "authenticated",
            "email": OPERATOR_EMAIL,
            "app_metadata": {"provider": "email", "providers": ["email"], "role": "operator"}}


class DemoOperator:
    """A background thread; ``stop()`` ends it (within one database round trip)."""

    def __init__(self, dsn: str, interval: float, operator_id: str) -> None:
        self.dsn, self.interval = dsn, interval
        self.claims = json.dumps(operator_claims(operator_id))
        self.operator_id = operator_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-operator", daemon=True)

    def start(self) -> DemoOperator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                moved = self.advance_due()
            except psycopg.Error as exc:  # the database restarting: try again next round
                log.warning("demo operator: %s", exc)
                continue
            if moved:
                log.info("demo operator moved %d job(s)", moved)

    def _as_operator(self, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        conn.execute("select set_config('role', 'authenticated', true), "
                     "set_config('request.jwt.claims', %s, true), "
                     "set_config('request.jwt.claim.sub', %s, true), "
                     "set_config('request.jwt.claim.role', 'authenticated', true)",
                     (self.claims, self.operator_id))

    def advance_due(self) -> int:
        """Move every due job one step; the number moved."""
        moved = 0
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            with conn.transaction():
                self._as_operator(conn)
                due = conn.execute(_DUE, {"movable": list(NEXT_STATUS),
                                          "interval": self.interval}).fetchall()
            for job_id, status in due:
                target = NEXT_STATUS[str(status)]
                try:
                    with conn.transaction():
                        self._as_operator(conn)
                        conn.execute("select public.advance_job(%s, %s, %s)",
                                     (job_id, target, NOTES[target]))
                except psycopg.Error as exc:
                    if exc.sqlstate in ("PT409", "42501"):  # changed meanwhile (cancelled)
                        log.info("demo operator: job %s not moved: %s", job_id, exc)
                        continue
                    raise
                moved += 1
        return moved
