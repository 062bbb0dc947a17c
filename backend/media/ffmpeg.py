"""Finding and running ffmpeg. The one place that starts an ffmpeg process."""

import functools
import os
import shutil
import subprocess
from pathlib import Path

from backend.errors import MediaError


def find_ffmpeg(configured: str | None = None) -> Path:
    """The ffmpeg binary to use, in order: `configured` (the ffmpeg_path setting), the
    VIDEO_ARCHIVE_FFMPEG variable, `ffmpeg` on PATH, the binary shipped by imageio-ffmpeg."""
    return _find(configured or os.environ.get("VIDEO_ARCHIVE_FFMPEG") or "")


@functools.cache
def _find(explicit: str) -> Path:
    if explicit:
        path = Path(explicit).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise MediaError(f"ffmpeg not found at {path} (from the ffmpeg_path setting or "
                             "VIDEO_ARCHIVE_FFMPEG); fix the path or clear it")
        return path
    on_path = shutil.which("ffmpeg")
    if on_path:
        return Path(on_path)
    try:
        import imageio_ffmpeg

        return Path(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception as exc:  # imageio-ffmpeg raises RuntimeError when its binary is missing
        raise MediaError(f"no ffmpeg found: install ffmpeg or the imageio-ffmpeg package ({exc})") from None


def ffmpeg_source(path: Path) -> str:
    """Where the binary came from, for `doctor`."""
    if os.environ.get("VIDEO_ARCHIVE_FFMPEG") and Path(os.environ["VIDEO_ARCHIVE_FFMPEG"]) == path:
        return "VIDEO_ARCHIVE_FFMPEG"
    if "imageio_ffmpeg" in str(path):
        return "imageio-ffmpeg"
    return "PATH" if shutil.which("ffmpeg") == str(path) else "ffmpeg_path setting"


@functools.cache
def ffmpeg_version(path: Path) -> str:
    out = subprocess.run([str(path), "-hide_banner", "-version"], capture_output=True, text=True,
                         timeout=30)
    first = (out.stdout or "").splitlines()[:1]
    return first[0].removeprefix("ffmpeg version ").split(" Copyright")[0] if first else "unknown"


def command(args: list[str], ffmpeg: Path | None = None) -> list[str]:
    """The full argv for an ffmpeg run: quiet banner, never reading stdin (it would steal the
    terminal), errors only on stderr unless the caller asks for more."""
    return [str(ffmpeg or find_ffmpeg()), "-hide_banner", "-nostdin", "-loglevel", "error", *args]


def spawn(args: list[str], *, ffmpeg: Path | None = None, stdout=subprocess.DEVNULL,
          stderr=subprocess.PIPE) -> subprocess.Popen:
    """Start ffmpeg with `args` (everything after the binary). Callers that stream frames read
    `stdout`; everything else goes through `run` below."""
    return subprocess.Popen(command(args, ffmpeg), stdin=subprocess.DEVNULL, stdout=stdout,
                            stderr=stderr)
