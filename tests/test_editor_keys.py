"""The editor's keys and the cut import, pressed as a person presses them in headless Chromium on
counter.mp4 (30 frames at 10 fps): playback (Space, J/K/L), cut to cut (Up/Down, [ ]), Ctrl+A and
a group number, F for the master's own frame, G for the scene grid, and Import cuts from a
LosslessCut CSV, undone with Ctrl+Z. Each edit is checked where it is kept: in state.db."""

from __future__ import annotations

import json

import apsw

from editor_page import chromium, create_project, press, state, wait_saved


def stored(db_path, sid: str) -> tuple[list[int], list[dict]]:
    """(cuts, groups) as state.db holds them."""
    db = apsw.Connection(str(db_path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        scenes, grouped = db.execute("SELECT scenes_data, grouped_scenes FROM processing_state "
                                     "WHERE session_id = ?", (sid,)).fetchone()
    finally:
        db.close()
    cuts = [s["start_frame"] for s in json.loads(scenes)][1:]
    return cuts, json.loads(grouped or "[]")


def badge(page) -> str | None:
    return page.evaluate("() => { const b = document.querySelector('#badge'); return b.hidden ? null : b.textContent; }")


def test_keys_and_cut_import(editor_server, media_dir, tmp_path):
    url, db_path = editor_server
    with chromium() as page:
        sid = create_project(page, url, media_dir / "counter.mp4", "Keys", tmp_path / "out")
        assert state(page)["cuts"] == []
        press(page, "Home")
        press(page, "Shift+ArrowRight")          # one second: frame 10
        press(page, "c")
        press(page, "ArrowRight", 10)
        press(page, "c")
        assert state(page)["cuts"] == [10, 20]

        # cut to cut, both key pairs
        press(page, "Home")
        press(page, "ArrowDown")
        assert state(page)["playhead"] == 10
        press(page, "]")
        assert state(page)["playhead"] == 20
        press(page, "[")
        assert state(page)["playhead"] == 10
        press(page, "ArrowUp")
        assert state(page)["playhead"] == 0

        # every scene into group 1
        press(page, "Control+a")
        assert state(page)["selection"] == [0, 10, 20]  # scenes by their first frame in the page
        press(page, "1")
        wait_saved(page)
        cuts, groups = stored(db_path, sid)
        assert cuts == [10, 20]
        assert [g["scenes"] for g in groups] == [[1, 2, 3]]

        # playback: Space plays and stops; L doubles, K stops, J goes backwards
        press(page, "Space")
        assert badge(page) == "▶ 1×"
        page.wait_for_function("() => window.videoArchive.editor.state.playhead > 0", timeout=10_000)
        press(page, "Space")
        assert badge(page) is None
        press(page, "l")
        press(page, "l")
        assert badge(page) == "▶ 2×"
        press(page, "k")
        assert badge(page) is None
        press(page, "End")
        press(page, "j")
        assert badge(page) == "◀ 1×"
        page.wait_for_function("() => window.videoArchive.editor.state.playhead < 29", timeout=10_000)
        press(page, "k")
        assert badge(page) is None
        # quicker than the video starts: Space then K, and L then J, each pair in one go (a play
        # interrupted by our own pause is no failure: no "Playback failed", the badge as pressed)
        keys = "(keys) => keys.forEach((key) => document.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true})))"
        page.evaluate(keys, [" ", "k"])
        page.wait_for_timeout(500)
        assert badge(page) is None and page.locator("#banner").is_hidden(), page.text_content("#banner-text")
        press(page, "End")
        page.evaluate(keys, ["l", "j"])
        page.wait_for_timeout(300)   # of the 1.2 s back to the start
        assert badge(page) == "◀ 1×" and page.locator("#banner").is_hidden(), page.text_content("#banner-text")
        press(page, "k")
        assert badge(page) is None

        # F: the master's own frame, at the master's size, for the still playhead
        press(page, "Home")
        press(page, "ArrowRight", 5)
        press(page, "f")
        # F's frame is the full size (the one that comes by itself after a rest is the viewer's)
        page.wait_for_function("() => { const i = document.querySelector('#still'); return !i.hidden && i.complete"
                               " && i.naturalWidth === window.videoArchive.editor.meta.width; }", timeout=15_000)
        size = page.evaluate("() => { const i = document.querySelector('#still'); return [i.naturalWidth, i.naturalHeight]; }")
        meta = page.evaluate("() => [window.videoArchive.editor.meta.width, window.videoArchive.editor.meta.height]")
        assert size == meta
        press(page, "ArrowRight")
        page.wait_for_function("() => document.querySelector('#still').hidden", timeout=5_000)

        # G: the scene grid, one tile per scene
        press(page, "g")
        page.wait_for_selector("#grid:not([hidden]) .cell")
        assert page.locator("#grid .cell").count() == 3
        press(page, "g")
        assert page.locator("#grid").is_hidden()

        # Import cuts (a path in a browser; the desktop window opens a file dialog)
        csv = tmp_path / "from-losslesscut.csv"
        csv.write_text("0,0.5,Intro\n0.5,2.5,\n2.5,3.0,End\n")
        page.once("dialog", lambda d: d.accept(str(csv)))
        page.click("#import-cuts")
        page.wait_for_function("() => JSON.stringify(window.videoArchive.editor.state.cuts) === '[5,25]'",
                               timeout=10_000)
        wait_saved(page)
        assert stored(db_path, sid)[0] == [5, 25]
        press(page, "Control+z")                 # an import is one edit
        assert state(page)["cuts"] == [10, 20]
        wait_saved(page)
        assert stored(db_path, sid)[0] == [10, 20]

        # a file that is no edit list: said in the page, nothing changed
        bad = tmp_path / "notes.txt"
        bad.write_text("nothing")
        page.once("dialog", lambda d: d.accept(str(bad)))
        page.click("#import-cuts")
        # the import's own banner may still be up: wait for this file's word, not for any banner
        page.wait_for_function("() => !document.querySelector('#banner').hidden"
                               " && document.querySelector('#banner-text').textContent.includes('notes.txt')",
                               timeout=10_000)
        assert state(page)["cuts"] == [10, 20] and stored(db_path, sid)[0] == [10, 20]
        assert not page.errors, page.errors


def test_the_about_box_names_the_version_and_the_ffmpeg(editor_server, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    url, db_path = editor_server
    script = Path(sys.executable).with_name("video-archive")
    printed = subprocess.run([str(script), "--db", str(db_path), "--version"], capture_output=True,
                             text=True, timeout=60, check=True).stdout
    with chromium() as page:
        page.goto(url)
        page.wait_for_selector("#new-project")
        page.click("#about-button")
        page.wait_for_selector("#about:not([hidden]) #about-ffmpeg")
        version, ffmpeg = page.text_content("#about-version"), page.text_content("#about-ffmpeg")
        binary = page.text_content("#about-ffmpeg-binary")
        assert f"video-archive {version}" in printed
        assert f"ffmpeg {ffmpeg}: {binary.split(' (')[0]}" in printed, (printed, ffmpeg, binary)
        page.keyboard.press("Escape")
        assert page.locator("#about").is_hidden()
        assert not page.errors, page.errors


def test_what_the_checks_changed_is_said_when_a_project_is_created(editor_server, media_dir, tmp_path):
    url, _ = editor_server
    rd = tmp_path / "rd"
    rd.mkdir()
    (rd / ".DS_Store").write_bytes(b"\0")
    (rd / "sketch.txt").write_text("kept")
    with chromium() as page:
        page.goto(url)
        page.wait_for_function("() => document.querySelector('#f-preset')?.options.length > 0")
        page.fill("#f-master", str(media_dir / "counter.mp4"))
        page.fill("#f-artwork", "Warn Me")
        page.fill("#f-rd", str(rd))
        page.fill("#f-out", str(tmp_path / "out"))
        page.click("#create")
        page.wait_for_function("() => !document.querySelector('#banner').hidden", timeout=30_000)
        said = page.text_content("#banner-text")
        assert "Warn-Me" in said and "'.DS_Store'" in said, said
        assert not page.errors, page.errors
