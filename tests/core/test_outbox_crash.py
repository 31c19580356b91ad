"""Kill a process that uses the outbox at many points; the reopened outbox is whole.

A child process runs a scripted life of three jobs and prints each step after it
returned (flushed). It is SIGKILLed at named checkpoints (``WYNTEK_CRASH_AT``) and at
seeded random moments. After every kill the outbox is reopened and checked: the
database is intact, every step the child reported is durable, every job has all its
files with the recorded size and SHA-256, offsets are in range, and no partial or
orphaned copy is left behind.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wyntek_desktop.core import outbox as ob
from wyntek_desktop.core.outbox import Outbox

CHILD = r"""
import os, sys
from pathlib import Path
from wyntek_desktop.core.outbox import Outbox, FileInput

db, src = Path(sys.argv[1]), Path(sys.argv[2])
def say(*words):  # one write() per line: a kill never leaves half a line
    os.write(1, (" ".join(map(str, words)) + "\n").encode())

box = Outbox.open(db)
for round_ in range(int(sys.argv[3])):
    a = box.add_job({"n": round_}, [FileInput(src / "a.stl", "model"), src / "b.pdf"])
    say("added", a.client_job_id, 2)
    p = box.add_job({"n": round_}, [src / "c.step"], copy=False)
    say("added", p.client_job_id, 1)
    box.set_state(a.client_job_id, "uploading"); say("state", a.client_job_id, "uploading")
    for f in a.files:
        box.start_upload(f, f"u/{a.client_job_id}/{f.storage_name}",
                         "https://h/storage/v1/upload/resumable/" + f.storage_name, 4e9)
        for off in range(0, f.size + 1, max(1, f.size // 3)):
            box.save_offset(f, off); say("offset", a.client_job_id, f.index, off)
        box.mark_verified(f); say("verified", a.client_job_id, f.index)
    box.set_state(a.client_job_id, "submitting"); say("state", a.client_job_id, "submitting")
    box.mark_submitted(a.client_job_id, {"id": "srv"}); say("state", a.client_job_id, "submitted")
    box.mark_failed(p.client_job_id, "x changed"); say("state", p.client_job_id, "failed")
    box.retry(p.client_job_id); say("state", p.client_job_id, "queued")
say("done")
"""

ORDER = {s: i for i, s in enumerate(
    ("queued", "uploading", "submitting", "submitted"))}
CHECKPOINTS = [
    "outbox.file_copied@1", "outbox.file_copied@2", "outbox.before_job_insert@1",
    "outbox.job_inserted@1", "outbox.files_in_place@1", "outbox.before_job_insert@2",
    "outbox.before_state_uploading", "outbox.after_state_uploading",
    "outbox.before_save_offset@3", "outbox.after_save_offset@5", "outbox.after_verified@1",
    "outbox.before_state_submitting", "outbox.before_submitted", "outbox.after_submitted",
    "outbox.before_state_failed", "outbox.after_state_failed", "outbox.before_state_queued",
    "outbox.file_copied@3", "outbox.files_in_place@2",
]


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.stl").write_bytes(os.urandom(700_000))
    (src / "b.pdf").write_bytes(os.urandom(3000))
    (src / "c.step").write_bytes(os.urandom(5000))
    return src


def _run_child(db: Path, src: Path, rounds: int, crash_at: str | None = None,
               kill_after: float | None = None) -> list[list[str]]:
    env = dict(os.environ, WYNTEK_CRASH_AT=crash_at or "")
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(src), str(rounds)],
                            stdout=subprocess.PIPE, text=True, env=env)
    if kill_after is not None:
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=60)
    if crash_at:
        assert proc.returncode == -signal.SIGKILL, f"{crash_at} was never reached"
    complete = out if out.endswith("\n") else out.rpartition("\n")[0]
    return [line.split() for line in complete.splitlines()]


def _check_invariants(db: Path, src: Path, reported: list[list[str]]) -> None:
    box = Outbox.open(db)
    try:
        assert box._conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        jobs = {j.client_job_id: j for j in box.jobs()}
        expected_sha = {n: hashlib.sha256((src / n).read_bytes()).hexdigest()
                        for n in ("a.stl", "b.pdf", "c.step")}
        for job in jobs.values():
            assert job.state in ob.STATES
            assert len(job.files) in (1, 2)
            for f in job.files:
                assert f.sha256 == expected_sha[f.file_name] and 0 <= f.offset <= f.size
                assert not f.verified or f.offset == f.size
                if f.mode == "copy" and job.state != ob.SUBMITTED:
                    data = f.local_path.read_bytes()
                    assert len(data) == f.size
                    assert hashlib.sha256(data).hexdigest() == f.sha256
        live = {cid for cid, j in jobs.items() if j.state != ob.SUBMITTED
                and j.files[0].mode == "copy"}
        assert {p.name for p in box.files_dir.iterdir()} == live  # nothing orphaned
        assert not list(box.files_dir.rglob("*.part"))
        for step in reported:  # whatever the child saw return is durable
            if step[0] == "added":
                assert len(jobs[step[1]].files) == int(step[2])
            elif step[0] == "state" and step[2] in ORDER:
                state = jobs[step[1]].state
                assert state == ob.FAILED or ORDER.get(state, -1) >= ORDER[step[2]] or (
                    step[2] == "queued")
            elif step[0] == "offset":
                f = jobs[step[1]].files[int(step[2])]
                assert f.offset >= int(step[3]) or jobs[step[1]].state == ob.SUBMITTED
            elif step[0] == "verified":
                assert jobs[step[1]].files[int(step[2])].verified
    finally:
        box.close()


@pytest.mark.parametrize("crash_at", CHECKPOINTS)
def test_killed_at_a_checkpoint_reopens_whole(crash_at: str, sources: Path,
                                              tmp_path: Path) -> None:
    db = tmp_path / "box" / "outbox.sqlite3"
    reported = _run_child(db, sources, 2, crash_at=crash_at)
    _check_invariants(db, sources, reported)
    # and the next run on the same outbox works to the end
    again = _run_child(db, sources, 1)
    assert again[-1] == ["done"]
    _check_invariants(db, sources, reported + again)


def test_killed_at_random_moments_reopens_whole(sources: Path, tmp_path: Path) -> None:
    db = tmp_path / "box" / "outbox.sqlite3"
    rng = random.Random(20261127)
    reported: list[list[str]] = []
    for _ in range(6):
        reported += _run_child(db, sources, 50, kill_after=rng.uniform(0.3, 1.2))
        _check_invariants(db, sources, reported)
    assert any(step[0] == "added" for step in reported)
