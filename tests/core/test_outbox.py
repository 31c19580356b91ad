"""The outbox database: jobs, files, states, upload state, disk full."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from wyntek_desktop.core import outbox as ob
from wyntek_desktop.core.errors import DiskFullError, FileError, NotFoundError, UsageError
from wyntek_desktop.core.outbox import FileInput, Outbox
from wyntek_desktop.core.outbox_files import copy_and_hash, sha256_file

SPEC = {"material_id": "pla-white", "quantity": 2, "tolerance_mm": 0.2, "volume_cm3": 1.5}


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Outbox]:
    with Outbox.open(tmp_path / "data" / "outbox.sqlite3") as outbox:
        yield outbox


def _file(folder: Path, name: str, size: int, seed: int = 0) -> Path:
    path = folder / name
    path.write_bytes(os.urandom(size) if seed == 0 else bytes([seed % 256]) * size)
    return path


def test_default_location_is_the_user_data_folder(app_dirs: dict[str, Path]) -> None:
    with Outbox.open() as box:
        assert box.path == app_dirs["data"] / "wyntek-desktop" / "outbox.sqlite3"
        mode = box._conn.execute("pragma journal_mode").fetchone()[0]
        assert mode == "wal"


def test_add_job_copies_and_hashes_every_file(box: Outbox, tmp_path: Path) -> None:
    a, b = _file(tmp_path, "bracket.stl", 300_000), _file(tmp_path, "drawing.pdf", 10)
    job = box.add_job(SPEC, [FileInput(a, "model", {"volume_cm3": 1.5}), FileInput(b, "drawing")])
    assert uuid.UUID(job.client_job_id).version == 4
    assert job.state == ob.QUEUED and job.spec == SPEC
    assert [f.file_name for f in job.files] == ["bracket.stl", "drawing.pdf"]
    assert [f.kind for f in job.files] == ["model", "drawing"]
    assert job.files[0].analysis == {"volume_cm3": 1.5}
    for f, src in zip(job.files, (a, b), strict=True):
        assert f.mode == "copy" and f.local_path.parent.parent == box.files_dir
        assert f.local_path.read_bytes() == src.read_bytes()
        assert f.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()
        assert f.size == src.stat().st_size
    a.unlink()  # our copy is independent of the user's file
    assert box.get(job.client_job_id).files[0].local_path.exists()


def test_add_job_by_path_records_size_mtime_and_hash(box: Outbox, tmp_path: Path) -> None:
    a = _file(tmp_path, "part.step", 5000)
    job = box.add_job(SPEC, [a], copy=False, queue=False)
    f = job.files[0]
    assert job.state == ob.DRAFT and f.mode == "path" and f.local_path == a.resolve()
    assert (f.size, f.mtime_ns) == (5000, a.stat().st_mtime_ns)
    assert f.sha256 == hashlib.sha256(a.read_bytes()).hexdigest()
    assert not any(box.files_dir.iterdir())


def test_storage_names_are_sanitised_and_unique_within_a_job(box: Outbox,
                                                             tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    one, two = _file(tmp_path, "Gehäuse v2.stl", 3), _file(tmp_path / "x", "Gehäuse v2.stl", 4)
    job = box.add_job(SPEC, [one, two])
    assert [f.storage_name for f in job.files] == ["Gehause v2.stl", "Gehause v2-2.stl"]
    assert [f.file_name for f in job.files] == ["Gehäuse v2.stl"] * 2


def test_bad_input_is_refused_and_nothing_is_kept(box: Outbox, tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        box.add_job(SPEC, [])
    good = _file(tmp_path, "ok.stl", 10)
    with pytest.raises(FileError, match="not a readable file"):
        box.add_job(SPEC, [good, tmp_path / "missing.stl"])
    with pytest.raises(UsageError):
        box.add_job(SPEC, [good], analyses=[{}, {}])
    assert box.jobs() == [] and list(box.files_dir.iterdir()) == []


def test_states_pause_and_retry_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    src = _file(tmp_path, "a.stl", 10)
    with Outbox.open(path) as box:
        first = box.add_job(SPEC, [src]).client_job_id
        second = box.add_job(SPEC, [src]).client_job_id
        box.set_state(first, ob.UPLOADING)
        box.set_paused(first, True)
        box.mark_failed(second, "Not enough tokens for this job.", "balance")
        assert box.next_runnable() is None
    with Outbox.open(path) as box:
        job = box.get(first)
        assert (job.state, job.paused) == (ob.UPLOADING, True)
        failed = box.get(second)
        assert (failed.state, failed.failure, failed.failure_kind) == (
            ob.FAILED, "Not enough tokens for this job.", "balance")
        box.retry(second)
        assert box.get(second).state == ob.QUEUED and box.get(second).failure is None
        with pytest.raises(UsageError):
            box.retry(second)
        box.set_paused(first, False)
        assert box.next_runnable().client_job_id == first  # oldest first
        assert box.next_runnable(skip=[first]).client_job_id == second
        with pytest.raises(NotFoundError):
            box.get(str(uuid.uuid4()))


def test_upload_state_is_kept_per_file(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    src = _file(tmp_path, "a.stl", 1000)
    with Outbox.open(path) as box:
        job = box.add_job(SPEC, [src])
        f = job.files[0]
        box.start_upload(f, "u/j/a.stl", "https://h/storage/v1/upload/resumable/xyz", 2e9)
        box.save_offset(f, 600)
        with pytest.raises(ValueError):
            box.save_offset(f, 1001)
    with Outbox.open(path) as box:
        f = box.get(job.client_job_id).files[0]
        assert (f.storage_path, f.tus_url, f.offset, f.expires_at, f.verified) == (
            "u/j/a.stl", "https://h/storage/v1/upload/resumable/xyz", 600, 2e9, False)
        assert job.total_bytes == 1000 and box.get(job.client_job_id).sent_bytes == 600
        box.mark_verified(f)
        f = box.get(job.client_job_id).files[0]
        assert f.verified and f.offset == 1000
        box.reset_upload(f)
        f = box.get(job.client_job_id).files[0]
        assert (f.tus_url, f.offset, f.verified) == (None, 0, False)


def test_submitted_jobs_drop_their_copies_and_remove_deletes(box: Outbox,
                                                             tmp_path: Path) -> None:
    src = _file(tmp_path, "a.stl", 10)
    job = box.add_job(SPEC, [src])
    other = box.add_job(SPEC, [src])
    box.mark_submitted(job.client_job_id, {"id": "j-1", "token_cost": 12})
    done = box.get(job.client_job_id)
    assert done.state == ob.SUBMITTED and done.server_job == {"id": "j-1", "token_cost": 12}
    assert not (box.files_dir / job.client_job_id).exists()
    box.remove(other.client_job_id)
    assert [j.client_job_id for j in box.jobs()] == [job.client_job_id]
    assert list(box.files_dir.iterdir()) == [] and src.exists()


def test_copy_and_hash_reports_disk_full_and_keeps_nothing(tmp_path: Path) -> None:
    src = _file(tmp_path, "big.stl", 3 * 1024 * 1024)
    calls = []

    def full_after_one_write(fd: int, data: memoryview) -> None:
        calls.append(len(data))
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        os.write(fd, data)

    with pytest.raises(DiskFullError, match=r"Not enough disk space to copy big\.stl"):
        copy_and_hash(src, tmp_path / "copy.stl", writer=full_after_one_write)
    assert not (tmp_path / "copy.stl").exists() and not (tmp_path / "copy.stl.part").exists()


def test_sha256_file_matches_hashlib(tmp_path: Path) -> None:
    src = _file(tmp_path, "x.bin", 2 * 1024 * 1024 + 7)
    digest = sha256_file(src)
    assert digest.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()
    assert digest.size == 2 * 1024 * 1024 + 7


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB tmpfs (needs root; skipped with the reason otherwise)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a 1 MiB tmpfs here: {done.stderr.strip() or 'not root'}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_disk_full_on_a_real_tiny_disk(tiny_disk: Path, tmp_path: Path) -> None:
    big = _file(tmp_path, "housing.stl", 2 * 1024 * 1024)
    small = _file(tmp_path, "small.stl", 1000)
    with Outbox.open(tiny_disk / "outbox.sqlite3") as box:
        with pytest.raises(DiskFullError) as err:
            box.add_job(SPEC, [small, big])
        assert "Not enough disk space to copy housing.stl into the outbox" in str(err.value)
        assert "Free at least 2.0 MiB" in str(err.value)
        assert box.jobs() == []
        assert list(box.files_dir.iterdir()) == []  # no half-written copy, no first file
        job = box.add_job(SPEC, [small])  # the outbox still works once it fits
        assert box.get(job.client_job_id).files[0].local_path.read_bytes() == small.read_bytes()
