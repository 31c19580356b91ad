"""A job is sent by one process at a time; a killed holder frees it."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from wyntek_desktop.upload.joblock import JobLocks

HOLDER = """
import sys, time
from pathlib import Path
from wyntek_desktop.upload.joblock import JobLocks
locks = JobLocks(Path(sys.argv[1]))
assert locks.acquire("job-1")
print("held", flush=True)
time.sleep(60)
"""


def test_a_job_held_by_another_process_is_skipped_until_it_dies(tmp_path: Path) -> None:
    # as a context manager: its pipe is closed whatever happens
    with subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)],
                          stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            locks = JobLocks(tmp_path)
            assert not locks.acquire("job-1")
            assert locks.acquire("job-2")
            holder.send_signal(signal.SIGKILL)
            holder.wait(10)
            assert locks.acquire("job-1")
            locks.release("job-1")
            locks.release("job-2")
            locks.forget({"job-1"})
            assert [p.name for p in tmp_path.iterdir()] == ["job-2.lock"]
        finally:
            holder.kill()
