"""The session runner: check inputs, analyse the master (probe, scene detection), plan every unit
of every operator up front, run them stage by stage in a worker pool, log each in operation_log,
register each finished file, and finish with a history row. Resume runs what is not completed."""

from __future__ import annotations

import contextlib
import errno
import threading
import time
from pathlib import Path

import msgspec
import psutil

from backend import paths
from backend.db import files as db_files
from backend.db import history as db_history
from backend.db import sessions, settings as db_settings
from backend.db.sessions import NewSession, PlannedOperation
from backend.errors import ArchiveError, Cancelled, InputError, MediaError, OperatorError
from backend.jobs import inputs
from backend.jobs.events import Event, Listener
from backend.jobs.pool import run_all
from backend.jobs.request import Outcome, ProcessRequest
from backend.jobs.session_job import build_job, history_record, job_metadata
from backend.media import encoders, ffmpeg, probe as media_probe
from backend.media.atomic import remove_partials
from backend.ops import registry
from backend.ops.base import Job, Unit
from backend.ops.scene_detection import scenes_from_cuts
from backend.presets import registry as presets

ANALYSIS = ("probe", "scene_detection")
PROGRESS_INTERVAL_S = 0.25


class Runner:
    def __init__(self, db, listener: Listener | None = None, cancel: threading.Event | None = None):
        self.db = db
        self.listener = listener or (lambda event: None)
        self.cancel = cancel or threading.Event()
        self._last_progress: dict[int, float] = {}
        self._emit_lock = threading.Lock()

    # --- entry points ---------------------------------------------------------------------------
    def start(self, request: ProcessRequest) -> Outcome:
        """Check everything, then create the session and run it to the end (or a pause)."""
        settings = db_settings.as_dict(self.db)
        ffmpeg.configure(settings["ffmpeg_path"])
        warnings: list[str] = []
        master = inputs.check_master(request.master)
        date = inputs.check_date(request.date)
        name, warning = inputs.safe_name(request.artwork)
        warnings += [warning] if warning else []
        out = inputs.check_output_dir(request.out)
        rd = inputs.check_rd_folder(request.rd)
        ranges = inputs.parse_scene_spec(request.scenes)
        groups = inputs.check_groups(request.groups or {}, "groups")
        preset = presets.resolve(self.db, request.preset or presets.default_id(self.db))
        if request.overrides:
            preset = presets.apply_overrides(preset, request.overrides)
        try:
            info = media_probe.probe(master)
        except MediaError as exc:
            raise InputError(f"the master cannot be used: {exc}") from None
        preference = request.encoder if request.encoder != "auto" else settings["encoder_preference"]
        choice = encoders.choose_encoder(
            preference, bool(settings["gpu_enabled"]),
            encoders.detect_encoders(cache_dir=paths.cache_dir(self.db.path)),
            insist=request.encoder == "nvenc")
        warnings += [choice.warning] if choice.warning else []
        archive = out / f"{date}_{name}"
        if archive.exists() and any(archive.iterdir()):
            raise InputError(f"the archive folder already exists and is not empty: {archive} "
                             "(resume its session, or choose another artwork name or date)")
        threshold = request.threshold if request.threshold is not None else settings["scene_threshold_default"]
        min_len = request.min_scene_len if request.min_scene_len is not None else settings["min_scene_length_default"]
        inputs.check_scene_params(threshold, min_len)
        workers = request.workers if request.workers is not None else settings["parallel_workers"]
        if workers < 1:
            raise InputError(f"workers must be at least 1 (got {workers})")

        meta = job_metadata(settings, request.artwork.strip(), date)
        session_id = sessions.create(self.db, NewSession(
            artwork_name=request.artwork.strip(), project_date=date, master_path=str(master),
            rd_folder_path=str(rd) if rd else None, output_path=str(archive),
            preset_id=preset.id, custom_settings=request.overrides,
            encoder_type=choice.family, scene_threshold=float(threshold), min_scene_length=int(min_len),
            process_metadata={
                "safe_name": name, "encoder": msgspec.to_builtins(choice),
                "preset": msgspec.to_builtins(preset), "metadata": msgspec.to_builtins(meta),
                "workers": workers, "warnings": warnings, "scene_spec": request.scenes or "all",
                "generate_log": settings["generate_log"],
                "extract_midpoint_stills": settings["extract_midpoint_stills"],
                "user_cuts": request.cuts, "groups": groups, "master_size": master.stat().st_size,
                "started": time.time(),
            }))
        for message in warnings:
            self._emit(Event(type="warning", session_id=session_id, message=message))
        archive.mkdir(parents=True, exist_ok=True)
        job = build_job(self.db, sessions.get(self.db, session_id), self.cancel, master_info=info)
        return self._run(job, ranges=ranges, groups=groups, warnings=warnings)

    def resume(self, session_id: str | None = None) -> Outcome:
        if session_id is None:
            offered = [s for s in sessions.resumable(self.db)
                       if not (s.status == "processing" and _runner_alive(s.process_metadata or {}))]
            if not offered:
                raise InputError("no session to resume (none paused, failed or interrupted within "
                                 "max_resume_age_days)")
            session = offered[0]
        else:
            session = sessions.get(self.db, session_id)
            if session.status == "completed":
                raise InputError(f"session {session_id} is already completed: {session.output_path}")
        if session.status == "processing" and _runner_alive(session.process_metadata or {}):
            raise InputError(f"session {session.session_id} is running right now (process "
                             f"{session.process_metadata['runner']['pid']}); pause it there first")
        ffmpeg.configure(db_settings.get(self.db, "ffmpeg_path"))
        master = Path(session.master_path)
        if not master.is_file():
            raise InputError(f"the session's master video is gone: {master}")
        Path(session.output_path).mkdir(parents=True, exist_ok=True)
        job = build_job(self.db, session, self.cancel)
        sessions.reset_unfinished(self.db, session.session_id)
        remove_partials(job.archive)
        meta = session.process_metadata or {}
        return self._run(job, ranges=inputs.parse_scene_spec(meta.get("scene_spec")),
                         groups=meta.get("groups") or {}, warnings=[])

    # --- the run --------------------------------------------------------------------------------
    def _run(self, job: Job, *, ranges, groups, warnings) -> Outcome:
        sid = job.session_id
        self._run_started = time.monotonic()
        # who runs it, so a second resume (the UI while the CLI runs) does not run it twice
        me = psutil.Process()
        meta = dict(job.session().process_metadata or {})
        meta["runner"] = {"pid": me.pid, "started": me.create_time()}
        sessions.update(self.db, sid, process_metadata=meta)
        sessions.set_status(self.db, sid, "processing")
        self._emit(Event(type="session_started", session_id=sid, archive_path=str(job.archive)))
        try:
            if not (job.session().process_metadata or {}).get("export_planned"):
                self._analyse(job)
                try:
                    self._plan_export(job, ranges, groups)
                except InputError:
                    self._discard(job)  # a scene spec or groups file that does not fit the master
                    raise
            self._run_stages(job)
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
        failed = [op for op in sessions.operations(self.db, sid) if op.status == "failed"]
        if failed:
            return self._fail(job, f"{len(failed)} operation(s) failed; first: "
                                   f"{failed[0].operation_name}: {_first_line(failed[0].error_details)}",
                              warnings)
        sessions.set_status(self.db, sid, "completed")
        return self._finish(job, "completed", None, warnings)

    def _analyse(self, job: Job) -> None:
        """Probe and scene detection, logged like every operation. Their results live in memory
        (job.master_info, job.timeline, job.scenes), so until the export is planned a resume runs
        them again: detection then comes from the ingest cache in moments."""
        if not sessions.operations(self.db, job.session_id):
            sessions.plan_operations(self.db, job.session_id, [
                _planned(unit) for op_id in ANALYSIS for unit in registry.get(op_id).plan(job)])
        rows = sessions.operations(self.db, job.session_id)
        for row in rows:
            if self.cancel.is_set():
                raise Cancelled("paused")
            self._run_unit(job, row, len(rows))
            if self.cancel.is_set():  # the unit stopped part-way: nothing to plan from
                raise Cancelled("paused")
            if sessions.operation(self.db, job.session_id, row.sequence_number).status == "failed":
                raise OperatorError(sessions.operation(self.db, job.session_id,
                                                       row.sequence_number).error_details or "failed")

    def _plan_export(self, job: Job, ranges, groups) -> None:
        """Once the scenes are known: choose them, then plan every unit of every export operator,
        before any output is written."""
        if job.settings.get("user_cuts"):
            job.scenes = scenes_from_cuts(job.settings["user_cuts"], job.timeline)
        job.selected = inputs.select_scenes(ranges, len(job.scenes))
        inputs.check_groups_against(groups, len(job.scenes))
        job.groups = groups
        units = []
        for op in registry.all_operators():
            if op.id not in ANALYSIS:
                op.check(job)
                units += op.plan(job)
        info = job.master_info.video
        with self.db.transaction():
            sessions.append_operations(self.db, job.session_id, [_planned(u) for u in units])
            meta = dict(job.session().process_metadata or {})
            meta.update(export_planned=True, master={
                "duration_s": job.master_info.duration_s, "width": info.display_width,
                "height": info.display_height, "fps": info.avg_fps, "codec": info.codec,
                "frame_count": len(job.timeline)})
            sessions.update(self.db, job.session_id, process_metadata=meta,
                            scenes_data=[msgspec.to_builtins(s) for s in job.scenes],
                            selected_scenes=job.selected, grouped_scenes=groups)

    def _run_stages(self, job: Job) -> None:
        ops = sessions.operations(self.db, job.session_id)
        total = len(ops)
        todo = [op for op in ops if op.status in ("pending", "failed")
                and op.operation_type not in ANALYSIS]
        stages = sorted({op.settings_used["stage"] for op in todo})
        workers = int(job.settings.get("workers") or 1)
        for stage in stages:
            batch = [op for op in todo if op.settings_used["stage"] == stage]
            run_all(batch, lambda op: self._run_unit(job, op, total), workers,
                    should_stop=self.cancel.is_set,
                    urgent=lambda op: registry.get(op.operation_type).critical_path)
            if self.cancel.is_set():
                raise Cancelled("paused")
            if any(o.status == "failed" for o in sessions.operations(self.db, job.session_id)
                   if o.settings_used["stage"] == stage):
                return  # later stages build on this one's outputs

    def _run_unit(self, job: Job, row, total: int) -> None:
        sid, seq = job.session_id, row.sequence_number
        unit = Unit(op=row.operation_type, name=row.operation_name, stage=row.settings_used["stage"],
                    input_file=row.input_file, outputs=row.settings_used.get("outputs", []),
                    params=row.settings_used.get("params", {}))
        op = registry.get(unit.op)
        sessions.start_operation(self.db, sid, seq)
        self._emit(Event(type="unit_started", session_id=sid, op=unit.op, unit=unit.name, seq=seq,
                         total=total))
        cpu0 = time.thread_time()
        try:
            result = op.execute(unit, job, lambda f: self._progress(sid, unit, seq, f))
        except Cancelled:
            return  # left 'processing'; the pause resets it to pending
        except Exception as exc:  # one failed unit never takes the others down
            detail = str(exc) if isinstance(exc, ArchiveError) else _os_reason(exc) \
                if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"
            if isinstance(exc, ffmpeg.FFmpegError) and exc.stderr_tail:
                # the first line says what failed; the log keeps what ffmpeg said last
                detail += "\nffmpeg's last lines:\n" + "\n".join(exc.stderr_tail)
            for output in unit.outputs:
                # a failed unit leaves nothing behind: an output it finished before failing would
                # be a file that neither the registry nor the manifest knows (resume makes it again)
                with contextlib.suppress(OSError):
                    job.path(output).unlink()
            sessions.finish_operation(self.db, sid, seq, "failed", error_details=detail)
            self._emit(Event(type="unit_failed", session_id=sid, op=unit.op, unit=unit.name, seq=seq,
                             status="failed", message=_first_line(detail)))
            return
        sizes = {}
        for record in result.files:
            sizes[record.file_path] = job.path(record.file_path).stat().st_size
            db_files.register(self.db, sid, msgspec.structs.replace(
                record, file_size_bytes=sizes[record.file_path],
                has_metadata=record.metadata_embedded is not None, verified=True))
        cpu = (result.cpu_seconds or 0.0) + (time.thread_time() - cpu0)
        sessions.finish_operation(
            self.db, sid, seq, "completed", output_files=[f.file_path for f in result.files],
            file_sizes=sizes, warnings=result.warnings or None, cpu_usage=round(cpu, 3),
            gpu_usage=1.0 if result.gpu else None, memory_usage=_mb(result.peak_rss_mb))
        for message in result.warnings:
            self._emit(Event(type="warning", session_id=sid, op=unit.op, unit=unit.name, message=message))
        self._emit(Event(type="unit_finished", session_id=sid, op=unit.op, unit=unit.name, seq=seq,
                         status="completed", progress=1.0, total=total,
                         completed=sessions.get(self.db, sid).completed_operations))

    # --- events ---------------------------------------------------------------------------------
    def _progress(self, sid: str, unit: Unit, seq: int, fraction: float) -> None:
        now = time.monotonic()
        if now - self._last_progress.get(seq, 0.0) < PROGRESS_INTERVAL_S and fraction < 1.0:
            return
        self._last_progress[seq] = now
        sessions.set_progress(self.db, sid, seq, max(0.0, min(1.0, fraction)))
        self._emit(Event(type="unit_progress", session_id=sid, op=unit.op, unit=unit.name, seq=seq,
                         progress=round(fraction, 4)))

    def _emit(self, event: Event) -> None:
        with self._emit_lock:
            self.listener(event)

    def _discard(self, job: Job) -> None:
        """Forget a session that wrote nothing: the user fixes the input and starts again (the
        detection stays in the ingest cache), and `resume` never offers a job that cannot run."""
        sessions.delete(self.db, job.session_id)
        try:
            job.archive.rmdir()  # only when still empty
        except OSError:
            pass

    def _fail(self, job: Job, reason: str, warnings: list[str]) -> Outcome:
        sessions.reset_unfinished(self.db, job.session_id)
        sessions.set_status(self.db, job.session_id, "failed", error_message=reason)
        return self._finish(job, "failed", reason, warnings)

    def _finish(self, job: Job, status: str, error: str | None, warnings: list[str]) -> Outcome:
        # The session's processing time is the wall time of its runs, not the time it sat paused
        # or crashed between them.
        if sessions.exists(self.db, job.session_id):
            meta = dict(job.session().process_metadata or {})
            meta["run_seconds"] = meta.get("run_seconds", 0.0) + time.monotonic() - self._run_started
            sessions.update(self.db, job.session_id, process_metadata=meta)
            if status == "completed":
                db_history.record(self.db, history_record(self.db, job))
        ops = sessions.operations(self.db, job.session_id)
        outcome = Outcome(
            session_id=job.session_id, status=status, archive_path=str(job.archive),
            completed=sum(op.status in ("completed", "skipped") for op in ops), total=len(ops),
            failed=[f"{op.operation_name}: {_first_line(op.error_details)}" for op in ops
                    if op.status == "failed"],
            warnings=warnings + [w for op in ops for w in (op.warning_messages or [])], error=error)
        self._emit(Event(type="session_finished", session_id=job.session_id, status=status,
                         completed=outcome.completed, total=outcome.total, message=error,
                         archive_path=str(job.archive)))
        return outcome


def _runner_alive(meta: dict) -> bool:
    """Whether the process recorded as running the session still exists (the same process: a
    reused pid has another start time)."""
    runner = meta.get("runner") or {}
    try:
        return psutil.Process(runner["pid"]).create_time() == runner["started"]
    except (KeyError, psutil.Error):
        return False


def _planned(unit: Unit) -> PlannedOperation:
    return PlannedOperation(operation_type=unit.op, operation_name=unit.name, input_file=unit.input_file,
                            settings_used={"stage": unit.stage, "outputs": unit.outputs,
                                           "params": unit.params})


def _first_line(detail: str | None) -> str:
    lines = (detail or "").strip().splitlines()
    return lines[0] if lines else "unknown error"


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return f"the disk is full ({exc.filename or 'output'}): free space, then resume"
    return f"{exc.strerror or exc} ({exc.filename})" if exc.filename else str(exc)


def _mb(value: float | None) -> int | None:
    return None if value is None else int(round(value))
