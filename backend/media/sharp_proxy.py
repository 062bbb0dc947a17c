"""The sharp proxy: the scrubbing proxy again at SHARP_WIDTH pixels wide (or the master's width
when smaller), with the same frames, keyframes and sound, for judging motion while playing.

Scaling the full-size picture a second time inside the ingest's pass costs more than the pass
may (docs/ingest.md, "Speed"), so the timeline opens with the small proxy made from the detection
frames, and this one is made afterwards by a second decode, in the background, into the same
cache entry (written under a temporary name, renamed when complete)."""

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
SHARP_WIDTH = 640


def sharp_size(display_width: int, display_height: int) -> tuple[int, int]:
    """SHARP_WIDTH wide (the display width when smaller), the display aspect, even sides."""
    width = max(2, min(SHARP_WIDTH, display_width) // 2 * 2)
    return width, max(2, round(width * display_height / display_width / 2) * 2)


def sharp_proxy(result) -> Path | None:
    """The sharp proxy of an ingest when it has been made."""
    path = Path(result.scores).parent / SHARP_NAME
    return path if path.is_file() else None


def wanted(result) -> bool:
    """Whether a sharp proxy would be sharper than the ingest's own."""
    if result.proxy is None:
        return False
    return sharp_size(result.display_width, result.display_height)[0] > (result.proxy_width or 0)


def make_sharp_proxy(result, *, cancel: threading.Event | None = None) -> Path:
    """Decode the master again into the sharp proxy beside the ingest's files; returns its path
    (at once when it exists). Raises MediaError (ffmpeg failed, the master changed) or Cancelled."""
    done = sharp_proxy(result)
    if done is not None:
        return done
    master = Path(result.master.path)
    plan = plan_pass(master, result.threshold, result.min_scene_len, True)
    plan = dataclasses.replace(plan, proxy_size=sharp_size(result.display_width,
                                                           result.display_height))
    entry = Path(result.scores).parent
    temp = entry / f".{SHARP_NAME}.{os.getpid()}.{threading.get_ident()}.partial"
    chains = [proxy_video_chain(f"0:{plan.stream_index}", plan.proxy_size, "bilinear")]
    if plan.audio_stream is not None:
        chains.append(audio_chain(plan, ["proxy_audio"]))
    args = ["-copyts", "-i", str(master), "-filter_complex", ";".join(chains),
            *proxy_output_args(plan, temp)]
    try:
        ffmpeg.run(args, cancel=cancel)
        os.replace(temp, entry / SHARP_NAME)
    except OSError as exc:
        raise MediaError(f"cannot write the sharp proxy in {entry}: {exc.strerror or exc}") from None
    finally:
        temp.unlink(missing_ok=True)
    return entry / SHARP_NAME
