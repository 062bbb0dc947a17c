"""Fixtures shared by every test module. Module-specific fixtures live in their own test files."""

import fcntl
import os
import subprocess
from pathlib import Path

import pytest

from archive_checks import FAST_OVERRIDES

REPO = Path(__file__).resolve().parent.parent
MEDIA = Path(os.environ.get("VIDEO_ARCHIVE_MEDIA", REPO.parent / "shared" / "media"))


@pytest.fixture(scope="session")
def media_dir() -> Path:
    if not MEDIA.is_dir():
        pytest.fail(f"shared test media not found at {MEDIA} (set VIDEO_ARCHIVE_MEDIA)")
    return MEDIA


@pytest.fixture(scope="session")
def ffmpeg_bin() -> Path:
    from backend.media.ffmpeg import find_ffmpeg

    return find_ffmpeg()


def paced_ffmpeg(folder: Path, ffmpeg: Path, rate: float = 3.0) -> Path:
    """An ffmpeg (for VIDEO_ARCHIVE_FFMPEG) whose H.264 encodes read their input at `rate` times
    real time: an export that lasts long enough to pause, cancel or close the window in, at the
    CPU of the fast preset, not of an x264 `veryslow` encode held open (which cost those tests
    three quarters of their CPU). Everything else runs as the real ffmpeg runs it."""
    script = folder / "paced-ffmpeg"
    script.write_text("#!/bin/sh\n"
                      f'for a in "$@"; do [ "$a" = libx264 ] && exec "{ffmpeg}" -readrate {rate} "$@"; done\n'
                      f'exec "{ffmpeg}" "$@"\n')
    script.chmod(0o755)
    return script


# Also `slow` (beside the modules that mark themselves): the desktop window, browser and
# Blender drivers and the modules that run many real `process` jobs, the longest in
# `--durations` (docs in README's Tests). `scripts/test -m "not slow"` is the quick loop.
SLOW_MODULES = {"test_app_window", "test_editor_export_controls", "test_editor_browser",
                "test_editor_keys", "test_bridge_browser", "test_blender_addon",
                "test_process_hardening", "test_process_failures", "test_batch",
                "test_invariants_property", "test_archive_verify", "test_db_trouble"}


# The longest modules, longest first (summed `--durations=0` of an xdist run, README's Tests):
# scripts/test's workers (pytest-xdist, --dist loadscope) take whole modules in collection order,
# so these start first, the short ones fill in beside them, and the workers finish together.
LONGEST_FIRST = ["test_web_segments", "test_packaged_app", "test_process_archive", "test_app_window",
                 "test_one_decode", "test_ingest", "test_blender_addon", "test_process_resume",
                 "test_process_hardening", "test_editor_browser", "test_batch", "test_archive_masters",
                 "test_editor_keyboard", "test_editor_export_controls", "test_editor_keys",
                 "test_process_failures", "test_archive_verify", "test_segment_playback",
                 "test_editor_sound", "test_bridge_editor_methods", "test_stills_ahead",
                 "test_contact_sheet", "test_bridge_workflow", "test_bridge_browser"]


def pytest_collection_modifyitems(items):
    for item in items:
        if item.module is not None and item.module.__name__ in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    # stable: each module's tests stay together and in their own order
    items.sort(key=lambda item: rank.get(item.module.__name__ if item.module else "", len(rank)))


def run_folder(tmp_path_factory, name: str) -> Path:
    """A folder of this run that every pytest-xdist worker sees (each worker's basetemp is a
    folder of one shared parent); without xdist, the session's own."""
    root = tmp_path_factory.getbasetemp()
    folder = (root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root) / name
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    """One ingest and encoder cache for the session's CLI runs (archive_checks.State): each master
    is decoded once, not once per test, and once for all the workers (entries are written
    atomically: backend/paths.cache_dir)."""
    return run_folder(tmp_path_factory, "shared-cache")


@pytest.fixture(autouse=True)
def session_caches(request, monkeypatch, shared_cache) -> None:
    """Every test's state.db (in this process, `serve`, the window) keeps its caches in the
    session's shared one (VIDEO_ARCHIVE_CACHE): a master's ingest, proxies and segments are made
    once for the run, not once per test. A test about the caches, or one that interrupts the work
    a warm cache would skip, is marked `cold_cache` and keeps them beside its database; an
    archive_checks.State says its own."""
    if request.node.get_closest_marker("cold_cache") is None:
        monkeypatch.setenv("VIDEO_ARCHIVE_CACHE", str(shared_cache))


@pytest.fixture(scope="session")
def made_master(tmp_path_factory, media_dir, ffmpeg_bin) -> Path:
    """The small make-master master: the media clips joined, scaled and letterboxed (hard cuts)."""
    folder = run_folder(tmp_path_factory, "make-master")
    out = folder / "master.mp4"
    with open(folder / ".lock", "w") as lock:  # one worker builds it, the others wait and read it
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".built").exists():
            subprocess.run([str(media_dir.parent / "tools" / "make-master"), str(out), "--codec", "h264",
                            "--size", "640x360", "--loops", "1"],
                           env={**os.environ, "FFMPEG": str(ffmpeg_bin)}, check=True, capture_output=True)
            (folder / ".built").touch()
    return out


@pytest.fixture
def db_path(tmp_path, monkeypatch) -> Path:
    """A fresh state.db location; VIDEO_ARCHIVE_DB points at it so the CLI uses it too."""
    path = tmp_path / "config" / "state.db"
    monkeypatch.setenv("VIDEO_ARCHIVE_DB", str(path))
    return path


@pytest.fixture
def db(db_path):
    from backend.db import open_db

    database = open_db(db_path)
    yield database
    database.close()


def make_video(ffmpeg: Path, out: Path, *, seconds: float = 2, size: str = "320x240", fps: int = 25,
               source: str = "testsrc2", extra: list[str] | None = None) -> Path:
    """Generate a small real video with ffmpeg's test sources."""
    subprocess.run([str(ffmpeg), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"{source}=size={size}:rate={fps}:duration={seconds}", *(extra or []),
                    "-pix_fmt", "yuv420p", str(out)], check=True)
    return out


HITS_FPS = 25
HIT_OFFSET_S = 0.3


def make_hits_master(ffmpeg: Path, out: Path, *, seconds=6, audio_delay_s=0.0, codec="aac",
                     picture: Path | None = None):
    """testsrc2 with make-master --audio's kind of track: a quiet 110 Hz drone and a 40 ms 880 Hz
    hit each second from HIT_OFFSET_S (frames 7.5, 32.5, ... at HITS_FPS), the audio starting
    `audio_delay_s` after the picture. With `picture`, that file's video (copied) instead of
    testsrc2, for as long as it lasts."""
    hit = (f"0.05*sin(2*PI*110*t)+0.5*sin(2*PI*880*t)*lt(mod(t-{HIT_OFFSET_S}\\,1)\\,0.04)"
           f"*gte(t\\,{HIT_OFFSET_S})")
    delay = ["-itsoffset", str(audio_delay_s)] if audio_delay_s else []
    video = (["-i", str(picture)] if picture else
             ["-f", "lavfi", "-i", f"testsrc2=size=320x180:rate={HITS_FPS}:duration={seconds}"])
    encode = ["-c:v", "copy", "-shortest"] if picture else ["-pix_fmt", "yuv420p", "-c:v", "libx264"]
    subprocess.run([str(ffmpeg), "-v", "error", "-y", *video, *delay, "-f", "lavfi",
                    "-i", f"aevalsrc={hit}|{hit}:s=48000:c=stereo:d={seconds}",
                    "-map", "0:v:0", "-map", "1:a:0", *encode, "-c:a", codec, str(out)],
                   check=True)
    return out


FAST_DEFAULT = "tests-fast"


def fast_default_preset(db_file: Path) -> None:
    """The default preset of a state.db whose tests export from the page or the window with the
    default: the built-in default at x264 `ultrafast` and zlib 1 for the HQ stills (encode speed
    only: every frame, cut and still pixel is the same as with the built-in one, whose `veryfast`
    costs about twice the CPU; archive_checks.FAST_OVERRIDES)."""
    from backend.db import open_db
    from backend.db.presets import set_default_preset
    from backend.jobs import preset_catalog

    db_file.parent.mkdir(parents=True, exist_ok=True)
    database = open_db(db_file)
    try:
        preset_catalog.create(database, FAST_DEFAULT, "Tests (fast encode)",
                              overrides=FAST_OVERRIDES)
        set_default_preset(database, FAST_DEFAULT)
    finally:
        database.close()


@pytest.fixture
def editor_server(tmp_path):
    """`video-archive serve` on a fresh state.db, for a test that drives the editor in a browser:
    (its address, the database's path). Its default preset encodes fast (fast_default_preset)."""
    import browser
    from editor_page import serve

    browser.require_system_deps()
    db = tmp_path / "config" / "state.db"
    fast_default_preset(db)
    with serve(db) as url:
        yield url, db
