"""The sharp proxy: the scrubbing proxy again at SHARP_WIDTH pixels wide (or the master's width
when smaller), with the same frames, keyframes and sound, for judging motion while playing.

Scaling the full-size picture a second time inside the ingest's pass costs more than the pass
may (docs/ingest.md, "Speed"), so the timeline opens with the small proxy made from the detection
frames, and this one is made afterwards by a second decode, in the background, into the same
cache entry (written under a temporary name, renamed when complete).

Beside it, the scrub proxy: the small proxy's picture without its sound (a stream copy, no
decode). The page seeks it while paused: a browser's seek waits for the audio renderer too, and
without an audio track a seek of the long film's small proxy took half the time in Chromium
(docs/editor.md, "Viewer")."""

from __future__ import annotations

import dataclasses
import os
import threading
from pathlib import Path

from backend.errors import MediaError
from backend.media import ffmpeg
from backend.media.ingest import plan_pass
from backend.media.ingest_pass import audio_chain, proxy_output_args, proxy_video_chain

SHARP_NAME = "proxy-sharp.webm"
SCRUB_NAME = "proxy-scrub.webm"
SHARP_WIDTH = 640


def sharp_size(display_width: int, display_height: int) -> tuple[int, int]:
    """SHARP_WIDTH wide (the display width when smaller), the display aspect, even sides."""
    width = max(2, min(SHARP_WIDTH, display_width) // 2 * 2)
    return width, max(2, round(width * display_height / display_width / 2) * 2)


def sharp_proxy(result) -> Path | None:
    """The sharp proxy of an ingest when it has been made."""
    path = Path(result.scores).parent / SHARP_NAME
    return path if path.is_file() else None


def scrub_proxy(result) -> Path | None:
    """The small proxy's picture without sound, when it has been made."""
    path = Path(result.scores).parent / SCRUB_NAME
    return path if path.is_file() else None


def wanted(result) -> bool:
    """Whether a sharp proxy would be sharper than the ingest's own."""
    if result.proxy is None:
        return False
    return sharp_size(result.display_width, result.display_height)[0] > (result.proxy_width or 0)


def make_sharp_proxy(result, *, cancel: threading.Event | None = None) -> Path:
    """Decode the master again into the sharp proxy beside the ingest's files, after copying the
    scrub proxy out of the small one; returns the sharp one's path (at once when both exist).
    Raises MediaError (ffmpeg failed, the master changed) or Cancelled."""
    entry = Path(result.scores).parent
    if scrub_proxy(result) is None:
        _written(entry, SCRUB_NAME, lambda temp: ffmpeg.run(
            ["-i", str(result.proxy), "-map", "0:v:0", "-c", "copy", "-f", "webm", str(temp)],
            cancel=cancel))
    done = sharp_proxy(result)
    if done is not None:
        return done
    master = Path(result.master.path)
    plan = plan_pass(master, result.threshold, result.min_scene_len, True)
    plan = dataclasses.replace(plan, proxy_size=sharp_size(result.display_width,
                                                           result.display_height))
    chains = [proxy_video_chain(f"0:{plan.stream_index}", plan.proxy_size, "bilinear")]
    if plan.audio_stream is not None:
        chains.append(audio_chain(plan, ["proxy_audio"]))
    return _written(entry, SHARP_NAME, lambda temp: ffmpeg.run(
        ["-copyts", "-i", str(master), "-filter_complex", ";".join(chains),
         *proxy_output_args(plan, temp)], cancel=cancel))


def _written(entry: Path, name: str, write) -> Path:
    """`write(temp)` into a temporary name in `entry`, renamed to `name` once complete."""
    temp = entry / f".{name}.{os.getpid()}.{threading.get_ident()}.partial"
    try:
        write(temp)
        os.replace(temp, entry / name)
    except OSError as exc:
        raise MediaError(f"cannot write {name} in {entry}: {exc.strerror or exc}") from None
    finally:
        temp.unlink(missing_ok=True)
    return entry / name
