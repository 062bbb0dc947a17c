"""The sidebar panel, the Strip menu entries and the 1-9 group keys: layout only."""

from __future__ import annotations

import bpy

from . import app_cli, ops_archive, settings, strips


class VA_PT_panel(bpy.types.Panel):
    bl_label = "Video Archive"
    bl_space_type = "SEQUENCE_EDITOR"
    bl_region_type = "UI"
    bl_category = "Archive"

    def draw(self, context):
        layout = self.layout
        app = app_cli.find_app(settings.app_preference(context))
        if app is None:
            box = layout.box()
            box.label(text="Video Archive app not found", icon="ERROR")
            for line in ("Install it: sudo apt install ./video-archive_*.deb",
                         "(or the Windows/macOS installer), or set the path",
                         "to video-archive in the add-on's preferences"):
                box.label(text=line)
        config = context.scene.video_archive
        strip = strips.active_movie(context)
        layout.label(text=f"Master: {bpy.path.basename(strip.filepath)}" if strip else
                     "Select a movie strip", icon="FILE_MOVIE")
        layout.operator("video_archive.detect_scenes", icon="SEQ_SEQUENCER")

        box = layout.box()
        box.label(text="Groups", icon="COLOR")
        box.prop(config, "group_mode")
        if config.group_mode == "CHANNEL":
            box.prop(config, "group_channel")
        grid = box.grid_flow(columns=1, align=True)
        for n in range(1, 10):
            row = grid.row(align=True)
            row.operator("video_archive.group", text=str(n),
                         icon=f"STRIP_COLOR_0{n}" if config.group_mode == "COLOR" else "NONE").group = n
            row.prop(config, f"group_{n}", text="")
        box.operator("video_archive.group", text="No Group", icon="X").group = 0

        box = layout.box()
        box.label(text="Archive", icon="FILE_FOLDER")
        row = box.row(align=True)
        row.operator("video_archive.archive", icon="EXPORT")
        row.operator("video_archive.open_archive", text="Open…", icon="IMPORT")
        if ops_archive.running_job() is not None:
            box.operator("video_archive.archive_pause", icon="PAUSE")
        elif config.session_id:
            box.label(text=f"Last: {config.status}")
            if config.archive_path:
                box.label(text=config.archive_path)
            if config.message:
                box.label(text=config.message, icon="ERROR")
            box.operator("video_archive.archive_resume", icon="PLAY")


def menu_draw(self, context):
    layout = self.layout
    layout.separator()
    layout.operator("video_archive.detect_scenes", icon="SEQ_SEQUENCER")
    layout.operator("video_archive.archive", icon="EXPORT")
    layout.operator("video_archive.open_archive", icon="IMPORT")


KEYS = ["ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE"]
_keymap_items: list = []


def _taken(key: str) -> bool:
    """Whether the Sequencer keymap in use (Blender's own, as the user changed it) has the bare
    key; then it stays Blender's."""
    user = bpy.context.window_manager.keyconfigs.user
    km = user.keymaps.get("Sequencer") if user else None
    return km is not None and any(i.type == key and i.value == "PRESS" and not
                                  (i.shift or i.ctrl or i.alt or i.oskey) for i in km.keymap_items)


def register_keys() -> None:
    addon = bpy.context.window_manager.keyconfigs.addon
    if addon is None:  # background mode has no key configurations
        return
    km = addon.keymaps.new(name="Sequencer", space_type="SEQUENCE_EDITOR")
    for number, key in enumerate(KEYS, 1):
        if not _taken(key):
            item = km.keymap_items.new("video_archive.group", type=key, value="PRESS")
            item.properties.group = number
            _keymap_items.append((km, item))


def unregister_keys() -> None:
    for km, item in _keymap_items:
        km.keymap_items.remove(item)
    _keymap_items.clear()
