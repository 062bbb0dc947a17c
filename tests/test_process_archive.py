"""What `video-archive process` makes, checked as a person would check it, on every file of
../shared/media and a make-master master: the archive is complete (manifest SHA-256, registry),
stills are exactly the scene's midpoint frame, clips play and hold exactly their scene (compared
by content with the master's and the web master's frames), the display aspect ratio is honoured,
metadata is readable, the database rows and the state commands' JSON are right; then scene
selection and groups. One archive per master, made once and shared by the module's tests."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from archive_checks import (COPYRIGHT, ARTIST, DATE, FAST, Result, State, check_complete, decode,
                            distance, ends_of, frames_of, packet_times, read_rgb, resized,
                            scene_indices, scenedetect_numbers, sha256, video_info)
from backend.archive.verify import verify
from backend.media.metadata import read_image_metadata

pytestmark = pytest.mark.slow  # full real-media runs; `scripts/test -m "not slow"` leaves them out

MASTERS = ["counter.mp4", "testvideo.mp4", "goldeneye-vfr-drop3.mp4", "fades.mp4",
           "issue-195-aspect-ratio.mp4", "issue-236-split-copy.mkv", "make-master"]
ARTWORK = "Blue Hour"            # has a space: the files say Blue-Hour, and the job warns so
PREFIX = f"{DATE}_Blue-Hour"
ISO_DATE = "2026-11-25"
# The web master is a lossy encode (ultrafast here): its frames are near the master's, not equal
# (measured: at most 2.6 on these masters, mean absolute difference per channel value).
MASTER_TOLERANCE = 8.0
# Neighbouring master frames closer than this are nearly the same picture (a still shot, a black
# stretch of a fade), too close for a lossy copy to tell apart: there only the bit-exact match
# with the web master's frame and the exact frame count catch an off-by-one. counter.mp4's
# frames, which differ by one digit, are 0.45 apart and are checked.
SAME_PICTURE = 0.3


@dataclass
class Archive:
    name: str
    master: Path
    path: Path
    sid: str
    state: State
    result: Result
    rd: Path | None

    @property
    def session(self) -> dict:
        return self.state.session(self.sid)

    @property
    def scenes(self) -> list[dict]:
        return json.loads(self.session["scenes_data"])

    @property
    def web_master(self) -> Path:
        return self.path / "masters" / f"{PREFIX}_master-web.mp4"


@pytest.fixture(scope="module")
def state(tmp_path_factory, shared_cache) -> State:
    return State(tmp_path_factory.mktemp("state"), shared_cache)


@pytest.fixture(scope="module", params=MASTERS)
def archive(request, state, media_dir, tmp_path_factory) -> Archive:
    name = request.param
    master = request.getfixturevalue("made_master") if name == "make-master" else media_dir / name
    out = tmp_path_factory.mktemp("out")
    rd = media_dir / "rd-sample" if name == "testvideo.mp4" else None
    result = state.json("process", str(master), "--artwork", ARTWORK, "--date", DATE,
                        "--out", str(out), *(["--rd", str(rd)] if rd else []), *FAST)
    assert result.rc == 0, result.stderr
    assert result.outcome["status"] == "completed", result.outcome
    assert result.outcome["archive_path"] == str(out / PREFIX)
    return Archive(name, master, out / PREFIX, result.outcome["session_id"], state, result, rd)


@dataclass
class Frames:
    """Reference decodes (plain sequential, no seeking) at every frame the checks look at."""
    times: list[float]              # per decoded frame of the master
    numbers: list[int]              # PySceneDetect's frame numbers
    scenes: dict[int, list[int]]    # scene number -> its decoded indices
    master_count: int
    master: dict[int, np.ndarray]
    web_count: int
    web: dict[int, np.ndarray]

    def still_index(self, scene: dict) -> int:
        """The scene's middle decoded frame: first + frames // 2 over the decoded frames whose
        numbers fall in the scene (ingest's midpoint thumbnails pick the same one)."""
        inside = [i for i, n in enumerate(self.numbers) if scene["start_frame"] <= n <= scene["end_frame"]]
        return inside[0] + len(inside) // 2


@pytest.fixture(scope="module")
def frames(archive) -> Frames:
    times = packet_times(archive.master)
    numbers = scenedetect_numbers(archive.master, times)
    scenes = {s["number"]: scene_indices(times, s["start_time"], s["end_time"]) for s in archive.scenes}
    probe = Frames(times, numbers, scenes, 0, {}, 0, {})
    wanted = set()
    for indices in scenes.values():
        wanted |= {indices[0] + d for d in (-1, 0, 1)} | {indices[-1] + d for d in (-1, 0, 1)}
    for scene in archive.scenes:
        wanted |= {probe.still_index(scene) + d for d in (-1, 0, 1)}
    if archive.name == "counter.mp4":
        wanted = set(range(len(times)))  # the still is compared with every frame
    wanted = {i for i in wanted if 0 <= i < len(times)}
    master_count, master = decode(archive.master, wanted)
    web_count, web = decode(archive.web_master, wanted)
    return Frames(times, numbers, scenes, master_count, master, web_count, web)


def display_size(master: Path) -> tuple[int, int]:
    info = video_info(master)
    return round(info["width"] * info["sar"]), info["height"]


def fitted(size: tuple[int, int], box: tuple[int, int], even: bool) -> tuple[int, int]:
    scale = min(1.0, box[0] / size[0], box[1] / size[1])
    w, h = size[0] * scale, size[1] * scale
    return (round(w / 2) * 2, round(h / 2) * 2) if even else (round(w), round(h))


# --- the archive is complete ----------------------------------------------------------------------

def test_archive_is_complete(archive, frames):
    files = check_complete(archive.state, archive.sid, archive.path)
    ext = archive.master.suffix.lower()
    expected = {f"{PREFIX}_manifest.json", f"{PREFIX}_process-log.txt", "index.html",
                f"masters/{PREFIX}_master-original{ext}", f"masters/{PREFIX}_master-web.mp4",
                f"edit/{PREFIX}.otio", f"edit/{PREFIX}.edl", f"edit/{PREFIX}_losslesscut.csv",
                f"edit/{PREFIX}_youtube-chapters.txt"}
    for scene in archive.scenes:
        n = scene["number"]
        frame = frames.numbers[frames.still_index(scene)]
        expected |= {f"clips/{PREFIX}_s{n:03d}.mp4", f"thumbnails/{PREFIX}_s{n:03d}.jpg",
                     f"stills/hq/{PREFIX}_s{n:03d}_f{frame:06d}.png",
                     f"stills/web/{PREFIX}_s{n:03d}_f{frame:06d}.jpg"}
    if archive.rd:
        for source in archive.rd.iterdir():
            expected |= {f"rd/compressed/{source.stem}.jpg", f"rd/originals/{source.name}"}
            assert files[f"rd/originals/{source.name}"] == sha256(source)
    assert set(files) == expected
    assert files[f"masters/{PREFIX}_master-original{ext}"] == sha256(archive.master)
    # the artwork name was changed for file names: the job said so
    assert any("Blue-Hour" in w for w in archive.result.outcome["warnings"]), archive.result.outcome
    log = (archive.path / f"{PREFIX}_process-log.txt").read_text(encoding="utf-8")
    for op in archive.state.operations(archive.sid):
        if op["operation_type"] != "verification":
            assert f"{op['operation_type']}: {op['operation_name']}" in log
    # and `verify` (no database) passes it
    report = verify(archive.path)
    assert report.status == "intact", report.problems


def test_web_master_keeps_every_frame_and_scenes_cover_them(archive, frames):
    assert frames.master_count == len(frames.times) == frames.web_count
    covered = [i for n in sorted(frames.scenes) for i in frames.scenes[n]]
    assert covered == list(range(len(frames.times)))


# --- stills ----------------------------------------------------------------------------------------

def test_stills_are_exactly_the_midpoint_frame(archive, frames):
    display = display_size(archive.master)
    for scene in archive.scenes:
        index = frames.still_index(scene)
        stem = f"{PREFIX}_s{scene['number']:03d}_f{frames.numbers[index]:06d}"
        hq = read_rgb(archive.path / "stills" / "hq" / f"{stem}.png")
        assert (hq.shape[1], hq.shape[0]) == display
        assert np.array_equal(hq, frames.master[index]), f"scene {scene['number']}: not frame {index}"
        web = read_rgb(archive.path / "stills" / "web" / f"{stem}.jpg")
        assert (web.shape[1], web.shape[0]) == fitted(display, (1920, 1920), even=False)
        assert distance(web, resized(hq, (web.shape[1], web.shape[0]))) < 3
        thumb = read_rgb(archive.path / "thumbnails" / f"{PREFIX}_s{scene['number']:03d}.jpg")
        assert thumb.shape[1] == min(320, display[0])
        assert abs(thumb.shape[0] - thumb.shape[1] * display[1] / display[0]) <= 1
    if archive.name == "counter.mp4":
        # The still of frame N shows N+1: the middle of frames 0-29 is 15, the one showing 16, and
        # of all 30 frames the still is that one exactly and differs from every other.
        [hq] = (archive.path / "stills" / "hq").glob("*.png")
        assert hq.name == f"{PREFIX}_s001_f000015.png"
        still = read_rgb(hq)
        scores = {i: distance(still, rgb) for i, rgb in frames.master.items()}
        assert len(scores) == 30 and scores[15] == 0
        assert min(v for i, v in scores.items() if i != 15) > 0, scores


# --- clips -----------------------------------------------------------------------------------------

def _check_end(clip_frame, index, frames, label):
    """The clip's first or last frame is the web master's frame `index` bit for bit, and the
    master's frame `index` (scaled the same way) within the encode's tolerance, a closer match
    than either neighbour: an off-by-one would fail here even with the right frame count."""
    assert np.array_equal(clip_frame, frames.web[index]), f"{label}: not web master frame {index}"
    size = (clip_frame.shape[1], clip_frame.shape[0])
    own = distance(clip_frame, resized(frames.master[index], size))
    assert own < MASTER_TOLERANCE, f"{label}: {own:.2f} from master frame {index}"
    for k in (index - 1, index + 1):
        if k not in frames.master:
            continue
        neighbour = resized(frames.master[k], size)
        if distance(neighbour, resized(frames.master[index], size)) <= SAME_PICTURE:
            continue
        assert own < distance(clip_frame, neighbour), \
            f"{label}: master frame {k} matches better than {index}"


def test_clips_play_and_hold_exactly_their_scene(archive, frames):
    for scene in archive.scenes:
        n = scene["number"]
        indices = frames.scenes[n]
        clip = archive.path / "clips" / f"{PREFIX}_s{n:03d}.mp4"
        count, first, last = ends_of(clip)
        assert count == len(indices), f"scene {n}: {count} frames, the scene has {len(indices)}"
        _check_end(first, indices[0], frames, f"scene {n} first frame")
        _check_end(last, indices[-1], frames, f"scene {n} last frame")


# --- display aspect ratio ---------------------------------------------------------------------------

def test_display_aspect_ratio_is_honoured(archive):
    display = display_size(archive.master)
    size = fitted(display, (1920, 1080), even=True)
    videos = [archive.web_master, *sorted((archive.path / "clips").glob("*.mp4"))]
    for video in videos:
        info = video_info(video)
        assert (info["width"], info["height"], info["sar"]) == (*size, 1), video.name
    if archive.name == "issue-195-aspect-ratio.mp4":
        # 704x576 stored, pixels 16:11 wide: seen as 1024x576 (16:9)
        assert display == (1024, 576) and size == (1024, 576)
        for still in (archive.path / "stills").rglob("*.*"):
            assert read_rgb(still).shape[:2] == (576, 1024), still.name
        for thumb in (archive.path / "thumbnails").glob("*.jpg"):
            assert read_rgb(thumb).shape[:2] == (180, 320)


# --- metadata -------------------------------------------------------------------------------------

def _videos(archive):
    return [archive.web_master, *sorted((archive.path / "clips").rglob("*.mp4"))]


def _images(archive):
    images = [*sorted((archive.path / "stills").rglob("*.*")),
              *sorted((archive.path / "thumbnails").glob("*.*"))]
    if archive.rd:
        images += sorted(p for p in (archive.path / "rd").glob("*.*"))
    return images


def test_metadata_is_readable(archive):
    for video in _videos(archive):
        tags = video_info(video)["tags"]
        assert (tags["title"], tags["artist"], tags["copyright"], tags["date"]) == \
            (ARTWORK, ARTIST, COPYRIGHT, ISO_DATE), video.name
        assert ARTWORK in tags["description"]
    for clip in (archive.path / "clips").glob("*_s*.mp4"):
        n = int(clip.stem.rsplit("_s", 1)[1])
        assert f"Scene {n}" in video_info(clip)["tags"]["description"]
    for image in _images(archive):
        found = read_image_metadata(image)
        xmp, exif = found["xmp"], found["exif"]
        assert (xmp["rights"], xmp["creator"], xmp["title"]) == (COPYRIGHT, ARTIST, ARTWORK), image.name
        assert (exif["Copyright"], exif["Artist"]) == (COPYRIGHT, ARTIST), image.name
        assert xmp["create_date"].startswith(ISO_DATE), image.name
        if found["format"] == "png":
            assert COPYRIGHT in found["text"].values(), image.name


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
def test_exiftool_reads_the_metadata(archive):
    paths = _videos(archive) + _images(archive)
    run = subprocess.run(["exiftool", "-j", "-a", "-G1", "-Copyright", "-Rights", "-Artist",
                          "-Creator", "-Title", *map(str, paths)], capture_output=True, text=True,
                         check=True)
    found = {Path(entry["SourceFile"]).name: entry for entry in json.loads(run.stdout)}
    assert len(found) == len(paths)
    for name, entry in found.items():
        values = {key.split(":")[-1]: value for key, value in entry.items()}
        assert values.get("Copyright", values.get("Rights")) == COPYRIGHT, entry
        assert values.get("Artist", values.get("Creator")) == ARTIST, entry
        assert values["Title"] == ARTWORK, entry


# --- the database -----------------------------------------------------------------------------------

def test_database_rows(archive, frames):
    state, sid = archive.state, archive.sid
    session = archive.session
    ops = state.operations(sid)
    assert session["status"] == "completed" and session["error_message"] is None
    assert session["completed_at"] is not None
    assert session["total_operations"] == session["completed_operations"] == len(ops)
    assert [op["sequence_number"] for op in ops] == list(range(1, len(ops) + 1))
    for op in ops:
        label = op["operation_name"]
        assert op["status"] == "completed" and op["progress"] == 1.0, label
        assert op["start_time"] and op["end_time"] and op["duration_seconds"] >= 0, label
        assert op["cpu_usage"] is not None, label
        planned = json.loads(op["settings_used"])["outputs"]
        outputs = json.loads(op["output_files"] or "[]")
        sizes = json.loads(op["file_sizes"] or "{}")
        assert sorted(outputs) == sorted(planned), label
        assert sizes == {p: (archive.path / p).stat().st_size for p in planned}, label
    kinds = [op["operation_type"] for op in ops]
    assert kinds[:2] == ["probe", "scene_detection"] and kinds[-1] == "verification"

    files = {p.relative_to(archive.path).as_posix(): p.stat().st_size
             for p in archive.path.rglob("*") if p.is_file()}
    rows = state.registered_files(sid)
    assert sorted(r["file_path"] for r in rows) == sorted(files)  # one row per file, no duplicates
    for row in rows:
        assert row["file_size_bytes"] == files[row["file_path"]]
        assert row["has_metadata"] == (row["metadata_embedded"] is not None)
    by_type = {}
    for row in rows:
        by_type.setdefault(row["file_type"], []).append(row)
    assert {r["frame_number"] for r in by_type["still_hq"]} == \
        {frames.numbers[frames.still_index(s)] for s in archive.scenes}

    [history] = state.rows("SELECT * FROM project_history WHERE session_id = ?", (sid,))
    assert [k for k, v in history.items() if v is None] == []
    info = video_info(archive.master)
    display = display_size(archive.master)
    master_size = archive.master.stat().st_size
    web_size = archive.web_master.stat().st_size
    assert history["master_filename"] == archive.master.name
    assert history["master_resolution"] == f"{display[0]}x{display[1]}"
    assert history["master_size_mb"] == pytest.approx(master_size / 1e6, abs=0.001)
    shown = frames.times[-1] - frames.times[0]  # first to last frame, one frame short
    assert shown < history["master_duration"] < shown + 0.5
    assert history["master_fps"] == pytest.approx(info["fps"], rel=1e-3)
    assert history["master_codec"] == info["codec"]
    assert history["scenes_detected"] == history["scenes_exported"] == len(archive.scenes)
    assert history["clips_created"] == len(by_type["clip"])
    assert history["stills_created"] == len(by_type["still_hq"]) + len(by_type["still_web"])
    assert history["rd_files_processed"] == (len(list(archive.rd.iterdir())) if archive.rd else 0)
    assert history["total_files_created"] == len(files)
    assert history["total_output_size_mb"] == pytest.approx(sum(files.values()) / 1e6, abs=0.001)
    assert history["compression_ratio"] == pytest.approx(master_size / web_size, abs=0.001)
    # processing time: the wall time of the run, which holds every operation (they overlap, so it
    # is at least the longest one and at most first start to last end plus the run's own set-up);
    # fps: of the encode
    starts = [dt.datetime.fromisoformat(op["start_time"]) for op in ops]
    ends = [dt.datetime.fromisoformat(op["end_time"]) for op in ops]
    span = (max(ends) - min(starts)).total_seconds()
    assert max(op["duration_seconds"] for op in ops) <= history["total_processing_time_seconds"]
    assert history["total_processing_time_seconds"] <= span + 5.0
    assert json.loads(history["metadata"])["unit_seconds"] == pytest.approx(
        sum(op["duration_seconds"] for op in ops), abs=0.01)
    [encode] = [op for op in ops if op["operation_type"] == "optimization"]
    assert history["average_fps_processed"] == pytest.approx(
        len(frames.times) / encode["duration_seconds"], rel=0.01)
    assert history["encoder_used"] == "libx264" and history["gpu_accelerated"] == 0
    assert history["preset_used"] == "webflow_standard" and history["completed_successfully"] == 1


def test_state_commands_give_the_rows_as_json(archive):
    state, sid = archive.state, archive.sid

    cli_json = state.listing

    [listed] = [s for s in cli_json("sessions", "--limit", "100") if s["session_id"] == sid]
    assert listed["status"] == "completed" and listed["output"] == str(archive.path)
    [entry] = [h for h in cli_json("history", "--limit", "100") if h["session_id"] == sid]
    [history] = state.rows("SELECT * FROM project_history WHERE session_id = ?", (sid,))
    for key in ("artwork_name", "total_files_created", "clips_created", "stills_created",
                "scenes_exported", "encoder_used", "master_resolution"):
        assert entry[key] == history[key], key
    stats = cli_json("stats")
    assert stats["total_projects"] >= 1 and stats["total_files_created"] >= history["total_files_created"]
    files = cli_json("files", sid)
    assert sorted(f["file_path"] for f in files) == sorted(r["file_path"] for r in state.registered_files(sid))
    assert all(f["verified"] for f in files)


def test_the_export_summarys_size_is_within_a_quarter_of_what_was_written(archive):
    """The editor's export summary (`export.plan`) for this session, every scene selected, against
    the archive the run wrote: the estimate samples the master's own frames (a few segments
    encoded, a few stills written), on every shared clip and the make-master master."""
    from backend.db import open_db
    from backend.jobs import export_plan

    db = open_db(archive.state.db)
    try:
        estimate = export_plan.plan(db, archive.sid).estimated_bytes
    finally:
        db.close()
    written = sum(p.stat().st_size for p in archive.path.rglob("*") if p.is_file())
    assert abs(estimate - written) <= 0.25 * written, (estimate, written)


# --- scene selection and groups --------------------------------------------------------------------

def test_scene_selection_and_groups(state, made_master, tmp_path):
    groups = tmp_path / "groups.json"
    # scene 2 is grouped but not selected; 3 and 7 are selected but in no group
    groups.write_text(json.dumps({"intro": [1, 2], "main loop": [5, 6]}), encoding="utf-8")
    result = state.json("process", str(made_master), "--artwork", ARTWORK, "--date", DATE,
                        "--out", str(tmp_path / "out"), "--scenes", "1,3,5-7", "--groups", str(groups),
                        "--set", "advanced.join_group_clips=true", *FAST)
    assert result.rc == 0, result.stderr
    archive = tmp_path / "out" / PREFIX
    files = check_complete(state, result.outcome["session_id"], archive)
    clips = sorted(p for p in files if p.startswith("clips/"))
    assert clips == sorted([
        f"clips/intro/{PREFIX}_s001.mp4", f"clips/intro/{PREFIX}_group-intro.mp4",
        f"clips/{PREFIX}_s003.mp4", f"clips/{PREFIX}_s007.mp4",
        f"clips/main-loop/{PREFIX}_s005.mp4", f"clips/main-loop/{PREFIX}_s006.mp4",
        f"clips/main-loop/{PREFIX}_group-main-loop.mp4"])
    scenes_with_files = {int(p.split("_s")[-1][:3]) for p in files
                         if p.startswith(("stills/", "thumbnails/"))}
    assert scenes_with_files == {1, 3, 5, 6, 7}
    session = state.session(result.outcome["session_id"])
    assert json.loads(session["selected_scenes"]) == [1, 3, 5, 6, 7]

    # a joined clip is its members' frames, in order, bit for bit, and says what it is
    for folder, members in (("intro", [1]), ("main-loop", [5, 6])):
        tags = video_info(archive / "clips" / folder / f"{PREFIX}_group-{folder}.mp4")["tags"]
        assert (tags["title"], tags["copyright"]) == (ARTWORK, COPYRIGHT)
        assert ", ".join(map(str, members)) in tags["description"]
        joined = frames_of(archive / "clips" / folder / f"{PREFIX}_group-{folder}.mp4")
        count = 0
        for n in members:
            for expected in frames_of(archive / "clips" / folder / f"{PREFIX}_s{n:03d}.mp4"):
                got = next(joined, None)
                assert got is not None, f"{folder}: ends inside scene {n}"
                assert np.array_equal(got, expected), f"{folder}: frame {count} differs"
                count += 1
        assert next(joined, None) is None, f"{folder}: frames after the last member"
