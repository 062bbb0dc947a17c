"""A headless run makes each scene's stills as soon as detection has settled the scene, while the
analysis runs (backend/ops/still_extraction.py `ahead`, backend/media/scene_feed.py): the units
take them, the archive is the one a run without work ahead writes, byte for byte, and a wrong
forecast, a pause or a failure leaves nothing behind that no unit took."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given, settings, strategies as st

from backend.jobs import project
from backend.jobs.request import ProcessRequest
from backend.media.scene_feed import SceneFeed, SettledScene
from backend.ops import still_extraction
from archive_checks import FAST_OVERRIDES

# about the caches and the work done ahead of them: each test starts from empty ones (conftest)
pytestmark = pytest.mark.cold_cache

# three scenes (cuts at 60 and 140 of 160 frames, variable frame rate); the last is settled only
# when the decode ends. Small on purpose: every test here decodes and encodes it from cold caches.
MASTER = "goldeneye-vfr-drop3.mp4"
SCENES = [1, 2, 3]


def request(media_dir, tmp_path, out: str = "out") -> ProcessRequest:
    return ProcessRequest(master=str(media_dir / MASTER), artwork="Ahead", date="26-12-06",
                          out=str(tmp_path / out), overrides=FAST_OVERRIDES)


@pytest.fixture
def made_by(monkeypatch):
    """Scene numbers whose stills were made, by the thread that made them; the feed's close
    (the end of the decode) waits until the stills ahead have caught up with the settled
    scenes, so that what is made ahead does not depend on the machine's speed."""
    made: dict[str, list[int]] = {"ahead": [], "unit": [], "stopped": []}  # stopped: no more ahead
    real_extract = still_extraction._extract

    def extract(job, params, hq, web, cancel):
        written = real_extract(job, params, hq, web, cancel)
        ahead = threading.current_thread().name.startswith("ahead-")
        made["ahead" if ahead else "unit"].append(params.scene)
        return written

    real_close = SceneFeed.close

    def close(self):
        deadline = time.monotonic() + 60
        while (len(made["ahead"]) < self._ready() and not made["stopped"]
               and time.monotonic() < deadline):
            time.sleep(0.05)
        real_close(self)

    monkeypatch.setattr(still_extraction, "_extract", extract)
    monkeypatch.setattr(SceneFeed, "close", close)
    return made


@pytest.fixture(scope="module")
def plain(media_dir, tmp_path_factory) -> dict[str, bytes]:
    """The stills of the same request analysed first, then exported, in a database of its own:
    nothing runs ahead of an analysed session, every still is its unit's."""
    from backend.db import open_db

    root = tmp_path_factory.mktemp("plain")
    db = open_db(root / "state.db")
    units: list[int] = []
    real_extract = still_extraction._extract

    def extract(job, params, hq, web, cancel):
        assert not threading.current_thread().name.startswith("ahead-"), "a still made ahead"
        units.append(params.scene)
        return real_extract(job, params, hq, web, cancel)

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(still_extraction, "_extract", extract)
            created = project.create(db, request(media_dir, root, out="plain"))
            assert project.analyse(db, created.session_id).status == "analysed"
            assert project.export(db, created.session_id).status == "completed"
    finally:
        db.close()
    assert sorted(units) == SCENES
    return stills_of(root, "plain")


def stills_of(tmp_path, out: str = "out") -> dict[str, bytes]:
    return {p.relative_to(p.parents[2]).as_posix(): p.read_bytes()
            for p in sorted((tmp_path / out).glob("*/stills/*/*"))}


def partials(tmp_path) -> list:
    return sorted(tmp_path.glob("**/.*partial*"))


def test_settled_scenes_stills_are_made_ahead_taken_and_the_same(db, media_dir, tmp_path, made_by, plain):
    outcome = project.process(db, request(media_dir, tmp_path))
    assert outcome.status == "completed", outcome
    assert made_by["ahead"] == SCENES[:-1] and made_by["unit"] == SCENES[-1:], made_by  # none twice
    assert partials(tmp_path) == []
    ahead = stills_of(tmp_path)
    assert len(ahead) == 2 * len(SCENES)
    assert ahead == plain   # byte for byte the stills of the session analysed, then exported


def test_a_wrong_forecast_is_not_taken(db, media_dir, tmp_path, made_by, monkeypatch, plain):
    """A feed that names another frame than the analysis then plans (here: one frame later for
    scene 2's midpoint): that still is thrown away and its unit makes the right one."""
    real_next = SceneFeed.next_settled

    def next_settled(self, stop):
        scene = real_next(self, stop)
        if scene is not None and scene.number == 2:
            return SettledScene(2, scene.first + 2, scene.last)
        return scene

    monkeypatch.setattr(SceneFeed, "next_settled", next_settled)
    outcome = project.process(db, request(media_dir, tmp_path))
    assert outcome.status == "completed", outcome
    assert made_by["ahead"] == SCENES[:-1] and sorted(made_by["unit"]) == [2, SCENES[-1]], made_by
    assert partials(tmp_path) == []
    assert stills_of(tmp_path) == plain   # the names and the bytes: scene 2's right frame


def test_a_pause_while_stills_are_made_ahead_leaves_none_and_resume_makes_them(
        db, media_dir, tmp_path, made_by, monkeypatch):
    real = still_extraction._extract  # made_by's recorder

    def pausing(job, params, hq, web, cancel):
        written = real(job, params, hq, web, cancel)
        if threading.current_thread().name.startswith("ahead-"):
            job.cancel.set()  # the user pauses right after the first still made ahead
            made_by["stopped"].append(params.scene)
        return written

    monkeypatch.setattr(still_extraction, "_extract", pausing)
    outcome = project.process(db, request(media_dir, tmp_path))
    assert outcome.status == "paused"
    assert made_by["ahead"] == [1]
    assert list((tmp_path / "out").glob("*/stills/**/*.*")) == [] and partials(tmp_path) == []
    monkeypatch.setattr(still_extraction, "_extract", real)
    assert project.export(db, outcome.session_id).status == "completed"
    assert len(stills_of(tmp_path)) == 2 * len(SCENES) and partials(tmp_path) == []


def test_a_failing_still_ahead_is_made_by_its_unit(db, media_dir, tmp_path, made_by, monkeypatch):
    real = still_extraction._extract

    def failing(job, params, hq, web, cancel):
        if threading.current_thread().name.startswith("ahead-") and params.scene == 2:
            hq.write_bytes(b"half")  # as a full disk would leave it
            made_by["stopped"].append(params.scene)
            raise OSError(28, "No space left on device")
        return real(job, params, hq, web, cancel)

    monkeypatch.setattr(still_extraction, "_extract", failing)
    outcome = project.process(db, request(media_dir, tmp_path))
    assert outcome.status == "completed", outcome
    # the first still made ahead is thrown away with the failed one: the units make them all
    assert made_by["ahead"] == [1] and sorted(made_by["unit"]) == SCENES, made_by
    assert len(stills_of(tmp_path)) == 2 * len(SCENES) and partials(tmp_path) == []


def test_the_feed_hands_out_a_scene_once_its_ending_cut_is_out():
    class Position:
        def __init__(self, index):
            self.frame_num, self.seconds = index, index / 25

    feed, stop = SceneFeed(), threading.Event()
    feed.start(10.0)
    got: list = []
    reader = threading.Thread(target=lambda: got.extend(iter(lambda: feed.next_settled(stop), None)))
    reader.start()
    for i in range(40):
        # the cut at 10 comes out at frame 10, the one at 30 (held back by a flash) at frame 38
        feed.frame(Position(i), [10] if i == 10 else [30] if i == 38 else [])
        if i == 20:
            time.sleep(0.3)
            assert got == [SettledScene(1, 0, 9)]
    time.sleep(0.3)
    feed.close()
    reader.join(5)
    assert got == [SettledScene(1, 0, 9), SettledScene(2, 10, 29)]  # the last scene: its unit's
    assert feed.position(30) == (30, 10.0 + 30 / 25)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_every_scene_the_feed_hands_out_is_one_of_the_final_scenes(data):
    """Over generated detections: each cut comes out up to `hold` frames after its frame (the
    flash filter's merge), in order; the consumer takes what is ready at some frames and falls
    behind at others. Each scene handed
    out is the final scene of that number, in order, and every scene but the last is handed out
    once the decode has ended."""
    frames = data.draw(st.integers(1, 120))
    cuts = sorted(c for c in data.draw(st.sets(st.integers(1, 119), max_size=12)) if c < frames)
    hold = data.draw(st.integers(0, 16))
    out_at, last = {}, 0
    for c in cuts:  # ContentDetector lets its cuts out in order
        out_at[c] = last = max(last, min(frames - 1, c + data.draw(st.integers(0, hold))))

    class Position:
        def __init__(self, index):
            self.frame_num, self.seconds = index, index / 24

    feed, stop, got = SceneFeed(), threading.Event(), []
    feed.start(0.0)
    for i in range(frames):
        feed.frame(Position(i), [c for c in cuts if out_at[c] == i])
        if data.draw(st.booleans()):
            got += _take_ready(feed, stop)
    got += _take_ready(feed, stop)
    starts = [0, *cuts]
    assert got == [SettledScene(n, starts[n - 1], starts[n] - 1) for n in range(1, len(starts))]
    feed.close()
    assert feed.next_settled(stop) is None


def _take_ready(feed: SceneFeed, stop) -> list:
    """What the feed hands out now, without waiting for more."""
    taken = []
    while feed._ready() > feed._handed:
        taken.append(feed.next_settled(stop))
    return taken
