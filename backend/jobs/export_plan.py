"""What an export of a session as edited will write, before it starts: the counts of clips,
stills, groups and files (from the export operators' own plans, so they are exact) and an
estimate of the bytes, for the editor's export summary.

How the size is estimated: from what this master's own frames cost, measured, not guessed from
a bits-per-pixel rule (a flat cartoon costs a twentieth of what film grain does at one CRF; the
rule was off by 1.4x to 20x on the shared media):
- the master copy and the R&D originals are their own sizes, exactly;
- the web master is its scene segments (backend/media/segments.py) as the export encodes them,
  with the same settings: those already in the segment cache (the editor encodes them in the
  background while the user edits, issue 21) count at their real size; the rest at the bytes per
  frame of those, and when none is there yet, SAMPLE_SEGMENTS of the film's segments, spread over
  it, are encoded now into the cache (the export then reuses them). Audio at its bitrate;
- a clip is cut from the web master at its scene's segments, so it costs their sum, and a group's
  joined clip the sum of its clips;
- stills and thumbnails: SAMPLE_STILLS of the export's own still frames are written now (to a
  temporary folder) with the preset's settings, and each still and thumbnail costs their mean;
- an R&D image's compressed copy: a JPEG of its own size fitted into the preset's box, at most
  the original's size; a video's: its original size;
- the small files (manifest, log, edit lists, bag tags, contact sheet) grow with the scenes.
Measured against real exports in docs/editor.md ("The export summary")."""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

import msgspec
import PIL.Image

from backend.db import sessions
from backend.errors import InputError
from backend.jobs import session_job
from backend.media import stills
from backend.media.geometry import fit
from backend.media.timeline import load_timeline
from backend.ops import operators
from backend.ops import still_extraction, web_segments
from backend.ops.base import Job, Stage, Unit

JPEG_BYTES_PER_PIXEL_Q85 = 0.15
SAMPLE_SEGMENTS = 6
SAMPLE_STILLS = 3
SMALL_FILE_BYTES = 2048          # a small file with no scenes listed
SMALL_FILE_BYTES_A_SCENE = 700   # each scene's lines in it (edit lists, manifests, the log)
CONTACT_SHEET_BYTES = 10 * 1024    # its title and tiles' frame
CONTACT_SHEET_BYTES_A_SCENE = 1400


class ExportPlan(msgspec.Struct, kw_only=True):
    session_id: str
    scenes_selected: int
    clips: int               # scene clips plus joined group clips
    stills: int              # HQ and web stills
    groups: int              # groups with a selected scene (empty ones export nothing)
    files: int               # every file the export writes
    estimated_bytes: int | None   # None when not asked for (estimate=False): it samples the master


def plan(db, session_id: str, *, estimate: bool = True) -> ExportPlan:
    """The export of the session as it stands, planned by the operators without writing
    anything, with its estimated size (which encodes a few of the master's segments and writes a
    few stills to measure, seconds on a long film: `estimate=False` gives the counts at once)."""
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
    sizes = _Sizes(job)
    return ExportPlan(
        session_id=session_id, scenes_selected=len(job.selected_scenes()),
        clips=outputs("clip_export") + outputs("group_join"), stills=outputs("still_extraction"),
        groups=sum(1 for g in job.groups if selected & set(g.scenes)),
        files=sum(len(u.outputs) for u in units),
        estimated_bytes=int(sum(sizes.unit(u) for u in units)) if estimate else None)


class _Sizes:
    """The bytes each unit will write, from this master's frames (see the module's notes)."""

    def __init__(self, job: Job):
        self.job = job

    def unit(self, unit: Unit) -> float:
        job = self.job
        if unit.op == "master_copy":
            return job.spec.master_size or _size(job.master)
        if unit.op == "optimization":
            return sum(self._segment_bytes.values()) + self._audio_bytes(job.master_info.duration_s or 0.0)
        if unit.op == "clip_export":
            return self._scene_bytes(unit.params.scene)
        if unit.op == "group_join":
            return sum(self._scene_bytes(n) for n in unit.params.scenes)
        if unit.op == "still_extraction":
            return self._still_bytes["hq"] + self._still_bytes["web"]
        if unit.op == "thumbnails":
            return len(unit.outputs) * self._still_bytes["thumbnail"]
        if unit.op == "rd_processing":
            return _rd_bytes(job, unit)
        if unit.op == "web_segments":
            return 0.0   # in the cache, not the archive
        if unit.op == "contact_sheet":
            return CONTACT_SHEET_BYTES + CONTACT_SHEET_BYTES_A_SCENE * len(job.scenes)
        return len(unit.outputs) * (SMALL_FILE_BYTES + SMALL_FILE_BYTES_A_SCENE * len(job.scenes))

    def _scene_bytes(self, number: int) -> float:
        scene = next(s for s in self.job.scenes if s.number == number)
        first, last = self.job.decoded_range(scene)
        frames = last - first + 1
        return sum(size for seg, size in self._segment_bytes.items() if first <= seg.first and seg.last <= last) \
            + self._audio_bytes(frames / (self.job.spec.master.fps or 25.0))

    def _audio_bytes(self, seconds: float) -> float:
        video = self.job.preset.video
        has_audio = self.job.master_info is not None and bool(self.job.master_info.audio)
        return video.audio_bitrate_kbps * 125 * seconds if video.audio == "aac" and has_audio else 0.0

    @functools.cached_property
    def _segment_bytes(self) -> dict:
        """Each of the film's segments at its real size where the cache has it, else at the bytes
        per frame of those that are there (a few encoded now when none is)."""
        job = self.job
        wanted = web_segments.job_segments(job)
        store = web_segments.store(job)
        if wanted and len(store.missing(wanted)) == len(wanted):
            step = max(1, len(wanted) // SAMPLE_SEGMENTS)
            web_segments.encode_segments(job, wanted[step // 2::step][:SAMPLE_SEGMENTS])
        known = {seg: _size(store.path(seg)) for seg in wanted if store.path(seg).is_file()}
        rate = sum(known.values()) / max(1, sum(seg.frames for seg in known))
        return {seg: known.get(seg, rate * seg.frames) for seg in wanted}

    @functools.cached_property
    def _still_bytes(self) -> dict[str, float]:
        """Mean bytes of an HQ still, a web still and a thumbnail, written now from up to
        SAMPLE_STILLS of the scenes' midpoint frames, spread over the film."""
        job = self.job
        scenes = job.selected_scenes() or job.scenes
        if not scenes:
            return {"hq": 0.0, "web": 0.0, "thumbnail": 0.0}
        step = max(1, len(scenes) // SAMPLE_STILLS)
        picked = scenes[step // 2::step][:SAMPLE_STILLS]
        sizes: dict[str, list[int]] = {"hq": [], "web": [], "thumbnail": []}
        with tempfile.TemporaryDirectory(prefix="size-sample-") as folder:
            requests = []
            for scene in picked:
                _, index = still_extraction.midpoint(job, scene)
                paths = {k: str(Path(folder) / f"{scene.number}-{k}") for k in sizes}
                requests.append(stills.StillRequest(
                    frame_index=index, pts_seconds=job.timeline.times[index], hq_path=paths["hq"],
                    web_path=paths["web"], thumbnail_path=paths["thumbnail"]))
            for result in stills.extract_frames(job.master, requests, hq=job.preset.stills_hq,
                                                web=job.preset.stills_web,
                                                thumbnail=job.preset.thumbnail, cancel=job.cancel):
                for out in result.outputs:
                    sizes[out.kind].append(out.size_bytes)
        return {k: sum(v) / len(v) if v else 0.0 for k, v in sizes.items()}


def _rd_bytes(job: Job, unit: Unit) -> float:
    original = _size(unit.input_file)
    if len(unit.outputs) < 2:
        return original
    if unit.params.kind != "image":
        return 2 * original
    box = job.preset.advanced.rd_images
    try:
        with PIL.Image.open(unit.input_file) as image:   # the header only
            width, height = image.size
    except (OSError, ValueError):
        return 2 * original
    fitted = fit(width, height, box.max_width or width, box.max_height or height, even=False)
    return original + min(original, _jpeg_bytes(fitted, box.quality))


def _jpeg_bytes(size: tuple[int, int], quality: int) -> float:
    # JPEG sizes grow slowly below quality 90 and fast above it: a linear ramp is enough here
    return size[0] * size[1] * JPEG_BYTES_PER_PIXEL_Q85 * max(0.2, quality / 85) ** 2


def _size(path) -> int:
    try:
        return os.stat(path).st_size
    except (OSError, TypeError):
        return 0
