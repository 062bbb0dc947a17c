"""One writer per archive folder: the OS lock (exclusive across processes, dropped when its holder
dies, safe against the remove-then-lock race) and the rules on which session may write which
folder (archive_claims), on a real state database."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from backend.db import files as db_files
from backend.db import sessions
from backend.db.files import FileRecord
from backend.db.sessions import NewSession
from backend.errors import InputError
from backend.jobs import archive_claims, archive_lock
from backend.jobs.archive_lock import LOCK_NAME, ArchiveBusy

CTX = multiprocessing.get_context("fork")


def _contend(archive: str, barrier, results) -> None:
    barrier.wait()
    try:
        lock = archive_lock.acquire(Path(archive), f"pid {os.getpid()}")
    except ArchiveBusy:
        results.put("busy")
        return
    results.put("won")
    time.sleep(0.5)  # hold it while the others try
    lock.release()


@pytest.mark.parametrize("round_", range(5))
def test_exactly_one_of_many_processes_gets_the_lock(tmp_path, round_):
    barrier = CTX.Barrier(6)
    results = CTX.Queue()
    procs = [CTX.Process(target=_contend, args=(str(tmp_path), barrier, results)) for _ in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    outcomes = sorted(results.get(timeout=5) for _ in procs)
    assert outcomes == ["busy"] * 5 + ["won"]
    assert not (tmp_path / LOCK_NAME).exists()  # released and removed


def _hammer(archive: str, seconds: float, violations) -> None:
    marker = Path(archive) / "holder"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            lock = archive_lock.acquire(Path(archive), "hammer")
        except ArchiveBusy:
            continue
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)  # fails if another holds it too
        except FileExistsError:
            violations.put(1)
        else:
            os.close(fd)
            os.unlink(marker)
        lock.release()


def test_remove_then_lock_race_never_gives_two_holders(tmp_path):
    violations = CTX.Queue()
    procs = [CTX.Process(target=_hammer, args=(str(tmp_path), 2.0, violations)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    assert violations.empty()


def _hold_forever(archive: str, ready) -> None:
    archive_lock.acquire(Path(archive), f"process {os.getpid()}")
    ready.set()
    time.sleep(60)


def test_a_killed_holder_leaves_the_folder_free(tmp_path):
    ready = CTX.Event()
    proc = CTX.Process(target=_hold_forever, args=(str(tmp_path), ready))
    proc.start()
    assert ready.wait(10)
    with pytest.raises(ArchiveBusy, match=f"process {proc.pid}"):
        archive_lock.acquire(tmp_path, "me")
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(10)
    assert (tmp_path / LOCK_NAME).exists()  # the file stays, the lock does not
    archive_lock.acquire(tmp_path, "me").release()


# --- which session may write which folder ---------------------------------------------------------

def _session(db, archive: Path, status: str = "paused") -> str:
    sid = sessions.create(db, NewSession(artwork_name="A", project_date="26-11-25",
                                         master_path="/m.mov", output_path=str(archive),
                                         preset_id="webflow_standard"))
    sessions.set_status(db, sid, status)
    return sid


def _wrote(db, sid: str, archive: Path, rel: str = "masters/x.mov") -> None:
    (archive / rel).parent.mkdir(parents=True, exist_ok=True)
    (archive / rel).write_bytes(b"x")
    db_files.register(db, sid, FileRecord(file_path=rel, file_type="master", file_category="masters",
                                          file_size_bytes=1))


def test_a_session_that_wrote_nothing_is_replaced(db, tmp_path):
    archive = tmp_path / "26-11-25_A"
    stale = _session(db, archive, "processing")  # killed during scene detection
    lock, warnings = archive_claims.claim_new(db, archive)
    lock.release()
    assert not sessions.exists(db, stale)
    assert stale in warnings[0] and "replaced" in warnings[0]


@pytest.mark.parametrize("status", ["processing", "paused", "failed"])
@pytest.mark.parametrize("spelling", ["26-11-25_A", "26-11-25_a"])
def test_a_session_that_wrote_files_keeps_its_folder(db, tmp_path, status, spelling):
    archive = tmp_path / "26-11-25_A"
    owner = _session(db, archive, status)
    archive.mkdir()
    db_files.register(db, owner, FileRecord(file_path="x", file_type="master", file_category="masters"))
    with pytest.raises(InputError, match=f"resume it \\(video-archive resume {owner}\\)"):
        archive_claims.claim_new(db, tmp_path / spelling)
    assert sessions.get(db, owner).status == status
    assert archive.is_dir() and not any(archive.iterdir())  # as it was
    assert spelling == archive.name or not (tmp_path / spelling).exists()


def test_a_folder_with_files_is_refused(db, tmp_path):
    archive = tmp_path / "26-11-25_A"
    (archive / "clips").mkdir(parents=True)
    (archive / "clips" / "mine.mp4").write_bytes(b"precious")
    with pytest.raises(InputError, match="not empty"):
        archive_claims.claim_new(db, archive)
    assert (archive / "clips" / "mine.mp4").read_bytes() == b"precious"
    assert not (archive / LOCK_NAME).exists()


def test_a_busy_folder_is_refused_and_kept(db, tmp_path):
    archive = tmp_path / "26-11-25_A"
    archive.mkdir()
    with archive_lock.acquire(archive, "process 1, session s"):
        with pytest.raises(ArchiveBusy, match="process 1, session s"):
            archive_claims.claim_new(db, archive)
        assert archive.is_dir()


def test_resume_blockers(db, tmp_path):
    archive = tmp_path / "26-11-25_A"
    older = _session(db, archive, "failed")
    assert archive_claims.resume_blocker(db, sessions.get(db, older)) is None
    newer = _session(db, archive, "paused")  # sharing a folder: only from older versions' data
    assert "started later" in archive_claims.resume_blocker(db, sessions.get(db, older))
    assert archive_claims.resume_blocker(db, sessions.get(db, newer)) is None
    archive.mkdir(exist_ok=True)
    (archive / f"{archive.name}_manifest.json").write_text(json.dumps({"session_id": "someone"}))
    assert "finished by session someone" in archive_claims.resume_blocker(db, sessions.get(db, newer))
    (archive / f"{archive.name}_manifest.json").write_text("{broken")
    assert "unreadable" in archive_claims.resume_blocker(db, sessions.get(db, newer))
    sessions.set_status(db, newer, "completed")
    assert "already completed" in archive_claims.resume_blocker(db, sessions.get(db, newer))
