"""A variable-frame-rate master in the editor page (headless Chromium): goldeneye-vfr-drop3.mp4,
whose frame numbers repeat and skip from decoded index 120, with a cut at frame 141 (decoded
index 140). The score graph, snapping, prune, the cut review's scores and the viewer must all
reach the decoded frame a frame number stands for (frontend/js/frames.js), as the core does."""

from __future__ import annotations

import numpy as np

from backend.media.ingest import ingest, load_frame_table, load_scores
from backend.media.timeline import load_timeline
from editor_page import Reference, chromium, create_project, cut_point, press, state, wait_frame_shown
from test_editor_browser import fetch


def test_vfr_master_indexes_scores_and_frames_by_number(editor_server, media_dir, tmp_path):
    url, _ = editor_server
    master = media_dir / "goldeneye-vfr-drop3.mp4"
    core = ingest(master, cache_root=tmp_path / "cache", want_proxy=False)
    numbers, _ = load_frame_table(core)
    scores = load_scores(core)
    line = load_timeline(core)
    assert (numbers != np.arange(len(numbers))).any()
    with chromium() as page:
        create_project(page, url, master, "VFR", tmp_path / "out")
        page.wait_for_function("() => window.videoArchive.editor.readyMs != null")
        assert not page.errors, page.errors
        cuts = state(page)["cuts"]
        assert cuts == core.cuts and cuts[-1] > 120, cuts
        late = cuts[-1]
        index = line.index(late)
        assert index != late   # past the first dropped frame: number and index differ
        # the graph and the review read the cut's own score, by number
        graph, review = page.evaluate(f"""() => {{ const e = window.videoArchive.editor;
            return [e.timeline.scores[{late}], e.frameScores[{late}]]; }}""")
        assert abs(graph - scores[index]) < 1e-3 and abs(review - scores[index]) < 1e-3, (graph, review, scores[index])
        page.mouse.click(*cut_point(page, late))
        page.wait_for_function(f"() => /first after · frame {late} · score {scores[index]:.1f}/.test(document.querySelector('#review').textContent)")
        # snapping from a few frames off lands on the cut's number
        for near in (late - 3, late + 2):
            assert page.evaluate(f"() => window.videoArchive.editor.snapTarget({near}, 4)") == late
        # prune keeps the stronger of the two cuts by their own scores
        strongest = max(cuts, key=lambda c: scores[line.index(c)])
        assert page.evaluate(f"() => window.videoArchive.editor.prune && (window.videoArchive.editor.el.pruneGap.value = '{late}', window.videoArchive.editor.prune(), window.videoArchive.editor.state.cuts)") == [strongest]
        press(page, "Control+z")
        # the viewer at the cut shows the proxy's frame for that decoded index
        proxy = page.evaluate("() => window.videoArchive.editor.meta.scrub_url")
        refs = Reference(fetch(page, proxy, tmp_path / "proxy.webm"))
        press(page, "Home")
        press(page, "ArrowDown", 2)
        assert state(page)["playhead"] == late
        wait_frame_shown(page)
        assert refs.frame_on_screen(page) == index
