"""Two processes on one state.db (the UI while the CLI runs): concurrent writers, a reader during
a long write, and backups taken while another process writes."""

import multiprocessing
import time

import apsw
import pytest

from backend.db import backup, open_db, sessions
from backend.db.schema import VERSION

CTX = multiprocessing.get_context("fork")  # children import nothing again: fast on 2 cores


def _new(db) -> str:
    return sessions.create(db, sessions.NewSession(
        artwork_name="Dune", project_date="24-11-03", master_path="/m/dune.mov",
        output_path="/out", preset_id="webflow_standard"))


def _plan(db, sid) -> None:
    sessions.plan_operations(db, sid, [sessions.PlannedOperation(
        operation_type="clip_export", operation_name=f"clip {i}") for i in range(3)])


def _writer(path, count, queue):
    try:
        with open_db(path) as db:
            for _ in range(count):
                sid = _new(db)
                _plan(db, sid)
                sessions.start_operation(db, sid, 1)
                sessions.set_progress(db, sid, 1, 0.5)
                sessions.finish_operation(db, sid, 1, "completed")
        queue.put("ok")
    except Exception as exc:  # the parent asserts on what arrives
        queue.put(repr(exc))


def _writer_until(path, stop, queue):
    try:
        with open_db(path) as db:
            written = 0
            while not stop.is_set():
                sid = _new(db)
                _plan(db, sid)
                written += 1
        queue.put(written)
    except Exception as exc:
        queue.put(repr(exc))


def _hold_write_lock(path, held, release, queue):
    try:
        with open_db(path) as db:
            with db.transaction():
                _new(db)
                held.set()
                release.wait(10)
                time.sleep(0.3)  # the other side's write has to wait for this
        queue.put("ok")
    except Exception as exc:
        queue.put(repr(exc))


@pytest.fixture
def shared_db(db_path):
    open_db(db_path).close()  # created here; children open their own connections after fork
    return db_path


def test_two_writer_processes_and_a_reader(shared_db):
    queue = CTX.Queue()
    procs = [CTX.Process(target=_writer, args=(shared_db, 150, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    with open_db(shared_db) as db:
        reads = 0
        while any(p.is_alive() for p in procs) and reads < 500:
            sessions.list_sessions(db, 5)
            sessions.resumable(db)
            reads += 1
        results = [queue.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(timeout=60)
        assert results == ["ok", "ok"]
        assert db.scalar("SELECT COUNT(*) FROM processing_state") == 300
        assert db.scalar("SELECT COUNT(*) FROM operation_log") == 900
        assert db.scalar("SELECT COUNT(*) FROM processing_state WHERE completed_operations = 1") == 300


def test_reader_and_writer_while_another_process_holds_a_write(shared_db):
    queue, held, release = CTX.Queue(), CTX.Event(), CTX.Event()
    proc = CTX.Process(target=_hold_write_lock, args=(shared_db, held, release, queue))
    proc.start()
    try:
        assert held.wait(30)
        with open_db(shared_db) as db:
            # WAL: reading never waits for the writer, which holds its write until `release`
            assert sessions.list_sessions(db) == []
            release.set()
            _new(db)  # waits on the busy timeout, then succeeds
            assert queue.get(timeout=30) == "ok"
            assert db.scalar("SELECT COUNT(*) FROM processing_state") == 2
    finally:
        release.set()
        proc.join(timeout=30)


def test_backup_while_another_process_writes(shared_db):
    queue, stop = CTX.Queue(), CTX.Event()
    proc = CTX.Process(target=_writer_until, args=(shared_db, stop, queue))
    proc.start()
    copies = []
    try:
        with open_db(shared_db) as db:
            deadline = time.monotonic() + 30
            while db.scalar("SELECT COUNT(*) FROM operation_log") < 30 and time.monotonic() < deadline:
                time.sleep(0.02)
            for _ in range(3):
                copies.append(backup.create_backup(db, "during writes"))
                time.sleep(0.05)
    finally:
        stop.set()
        written = queue.get(timeout=30)
        proc.join(timeout=30)
    assert isinstance(written, int), written
    counts = []
    for info in copies:
        assert backup.verify(info.path) == VERSION
        conn = apsw.Connection(info.path, flags=apsw.SQLITE_OPEN_READONLY)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        # a plan is one transaction: a copy has all of a plan's rows or none of them
        torn = conn.execute(
            "SELECT COUNT(*) FROM processing_state ps WHERE total_operations != "
            "(SELECT COUNT(*) FROM operation_log ol WHERE ol.session_id = ps.session_id)").fetchone()[0]
        sessions_in_copy = conn.execute("SELECT COUNT(*) FROM processing_state").fetchone()[0]
        conn.close()
        assert torn == 0
        counts.append(sessions_in_copy)
    assert counts == sorted(counts) and 0 < counts[0] and counts[-1] <= written


def test_worker_threads_share_one_connection(db):
    import threading

    sid = _new(db)
    sessions.plan_operations(db, sid, [sessions.PlannedOperation(
        operation_type="clip_export", operation_name=f"clip {i}") for i in range(40)])
    errors = []

    def work(seqs):
        try:
            for seq in seqs:
                sessions.start_operation(db, sid, seq)
                sessions.set_progress(db, sid, seq, 0.5)
                sessions.finish_operation(db, sid, seq, "completed")
        except Exception as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(range(i + 1, 41, 4),)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sessions.get(db, sid).completed_operations == 40


def test_nested_transactions_roll_back_together(db):
    sid = _new(db)
    with pytest.raises(RuntimeError):
        with db.transaction():
            _plan(db, sid)  # its own transaction becomes a savepoint
            sessions.update(db, sid, current_operation="planning")
            raise RuntimeError("the caller failed after both writes")
    assert sessions.operations(db, sid) == []
    assert sessions.get(db, sid).current_operation is None
