"""The fast replay of FlashFilter (backend.media.scene_cuts.replay_cuts) gives exactly the cuts
that feeding every frame through scenedetect's FlashFilter gives: on real ingests at many
thresholds and lengths, and on generated scores and timestamps (constant and variable rate,
frames without a timestamp, timestamps out of order)."""

from fractions import Fraction

import numpy as np
import pytest
from scenedetect.detector import FlashFilter

from backend.media.ingest import ingest
from backend.media.scene_cuts import positions, replay_cuts, unique_cuts


def reference(scores, microseconds, rate, threshold, min_scene_len):
    """Every frame through scenedetect's own filter, as ContentDetector feeds it."""
    flash = FlashFilter(mode=FlashFilter.Mode.MERGE, length=min_scene_len)
    cuts = []
    for pos, score in zip(positions(microseconds, rate), scores.tolist()):
        cuts += flash.filter(timecode=pos, above_threshold=score >= threshold)
    return unique_cuts(cuts)


def same(a, b) -> bool:
    return [(c.index, c.frame_num) for c in a] == [(c.index, c.frame_num) for c in b]


@pytest.fixture(scope="module")
def ingests(media_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("cache")
    return [ingest(media_dir / name, cache_root=root, want_proxy=False)
            for name in ("testvideo.mp4", "goldeneye-vfr-drop3.mp4", "fades.mp4",
                         "issue-195-aspect-ratio.mp4")]


def test_real_ingests(ingests):
    for result in ingests:
        scores = np.load(result.scores)
        us = np.load(result.scores.parent / "frame_us.npy")
        rate = Fraction(result.fps_rational)
        for threshold in (0.0, 3.0, 8.5, 15.0, 22.0, 27.0, 30.0, 41.0, 80.0):
            for length in (0, 1, 2, 5, 15, 40):
                fast = replay_cuts(scores, us, rate, threshold, length)
                assert same(fast, reference(scores, us, rate, threshold, length)), (
                    result.master.path, threshold, length)


def generated(rng: np.random.Generator):
    """Scores and timestamps of a made-up stream: constant or variable rate (repeated, dropped
    frames), sometimes frames without a timestamp or out of order."""
    n = int(rng.integers(1, 300))
    rate = [Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(60)][rng.integers(4)]
    steps = rng.choice([0, 1, 1, 1, 2, 3], size=n)
    us = np.round(np.cumsum(steps) * (1_000_000 / float(rate))
                  + rng.integers(-50_000, 50_000)).astype(np.int64)
    if rng.random() < 0.3:
        for i in rng.integers(0, n, size=rng.integers(1, 5)):
            us[i] = [0, -1, int(us[i]) - 200_000][rng.integers(3)]
    scores = rng.choice([0.0, 5.0, 29.9, 30.0, 30.1, 55.0, 90.0], size=n)
    return scores, us, rate


def test_generated_streams():
    rng = np.random.default_rng(20261201)
    for case in range(600):
        scores, us, rate = generated(rng)
        threshold = [0.0, 30.0, 30.1, 50.0][rng.integers(4)]
        length = [0, 1, 2, 3, 7, 15][rng.integers(6)]
        assert same(replay_cuts(scores, us, rate, threshold, length),
                    reference(scores, us, rate, threshold, length)), (case, threshold, length)
