"""Interchange files read back with OpenTimelineIO's own readers (otio_json and the CMX 3600
adapter) give every cut and duration of the archive's scenes to the frame, at NTSC rates too;
our readers turn them (and LosslessCut's CSV) back into the same cuts."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
from hypothesis import given, settings, strategies as st

from backend.archive.interchange import InterchangeScene, SceneList, chapters, edl, losslesscut
from backend.archive.interchange import otio as otio_adapter
from backend.archive.interchange import timecode as tc
from backend.archive.interchange.cuts import segments_to_cuts
from backend.errors import InputError

RATES = [Fraction(30000, 1001), Fraction(24000, 1001), Fraction(60000, 1001), Fraction(25), Fraction(24),
         Fraction(50)]


def scene_list(rate: Fraction, lengths: list[int], *, start_tc: str | None = None,
               groups: dict[int, str] | None = None, audio: bool = False) -> SceneList:
    scenes, frame = [], 0
    for number, length in enumerate(lengths, 1):
        scenes.append(InterchangeScene(
            number=number, start_frame=frame, end_frame=frame + length - 1,
            start_time=float(frame / rate), end_time=float((frame + length) / rate),
            group=(groups or {}).get(number), exported=number % 2 == 1))
        frame += length
    return SceneList(title="26-11-25_Blue-Hour", artwork="Blue Hour", rate_num=rate.numerator,
                     rate_den=rate.denominator, master_file="26-11-25_Blue-Hour_master-original.mov",
                     master_url="../masters/26-11-25_Blue-Hour_master-original.mov",
                     start_timecode=start_tc, has_audio=audio, scenes=scenes)


def cuts_of(listing: SceneList) -> list[int]:
    return [s.start_frame for s in listing.scenes[1:]]


lengths = st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=40)
start_tcs = st.sampled_from([None, "00:00:00:00", "01:00:00:00", "00:59:50:12", "10:00:00:00"])


@settings(max_examples=60, deadline=None)
@given(rate=st.sampled_from(RATES), lengths=lengths, start_tc=start_tcs)
def test_otio_round_trips_to_the_frame(rate, lengths, start_tc):
    listing = scene_list(rate, lengths, start_tc=start_tc,
                         groups={n: "intro" for n in range(1, len(lengths) // 2 + 1)})
    timeline = otio.adapters.read_from_string(otio_adapter.write(listing).decode(), "otio_json")
    [track] = timeline.video_tracks()
    clips = list(track.find_clips())
    assert len(clips) == len(listing.scenes)
    meta = timeline.metadata["video_archive"]["rate"]
    assert Fraction(meta["num"], meta["den"]) == rate
    start = tc.from_timecode(start_tc, rate) if start_tc else 0
    for clip, scene in zip(clips, listing.scenes):
        available = clip.media_reference.available_range
        assert clip.media_reference.target_url == listing.master_url
        assert available.start_time.value == start
        assert clip.source_range.start_time.value - start == scene.start_frame
        assert clip.source_range.duration.value == scene.frames
        assert clip.source_range.start_time.rate == pytest.approx(float(rate), abs=1e-12)
        # the clip's place on the track is the scene's place in the master
        assert clip.range_in_parent().start_time.value == scene.start_frame
        assert [m.name for m in clip.markers] == ([scene.group] if scene.group else [])
        assert clip.metadata["video_archive"]["scene"] == scene.number
    assert otio_adapter_cuts(listing) == cuts_of(listing)


def otio_adapter_cuts(listing: SceneList, tmp: Path | None = None) -> list[int]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cut.otio"
        path.write_bytes(otio_adapter.write(listing))
        return segments_to_cuts(otio_adapter.read_segments(path, listing.rate), listing.frame_count, "t")


@settings(max_examples=60, deadline=None)
@given(rate=st.sampled_from(RATES), lengths=lengths, start_tc=start_tcs, audio=st.booleans())
def test_edl_round_trips_through_the_cmx_3600_adapter(rate, lengths, start_tc, audio, tmp_path_factory):
    listing = scene_list(rate, lengths, start_tc=start_tc, audio=audio,
                         groups={1: "intro", len(lengths): "end"})
    text = edl.write(listing).decode("ascii")
    timeline = otio.adapters.read_from_string(text, "cmx_3600", rate=float(rate))
    clips = list(timeline.video_tracks()[0].find_clips())
    assert len(clips) == len(listing.scenes)
    start = tc.from_timecode(start_tc, rate) if start_tc else 0
    for clip, scene in zip(clips, listing.scenes):
        assert clip.name == listing.master_file  # FROM CLIP NAME: what an NLE relinks by
        assert round(clip.source_range.start_time.value) - start == scene.start_frame
        assert round(clip.source_range.duration.value) == scene.frames
        if scene.group:
            assert [m.name for m in clip.markers] == [scene.group]
    path = tmp_path_factory.mktemp("edl") / "cut.edl"
    path.write_bytes(edl.write(listing))
    segments = edl.read_segments(path, rate, start)
    assert segments_to_cuts(segments, listing.frame_count, "t") == cuts_of(listing)


@settings(max_examples=60, deadline=None)
@given(rate=st.sampled_from(RATES), lengths=lengths)
def test_losslesscut_csv_round_trips(rate, lengths, tmp_path_factory):
    listing = scene_list(rate, lengths, groups={1: "intro, part 1"})
    path = tmp_path_factory.mktemp("csv") / "cut.csv"
    path.write_bytes(losslesscut.write(listing))
    segments = losslesscut.read_segments(path, rate)
    assert segments == [(s.start_frame, s.end_frame + 1) for s in listing.scenes]
    assert segments_to_cuts(segments, listing.frame_count, "t") == cuts_of(listing)


def test_drop_frame_timecode_matches_opentimelineio():
    rate = Fraction(30000, 1001)
    for text in ("00:01:00;02", "00:10:00;00", "01:00:00;00", "00:09:59;29"):
        assert tc.from_timecode(text, rate) == otio.opentime.from_timecode(text, float(rate)).value
    for frame in (0, 1799, 1800, 107892, 3 * 3600 * 30 + 17):
        text = tc.to_timecode(frame, rate)
        assert tc.from_timecode(text, rate) == frame
        assert otio.opentime.from_timecode(text, float(rate)).value == frame


def test_segments_with_gaps_and_bad_ranges():
    # a clip removed in the edit leaves a gap: both of its edges are cuts
    assert segments_to_cuts([(0, 10), (20, 30), (30, 40)], 40, "t") == [10, 20, 30]
    with pytest.raises(InputError, match="past the master's end"):
        segments_to_cuts([(0, 10), (10, 50)], 40, "cuts file x.edl")
    with pytest.raises(InputError, match="before the master's start"):
        segments_to_cuts([(-5, 10)], 40, "cuts file x.edl")


def test_malformed_files_are_named(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("zero,1,label\n")
    with pytest.raises(ValueError, match="line 1"):
        losslesscut.read_segments(bad, Fraction(25))
    empty = tmp_path / "empty.edl"
    empty.write_text("TITLE: nothing\n")
    with pytest.raises(ValueError, match="no events"):
        edl.read_segments(empty, Fraction(25), 0)
    nototio = tmp_path / "x.otio"
    nototio.write_text("{}")
    with pytest.raises(ValueError, match="OpenTimelineIO"):
        otio_adapter.read_segments(nototio, Fraction(25))


def test_youtube_chapters_follow_youtubes_rules():
    rate = Fraction(25)
    # scenes of 4, 4, 12, 30, 3 seconds: the short ones join the chapter before them
    listing = scene_list(rate, [100, 100, 300, 750, 75], groups={1: "intro", 2: "intro"})
    listed = chapters.chapters(listing)
    assert [[s.number for s in members] for _start, members in listed] == [[1, 2, 3], [4, 5]]
    text = chapters.write(listing).decode()
    assert text.splitlines()[0].startswith("0:00 ")
    assert text.splitlines()[1] == "0:20 Scenes 4-5"
    long = scene_list(rate, [25 * 3000, 25 * 700])
    assert chapters.write(long).decode().splitlines() == ["0:00:00 Scene 1", "0:50:00 Scene 2"]
