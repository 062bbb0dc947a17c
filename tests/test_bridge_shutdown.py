"""On SIGTERM `serve` pauses running exports, and the pages listening hear it: the pause's
events reach open event streams before they end."""

import signal

import pytest

from test_bridge_workflow import FAST, Server, State

pytestmark = pytest.mark.slow


def test_sigterm_pauses_the_export_and_listeners_hear_it(tmp_path, media_dir):
    state = State(tmp_path / "state")
    server = Server(state.db)
    try:
        rpc = server.client()
        started = rpc.call("project.create", {"master": str(media_dir / "testvideo.mp4"),
                                              "artwork": "Term", "date": "26-12-01",
                                              "out": str(tmp_path / "out"), "overrides": FAST})
        server.wait_event(lambda e: e["type"] == "ingest_done" and e["job_id"] == started["job_id"])
        export = rpc.call("export.start", {"session_id": started["session_id"]})["job_id"]
        server.wait_event(lambda e: e["type"] == "unit_started" and e["job_id"] == export)
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(60) == 0
        server._listener.join(10)
    finally:
        server.stop()
    ended = [e for e in server.events if e["job_id"] == export
             and e["type"] in ("session_finished", "job_finished")]
    assert ended and ended[-1]["state" if ended[-1]["type"] == "job_finished" else "status"] \
        in ("paused", "cancelled"), [(e["type"], e.get("status"), e.get("state")) for e in ended]
    assert state.session(started["session_id"])["status"] == "paused"
