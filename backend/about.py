"""What `video-archive --version` and the editor's About box show: the release, whether it runs
packaged, and the ffmpeg in use (found exactly as a job finds it)."""

import subprocess

import msgspec

from backend import __version__, paths
from backend.errors import ArchiveError
from backend.media import ffmpeg


class About(msgspec.Struct, kw_only=True):
    version: str
    packaged: bool             # the installed app (PyInstaller) rather than a source checkout
    ffmpeg: str | None
    ffmpeg_source: str | None  # ffmpeg_path setting, VIDEO_ARCHIVE_FFMPEG, bundled, PATH, ...
    ffmpeg_version: str | None
    problem: str | None = None  # why no ffmpeg could be named


def about(ffmpeg_path: str | None = None) -> About:
    """`ffmpeg_path`: the ffmpeg_path setting when the caller has the state store open."""
    info = About(version=__version__, packaged=paths.is_frozen(), ffmpeg=None, ffmpeg_source=None,
                 ffmpeg_version=None)
    try:
        binary = ffmpeg.find_ffmpeg(ffmpeg_path or None)
        info.ffmpeg, info.ffmpeg_source = str(binary), ffmpeg.ffmpeg_source(binary)
        info.ffmpeg_version = ffmpeg.ffmpeg_version(binary)
    except (ArchiveError, OSError, subprocess.SubprocessError) as exc:
        info.problem = str(exc)
    return info


def version_text(info: About) -> str:
    lines = [f"video-archive {info.version}" + (" (installed app)" if info.packaged else "")]
    if info.ffmpeg:
        lines.append(f"ffmpeg {info.ffmpeg_version}: {info.ffmpeg} [{info.ffmpeg_source}]")
    else:
        lines.append(f"ffmpeg: {info.problem}")
    return "\n".join(lines)


def configured_ffmpeg(db_file) -> str | None:
    """The ffmpeg_path setting of an existing state.db, read without creating, migrating or
    recording anything (`--version` must change nothing); None when there is none to read."""
    from backend.db import settings
    from backend.db.connect import Database

    if not db_file.is_file():
        return None
    try:
        with Database(db_file) as db:
            return settings.get(db, "ffmpeg_path") or None
    except ArchiveError:  # an older or newer layout: the default search still answers
        return None
