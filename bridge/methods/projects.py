"""project.*: create, reopen, list, open and discard projects (sessions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import msgspec

from backend.db import sessions
from backend.errors import ArchiveError, InputError, OperatorError, StateError
from backend.jobs import project
from backend.jobs.request import ProcessRequest
from backend.media import probe as media_probe
from bridge.context import Bridge
from bridge.jobs import JobInfo, RunnerEvents
from bridge.methods.common import table, Params, NoParams, SessionId, known_session


class ProjectCreate(Params):
    master: str
    artwork: str
    date: str                          # YY-MM-DD or YYYY-MM-DD (kept as YY-MM-DD)
    out: str                           # the archive folder is made inside it
    rd: str | None = None              # R&D folder
    preset: str | None = None          # None: the default preset
    encoder: Literal["auto", "x264", "nvenc"] = "auto"
    overrides: dict[str, Any] | None = None  # preset fields for this project: {"video": {"crf": 20}}
    threshold: float | None = None     # None: the scene_threshold_default setting
    min_scene_len: int | None = None   # None: the min_scene_length_default setting
    workers: int | None = None         # None: the parallel_workers setting


class ProjectStarted(msgspec.Struct, kw_only=True):
    session_id: str
    job_id: str                        # the ingest's job: its events carry this id
    archive_path: str
    warnings: list[str]


class ProjectInfo(msgspec.Struct, kw_only=True):
    session_id: str
    artwork: str
    date: str
    master: str
    archive_path: str
    status: str                        # initialized, processing, paused, completed, failed, cancelled
    stage: Literal["analyse", "edit", "export"]  # what the session waits for or does
    completed: int                     # operations done
    total: int
    current_operation: str | None
    updated_at: str | None
    error: str | None
    job: JobInfo | None                # the job running it in this server, if any


def project_info(ctx: Bridge, session) -> ProjectInfo:
    stage = project.stage(session)
    return ProjectInfo(
        session_id=session.session_id, artwork=session.artwork_name, date=session.project_date,
        master=session.master_path, archive_path=session.output_path,
        status=session.status or "initialized", stage=stage,
        completed=session.completed_operations or 0, total=session.total_operations,
        current_operation=session.current_operation, updated_at=session.updated_at,
        error=session.error_message, job=ctx.jobs.running_for(session.session_id))


def _start_analysis(ctx: Bridge, session_id: str, master: str) -> JobInfo:
    try:
        frames_total = media_probe.probe(Path(master)).video.frame_count
    except ArchiveError:
        frames_total = None  # the analysis reports the problem itself

    def work(cancel, emit):
        outcome = project.analyse(ctx.db, session_id, cancel=cancel,
                                  listener=RunnerEvents(emit, frames_total=frames_total))
        if outcome.status == "failed":
            raise OperatorError(outcome.error or "the analysis failed")
        if outcome.status == "analysed":
            project.prepare_segments(ctx.db, session_id)  # the web master's, while the user reviews
        return "completed" if outcome.status == "analysed" else outcome.status

    return ctx.jobs.start("ingest", session_id, work)


@table.method("project.create")
def project_create(ctx: Bridge, p: ProjectCreate) -> ProjectStarted:
    """Check everything exactly as `process` does (an error names its field; nothing is written
    then), record the session and start its ingest in the background; returns at once."""
    request = ProcessRequest(**msgspec.structs.asdict(p))  # the same fields, checked by the core
    created = project.create(ctx.db, request, want_proxy=True)
    project.remember_folders(ctx.db, master=p.master, out=p.out, rd=p.rd)
    job = _start_analysis(ctx, created.session_id, sessions.get(ctx.db, created.session_id).master_path)
    return ProjectStarted(session_id=created.session_id, job_id=job.job_id,
                          archive_path=created.archive_path, warnings=created.warnings)


@table.method("project.reopen")
def project_reopen(ctx: Bridge, p: SessionId) -> ProjectStarted:
    """A finished project as a new version (NAME_v2 beside the first, which stays as it is): the
    same inputs with its cuts, selection and groups, read again and opened for editing."""
    request = project.reopen_request(ctx.db, p.session_id)
    created = project.create(ctx.db, request, want_proxy=True)
    job = _start_analysis(ctx, created.session_id, request.master)
    return ProjectStarted(session_id=created.session_id, job_id=job.job_id,
                          archive_path=created.archive_path, warnings=created.warnings)


@table.method("project.list")
def project_list(ctx: Bridge, p: NoParams) -> list[ProjectInfo]:
    """Unfinished sessions (the active_sessions view, and failed ones that can resume), newest first."""
    return [project_info(ctx, s) for s in sessions.unfinished(ctx.db)]


@table.method("project.open")
def project_open(ctx: Bridge, p: SessionId) -> ProjectInfo:
    """A session to work on; an interrupted analysis starts again in the background."""
    session = known_session(ctx, p.session_id)
    if session.status == "completed":
        raise InputError(f"session {p.session_id} is completed: its archive is {session.output_path}",
                         "session_id")
    info = project_info(ctx, session)
    if info.stage == "analyse" and info.job is None:
        _start_analysis(ctx, p.session_id, session.master_path)
        info = project_info(ctx, sessions.get(ctx.db, p.session_id))
    return info


@table.method("project.discard")
def project_discard(ctx: Bridge, p: SessionId) -> project.Discarded:
    """Stop the session's work and forget it; its archive folder goes only if it is empty."""
    known_session(ctx, p.session_id)
    ctx.jobs.stop(p.session_id, cancel=True, wait=60)
    if ctx.jobs.running_for(p.session_id):
        raise StateError(f"session {p.session_id} did not stop within a minute; try again")
    result = project.discard(ctx.db, p.session_id)
    ctx.media.drop_session(p.session_id)
    return result
