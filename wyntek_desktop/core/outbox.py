"""The outbox: prepared jobs that survive restarts, crashes and lost connectivity.

A SQLite database (WAL, ``synchronous=FULL`` except for per-chunk offsets, which the
server can always tell again) in the user data folder holds every job
prepared on this machine, with its ``client_job_id`` (uuid4, chosen offline: the
idempotency key of ``submit_job``), its spec, its files and their analyses, and the
upload state of each file (TUS URL, server offset, expiry, verified flag).

Job states::

    draft ──queue──▶ queued ──▶ uploading ──▶ submitting ──▶ submitted
                        ▲            │              │
                        └──retry── failed ◀─────────┘   (reason kept, nothing deleted)

A stored object the service did not confirm deleting (a cancelled job's upload while
the service was unreachable) becomes an *owed delete*: its own row, kept across
restarts and after its job is removed, until a delete succeeds. A job with owed deletes
is not sent again before they are settled (its new upload would use the same names).

Crash safety: files are copied to ``*.part`` and renamed after fsync; a job and all
its file rows are inserted in one transaction after the copies exist; files of jobs
that never committed are swept on open. Every state or offset change is one
committed transaction, so a killed process reopens at the last committed step.

Tests kill the process at named checkpoints: set ``WYNTEK_CRASH_AT=name`` (or
``name@N`` for the N-th time the checkpoint is reached) and the process SIGKILLs itself.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from wyntek_desktop.core.errors import DiskFullError, FileError, NotFoundError, UsageError
from wyntek_desktop.core.outbox_files import copy_and_hash, fsync_dir, sha256_file
from wyntek_desktop.core.paths import storage_file_name


class JobState(StrEnum):
    """A queued job's state (stored as its value; the upload runner and the UI share it)."""

    DRAFT = "draft"
    QUEUED = "queued"
    UPLOADING = "uploading"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    FAILED = "failed"


DRAFT, QUEUED, UPLOADING = JobState.DRAFT, JobState.QUEUED, JobState.UPLOADING
SUBMITTING, SUBMITTED, FAILED = JobState.SUBMITTING, JobState.SUBMITTED, JobState.FAILED
STATES = tuple(JobState)
RUNNABLE = (QUEUED, UPLOADING, SUBMITTING)
_SCHEMA_VERSION = 2
_checkpoint_hits: dict[str, int] = {}


def checkpoint(name: str) -> None:
    """Crash-test hook: SIGKILL this process when ``WYNTEK_CRASH_AT`` names ``name``."""
    target = os.environ.get("WYNTEK_CRASH_AT")
    if not target:
        return
    want, _, nth = target.partition("@")
    if want != name:
        return
    _checkpoint_hits[name] = _checkpoint_hits.get(name, 0) + 1
    if _checkpoint_hits[name] >= int(nth or 1):
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


def default_outbox_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("wyntek-desktop")) / "outbox.sqlite3"


@dataclass(frozen=True)
class FileInput:
    """One file to put into a job. ``kind`` is model/drawing/gerber/other."""

    path: Path
    kind: str = "other"
    analysis: dict[str, Any] | None = None


@dataclass
class OutboxFile:
    client_job_id: str
    index: int
    file_name: str          # the original name, shown to people and sent to submit_job
    storage_name: str       # sanitised object name (last path segment)
    kind: str
    mode: str               # "copy": our own copy at local_path; "path": the user's file
    local_path: Path
    size: int
    mtime_ns: int
    sha256: str
    analysis: dict[str, Any] | None
    storage_path: str | None = None
    tus_url: str | None = None
    offset: int = 0
    expires_at: float | None = None
    verified: bool = False

    @property
    def upload_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= time.time()


@dataclass
class OwedDelete:
    """A stored object to delete once the service answers (see the module notes)."""

    storage_path: str
    client_job_id: str
    attempts: int = 0
    last_error: str | None = None
    created_at: float = 0.0


@dataclass
class OutboxJob:
    client_job_id: str
    state: JobState
    spec: dict[str, Any]
    files: list[OutboxFile] = field(default_factory=list)
    failure: str | None = None
    failure_kind: str | None = None
    paused: bool = False
    server_job: dict[str, Any] | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    seq: int = 0

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def sent_bytes(self) -> int:
        return sum(f.size if f.verified else f.offset for f in self.files)


_SCHEMA = """
create table if not exists jobs (
  seq integer primary key autoincrement,
  client_job_id text not null unique,
  state text not null check (state in ('draft','queued','uploading','submitting',
                                       'submitted','failed')),
  spec text not null,
  failure text, failure_kind text,
  paused integer not null default 0,
  server_job text,
  created_at real not null, updated_at real not null);
create table if not exists files (
  client_job_id text not null references jobs(client_job_id) on delete cascade,
  idx integer not null,
  file_name text not null, storage_name text not null, kind text not null,
  mode text not null check (mode in ('copy','path')),
  local_path text not null, size integer not null check (size >= 0),
  mtime_ns integer not null, sha256 text not null, analysis text,
  storage_path text, tus_url text,
  upload_offset integer not null default 0 check (upload_offset >= 0),
  expires_at real, verified integer not null default 0,
  primary key (client_job_id, idx));
create table if not exists owed_deletes (
  storage_path text primary key,
  client_job_id text not null,
  attempts integer not null default 0,
  last_error text,
  created_at real not null);
"""


class Outbox:
    """The outbox database. Thread-safe: one connection behind a lock."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.files_dir = path.parent / "outbox-files"
        self._conn = conn
        self._lock = threading.RLock()

    # ---- opening -----------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str | None = None) -> Outbox:
        db_path = Path(path) if path is not None else default_outbox_path()
        db_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None,
                                   timeout=30)
            conn.execute("pragma journal_mode=wal")
            conn.execute("pragma synchronous=full")
            conn.execute("pragma foreign_keys=on")
            if conn.execute("pragma user_version").fetchone()[0] < _SCHEMA_VERSION:
                conn.executescript(_SCHEMA + f"pragma user_version={_SCHEMA_VERSION};")
        except sqlite3.DatabaseError as exc:
            raise FileError(f"The outbox database {db_path} cannot be opened: {exc}.",
                            hint="Move the file away to start with an empty outbox.") from exc
        box = cls(db_path, conn)
        box.files_dir.mkdir(exist_ok=True)
        box._sweep_orphans()
        return box

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("begin immediate")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("rollback")
                raise
            self._conn.execute("commit")

    def _sweep_orphans(self) -> None:
        """Finish or undo file copies interrupted by a crash.

        Copies are made in ``.adding-<pid>-<id>`` and renamed to ``<id>`` after the job
        row commits. On open: a committed job's leftover ``.adding`` folder is renamed
        (the crash hit between commit and rename); one of a dead process whose job never
        committed is removed; folders of submitted or removed jobs are removed.
        """
        with self._lock:
            known = {r[0]: r[1] for r in self._conn.execute(
                "select client_job_id, state from jobs")}
        for entry in self.files_dir.iterdir():
            if entry.name.startswith(".adding-"):
                _, _, rest = entry.name.partition(".adding-")
                pid, _, cid = rest.partition("-")
                if cid in known and known[cid] != SUBMITTED:
                    os.replace(entry, self.files_dir / cid)
                elif cid in known or not _pid_alive(int(pid or 0)):
                    shutil.rmtree(entry, ignore_errors=True)
            elif known.get(entry.name, SUBMITTED) == SUBMITTED and not self._live(entry.name):
                shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink()

    def _live(self, client_job_id: str) -> bool:
        """Asked again right before deleting: another process may have just committed it."""
        with self._lock:
            row = self._conn.execute("select state from jobs where client_job_id=?",
                                     (client_job_id,)).fetchone()
        return row is not None and row[0] != SUBMITTED

    # ---- adding jobs -----------------------------------------------------------------
    def add_job(self, spec: dict[str, Any], files: Sequence[FileInput | Path | str],
                analyses: Sequence[dict[str, Any] | None] | None = None, *,
                copy: bool = True, queue: bool = True) -> OutboxJob:
        """Put a prepared job into the outbox and return it.

        ``copy=True`` keeps our own copy of each file (hashed while copying);
        ``copy=False`` records path + size + mtime + SHA-256, verified again before upload.
        Raises :class:`DiskFullError` (nothing kept) or :class:`FileError`.
        """
        inputs = [f if isinstance(f, FileInput) else FileInput(Path(f)) for f in files]
        if not inputs:
            raise UsageError("A job needs at least one file.")
        if analyses is not None and len(analyses) != len(inputs):
            raise UsageError("Give one analysis per file (or none).")
        json.dumps(spec)  # refuse what cannot be stored before touching the disk
        client_job_id = str(uuid.uuid4())
        job_dir = self.files_dir / client_job_id
        work_dir = self.files_dir / f".adding-{os.getpid()}-{client_job_id}"
        names = _unique_storage_names([Path(f.path).name for f in inputs])
        rows = []
        try:
            if copy:
                work_dir.mkdir()
            for idx, (item, storage_name) in enumerate(zip(inputs, names, strict=True)):
                src = Path(item.path)
                if not src.is_file():
                    raise FileError(f"{src} is not a readable file.")
                if copy:
                    local = job_dir / f"{idx}-{storage_name}"
                    digest = copy_and_hash(src, work_dir / local.name)
                    checkpoint("outbox.file_copied")
                else:
                    local = src.resolve()
                    digest = sha256_file(local)
                analysis = analyses[idx] if analyses is not None else item.analysis
                rows.append((client_job_id, idx, src.name, storage_name, item.kind,
                             "copy" if copy else "path", str(local), digest.size,
                             digest.mtime_ns, digest.sha256,
                             json.dumps(analysis) if analysis is not None else None))
            if copy:
                fsync_dir(work_dir)
                fsync_dir(self.files_dir)
            checkpoint("outbox.before_job_insert")
            now = time.time()
            with self._tx() as db:
                db.execute("insert into jobs (client_job_id, state, spec, created_at, "
                           "updated_at) values (?,?,?,?,?)",
                           (client_job_id, QUEUED if queue else DRAFT, json.dumps(spec),
                            now, now))
                db.executemany("insert into files (client_job_id, idx, file_name, "
                               "storage_name, kind, mode, local_path, size, mtime_ns, "
                               "sha256, analysis) values (?,?,?,?,?,?,?,?,?,?,?)", rows)
        except sqlite3.OperationalError as exc:
            shutil.rmtree(work_dir, ignore_errors=True)
            if "full" in str(exc):
                raise DiskFullError("Not enough disk space to record the job in the outbox.",
                                    hint=f"Free some space on the drive of {self.path.parent} "
                                         "and try again.") from exc
            raise
        except BaseException:
            shutil.rmtree(work_dir, ignore_errors=True)
            raise
        checkpoint("outbox.job_inserted")
        if copy:
            try:
                os.replace(work_dir, job_dir)
            except FileNotFoundError:  # another process's open() already finished it
                if not job_dir.is_dir():
                    raise
            fsync_dir(self.files_dir)
            checkpoint("outbox.files_in_place")
        return self.get(client_job_id)

    # ---- reading -----------------------------------------------------------------
    def get(self, client_job_id: str) -> OutboxJob:
        with self._lock:
            row = self._conn.execute("select * from jobs where client_job_id=?",
                                     (client_job_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"Job {client_job_id} is not in the outbox.")
            cols = [d[0] for d in self._conn.execute("select * from jobs limit 0").description]
            job = _job_from_row(dict(zip(cols, row, strict=True)))
            job.files = self._files(client_job_id)
        return job

    def jobs(self, states: Sequence[str] | None = None) -> list[OutboxJob]:
        with self._lock:
            ids = [r[0] for r in self._conn.execute(
                "select client_job_id from jobs order by seq")]
            out = [self.get(i) for i in ids]
        return [j for j in out if states is None or j.state in states]

    def next_runnable(self, skip: Sequence[str] = ()) -> OutboxJob | None:
        """The oldest job that should be worked on now (not paused, not skipped, and
        with no owed delete: its upload would reuse the names still to be deleted)."""
        with self._lock:
            for (cid,) in self._conn.execute(
                    "select client_job_id from jobs where paused=0 and state in "
                    "('queued','uploading','submitting') and client_job_id not in "
                    "(select client_job_id from owed_deletes) order by seq").fetchall():
                if cid not in skip:
                    return self.get(cid)
        return None

    def _files(self, client_job_id: str) -> list[OutboxFile]:
        cur = self._conn.execute("select * from files where client_job_id=? order by idx",
                                 (client_job_id,))
        cols = [d[0] for d in cur.description]
        return [_file_from_row(dict(zip(cols, r, strict=True))) for r in cur.fetchall()]

    # ---- job state -----------------------------------------------------------------
    def set_state(self, client_job_id: str, state: JobState, *, failure: str | None = None,
                  failure_kind: str | None = None) -> None:
        if state not in STATES:
            raise ValueError(state)
        checkpoint(f"outbox.before_state_{state}")
        with self._tx() as db:
            cur = db.execute("update jobs set state=?, failure=?, failure_kind=?, "
                             "updated_at=? where client_job_id=?",
                             (state, failure, failure_kind, time.time(), client_job_id))
            if cur.rowcount != 1:
                raise NotFoundError(f"Job {client_job_id} is not in the outbox.")
        checkpoint(f"outbox.after_state_{state}")

    def queue(self, client_job_id: str) -> None:
        """draft/failed → queued (the retry action)."""
        job = self.get(client_job_id)
        if job.state not in (DRAFT, FAILED):
            raise UsageError(f"Job {client_job_id} is {job.state}; only a draft or a "
                             "failed job can be queued.")
        self.set_state(client_job_id, QUEUED)

    retry = queue

    def set_paused(self, client_job_id: str, paused: bool) -> None:
        with self._tx() as db:
            db.execute("update jobs set paused=?, updated_at=? where client_job_id=?",
                       (int(paused), time.time(), client_job_id))

    def mark_failed(self, client_job_id: str, reason: str, kind: str = "error") -> None:
        self.set_state(client_job_id, FAILED, failure=reason, failure_kind=kind)

    def mark_submitted(self, client_job_id: str, server_job: dict[str, Any]) -> None:
        """Record the service's job and drop our file copies (they are uploaded)."""
        checkpoint("outbox.before_submitted")
        with self._tx() as db:
            db.execute("update jobs set state='submitted', server_job=?, failure=null, "
                       "failure_kind=null, updated_at=? where client_job_id=?",
                       (json.dumps(server_job, default=str), time.time(), client_job_id))
        checkpoint("outbox.after_submitted")
        shutil.rmtree(self.files_dir / client_job_id, ignore_errors=True)

    def remove(self, client_job_id: str) -> None:
        """Delete a job and our copies of its files (the user's own files stay)."""
        with self._tx() as db:
            db.execute("delete from jobs where client_job_id=?", (client_job_id,))
        shutil.rmtree(self.files_dir / client_job_id, ignore_errors=True)

    # ---- per-file upload state --------------------------------------------------------
    def start_upload(self, f: OutboxFile, storage_path: str, tus_url: str,
                     expires_at: float | None) -> None:
        self._update_file(f, storage_path=storage_path, tus_url=tus_url, upload_offset=0,
                          expires_at=expires_at, verified=0)
        f.storage_path, f.tus_url, f.offset, f.expires_at, f.verified = (
            storage_path, tus_url, 0, expires_at, False)

    def save_offset(self, f: OutboxFile, offset: int,
                    expires_at: float | None = None) -> None:
        if not 0 <= offset <= f.size:
            raise ValueError(f"offset {offset} outside 0..{f.size}")
        checkpoint("outbox.before_save_offset")
        values: dict[str, Any] = {"upload_offset": offset}
        if expires_at is not None:
            values["expires_at"] = f.expires_at = expires_at
        # An offset survives a crashed app without an fsync (WAL); after a power loss the
        # client asks the server (HEAD) anyway, so the per-chunk fsync is not needed.
        with self._lock:
            self._conn.execute("pragma synchronous=normal")
            try:
                self._update_file(f, **values)
            finally:
                self._conn.execute("pragma synchronous=full")
        f.offset = offset
        checkpoint("outbox.after_save_offset")

    def mark_verified(self, f: OutboxFile) -> None:
        self._update_file(f, upload_offset=f.size, verified=1)
        f.offset, f.verified = f.size, True
        checkpoint("outbox.after_verified")

    def reset_upload(self, f: OutboxFile) -> None:
        self._update_file(f, storage_path=None, tus_url=None, upload_offset=0,
                          expires_at=None, verified=0)
        f.storage_path = f.tus_url = None
        f.offset, f.expires_at, f.verified = 0, None, False

    # ---- deletes the service still owes us ----------------------------------------
    def owe_delete(self, f: OutboxFile, error: str) -> None:
        """Record that `f`'s stored object must still be deleted, and clear its upload
        record, in one transaction (the object is never forgotten in between)."""
        if not f.storage_path:
            return
        with self._tx() as db:
            db.execute("insert into owed_deletes (storage_path, client_job_id, attempts, "
                       "last_error, created_at) values (?, ?, 1, ?, ?) "
                       "on conflict (storage_path) do update set "
                       "attempts = attempts + 1, last_error = excluded.last_error",
                       (f.storage_path, f.client_job_id, error, time.time()))
            db.execute("update files set storage_path=null, tus_url=null, upload_offset=0, "
                       "expires_at=null, verified=0 where client_job_id=? and idx=?",
                       (f.client_job_id, f.index))
        f.storage_path = f.tus_url = None
        f.offset, f.expires_at, f.verified = 0, None, False

    def owed_deletes(self, prefix: str = "") -> list[OwedDelete]:
        """Owed deletes, oldest first; `prefix` keeps those under one user's folder."""
        with self._lock:
            rows = self._conn.execute(
                "select storage_path, client_job_id, attempts, last_error, created_at "
                "from owed_deletes where substr(storage_path, 1, ?) = ? order by created_at",
                (len(prefix), prefix)).fetchall()
        return [OwedDelete(*r) for r in rows]

    def delete_failed(self, storage_path: str, error: str) -> None:
        with self._tx() as db:
            db.execute("update owed_deletes set attempts = attempts + 1, last_error = ? "
                       "where storage_path = ?", (error, storage_path))

    def delete_settled(self, storage_path: str) -> None:
        with self._tx() as db:
            db.execute("delete from owed_deletes where storage_path = ?", (storage_path,))

    def owes_deletes(self, client_job_id: str) -> bool:
        with self._lock:
            return self._conn.execute("select 1 from owed_deletes where client_job_id = ?",
                                      (client_job_id,)).fetchone() is not None

    def _update_file(self, f: OutboxFile, **values: Any) -> None:
        cols = ", ".join(f"{k}=?" for k in values)
        with self._tx() as db:
            db.execute(f"update files set {cols} where client_job_id=? and idx=?",
                       (*values.values(), f.client_job_id, f.index))
            db.execute("update jobs set updated_at=? where client_job_id=?",
                       (time.time(), f.client_job_id))


def _unique_storage_names(originals: Sequence[str]) -> list[str]:
    """Sanitised names, made unique within the job (two 'part.stl' from two folders)."""
    seen: set[str] = set()
    out = []
    for original in originals:
        name = storage_file_name(original)
        stem, dot, ext = name.rpartition(".")
        base, suffix = (stem, dot + ext) if dot and stem else (name, "")
        n = 1
        while name.lower() in seen:
            n += 1
            name = f"{base[:190]}-{n}{suffix}"
        seen.add(name.lower())
        out.append(name)
    return out


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if os.name != "posix":
        return True  # no cheap check: keep the folder; it is swept once its job exists
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _job_from_row(r: dict[str, Any]) -> OutboxJob:
    return OutboxJob(client_job_id=r["client_job_id"], state=JobState(r["state"]),
                     spec=json.loads(r["spec"]), failure=r["failure"],
                     failure_kind=r["failure_kind"], paused=bool(r["paused"]),
                     server_job=json.loads(r["server_job"]) if r["server_job"] else None,
                     created_at=r["created_at"], updated_at=r["updated_at"], seq=r["seq"])


def _file_from_row(r: dict[str, Any]) -> OutboxFile:
    return OutboxFile(client_job_id=r["client_job_id"], index=r["idx"],
                      file_name=r["file_name"], storage_name=r["storage_name"],
                      kind=r["kind"], mode=r["mode"], local_path=Path(r["local_path"]),
                      size=r["size"], mtime_ns=r["mtime_ns"], sha256=r["sha256"],
                      analysis=json.loads(r["analysis"]) if r["analysis"] else None,
                      storage_path=r["storage_path"], tus_url=r["tus_url"],
                      offset=r["upload_offset"], expires_at=r["expires_at"],
                      verified=bool(r["verified"]))
