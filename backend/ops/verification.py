"""verification: check every registered file is there with its registered size and metadata,
check that the clips hold every frame of their scenes (counted in the files: with every scene
selected they add up to the master's frames, variable frame rate included), write the process log,
then the manifest (SHA-256 and, for videos, frame count of every file), so the archive can be
verified later without the database (`video-archive verify`). The digests were taken as the files
were written (backend/archive/digests.py): nothing is read again here. Its verdict on each file is
what file_registry.verified records; a failed check fails the unit and the session."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import msgspec

from backend import __version__
from backend.archive import digests, layout as archive_layout
from backend.db.files import FileRecord
from backend.errors import MediaError, OperatorError
from backend.media import probe as media_probe
from backend.media.atomic import is_partial, write_bytes_atomic
from backend.media.metadata import ArchiveMetadata, image_metadata_problems
from backend.ops.base import Job, Operator, Stage, Unit, UnitResult
from backend.ops.clip_export import clip_path
from backend.ops.operators import register

IMAGE_TYPES = {"still_hq", "still_web", "thumbnail"}
# Videos this tool wrote (their frame count goes into the manifest, for `verify` to decode against);
# R&D originals are copied as delivered and only their checksum speaks for them.
MADE_VIDEO_TYPES = {"master_web", "clip", "group_clip", "rd_video"}


class VerifyParams(msgspec.Struct, kw_only=True):
    """What the clips must hold. Plans stored before clip frames were counted have no values."""
    master_frames: int | None = None
    clip_frames: dict[str, int] = {}   # archive-relative clip -> its scene's decoded frames
    all_selected: bool = False


@register
class VerificationOperator(Operator):
    id = "verification"
    label = "Verify the archive and write the manifest"
    stage = Stage.VERIFY
    Params = VerifyParams
    needs_everything = True

    def plan(self, job: Job) -> list[Unit]:
        outputs = [f"{job.prefix}_manifest.json"]
        if job.spec.generate_log:
            outputs.insert(0, f"{job.prefix}_process-log.txt")
        return [Unit(op=self.id, name="verify archive", stage=self.stage, outputs=outputs,
                     params=expected_frames(job))]

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        files = [f for f in job.registered() if f.file_path not in unit.outputs]
        problems, warnings = [], []
        verdict: dict[str, bool] = {}
        for f in files:
            path = job.path(f.file_path)
            verdict[f.file_path] = False
            if not path.is_file():
                problems.append(f"missing: {f.file_path}")
            elif path.stat().st_size != f.file_size_bytes:
                problems.append(f"size changed: {f.file_path} ({path.stat().st_size} bytes, "
                                f"registered {f.file_size_bytes})")
            else:
                verdict[f.file_path] = True
                if f.file_type in IMAGE_TYPES and f.metadata_embedded:
                    meta = msgspec.convert(f.metadata_embedded, ArchiveMetadata)
                    warnings += [f"{f.file_path}: {p}" for p in image_metadata_problems(path, meta)]
        counts = _FrameCounts(job)
        for rel, problem in frame_problems(job, unit.params, counts):
            problems.append(problem)
            if rel in verdict:
                verdict[rel] = False
        known = {f.file_path for f in files} | set(unit.outputs)
        strays = sorted(path for path in _archive_paths(job) if path not in known)
        warnings += [f"not made by this session: {s}" for s in strays]
        if problems:
            return UnitResult(verified=verdict, warnings=warnings, error=(
                "archive verification failed: " + "; ".join(problems[:5])
                + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")))
        produced = []
        entries = []
        master_frames = job.spec.master.frame_count if job.spec.master else None
        for n, f in enumerate(files, 1):
            # digests were taken as each file was written: nothing is read again here
            entry = {"path": f.file_path, "type": f.file_type, "bytes": f.file_size_bytes,
                     "sha256": digests.of(f, job.path(f.file_path), job.cancel)}
            frames = _frame_count(f, master_frames, counts)
            if frames is not None:
                entry["frames"] = frames
            entries.append(entry)
            progress(0.9 * n / max(len(files), 1))
        if len(unit.outputs) == 2:
            log_path = unit.outputs[0]
            data = process_log(job).encode("utf-8")
            write_bytes_atomic(job.path(log_path), data)
            digest = hashlib.sha256(data).hexdigest()
            entries.append({"path": log_path, "type": "log", "bytes": len(data), "sha256": digest})
            produced.append(FileRecord(file_path=log_path, file_type="log", file_category="archive",
                                     file_format="txt", compression_settings={"sha256": digest}))
        manifest = {
            "archive": job.prefix, "artwork": job.metadata.title, "project_date": job.date,
            "copyright": job.metadata.copyright, "session_id": job.session_id,
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "tool": f"video-archive {__version__}", "preset": job.preset.id,
            "encoder": job.encoder.encoder, "layout": job.layout,
            "files": sorted(entries, key=lambda e: e["path"]),
        }
        if job.spec.follows:  # a new version of a finished archive says which one it follows
            manifest["follows"] = job.spec.follows
        data = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
        write_bytes_atomic(job.path(unit.outputs[-1]), data)
        produced.append(FileRecord(file_path=unit.outputs[-1], file_type="manifest", file_category="archive",
                                 file_format="json",
                                 compression_settings={"sha256": hashlib.sha256(data).hexdigest()}))
        progress(1.0)
        verdict.update({f.file_path: True for f in produced})  # each written and hashed just now
        return UnitResult(files=produced, warnings=warnings, verified=verdict)


class _FrameCounts:
    """Each video's frame count from its container (mp4 keeps a sample table, so this reads only
    the header), opened once for both the clip check and the manifest."""

    def __init__(self, job: Job):
        self._job = job
        self._known: dict[str, int | None] = {}

    def __call__(self, rel: str) -> int | None:
        if rel not in self._known:
            self._known[rel] = media_probe.probe(self._job.path(rel)).video.frame_count
        return self._known[rel]


def _frame_count(record, master_frames: int | None, counts: _FrameCounts) -> int | None:
    """Frames a decode of the file gives: the master's from ingest's decode, the videos made
    here from their container."""
    if record.file_type == "master":
        return master_frames
    if record.file_type in MADE_VIDEO_TYPES:
        return counts(record.file_path)
    return None


def _archive_paths(job: Job):
    """Archive paths of the files on disk, leftovers of killed runs and the run's own hidden lock
    file aside (no archive output is hidden: hidden R&D files are skipped by rule)."""
    for path in job.archive.rglob("*"):
        if path.is_file() and not is_partial(path) and not path.name.startswith("."):
            yield archive_layout.archive_path(job.archive, job.layout, path)


def expected_frames(job: Job) -> VerifyParams:
    """What the clips must hold: each scene clip its scene's decoded frames, and together every
    frame of the selected scenes; with every scene selected, that is every frame of the master."""
    clips = {}
    for scene in job.selected_scenes():
        first, last = job.decoded_range(scene)
        clips[clip_path(job, scene.number)] = last - first + 1
    covered = sum(last - first + 1 for first, last in map(job.decoded_range, job.scenes))
    if covered != len(job.timeline):
        raise OperatorError(f"the scenes cover {covered} of the master's {len(job.timeline)} frames")
    return VerifyParams(master_frames=len(job.timeline), clip_frames=clips,
                        all_selected=len(job.selected) == len(job.scenes))


def frame_problems(job: Job, expected: VerifyParams | None,
                   counts: _FrameCounts | None = None) -> list[tuple[str | None, str]]:
    """Each clip's frames counted in the file itself (not taken from the log), and their sum:
    (the clip at fault or None, the problem)."""
    if expected is None or not expected.clip_frames:
        return []
    problems, total = [], 0
    counts = counts or _FrameCounts(job)
    for rel, frames in expected.clip_frames.items():
        path = job.path(rel)
        if not path.is_file():
            continue  # reported as missing with the registered files
        try:
            counted = counts(rel)
        except MediaError as exc:
            problems.append((rel, f"clip {rel} cannot be read: {exc}"))
            continue
        total += counted
        if counted != frames:
            problems.append((rel, f"clip {rel} has {counted} frames, its scene {frames}"))
    if expected.all_selected and total != expected.master_frames and not problems:
        problems.append((None, f"the clips hold {total} frames, the master {expected.master_frames}"))
    return problems


def process_log(job: Job) -> str:
    """A plain-text account of the session: inputs, then every operation with its timing."""
    session = job.session()
    lines = [
        f"Video Archive Tool {__version__} - process log",
        f"archive:   {job.archive}",
        f"artwork:   {session.artwork_name}   date: {session.project_date}",
        f"master:    {session.master_path}",
        f"r&d:       {session.rd_folder_path or '-'}",
        f"preset:    {job.preset.id}   encoder: {job.encoder.encoder}",
        f"scenes:    {len(job.scenes)} detected (threshold {session.scene_threshold}, "
        f"min {session.min_scene_length} frames), {len(job.selected)} exported",
        f"groups:    {_groups_text(job)}",
        f"session:   {job.session_id}   started {session.created_at} UTC",
        "",
        f"{'seq':>4}  {'status':<10} {'seconds':>8}  operation",
    ]
    for op in job.journal():
        if op.operation_type == "verification":
            continue
        seconds = f"{op.duration_seconds:.2f}" if op.duration_seconds is not None else "-"
        lines.append(f"{op.sequence_number:>4}  {op.status:<10} {seconds:>8}  "
                     f"{op.operation_type}: {op.operation_name}")
        for out in op.output_files or []:
            lines.append(f"{'':>26}-> {out}")
        for warning in op.warning_messages or []:
            lines.append(f"{'':>26}warning: {warning}")
        if op.error_details:
            lines.append(f"{'':>26}error: {op.error_details}")
    return "\n".join(lines) + "\n"


def _groups_text(job: Job) -> str:
    return json.dumps({g.name: g.scenes for g in job.groups}) if job.groups else "-"
