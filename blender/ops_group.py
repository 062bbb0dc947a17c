"""Group: the selected strips (and their sound) join group 1-9 by colour tag or channel; 0 clears."""

from __future__ import annotations

import bpy
from bpy.props import IntProperty

from . import strips


class VA_OT_group(bpy.types.Operator):
    """Put the selected strips in a group (its colour tag or channel); 0 takes them out"""
    bl_idname = "video_archive.group"
    bl_label = "Group Scenes"
    bl_options = {"REGISTER", "UNDO"}

    group: IntProperty(name="Group", default=1, min=0, max=9,
                       description="1-9: the group; 0: no group")

    @classmethod
    def poll(cls, context):
        ed = strips.editor(context.scene) if context.scene else None
        return ed is not None and any(s.select for s in strips.all_strips(ed))

    def execute(self, context):
        settings = context.scene.video_archive
        chosen = [s for s in strips.all_strips(strips.editor(context.scene)) if s.select]
        for strip in chosen:
            if settings.group_mode == "CHANNEL":
                # group 0 leaves a strip where it is: only the colour tags have a "none"
                if self.group:
                    strip.channel = settings.group_channel + self.group - 1
            else:
                strip.color_tag = strips.COLOR_TAGS[self.group - 1] if self.group else "NONE"
        name = strips.group_names(settings)[self.group - 1] if self.group else "no group"
        self.report({"INFO"}, f"{len(chosen)} strips: {name}")
        return {"FINISHED"}
