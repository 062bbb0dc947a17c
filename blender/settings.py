"""The add-on's preferences (where the app is) and the per-scene settings the panel shows."""

from __future__ import annotations

import bpy
from bpy.props import EnumProperty, IntProperty, StringProperty

from . import app_cli


class VA_Preferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    app_path: StringProperty(
        name="video-archive command", subtype="FILE_PATH",
        description="The installed app's video-archive program; empty: video-archive on PATH, "
                    "else the installed app's usual place")

    def draw(self, context):
        self.layout.prop(self, "app_path")
        app = app_cli.find_app(self.app_path)
        self.layout.label(text=f"Using {app}" if app else app_cli.INSTALL_HINT,
                          icon="CHECKMARK" if app else "ERROR")


def app_preference(context) -> str:
    addon = context.preferences.addons.get(__package__)
    return addon.preferences.app_path if addon is not None and addon.preferences else ""


def require_app(context):
    return app_cli.require_app(app_preference(context))


def _group_name(n: int):
    return StringProperty(name=f"Group {n}", default=f"Group {n}",
                          description=f"Name of group {n}: the folder its clips go to")


class VA_SceneSettings(bpy.types.PropertyGroup):
    group_mode: EnumProperty(
        name="Groups by", default="COLOR",
        items=[("COLOR", "Colour tag", "A strip's colour tag 1-9 is its group"),
               ("CHANNEL", "Channel", "A strip's channel is its group: group 1 on the first "
                                      "group channel, group 2 above it, ...")])
    group_channel: IntProperty(name="First group channel", default=10, min=1, max=120)
    group_1: _group_name(1)
    group_2: _group_name(2)
    group_3: _group_name(3)
    group_4: _group_name(4)
    group_5: _group_name(5)
    group_6: _group_name(6)
    group_7: _group_name(7)
    group_8: _group_name(8)
    group_9: _group_name(9)
    # the last Archive… run, for the panel's report and Resume
    session_id: StringProperty(name="Session")
    status: StringProperty(name="Status")
    archive_path: StringProperty(name="Archive", subtype="DIR_PATH")
    message: StringProperty(name="Message")


CLASSES = (VA_Preferences, VA_SceneSettings)


def register() -> None:
    bpy.types.Scene.video_archive = bpy.props.PointerProperty(type=VA_SceneSettings)


def unregister() -> None:
    del bpy.types.Scene.video_archive
