"""A finished project reopened from Recent projects, edited and exported again, in headless
Chromium against `video-archive serve` on counter.mp4: the new version is written as NAME_v2
beside the first, whose files stay as they were (verify: intact), and its manifest says which
version it follows. A scene's label and note, typed in the editor, show on the timeline and in the
contact sheet and come along to the new version."""

from __future__ import annotations

import json
import os

import pytest

from backend.archive.verify import verify
from editor_page import chromium, create_project, press, save_screenshot, state, wait_saved

SHOTS = os.environ.get("VIDEO_ARCHIVE_SCREENSHOTS")  # a folder: docs/screens


def export_here(page) -> str:
    page.once("dialog", lambda d: d.accept())
    page.click("#export")
    page.wait_for_selector("#screen-export:not([hidden]) #export-start")
    page.click("#export-start")
    page.wait_for_selector("#archive-path", timeout=600_000)
    return page.text_content("#archive-path")


@pytest.mark.slow
def test_a_finished_project_is_reopened_as_a_new_version(editor_server, media_dir, tmp_path):
    url, _ = editor_server
    with chromium() as page:
        create_project(page, url, media_dir / "counter.mp4", "Again", tmp_path / "out")
        press(page, "Home")
        press(page, "ArrowRight", 10)
        press(page, "c")
        press(page, "Control+a")
        # a label and a note on the second scene (the playhead's), kept by the core
        page.wait_for_function("() => document.querySelector('#scene-panel h3').textContent === 'Scene 2'")
        page.fill("#scene-label", "Title card")
        page.fill("#scene-note", "white on black")
        page.press("#scene-label", "Enter")
        wait_saved(page)
        drawn = page.evaluate("""() => new Promise((resolve) => {
            const seen = [], draw = CanvasRenderingContext2D.prototype.fillText;
            CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) { seen.push(String(text)); return draw.call(this, text, ...rest); };
            window.videoArchive.editor.timeline.invalidate();
            requestAnimationFrame(() => requestAnimationFrame(() => { CanvasRenderingContext2D.prototype.fillText = draw; resolve(seen); })); })""")
        assert "2 · Title card" in drawn, drawn
        save_screenshot(page, SHOTS, "scene-notes")
        first = export_here(page)
        before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out" / "26-11-25_Again").rglob("*") if p.is_file()}

        page.goto(url + "#/")
        page.wait_for_selector("#recent button.reopen")
        save_screenshot(page, SHOTS, "start-reopen")
        page.click("#recent button.reopen")
        page.wait_for_selector("#screen-editor:not([hidden]) canvas#timeline", timeout=180_000)
        page.wait_for_function("() => window.videoArchive.editor && window.videoArchive.editor.scores", timeout=30_000)
        again = state(page)
        assert again["cuts"] == [10] and again["selection"] == [0, 10]    # the first version's edits
        assert page.evaluate("() => window.videoArchive.editor.state.notes") == [
            {"start": 10, "label": "Title card", "note": "white on black"}]
        press(page, "ArrowRight", 10)
        press(page, "c")
        press(page, "Control+a")
        wait_saved(page)
        second = export_here(page)
        assert not page.errors, page.errors

    assert second.endswith("26-11-25_Again_v2") and first.endswith("26-11-25_Again")
    manifest = json.loads((tmp_path / "out" / "26-11-25_Again_v2" / "26-11-25_Again_v2_manifest.json").read_text())
    assert manifest["follows"] == "26-11-25_Again"
    after = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out" / "26-11-25_Again").rglob("*") if p.is_file()}
    assert after == before                       # the first version untouched
    sheet = (tmp_path / "out" / "26-11-25_Again" / "index.html").read_text(encoding="utf-8")
    assert "Title card" in sheet and "white on black" in sheet     # the contact sheet shows them
    assert verify(first).status == "intact"
    assert verify(second).status == "intact"
