"""The project, timeline, edit, frame and export methods through the dispatcher, on real clips:
what each returns, what each refuses (with its code and field), and the events of a real ingest
and export."""

import io
import json
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import make_hits_master
from PIL import Image

from App.open_output import OpenOnFinish
from backend.media.ingest import load_frame_table
from bridge.app import dispatcher
from bridge.context import Bridge
from bridge.rpc import RpcError
from archive_checks import FAST_OVERRIDES

FAST = FAST_OVERRIDES


class Harness:
    def __init__(self, bridge):
        self.bridge = bridge
        self.rpc = dispatcher(bridge)
        self.events: list[dict] = []
        self._lock = threading.Lock()
        bridge.events.add_callback(self._got)

    def _got(self, event):
        with self._lock:
            self.events.append(event)

    def __call__(self, method, params=None):
        message = {"jsonrpc": "2.0", "method": method, "id": 1}
        if params is not None:
            message["params"] = params
        answer = json.loads(self.rpc.handle(json.dumps(message)))
        if "error" in answer:
            raise RpcError(answer["error"]["code"], answer["error"]["message"],
                           answer["error"].get("data"))
        return answer["result"]

    def fails(self, method, params, code=-32000, field=None, app="input_error") -> str:
        with pytest.raises(RpcError) as info:
            self(method, params)
        assert info.value.code == code, info.value.message
        if -32099 <= code <= -32000:
            assert info.value.data == {"code": app, "field": field}, info.value.message
        elif field:
            assert info.value.data["field"] == field
        return info.value.message

    def wait(self, job_id, timeout=300):
        return self.bridge.jobs.wait(job_id, timeout)

    def of(self, job_id, type_=None):
        with self._lock:
            return [e for e in self.events if e.get("job_id") == job_id
                    and (type_ is None or e["type"] == type_)]

    def media(self, url) -> bytes:
        """What GET url serves (the HTTP tests check the serving itself)."""
        name = url.split("/media/", 1)[1]
        media_id, _, part = name.partition("/")
        item = self.bridge.media.get(media_id)
        assert item is not None, url
        if part:
            offsets = np.load(item.offsets)
            data = item.path.read_bytes()
            return data[offsets[int(part)]:offsets[int(part) + 1]]
        return item.path.read_bytes()


@pytest.fixture
def call(db_path):
    bridge = Bridge(db_path)
    yield Harness(bridge)
    bridge.close()


def create(call, media_dir, tmp_path, clip="counter.mp4", artwork="Counter", **extra):
    started = call("project.create", {"master": str(media_dir / clip), "artwork": artwork,
                                      "date": "26-12-01", "out": str(tmp_path / "out"),
                                      "overrides": FAST, **extra})
    info = call.wait(started["job_id"])
    assert info.state == "completed", info.message
    return started


def test_create_starts_the_ingest_and_returns_at_once(call, media_dir, tmp_path):
    started = call("project.create", {"master": str(media_dir / "testvideo.mp4"),
                                      "artwork": "Test Video", "date": "26-12-01",
                                      "out": str(tmp_path / "out")})
    assert started["archive_path"] == str(tmp_path / "out" / "26-12-01_Test-Video")
    listed = {p["session_id"]: p for p in call("project.list")}
    assert started["session_id"] in listed
    assert call.wait(started["job_id"]).state == "completed"
    types = [e["type"] for e in call.of(started["job_id"])]
    assert "ingest_progress" in types and types[-3:] == ["session_finished", "ingest_done",
                                                         "job_finished"]
    # the web master's segments are encoded in the background while the user reviews
    from backend.jobs import segment_prefetch
    assert segment_prefetch.following() == started["session_id"]
    segment_prefetch.stop()
    last = [e for e in call.of(started["job_id"], "ingest_progress")][-1]
    assert last["frames_total"] > 0 and last["frames"] > 0 and last["fps"] > 0
    info = call("project.open", {"session_id": started["session_id"]})
    assert (info["stage"], info["status"], info["job"]) == ("edit", "paused", None)


@pytest.mark.parametrize("change, field", [
    ({"master": "/no/such.mov"}, "master"), ({"date": "2026-12-32"}, "date"),
    ({"artwork": "///"}, "artwork"), ({"preset": "nope"}, "preset"),
    ({"threshold": 0.0}, "threshold"), ({"min_scene_len": 0}, "min_scene_len"),
    ({"rd": "/no/such/folder"}, "rd"), ({"overrides": {"video": {"crf": "x"}}}, "video.crf"),
])
def test_create_names_the_field_and_starts_nothing(call, media_dir, tmp_path, change, field):
    params = {"master": str(media_dir / "counter.mp4"), "artwork": "Bad", "date": "26-12-01",
              "out": str(tmp_path / "out"), **change}
    call.fails("project.create", params, field=field)
    assert call("project.list") == [] and not call.events


def test_create_param_errors(call, tmp_path):
    call.fails("project.create", {"artwork": "A", "date": "26-12-01", "out": "/tmp"}, -32602,
               "master")
    call.fails("project.create", {"master": "m", "artwork": "A", "date": "26-12-01", "out": "o",
                                  "encoder": "vaapi"}, -32602, "encoder")


def test_timeline_serves_the_waveform_peaks_as_binary(call, tmp_path, ffmpeg_bin):
    master = make_hits_master(ffmpeg_bin, tmp_path / "hits.mp4", seconds=3)
    started = call("project.create", {"master": str(master), "artwork": "Hits", "out":
                                      str(tmp_path / "out"), "date": "26-12-01", "overrides": FAST})
    assert call.wait(started["job_id"]).state == "completed"
    wf = call("timeline.get", {"session_id": started["session_id"]})["waveform"]
    assert (wf["sample_rate"], wf["channels"], wf["samples"]) == (48000, 2, 144000)
    result = __import__("backend.jobs.project", fromlist=["x"]).ingested(call.bridge.db,
                                                                        started["session_id"])
    assert [lv["samples_per_bin"] for lv in wf["levels"]] == [64, 512, 4096, 32768]
    for level in wf["levels"]:
        data = np.frombuffer(call.media(level["url"]), np.int8)
        assert len(data) == level["bins"] * 2 * 2 == -(-144000 // level["samples_per_bin"]) * 4
        assert data.tolist() == np.fromfile(
            result.scores.parent / f"peaks-{level['samples_per_bin']}.i8", np.int8).tolist()
        assert data[1::2].max() > 60   # the hits (0.55 of full scale); the drone stays under 10
    # the sharp proxy: started by timeline.get, made in the background, then served instead
    sid = started["session_id"]
    deadline = time.monotonic() + 60
    while (state := call("timeline.proxy", {"session_id": sid}))["pending"]:
        assert time.monotonic() < deadline, state
        time.sleep(0.1)
    assert state["sharp"] and state["error"] is None and (state["width"], state["height"]) == (320, 180), state
    assert call.media(state["url"])[:4] == b"\x1aE\xdf\xa3"
    again = call("timeline.get", {"session_id": sid})
    assert (again["proxy_url"], again["proxy_width"], again["proxy_pending"]) == (state["url"], 320, False)
    # for scrubbing while paused: the small one's picture, every frame, without the sound
    assert again["scrub_url"] == state["scrub_url"] not in (None, again["proxy_url"])
    (tmp_path / "scrub.webm").write_bytes(call.media(again["scrub_url"]))
    with av.open(str(tmp_path / "scrub.webm")) as scrub, av.open(str(result.proxy)) as small:
        assert not scrub.streams.audio and small.streams.audio
        assert [p.pts for p in scrub.demux(video=0) if p.size] == [p.pts for p in small.demux(video=0) if p.size]


def test_timeline_and_edits(call, media_dir, tmp_path):
    sid = create(call, media_dir, tmp_path)["session_id"]
    timeline = call("timeline.get", {"session_id": sid})
    assert timeline["fps"] == {"num": 10, "den": 1} and timeline["duration_s"] == 3.0
    assert timeline["frame_count"] == 30 and timeline["cuts"] == []
    assert [(s["number"], s["start_frame"], s["end_frame"]) for s in timeline["scenes"]] == [(1, 0, 29)]
    assert timeline["selection"] == [1] and timeline["groups"] == []
    assert timeline["threshold"] == 30.0 and timeline["min_scene_len"] == 15
    assert timeline["start_timecode"] == "00:00:00:00"
    scores = np.frombuffer(call.media(timeline["scores_url"]), "<f4")
    result = __import__("backend.jobs.project", fromlist=["x"]).ingested(call.bridge.db, sid)
    assert len(scores) == timeline["score_count"] == 30
    assert np.allclose(scores, np.load(result.scores), atol=1e-4)
    frame_us = np.frombuffer(call.media(timeline["frame_us_url"]), "<f8")
    assert frame_us.tolist() == np.load(Path(result.scores).parent / "frame_us.npy").tolist()
    assert call.media(timeline["proxy_url"])[:4] == b"\x1aE\xdf\xa3"  # WebM
    assert timeline["waveform"] is None   # counter.mp4 has no audio
    sheet = timeline["sprites"][0]
    with Image.open(io.BytesIO(call.media(sheet["url"]))) as image:
        assert image.size == (sheet["columns"] * sheet["tile_width"], sheet["rows"] * sheet["tile_height"])
    assert sheet["frames"][0] == sheet["first_frame"] == 0
    [scene] = timeline["scenes"]
    assert scene["midpoint_index"] == scene["midpoint_frame"] == 15
    thumb = call.media(f"{timeline['thumbs_url']}/{scene['midpoint_index']}")
    assert thumb[:2] == b"\xff\xd8" and "thumbs" not in timeline  # one base, not a URL a scene

    edited = call("edit.set_cuts", {"session_id": sid, "cuts": [20, 10]})
    assert edited["cuts"] == [10, 20] and edited["thumbs_url"] == timeline["thumbs_url"]
    # the scenes are not sent again: the spans between the cuts, each with its midpoint
    assert "scenes" not in edited and edited["midpoints"] == [5, 15, 25]
    stored = call("timeline.get", {"session_id": sid})["scenes"]
    assert [(s["start_frame"], s["end_frame"]) for s in stored] == [(0, 9), (10, 19), (20, 29)]
    assert [s["midpoint_index"] for s in stored] == edited["midpoints"]
    assert call("edit.set_selection", {"session_id": sid, "scenes": [3, 1]})["selection"] == [1, 3]
    groups = call("edit.set_groups", {"session_id": sid, "groups": [
        {"name": "Loop", "color": "#ff8800", "scenes": [2, 3]}]})["groups"]
    assert groups == [{"name": "Loop", "color": "#ff8800", "scenes": [2, 3]}]
    # saved at once: a fresh look (a closed window) finds the same
    again = call("timeline.get", {"session_id": sid})
    assert (again["cuts"], again["selection"], again["groups"]) == ([10, 20], [1, 3], groups)
    # a scene's note follows its frames through new cuts, and stays put when they do not move it
    call("edit.set_scene_notes", {"session_id": sid, "notes": [{"start_frame": 10, "label": "Walk"}]})
    moved = call("edit.set_cuts", {"session_id": sid, "cuts": [12, 20]})
    walk = [{"start_frame": 0, "label": "Walk", "note": ""}]
    assert moved["scene_notes"] == walk
    assert call("timeline.get", {"session_id": sid})["scene_notes"] == walk
    recut = call("edit.recut", {"session_id": sid, "threshold": 30.0, "min_scene_len": 15})
    assert recut["cuts"] == [] and recut["scene_notes"] == walk
    assert call("timeline.get", {"session_id": sid})["scene_notes"] == walk

    for params, field in (({"cuts": [45]}, "cuts"), ({"cuts": [10, 10]}, "cuts"),
                          ({"cuts": [0]}, "cuts")):
        call.fails("edit.set_cuts", {"session_id": sid, **params}, field=field)
    call.fails("edit.set_cuts", {"session_id": sid, "cuts": ["10"]}, -32602, "cuts[0]")
    call.fails("edit.set_selection", {"session_id": sid, "scenes": [2]}, field="scenes")
    call.fails("edit.set_groups", {"session_id": sid, "groups": [{"name": "a", "scenes": [1]},
                                                                  {"name": "b", "scenes": [1]}]},
               field="groups")
    call.fails("edit.set_groups", {"session_id": sid, "groups": [{"name": "a"}]}, -32602,
               "groups[0].scenes")
    call.fails("edit.recut", {"session_id": sid, "threshold": -1.0, "min_scene_len": 15},
               field="threshold")
    for method in ("timeline.get", "edit.set_selection"):
        call.fails(method, {"session_id": "nope", **({"scenes": []} if "edit" in method else {})},
                   field="session_id")
    call.fails("timeline.get", {}, -32602, "session_id")

    # cuts from an editor's file (the editor's Import cuts)
    csv = tmp_path / "from-losslesscut.csv"
    csv.write_text("0,1.0,Intro\n1.0,2.5,\n2.5,3.0,End\n")
    imported = call("edit.import_cuts", {"session_id": sid, "path": str(csv)})
    assert imported["cuts"] == [10, 25] and len(imported["midpoints"]) == 3
    assert imported["thumbs_url"] == timeline["thumbs_url"]
    assert call("timeline.get", {"session_id": sid})["cuts"] == [10, 25]
    (tmp_path / "bad.edl").write_text("TITLE: no events\n")
    with open(tmp_path / "huge.csv", "wb") as f:
        f.truncate(17 * 2**20)
    for path in ("/no/such/cuts.edl", str(tmp_path), str(tmp_path / "bad.edl"),
                 str(tmp_path / "huge.csv"), str(tmp_path / "cuts.txt")):
        call.fails("edit.import_cuts", {"session_id": sid, "path": path}, field="path")
    assert call("timeline.get", {"session_id": sid})["cuts"] == [10, 25]  # nothing changed


def test_frames(call, media_dir, tmp_path):
    sid = create(call, media_dir, tmp_path, clip="testvideo.mp4", artwork="Frames")["session_id"]
    timeline = call("timeline.get", {"session_id": sid})
    assert timeline["cuts"], timeline["cuts"]
    png = call("frame.get", {"session_id": sid, "frame": 100, "format": "png"})
    assert png["frame"] == 100 and (png["width"], png["height"]) == (timeline["width"], timeline["height"])
    assert call.media(png["url"])[:8] == b"\x89PNG\r\n\x1a\n"
    assert call.media(call("frame.get", {"session_id": sid, "frame": 0})["url"])[:2] == b"\xff\xd8"
    # the viewer's size: fitted inside it at the display aspect, never enlarged
    fitted = call("frame.get", {"session_id": sid, "frame": 100, "max_width": 640, "max_height": 640})
    assert (fitted["width"], fitted["height"]) == (640, 360) and fitted["frame"] == 100
    assert call("frame.get", {"session_id": sid, "frame": 100, "max_width": 4000})["width"] == timeline["width"]
    call.fails("frame.get", {"session_id": sid, "frame": 100, "max_width": 8}, -32602, "max_width")
    cut = timeline["cuts"][0]
    around = call("frame.around_cut", {"session_id": sid, "cut": cut})
    assert (around["before_frame"], around["after_frame"]) == (cut - 1, cut)
    result = __import__("backend.jobs.project", fromlist=["x"]).ingested(call.bridge.db, sid)
    scores = np.load(result.scores)
    assert around["after_score"] == pytest.approx(scores[cut]) and around["after_score"] > 30
    assert around["before_score"] == pytest.approx(scores[cut - 1])
    last = timeline["frame_count"] - 1
    for frame in (-1, last + 1):
        call.fails("frame.get", {"session_id": sid, "frame": frame}, field="frame")
    for cut in (0, last + 1):
        call.fails("frame.around_cut", {"session_id": sid, "cut": cut}, field="cut")
    call.fails("frame.get", {"session_id": sid, "frame": 1, "format": "gif"}, -32602, "format")


def test_export_pause_resume_status(call, media_dir, tmp_path):
    sid = create(call, media_dir, tmp_path, clip="testvideo.mp4", artwork="Export")["session_id"]
    call("edit.set_groups", {"session_id": sid, "groups": [{"name": "Pair", "scenes": [1, 2]}]})
    call.fails("export.pause", {"session_id": sid}, -32001, app="state_error")
    paused = threading.Event()

    def pause_after_first_unit(event):
        if event.get("type") == "unit_finished" and not paused.is_set():
            paused.set()
            call.bridge.jobs.stop(sid)  # what export.pause does, from the first finished unit

    remove = call.bridge.events.add_callback(pause_after_first_unit)
    job = call("export.start", {"session_id": sid})["job_id"]
    call.fails("export.start", {"session_id": sid}, -32001, app="state_error")  # busy
    assert call.wait(job).state == "paused"
    remove()
    status = call("export.status", {"session_id": sid})
    assert status["status"] == "paused" and status["stage"] == "export"
    assert 0 < status["completed"] < status["total"] and status["job"]["state"] == "paused"
    call.fails("edit.set_cuts", {"session_id": sid, "cuts": [5]}, field="session_id")
    job = call("export.resume", {"session_id": sid})["job_id"]
    assert call.wait(job).state == "completed"
    status = call("export.status", {"session_id": sid})
    assert status["status"] == "completed" and status["completed"] == status["total"]
    assert status["failed"] == []
    finished = call.of(job, "session_finished")[-1]
    assert finished["status"] == "completed" and finished["fraction"] == 1.0
    assert call.of(job, "progress") and call.of(job, "unit_finished")
    files = call("history.files", {"session_id": sid})
    assert any(f["file_type"] == "clip" for f in files)
    assert [h["session_id"] for h in call("history.list")] == [sid]
    call.fails("export.start", {"session_id": sid}, field="session_id")
    call.fails("project.discard", {"session_id": sid}, field="session_id")
    assert sid not in {p["session_id"] for p in call("project.list")}


def test_cancel_and_discard(call, media_dir, tmp_path):
    sid = create(call, media_dir, tmp_path, clip="testvideo.mp4", artwork="Dropped")["session_id"]
    first = threading.Event()
    remove = call.bridge.events.add_callback(
        # a unit that writes into the archive (the web master's segments go to the cache)
        lambda e: e.get("type") == "unit_started" and e.get("op") not in ("probe", "web_segments")
        and first.set())
    job = call("export.start", {"session_id": sid})["job_id"]
    assert first.wait(120)
    remove()
    status = call("export.cancel", {"session_id": sid})
    assert status["job"]["state"] in ("cancelled", "completed")
    if status["job"]["state"] == "completed":
        pytest.skip("the export finished before the cancel reached it")
    # the files it wrote are deleted and it is no unfinished session; it can still be discarded
    assert [p for p in (tmp_path / "out").rglob("*") if p.is_file()] == []
    assert sid not in {p["session_id"] for p in call("project.list")}
    gone = call("project.discard", {"session_id": sid})
    assert gone["session_id"] == sid
    assert sid not in {p["session_id"] for p in call("project.list")}
    call.fails("export.status", {"session_id": sid}, field="session_id")
    assert call.wait(job).state == "cancelled"


def test_export_plan_and_empty_groups(call, media_dir, tmp_path):
    """export.plan: the summary's counts and estimated size from the core; an empty group made in
    the page is kept through timeline.get and exports nothing."""
    sid = create(call, media_dir, tmp_path)["session_id"]
    call("edit.set_cuts", {"session_id": sid, "cuts": [10, 20]})
    call("edit.set_selection", {"session_id": sid, "scenes": [1, 3]})
    groups = [{"name": "New", "color": "#336699", "scenes": []},
              {"name": "Ends", "color": None, "scenes": [1, 3]}]
    assert call("edit.set_groups", {"session_id": sid, "groups": groups})["groups"] == groups
    assert call("timeline.get", {"session_id": sid})["groups"] == groups
    plan = call("export.plan", {"session_id": sid})
    assert {k: plan[k] for k in ("session_id", "scenes_selected", "clips", "stills", "groups")} == {
        "session_id": sid, "scenes_selected": 2, "clips": 2, "stills": 4, "groups": 1}
    assert plan["estimated_bytes"] > (media_dir / "counter.mp4").stat().st_size  # the master copy at least
    assert call("export.plan", {"session_id": sid, "estimate": False})["estimated_bytes"] is None
    assert "export.plan" in {m["name"] for m in call("rpc.discover")["methods"]}
    opened = []  # the desktop shell's auto_open_output, on a real export's events
    watch = OpenOnFinish(call.bridge.events, call.bridge.db, opened.append)
    job = call("export.start", {"session_id": sid})["job_id"]
    assert call.wait(job).state == "completed"
    watch.remove()
    archive = call("export.status", {"session_id": sid})["archive_path"]
    assert opened == [Path(archive)]
    files = call("history.files", {"session_id": sid})
    assert len(files) == plan["files"]
    assert sorted(f["file_path"] for f in files if f["file_type"] == "clip") == [
        "clips/Ends/26-12-01_Counter_s001.mp4", "clips/Ends/26-12-01_Counter_s003.mp4"]
    call.fails("export.plan", {"session_id": "nope"}, field="session_id")


def test_edit_apply_saves_a_whole_change_or_nothing(call, media_dir, tmp_path):
    """The page's autosave: one edit.apply with every part of a change, in one transaction."""
    sid = create(call, media_dir, tmp_path)["session_id"]
    done = call("edit.apply", {"session_id": sid, "cuts": [10, 20], "selection": [3, 1],
                               "groups": [{"name": "Loop", "color": None, "scenes": [2, 3]}],
                               "scene_notes": [{"start_frame": 10, "label": "Walk"}]})
    # each part checked against what the parts before it made: scene 3 exists after the cuts
    assert (done["cuts"], done["selection"]) == ([10, 20], [1, 3])
    assert done["groups"] == [{"name": "Loop", "color": None, "scenes": [2, 3]}]
    assert done["scene_notes"] == [{"start_frame": 10, "label": "Walk", "note": ""}]
    before = call("timeline.get", {"session_id": sid})
    # a part refused saves none: the good cuts before the bad selection stay unsaved
    call.fails("edit.apply", {"session_id": sid, "cuts": [5], "selection": [3]}, field="scenes")
    call.fails("edit.apply", {"session_id": sid, "threshold": 30.0, "min_scene_len": 15,
                              "scene_notes": [{"start_frame": 7, "label": "x"}]}, field="scene_notes")
    after = call("timeline.get", {"session_id": sid})
    assert {k: after[k] for k in ("cuts", "selection", "groups", "scene_notes", "threshold")} == \
        {k: before[k] for k in ("cuts", "selection", "groups", "scene_notes", "threshold")}
    # a recut and its new cuts in one call; nothing asked, nothing changed
    assert call("edit.apply", {"session_id": sid, "threshold": 30.0, "min_scene_len": 15,
                               "cuts": [15]})["cuts"] == [15]
    assert call("edit.apply", {"session_id": sid})["cuts"] == [15]
    # refused once the export has started, like every edit
    call("export.start", {"session_id": sid})
    call.fails("edit.apply", {"session_id": sid, "selection": [1]}, field="session_id")


def test_a_closed_bridge_leaves_no_background_encode(db_path, media_dir, tmp_path):
    """The ingest starts the segments' background encode; closing the bridge (the app's exit)
    ends it, its ffmpeg too, so nothing runs on for a session nobody has open."""
    from backend.jobs import segment_prefetch

    bridge = Bridge(db_path)
    try:
        harness = Harness(bridge)
        started = harness("project.create", {"master": str(media_dir / "testvideo.mp4"), "artwork": "Gone",
                                             "date": "26-12-01", "out": str(tmp_path / "out")})
        assert harness.wait(started["job_id"]).state == "completed"
        assert segment_prefetch.following() == started["session_id"]
    finally:
        bridge.close()
    assert segment_prefetch.following() is None and not segment_prefetch.running()
