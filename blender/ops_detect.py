"""Detect scenes: the app's scene detection (PySceneDetect's cuts, to the frame) on the active
movie strip, then the strip and its sound split at the cuts, or a marker at each."""

from __future__ import annotations

import bpy
from bpy.props import EnumProperty, FloatProperty, IntProperty

from . import app_cli, cut_plan, settings, strips


class VA_OT_detect_scenes(bpy.types.Operator):
    """Find the scenes of the active movie strip's file with the Video Archive app and split the
    strip (and its sound) at each cut, or mark the cuts"""
    bl_idname = "video_archive.detect_scenes"
    bl_label = "Detect Scenes"
    bl_options = {"REGISTER", "UNDO"}

    threshold: FloatProperty(name="Threshold", default=30.0, min=0.1, max=255.0,
                             description="Content threshold, as PySceneDetect's -t: lower finds more cuts")
    min_scene_len: IntProperty(name="Minimum Length", default=15, min=1, max=100000,
                               description="Shortest scene in frames, as PySceneDetect's -m")
    action: EnumProperty(name="Result", default="SPLIT",
                         items=[("SPLIT", "Split Strips", "Split the strip and its sound strip at every cut"),
                                ("MARKERS", "Add Markers", "A timeline marker at every scene start")])

    _job = None
    _timer = None

    @classmethod
    def poll(cls, context):
        return context.scene is not None and strips.active_movie(context) is not None

    def _args(self, strip) -> list[str]:
        return ["detect", "--no-proxy", "--progress", "--threshold", f"{self.threshold:g}",
                "--min-scene-len", str(self.min_scene_len), strips.real_path(strip.filepath)]

    def execute(self, context):
        """The synchronous path: background mode, scripts, and the redo panel."""
        strip = strips.active_movie(context)
        try:
            result = app_cli.run_json(settings.require_app(context), self._args(strip))
        except app_cli.AppError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        return self._apply(context, strip, result)

    def invoke(self, context, event):
        if bpy.app.background or context.window is None:
            return self.execute(context)
        try:
            self._job = app_cli.Job(settings.require_app(context),
                                    self._args(strips.active_movie(context)))
        except (app_cli.AppError, OSError) as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self._result = None
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.2, window=context.window)
        wm.progress_begin(0, 1000)
        context.workspace.status_text_set("Detecting scenes… Esc cancels")
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        if event.type == "ESC":
            self._job.stop()
            self._end(context)
            self.report({"INFO"}, "Scene detection cancelled: nothing changed")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        for stream, item in self._job.events():
            if stream == "err" and item.get("type") == "progress" and item.get("frames_total"):
                done, total = item["frames_done"], item["frames_total"]
                context.window_manager.progress_update(int(1000 * done / total))
                context.workspace.status_text_set(
                    f"Detecting scenes: {done}/{total} frames… Esc cancels")
            elif stream == "out":
                self._result = item
        if not self._job.finished():
            return {"RUNNING_MODAL"}
        self._end(context)
        strip = strips.active_movie(context)
        if self._job.proc.returncode != 0 or self._result is None or strip is None:
            self.report({"ERROR"}, f"Scene detection failed: {self._job.error()}")
            return {"CANCELLED"}
        return self._apply(context, strip, self._result)

    def _end(self, context) -> None:
        wm = context.window_manager
        if self._timer is not None:
            wm.event_timer_remove(self._timer)
            self._timer = None
        wm.progress_end()
        context.workspace.status_text_set(None)

    def _apply(self, context, strip, result: dict):
        try:
            starts = [float(s["start_time"]) for s in result["scenes"]]
        except (KeyError, TypeError, ValueError):
            self.report({"ERROR"}, "The app's detect result has no scene list: update the app")
            return {"CANCELLED"}
        base = round(strip.frame_start)
        cuts = [base + f for f in cut_plan.cut_frames(starts, strips.movie_rate(strip),
                                                       strip.frame_duration)]
        inside = [f for f in cuts if strip.frame_final_start < f < strip.frame_final_end]
        if self.action == "MARKERS":
            markers = context.scene.timeline_markers
            for number, frame in enumerate([strip.frame_final_start] + inside, 1):
                markers.new(f"Scene {number:03d}", frame=frame)
        else:
            pieces = [strip] + strips.sound_partners(context.scene, strip)
            for frame in inside:
                pieces = strips.split_at(pieces, frame)
            movies = sorted((p for p in pieces if p.type == "MOVIE"), key=lambda p: p.frame_final_start)
            stem = bpy.path.display_name_from_filepath(strip.filepath)
            for number, piece in enumerate(movies, 1):
                piece.name = f"{stem} s{number:03d}"
        self.report({"INFO"}, f"{len(result['scenes'])} scenes, {len(inside)} cuts in the strip "
                              f"({'split' if self.action == 'SPLIT' else 'marked'})")
        return {"FINISHED"}
