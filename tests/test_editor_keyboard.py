"""The editor without a mouse, in headless Chromium on counter.mp4 (30 frames at 10 fps): cuts
selected and stepped from the keyboard, scenes selected at the playhead (Shift extends), Delete
on either, I/O, go to, the scene grid's arrows and Enter, Space on a focused button, the context
menu, the keys box drawn from the keymap, and a threshold field emptied by mistake."""

from __future__ import annotations

import json
import os

from editor_page import chromium, create_project, cut_point, drag, press, save_screenshot, state, wait_saved, wait_until

SHOTS = os.environ.get("VIDEO_ARCHIVE_SCREENSHOTS")  # a folder: docs/screens


def keymap_rows(page) -> int:
    return page.evaluate("() => import('/js/keymap.js').then((m) => m.KEYMAP.length)")


def focused(page) -> str:
    return page.evaluate("() => { const a = document.activeElement; return a.id || a.getAttribute('role') || a.tagName; }")


def test_the_editor_from_the_keyboard(editor_server, media_dir, tmp_path):
    url, db_path = editor_server
    with chromium() as page:
        create_project(page, url, media_dir / "counter.mp4", "Keyboard", tmp_path / "out")
        press(page, "Home")
        press(page, "Shift+ArrowRight")
        press(page, "c")
        press(page, "ArrowRight", 10)
        press(page, "c")
        assert state(page)["cuts"] == [10, 20]

        # [ and ] go to a cut and select it; X selects the cut nearest the playhead
        press(page, "Escape")
        press(page, "Home")
        press(page, "]")
        assert (state(page)["playhead"], state(page)["selectedCut"]) == (10, 10)
        press(page, "]")
        assert (state(page)["playhead"], state(page)["selectedCut"]) == (20, 20)
        press(page, "[")
        assert state(page)["selectedCut"] == 10
        press(page, "Escape")
        press(page, "ArrowRight", 3)
        press(page, "x")
        assert state(page)["selectedCut"] == 10
        press(page, "Delete")
        assert state(page)["cuts"] == [20]
        press(page, "Control+z")
        assert state(page)["cuts"] == [10, 20]

        # S selects the scene under the playhead, Shift+S extends; Delete joins them to the one before
        press(page, "Escape")
        press(page, "ArrowRight", 2)                     # frame 15
        press(page, "s")
        assert state(page)["selection"] == [10]
        press(page, "ArrowRight", 10)                    # frame 25
        press(page, "Shift+S")
        assert state(page)["selection"] == [10, 20]
        press(page, "Delete")
        assert state(page)["cuts"] == []
        press(page, "Control+z")
        assert state(page)["cuts"] == [10, 20]

        # I and O: the scene under the playhead starts / ends here
        press(page, "Escape")
        press(page, "Home")
        press(page, "ArrowRight", 14)                    # frame 14, in the scene 10-19
        press(page, "i")
        assert state(page)["cuts"] == [14, 20]
        press(page, "ArrowRight", 3)                     # frame 17
        press(page, "o")
        assert state(page)["cuts"] == [14, 18]

        # T: go to a scene, a timecode, a frame; a wrong place is explained
        press(page, "t")
        assert focused(page) == "goto"
        page.keyboard.type("#2")
        page.keyboard.press("Enter")
        assert state(page)["playhead"] == 14
        press(page, "t")
        page.keyboard.type("00:00:02:05")
        page.keyboard.press("Enter")
        assert state(page)["playhead"] == 25
        press(page, "t")
        page.keyboard.type("27")
        page.keyboard.press("Enter")
        assert state(page)["playhead"] == 27
        press(page, "t")
        page.keyboard.type("later")
        page.keyboard.press("Enter")
        assert "timecode (00:01:02:03)" in page.text_content("#banner-text")
        page.keyboard.press("Escape")
        press(page, "t")  # past the end: said, and the playhead stays
        page.keyboard.type("123")
        page.keyboard.press("Enter")
        page.wait_for_function("() => /outside the film/.test(document.querySelector('#banner-text').textContent)")
        assert state(page)["playhead"] == 27
        page.keyboard.press("Escape")

        # the grid: it opens on the playhead's scene; arrows move, Enter goes there
        press(page, "g")
        page.wait_for_selector("#grid:not([hidden]) .cell")
        assert page.evaluate("() => document.activeElement.dataset.start") == "18"
        page.keyboard.press("ArrowLeft")
        assert page.evaluate("() => document.activeElement.dataset.start") == "14"
        page.keyboard.press("Space")
        assert state(page)["selection"] == [14]
        page.keyboard.press("Enter")
        assert page.locator("#grid").is_hidden()
        assert state(page)["playhead"] == 14

        # Space on a focused button presses it (here: Undo), it does not start playback
        page.focus("#undo")
        page.keyboard.press("Space")
        assert state(page)["cuts"] == [14, 20]
        assert page.evaluate("() => document.querySelector('#badge').hidden")

        # the context menu, opened from the keyboard on the selected cut, lists the keys; Enter runs one
        press(page, "x")
        assert state(page)["selectedCut"] == 14
        press(page, "Shift+F10")
        page.wait_for_selector("[role=menu]")
        save_screenshot(page, SHOTS, "context-menu")
        items = page.locator("[role=menu] [role=menuitem]").all_text_contents()
        assert any("Delete / Backspace" in i for i in items), items
        assert focused(page) == "menuitem"
        delete_at = next(k for k, i in enumerate(items) if "Delete / Backspace" in i)
        for _ in range(delete_at):
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        assert page.locator("[role=menu]").count() == 0
        assert state(page)["cuts"] == [20]
        assert focused(page) == "timeline"
        # and from the mouse, on a scene: Esc closes it, the focus goes back
        box = page.locator("canvas#timeline").bounding_box()
        lanes = page.evaluate("() => window.videoArchive.editor.timeline.lanes.scenes")
        page.mouse.click(box["x"] + 20, box["y"] + (lanes[0] + lanes[1]) / 2, button="right")
        page.wait_for_selector("[role=menu]")
        assert any("Shift + S" in i for i in page.locator("[role=menu] [role=menuitem]").all_text_contents())
        page.keyboard.press("Escape")
        assert page.locator("[role=menu]").count() == 0

        # one drag of a cut across many mouse moves is one undo step
        drag(page, cut_point(page, 20), cut_point(page, 26), steps=10, modifiers=("Alt",))
        assert state(page)["cuts"] == [26]
        press(page, "Control+z")
        assert state(page)["cuts"] == [20]

        # a group's name is written on its scenes in the lane
        press(page, "Control+a")
        press(page, "1")
        drawn = page.evaluate("""() => new Promise((resolve) => {
            const seen = [], draw = CanvasRenderingContext2D.prototype.fillText;
            CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) { seen.push(String(text)); return draw.call(this, text, ...rest); };
            window.videoArchive.editor.timeline.invalidate();
            requestAnimationFrame(() => requestAnimationFrame(() => { CanvasRenderingContext2D.prototype.fillText = draw; resolve(seen); })); })""")
        assert "1 · Group 1" in drawn and "2 · Group 1" in drawn, drawn
        press(page, "Control+z")

        # the keys box is the keymap: every row, Ctrl+Y too; a dialog that takes and gives back the focus
        press(page, "?")
        assert page.locator("#keys-table tr").count() == keymap_rows(page)
        assert "Ctrl + Y" in page.text_content("#keys-table")
        assert page.evaluate("() => document.activeElement.getAttribute('role')") == "dialog"
        page.keyboard.press("Escape")
        assert page.locator("#help").is_hidden() and focused(page) == "timeline"

        # an emptied threshold field is refused as the core refuses it: nothing changes, nothing fails
        before = state(page)
        page.fill("#threshold", "")
        page.dispatch_event("#threshold", "change")
        assert "threshold must be a number above 0" in page.text_content("#banner-text")
        after = state(page)
        assert (after["threshold"], after["cuts"]) == (before["threshold"], before["cuts"])
        assert page.input_value("#threshold") == str(before["threshold"]).removesuffix(".0")
        wait_saved(page)

        # every keyboard edit reached state.db
        import apsw

        db = apsw.Connection(str(db_path), flags=apsw.SQLITE_OPEN_READONLY)
        scenes = json.loads(db.execute("SELECT scenes_data FROM processing_state").fetchone()[0])
        db.close()
        assert [s["start_frame"] for s in scenes] == [0, 20]
        assert not page.errors, page.errors


def saved_cuts(db_path, session_id: str) -> list[int]:
    import apsw

    db = apsw.Connection(str(db_path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        scenes = json.loads(db.execute("SELECT scenes_data FROM processing_state WHERE session_id = ?",
                                       (session_id,)).fetchone()[0])
    finally:
        db.close()
    return [s["start_frame"] for s in scenes][1:]


def test_all_changes_saved_is_never_said_while_an_edit_waits(editor_server, media_dir, tmp_path):
    """An edit made while the one before it is still on its way to the bridge: the page says
    "All changes saved" only once that second edit is in state.db too (CI once read state.db
    on that word and found an older edit); an edit not sent yet when another project is opened
    is saved to its own project, and one not sent yet when the tab goes is sent as it goes."""
    url, db_path = editor_server
    with chromium() as page:
        other = create_project(page, url, media_dir / "counter.mp4", "Other", tmp_path / "out")
        page.goto(url)
        sid = create_project(page, url, media_dir / "counter.mp4", "Waiting", tmp_path / "out")
        # the first save is held at the bridge until the test lets it go
        page.evaluate("""() => { const b = window.videoArchive.editor.bridge, call = b.call.bind(b);
            let release; window.heldSave = new Promise((r) => { release = r; }); window.releaseSave = release;
            b.call = async (method, params) => { if (method === 'edit.apply' && window.heldSave) { const h = window.heldSave;
              window.heldSave = null; await h; } return call(method, params); }; }""")
        press(page, "Home")
        press(page, "ArrowRight", 10)
        press(page, "c")
        page.wait_for_function("() => window.videoArchive.editor.saving && !window.heldSave")
        press(page, "ArrowRight", 10)
        press(page, "c")                                  # waits its 150 ms before it is sent
        page.evaluate("() => window.releaseSave()")
        wait_saved(page)
        assert state(page)["cuts"] == [10, 20]
        assert saved_cuts(db_path, sid) == [10, 20]

        # a cut and, before its save is sent, the other project opened
        page.evaluate("""(other) => import('/js/state.js').then((S) => { const e = window.videoArchive.editor;
            e.commit(S.addCut(e.state, 5)); location.hash = `#/session/${other}`; })""", other)
        page.wait_for_function("(other) => window.videoArchive.editor.sessionId === other && window.videoArchive.editor.scores", arg=other)
        wait_until(lambda: saved_cuts(db_path, sid) == [5, 10, 20], 10, "the first project's last cut in state.db")
        assert saved_cuts(db_path, other) == []

        # a cut and, before its save is sent, the tab reloaded (as closed): sent as the page goes
        page.evaluate("""() => import('/js/state.js').then((S) => { const e = window.videoArchive.editor;
            e.commit(S.addCut(e.state, 7)); location.reload(); })""")
        wait_until(lambda: saved_cuts(db_path, other) == [7], 10, "the cut made as the tab went")
        assert not page.errors, page.errors


def test_a_label_being_typed_survives_the_playhead_moving_on(editor_server, media_dir, tmp_path):
    """Typing a scene's label while the playhead crosses into the next scene (playing): the words
    stay in the field, and Enter saves them on the scene they were typed for (the panel was
    redrawn for the new scene under the cursor, and the typing lost)."""
    url, db_path = editor_server
    with chromium() as page:
        sid = create_project(page, url, media_dir / "counter.mp4", "Typing", tmp_path / "out")
        press(page, "Home")
        press(page, "ArrowRight", 10)
        press(page, "c")
        press(page, "Home")
        page.wait_for_function("() => document.querySelector('#scene-panel h3').textContent === 'Scene 1'")
        page.click("#scene-label")
        page.keyboard.type("Open")
        # the frames the video shows move the playhead, as playing does: into scene 2 at frame 12
        page.evaluate("""() => import('/js/state.js').then((S) => { const e = window.videoArchive.editor;
            e.commit(S.setPlayhead(e.state, 12), { follow: true, fromVideo: true }); })""")
        page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
        page.keyboard.type("ing")
        assert page.input_value("#scene-label") == "Opening"
        page.keyboard.press("Enter")
        wait_saved(page)
        notes = page.evaluate("(sid) => window.videoArchive.bridge.call('timeline.get', {session_id: sid})"
                              ".then((t) => t.scene_notes)", sid)
        assert [(n["start_frame"], n["label"]) for n in notes] == [(0, "Opening")]
        # and the panel then follows the playhead again
        page.wait_for_function("() => document.querySelector('#scene-panel h3').textContent === 'Scene 2'")
        assert not page.errors, page.errors
