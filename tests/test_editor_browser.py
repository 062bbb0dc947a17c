"""The whole job in the editor page, in headless Chromium (Debian's) against `video-archive serve`,
on real clips: create a project, wait for the ingest, scrub with keys and the mouse and check the
frame on screen (counter.mp4), drag the threshold, add/move/delete cuts, undo and redo, select and
drag-group scenes, reload mid-edit and find every edit, export; then check the archive on disk and
the database. With VIDEO_ARCHIVE_SCREENSHOTS=FOLDER each screen is saved there as a PNG."""

from __future__ import annotations

import json
import os
import re
import urllib.request
from pathlib import Path

import apsw
import numpy as np
import pytest

import browser
from archive_checks import decode, distance
from editor_page import (Reference, box_of, canvas_point, chromium, create_project, cut_point, drag, press,
                         save_screenshot, serve, state, wait_frame_shown, wait_saved)

SHOTS = os.environ.get("VIDEO_ARCHIVE_SCREENSHOTS")


def shot(page, name: str) -> None:
    save_screenshot(page, SHOTS, name)


@pytest.fixture(scope="module")
def system_deps():
    browser.require_system_deps()


def fetch(page, url: str, out: Path) -> Path:
    """A media URL of the page (its secret prefix is the credential)."""
    response = page.request.get(url)
    assert response.ok, f"{url}: HTTP {response.status}"
    out.write_bytes(response.body())
    return out


def test_scrubbing_shows_the_frame_under_the_playhead(editor_server, media_dir, tmp_path):
    url, _ = editor_server
    with chromium() as page:
        create_project(page, url, media_dir / "counter.mp4", "Counter", tmp_path / "out")
        proxy_url = page.evaluate("() => window.videoArchive.editor.meta.scrub_url")
        refs = Reference(fetch(page, proxy_url, tmp_path / "proxy.webm"))
        assert len(refs) == 30
        shot(page, "editor-counter")

        def check(frame: int, how: str) -> None:
            assert state(page)["playhead"] == frame, how
            wait_frame_shown(page)
            shown = refs.frame_on_screen(page)
            assert shown == frame, f"after {how}: the viewer shows frame {shown}, not {frame}"
            hud = page.locator("#hud").get_attribute("data-frame")
            assert hud == str(frame), f"after {how}: the frame number shown is {hud}"

        check(0, "opening")
        press(page, "ArrowRight", 7)
        check(7, "7 x Right")
        press(page, "Shift+ArrowRight")
        check(17, "Shift+Right (one second at 10 fps)")
        press(page, "ArrowLeft")
        check(16, "Left")
        press(page, "End")
        check(29, "End")
        press(page, "Shift+ArrowLeft")
        check(19, "Shift+Left")
        press(page, "Home")
        check(0, "Home")
        # the mouse: a click on the ruler, then a drag along it
        page.mouse.click(*canvas_point(page, frame=12, lane="ruler"))
        check(12, "a click on the ruler at frame 12")
        drag(page, canvas_point(page, frame=3, lane="ruler"), canvas_point(page, frame=23, lane="ruler"))
        check(23, "a drag along the ruler to frame 23")
        # zoomed in to single frames, stepping still lands on each frame
        page.keyboard.press("+")
        page.keyboard.press("+")
        press(page, "ArrowRight", 3)
        check(26, "zoomed in, 3 x Right")
        assert not page.errors, page.errors


@pytest.mark.cold_cache  # the ingest a person waits for the first time, with its progress
def test_the_whole_job_in_the_page(editor_server, media_dir, tmp_path):
    url, db_path = editor_server
    out = tmp_path / "out"
    with chromium() as page:
        page.goto(url)
        page.wait_for_selector("#new-project")
        page.fill("#f-artwork", "Bad/Name")
        page.fill("#f-master", str(tmp_path / "missing.mov"))
        page.click("#create")
        page.wait_for_selector("[data-field] .error:not(:empty)")
        shot(page, "start-field-error")
        sid = create_project(page, url, media_dir / "testvideo.mp4", "Edit Test", out,
                             on_ingest=lambda: shot(page, "ingest"))
        s = state(page)
        assert s["cuts"] == [30, 180, 394] and s["threshold"] == 30, s
        shot(page, "editor")

        # --- the threshold line: drag it down, more cuts appear, live, and the bridge agrees
        before = page.locator("#scene-count").text_content()
        drag(page, canvas_point(page, lane="graph", value=30), canvas_point(page, lane="graph", value=8))
        s = state(page)
        assert s["threshold"] < 12 and len(s["cuts"]) > 3, s
        page.wait_for_function("(before) => document.querySelector('#scene-count').textContent !== before", arg=before)
        wait_saved(page)
        server_cuts = page.evaluate(f"() => window.videoArchive.bridge.call('timeline.get', {{session_id: '{sid}'}}).then((t) => t.cuts)")
        assert server_cuts == state(page)["cuts"]
        shot(page, "threshold-drag")

        # --- undo / redo the threshold as one step
        press(page, "Control+z")
        assert state(page)["cuts"] == [30, 180, 394] and state(page)["threshold"] == 30
        press(page, "Control+Shift+z")
        assert len(state(page)["cuts"]) > 3
        press(page, "Control+z")
        assert state(page)["cuts"] == [30, 180, 394]

        # --- add a cut at the playhead (frame 500), move it to 512 (Alt: no snapping), delete 180
        press(page, "Home")
        press(page, "Shift+ArrowRight", 16)   # 16 s at the nominal 30 frames a second
        press(page, "ArrowRight", 20)
        assert state(page)["playhead"] == 500
        press(page, "c")
        assert state(page)["cuts"] == [30, 180, 394, 500]
        x0, y0 = cut_point(page, 500)
        x1, _ = cut_point(page, 512)
        drag(page, (x0, y0), (x1 + 0.3, y0), modifiers=("Alt",))
        assert state(page)["cuts"] == [30, 180, 394, 512], state(page)
        page.mouse.click(*cut_point(page, 180))
        assert state(page)["selectedCut"] == 180
        # the review shows the master's frames either side, with their scores
        page.wait_for_function("""() => ['#review-before', '#review-after'].every((id) => {
            const i = document.querySelector(id); return i && i.complete && i.naturalWidth === 1280; })""", timeout=60_000)
        captions = page.locator("#review figcaption").all_text_contents()
        assert "frame 179" in captions[0] and "frame 180 · score 83.0" in captions[1], captions
        shot(page, "cut-review")
        press(page, "Delete")
        assert state(page)["cuts"] == [30, 394, 512]
        press(page, "Control+z")
        assert state(page)["cuts"] == [30, 180, 394, 512]
        press(page, "Control+Shift+z")
        assert state(page)["cuts"] == [30, 394, 512]
        # scenes now: 1 [0,30) 2 [30,394) 3 [394,512) 4 [512,720)

        # --- select scenes with click, Shift+click, Ctrl+click; drag them into a group
        press(page, "Escape")      # a new session has every scene selected; start from none
        assert state(page)["selection"] == []
        page.click("#new-group")
        assert [(g["name"], g["scenes"]) for g in state(page)["groups"]] == [("Group 1", [])]
        page.mouse.click(*canvas_point(page, frame=10, lane="scenes"))
        page.keyboard.down("Shift")
        page.mouse.click(*canvas_point(page, frame=200, lane="scenes"))
        page.keyboard.up("Shift")
        assert state(page)["selection"] == [0, 30]
        target = box_of(page.locator("[data-group]").first)
        drag(page, canvas_point(page, frame=100, lane="scenes"),
             (target["x"] + target["width"] / 2, target["y"] + target["height"] / 2), steps=20)
        assert state(page)["groups"][0]["scenes"] == [0, 30], state(page)
        page.locator(".group input.name").first.fill("Intro")
        page.locator(".group input.name").first.press("Enter")
        page.mouse.click(*canvas_point(page, frame=600, lane="scenes"))
        page.keyboard.down("Control")
        page.mouse.click(*canvas_point(page, frame=400, lane="scenes"))
        page.keyboard.up("Control")
        press(page, "2")       # scenes 3 and 4 into a new second group
        page.keyboard.down("Control")
        page.mouse.click(*canvas_point(page, frame=10, lane="scenes"))
        page.keyboard.up("Control")
        s = state(page)
        assert s["selection"] == [0, 394, 512], s
        assert [(g["name"], g["scenes"]) for g in s["groups"]] == [("Intro", [0, 30]), ("Group 2", [394, 512])]
        wait_saved(page)
        page.click("#toggle-grid")
        shot(page, "scene-grid")
        # every scene shows its midpoint thumbnail (the one base URL and the index), those the
        # edits made too: each edit's answer gives the midpoints of the scenes between its cuts
        pics = page.eval_on_selector_all("#grid .cell .pic", "els => els.map((e) => e.style.backgroundImage)")
        assert pics and all(re.search(r'/media/[\w-]+/\d+"\)$', p) for p in pics), pics
        page.click("#toggle-grid")

        # --- reload mid-edit: everything is still there
        wait_saved(page)
        edited = state(page)
        page.reload()
        page.wait_for_function("() => window.videoArchive.editor && window.videoArchive.editor.scores", timeout=30_000)
        again = state(page)
        for key in ("cuts", "selection", "threshold", "groups"):
            assert again[key] == edited[key], f"{key} after reload: {again[key]} != {edited[key]}"

        # --- export
        page.click("#export")
        page.wait_for_selector("#screen-export:not([hidden]) #export-start")
        # the summary's size comes from the core's export.plan
        # (measured on the master's frames after the screen shows: the counts come at once)
        page.wait_for_function("() => /~[\\d.]+ [KMG]?B/.test(document.querySelector('#export-summary').textContent)")
        assert re.search(r"~[\d.]+ [KMG]?B", page.locator("#export-summary").text_content())
        shot(page, "export-summary")
        page.click("#export-start")
        page.wait_for_selector("#archive-path", timeout=600_000)
        shot(page, "export-done")
        archive = Path(page.locator("#archive-path").text_content())
        # the other screens, with this finished project in them
        page.keyboard.press("?")
        shot(page, "help")
        page.keyboard.press("Escape")
        for name in ("history", "presets", "settings"):
            page.click(f"[data-nav={name}]")
            page.wait_for_selector(f"#screen-{name}:not([hidden]) .panel")
            if name == "presets":
                page.locator("[data-preset] button").first.click()
                page.wait_for_selector("#preset-editor form")
            shot(page, name)
        page.click("[data-nav=start]")
        page.wait_for_selector("#recent table")
        shot(page, "start")
        assert not page.errors, page.errors

    # --- the archive follows the edits: selected scenes 1, 3, 4; Intro holds 1 (2 is not selected)
    prefix = "26-11-25_Edit-Test"
    assert archive == out / prefix, archive
    clips = sorted(p.relative_to(archive / "clips").as_posix() for p in (archive / "clips").rglob("*.mp4"))
    wanted = {f"Intro/{prefix}_s001.mp4", f"Group-2/{prefix}_s003.mp4", f"Group-2/{prefix}_s004.mp4"}
    assert wanted <= set(clips), clips
    assert not any("_s002" in c for c in clips), clips
    spans = {f"Intro/{prefix}_s001.mp4": (0, 30), f"Group-2/{prefix}_s003.mp4": (394, 512),
             f"Group-2/{prefix}_s004.mp4": (512, 720)}
    ends = {k for start, stop in spans.values() for k in (start, stop - 1)}
    _, master = decode(media_dir / "testvideo.mp4", {k + d for k in ends for d in range(-2, 3)})
    for name, (start, stop) in spans.items():
        count, frames = decode(archive / "clips" / name, {0, stop - start - 1})
        assert count == stop - start, f"{name}: {count} frames, the scene has {stop - start}"
        for offset in (0, count - 1):
            want = start + offset
            near = range(max(0, want - 2), min(720, want + 3))
            errors = {k: distance(frames[offset], master[k]) for k in near}
            # the nearest master frame, unless the neighbours look the same (a fade to black)
            best = min(errors, key=errors.get)
            assert best == want or errors[want] - errors[best] < 0.5, \
                f"{name}: frame {offset} looks like master frame {best}, not {want} ({errors})"

    db = apsw.Connection(str(db_path), flags=apsw.SQLITE_OPEN_READONLY)
    row = db.execute("SELECT status, selected_scenes, grouped_scenes, scene_threshold FROM processing_state"
                     " WHERE session_id = ?", (sid,)).fetchone()
    assert row is not None
    status, selected, grouped, threshold = row
    assert status == "completed", status
    assert json.loads(selected) == [1, 3, 4]
    assert [(g["name"], g["scenes"]) for g in json.loads(grouped)] == [("Intro", [1, 2]), ("Group 2", [3, 4])]
    assert threshold == 30
    assert db.execute("SELECT count(*) FROM project_history WHERE session_id = ?", (sid,)).fetchone()[0] == 1
    registered = {r[0] for r in db.execute("SELECT file_path FROM file_registry WHERE session_id = ?", (sid,))}
    assert {f"clips/{c}" for c in wanted} <= registered


def test_a_bridge_that_is_gone_is_said_in_the_page(system_deps, media_dir, tmp_path):
    with chromium() as page:
        with serve(tmp_path / "config" / "state.db") as url:
            create_project(page, url, media_dir / "counter.mp4", "Gone", tmp_path / "out")
        # the server has stopped: the page says so, and an edit says it was not saved
        page.wait_for_selector("#banner:not([hidden])", timeout=30_000)
        assert "connection" in page.locator("#banner-text").text_content()
        press(page, "ArrowRight", 3)
        press(page, "c")
        page.wait_for_function("() => document.querySelector('#save-state').textContent === 'Not saved'", timeout=30_000)
        assert "not saved" in page.locator("#banner-text").text_content()
        assert page.locator("#screen-editor").is_visible()  # the work stays on screen
        assert not page.errors, page.errors
