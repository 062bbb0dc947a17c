"""Fixtures shared by every test module. Module-specific fixtures live in their own test files."""

import os
import subprocess
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def made_master(tmp_path_factory, media_dir, ffmpeg_bin) -> Path:
    """The small make-master master: the media clips joined, scaled and letterboxed (hard cuts)."""
    out = tmp_path_factory.mktemp("make-master") / "master.mp4"
    subprocess.run([str(media_dir.parent / "tools" / "make-master"), str(out), "--codec", "h264",
                    "--size", "640x360", "--loops", "1"],
                   env={**os.environ, "FFMPEG": str(ffmpeg_bin)}, check=True, capture_output=True)
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


@pytest.fixture
def editor_server(tmp_path):
    """`video-archive serve` on a fresh state.db, for a test that drives the editor in a browser:
    (its address, the database's path)."""
    import browser
    from editor_page import serve

    browser.require_system_deps()
    db = tmp_path / "config" / "state.db"
    with serve(db) as url:
        yield url, db
