"""Waveform peaks for the editor's audio lane, made from the PCM the ingest pass decodes beside
the picture (no second read of the master): for each bin of `samples_per_bin` samples, the
minimum and the maximum of each channel, at a few resolutions so a 2-hour film zooms from the
whole to single frames without asking for more (the audiowaveform / Peaks.js approach).

A level's file is int8, bin after bin, each bin [min ch0, max ch0, min ch1, max ch1, ...]: the
16-bit sample's high byte (floor for the minimum, ceiling for the maximum, so a quiet but not
silent bin never looks silent). Sample 0 is the master's first video frame's time: the pass
shifts and pads or trims the audio to that origin."""

from __future__ import annotations

from pathlib import Path

import msgspec
import numpy as np

PCM_NAME = "audio.s16le"       # the pass's temporary PCM (removed once the peaks are made)
LEVELS = (64, 512, 4096, 32768)  # samples a bin: ~750, 94, 12 and 1.5 bins a second at 48 kHz
MAX_CHANNELS = 2               # more are mixed down: a lane shows left/right, not 5.1
CHUNK_BINS = 64                # coarsest bins read at a time: 2M samples a channel


class WaveformLevel(msgspec.Struct, frozen=True):
    file: str                  # relative to the entry folder
    samples_per_bin: int
    bins: int


class WaveformRecord(msgspec.Struct, frozen=True):
    sample_rate: int
    channels: int
    samples: int               # per channel
    levels: list[WaveformLevel]


def level_name(samples_per_bin: int) -> str:
    return f"peaks-{samples_per_bin}.i8"


def make_peaks(pcm: Path, channels: int, sample_rate: int, out_dir: Path) -> WaveformRecord | None:
    """Peaks of the interleaved little-endian 16-bit PCM in `pcm`, written into out_dir. None when
    the file holds no whole sample (an audio stream that decoded to nothing)."""
    frames = pcm.stat().st_size // (2 * channels)
    if frames == 0:
        return None
    data = np.memmap(pcm, dtype="<i2", mode="r", shape=(frames, channels))
    chunk = CHUNK_BINS * LEVELS[-1]    # a multiple of every level's bin: bins never straddle
    outs = {spb: open(out_dir / level_name(spb), "wb") for spb in LEVELS}
    try:
        for start in range(0, frames, chunk):
            block = np.asarray(data[start:start + chunk], dtype=np.int16)
            for spb, out in outs.items():
                out.write(_bin_peaks(block, spb).tobytes())
    finally:
        for out in outs.values():
            out.close()
        del data
    levels = [WaveformLevel(file=level_name(spb), samples_per_bin=spb, bins=-(-frames // spb))
              for spb in LEVELS]
    return WaveformRecord(sample_rate=sample_rate, channels=channels, samples=frames,
                          levels=levels)


def _bin_peaks(block: np.ndarray, spb: int) -> np.ndarray:
    """(bins, channels, 2) int8 of min/max per bin of `spb` samples; the last bin may be short."""
    starts = np.arange(0, len(block), spb)
    low = np.minimum.reduceat(block, starts, axis=0).astype(np.int32)
    high = np.maximum.reduceat(block, starts, axis=0).astype(np.int32)
    low8 = np.floor_divide(low, 256)
    high8 = -np.floor_divide(-high, 256)
    return np.stack([low8, np.minimum(high8, 127)], axis=-1).astype(np.int8)


def load_level(entry: Path, record: WaveformRecord, samples_per_bin: int) -> np.ndarray:
    """One level as (bins, channels, 2) int8."""
    level = next(lv for lv in record.levels if lv.samples_per_bin == samples_per_bin)
    raw = np.fromfile(entry / level.file, dtype=np.int8)
    return raw.reshape(level.bins, record.channels, 2)
