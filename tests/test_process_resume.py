"""Interrupting a real job and finishing it with `resume`. The job (testvideo.mp4 with the R&D
sample) is SIGKILLed during scene detection, after some stills, during the web master encode,
after some clips and during verification (in turn: each resume is killed at the next point), and
paused with SIGTERM and Ctrl-C (during detection, then its resume during the encode); `resume` must then
end with the files of a run that was never interrupted, byte for byte, without leftovers or
duplicate registry rows, every operation completed and none that had completed done again.
Sessions older than max_resume_age_days are not offered."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import apsw
import pytest

from backend.jobs.archive_lock import LOCK_NAME

from archive_checks import (DATE, FAST, State, check_complete, leftovers, manifest_of,
                            no_traceback, processes_mentioning, run_until, tree, wait_gone)

pytestmark = pytest.mark.slow  # full real-media runs; `scripts/test -m "not slow"` leaves them out

ARTWORK = "Kill-Test"
PREFIX = f"{DATE}_{ARTWORK}"
# Written afresh by every run that reaches verification: the process log has each operation's
# timing, the manifest its creation time and the log's checksum. Everything else must be equal.
NOT_DETERMINISTIC = (f"{PREFIX}_process-log.txt", f"{PREFIX}_manifest.json")


@dataclass
class Job:
    folder: Path    # unique to this module: its path finds the job's own ffmpeg processes
    master: Path
    rd: Path

    def args(self, out: Path) -> tuple[str, ...]:
        return ("process", str(self.master), "--artwork", ARTWORK, "--date", DATE,
                "--out", str(out), "--rd", str(self.rd), *FAST)


@pytest.fixture(scope="module", autouse=True)
def two_pass():
    """This module kills the two-pass path's web master encode (an ffmpeg the kill must take
    down); the one-decode run's kill points are tests/test_one_decode.py's."""
    before = os.environ.get("VIDEO_ARCHIVE_ONE_DECODE")
    os.environ["VIDEO_ARCHIVE_ONE_DECODE"] = "0"
    yield
    if before is None:
        del os.environ["VIDEO_ARCHIVE_ONE_DECODE"]
    else:
        os.environ["VIDEO_ARCHIVE_ONE_DECODE"] = before


@pytest.fixture(scope="module")
def job(tmp_path_factory, media_dir) -> Job:
    folder = tmp_path_factory.mktemp("job")
    shutil.copy(media_dir / "testvideo.mp4", folder / "master.mp4")
    shutil.copytree(media_dir / "rd-sample", folder / "rd")
    return Job(folder, folder / "master.mp4", folder / "rd")


@pytest.fixture(scope="module")
def reference(job, tmp_path_factory, shared_cache) -> dict[str, str]:
    """The same job, never interrupted: path -> SHA-256."""
    state = State(tmp_path_factory.mktemp("reference-state"), shared_cache)
    out = tmp_path_factory.mktemp("reference-out")
    result = state.json(*job.args(out))
    assert result.rc == 0, result.stderr
    return check_complete(state, result.outcome["session_id"], out / PREFIX)


def same_as_reference(files: dict[str, str], reference: dict[str, str]) -> None:
    assert set(files) == set(reference)
    differ = sorted(p for p in files if files[p] != reference[p] and p not in NOT_DETERMINISTIC)
    assert differ == [], f"not the same as an uninterrupted run: {differ}"


def session_of(result) -> str:
    return result.first(type="session_started")["session_id"]


# --- SIGKILL at several points -----------------------------------------------------------------------

def _progress(op: str, count: int):
    """The `count`th progress event of a unit of `op` that is not finished yet."""
    def when(event, events):
        return (event["type"] == "unit_progress" and event["op"] == op and event["progress"] < 1
                and sum(e["type"] == "unit_progress" and e["op"] == op for e in events) >= count)
    return when


def _finished(op: str, count: int):
    def when(event, events):
        return (event["type"] == "unit_finished" and event["op"] == op
                and sum(e["type"] == "unit_finished" and e["op"] == op for e in events) >= count)
    return when


def _started(op: str):
    return lambda event, events: event["type"] == "unit_started" and event["op"] == op


# point -> (when to kill, the operation type caught mid-way or just finished), in the order a run
# reaches them: the stills run beside the web master encode and end before it, so "after some
# stills" comes before the encode is caught; the clips wait for the web master.
KILL_POINTS = {
    "during scene detection": (_progress("scene_detection", 1), "scene_detection"),
    "after some stills": (_finished("still_extraction", 2), "still_extraction"),
    "during the web master encode": (_progress("optimization", 2), "optimization"),
    "after some clips": (_finished("clip_export", 2), "clip_export"),
    "during verification": (_started("verification"), "verification"),
}


class Killer:
    """SIGSTOP the job at the chosen event (it freezes where it is), note what the database says
    then, and SIGKILL it: a crash at a known point. Only the main process is signalled, as
    `kill -9 PID` does: its ffmpeg children must go away by themselves."""

    def __init__(self, state: State):
        self.state = state
        self.ops_at_kill: list[dict] = []

    def __call__(self, proc) -> None:
        os.kill(proc.pid, signal.SIGSTOP)
        self.ops_at_kill = self.state.rows("SELECT * FROM operation_log ORDER BY sequence_number")
        os.kill(proc.pid, signal.SIGKILL)


def left_running(job: Job, out: Path) -> list[str]:
    """The job's processes still running: their command lines name the master or the output."""
    return processes_mentioning(str(job.folder)) + processes_mentioning(str(out))


def kill_at(job: Job, state: State, out: Path, when) -> tuple[str, list[dict]]:
    killer = Killer(state)
    result = run_until(state.start(*job.args(out)), when, killer)
    assert result.rc == -signal.SIGKILL, (result.rc, result.stderr)
    assert result.outcome is None  # it never got to say how it ended
    # its ffmpeg children die with it (death signal, or a broken pipe for the decoder)
    assert wait_gone(lambda: left_running(job, out)) == []
    return session_of(result), killer.ops_at_kill


def check_finished_files_intact(archive: Path, reference: dict[str, str]) -> None:
    """After a crash, a file under its final name is complete: it is the file an uninterrupted run
    makes (half-written ones only ever exist under a temporary .partial name)."""
    for path, digest in tree(archive).items():
        if ".partial" in path or path == LOCK_NAME:  # what a killed run leaves, resume removes
            continue
        if path.endswith("_manifest.json"):
            assert manifest_of(archive)["files"], "an empty manifest"
        elif path not in NOT_DETERMINISTIC:
            assert digest == reference[path], f"{path} is not complete"


def test_sigkill_at_each_point_in_turn_then_resume_gives_the_same_archive(job, reference, tmp_path):
    """The job is killed at each point in turn: the first during the run, each next one during
    the resume after it (the resume that follows a kill during scene detection decodes again, so
    each point is reached as a fresh run reaches it). At each kill the finished files are
    complete; each resume does again only what had not completed; the last one ends in the
    archive an uninterrupted run makes."""
    state = State(tmp_path / "state")  # cold: the first kill must catch a real decode
    out = tmp_path / "out"
    archive = out / PREFIX
    sid = None
    for point, (when, op_type) in KILL_POINTS.items():
        killer = Killer(state)
        result = run_until(state.start(*(("resume", sid) if sid else job.args(out))), when, killer)
        assert result.rc == -signal.SIGKILL, (point, result.rc, result.stderr)
        assert result.outcome is None  # it never got to say how it ended
        # its ffmpeg children die with it (death signal, or a broken pipe for the decoder)
        assert wait_gone(lambda: left_running(job, out)) == [], point
        sid = sid or session_of(result)
        if point != "during scene detection":  # the units that had completed before this run
            after = {op["sequence_number"]: op["end_time"] for op in killer.ops_at_kill}
            assert {seq: after[seq] for seq in done_before} == done_before, point
            for path, mtime in mtimes.items():
                assert path.stat().st_mtime_ns == mtime, f"{path.name} was written again ({point})"
        caught = [op for op in killer.ops_at_kill if op["operation_type"] == op_type]
        if point.startswith("during"):
            assert any(op["status"] == "processing" for op in caught), (point, caught)
        else:
            assert sum(op["status"] == "completed" for op in caught) >= 2, (point, caught)
        assert state.session(sid)["status"] == "processing"  # nobody marked it: it was killed
        if point == "during the web master encode":
            assert any("master-web" in p for p in leftovers(archive))  # the encode was writing
            assert not (archive / "masters" / f"{PREFIX}_master-web.mp4").exists()
        if archive.exists():
            check_finished_files_intact(archive, reference)
        completed = [op for op in killer.ops_at_kill if op["status"] == "completed"
                     and op["operation_type"] not in ("probe", "scene_detection")]
        done_before = {op["sequence_number"]: op["end_time"] for op in completed}
        # files of units that had completed (a unit caught mid-way may have renamed some of its
        # outputs already: it runs again and writes them again, identical)
        mtimes = {archive / path: (archive / path).stat().st_mtime_ns
                  for op in completed for path in json.loads(op["output_files"] or "[]")}

    result = state.json("resume", sid)
    assert result.rc == 0, result.stderr
    assert result.outcome["status"] == "completed" and result.outcome["session_id"] == sid
    same_as_reference(check_complete(state, sid, archive), reference)
    after = {op["sequence_number"]: op["end_time"] for op in state.operations(sid)}
    assert {seq: after[seq] for seq in done_before} == done_before
    for path, mtime in mtimes.items():
        assert path.stat().st_mtime_ns == mtime, f"{path.name} was written again"


# --- pause: SIGTERM and Ctrl-C ------------------------------------------------------------------------

PAUSE_POINTS = {"scene detection": _progress("scene_detection", 1),
                "the web master encode": _progress("optimization", 2)}


def _sigterm(proc):
    os.kill(proc.pid, signal.SIGTERM)  # `kill PID`, a service manager stopping it


def _ctrl_c(proc):
    os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole foreground group


PAUSES = {"SIGTERM": _sigterm, "Ctrl-C": _ctrl_c}


@pytest.mark.parametrize("first, second", [("SIGTERM", "Ctrl-C"), ("Ctrl-C", "SIGTERM")])
def test_pause_stops_cleanly_and_resume_completes(first, second, job, reference, tmp_path):
    """Paused one way during scene detection, the resume paused the other way during the web
    master encode (each way is tried at each point across the two cases), then resumed to the
    end. A pause ends cleanly each time: its ffmpeg jobs stopped, nothing half-written left."""
    state = State(tmp_path / "state")  # cold: the first pause must catch a real decode
    out = tmp_path / "out"
    sid = None
    for how, point in zip((first, second), PAUSE_POINTS):
        result = run_until(state.start(*(("resume",) if sid else job.args(out))), PAUSE_POINTS[point],
                           PAUSES[how])
        no_traceback(result.stderr)
        assert result.rc == 3, (how, point, result.rc, result.stderr)
        sid = sid or session_of(result)
        assert result.outcome["status"] == "paused" and result.outcome["session_id"] == sid
        assert left_running(job, out) == []  # its ffmpeg jobs were stopped before it exited
        session = state.session(sid)
        assert session["status"] == "paused" and session["error_message"] is None
        assert {op["status"] for op in state.operations(sid)} <= {"completed", "pending"}
        assert leftovers(out / PREFIX) == []
        assert sid in [s["session_id"] for s in state.listing("sessions", "--resumable")]

    result = state.json("resume")  # no id: the most recent resumable session
    assert result.rc == 0, result.stderr
    assert result.outcome["session_id"] == sid and result.outcome["status"] == "completed"
    same_as_reference(check_complete(state, sid, out / PREFIX), reference)


# --- old sessions are not offered ---------------------------------------------------------------------

def test_sessions_older_than_max_resume_age_are_not_offered(job, tmp_path, shared_cache):
    state = State(tmp_path / "state", shared_cache)  # any killed session: no decode needed
    out = tmp_path / "out"
    sid, _ = kill_at(job, state, out, _started("optimization"))

    def offered():
        return [s["session_id"] for s in state.listing("sessions", "--resumable")]

    assert offered() == [sid]
    [setting] = state.rows("SELECT value FROM app_settings WHERE key = 'max_resume_age_days'")
    days = int(setting["value"])
    con = apsw.Connection(str(state.db))
    con.execute("UPDATE processing_state SET updated_at = datetime('now', ?) WHERE session_id = ?",
                (f"-{days + 1} days", sid))
    con.close()

    assert offered() == []
    done = state.run("resume")
    assert done.returncode == 1
    no_traceback(done.stderr)
    assert "no session to resume" in done.stderr and "max_resume_age_days" in done.stderr
    assert state.session(sid)["status"] == "processing"  # still there, untouched
    assert [s for s in state.rows("SELECT session_id FROM processing_state")] == [{"session_id": sid}]


def test_a_running_session_is_not_resumed_twice(job, reference, tmp_path, shared_cache):
    """The UI while the CLI runs: a resume of a session another live process is running is
    refused (with or without its id), and the running job finishes untouched."""
    state, out = State(tmp_path / "state", shared_cache), tmp_path / "out"
    second: dict[str, subprocess.CompletedProcess] = {}

    def resume_meanwhile(proc) -> None:
        [row] = state.rows("SELECT session_id FROM processing_state")
        second["by id"] = state.run("resume", row["session_id"])
        second["newest"] = state.run("resume")

    result = run_until(state.start(*job.args(out)), _finished("still_extraction", 1), resume_meanwhile)
    assert result.rc == 0 and result.outcome["status"] == "completed", result.stderr
    by_id, newest = second["by id"], second["newest"]
    assert by_id.returncode == 1 and "is running right now" in by_id.stderr, by_id.stderr
    assert newest.returncode == 1 and "no session to resume" in newest.stderr, newest.stderr
    no_traceback(by_id.stderr + newest.stderr)
    same_as_reference(check_complete(state, result.outcome["session_id"], out / PREFIX), reference)
