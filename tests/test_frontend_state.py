"""The editor page's state logic (frontend/js), run by node's own test runner, and its live
threshold-to-cuts mapping checked against the Python one (backend/media/scene_cuts.replay_cuts,
PySceneDetect's FlashFilter) on scores a real ingest stored."""

from __future__ import annotations

import json
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from backend.media import scene_cuts
from backend.media.ingest import FRAME_US, ingest

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
PAIRS = [(30.0, 15), (27.0, 15), (12.0, 15), (8.0, 4), (5.0, 0), (40.0, 30), (2.5, 1), (60.0, 15)]


def node() -> str:
    found = shutil.which("node")
    if not found:
        pytest.fail("node (20 or later) is needed to test frontend/js: install Debian's nodejs")
    return found


def test_node_unit_tests_pass():
    run = subprocess.run([node(), "--test", "test/"], cwd=FRONTEND, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


@pytest.mark.parametrize("name", ["testvideo.mp4", "goldeneye-vfr-drop3.mp4", "fades.mp4"])
def test_js_recut_matches_pyscenedetect_on_stored_scores(name, media_dir, tmp_path_factory):
    result = ingest(media_dir / name, cache_root=tmp_path_factory.mktemp("cache"), want_proxy=False)
    scores = np.load(result.scores).astype("<f8")
    microseconds = np.load(result.scores.parent / FRAME_US)
    rate = Fraction(result.fps_rational)
    folder = tmp_path_factory.mktemp("raw")
    scores.tofile(folder / "scores.f64")
    microseconds.astype("<f8").tofile(folder / "us.f64")
    # thresholds exactly at the scores of detected cuts, where >= against > shows
    strongest = sorted(scores.tolist(), reverse=True)
    pairs = PAIRS + [(strongest[k], 15) for k in (0, 1, 3)] + [(strongest[2], 0)]
    run = subprocess.run([node(), str(Path(__file__).parent / "js" / "replay_cuts.mjs"), str(folder / "scores.f64"),
                          str(folder / "us.f64"), str(rate.numerator), str(rate.denominator),
                          json.dumps(pairs)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    js = json.loads(run.stdout)
    compared = 0
    for (threshold, min_len), got in zip(pairs, js, strict=True):
        want = [[c.index, c.frame_num] for c in
                scene_cuts.replay_cuts(scores, microseconds, rate, threshold, min_len)]
        assert got == want, f"{name} at threshold {threshold}, min length {min_len}"
        compared += len(want)
    assert compared > 0, "the comparison saw no cut at all"
    # the ingest's own cuts (live detection) are what the page shows at the ingest's parameters
    assert [f for _, f in js[0]] == result.cuts
