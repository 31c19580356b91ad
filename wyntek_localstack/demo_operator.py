"""The demo's simulated shop floor: it moves the demo account's jobs along the lifecycle.

Every ``interval`` seconds each of the demo user's jobs whose last change is at least that
old moves one step (submitted → reviewing → in_production → shipped → completed), with a
note for its history. A submitted job moves only once the intake worker verified it, as
the database requires of any operator. Only the demo account's jobs are touched.
"""

from __future__ import annotations

import logging
import threading

import psycopg

log = logging.getLogger(__name__)

DEMO_EMAIL = "demo@wyntek.local"
NEXT_STATUS = {"submitted": "reviewing", "reviewing": "in_production",
               "in_production": "shipped", "shipped": "completed"}
NOTES = {
    "reviewing": "The shop is reviewing your files.",
    "in_production": "Your parts are being made.",
    "shipped": "Your parts are on their way.",
    "completed": "Delivered. The files are kept 12 months for repeat orders and warranty "
                 "claims.",
}

_DUE = """
select j.id, j.status from public.jobs j join auth.users u on u.id = j.user_id
 where u.email = %(email)s and j.status = any(%(movable)s)
   and (j.status <> 'submitted' or j.verification in ('passed', 'adjusted'))
   and j.updated_at <= now() - make_interval(secs => %(interval)s)
 order by j.updated_at limit 50
"""


class DemoOperator:
    """A background thread; ``stop()`` ends it (within one database round trip)."""

    def __init__(self, dsn: str, interval: float) -> None:
        self.dsn, self.interval = dsn, interval
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

    def advance_due(self) -> int:
        """Move every due job one step; the number moved."""
        moved = 0
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            due = conn.execute(_DUE, {"email": DEMO_EMAIL, "movable": list(NEXT_STATUS),
                                      "interval": self.interval}).fetchall()
            for job_id, status in due:
                target = NEXT_STATUS[status]
                with conn.transaction():
                    conn.execute("select set_config('wyntek.event_note', %s, true)",
                                 (NOTES[target],))
                    # the status guard makes a job changed meanwhile (cancelled) a no-op
                    moved += conn.execute(
                        "update public.jobs set status = %s where id = %s and status = %s",
                        (target, job_id, status)).rowcount
        return moved
