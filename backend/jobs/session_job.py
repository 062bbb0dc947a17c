"""Turning a session row into the Job operators work on, and the session's closing history row.
The session row holds everything (resolved preset, encoder, metadata), so a resumed job is
the job that started, even if presets or settings changed in between."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path


from backend import paths
from backend.db import files as db_files
from backend.db import sessions
from backend.db.history import HistoryRecord
from backend.db.session_spec import Group, MasterSummary, groups_of
from backend.media import ingest
from backend.media import probe as media_probe
from backend.model.detection_params import DEFAULT_MIN_SCENE_LEN, DEFAULT_THRESHOLD, DetectionParams
from backend.media.metadata import ArchiveMetadata
from backend.ops.base import Job


def job_metadata(settings: dict, artwork: str, date: str) -> ArchiveMetadata:
    copyright_text = settings["copyright_text"]
    artist = settings["artist_name"]
    day = dt.datetime.strptime(date, "%y-%m-%d").date()
    return ArchiveMetadata(copyright=copyright_text, artist=artist, title=artwork, date=day,
                           description=f"{artwork} ({day.isoformat()}), archived by Video Archive Tool")


def build_job(db, session, cancel, *, master_info=None) -> Job:
    spec = session.process_metadata
    archive = Path(session.output_path)
    sid = session.session_id
    job = Job(session_id=sid, master=Path(session.master_path), archive=archive,
              date=session.project_date,
              rd_folder=Path(session.rd_folder_path) if session.rd_folder_path else None,
              preset=spec.preset, encoder=spec.encoder, scenes=list(session.scenes_data or []),
              selected=list(session.selected_scenes or []), groups=exported_groups(session),
              metadata=spec.metadata, spec=spec, cache_root=paths.cache_dir(db.path),
              master_info=master_info or spec.master_info, cancel=cancel,
              detection=detection_of(session))
    if job.master_info is None and (spec.analysed or spec.export_planned):
        # analysed by code that did not keep the probe: the analysis does not run again, and the
        # export's operators size and time their outputs by it
        job.master_info = media_probe.probe(job.master)
    # Operators that summarise the session (the process log, the manifest) read it through these.
    job.journal = lambda: sessions.operations(db, sid)
    job.registered = lambda: db_files.list_for(db, sid)
    job.session = lambda: sessions.get(db, sid)
    return job


def detection_of(session) -> DetectionParams:
    return DetectionParams(
        threshold=session.scene_threshold if session.scene_threshold is not None else DEFAULT_THRESHOLD,
        min_scene_len=session.min_scene_length if session.min_scene_length is not None
        else DEFAULT_MIN_SCENE_LEN)


def cached_ingest(master, detection: DetectionParams, cache_root, cancel=None):
    """A session's ingest from the cache: decoded again only when the cache lost it."""
    return ingest.ingest(master, threshold=detection.threshold, min_scene_len=detection.min_scene_len,
                         cache_root=cache_root, want_proxy=False, cancel=cancel)


def session_groups(session) -> list[Group]:
    """The session's groups: grouped_scenes (either form), or for a session written before the
    request's groups went there, the ones its spec kept."""
    return groups_of(session.grouped_scenes) or groups_of(session.process_metadata.groups)


def exported_groups(session) -> list[Group]:
    """The groups an export writes: an empty group (kept for the editor) has nothing to write,
    so it gets no folder, no joined clip and no line in the contact sheet or log."""
    return [g for g in session_groups(session) if g.scenes]


def history_record(db, job: Job) -> HistoryRecord:
    """The history row, every column from measurements of this session."""
    session = sessions.get(db, job.session_id)
    spec = session.process_metadata
    ops = sessions.operations(db, job.session_id)
    files = db_files.list_for(db, job.session_id)
    master = spec.master or MasterSummary()
    total_bytes = sum(f.file_size_bytes or 0 for f in files)
    started = spec.started or time.time()
    run_seconds = spec.run_seconds
    unit_seconds = sum(op.duration_seconds or 0.0 for op in ops)  # overlapping units count twice
    by_type: dict[str, int] = {}
    for f in files:
        by_type[f.file_type] = by_type.get(f.file_type, 0) + 1
    frames = master.frame_count or 0
    # the encode rate is the web master's: the unit that wrote it, whichever operator that is,
    # and the segments it joined (segments an earlier export left in the cache cost nothing)
    web = {f.file_path for f in files if f.file_type == "master_web"}
    encode_s = sum(op.duration_seconds or 0.0 for op in ops
                   if web & set(op.output_files or []) or op.operation_type == "web_segments")
    master_size = spec.master_size
    return HistoryRecord(
        session_id=job.session_id, artwork_name=session.artwork_name,
        project_date=session.project_date, output_path=session.output_path,
        master_filename=Path(session.master_path).name,
        master_duration=master.duration_s,
        master_resolution=f"{master.width}x{master.height}" if master.width else None,
        master_fps=master.fps, master_codec=master.codec,
        master_size_mb=round(master_size / 1e6, 3),
        scenes_detected=len(session.scenes_data or []),
        scenes_exported=len(session.selected_scenes or []),
        stills_created=by_type.get("still_hq", 0) + by_type.get("still_web", 0),
        clips_created=by_type.get("clip", 0) + by_type.get("group_clip", 0),
        rd_files_processed=sum(by_type.get(t, 0) for t in ("rd_image", "rd_video", "rd_other")),
        total_files_created=len(files), total_output_size_mb=round(total_bytes / 1e6, 3),
        # what the web master saves against the original: original bytes / web master bytes
        compression_ratio=_ratio(master_size, files),
        total_processing_time_seconds=round(run_seconds, 3),
        gpu_accelerated=spec.encoder.gpu,
        average_fps_processed=round(frames / encode_s, 2) if frames and encode_s else None,
        preset_used=session.preset_id, encoder_used=spec.encoder.encoder,
        completed_successfully=True,
        completion_notes=f"{len(ops)} operations in {run_seconds:.1f} s",
        started_at=dt.datetime.fromtimestamp(started, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        metadata={"unit_seconds": round(unit_seconds, 3), "files_by_type": by_type,
                  "warnings": [w for op in ops for w in (op.warning_messages or [])]})


def _ratio(master_size: int, files) -> float | None:
    web = next((f.file_size_bytes for f in files if f.file_type == "master_web"), None)
    return round(master_size / web, 3) if master_size and web else None
