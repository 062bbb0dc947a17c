"""The bridge's job manager and event hub: a job id at once, events to every listener with the
job's ids, one job per session, pause through the cancel event, failures as events; and the
runner's events translated for the page."""

import threading
import time

import pytest

from backend.errors import InputError, StateError
from backend.jobs.events import Event
from bridge.events import EventHub
from bridge.jobs import JobManager, RunnerEvents


def collect(hub):
    got = []
    hub.add_callback(got.append)
    return got


def test_job_runs_in_the_background_and_fans_out():
    hub = EventHub()
    subs = [hub.subscribe(), hub.subscribe()]
    jobs = JobManager(hub)
    release = threading.Event()

    def work(cancel, emit):
        emit({"type": "progress", "fraction": 0.5})
        release.wait(10)
        return "completed"

    info = jobs.start("export", "s1", work)
    assert info.state == "running"  # back while the work waits for `release`
    with pytest.raises(StateError, match="busy"):
        jobs.start("export", "s1", work)
    release.set()
    assert jobs.wait(info.job_id, 10).state == "completed"
    for sub in subs:
        events = [sub.get(1), sub.get(1)]
        assert events[0] == {"type": "progress", "fraction": 0.5, "job_id": info.job_id,
                             "session_id": "s1", "seq": 1}
        assert events[1]["type"] == "job_finished" and events[1]["state"] == "completed"
    assert jobs.latest_for("s1").job_id == info.job_id and jobs.running_for("s1") is None


def test_a_page_that_starts_the_next_job_on_the_done_event_is_not_told_busy():
    # the page hears ingest_done while the job still records its end: a start then must wait
    # for that end, not refuse (CI caught the race when export.start followed ingest_done)
    hub = EventHub()
    jobs = JobManager(hub)
    seen = threading.Event()
    hub.add_callback(lambda e: seen.set() if e["type"] == "ingest_done" else None)

    def ingest(cancel, emit):
        emit({"type": "session_finished", "status": "analysed"})
        emit({"type": "ingest_done", "status": "analysed"})
        time.sleep(0.5)      # the slow end of a job: closing files, writing the session row
        return "completed"

    first = jobs.start("ingest", "s", ingest)
    assert seen.wait(10)
    second = jobs.start("export", "s", lambda cancel, emit: "completed")
    assert jobs.wait(first.job_id, 10).state == "completed"
    assert jobs.wait(second.job_id, 10).state == "completed"


def test_pause_and_cancel_set_the_cancel_event():
    hub = EventHub()
    jobs = JobManager(hub)

    def work(cancel, emit):
        cancel.wait(10)
        return "paused"

    info = jobs.start("export", "s", work)
    assert jobs.stop("s", wait=10).state == "paused"
    info = jobs.start("export", "s", work)
    assert jobs.stop("s", cancel=True, wait=10).state == "cancelled"
    assert jobs.stop("s") is None


def test_a_failing_job_reports_its_error():
    hub = EventHub()
    got = collect(hub)
    jobs = JobManager(hub)

    def bad(cancel, emit):
        raise InputError("the master is gone", "master")

    def bug(cancel, emit):
        raise KeyError("x")

    info = jobs.wait(jobs.start("ingest", "s", bad).job_id, 10)
    assert (info.state, info.message) == ("failed", "the master is gone")
    assert {"type": "ingest_failed", "message": "the master is gone", "code": "input_error",
            "field": "master"}.items() <= got[0].items()
    info = jobs.wait(jobs.start("ingest", "s", bug).job_id, 10)
    assert info.state == "failed" and "KeyError" in info.message
    assert got[-2]["code"] == "internal_error"


def test_close_pauses_running_jobs():
    jobs = JobManager(EventHub())
    seen = []

    def work(cancel, emit):
        seen.append(cancel.wait(10))
        return "paused"

    info = jobs.start("export", "s", work)
    jobs.close(timeout=10)
    assert seen == [True] and info.state == "paused"


def test_a_listener_that_stops_reading_is_dropped_not_waited_for(monkeypatch):
    import bridge.events as events

    monkeypatch.setattr(events, "QUEUE_LIMIT", 3)
    hub = EventHub()
    slow, fast = hub.subscribe(), hub.subscribe()
    for n in range(5):
        hub.publish({"n": n})
        assert fast.get(1)["n"] == n
    assert slow.dropped and hub.listeners() == 1


def test_runner_events_for_the_page():
    got = []
    now = [100.0]
    translate = RunnerEvents(got.append, frames_total=1000, clock=lambda: now[0])

    def ev(type_, **kw):
        return Event(type=type_, session_id="s", **kw)

    translate(ev("unit_started", op="scene_detection", unit="detect scenes", seq=2, total=2,
                 completed=1))
    now[0] += 2.0
    translate(ev("unit_progress", op="scene_detection", unit="detect scenes", seq=2, progress=0.5))
    translate(ev("unit_finished", op="scene_detection", unit="detect scenes", seq=2, total=2,
                 completed=2))
    translate(ev("session_finished", status="analysed", completed=2, total=2))
    types = [e["type"] for e in got]
    assert types == ["unit_started", "ingest_progress", "progress", "unit_finished",
                     "session_finished", "ingest_done"]
    ingest = got[1]
    assert ingest["frames"] == 500 and ingest["frames_total"] == 1000 and ingest["fps"] == 250.0
    assert ingest["eta_s"] == 2.0
    progress = got[2]
    assert progress["fraction"] == 0.75 and progress["unit_progress"] == 0.5
    assert progress["completed"] == 1 and progress["total"] == 2
    assert got[3]["fraction"] == 1.0 and "session_id" not in got[3]
