"""What an export of a session as edited will write, before it starts: the counts of clips,
stills, groups and files (from the export operators' own plans, so they are exact) and an
estimate of the bytes, for the editor's export summary.

How the size is estimated (an order of magnitude, not a promise):
- the master copy is the master's own size, exactly;
- the web master and the clips: H.264 at CRF 23 spends about 0.08 bits per pixel per frame on
  typical animation (HEVC about 0.6 of that), halving with every 6 CRF steps (NVENC's CQ read as
  the CRF); pixels are the master's fitted into the preset's max width/height (never enlarged),
  the rate the master's (capped at max_fps), the bitrate capped at max_bitrate_kbps, plus the AAC
  bitrate when audio is on. Clips are cut from the web master, so each costs its frames' share of
  it; a group's joined clip is a stream copy of its clips, so it costs their sum;
- an HQ still: PNG of animation keeps about 40 % of the raw pixels (8 or 16 bits a channel),
  uncompressed TIFF all of them; a web still and a thumbnail (JPEG/WebP): about 0.15 bytes a pixel
  at quality 85, scaled with the quality;
- the R&D folder: every original is copied (its size, exactly) and each image or video also gets
  a compressed copy, counted at its original size or, for an image, at a fitted JPEG's, whichever
  is smaller;
- the small files (contact sheet, manifest, log, edit lists, bag tags): 32 KiB each."""

from __future__ import annotations

import os

import msgspec

from backend.db import sessions
from backend.errors import InputError
from backend.jobs import session_job
from backend.media.geometry import fit
from backend.media.timeline import load_timeline
from backend.ops import operators
from backend.ops.base import Job, Stage, Unit

BITS_PER_PIXEL_H264_CRF23 = 0.08
HEVC_FACTOR = 0.6
PNG_RAW_SHARE = 0.4
JPEG_BYTES_PER_PIXEL_Q85 = 0.15
SMALL_FILE_BYTES = 32 * 1024


class ExportPlan(msgspec.Struct, kw_only=True):
    session_id: str
    scenes_selected: int
    clips: int               # scene clips plus joined group clips
    stills: int              # HQ and web stills
    groups: int              # groups with a selected scene (empty ones export nothing)
    files: int               # every file the export writes
    estimated_bytes: int


def plan(db, session_id: str) -> ExportPlan:
    """The export of the session as it stands, planned by the operators without writing
    anything, with its estimated size."""
    if not sessions.exists(db, session_id):
        raise InputError(f"no session {session_id}", "session_id")
    session = sessions.get(db, session_id)
    spec = session.process_metadata
    if spec is None or not spec.analysed:
        raise InputError(f"session {session_id} is not analysed yet", "session_id")
    job = session_job.build_job(db, session, None)
    job.timeline = load_timeline(session_job.cached_ingest(job.master, job.detection, job.cache_root))
    units = [u for op in operators.all_operators() if op.stage != Stage.ANALYSIS for u in op.plan(job)]
    outputs = lambda op: sum(len(u.outputs) for u in units if u.op == op)  # noqa: E731
    selected = set(job.selected)
    return ExportPlan(
        session_id=session_id, scenes_selected=len(job.selected_scenes()),
        clips=outputs("clip_export") + outputs("group_join"), stills=outputs("still_extraction"),
        groups=sum(1 for g in job.groups if selected & set(g.scenes)),
        files=sum(len(u.outputs) for u in units),
        estimated_bytes=int(sum(_unit_bytes(job, u) for u in units)))


def _unit_bytes(job: Job, unit: Unit) -> float:
    master = job.spec.master
    if unit.op == "master_copy":
        return job.spec.master_size or _size(job.master)
    if unit.op == "optimization":
        return video_bytes_per_second(job) * (master.duration_s or 0.0)
    if unit.op == "clip_export":
        return _frames_bytes(job, unit.params.scene)
    if unit.op == "group_join":
        return sum(_frames_bytes(job, n) for n in unit.params.scenes)
    if unit.op == "still_extraction":
        return still_hq_bytes(job) + _jpeg_bytes(_fit(job, job.preset.stills_web.max_width,
                                                      job.preset.stills_web.max_height),
                                                 job.preset.stills_web.quality)
    if unit.op == "thumbnails":
        width = job.preset.thumbnail.width
        return len(unit.outputs) * _jpeg_bytes(_fit(job, width, 1 << 16), job.preset.thumbnail.quality)
    if unit.op == "rd_processing":
        original = _size(unit.input_file)
        if len(unit.outputs) < 2:
            return original
        images = job.preset.advanced.rd_images
        if unit.params.kind == "image":
            return original + min(original, _jpeg_bytes((images.max_width, images.max_height),
                                                        images.quality))
        return 2 * original
    return SMALL_FILE_BYTES * len(unit.outputs)


def video_bytes_per_second(job: Job) -> float:
    video = job.preset.video
    master = job.spec.master
    width, height = _fit(job, video.max_width or 1 << 16, video.max_height or 1 << 16)
    fps = min(master.fps or 25.0, video.max_fps or float("inf"))
    quality = video.nvenc_cq if job.encoder.family == "nvenc" else video.crf
    bpp = BITS_PER_PIXEL_H264_CRF23 * 2 ** ((23 - quality) / 6)
    bits = bpp * (HEVC_FACTOR if video.codec == "hevc" else 1.0) * width * height * fps
    if video.max_bitrate_kbps:
        bits = min(bits, video.max_bitrate_kbps * 1000)
    if video.audio == "aac":
        bits += video.audio_bitrate_kbps * 1000
    return bits / 8


def still_hq_bytes(job: Job) -> float:
    hq = job.preset.stills_hq
    master = job.spec.master
    raw = (master.width or 0) * (master.height or 0) * 3 * hq.bit_depth // 8
    if hq.format == "tiff" and hq.tiff_compression == "none":
        return raw
    return raw * PNG_RAW_SHARE


def _frames_bytes(job: Job, number: int) -> float:
    scene = next(s for s in job.scenes if s.number == number)
    first, last = job.decoded_range(scene)
    fps = job.spec.master.fps or 25.0
    return video_bytes_per_second(job) * (last - first + 1) / fps


def _fit(job: Job, max_width: int, max_height: int) -> tuple[int, int]:
    """The master's display size fitted inside max_width x max_height, never enlarged."""
    width, height = job.spec.master.width or 0, job.spec.master.height or 0
    return fit(width, height, max_width, max_height, even=False) if width and height else (0, 0)


def _jpeg_bytes(size: tuple[int, int], quality: int) -> float:
    # JPEG sizes grow slowly below quality 90 and fast above it: a linear ramp is enough here
    return size[0] * size[1] * JPEG_BYTES_PER_PIXEL_Q85 * max(0.2, quality / 85) ** 2


def _size(path) -> int:
    try:
        return os.stat(path).st_size
    except (OSError, TypeError):
        return 0
