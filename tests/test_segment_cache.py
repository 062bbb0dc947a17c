"""The segment cache's cleanup (backend/media/segment_cache.py): after an export its store keeps
the exported segments, the whole cache stays within its bound by least recent use, cleanup at
start removes leftovers, and no cleanup ever removes a segment an export in progress uses,
checked over generated sequences of edits, exports and cleanups."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from backend.media import segment_cache, segments
from archive_checks import FAST_OVERRIDES

# about the caches and the work done ahead of them: each test starts from empty ones (conftest)
pytestmark = pytest.mark.cold_cache

SIZE = 1000  # bytes of each fake segment


def store_folder(root: Path, master: str = "m", settings: str = "s") -> Path:
    return root / segment_cache.FOLDER / master / settings


def encode(folder: Path, plan: list[segments.Segment]) -> None:
    """What encode_missing leaves in a store: a file per missing segment."""
    folder.mkdir(parents=True, exist_ok=True)
    for seg in plan:
        path = folder / seg.name
        if not path.exists():
            path.write_bytes(b"x" * SIZE)


def names(plan) -> set[str]:
    return {s.name for s in plan}


def on_disk(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("*.mp4") if not p.name.startswith(".")}


cut_lists = st.lists(st.integers(1, 199), max_size=6)
steps = st.lists(st.one_of(
    st.tuples(st.just("edit"), st.integers(0, 2), cut_lists),
    st.tuples(st.just("export"), st.integers(0, 2), cut_lists),
    st.tuples(st.just("bound"), st.integers(0, 40)),
    st.tuples(st.just("clean"), st.integers(0, 40)),
), min_size=1, max_size=25)


@hsettings(max_examples=60, deadline=None)
@given(steps, cut_lists)
def test_no_cleanup_removes_what_an_export_in_progress_uses(tmp_path_factory, sequence, running):
    root = tmp_path_factory.mktemp("cache")
    folder = store_folder(root)
    other = store_folder(root, "m2")   # another master's store, under the same bound
    in_progress = segments.plan(running, 200, 24)
    encode(folder, in_progress)
    with segment_cache.in_use(folder, names(in_progress)):
        for step in sequence:
            kind = step[0]
            if kind in ("edit", "export"):
                plan = segments.plan(step[2], 200, 24)
                target = other if step[1] == 2 else folder
                encode(target, plan)
                if kind == "export":
                    with segment_cache.in_use(target, names(plan)):
                        pass
                    segment_cache.after_export(target, names(plan), root, limit=10 ** 9)
                    # the finished export's own segments stay; nothing else but pinned ones
                    assert names(plan) <= on_disk(target)
                    assert on_disk(target) <= names(plan) | (names(in_progress) if target == folder else set())
            else:
                limit = step[1] * SIZE
                (segment_cache.bound if kind == "bound" else segment_cache.clean)(root, limit)
                sizes = sum(p.stat().st_size for p in root.rglob("*.mp4"))
                assert sizes <= max(limit, len(names(in_progress)) * SIZE)
            assert names(in_progress) <= on_disk(folder), "a pinned segment was removed"
    segment_cache.bound(root, 0)  # the export ended: its pin went with it
    assert not list(root.rglob("*.mp4"))


def test_least_recently_used_go_first(tmp_path):
    folder = store_folder(tmp_path)
    plan = segments.plan([24, 48, 72], 96, 24)
    encode(folder, plan)
    now = time.time()
    for age, seg in enumerate(plan):  # the first segment the most recently used
        path = folder / seg.name
        os.utime(path, (now - 100 * age, path.stat().st_mtime))
    segment_cache.touch([folder / plan[-1].name])  # used again just now
    removed = segment_cache.bound(tmp_path, 2 * SIZE)
    assert {p.name for p in removed} == {plan[1].name, plan[2].name}
    assert on_disk(folder) == {plan[0].name, plan[3].name}


def test_a_dead_exports_pin_does_not_count(tmp_path):
    folder = store_folder(tmp_path)
    plan = segments.plan([], 10, 24)
    encode(folder, plan)
    (folder / f"{segment_cache.PIN}999999999-dead").write_text(plan[0].name)  # no such process
    assert segment_cache.pinned(folder) == set()
    assert not list(folder.glob(f"{segment_cache.PIN}*"))
    assert [p.name for p in segment_cache.bound(tmp_path, 0)] == [plan[0].name]


def test_clean_at_start_removes_leftovers_and_empty_stores(tmp_path):
    folder = store_folder(tmp_path)
    encode(folder, segments.plan([], 10, 24))
    stale = folder / ".0000000-0000009.partial-dead.mp4"
    fresh = folder / ".0000000-0000009.partial-live.mp4"
    for path in (stale, fresh):
        path.write_bytes(b"x")
    old = time.time() - 2 * segment_cache.STALE_PARTIAL_S
    os.utime(stale, (old, old))
    empty = store_folder(tmp_path, "gone", "settings")
    empty.mkdir(parents=True)
    segment_cache.clean(tmp_path)
    assert not stale.exists() and fresh.exists()  # a live run's temporary file stays
    assert on_disk(folder) == {"0000000-0000009.mp4"}
    assert not empty.exists() and not empty.parent.exists()


@pytest.mark.slow
def test_cleanup_during_a_real_export_is_safe_and_the_export_keeps_its_own(
        db, db_path, media_dir, tmp_path, monkeypatch):
    """An editor export whose join runs a cleanup down to an empty cache first (as another
    export finishing, or a start, would): the export still completes, every segment it joins
    there; afterwards its store holds exactly its own segments."""
    from backend.jobs import project
    from backend.jobs.request import ProcessRequest

    created = project.create(db, ProcessRequest(
        master=str(media_dir / "counter.mp4"), artwork="Gc", date="26-11-30",
        out=str(tmp_path / "out"), overrides=FAST_OVERRIDES))
    sid = created.session_id
    assert project.analyse(db, sid).status == "analysed"
    cache = db_path.parent / "cache"
    project.set_cuts(db, sid, [7, 13, 21])
    assert project.prepare_segments(db, sid)
    from test_web_segments import _wait_idle
    _wait_idle()
    project.set_cuts(db, sid, [7, 15, 21])   # two segments of the first cut list now unused
    _wait_idle()
    assemble = segments.assemble
    swept = []

    def cleaning_assemble(*args, **kwargs):
        swept.extend(segment_cache.clean(cache, limit=0))
        swept.extend(segment_cache.bound(cache, limit=0))
        return assemble(*args, **kwargs)

    monkeypatch.setattr(segments, "assemble", cleaning_assemble)
    outcome = project.export(db, sid)
    assert outcome.status == "completed", outcome.error
    left = {p.name for p in (cache / segment_cache.FOLDER).rglob("*.mp4")}
    assert left == {"0000000-0000006.mp4", "0000007-0000014.mp4", "0000015-0000020.mp4",
                    "0000021-0000029.mp4"}
    # the cleanups during the export removed only the segments no cut list of the export used
    assert {p.name for p in swept} <= {"0000007-0000012.mp4", "0000013-0000020.mp4"}
