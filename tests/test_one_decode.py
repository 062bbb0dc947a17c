"""One decode for a headless `process` (issue 21, part 1): the ingest's decode also feeds the web
master's encoder, with an IDR at each cut as detection settles it; the web master unit muxes that
encode. Clips stay exact stream copies, a VFR master keeps every frame and its timing, a kill -9
anywhere in the run resumes to the archive an uninterrupted run makes."""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import av
import pytest
from hypothesis import given, settings, strategies as st
from scenedetect.detector import FlashFilter

from archive_checks import (DATE, FAST, State, check_complete, packet_times, run_until, tree,
                            wait_gone, processes_mentioning)
from backend.media import encoders, scene_cuts
from backend.media.ingest_pass import _settled_below
from backend.media.web_branch import PREPARED_DIR

# about the caches and the work done ahead of them: each test starts from empty ones (conftest)
pytestmark = pytest.mark.cold_cache

ARTWORK = "One"
PREFIX = f"{DATE}_{ARTWORK}"
NOT_DETERMINISTIC = (f"{PREFIX}_process-log.txt", f"{PREFIX}_manifest.json")


# --- what is settled, over generated score patterns ------------------------------------------

class _Detector:
    def __init__(self, flash: FlashFilter):
        self._flash_filter = flash


@settings(max_examples=300, deadline=None)
@given(above=st.lists(st.booleans(), min_size=1, max_size=200),
       min_len=st.integers(min_value=1, max_value=20))
def test_a_frame_reported_settled_never_becomes_a_cut(above, min_len):
    """The encoder writes frame i as soon as `_settled_below` passes it: no cut may come out at
    or below a frame already reported settled (scenedetect's own FlashFilter, MERGE mode)."""
    flash = FlashFilter(FlashFilter.Mode.MERGE, min_len)
    detector = _Detector(flash)
    rate = scene_cuts.nominal_rate("24/1", None)
    settled = 0
    held = 0
    for index, is_above in enumerate(above):
        pos = scene_cuts.position(index, round(index * 1_000_000 / 24), rate)
        for cut in flash.filter(pos, is_above):
            assert cut.index >= settled, (cut.index, settled)
        now = _settled_below(detector, index)
        assert now >= settled  # never goes back
        settled = now
        held = max(held, index + 1 - settled)
    # the buffer the encoder needs: at most min_scene_len + 1 frames behind detection
    assert held <= min_len + 1


# --- whole runs -------------------------------------------------------------------------------

def _process(state: State, master: Path, out: Path, *more: str, env=None):
    return state.json("process", str(master), "--artwork", ARTWORK, "--date", DATE,
                      "--out", str(out), *FAST, *more, env=env)


def _keyframes(path: Path) -> list[int]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        packets = sorted((p for p in container.demux(stream) if p.size and p.pts is not None),
                         key=lambda p: p.pts)
        return [i for i, p in enumerate(packets) if p.is_keyframe]


def _video_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [bytes(p) for p in container.demux(stream) if p.size]


def _prepared(cache: Path) -> dict:
    [side] = (cache / PREPARED_DIR).glob("*.json")
    return json.loads(side.read_text())


def _first_indices(state: State, sid: str) -> list[int]:
    return [s["start_index"] for s in json.loads(state.session(sid)["scenes_data"])]


@pytest.mark.slow
@pytest.mark.parametrize("clip", ["testvideo.mp4", "goldeneye-vfr-drop3.mp4"])
def test_process_encodes_the_web_master_from_the_ingest_decode(clip, media_dir, tmp_path):
    master = tmp_path / clip
    shutil.copy(media_dir / clip, master)
    cache = tmp_path / "cache"
    state = State(tmp_path / "state", cache)
    result = _process(state, master, tmp_path / "out")
    assert result.rc == 0, result.stderr
    sid = result.outcome["session_id"]
    archive = tmp_path / "out" / PREFIX
    check_complete(state, sid, archive)  # clips counted against their scenes, verified
    web = archive / "masters" / f"{PREFIX}_master-web.mp4"
    prepared = _prepared(cache)
    assert list((cache / PREPARED_DIR).glob("*.lock")) == []  # the writer's lock went with it
    firsts = _first_indices(state, sid)
    # the web master is the one-decode encode, muxed: its video packets are that file's
    assert _video_packets(web) == _video_packets(Path(prepared["video"]))
    # every frame of the master, with its timing (a VFR master's frames add up to its frames)
    master_times, web_times = packet_times(master), packet_times(web)
    assert len(web_times) == len(master_times) == prepared["frames"]
    assert [round(t - web_times[0], 3) for t in web_times] == \
        [round(t - master_times[0], 3) for t in master_times]
    # an IDR at every scene's first frame, so every clip is a stream copy of its scene
    assert set(firsts) <= set(_keyframes(web))
    assert len(firsts) > 1
    # the same cuts as the two-pass path (detection untouched)
    two = State(tmp_path / "state2", tmp_path / "cache2")
    other = _process(two, master, tmp_path / "out2", env=two.env(VIDEO_ARCHIVE_ONE_DECODE="0"))
    assert other.rc == 0, other.stderr
    assert _first_indices(two, other.outcome["session_id"]) == firsts
    assert not (tmp_path / "cache2" / PREPARED_DIR).exists()


@pytest.mark.slow
def test_another_thresholds_encode_is_never_taken_for_this_one(media_dir, tmp_path):
    """A run at threshold 15 leaves its one-decode encode (IDRs at its own cuts) in the cache;
    a later run at threshold 30 on the same master must not mux it: its web master has no IDR
    where only threshold 15 cut, and every clip is still its scene exactly."""
    master = tmp_path / "master.mp4"
    shutil.copy(media_dir / "testvideo.mp4", master)
    state = State(tmp_path / "state", tmp_path / "cache")
    first = _process(state, master, tmp_path / "out-t15", "--threshold", "15")
    assert first.rc == 0, first.stderr
    after = _process(state, master, tmp_path / "out")
    assert after.rc == 0, after.stderr
    check_complete(state, after.outcome["session_id"], tmp_path / "out" / PREFIX)
    web = tmp_path / "out" / PREFIX / "masters" / f"{PREFIX}_master-web.mp4"
    fifteen = set(_first_indices(state, first.outcome["session_id"]))
    thirty = set(_first_indices(state, after.outcome["session_id"]))
    assert fifteen - thirty, "threshold 15 should cut where 30 does not"
    assert thirty <= set(_keyframes(web))
    assert not (fifteen - thirty) & set(_keyframes(web))


@pytest.mark.slow
def test_a_lost_encode_falls_back_to_two_passes(media_dir, tmp_path):
    """The prepared encode gone between analysis and export (a cleaned cache): the web master
    unit encodes from the master as before; the archive is complete."""
    master = tmp_path / "master.mp4"
    shutil.copy(media_dir / "counter.mp4", master)
    cache = tmp_path / "cache"
    state = State(tmp_path / "state", cache)

    def drop(proc) -> None:
        os.kill(proc.pid, signal.SIGSTOP)
        shutil.rmtree(cache / PREPARED_DIR)
        os.kill(proc.pid, signal.SIGCONT)

    result = run_until(state.start("process", str(master), "--artwork", ARTWORK, "--date", DATE,
                                   "--out", str(tmp_path / "out"), *FAST),
                       lambda e, _: e["type"] == "unit_finished" and e["op"] == "scene_detection",
                       drop)
    assert result.rc == 0, result.stderr
    check_complete(state, result.outcome["session_id"], tmp_path / "out" / PREFIX)


# --- kill -9 at points of the one-decode run, then resume -------------------------------------

def _partial_encode(cache: Path):
    """Stop while the one-decode encode is being written (the decode mid-way)."""
    def when(event, events):
        folder = cache / PREPARED_DIR
        return (event["type"] == "unit_progress" and event["op"] == "scene_detection"
                and folder.is_dir() and any(".partial-" in p.name for p in folder.iterdir()))
    return when


def _finished(op: str):
    return lambda e, _: e["type"] == "unit_finished" and e["op"] == op


def _started(op: str):
    return lambda e, _: e["type"] == "unit_started" and e["op"] == op


KILL_POINTS = {
    "mid-encode, during the decode": _partial_encode,
    "after the analysis, before the web master": lambda cache: _finished("scene_detection"),
    "while muxing the web master": lambda cache: _started("optimization"),
    "after some clips": lambda cache: _finished("clip_export"),
}


@pytest.fixture(scope="module")
def kill_master(tmp_path_factory, media_dir) -> Path:
    folder = tmp_path_factory.mktemp("one-decode-kill")
    shutil.copy(media_dir / "testvideo.mp4", folder / "master.mp4")
    return folder / "master.mp4"


@pytest.fixture(scope="module")
def uninterrupted(kill_master, tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("one-decode-ref")
    state = State(folder / "state", folder / "cache")
    result = _process(state, kill_master, folder / "out")
    assert result.rc == 0, result.stderr
    return check_complete(state, result.outcome["session_id"], folder / "out" / PREFIX)


@pytest.mark.slow
def test_kill_at_each_point_of_the_one_decode_run_in_turn_resumes_to_the_same_archive(
        kill_master, uninterrupted, tmp_path):
    """kill -9 at each point in turn: the first during the run, each next one during the resume
    after it (the resume after a kill mid-encode decodes and encodes again, so each point is
    reached as in a fresh run); the last resume ends in the archive an uninterrupted run makes."""
    cache = tmp_path / "cache"  # cold: the run really decodes (and encodes) the master
    state = State(tmp_path / "state", cache)
    out = tmp_path / "out"

    def kill(proc) -> None:
        os.kill(proc.pid, signal.SIGKILL)

    sid = None
    for point, when in KILL_POINTS.items():
        args = ("resume", sid) if sid else ("process", str(kill_master), "--artwork", ARTWORK,
                                            "--date", DATE, "--out", str(out), *FAST)
        result = run_until(state.start(*args), when(cache), kill)
        assert result.rc == -signal.SIGKILL, (point, result.rc, result.stderr)
        assert wait_gone(lambda: processes_mentioning(str(tmp_path))) == [], point
        sid = sid or result.first(type="session_started")["session_id"]
    resumed = state.json("resume", sid)
    assert resumed.rc == 0, resumed.stderr
    files = check_complete(state, sid, out / PREFIX)
    assert set(files) == set(uninterrupted)
    differ = sorted(p for p in files if files[p] != uninterrupted[p] and p not in NOT_DETERMINISTIC)
    assert differ == [], f"not the same as an uninterrupted run: {differ}"
    # nothing half-written is left in the cache either
    assert not any(".partial-" in p.name for p in (cache / PREPARED_DIR).iterdir())
    verify = state.run("verify", str(out / PREFIX))
    assert verify.returncode == 0, verify.stdout + verify.stderr


# --- the cache folder that jobs share ----------------------------------------------------------

def test_a_job_never_removes_the_encode_another_job_is_writing(tmp_path):
    """Two jobs (a batch, Ray tasks) share the cache: starting one removes what dead writers of
    its own output left, and partial files nobody has written for a day, but never another job's
    encode in progress; a second writer of the same output leaves it to the first."""
    import time

    from backend.media.web_branch import BranchSpec
    from backend.ops import one_decode

    folder = tmp_path / PREPARED_DIR
    spec = {"chain": "", "width": 2, "height": 2, "codec": "libx264", "options": {}}
    mine, theirs = (BranchSpec(**spec, out=str(folder / f"{name}.mp4")) for name in ("a-1", "b-2"))
    with one_decode.writing(theirs) as taken:
        assert taken == theirs
        running = folder / ".b-2.partial-00aa11bb.mp4"
        running.write_bytes(b"being written")
        dead_mine = folder / ".a-1.partial-0badc0de.mp4"
        dead_mine.write_bytes(b"left by a killed run")
        old = folder / ".c-3.partial-12345678.mp4"
        old.write_bytes(b"left two days ago")
        two_days = time.time() - 2 * 86400
        os.utime(old, (two_days, two_days))
        with one_decode.writing(mine) as taken_mine:
            assert taken_mine == mine
            assert running.exists() and not dead_mine.exists() and not old.exists()
        said = []
        with one_decode.writing(theirs, said.append) as second:
            assert second is None  # the first writer of that output is still at it
        assert len(said) == 1 and "another job is encoding" in said[0], said
        assert running.exists()
    assert list(folder.glob("*.lock")) == []  # each writer removes its lock file when done


def test_a_lock_file_removed_between_open_and_lock_is_taken_again(tmp_path, monkeypatch):
    """The writer before removes its lock file when done: a job that opened the file just before
    and locks it after holds a lock nobody else sees, so it takes the file now there instead."""
    from backend.ops import one_decode

    lock = tmp_path / "x.mp4.lock"
    real_open, opened = os.open, []

    def open_then_lose_it(path, flags, mode=0o777):
        fd = real_open(path, flags, mode)
        opened.append(os.fstat(fd).st_ino)
        if len(opened) == 1:  # the other writer finishes: its file goes, a third job makes one
            os.unlink(path)
            real_open(path, os.O_RDWR | os.O_CREAT, 0o600)
        return fd

    monkeypatch.setattr(one_decode.os, "open", open_then_lose_it)
    fd = one_decode._locked(lock)
    monkeypatch.undo()
    try:
        assert len(opened) == 2 and os.fstat(fd).st_ino == os.stat(lock).st_ino == opened[1]
        assert one_decode._locked(lock) is None  # and the one it holds keeps others out
    finally:
        os.close(fd)


# --- NVENC: the same forced IDRs (runs where an NVENC encode works) ---------------------------

@pytest.mark.slow
def test_nvenc_one_decode_keeps_the_cuts_on_idr_frames(media_dir, tmp_path):
    report = encoders.detect_encoders(cache_dir=tmp_path / "encoders", refresh=True)
    status = next((s for s in report.encoders if s.name == "h264_nvenc"), None)
    if status is None or not status.usable:
        pytest.skip(f"no NVENC encode works here: {status.reason if status else 'unknown'}")
    master = tmp_path / "master.mp4"
    shutil.copy(media_dir / "testvideo.mp4", master)
    cache = tmp_path / "cache"
    state = State(tmp_path / "state", cache)
    result = state.json("process", str(master), "--artwork", ARTWORK, "--date", DATE,
                        "--out", str(tmp_path / "out"), "--encoder", "nvenc")
    assert result.rc == 0, result.stderr
    sid = result.outcome["session_id"]
    check_complete(state, sid, tmp_path / "out" / PREFIX)
    web = tmp_path / "out" / PREFIX / "masters" / f"{PREFIX}_master-web.mp4"
    prepared = _prepared(cache)
    assert _video_packets(web) == _video_packets(Path(prepared["video"]))
    assert set(_first_indices(state, sid)) <= set(_keyframes(web))


# --- the branch itself, on a short clip (fast) ------------------------------------------------

def test_the_ingest_decode_encodes_every_frame_with_an_idr_at_each_cut(media_dir, tmp_path):
    from backend.media import ingest, web_branch

    codec, options = web_branch.codec_options(_Settings(), "x264")
    spec = web_branch.BranchSpec(chain="scale=320:240:flags=lanczos,setsar=1,format=yuv420p",
                                 width=320, height=240, codec=codec, options=options,
                                 out=str(tmp_path / "web.mp4"))
    seen = []
    result = ingest.ingest(media_dir / "testvideo.mp4", cache_root=tmp_path / "cache",
                           want_proxy=False, web=spec, on_web=seen.append)
    [output] = seen
    prepared = output.prepared
    assert prepared is not None, output.web_error
    cuts = [s.start_index for s in result.scenes[1:]]
    assert cuts and set(prepared.idr_indices) == {0, *cuts}
    assert prepared.frames == result.frame_count == len(packet_times(tmp_path / "web.mp4"))
    assert set(cuts) <= set(_keyframes(tmp_path / "web.mp4"))
    # a bounded buffer: about min_scene_len + 1 frames, plus ffmpeg's skew between its outputs
    # (16: room for ffmpeg's queues between its two outputs; 9 frames were seen here)
    assert output.web_peak_frames <= result.min_scene_len + 2 + 16


class _Settings:
    codec, x264_preset, crf, profile, x264_tune, max_bitrate_kbps = \
        "h264", "ultrafast", 23, "high", None, None
