"""Waveform peaks and the proxy's sound, made in the ingest's one decode: each hit of a master
with hits on known frames peaks within one frame of where it was put, in the peaks and in the
proxy's own audio; a master without audio has neither; the peaks are the min/max of the PCM."""

from __future__ import annotations

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.media import waveform
from backend.media.ingest import ingest

from conftest import HIT_OFFSET_S, HITS_FPS as FPS, make_hits_master as hits_master


def onset_frames(envelope: np.ndarray, per_second: float, level: float) -> np.ndarray:
    """Frames (fractional) where the envelope first rises above `level`."""
    rising = np.nonzero(np.diff((envelope > level).astype(int)) == 1)[0] + 1
    return rising / per_second * FPS


def expected_hits(seconds: float, delay: float = 0.0) -> np.ndarray:
    return np.arange(HIT_OFFSET_S + delay, seconds - 0.05, 1.0) * FPS


@pytest.mark.parametrize("delay", [0.0, 0.4])
def test_each_hit_peaks_within_one_frame_of_where_it_was_put(tmp_path, ffmpeg_bin, delay):
    master = hits_master(ffmpeg_bin, tmp_path / "hits.mp4", audio_delay_s=delay)
    result = ingest(master, cache_root=tmp_path / "cache")
    wf = result.waveform
    assert wf is not None and wf.channels == 2 and wf.sample_rate == 48000
    assert [lv.samples_per_bin for lv in wf.levels] == list(waveform.LEVELS)
    peaks = waveform.load_level(result.scores.parent, wf, waveform.LEVELS[0])
    envelope = np.abs(peaks.astype(int)).max(axis=(1, 2))
    found = onset_frames(envelope, wf.sample_rate / waveform.LEVELS[0], 40)
    want = expected_hits(6, delay)
    assert len(found) == len(want), (found, want)
    assert np.abs(found - want).max() <= 1.0, (found, want)
    # the drone between hits is quiet but not silent, and every level spans the whole track
    assert 0 < np.median(envelope) < 40
    for level in wf.levels:
        assert level.bins == -(-wf.samples // level.samples_per_bin)
        assert (result.scores.parent / level.file).stat().st_size == level.bins * wf.channels * 2
    assert not (result.scores.parent / waveform.PCM_NAME).exists()


def test_the_proxy_carries_the_sound_in_sync(tmp_path, ffmpeg_bin):
    master = hits_master(ffmpeg_bin, tmp_path / "hits.mp4", audio_delay_s=0.2)
    result = ingest(master, cache_root=tmp_path / "cache")
    with av.open(str(result.proxy)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "opus" and stream.channels == 2
        samples = np.concatenate([f.to_ndarray().max(axis=0) for f in container.decode(audio=0)])
        start = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
    per_bin = 480   # 10 ms bins
    envelope = np.abs(samples[:len(samples) // per_bin * per_bin]).reshape(-1, per_bin).max(axis=1)
    found = onset_frames(envelope, 100, 0.25) + start * FPS
    want = expected_hits(6, 0.2)
    assert len(found) == len(want) and np.abs(found - want).max() <= 1.0, (found, want)


def test_a_master_without_audio_has_no_waveform_and_a_silent_proxy(tmp_path, media_dir):
    result = ingest(media_dir / "counter.mp4", cache_root=tmp_path / "cache")
    assert result.waveform is None
    with av.open(str(result.proxy)) as container:
        assert not container.streams.audio


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 2), st.integers(1, 3000), st.sampled_from(waveform.LEVELS[:2]),
       st.randoms(use_true_random=False))
def test_peaks_are_the_min_and_max_of_each_bin(channels, frames, spb, rnd):
    pcm = np.array([rnd.randint(-32768, 32767) for _ in range(frames * channels)],
                   dtype=np.int16).reshape(frames, channels)
    got = waveform._bin_peaks(pcm, spb).astype(int)
    for b in range(-(-frames // spb)):
        part = pcm[b * spb:(b + 1) * spb].astype(int)
        for c in range(channels):
            low, high = part[:, c].min(), part[:, c].max()
            # the high byte, rounded outwards: a bin's range never shrinks
            assert got[b, c, 0] * 256 <= low < got[b, c, 0] * 256 + 256
            assert min(127, -(-high // 256)) == got[b, c, 1]


def test_an_empty_audio_stream_makes_no_peaks(tmp_path):
    pcm = tmp_path / waveform.PCM_NAME
    pcm.write_bytes(b"\x01")   # less than one sample
    assert waveform.make_peaks(pcm, 2, 48000, tmp_path) is None


def test_the_sharp_proxy_has_the_same_frames_and_sound_wider(tmp_path, ffmpeg_bin):
    from backend.media import sharp_proxy

    master = hits_master(ffmpeg_bin, tmp_path / "hits.mp4", audio_delay_s=0.2)
    result = ingest(master, cache_root=tmp_path / "cache")
    assert sharp_proxy.wanted(result) and sharp_proxy.sharp_proxy(result) is None
    path = sharp_proxy.make_sharp_proxy(result)
    assert sharp_proxy.sharp_proxy(result) == path and sharp_proxy.make_sharp_proxy(result) == path
    with av.open(str(result.proxy)) as small, av.open(str(path)) as sharp:
        small_times = [f.time for f in small.decode(video=0)]
        frames = list(sharp.decode(video=0))
        assert (frames[0].width, frames[0].height) == (320, 180)   # the master's width (< 640)
        assert [f.time for f in frames] == small_times and len(frames) == result.frame_count
        keys = [i for i, f in enumerate(frames) if f.key_frame]
        assert keys[:3] == [0, 24, 48]
        sharp.seek(0)
        samples = np.concatenate([f.to_ndarray().max(axis=0) for f in sharp.decode(audio=0)])
    envelope = np.abs(samples[:len(samples) // 480 * 480]).reshape(-1, 480).max(axis=1)
    found = onset_frames(envelope, 100, 0.25)
    want = expected_hits(6, 0.2)
    assert len(found) == len(want) and np.abs(found - want).max() <= 1.0, (found, want)
    assert sharp_proxy.sharp_size(1920, 1080) == (640, 360) and sharp_proxy.sharp_size(704, 576) == (640, 524)
    # the scrub copy beside it: the small proxy's frames at the same times, keyframes and size, no sound
    with av.open(str(sharp_proxy.scrub_proxy(result))) as scrub:
        assert not scrub.streams.audio
        frames = list(scrub.decode(video=0))
        assert [f.time for f in frames] == small_times and (frames[0].width, frames[0].height) == (256, 144)
        assert [i for i, f in enumerate(frames) if f.key_frame][:3] == [0, 24, 48]
