"""Video Archive for Blender's Video Sequencer: detect a master's scenes (split its strip and
sound, or mark them), group them by colour tag or channel, archive them with the installed
Video Archive app, and open an archive's scenes back as strips.

The app does the work: this add-on runs its `video-archive` command and reads its JSON lines,
so nothing of the app's Python is imported into Blender's."""

from __future__ import annotations

import bpy

from . import ops_archive, ops_detect, ops_group, ops_open, settings, ui

CLASSES = (*settings.CLASSES, ops_detect.VA_OT_detect_scenes, ops_group.VA_OT_group,
           ops_archive.VA_OT_archive, ops_archive.VA_OT_archive_resume,
           ops_archive.VA_OT_archive_pause, ops_open.VA_OT_open_archive, ui.VA_PT_panel)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    settings.register()
    bpy.types.SEQUENCER_MT_strip.append(ui.menu_draw)
    ui.register_keys()


def unregister() -> None:
    ui.unregister_keys()
    bpy.types.SEQUENCER_MT_strip.remove(ui.menu_draw)
    settings.unregister()
    for job in list(ops_archive._running):
        job.pause()  # a running archive stops cleanly and stays resumable
    ops_archive._running.clear()
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
