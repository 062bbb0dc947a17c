"""On every file of ../shared/media and a make-master master, `process --layout bagit` writes a
bag the Library of Congress validator accepts and `verify` passes, and the archive's own .otio
and EDL, read back with OpenTimelineIO's readers, hold its scenes to the frame."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import bagit
import opentimelineio as otio
import pytest

from archive_checks import DATE, FAST, State
from backend.archive.interchange import timecode as tc
from backend.archive.interchange import edl
from backend.archive.interchange.cuts import cuts_from_file, master_start_timecode, numbering_rate
from backend.archive.verify import verify
from backend.media import probe as media_probe
from test_process_archive import MASTERS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def state(tmp_path_factory, shared_cache) -> State:
    return State(tmp_path_factory.mktemp("state"), shared_cache)


@pytest.fixture(scope="module", params=MASTERS)
def bag(request, state, media_dir, tmp_path_factory) -> tuple[Path, Path, list[dict]]:
    name = request.param
    master = request.getfixturevalue("made_master") if name == "make-master" else media_dir / name
    out = tmp_path_factory.mktemp("bag")
    result = state.json("process", str(master), "--artwork", "Bagged", "--date", DATE, "--out", str(out),
                        "--layout", "bagit", "--groups", str(groups_file(out)), *FAST)
    assert result.rc == 0 and result.outcome["status"] == "completed", (result.stderr, result.outcome)
    scenes = json.loads(state.session(result.outcome["session_id"])["scenes_data"])
    return Path(result.outcome["archive_path"]), master, scenes


def groups_file(folder: Path) -> Path:
    path = folder.parent / f"{folder.name}-groups.json"
    path.write_text('{"opening": [1]}')
    return path


def smpte_rate(rate: Fraction) -> bool:
    try:
        otio.opentime.from_timecode("00:00:01:00", float(rate))
    except ValueError:
        return False
    return True


def test_the_bag_validates_and_verifies(bag):
    archive, _master, _scenes = bag
    bagit.Bag(str(archive)).validate()
    report = verify(archive)
    assert report.status == "intact", report.problems
    assert report.layout == "bagit" and report.videos_decoded >= 3


def test_the_archives_interchange_files_hold_its_scenes(bag):
    archive, master, scenes = bag
    rate = numbering_rate(media_probe.probe(master))
    start_tc = master_start_timecode(master)
    start = tc.from_timecode(start_tc, rate) if start_tc else 0
    [otio_file] = (archive / "data" / "edit").glob("*.otio")
    [edl_file] = (archive / "data" / "edit").glob("*.edl")
    from_otio = list(otio.adapters.read_from_file(str(otio_file)).video_tracks()[0].find_clips())
    assert len(from_otio) == len(scenes)
    for scene, clip in zip(scenes, from_otio):
        assert clip.source_range.start_time.value - clip.media_reference.available_range.start_time.value \
            == scene["start_frame"]
        assert clip.source_range.duration.value == scene["end_frame"] - scene["start_frame"] + 1
    if smpte_rate(rate):
        from_edl = list(otio.adapters.read_from_file(str(edl_file), rate=float(rate)).video_tracks()[0].find_clips())
        edl_segments = [(round(c.source_range.start_time.value) - start,
                         round(c.source_range.end_time_exclusive().value) - start) for c in from_edl]
    else:  # 10 fps, a VFR average: OpenTimelineIO's timecode knows SMPTE rates only
        edl_segments = edl.read_segments(edl_file, rate, start)
    assert edl_segments == [(s["start_frame"], s["end_frame"] + 1) for s in scenes]
    # the master the .otio refers to is the archived original, by a relative URL
    target = (otio_file.parent / from_otio[0].media_reference.target_url).resolve()
    assert target.is_file() and target.parent.name == "masters"
    assert [m.name for m in from_otio[0].markers] == ["opening"]


def test_cuts_read_back_from_each_file_are_the_archives_cuts(bag):
    """What `process --cuts FILE` would take from this archive's files: its own cuts, VFR too."""
    archive, master, scenes = bag
    edit = archive / "data" / "edit"
    files = [next(edit.glob("*.edl")), next(edit.glob("*.otio")), next(edit.glob("*_losslesscut.csv"))]
    for path in files:
        assert cuts_from_file(path, master) == [s["start_frame"] for s in scenes[1:]], path.name


def test_verify_names_each_damage_in_this_bag(bag):
    """On this master's bag, four kinds of damage at once (a clip cut short, a still with a
    changed byte, a thumbnail gone, a file added): `verify` says damaged and names every one.
    The bag is put back afterwards, as it was."""
    archive, _master, _scenes = bag
    data = archive / "data"
    clip = sorted((data / "clips").rglob("*.mp4"))[-1]
    still = sorted((data / "stills").rglob("*.jpg"))[0]
    thumb = sorted(p for p in (data / "thumbnails").rglob("*") if p.is_file())[-1]
    kept = {p: p.read_bytes() for p in (clip, still, thumb)}
    extra = data / "clips" / "stray.mp4"
    try:
        clip.write_bytes(kept[clip][: len(kept[clip]) * 2 // 3])
        changed = bytearray(kept[still])
        changed[len(changed) // 2] ^= 0xFF
        still.write_bytes(bytes(changed))
        thumb.unlink()
        extra.write_bytes(b"not part of the archive")
        report = verify(archive)
        assert report.status == "damaged"
        named = {(p.kind, Path(p.path).name) for p in report.problems}
        for name in (clip.name, still.name, thumb.name, extra.name):
            assert any(n == name for _, n in named), (name, sorted(named))
        assert ("missing", thumb.name) in named and ("extra", extra.name) in named
    finally:
        extra.unlink(missing_ok=True)
        for path, data_ in kept.items():
            path.write_bytes(data_)
    assert verify(archive, fast=True).status == "intact"
