"""The scrubbing proxy plays and seeks in both engines the timeline will run in: headless Chromium
and the desktop app's pywebview window on Qt WebEngine (which has no H.264, hence a VP9 proxy).

The proxy is the one ingest makes from a real clip. Each engine loads it in
tests/data/proxy_player.html, seeks to frames picked at random, and
reports which frame it showed and what it drew; the frames are checked against the proxy decoded
here with PyAV. Seek times are printed (`pytest -s`), never asserted. With VIDEO_ARCHIVE_SCREENSHOTS
set to a folder, each engine leaves a PNG there of the page with the proxy playing.
"""

import json
import os
import random
import statistics
from pathlib import Path

import av
import numpy as np
import pytest

import browser

PAGE = Path(__file__).parent / "data" / "proxy_player.html"
CLIP = "testvideo.mp4"  # 720 frames with hard cuts and fades to black: dark frames must match too
RANDOM_SEEKS = 10
SEED = 4  # fixed, so a failing seek can be replayed; the frames it picks are in the failure message
ENGINE_TIMEOUT = 180  # seconds for one engine's whole run, start-up included
LUMA_TOLERANCE = 4  # mean luma levels (0-255), canvas vs PyAV; both engines measured within 0.6


@pytest.fixture(scope="module")
def system_deps():
    browser.require_system_deps()


@pytest.fixture(scope="module")
def ingested(media_dir, tmp_path_factory):
    from backend.media.ingest import ingest

    return ingest(media_dir / CLIP, cache_root=tmp_path_factory.mktemp("ingest-cache"), want_proxy=True)


@pytest.fixture(scope="module")
def proxy(ingested) -> Path:
    assert ingested.proxy is not None and ingested.proxy.is_file(), ingested.proxy
    return ingested.proxy


class Reference:
    """The proxy as PyAV decodes it: each frame's presentation time and mean luma."""

    def __init__(self, path: Path):
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            self.width, self.height = stream.codec_context.width, stream.codec_context.height
            times, lumas = [], []
            for frame in container.decode(stream):
                times.append(float(frame.pts * stream.time_base))
                # The page measures a 160x90 canvas with Rec. 709 weights; the same here.
                rgb = frame.to_ndarray(format="rgb24", width=160, height=90).astype(np.float64)
                lumas.append(float((rgb @ [0.2126, 0.7152, 0.0722]).mean()))
        self.times, self.lumas = times, lumas
        self.frame_s = float(statistics.median(np.diff(times)))
        self.duration = times[-1] + self.frame_s

    def frame_at(self, t: float) -> int:
        """The frame on screen at time t: the last one that starts at or before it."""
        return max(i for i, start in enumerate(self.times) if start <= t + 1e-6)


@pytest.fixture(scope="module")
def reference(proxy, ingested) -> Reference:
    from backend.media.ingest import load_frame_table

    ref = Reference(proxy)
    # Scrubbing to master frame N means seeking the proxy to frame N's time: that holds only while
    # the proxy keeps every decoded frame at its own timestamp (WebM counts in milliseconds).
    _, master_times = load_frame_table(ingested)
    assert len(ref.times) == ingested.frame_count, (len(ref.times), ingested.frame_count)
    drift = np.abs(np.array(ref.times) - (master_times - ingested.time_origin_s)).max()
    assert drift <= 0.001, f"proxy frame times are up to {drift * 1000:.1f} ms off the master's"
    assert (ref.width, ref.height) == (ingested.proxy_width, ingested.proxy_height)
    return ref


@pytest.fixture(scope="module")
def site(proxy):
    with browser.serve(files={"proxy_player.html": PAGE, "proxy.webm": proxy}) as base:
        yield base


@pytest.fixture(scope="module")
def x_display(system_deps):
    with browser.xvfb() as display:
        yield display


def seek_targets(ref: Reference) -> list[float]:
    """The first and last frames, then random ones; each target is the middle of its frame, so
    the frame that should show is unambiguous."""
    count = len(ref.times)
    frames = [0, count - 1, *random.Random(SEED).sample(range(1, count - 1), RANDOM_SEEKS)]
    return [round(ref.times[i] + ref.frame_s / 2, 4) for i in frames]


def screenshot_path(engine: str) -> Path | None:
    folder = os.environ.get("VIDEO_ARCHIVE_SCREENSHOTS")
    if not folder:
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder) / f"proxy-{engine}.png"


@pytest.mark.parametrize("engine", ["chromium", "pywebview"])
def test_proxy_plays_and_seeks(engine, system_deps, site, reference, request):
    targets = seek_targets(reference)
    script = "checkProxy(%s)" % json.dumps({"src": "proxy.webm", "targets": targets,
                                             "playFrom": round(reference.duration / 3, 3)})
    if engine == "chromium":
        result = browser.evaluate_in_chromium(site + "proxy_player.html", script, timeout=ENGINE_TIMEOUT,
                                              screenshot=screenshot_path(engine))
    else:
        result = browser.evaluate_in_webview(site + "proxy_player.html", script,
                                             display=request.getfixturevalue("x_display"),
                                             timeout=ENGINE_TIMEOUT, screenshot=screenshot_path(engine))

    seeks = result["seeks"]
    seek_ms = [s["seekMs"] for s in seeks]
    shown_ms = [s["presentMs"] for s in seeks if s["presentMs"] is not None]
    print(f"\n{engine}: {result['userAgent']}\n"
          f"  canPlayType {result['canPlay']}\n"
          f"  {len(seeks)} seeks in a {result.get('videoWidth')}x{result.get('videoHeight')} VP9 proxy: "
          f"median {statistics.median(seek_ms) if seek_ms else float('nan'):.1f} ms to 'seeked', "
          f"{statistics.median(shown_ms) if shown_ms else float('nan'):.1f} ms to the frame on screen "
          f"(each to 'seeked': {', '.join(f'{ms:.0f}' for ms in seek_ms)})")

    assert result["canPlay"]["vp9"] == "probably", f"{engine} cannot play VP9 in WebM: {result['canPlay']}"
    assert "error" not in result, f"{engine}: {result['error']}"
    assert (result["videoWidth"], result["videoHeight"]) == (reference.width, reference.height)
    assert abs(result["duration"] - reference.duration) <= reference.frame_s, (result["duration"], reference.duration)
    assert len(seeks) == len(targets)

    for seek in seeks:
        target = seek["target"]
        want = reference.frame_at(target)
        where = f"{engine}, seek to {target:.4f} s (frame {want}; seed {SEED})"
        assert abs(seek["currentTime"] - target) < 1e-3, f"{where}: currentTime is {seek['currentTime']}"
        assert seek["mediaTime"] is not None, f"{where}: no frame was presented after the seek"
        shown = reference.frame_at(seek["mediaTime"])
        assert shown == want, f"{where}: frame {shown} (at {seek['mediaTime']} s) is on screen"
        assert seek["opaqueFraction"] == 1, f"{where}: the canvas stayed empty"
        assert abs(seek["meanLuma"] - reference.lumas[want]) <= LUMA_TOLERANCE, (
            f"{where}: the canvas has mean luma {seek['meanLuma']:.1f}, the decoded frame {reference.lumas[want]:.1f}")
    # The clip fades through black, so single frames may be dark; the picture as a whole must not be.
    assert max(s["litFraction"] for s in seeks) > 0.5, f"{engine}: every seek drew a black frame"

    played = result["played"]
    assert "error" not in played, f"{engine} would not play the proxy: {played['error']}"
    assert not played["paused"] and played["to"] > played["from"], f"{engine} did not advance: {played}"


def test_static_server_answers_byte_ranges(tmp_path):
    # Media elements seek by fetching byte ranges; without 206 answers Chromium cannot seek at all.
    import urllib.request

    data = bytes(range(256)) * 40
    (tmp_path / "clip.webm").write_bytes(data)
    (tmp_path / "secret").mkdir()
    with browser.serve(tmp_path / "secret", files={"v/clip.webm": tmp_path / "clip.webm"}) as base:
        def get(path, spec=None):
            req = urllib.request.Request(base + path, headers={"Range": spec} if spec else {})
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    return resp.status, dict(resp.headers), resp.read()
            except urllib.error.HTTPError as err:
                return err.code, dict(err.headers), b""

        status, headers, body = get("v/clip.webm")
        assert (status, headers["Content-Type"], headers["Accept-Ranges"], body) == (200, "video/webm", "bytes", data)
        status, headers, body = get("v/clip.webm", "bytes=100-199")
        assert (status, headers["Content-Range"], body) == (206, f"bytes 100-199/{len(data)}", data[100:200])
        status, headers, body = get("v/clip.webm", "bytes=10000-")
        assert (status, body) == (206, data[10000:])
        status, headers, body = get("v/clip.webm", "bytes=-10")
        assert (status, headers["Content-Range"], body) == (206, f"bytes {len(data) - 10}-{len(data) - 1}/{len(data)}", data[-10:])
        status, headers, _ = get("v/clip.webm", f"bytes={len(data)}-")
        assert (status, headers["Content-Range"]) == (416, f"bytes */{len(data)}")
        # Nothing outside the served folder, by name or by climbing out of it.
        assert get("../clip.webm")[0] == 404
        assert get("%2e%2e/clip.webm")[0] == 404
