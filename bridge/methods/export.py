"""export.*: archive a session as edited, in the background, and follow it."""

from __future__ import annotations

import msgspec

from backend.ops import operators
from backend.db import sessions
from backend.errors import OperatorError, StateError
from backend.jobs import project
from backend.jobs.export_plan import ExportPlan, plan as plan_export
from backend.jobs.runner import Runner, failure_lines
from backend.media import stills
from bridge.context import Bridge
from bridge.jobs import JobInfo, RunnerEvents
from bridge.methods.common import table, SessionId, known_session
from bridge.methods.projects import project_info


class ExportStarted(msgspec.Struct, kw_only=True):
    job_id: str


class ExportStep(msgspec.Struct, kw_only=True):
    op: str                  # the operator's id
    label: str               # its name in words ("Encode the web master")
    done: int                # operations of this step finished (a partly done one is not counted)
    total: int
    failed: int


def _export_steps(ops) -> list[ExportStep]:
    """The whole job's steps in order, from the operation log (so a resumed export lists what
    ran before it too)."""
    steps: dict[str, ExportStep] = {}
    for op in ops:
        if op.operation_type not in steps:
            try:
                label = operators.get(op.operation_type).label
            except KeyError:  # an operator no longer registered keeps its id
                label = op.operation_type.replace("_", " ")
            steps[op.operation_type] = ExportStep(op=op.operation_type, label=label, done=0, total=0, failed=0)
        step = steps[op.operation_type]
        step.total += 1
        step.done += op.status in sessions.DONE
        step.failed += op.status == "failed"
    return list(steps.values())


class ExportStatus(msgspec.Struct, kw_only=True):
    session_id: str
    status: str              # the session's: processing, paused, completed, failed
    stage: str
    completed: int
    total: int
    current_operation: str | None
    failed: list[str]        # "unit: reason" of each failed operation
    archive_path: str
    error: str | None
    job: JobInfo | None      # the latest export job of this server run
    steps: list[ExportStep] = []


def _start_export(ctx: Bridge, session_id: str, run) -> ExportStarted:
    moved = project.begin_export(ctx.db, session_id)  # the stage changes before this answers

    def work(cancel, emit):
        try:
            outcome = run(Runner(ctx.db, RunnerEvents(emit), cancel))
        finally:
            project.end_unplanned_export(ctx.db, session_id)
        if outcome.status == "failed":
            raise OperatorError(outcome.error or "the export failed")
        return outcome.status

    try:
        return ExportStarted(job_id=ctx.jobs.start("export", session_id, work).job_id)
    except BaseException:
        if moved:  # (not when an export of it runs already)
            project.end_unplanned_export(ctx.db, session_id)
        raise


@table.method("export.start")
def export_start(ctx: Bridge, p: SessionId) -> ExportStarted:
    """Archive the session as edited (its cuts, selection and groups), in the background."""
    return _start_export(ctx, p.session_id, lambda runner: runner.export(p.session_id))


@table.method("export.resume")
def export_resume(ctx: Bridge, p: SessionId) -> ExportStarted:
    """Go on with a paused, failed or interrupted export (the core's resume: only what is not done)."""
    return _start_export(ctx, p.session_id, lambda runner: runner.resume(p.session_id))


def _stop(ctx: Bridge, session_id: str, *, cancel: bool) -> ExportStatus:
    known_session(ctx, session_id)
    job = ctx.jobs.running_for(session_id)
    if job is None or job.kind != "export":
        raise StateError(f"session {session_id} has no export running")
    ctx.jobs.stop(session_id, cancel=cancel, wait=60)
    return export_status(ctx, SessionId(session_id=session_id))


@table.method("export.pause")
def export_pause(ctx: Bridge, p: SessionId) -> ExportStatus:
    """Stop the running export cleanly; export.resume goes on from there."""
    return _stop(ctx, p.session_id, cancel=False)


@table.method("export.cancel")
def export_cancel(ctx: Bridge, p: SessionId) -> ExportStatus:
    """Stop the export for good (running or paused): the files it wrote are deleted, the session
    is no longer an unfinished export (project.list leaves it out) and is back to editing, and
    Start export plans it again."""
    _stop(ctx, p.session_id, cancel=True)
    if ctx.jobs.running_for(p.session_id):
        raise StateError(f"the export of session {p.session_id} did not stop within a minute; try again")
    project.cancel_export(ctx.db, p.session_id)
    return export_status(ctx, SessionId(session_id=p.session_id))


@table.method("export.status")
def export_status(ctx: Bridge, p: SessionId) -> ExportStatus:
    """Where the session's export stands, from the operation log."""
    session = known_session(ctx, p.session_id)
    info = project_info(ctx, session)
    ops = sessions.operations(ctx.db, p.session_id)
    return ExportStatus(
        session_id=p.session_id, status=info.status, stage=info.stage,
        completed=sum(op.status in sessions.DONE for op in ops), total=len(ops),
        current_operation=session.current_operation,
        failed=failure_lines(ops),
        archive_path=session.output_path, error=session.error_message,
        job=ctx.jobs.latest_for(p.session_id, "export"), steps=_export_steps(ops))


class PlanParams(SessionId):
    estimate: bool = True


@table.method("export.plan")
def export_plan(ctx: Bridge, p: PlanParams) -> ExportPlan:
    """What the export of the session as edited will write: counts of clips, stills, groups and
    files, and an estimated size in bytes measured on the master's own frames (a few of its
    segments encoded into the cache, a few stills written aside: seconds on a long film;
    `estimate: false` answers the counts at once, with estimated_bytes null)."""
    return plan_export(ctx.db, p.session_id, estimate=p.estimate)
