"""The whole editor workflow over the bridge alone, as the page drives it: `video-archive serve` in a
child process, JSON-RPC over HTTP and events over SSE. Create a project from a real clip, load the
timeline, recut, move/add/delete cuts, group scenes, export, kill the server mid-export, start it
again and resume. Then the archive on disk must follow the edited cuts and groups frame-exactly,
and the database rows must agree."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from archive_checks import FAST_OVERRIDES, State, check_complete, decode, distance, ends_of, resized
from bridge_client import Client, RpcFailure

REPO = Path(__file__).resolve().parent.parent
CLIP = "testvideo.mp4"
FAST = FAST_OVERRIDES
pytestmark = pytest.mark.slow


class Server:
    """`video-archive serve` as a user starts it, with an SSE listener collecting every event."""

    def __init__(self, db: Path):
        self.proc = subprocess.Popen([sys.executable, "-m", "backend.cli.main", "--db", str(db),
                                      "serve", "--no-browser"], cwd=REPO, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        first = self.proc.stdout.readline().strip()
        match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)/\?token=(\S+)", first)
        assert match, (first, self.proc.stderr.read() if self.proc.poll() is not None else "")
        self.port, self.token = int(match.group(1)), match.group(2)
        self.events_path = self.client().raw("POST", "/session", b"{}", {
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})[2]
        self.events_path = json.loads(self.events_path)["events"]
        self.events: list[dict] = []
        self.seen = threading.Condition()
        self._listener = threading.Thread(target=self._listen, daemon=True)
        self._listener.start()

    def client(self) -> Client:
        class _Server:  # what bridge_client.Client reads of a server
            pass
        fake = _Server()
        fake.port, fake.token = self.port, self.token
        fake.events_path = getattr(self, "events_path", None)
        return Client(fake)

    def _listen(self) -> None:
        try:
            conn = socket.create_connection(("127.0.0.1", self.port), timeout=600)
            conn.sendall((f"GET {self.events_path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                          "\r\n").encode())
            buffer = b""
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                buffer += data
                *chunks, buffer = buffer.split(b"\n\n")
                for chunk in chunks:
                    for line in chunk.split(b"\n"):
                        if line.startswith(b"data: "):
                            with self.seen:
                                self.events.append(json.loads(line[6:]))
                                self.seen.notify_all()
        except OSError:
            return

    def wait_event(self, match, timeout: float = 600) -> dict:
        deadline = time.monotonic() + timeout
        with self.seen:
            while True:
                found = next((e for e in self.events if match(e)), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                assert left > 0, f"no such event; got {[e['type'] for e in self.events][-20:]}"
                self.seen.wait(left)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


def test_whole_workflow_over_the_bridge(tmp_path, media_dir):
    state = State(tmp_path / "state")
    out = tmp_path / "archives"
    server = Server(state.db)
    try:
        rpc = server.client()
        # 1. create: returns at once; the ingest's events reach the listener
        started = rpc.call("project.create", {"master": str(media_dir / CLIP), "artwork": "Bridge Run",
                                              "date": "26-12-01", "out": str(out), "overrides": FAST})
        sid, job = started["session_id"], started["job_id"]
        server.wait_event(lambda e: e["type"] == "ingest_done" and e["job_id"] == job)
        assert any(e["type"] == "ingest_progress" and e["job_id"] == job for e in server.events)

        # 2. the timeline
        timeline = rpc.call("timeline.get", {"session_id": sid})
        frames = timeline["frame_count"]
        assert timeline["threshold"] == 30.0 and timeline["cuts"] == sorted(timeline["cuts"])
        assert len(timeline["scenes"]) == len(timeline["cuts"]) + 1
        assert all(s["midpoint_index"] is not None for s in timeline["scenes"])
        assert timeline["thumbs_url"] and timeline["proxy_url"]
        # 3. recut from the stored scores
        recut = rpc.call("edit.recut", {"session_id": sid, "threshold": 27.0, "min_scene_len": 15})
        assert recut["cuts"] == [30, 180, 394, 691]
        # 4. move 180 -> 185, add 500, delete 691
        cuts = [30, 185, 394, 500]
        edited = rpc.call("edit.set_cuts", {"session_id": sid, "cuts": [500, 30, 394, 185]})
        assert edited["cuts"] == cuts
        bounds = [(0, 29), (30, 184), (185, 393), (394, 499), (500, frames - 1)]
        stored = rpc.call("timeline.get", {"session_id": sid})["scenes"]
        assert [(s["start_frame"], s["end_frame"]) for s in stored] == bounds
        assert edited["midpoints"] == [s["midpoint_index"] for s in stored]
        # 5. group scenes 2 and 3; every scene exported
        rpc.call("edit.set_selection", {"session_id": sid, "scenes": [1, 2, 3, 4, 5]})
        rpc.call("edit.set_groups", {"session_id": sid, "groups": [
            {"name": "Middle Part", "color": "#33aaff", "scenes": [2, 3]}]})
        with pytest.raises(RpcFailure) as err:
            rpc.call("edit.set_cuts", {"session_id": sid, "cuts": [30, 30]})
        assert err.value.data == {"code": "input_error", "field": "cuts"}

        # 6. export, 7. killed mid-export
        export = rpc.call("export.start", {"session_id": sid})["job_id"]
        server.wait_event(lambda e: e["type"] == "unit_finished" and e["job_id"] == export
                          and e.get("op") not in ("probe", "scene_detection"))
        server.kill()
        archive = out / "26-12-01_Bridge-Run"
        assert state.session(sid)["status"] == "processing"  # as a crash leaves it
        assert state.session(sid)["completed_operations"] < state.session(sid)["total_operations"]
    finally:
        server.stop()

    server = Server(state.db)
    try:
        rpc = server.client()
        listed = {p["session_id"]: p for p in rpc.call("project.list")}
        assert listed[sid]["stage"] == "export" and listed[sid]["job"] is None
        resumed = rpc.call("export.resume", {"session_id": sid})["job_id"]
        done = server.wait_event(lambda e: e["type"] == "job_finished" and e["job_id"] == resumed)
        assert done["state"] == "completed", done
        status = rpc.call("export.status", {"session_id": sid})
        assert status["status"] == "completed" and status["failed"] == []
        registered = rpc.call("history.files", {"session_id": sid})
        history = rpc.call("history.list")
    finally:
        server.stop()

    # the archive is whole: every planned output, manifest checksums, one registry row per file
    files = check_complete(state, sid, archive)
    prefix = "26-12-01_Bridge-Run"
    clips = [p for p in files if p.startswith("clips/")]
    assert set(clips) == {f"clips/Middle-Part/{prefix}_s002.mp4", f"clips/Middle-Part/{prefix}_s003.mp4",
                          f"clips/{prefix}_s001.mp4", f"clips/{prefix}_s004.mp4", f"clips/{prefix}_s005.mp4"}
    # each clip is exactly its scene: its frame count, and its first and last frames are the
    # master's frames at the edited cuts (nearer them than to any neighbour)
    wanted = {i for a, b in bounds for i in range(max(0, a - 2), min(frames, b + 3))
              if i <= a + 2 or i >= b - 2}
    count, master = decode(media_dir / CLIP, wanted)
    assert count == frames
    for number, (a, b) in enumerate(bounds, 1):
        [clip] = [archive / p for p in clips if p.endswith(f"_s{number:03d}.mp4")]
        n, first, last = ends_of(clip)
        assert n == b - a + 1, (number, n, b - a + 1)
        size = (first.shape[1], first.shape[0])
        for got, frame in ((first, a), (last, b)):
            near = {i: distance(got, resized(master[i], size)) for i in range(frame - 2, frame + 3)
                    if i in master}
            # the right frame is the nearest (a tie only where the picture stands still: a fade
            # through black holds identical frames)
            assert near[frame] <= min(near.values()) + 0.1, (number, frame, near)
            assert near[frame] < 3, (number, frame, near)
    # the database agrees: the edits as saved, the registry, the history row
    row = state.session(sid)
    assert [(s["start_frame"], s["end_frame"]) for s in json.loads(row["scenes_data"])] == bounds
    assert json.loads(row["selected_scenes"]) == [1, 2, 3, 4, 5]
    assert json.loads(row["grouped_scenes"]) == [{"name": "Middle Part", "color": "#33aaff",
                                                  "scenes": [2, 3]}]
    assert {f["file_path"] for f in registered} == set(files)
    for f in registered:
        assert f["file_size_bytes"] == (archive / f["file_path"]).stat().st_size
    clip_rows = [f for f in registered if f["file_type"] == "clip"]
    assert len(clip_rows) == 5
    [entry] = [h for h in history if h["session_id"] == sid]
    assert entry["scenes_exported"] == 5 and entry["clips_created"] == 5
    assert entry["scenes_detected"] == 5
