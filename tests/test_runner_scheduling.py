"""Units start when the units they need are done, not when a whole stage ends, and a failed unit
stops only the units that need it."""

from __future__ import annotations

import subprocess
import threading
import time

import pytest

from backend.db import files as db_files
from backend.db import sessions
from backend.jobs import project
from backend.jobs.pool import run_graph
from backend.jobs.request import ProcessRequest
from backend.ops.clip_export import ClipExportOperator
from backend.ops.verification import VerificationOperator
from archive_checks import FAST_OVERRIDES

FAST = {**FAST_OVERRIDES, "advanced": {"join_group_clips": True}}


def test_run_graph_isolates_failures_and_starts_on_inputs():
    graph = {"a": [], "b": ["a"], "c": [], "d": ["b"], "e": ["c"], "f": ["missing"]}
    fails = {"a"}
    started: list[str] = []
    lock = threading.Lock()

    def work(name: str) -> bool:
        with lock:
            started.append(name)
        time.sleep(0.01)
        return name not in fails

    blocked = run_graph(list(graph), work, 2, lambda: False, key=lambda n: n,
                        needs=lambda n: graph[n])
    assert blocked == {"b", "d", "f"}  # b needs a (failed), d needs b, f needs what is not there
    assert sorted(started) == ["a", "c", "e"]
    # e starts as soon as c is done, whatever a does
    assert started.index("e") > started.index("c")


def test_run_graph_stops_starting_on_pause():
    stop = threading.Event()
    started = []

    def work(name):
        started.append(name)
        stop.set()
        return True

    run_graph(["a", "b", "c"], work, 1, stop.is_set, key=lambda n: n, needs=lambda n: [])
    assert started == ["a"]


@pytest.fixture
def rd_videos(tmp_path, ffmpeg_bin):
    """An R&D folder of videos: each is an encode of its own, slower than a clip's stream copy."""
    folder = tmp_path / "rd"
    folder.mkdir()
    for i in range(4):
        subprocess.run([str(ffmpeg_bin), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                        "testsrc2=size=640x360:rate=25:duration=4", "-pix_fmt", "yuv420p",
                        str(folder / f"test-{i}.mp4")], check=True)
    return folder


def request(media_dir, tmp_path, **fields) -> ProcessRequest:
    values = dict(master=str(media_dir / "counter.mp4"), artwork="Graph", date="26-11-30",
                  out=str(tmp_path / "out"), cuts=[10, 20], groups={"pair": [1, 2]},
                  overrides=FAST, workers=2)
    values.update(fields)
    return ProcessRequest(**values)


def test_a_clip_starts_before_the_last_rd_file_is_done(db, media_dir, tmp_path, rd_videos):
    outcome = project.process(db, request(media_dir, tmp_path, rd=str(rd_videos)))
    assert outcome.status == "completed", (outcome.error, outcome.failed)
    ops = sessions.operations(db, outcome.session_id)
    clips = [op for op in ops if op.operation_type == "clip_export"]
    rd = [op for op in ops if op.operation_type == "rd_processing"]
    assert clips and rd
    first_clip = min(op.start_time for op in clips)
    last_rd = max(op.end_time for op in rd)
    assert first_clip < last_rd, "every clip waited for all R&D files"
    web = next(op for op in ops if op.operation_type == "optimization")
    assert all(op.start_time >= web.end_time for op in clips)  # but never before its input


def test_a_failed_unit_stops_only_what_needs_it(db, media_dir, tmp_path, monkeypatch):
    original = ClipExportOperator.execute

    def broken(self, unit, job, progress):
        if unit.params.scene == 2:
            raise OSError(28, "No space left on device", "clip 2")
        return original(self, unit, job, progress)

    monkeypatch.setattr(ClipExportOperator, "execute", broken)
    outcome = project.process(db, request(media_dir, tmp_path))
    assert outcome.status == "failed" and "clip scene 002" in outcome.error
    status = {op.operation_name: op.status for op in sessions.operations(db, outcome.session_id)}
    assert status["clip scene 002"] == "failed"
    # what needs the failed clip did not run: the group's joined clip, and the verification
    assert status["join group pair"] == "pending" and status["verify archive"] == "pending"
    # everything independent of it ran
    assert status["clip scene 001"] == status["clip scene 003"] == "completed"
    assert all(status[f"stills scene {n:03d}"] == "completed" for n in (1, 2, 3))
    assert all(status[f"thumbnail scene {n:03d}"] == "completed" for n in (1, 2, 3))
    # a resume runs what is left
    monkeypatch.setattr(ClipExportOperator, "execute", original)
    from backend.jobs.runner import Runner
    again = Runner(db).resume(outcome.session_id)
    assert again.status == "completed", again.error


def test_verified_is_the_verification_operators_verdict(db, media_dir, tmp_path, monkeypatch):
    seen = {}
    original = VerificationOperator.execute

    def spoil(self, unit, job, progress):
        # what the registry says before the check: nothing verified yet
        seen["before"] = [f.verified for f in job.registered()]
        (job.archive / "clips" / "pair" / f"{job.prefix}_s001.mp4").unlink()
        return original(self, unit, job, progress)

    monkeypatch.setattr(VerificationOperator, "execute", spoil)
    outcome = project.process(db, request(media_dir, tmp_path))
    assert seen["before"] and not any(seen["before"])
    assert outcome.status == "failed" and "archive verification failed: missing" in outcome.error
    rows = {f.file_path: f for f in db_files.list_for(db, outcome.session_id)}
    gone = rows["clips/pair/26-11-30_Graph_s001.mp4"]
    assert (gone.verified, gone.file_exists) == (False, False)
    assert all(f.verified for path, f in rows.items() if path != gone.file_path)
    assert "archive verification failed" in sessions.get(db, outcome.session_id).error_message
