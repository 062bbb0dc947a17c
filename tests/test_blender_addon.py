"""The Blender add-on (blender/) run headless in Blender as a Python module (`bpy` from PyPI, in
.venv-blender made by scripts/bootstrap-blender): each scenario is tests/blender_driver.py in a
subprocess of that venv's Python, driving the app's CLI from this venv."""

import functools
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from conftest import REPO

BPY_PYTHON = REPO / ".venv-blender" / "bin" / "python"
DRIVER = Path(__file__).with_name("blender_driver.py")
BLENDER_EXT = "5.0/scripts/addons_core/bl_pkg/cli/blender_ext.py"
needs_bpy = pytest.mark.skipif(not BPY_PYTHON.exists(),
                               reason="no .venv-blender (scripts/bootstrap-blender: needs Python 3.11)")


def _module(name: str):
    """An add-on module that imports no bpy, loaded on its own."""
    spec = importlib.util.spec_from_file_location(f"va_addon_{name}", REPO / "blender" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


cut_plan = _module("cut_plan")


def _blender_zip():
    sys.path.insert(0, str(REPO / "packaging"))
    try:
        import blender_zip
    finally:
        sys.path.remove(str(REPO / "packaging"))
    return blender_zip


@pytest.fixture(scope="session")
def addon_zip(tmp_path_factory) -> Path:
    """The extension's zip as packaging/build makes it: the tests install this, not the source."""
    return _blender_zip().build(tmp_path_factory.mktemp("extension"))


def drive(scenario: str, args: dict, addon_zip: Path, *, app: bool = True) -> dict:
    """Run a tests/blender_driver.py scenario with the add-on installed from `addon_zip` into a
    fresh user repository, the app's path set in its preferences (or not: `app=False`)."""
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)  # this venv's video-archive: only by preference
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p and p != bin_dir)
    env["BLENDER_USER_RESOURCES"] = tempfile.mkdtemp(prefix="blender-user-")
    env["TMPDIR"] = tempfile.mkdtemp(prefix="blender-tmp-")  # to see what the add-on leaves there
    args = {**args, "zip": str(addon_zip), "app": str(Path(bin_dir) / "video-archive") if app else ""}
    try:
        done = subprocess.run([str(BPY_PYTHON), str(DRIVER), scenario, json.dumps(args)],
                              capture_output=True, text=True, env=env, timeout=600)
        left = sorted(p.name for p in Path(env["TMPDIR"]).glob("video-archive-blender-*"))
    finally:
        shutil.rmtree(env["BLENDER_USER_RESOURCES"], ignore_errors=True)
        shutil.rmtree(env["TMPDIR"], ignore_errors=True)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["log"] = done.stdout + done.stderr
    out["temp_left"] = left
    return out


@pytest.fixture(scope="module")
def shared_db(tmp_path_factory):
    """One state.db (and ingest cache) for this module's Blender runs: testvideo.mp4 is decoded
    once, and each later Detect Scenes is a re-cut from the cache, as in a Blender session."""
    path = tmp_path_factory.mktemp("blender-db") / "config" / "state.db"
    previous = os.environ.get("VIDEO_ARCHIVE_DB")
    os.environ["VIDEO_ARCHIVE_DB"] = str(path)
    yield path
    if previous is None:
        del os.environ["VIDEO_ARCHIVE_DB"]
    else:
        os.environ["VIDEO_ARCHIVE_DB"] = previous


def detection(master: Path) -> dict:
    done = subprocess.run([str(Path(sys.executable).parent / "video-archive"), "--json", "detect",
                           "--no-proxy", str(master)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


@functools.cache
def pyscenedetect_cuts(master: Path) -> list[int]:
    from scenedetect import ContentDetector, detect

    scenes = detect(str(master), ContentDetector(threshold=30, min_scene_len=15))
    return [start.frame_num for start, _ in scenes[1:]]


def starts(rows: list[dict], kind: str, channel: int | None = None) -> list[int]:
    return sorted(r["start"] for r in rows if r["type"] == kind and (channel is None or r["channel"] == channel))


# -- the add-on's own logic, without Blender ------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_plan_numbers_scenes_as_process_does(data):
    """Edges are the strips' edges inside the master; a scene is selected iff an unmuted strip
    shows its first frame; every grouped scene is in its group."""
    length = data.draw(st.integers(2, 5000))
    cuts = sorted(data.draw(st.sets(st.integers(1, length - 1), max_size=30)))
    bounds = [0, *cuts, length]
    pieces = [cut_plan.Piece(a, b, data.draw(st.booleans()), data.draw(st.sampled_from(["", "a", "b"])))
              for a, b in zip(bounds, bounds[1:]) if data.draw(st.integers(0, 4))]
    if not any(not p.muted for p in pieces):
        with pytest.raises(ValueError):
            cut_plan.plan(pieces, length)
        return
    plan = cut_plan.plan(pieces, length)
    assert plan.edges[0] == 0 and plan.edges == sorted(set(plan.edges))
    assert set(plan.edges) >= {p.first for p in pieces} - {0}
    for number, start in enumerate(plan.edges, 1):
        shown = [p for p in pieces if p.first <= start < p.after]
        assert (number in plan.selected) == any(not p.muted for p in shown)
        grouped = [g for g, numbers in plan.groups.items() if number in numbers]
        assert len(grouped) <= 1 and (grouped == [shown[0].group] if shown and shown[0].group else not grouped)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([Fraction(24000, 1001), Fraction(25), Fraction(30000, 1001), Fraction(60)]),
       st.sets(st.integers(1, 200_000), min_size=1, max_size=40))
def test_cut_times_give_back_the_frames(rate, frames):
    """process --cuts reads the CSV's seconds x rate, rounded: the frames the strips start at."""
    length = max(frames) + 1
    plan = cut_plan.plan([cut_plan.Piece(0, length)] +
                         [cut_plan.Piece(f, length) for f in frames], length)
    rows = [line.split(",") for line in plan.cuts_csv(float(rate)).splitlines()]
    assert [round(float(r[0]) * rate) for r in rows] == plan.edges
    assert all(r[1] == "" for r in rows)  # a start only: a cut, never a segment end


def test_the_app_is_found_on_path_or_by_preference(tmp_path, monkeypatch):
    app_cli = _module("app_cli")
    fake = tmp_path / "video-archive"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert app_cli.find_app(str(fake)) == fake
    assert app_cli.find_app(str(tmp_path / "missing")) is None
    with pytest.raises(app_cli.AppError, match="Install the Video Archive app"):
        app_cli.require_app(str(tmp_path / "missing"))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert app_cli.find_app("") == fake


# -- in Blender -----------------------------------------------------------------------------


@needs_bpy
def test_detect_splits_at_pyscenedetects_cuts(media_dir, shared_db, addon_zip):
    master = media_dir / "testvideo.mp4"
    out = drive("detect", {"master": str(master)}, addon_zip)
    assert out["result"] == ["FINISHED"], out["log"]
    movie_starts = starts(out["strips"], "MOVIE")
    assert [s - 1 for s in movie_starts[1:]] == pyscenedetect_cuts(master)
    assert movie_starts[0] == 1 and max(r["end"] for r in out["strips"]) == 721


@needs_bpy
@pytest.mark.parametrize("mode", ["COLOR", "CHANNEL"])
def test_groups_by_colour_tag_or_channel_and_mutes_reach_the_plan(mode, media_dir, shared_db, addon_zip):
    out = drive("plan", {"master": str(media_dir / "testvideo.mp4"), "group_mode": mode}, addon_zip)
    assert out["grouped"] == ["FINISHED"]
    assert out["edges"] == [0, *pyscenedetect_cuts(media_dir / "testvideo.mp4")]
    assert out["scenes"] == "1,2,3" and out["groups"] == {"loop": [2, 3]}
    grouped = [r for r in out["strips"] if r["type"] == "MOVIE"][1:3] if mode == "COLOR" else \
        [r for r in out["strips"] if r["channel"] == 11]
    assert len(grouped) == 2
    if mode == "COLOR":
        assert {r["color_tag"] for r in grouped} == {"COLOR_02"}


@needs_bpy
def test_detect_adds_markers_instead(media_dir, shared_db, addon_zip):
    out = drive("detect", {"master": str(media_dir / "testvideo.mp4"),
                           "props": {"action": "MARKERS", "threshold": 30, "min_scene_len": 15}},
                addon_zip)
    assert out["result"] == ["FINISHED"]
    assert starts(out["strips"], "MOVIE") == [1]  # nothing split
    assert "4 scenes, 3 cuts" in out["log"]


@needs_bpy
@pytest.mark.slow
@pytest.mark.parametrize("name", ["goldeneye-vfr-drop3.mp4", "issue-195-aspect-ratio.mp4"])
def test_sound_is_split_with_the_picture(name, media_dir, shared_db, tmp_path, ffmpeg_bin, addon_zip):
    """A variable-frame-rate master (given a soundtrack here) and a master with its own audio:
    the sound strip is split at the picture's cuts, which are at detection's scene times."""
    master = media_dir / name
    if name.startswith("goldeneye"):  # the VFR clip has no audio: add a tone, keep its timestamps
        master = tmp_path / "vfr-with-audio.mp4"
        subprocess.run([str(ffmpeg_bin), "-v", "error", "-i", str(media_dir / name), "-f", "lavfi",
                        "-i", "sine=frequency=440:duration=10", "-map", "0:v", "-map", "1:a",
                        "-c:v", "copy", "-c:a", "aac", "-shortest", str(master)], check=True)
    out = drive("detect", {"master": str(master), "audio": True}, addon_zip)
    assert out["result"] == ["FINISHED"], out["log"]
    picture, sound = starts(out["strips"], "MOVIE"), starts(out["strips"], "SOUND")
    scenes = detection(master)["scenes"]
    assert len(picture) == len(scenes) > 1
    assert sound == picture
    rate = out["strips"][0]["fps"]
    for start, scene in zip(picture, scenes):
        assert abs((start - 1) / rate - scene["start_time"]) <= 0.5 / rate


@pytest.fixture(scope="module")
def archived(media_dir, shared_db, addon_zip, tmp_path_factory):
    """Detect, group scenes 2-3 as "loop", mute scene 4, Archive…, Open archive: one run."""
    if not BPY_PYTHON.exists():
        pytest.skip("no .venv-blender")
    out = drive("archive", {"master": str(media_dir / "testvideo.mp4"),
                            "out": str(tmp_path_factory.mktemp("blender-archive") / "out")}, addon_zip)
    assert out["archived"] == ["FINISHED"] and out["status"] == "completed", out["log"]
    assert out["temp_left"] == []
    return out


@needs_bpy
@pytest.mark.slow
def test_archive_has_the_sequencers_clips_groups_and_selection(archived, media_dir):
    archive = Path(archived["archive_path"])
    timeline = json.loads(next((archive / "edit").glob("*.otio")).read_text())
    clips = [c["metadata"]["video_archive"] for c in timeline["tracks"]["children"][0]["children"]]
    cuts = pyscenedetect_cuts(media_dir / "testvideo.mp4")
    assert [c["start_frame"] for c in clips] == [0, *cuts]
    assert [c["exported"] for c in clips] == [True, True, True, False]
    assert [c.get("group") for c in clips] == [None, "loop", "loop", None]
    assert sorted(p.name for p in (archive / "clips").rglob("*.mp4")) == \
        ["24-03-15_Blue-Hour_s001.mp4", "24-03-15_Blue-Hour_s002.mp4", "24-03-15_Blue-Hour_s003.mp4"]
    assert sorted(p.parent.name for p in (archive / "clips" / "loop").glob("*.mp4")) == ["loop", "loop"]
    verify = subprocess.run([str(Path(sys.executable).parent / "video-archive"), "verify", str(archive)],
                            capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr


@needs_bpy
@pytest.mark.slow
def test_open_archive_gives_back_the_cut_list(archived):
    before = [r for r in archived["sequenced"] if r["type"] == "MOVIE"]
    opened = [r for r in archived["strips"] if r["type"] == "MOVIE" and r["channel"] == 2]
    assert [r["start"] for r in opened] == [r["start"] for r in before]
    assert [r["end"] for r in opened] == [r["end"] for r in before]
    assert [r["mute"] for r in opened] == [False, False, False, True]
    assert [r["color_tag"] for r in opened] == ["NONE", "COLOR_02", "COLOR_02", "NONE"]


@needs_bpy
def test_without_the_app_detect_says_how_to_install_it(media_dir, shared_db, addon_zip):
    out = drive("no_app", {"master": str(media_dir / "testvideo.mp4")}, addon_zip, app=False)
    assert out["result"][0] == "ERROR" and "Install the Video Archive app" in out["result"][1]


@needs_bpy
def test_archive_reports_the_apps_one_line_error(media_dir, shared_db, addon_zip, tmp_path):
    out = drive("bad_date", {"master": str(media_dir / "testvideo.mp4"), "out": str(tmp_path / "out")},
                addon_zip)
    # an ISO date is taken (the core's one rule, tests/test_project_date.py); this one is no day
    assert out["result"][0] == "ERROR" and "2024-02-30" in out["result"][1], out["result"]
    assert "YYYY-MM-DD" in out["result"][1], out["result"]
    assert not (tmp_path / "out").exists()
    assert out["temp_left"] == []  # its cut list is removed


@needs_bpy
def test_the_panel_says_how_to_install_a_missing_app(media_dir, shared_db, addon_zip):
    out = drive("panel", {"master": str(media_dir / "testvideo.mp4")}, addon_zip)
    assert "Video Archive app not found" not in out["app"]
    assert "Master: testvideo.mp4" in out["app"] and "[video_archive.detect_scenes]" in out["app"]
    assert "group_2=Group 2" in out["app"] and "[video_archive.archive]" in out["app"]
    assert "Video Archive app not found" in out["missing"]
    assert any("apt install" in line for line in out["missing"])


@needs_bpy
def test_register_then_unregister_leaves_nothing(media_dir, shared_db, addon_zip):
    out = drive("register", {}, addon_zip)
    assert out["registered"]["operators"] and out["registered"]["types"]
    assert out["registered"]["addons"] == ["bl_ext.user_default.video_archive"]
    assert "video_archive" in out["registered"]["scene_props"]
    assert out["registered"]["strip_menu"] == ["bl_ext.user_default.video_archive.ui"]
    # Blender's own Sequencer keymap is empty headless, so all of 1-9 are free here
    assert out["registered"]["group_keys"] == sorted(
        [key, n] for n, key in enumerate(["ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN",
                                          "EIGHT", "NINE"], 1))
    assert out["after"] == out["before"]


@needs_bpy
def test_manifest_and_zip_pass_blenders_validation(addon_zip):
    zip_path = addon_zip
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
    assert "blender_manifest.toml" in names and "__init__.py" in names
    assert not [n for n in names if "__pycache__" in n or n.startswith("tests")]
    validator = next(REPO.joinpath(".venv-blender/lib").glob(f"python3*/site-packages/bpy/{BLENDER_EXT}"))
    for source in (REPO / "blender", zip_path):
        done = subprocess.run([sys.executable, str(validator), "validate", str(source)],
                              capture_output=True, text=True)
        assert done.returncode == 0 and "Success" in done.stdout, done.stdout + done.stderr


# -- how the add-on drives the app (no Blender needed) --------------------------------------


@pytest.mark.cold_cache  # the progress of a real decode
def test_detect_reports_progress_as_json_lines_on_stderr(media_dir, db_path):
    """What Detect Scenes shows in the status bar: frames decoded, as JSON lines on stderr."""
    done = subprocess.run([str(Path(sys.executable).parent / "video-archive"), "--json", "detect",
                           "--no-proxy", "--progress", str(media_dir / "counter.mp4")],
                          capture_output=True, text=True, check=True)
    progress = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert progress and all(p["type"] == "progress" for p in progress)
    assert [p["frames_done"] for p in progress] == sorted(p["frames_done"] for p in progress)
    assert progress[-1]["frames_done"] == progress[-1]["frames_total"] == 30
    assert json.loads(done.stdout.splitlines()[-1])["cuts"] == []


@pytest.mark.slow
def test_pause_then_resume_through_the_job(media_dir, db_path, tmp_path):
    """Archive…'s Esc/Pause is the app's Ctrl-C: the session stops as paused (exit 3), and
    Resume's `resume SESSION` finishes it."""
    import time

    app_cli = _module("app_cli")
    app = Path(sys.executable).parent / "video-archive"
    job = app_cli.Job(app, ["process", str(media_dir / "testvideo.mp4"), "--artwork", "Paused",
                            "--date", "24-03-15", "--out", str(tmp_path), "--preset", "preview_small"])
    seen, outcome = [], None
    while not job.finished():
        for stream, item in job.events():
            if stream == "out":
                seen.append(item)
                if item.get("type") == "session_started":
                    job.pause()
        time.sleep(0.05)
    for stream, item in job.events():
        if stream == "out":
            seen.append(item)
    outcome = seen[-1]
    assert job.proc.returncode == 3 and outcome["status"] == "paused", job.stderr
    finished = app_cli.run_json(app, ["resume", outcome["session_id"]])
    assert finished["status"] == "completed" and finished["archive_path"] == outcome["archive_path"]
