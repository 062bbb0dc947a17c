"""The export screen's Pause, Resume and Cancel, pressed by a person in headless Chromium against
`video-archive serve`: Pause stops and Resume continues the real export, Cancel ends it (the
project is back to editing and Start export works again), the database says so, the counts shown
never go backwards, and the archive that finally completes is whole (verify) with each operation
done once."""

from __future__ import annotations

import apsw
import pytest

from backend.archive.verify import verify
from backend.ops import operators
from conftest import fast_default_preset, paced_ffmpeg
from editor_page import chromium, create_project, serve, wait_until


def session_row(db_path, sid: str) -> tuple[str, int, int]:
    """(status, completed operations, all operations) as the database has them."""
    db = apsw.Connection(str(db_path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        status = db.execute("SELECT status FROM processing_state WHERE session_id = ?", (sid,)).fetchone()[0]
        done, total = db.execute(
            "SELECT sum(status IN ('completed', 'skipped')), count(*) FROM operation_log WHERE session_id = ?",
            (sid,)).fetchone()
        return status, done or 0, total
    finally:
        db.close()


def _op_types(db_path, sid: str) -> list[str]:
    db = apsw.Connection(str(db_path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        rows = db.execute("SELECT operation_type FROM operation_log WHERE session_id = ? ORDER BY sequence_number",
                          (sid,)).fetchall()
    finally:
        db.close()
    return list(dict.fromkeys(r[0] for r in rows))


def enabled(page, button: str, timeout_ms: int = 120_000) -> None:
    page.wait_for_function(f"() => {{ const b = document.querySelector('#{button}'); return b && !b.disabled; }}",
                           timeout=timeout_ms)


@pytest.fixture
def paced_server(tmp_path, ffmpeg_bin):
    """`video-archive serve` whose H.264 encodes run at 3x real time (conftest.paced_ffmpeg), so
    that the export is still running when Pause and Cancel are pressed."""
    db = tmp_path / "config" / "state.db"
    fast_default_preset(db)
    with serve(db, env={"VIDEO_ARCHIVE_FFMPEG": str(paced_ffmpeg(tmp_path, ffmpeg_bin))}) as url:
        yield url, db


@pytest.mark.cold_cache  # the export must encode (segments another test left would end it at once)
def test_pause_resume_and_cancel_from_the_export_screen(paced_server, media_dir, tmp_path):
    url, db_path = paced_server
    out = tmp_path / "out"
    with chromium() as page:
        sid = create_project(page, url, media_dir / "testvideo.mp4", "Controls", out)
        page.click("#export")
        page.wait_for_selector("#screen-export:not([hidden]) #export-start")
        asked = []
        page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))   # Cancel asks first
        # before the export starts the screen says so: no "paused", no operation counts
        page.wait_for_function("() => /Not started/.test(document.querySelector('#export-line').textContent)")
        assert "operations" not in page.text_content("#export-line")
        # every count the line shows, in order: it must never go backwards (pause, cancel, resume)
        page.evaluate("""() => { window.shownCounts = []; new MutationObserver(() => {
            const m = /(\\d+) of (\\d+) operations/.exec(document.querySelector('#export-line').textContent);
            if (m) window.shownCounts.push(Number(m[1])); }).observe(document.querySelector('#export-line'),
            {childList: true, characterData: true, subtree: true}); }""")

        page.click("#export-start")
        enabled(page, "export-pause")
        page.click("#export-pause")
        enabled(page, "export-resume")
        page.wait_for_function("() => /^paused/.test(document.querySelector('#export-line').textContent)")
        status, done, total = session_row(db_path, sid)
        assert status == "paused" and done < total, (status, done, total)
        assert page.locator("#export-pause").is_disabled()

        page.click("#export-resume")
        enabled(page, "export-cancel")
        # the steps of the whole job, in words, as the operation log has them (a resumed export too)
        labels = page.locator("#export-ops .step > span:first-child").all_text_contents()
        ops = _op_types(db_path, sid)
        assert labels == [operators.get(op).label for op in ops], (labels, ops)
        counts = page.evaluate("() => window.shownCounts")
        assert counts and counts == sorted(counts), counts   # across pause and resume

        # Cancel means cancel: the confirm says what becomes of the files written; they are
        # deleted, the export's log goes, the project is no unfinished session any more (the start
        # screen's list), and Start export works again
        # (a file, even a .partial one: right after Resume the export may not have written one yet)
        wait_until(lambda: [p for p in out.rglob("*") if p.is_file()], 60, "a file written by the export")
        page.click("#export-cancel")
        enabled(page, "export-start")
        assert "files it has written so far are deleted" in asked[-1], asked
        assert page.locator("#export-resume").is_disabled()
        page.wait_for_function("() => /Not started/.test(document.querySelector('#export-line').textContent)")
        status, done_after_cancel, total = session_row(db_path, sid)
        assert (status, total) == ("cancelled", 0), (status, total)
        assert [p for p in out.rglob("*") if p.is_file()] == []
        listed = page.evaluate("() => window.videoArchive.bridge.call('project.list')")
        assert listed == [], listed

        page.evaluate("() => { window.shownCounts = []; }")
        page.click("#export-start")
        page.wait_for_selector("#archive-path", timeout=600_000)
        counts = page.evaluate("() => window.shownCounts")
        assert counts == sorted(counts), counts
        archive = page.locator("#archive-path").text_content()
        assert not page.errors, page.errors

    status, done, total = wait_until(lambda: (row := session_row(db_path, sid))[0] == "completed" and row,
                                     30, "the session completed in the database")
    assert done == total
    db = apsw.Connection(str(db_path), flags=apsw.SQLITE_OPEN_READONLY)
    twice = db.execute("SELECT operation_name, count(*) FROM operation_log WHERE session_id = ?"
                       " GROUP BY operation_name HAVING count(*) > 1", (sid,)).fetchall()
    assert twice == []
    assert db.execute("SELECT count(*) FROM project_history WHERE session_id = ?", (sid,)).fetchone()[0] == 1
    db.close()
    report = verify(archive)
    assert report.status == "intact", report.problems
