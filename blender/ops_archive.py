"""Archive…: the app's `process` on the master with the cuts, selection and groups as the
sequencer shows them (strip edges = cuts, muted = not selected, colour tag or channel = group);
progress in the status bar, Esc or Pause stops it cleanly (Resume finishes it), and a report
with the archive's path. Resume runs the app's `resume` the same way."""

from __future__ import annotations

import datetime
import json
import shutil
import tempfile
from pathlib import Path

import bpy
from bpy.props import StringProperty

from . import app_cli, cut_plan, settings, strips

_running: list = []  # the one archive job of this Blender session, for Pause and the panel


def running_job():
    return _running[0] if _running and not _running[0].finished() else None


def sequencer_plan(scene, master: str) -> tuple[cut_plan.Plan, float]:
    """The plan for `master` from its strips, and the movie's rate (content frames a second)."""
    found = strips.master_strips(scene, master)
    if not found:
        raise ValueError("no strip of the master is in the sequencer")
    rate = strips.movie_rate(found[0])
    config = scene.video_archive
    pieces = [cut_plan.Piece(*strips.content_range(s), s.mute, strips.group_of(s, config))
              for s in found]
    return cut_plan.plan(pieces, found[0].frame_duration), rate


class _Run:
    """Runs a process-like app command to its outcome: in the background with a modal timer when
    Blender has a window, else synchronously."""

    _job = None
    _timer = None
    _lists = None  # the temporary folder of the cut and group lists, removed when done

    def run(self, context, args: list[str]):
        try:
            return self._run(context, args)
        finally:
            if self._job is None:
                self._drop_lists()

    def _drop_lists(self) -> None:
        if self._lists is not None:
            shutil.rmtree(self._lists, ignore_errors=True)
            self._lists = None

    def _run(self, context, args: list[str]):
        try:
            app = settings.require_app(context)
        except app_cli.AppError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        if running_job() is not None:
            self.report({"ERROR"}, "An archive is being made: pause it or wait for it")
            return {"CANCELLED"}
        if bpy.app.background or context.window is None:
            try:
                return self._finish(context, app_cli.run_json(app, args))
            except app_cli.AppError as exc:
                self.report({"ERROR"}, str(exc))
                return {"CANCELLED"}
        try:
            self._job = app_cli.Job(app, args)
        except OSError as exc:  # found but not runnable (a broken install, no permission)
            self.report({"ERROR"}, f"Cannot start {app}: {exc}")
            return {"CANCELLED"}
        _running[:] = [self._job]
        self._outcome = None
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.25, window=context.window)
        wm.progress_begin(0, 1000)
        context.workspace.status_text_set("Archiving… Esc pauses")
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        if event.type == "ESC" and event.value == "PRESS":
            self._job.pause()
            context.workspace.status_text_set("Archiving: pausing…")
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        for stream, item in self._job.events():
            if stream != "out":
                continue
            if "type" not in item:
                self._outcome = item  # the last line: the session's outcome
            elif item.get("total"):
                done = item.get("completed") or 0
                context.window_manager.progress_update(int(1000 * done / item["total"]))
                context.workspace.status_text_set(
                    f"Archiving: {done}/{item['total']} {item.get('unit') or ''}… Esc pauses")
            if "archive_path" in item:
                context.scene.video_archive.archive_path = item["archive_path"] or ""
        if not self._job.finished():
            return {"RUNNING_MODAL"}
        wm = context.window_manager
        wm.event_timer_remove(self._timer)
        wm.progress_end()
        context.workspace.status_text_set(None)
        _running.clear()
        self._drop_lists()
        if self._outcome is None:
            self.report({"ERROR"}, f"Archiving failed: {self._job.error()}")
            return {"CANCELLED"}
        return self._finish(context, self._outcome)

    def _finish(self, context, outcome: dict):
        config = context.scene.video_archive
        config.session_id = outcome.get("session_id") or ""
        config.status = outcome.get("status") or ""
        config.archive_path = outcome.get("archive_path") or ""
        config.message = outcome.get("error") or ""
        if config.status == "completed":
            self.report({"INFO"}, f"Archive made: {config.archive_path}")
        elif config.status == "paused":
            self.report({"WARNING"}, f"Archive paused: Resume finishes {config.archive_path}")
        else:
            self.report({"ERROR"}, f"Archive {config.status or 'failed'}: {config.message} "
                                   f"(Resume retries what failed)")
        return {"FINISHED"}


class VA_OT_archive(_Run, bpy.types.Operator):
    """Archive the active strip's master with the app: the cuts, unmuted strips and groups as
    the sequencer shows them"""
    bl_idname = "video_archive.archive"
    bl_label = "Archive…"
    bl_options = {"REGISTER"}

    artwork: StringProperty(name="Artwork", description="The artwork's name, in every file name")
    date: StringProperty(name="Date", description="The project's date, YY-MM-DD (or YYYY-MM-DD)")
    rd: StringProperty(name="R&D Folder", subtype="DIR_PATH",
                       description="Sketches, tests and renders to archive beside it (optional)")
    out: StringProperty(name="Output Folder", subtype="DIR_PATH",
                        description="The archive folder YY-MM-DD_Artwork is made in it")
    preset: StringProperty(name="Preset", description="A preset id (video-archive presets list); "
                                                      "empty: the app's default")

    @classmethod
    def poll(cls, context):
        return context.scene is not None and strips.active_movie(context) is not None

    def invoke(self, context, event):
        if not self.date:
            self.date = datetime.date.today().strftime("%y-%m-%d")
        if not self.artwork:
            self.artwork = bpy.path.display_name_from_filepath(strips.active_movie(context).filepath)
        return context.window_manager.invoke_props_dialog(self, width=420)

    def draw(self, context):
        for name in ("artwork", "date", "rd", "out", "preset"):
            self.layout.prop(self, name)

    def execute(self, context):
        master = strips.real_path(strips.active_movie(context).filepath)
        if not self.artwork.strip() or not self.out.strip():
            self.report({"ERROR"}, "Archive needs an artwork name and an output folder")
            return {"CANCELLED"}
        try:
            plan, rate = sequencer_plan(context.scene, master)
        except ValueError as exc:
            self.report({"ERROR"}, f"Nothing to archive: {exc}")
            return {"CANCELLED"}
        lists = self._lists = Path(tempfile.mkdtemp(prefix="video-archive-blender-"))
        (lists / "cuts.csv").write_text(plan.cuts_csv(rate), encoding="utf-8")
        args = ["process", master, "--artwork", self.artwork, "--date", self.date,
                "--out", bpy.path.abspath(self.out), "--cuts", str(lists / "cuts.csv"),
                "--scenes", plan.scenes_spec()]
        if plan.groups:
            (lists / "groups.json").write_text(json.dumps(plan.groups), encoding="utf-8")
            args += ["--groups", str(lists / "groups.json")]
        if self.rd.strip():
            args += ["--rd", bpy.path.abspath(self.rd)]
        if self.preset.strip():
            args += ["--preset", self.preset.strip()]
        return self.run(context, args)


class VA_OT_archive_resume(_Run, bpy.types.Operator):
    """Finish the last paused or failed archive (the app's resume)"""
    bl_idname = "video_archive.archive_resume"
    bl_label = "Resume Archive"
    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context):
        config = context.scene.video_archive if context.scene else None
        return config is not None and config.session_id and config.status in ("paused", "failed") \
            and running_job() is None

    def execute(self, context):
        return self.run(context, ["resume", context.scene.video_archive.session_id])


class VA_OT_archive_pause(bpy.types.Operator):
    """Stop the running archive cleanly; Resume finishes it"""
    bl_idname = "video_archive.archive_pause"
    bl_label = "Pause Archive"

    @classmethod
    def poll(cls, context):
        return running_job() is not None

    def execute(self, context):
        running_job().pause()
        return {"FINISHED"}
