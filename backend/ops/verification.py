"""verification: check every registered file is there with its registered size and metadata,
write the process log, then the manifest (SHA-256 of every file), so the archive folder can be
verified later without the database: `sha256sum` against the manifest is enough. Its verdict on
each file is what file_registry.verified records; a failed check fails the unit and the session."""

from __future__ import annotations

import datetime as dt
import json

import msgspec

from backend import __version__
from backend.db.files import FileRecord
from backend.media.atomic import is_partial, write_bytes_atomic
from backend.media.checksums import sha256_file
from backend.media.metadata import ArchiveMetadata, image_metadata_problems
from backend.ops.base import Job, Operator, Stage, Unit, UnitResult
from backend.ops.operators import register

IMAGE_TYPES = {"still_hq", "still_web", "thumbnail"}


@register
class VerificationOperator(Operator):
    id = "verification"
    label = "Verify the archive and write the manifest"
    stage = Stage.VERIFY
    needs_everything = True

    def plan(self, job: Job) -> list[Unit]:
        outputs = [f"{job.prefix}_manifest.json"]
        if job.spec.generate_log:
            outputs.insert(0, f"{job.prefix}_process-log.txt")
        return [Unit(op=self.id, name="verify archive", stage=self.stage, outputs=outputs)]

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
        known = {f.file_path for f in files} | set(unit.outputs)
        strays = sorted(p.relative_to(job.archive).as_posix() for p in job.archive.rglob("*")
                        if p.is_file() and not is_partial(p)
                        and p.relative_to(job.archive).as_posix() not in known)
        warnings += [f"not made by this session: {s}" for s in strays]
        if problems:
            return UnitResult(verified=verdict, warnings=warnings, error=(
                "archive verification failed: " + "; ".join(problems[:5])
                + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")))
        produced = []
        entries = []
        total = sum(f.file_size_bytes or 0 for f in files) or 1
        done = 0
        for f in files:
            entries.append({"path": f.file_path, "type": f.file_type, "bytes": f.file_size_bytes,
                            "sha256": sha256_file(job.path(f.file_path), job.cancel)})
            done += f.file_size_bytes or 0
            progress(0.9 * done / total)
        if len(unit.outputs) == 2:
            log_path = unit.outputs[0]
            write_bytes_atomic(job.path(log_path), process_log(job).encode("utf-8"))
            size = job.path(log_path).stat().st_size
            entries.append({"path": log_path, "type": "log", "bytes": size,
                            "sha256": sha256_file(job.path(log_path))})
            produced.append(FileRecord(file_path=log_path, file_type="log", file_category="archive",
                                     file_format="txt"))
        manifest = {
            "archive": job.prefix, "artwork": job.metadata.title, "project_date": job.date,
            "copyright": job.metadata.copyright, "session_id": job.session_id,
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "tool": f"video-archive {__version__}", "preset": job.preset.id,
            "encoder": job.encoder.encoder, "files": sorted(entries, key=lambda e: e["path"]),
        }
        write_bytes_atomic(job.path(unit.outputs[-1]),
                           json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8") + b"\n")
        produced.append(FileRecord(file_path=unit.outputs[-1], file_type="manifest", file_category="archive",
                                 file_format="json"))
        progress(1.0)
        verdict.update({f.file_path: True for f in produced})  # each written and hashed just now
        return UnitResult(files=produced, warnings=warnings, verified=verdict)


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
