"""Sound and the sharp picture in the editor page, in headless Chromium: the sharp proxy replaces
the ingest's small one; a master with audio shows the waveform lane, plays with its sound decoded (webkitAudioDecodedByteCount), M mutes, shuttle
above 2x is silent; a master without audio has no lane and nothing to mute; after a scrub stops,
the viewer shows the master's own frame at the playhead (pixels compared with a decode of the
master) and the badge says so. With VIDEO_ARCHIVE_SCREENSHOTS=FOLDER the editor with its lane is
saved there."""

from __future__ import annotations

import os

import av
import numpy as np
from conftest import make_hits_master

from editor_page import (canvas_point, chromium, create_project, drag, press, save_screenshot,
                         state, wait_frame_shown)

SHOTS = os.environ.get("VIDEO_ARCHIVE_SCREENSHOTS")

MEDIA_JS = """() => { const v = document.querySelector('#proxy'); const b = document.querySelector('#source');
  return {muted: v.muted, paused: v.paused, audioBytes: v.webkitAudioDecodedByteCount, rate: v.playbackRate,
          source: b.dataset.source, sound: b.dataset.sound, badge: b.textContent}; }"""


def media(page) -> dict:
    return page.evaluate(MEDIA_JS)


def master_lumas(path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24").astype(np.float64) @ np.array([0.2126, 0.7152, 0.0722])
                for f in container.decode(video=0)]


def still_luma(page) -> np.ndarray:
    """The viewer's still (the master frame it shows) at its own size, as luma."""
    width, height, values = page.evaluate("""() => { const img = document.querySelector('#still');
        const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
        const x = c.getContext('2d', {willReadFrequently: true}); x.drawImage(img, 0, 0);
        const d = x.getImageData(0, 0, c.width, c.height).data; const out = new Array(d.length / 4);
        for (let i = 0; i < out.length; i++) out[i] = 0.2126 * d[4*i] + 0.7152 * d[4*i+1] + 0.0722 * d[4*i+2];
        return [c.width, c.height, out]; }""")
    return np.asarray(values, dtype=np.float64).reshape(height, width)


def lane_ink(page, frame: int) -> float:
    """How many of the wave lane's pixels at `frame` are drawn in the wave's colour (the bar's
    height: 0 when nothing is drawn)."""
    return page.evaluate("""(frame) => { const t = window.videoArchive.editor.timeline;
        const [top, bottom] = t.lanes.wave; if (bottom <= top) return 0;
        const dpr = window.devicePixelRatio || 1, x = Math.round(t.xOf(frame + 0.5) * dpr);
        const d = t.ctx.getImageData(x, Math.round(top * dpr), 1, Math.round((bottom - top) * dpr)).data;
        let ink = 0; for (let i = 0; i < d.length; i += 4) if (d[i + 2] - d[i] > 40) ink++;
        return ink; }""", frame)


def test_sound_lane_mute_and_the_sharp_frame(editor_server, tmp_path, ffmpeg_bin):
    url, _ = editor_server
    master = make_hits_master(ffmpeg_bin, tmp_path / "hits.mp4", seconds=6)
    with chromium() as page:
        create_project(page, url, master, "Hits", tmp_path / "out")
        page.wait_for_function("() => window.videoArchive.editor.viewer.video.readyState >= 2")
        # the sharp proxy (the master's 320 px, not the ingest's 256) was swapped in with its sound
        assert page.evaluate("() => [document.querySelector('#proxy').videoWidth, window.videoArchive.editor.meta.proxy_width]") == [320, 320]
        # the lane, drawn from the peaks: ink at a hit (frame 7: 0.28-0.32 s), little between
        lanes = page.evaluate("() => window.videoArchive.editor.timeline.lanes")
        assert lanes["wave"][1] - lanes["wave"][0] >= 30, lanes
        assert lane_ink(page, 7) > 3 * max(1, lane_ink(page, 18)), (lane_ink(page, 7), lane_ink(page, 18))
        assert page.evaluate("() => Array.from(window.videoArchive.editor.onsets).indexOf(Math.max(...window.videoArchive.editor.onsets))") in (7, 8, 32, 33, 57, 58, 82, 83, 107, 108, 132, 133)
        save_screenshot(page, SHOTS, "editor-waveform")

        # 1x: heard (not muted, its audio decoded); M mutes and unmutes while playing
        assert media(page)["sound"] == "on"
        press(page, "Space")
        page.wait_for_function("() => document.querySelector('#proxy').webkitAudioDecodedByteCount > 0", timeout=10_000)
        m = media(page)
        assert not m["paused"] and not m["muted"] and m["rate"] == 1
        press(page, "m")
        m = media(page)
        assert m["muted"] and m["sound"] == "muted" and "muted" in m["badge"]
        press(page, "m")
        assert not media(page)["muted"]
        press(page, "k")
        # shuttle: 2x is heard, 4x is not
        press(page, "Home")
        press(page, "l")
        press(page, "l")
        assert media(page)["rate"] == 2 and not media(page)["muted"]
        press(page, "l")
        assert media(page)["rate"] == 4 and media(page)["muted"]
        press(page, "k")

        # a scrub that stops: the master's own frame at the playhead, said by the badge
        drag(page, canvas_point(page, frame=20, lane="ruler"), canvas_point(page, frame=61, lane="ruler"))
        assert state(page)["playhead"] == 61
        wait_frame_shown(page)
        page.wait_for_function("() => document.querySelector('#source').dataset.source === 'master'"
                               " && !document.querySelector('#still').hidden", timeout=5_000)
        frames = master_lumas(master)
        shown = still_luma(page)
        errors = [float(np.abs(shown - f).mean()) for f in frames]
        assert int(np.argmin(errors)) == 61, f"the still is frame {int(np.argmin(errors))}"
        assert errors[61] < 2.0, errors[61]
        rest_ms = page.evaluate("() => window.videoArchive.editor.sharp.lastMs")
        print(f"scrub stop -> master frame on screen: {rest_ms:.0f} ms")
        # a step away shows the proxy at once, then the master again
        press(page, "ArrowRight")
        assert media(page)["source"] == "proxy"
        page.wait_for_function("() => document.querySelector('#source').dataset.source === 'master'", timeout=5_000)
        shown = still_luma(page)
        assert int(np.argmin([float(np.abs(shown - f).mean()) for f in frames])) == 62
        # the sharp proxy arriving while the master's frame is on screen (a busy machine makes it
        # late), and a seek to this frame landing late: the master's frame stays
        still_62 = page.get_attribute("#still", "src")
        page.evaluate("() => window.videoArchive.editor.followSharpProxy(window.videoArchive.editor.sessionId)")
        page.evaluate("() => window.videoArchive.editor.viewer.show(62)")
        assert media(page)["source"] == "master" and page.locator("#still").is_visible()
        assert page.get_attribute("#still", "src") == still_62
        page.evaluate("() => window.videoArchive.editor.viewer.show(63)")   # another frame: the proxy's
        assert page.locator("#still").is_hidden()


def test_a_master_without_audio_has_no_lane_and_no_mute(editor_server, media_dir, tmp_path):
    url, _ = editor_server
    with chromium() as page:
        create_project(page, url, media_dir / "counter.mp4", "Silent", tmp_path / "out")
        lanes = page.evaluate("() => window.videoArchive.editor.timeline.lanes")
        assert lanes["wave"][1] <= lanes["wave"][0], lanes
        assert page.evaluate("() => window.videoArchive.editor.wave") is None
        assert media(page)["sound"] == "none"
        press(page, "Space")
        assert media(page)["muted"]
        press(page, "m")
        assert media(page)["sound"] == "none" and "muted" not in media(page)["badge"]
        press(page, "k")
