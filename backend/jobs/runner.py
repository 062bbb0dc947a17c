"""The session runner: analyse a session's master (the analysis operators: probe, scene
detection), then plan every export unit up front and run each as soon as the units it needs are
done, within --workers; log each in operation_log, register each finished file, and finish with
a history row. A failed unit stops only the units that need it. Resume runs what is not
completed. The runner knows operators only by their registration (backend.ops.operators), their stages and
their results."""

from __future__ import annotations

import contextlib
import errno
import logging
import threading
import time
from pathlib import Path

import msgspec

from backend.archive import digests
from backend.db import files as db_files
from backend.db import history as db_history
from backend.db import sessions, settings as db_settings
from backend.db.session_spec import MasterSummary, SessionSpec
from backend.errors import ArchiveError, Cancelled, InputError, OperatorError
from backend.jobs import archive_claims, inputs, segment_prefetch, stale_outputs
from backend.jobs.ahead import Ahead
from backend.jobs.archive_lock import ArchiveBusy, ArchiveLock
from backend.jobs.events import Event, Listener
from backend.jobs.plan_rows import planned, units_of
from backend.jobs.pool import run_graph
from backend.jobs.request import Outcome
from backend.jobs.session_job import build_job, cached_ingest, history_record, session_groups
from backend.media import ffmpeg, ingest_cache
from backend.media.atomic import remove_partials
from backend.media.scenes import check_cuts, scenes_at_cuts
from backend.media.timeline import load_timeline
from backend.ops import operators, output_paths, web_segments
from backend.ops.base import Job, Stage, Unit, UnitResult

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.25


def waiting_for_edits(spec: SessionSpec | None) -> bool:
    """Analysed and not exported yet: the editor's session, which only an export continues."""
    return spec is not None and spec.analysed and not spec.export_planned


class Runner:
    def __init__(self, db, listener: Listener | None = None, cancel: threading.Event | None = None):
        self.db = db
        self.listener = listener or (lambda event: None)
        self.cancel = cancel or threading.Event()
        self._last_progress: dict[int, float] = {}
        self._emit_lock = threading.Lock()

    # --- entry points ---------------------------------------------------------------------------
    def analyse(self, session_id: str) -> Outcome:
        """Probe and detect, then stop with the session waiting for edits (status paused,
        Outcome.status "analysed")."""
        return self._run(session_id, export=False)

    def export(self, session_id: str, *, discard_refused_plan: bool = False,
               lock: ArchiveLock | None = None) -> Outcome:
        """Plan the export from the session's stored scenes, selection and groups (analysing
        first when that is not done) and run it to the end or a pause. `discard_refused_plan`
        (`process`, which nothing can edit afterwards): a plan the checks refuse discards the
        session, as input that does not fit the master does; the editor keeps it to edit."""
        return self._run(session_id, export=True, discard_refused_plan=discard_refused_plan,
                         lock=lock)

    def resume(self, session_id: str | None = None) -> Outcome:
        """Resume one session; without an id the newest that can finish without touching another
        session's files and that no other process is running."""
        if session_id is not None:
            return self.export(session_id)
        for session in sessions.resumable(self.db):
            spec = session.process_metadata
            # an editor's project is continued in the editor (or by its id), which shows the
            # cuts before an export; a plain resume must not export it unseen
            if spec is None or waiting_for_edits(spec) or (spec.want_proxy and not spec.export_planned) \
                    or archive_claims.resume_blocker(self.db, session):
                continue
            try:
                lock = archive_claims.lock_for_resume(session)
            except ArchiveBusy:
                continue  # running right now in another process
            return self._run(session.session_id, export=True, lock=lock)
        raise InputError("no session to resume (none paused, failed or interrupted within "
                         "max_resume_age_days that can finish without touching another "
                         "session's archive)", "session")

    # --- the run --------------------------------------------------------------------------------
    def _run(self, sid: str, *, export: bool, lock: ArchiveLock | None = None,
             discard_refused_plan: bool = False) -> Outcome:
        """Run the session holding its archive folder's lock from the checks to the end: one
        writer per folder, and never a folder another session finished (archive_claims)."""
        created = False
        try:
            session = sessions.get(self.db, sid)
            if session.process_metadata is None:
                raise InputError(f"session {sid} was not started by this tool's runner (it has no "
                                 "session spec) and cannot be run; start the archive again", "session")
            # locked first, then checked: another run cannot finish it or take its folder between
            if lock is None:
                created = not Path(session.output_path).exists()
                lock = archive_claims.lock_for_resume(session)
            reason = archive_claims.resume_blocker(self.db, sessions.get(self.db, sid))
            if reason:
                raise InputError(f"session {sid} cannot be run: {reason}", "session")
        except BaseException:
            if lock is not None:
                lock.release(remove_empty_folder=created)
            raise
        try:
            return self._run_locked(sessions.get(self.db, sid), export=export,
                                    discard_refused_plan=discard_refused_plan)
        finally:  # a discarded session (input that does not fit the master) leaves no folder
            lock.release(remove_empty_folder=not sessions.exists(self.db, sid))

    def _run_locked(self, session, *, export: bool, discard_refused_plan: bool) -> Outcome:
        sid = session.session_id
        ffmpeg.configure(db_settings.get(self.db, "ffmpeg_path"))
        check_master_unchanged(session)
        job = build_job(self.db, session, self.cancel)
        if job.spec.master_info is None and job.master_info is not None:
            self._update_spec(sid, master_info=job.master_info)  # probed now for an old session
        sessions.reset_unfinished(self.db, sid)
        remove_partials(job.archive)
        self._run_started = time.monotonic()
        sessions.set_status(self.db, sid, "processing")
        self.emit(Event(type="session_started", session_id=sid, archive_path=str(job.archive)))
        warnings = list(job.spec.warnings) + self._remake_stale(job)
        ahead = Ahead(job)
        if export and not (job.spec.analysed or job.spec.export_planned):
            ahead.start()  # the master's copy while the analysis runs (jobs/ahead.py)
        try:
            return self._run_job(job, export=export, discard_refused_plan=discard_refused_plan,
                                 warnings=warnings)
        finally:
            ahead.close()  # before _run removes a discarded session's folder

    def _run_job(self, job: Job, *, export: bool, discard_refused_plan: bool,
                 warnings: list[str]) -> Outcome:
        sid = job.session_id
        try:
            if not (job.spec.analysed or job.spec.export_planned):
                try:
                    self._analyse(job)
                except InputError:
                    self._discard(job)  # a scene spec, cut or group that does not fit the master
                    raise
            if not export:
                sessions.set_status(self.db, sid, "paused")
                return self._finish(job, "analysed", None, warnings)
            if not job.session().process_metadata.export_planned:
                try:
                    self._plan_export(job)
                except InputError:
                    if discard_refused_plan:
                        self._discard(job)  # outputs that would share a path, names too long
                    raise
            self._run_units(job)
        except InputError as exc:
            if sessions.exists(self.db, sid):
                return self._fail(job, str(exc), warnings)
            raise
        except Cancelled:
            pass
        except ArchiveError as exc:
            return self._fail(job, str(exc), warnings)
        except OSError as exc:
            return self._fail(job, _os_reason(exc), warnings)
        if self.cancel.is_set():
            sessions.reset_unfinished(self.db, sid)
            sessions.set_status(self.db, sid, "paused")
            return self._finish(job, "paused", None, warnings)
        ops = sessions.operations(self.db, sid)
        failed = [op for op in ops if op.status == "failed"]
        if failed:
            return self._fail(job, f"{len(failed)} operation(s) failed; first: "
                                   f"{failed[0].operation_name}: {_first_line(failed[0].error_details)}",
                              warnings)
        left = [op for op in ops if op.status == "pending"]
        if left:
            return self._fail(job, f"{len(left)} operation(s) could not run; first: "
                                   f"{left[0].operation_name}", warnings)
        sessions.set_status(self.db, sid, "completed")
        try:
            web_segments.tidy(job)  # the segment cache keeps this export's segments
        except OSError as exc:  # the archive is complete; a cache left as it was harms nothing
            log.warning("the segment cache was not cleaned after the export: %s", exc)
        return self._finish(job, "completed", None, warnings)

    def _analyse(self, job: Job) -> None:
        """Run the analysis units in order and keep what they learn: the scenes (or the request's
        cuts), the selection and the groups go to the session, the probe and the timeline to the
        job. Until this is done a resume analyses again: detection comes from the ingest cache."""
        if not sessions.operations(self.db, job.session_id):
            sessions.plan_operations(self.db, job.session_id, [
                planned(unit) for op in operators.all_operators() if op.stage == Stage.ANALYSIS
                for unit in op.plan(job)])
        rows = sessions.operations(self.db, job.session_id)
        for unit, row in zip(units_of(rows), rows):
            if unit.stage != Stage.ANALYSIS:
                continue
            if self.cancel.is_set():
                raise Cancelled("paused")
            result = self._run_unit(job, unit, row.sequence_number, len(rows))
            if self.cancel.is_set():  # the unit stopped part-way: nothing to go on from
                raise Cancelled("paused")
            if result is None:
                raise OperatorError(sessions.operation(self.db, job.session_id,
                                                       row.sequence_number).error_details or "failed")
            _absorb(job, result)
        spec = job.spec
        if spec.user_cuts is not None:
            job.scenes = scenes_at_cuts(check_cuts(spec.user_cuts, job.timeline), job.timeline,
                                        detected=job.scenes)
        job.selected = inputs.select_scenes(inputs.parse_scene_spec(spec.scene_spec), len(job.scenes))
        inputs.check_groups_against(job.groups, len(job.scenes))
        info = job.master_info.video
        with self.db.transaction():
            self._update_spec(job.session_id, analysed=True, master_info=job.master_info,
                              master=MasterSummary(
                                  duration_s=job.master_info.duration_s, width=info.display_width,
                                  height=info.display_height, fps=info.avg_fps, codec=info.codec,
                                  frame_count=len(job.timeline)))
            sessions.update(self.db, job.session_id, scenes_data=job.scenes,
                            selected_scenes=job.selected,
                            grouped_scenes=session_groups(job.session()))  # empty ones too

    def _plan_export(self, job: Job) -> None:
        """Plan every unit of every export operator from the session's scenes, selection and
        groups (as edited), before any output is written."""
        if job.timeline is None:
            job.timeline = load_timeline(cached_ingest(job.master, job.detection, job.cache_root, job.cancel))
        units: list[Unit] = []
        for op in operators.all_operators():
            if op.stage != Stage.ANALYSIS:
                op.check(job)
                units += op.plan(job)
        output_paths.check_plan(units, job.archive)  # no two units on one path, names that fit
        names = [u.name for u in units]
        for unit in units:
            if operators.get(unit.op).needs_everything:
                unit.needs = [u.name for u in units if u.stage < unit.stage]
        unknown = {n for u in units for n in u.needs} - set(names)
        if unknown or len(set(names)) != len(names):
            raise OperatorError(f"the export plan is inconsistent (needs {sorted(unknown)[:3]} "
                                "or repeats a unit name); please report this")
        with self.db.transaction():
            sessions.append_operations(self.db, job.session_id, [planned(u) for u in units])
            self._update_spec(job.session_id, export_planned=True)

    def _run_units(self, job: Job) -> None:
        segment_prefetch.stop()  # the editor's background encode: the export takes over
        rows = sessions.operations(self.db, job.session_id)
        total = len(rows)
        units = units_of(rows)
        seq = {u.name: r.sequence_number for u, r in zip(units, rows)}
        done = {u.name for u, r in zip(units, rows)
                if r.status in sessions.DONE or u.stage == Stage.ANALYSIS}
        todo = [u for u, r in zip(units, rows)
                if r.status in ("pending", "failed") and u.stage != Stage.ANALYSIS]
        if job.timeline is None and any(operators.get(u.op).needs_timeline for u in todo):
            job.timeline = load_timeline(cached_ingest(job.master, job.detection, job.cache_root, job.cancel))
        with web_segments.in_use(job):  # no cache cleanup removes what this export joins
            run_graph(todo, lambda u: self._run_unit(job, u, seq[u.name], total) is not None,
                      int(job.spec.workers or 1), self.cancel.is_set, key=lambda u: u.name,
                      needs=lambda u: u.needs, done=done,
                      urgent=lambda u: operators.get(u.op).critical_path,
                      # what others build on first; then later stages, so a clip goes as soon
                      # as the web master is there instead of after every R&D file
                      priority=lambda u: (-int(u.stage),))
        if self.cancel.is_set():
            raise Cancelled("paused")

    def _run_unit(self, job: Job, unit: Unit, seq: int, total: int) -> UnitResult | None:
        """Run one unit and record it; its result, or None when it failed or was paused."""
        sid = job.session_id
        op = operators.get(unit.op)
        sessions.start_operation(self.db, sid, seq)
        self.emit(Event(type="unit_started", session_id=sid, op=unit.op, unit=unit.name, seq=seq,
                         total=total))
        cpu0 = time.thread_time()
        try:
            result = op.execute(unit, job, lambda f: self._progress(sid, unit, seq, f))
            # each output's digest now, while it is still in memory (backend/archive/digests.py)
            result.files = [digests.with_sha256(r, job.path(r.file_path), job.cancel) for r in result.files]
        except Cancelled:
            return None  # left 'processing'; the pause resets it to pending
        except Exception as exc:  # one failed unit never takes the others down
            detail = str(exc) if isinstance(exc, ArchiveError) else _os_reason(exc) \
                if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"
            if isinstance(exc, ffmpeg.FFmpegError) and exc.stderr_tail:
                # the first line says what failed; the log keeps what ffmpeg said last
                detail += "\nffmpeg's last lines:\n" + "\n".join(exc.stderr_tail)
            self._failed(job, unit, seq, detail)
            return None
        sizes = {}
        for record in result.files:
            sizes[record.file_path] = job.path(record.file_path).stat().st_size
            db_files.register(self.db, sid, msgspec.structs.replace(
                record, file_size_bytes=sizes[record.file_path],
                has_metadata=record.metadata_embedded is not None, verified=False))
        for path, ok in (result.verified or {}).items():
            if not ok and not job.path(path).is_file():
                db_files.mark_missing(self.db, sid, path)
            else:
                db_files.mark_verified(self.db, sid, path, ok)
        for message in result.warnings:
            self.emit(Event(type="warning", session_id=sid, op=unit.op, unit=unit.name, message=message))
        if result.error:
            self._failed(job, unit, seq, result.error, warnings=result.warnings or None, keep=True)
            return None
        cpu = (result.cpu_seconds or 0.0) + (time.thread_time() - cpu0)
        sessions.finish_operation(
            self.db, sid, seq, "completed", output_files=[f.file_path for f in result.files],
            file_sizes=sizes, warnings=result.warnings or None, cpu_usage=round(cpu, 3),
            gpu_usage=1.0 if result.gpu else None, memory_usage=_mb(result.peak_rss_mb))
        self.emit(Event(type="unit_finished", session_id=sid, op=unit.op, unit=unit.name, seq=seq,
                         status="completed", progress=1.0, total=total,
                         completed=sessions.get(self.db, sid).completed_operations))
        return result

    def _failed(self, job: Job, unit: Unit, seq: int, detail: str, *, warnings=None,
                keep: bool = False) -> None:
        if not keep:
            for output in unit.outputs:
                # a failed unit leaves nothing behind: an output it finished before failing would
                # be a file that neither the file registry nor the manifest knows (resume makes it
                # again)
                with contextlib.suppress(OSError):
                    job.path(output).unlink()
        sessions.finish_operation(self.db, job.session_id, seq, "failed", error_details=detail,
                                  warnings=warnings)
        self.emit(Event(type="unit_failed", session_id=job.session_id, op=unit.op, unit=unit.name,
                         seq=seq, status="failed", message=_first_line(detail)))

    # --- events ---------------------------------------------------------------------------------
    def _progress(self, sid: str, unit: Unit, seq: int, fraction: float) -> None:
        now = time.monotonic()
        if now - self._last_progress.get(seq, 0.0) < PROGRESS_INTERVAL_S and fraction < 1.0:
            return
        self._last_progress[seq] = now
        sessions.set_progress(self.db, sid, seq, max(0.0, min(1.0, fraction)))
        self.emit(Event(type="unit_progress", session_id=sid, op=unit.op, unit=unit.name, seq=seq,
                         progress=round(fraction, 4)))

    def emit(self, event: Event) -> None:
        with self._emit_lock:
            self.listener(event)

    def _remake_stale(self, job: Job) -> list[str]:
        """Completed units whose outputs were deleted or changed since go back to pending, so
        this run makes them again instead of failing verification on every resume."""
        stale = stale_outputs.find(job.archive, sessions.operations(self.db, job.session_id),
                                   db_files.list_for(self.db, job.session_id))
        if not stale:
            return []
        sessions.reset_operations(self.db, job.session_id, list(stale))
        paths = [p for outs in stale.values() for p in outs]
        for rel in paths:
            db_files.mark_missing(self.db, job.session_id, rel)
        message = (f"{len(paths)} finished file(s) were deleted or changed since they were made "
                   f"and are made again: {', '.join(paths[:3])}" + (" ..." if len(paths) > 3 else ""))
        self.emit(Event(type="warning", session_id=job.session_id, message=message))
        return [message]

    def _update_spec(self, sid: str, **changes) -> None:
        spec = sessions.get(self.db, sid).process_metadata
        sessions.update(self.db, sid, process_metadata=msgspec.structs.replace(spec, **changes))

    def _discard(self, job: Job) -> None:
        """Forget a session that wrote nothing: the user fixes the input and starts again (the
        detection stays in the ingest cache), and `resume` never offers a job that cannot run."""
        sessions.delete(self.db, job.session_id)  # _run removes the folder when it is empty

    def _fail(self, job: Job, reason: str, warnings: list[str]) -> Outcome:
        sessions.reset_unfinished(self.db, job.session_id)
        sessions.set_status(self.db, job.session_id, "failed", error_message=reason)
        return self._finish(job, "failed", reason, warnings)

    def _finish(self, job: Job, status: str, error: str | None, warnings: list[str]) -> Outcome:
        # The session's processing time is the wall time of its runs, not the time it sat paused
        # or crashed between them.
        if sessions.exists(self.db, job.session_id):
            spec = sessions.get(self.db, job.session_id).process_metadata
            self._update_spec(job.session_id,
                              run_seconds=spec.run_seconds + time.monotonic() - self._run_started)
            if status == "completed":
                db_history.record(self.db, history_record(self.db, job))
        ops = sessions.operations(self.db, job.session_id)
        outcome = Outcome(
            session_id=job.session_id, status=status, archive_path=str(job.archive),
            completed=sum(op.status in sessions.DONE for op in ops), total=len(ops),
            failed=failure_lines(ops),
            warnings=warnings + [w for op in ops for w in (op.warning_messages or [])], error=error)
        self.emit(Event(type="session_finished", session_id=job.session_id, status=status,
                         completed=outcome.completed, total=outcome.total, message=error,
                         archive_path=str(job.archive)))
        return outcome


def _absorb(job: Job, result: UnitResult) -> None:
    """What an analysis unit learnt about the master, kept on the job for planning."""
    if result.master_info is not None:
        job.master_info = result.master_info
    if result.scenes is not None:
        job.scenes = list(result.scenes)
    if result.timeline is not None:
        job.timeline = result.timeline


def check_master_unchanged(session) -> None:
    """Refuse to run when the file at the master's path is not the master the session started
    with: its stills and clips would come from another video."""
    master = Path(session.master_path)
    if not master.is_file():
        raise InputError(f"the session's master video is gone: {master}", "master")
    spec = session.process_metadata
    if spec.master_identity is not None:
        changes = ingest_cache.identity_changes(spec.master_identity, master)
    else:  # sessions started before identities were recorded: the size is all there is
        changes = [] if spec.master_size in (0, master.stat().st_size) else ["size"]
    if changes:
        raise InputError(f"the master video changed since session {session.session_id} started "
                         f"({', '.join(changes)}): {master}. Put the original file back there to "
                         "resume, or start a new session with the new file", "master")


def failure_lines(ops) -> list[str]:
    """"operation: the first line of its error" for each failed operation of a session's log."""
    return [f"{op.operation_name}: {_first_line(op.error_details)}" for op in ops
            if op.status == "failed"]


def _first_line(detail: str | None) -> str:
    lines = (detail or "").strip().splitlines()
    return lines[0] if lines else "unknown error"


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return f"the disk is full ({exc.filename or 'output'}): free space, then resume"
    return f"{exc.strerror or exc} ({exc.filename})" if exc.filename else str(exc)


def _mb(value: float | None) -> int | None:
    return None if value is None else int(round(value))
