"""The web master made of scene segments plays through every join in the engines a user plays it
in (tests/data/join_player.html): every frame presented once, in order, each showing its own
frame number (counter.mp4 burns its number into the picture).

Method: the page plays at RATE, each frame then stays 400 ms on screen (counter.mp4 runs at
10 fps). At 1x (100 ms a frame) a headless Chromium on a machine at load 37 dropped two frames
in the middle of a segment, nowhere near a join: the compositor's drop, not the stream's. At a
quarter speed the same decoder and demuxer cross the same joins (the packets and timestamps do
not depend on the rate) and every presented frame gets its callback. A frame the stream lacked,
repeated or misordered would show as a missing, repeated or out-of-order media time, and a
callback that saw two frames at once as presentedFrames going up by more than one. Each callback draws the frame's corner to a canvas; the decoded web master's
corner it looks most like must be the frame of that media time.

Qt WebEngine (the desktop window) has no H.264 decoder: it cannot play the archive's web master
at all, and the test says so; what the window plays is the VP9 scrubbing proxy, one encode
without joins, tested in tests/test_proxy_playback.py."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

import browser
from test_web_segments import Encoded

pytestmark = pytest.mark.slow

PAGE = Path(__file__).parent / "data" / "join_player.html"
CROP = (0.65, 0.72, 1.0, 0.96)   # where counter.mp4 writes "Frame = N"
SIZE = (48, 16)                  # the page's canvas
RATE = 0.25


def corners(path: Path) -> tuple[list[float], np.ndarray]:
    """Each decoded frame's time and its corner as the page measures it (grey, SIZE)."""
    times, pictures = [], []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            times.append(float(frame.pts * stream.time_base))
            grey = frame.to_ndarray(format="gray")
            h, w = grey.shape
            part = grey[int(CROP[1] * h):int(CROP[3] * h), int(CROP[0] * w):int(CROP[2] * w)]
            small = av.VideoFrame.from_ndarray(part, format="gray").to_ndarray(
                format="gray", width=SIZE[0], height=SIZE[1])
            pictures.append(small.astype(np.float32).ravel())
    return times, np.stack(pictures)


@pytest.fixture(scope="module")
def joined(media_dir, tmp_path_factory):
    enc = Encoded(media_dir / "counter.mp4", [4, 9], tmp_path_factory.mktemp("joins"))
    assert [s.first for s in enc.segments] == [0, 4, 9, 20]  # two cuts and a grid join
    return enc


@pytest.fixture(scope="module")
def site(joined):
    with browser.serve(files={"join_player.html": PAGE, "web.mp4": joined.web}) as base:
        yield base


def play(engine: str, site: str, display: str | None) -> dict:
    script = "playJoins(%s)" % json.dumps({"src": "web.mp4", "crop": CROP, "rate": RATE, "timeoutMs": 60000})
    if engine == "chromium":
        return browser.evaluate_in_chromium(site + "join_player.html", script, timeout=120)
    return browser.evaluate_in_webview(site + "join_player.html", script, display=display,
                                       timeout=120)


def presented(result: dict) -> list[float]:
    return [round(f["mediaTime"], 3) for f in result["frames"]]


def check_every_frame_once(result: dict, want: list[float], pictures: np.ndarray) -> None:
    """`want` and `pictures`: the web master's media times and corners (corners(), decoded once)."""
    frames = result["frames"]
    shown = presented(result)
    assert shown == want, (f"presented media times {shown}, the web master's {want} "
                           f"({result['dropped']} dropped by the compositor)")
    steps = [b["presented"] - a["presented"] for a, b in zip(frames, frames[1:])]
    assert set(steps) == {1}, f"presentedFrames went up by {steps}"
    for i, f in enumerate(frames):
        distance = np.abs(pictures - np.asarray(f["corner"], dtype=np.float32)).mean(axis=1)
        assert int(np.argmin(distance)) == i, \
            f"the frame presented at {f['mediaTime']} s shows frame {int(np.argmin(distance))}, not {i}"


def starved(result: dict, want: list[float]) -> bool:
    """True when the only fault of a play is the page's own: each missing media time was presented
    (presentedFrames went up by one more there), but the starved page ran one callback for both.
    A frame the stream lacks is never presented, so it is not excused; nor is a repeat or a
    frame out of order."""
    frames, shown = result["frames"], presented(result)
    if not shown or len(shown) >= len(want) or shown != sorted(set(shown)) or not set(shown) <= set(want):
        return False
    for a, b in zip(frames, frames[1:]):
        skipped = want.index(round(b["mediaTime"], 3)) - want.index(round(a["mediaTime"], 3))
        if b["presented"] - a["presented"] != skipped:
            return False
    return shown[0] == want[0] and shown[-1] == want[-1]


def test_chromium_plays_every_join_once(joined, site):
    """One play must show every frame to its callback. On a starved machine (load 12 on 2 cores)
    Chromium once presented a frame and ran one callback for it and the next (presentedFrames +2,
    nothing dropped): that play, and only that kind, is tried again, up to two more times."""
    browser.require_system_deps()
    times, pictures = corners(joined.web)
    want = [round(t - times[0], 3) for t in times]
    for _ in range(3):
        result = play("chromium", site, None)
        assert result["canPlay"]["h264"], f"Chromium cannot play H.264: {result['userAgent']}"
        if not starved(result, want):
            break
    check_every_frame_once(result, want, pictures)


def test_the_qt_window_cannot_play_the_h264_web_master(joined, site):
    """Stated, so a Qt build that gains H.264 makes this fail and the join check move here."""
    browser.require_system_deps()
    with browser.xvfb() as display:
        result = play("pywebview", site, display)
    assert result["canPlay"]["vp9"] == "probably", result
    assert result["canPlay"]["h264"] == "", result
