"""Open archive: an archive's OpenTimelineIO file back as strips of its master on a new channel,
one per scene, coloured by group, muted where the scene was not exported."""

from __future__ import annotations

import bpy
from bpy.props import StringProperty

from . import otio_read, strips


class VA_OT_open_archive(bpy.types.Operator):
    """Load an archive's scenes (its edit/*.otio) as strips of its master on a new channel"""
    bl_idname = "video_archive.open_archive"
    bl_label = "Open Archive"
    bl_options = {"REGISTER", "UNDO"}

    filepath: StringProperty(name="Archive", subtype="FILE_PATH",
                             description="The archive folder or its .otio file")
    filter_glob: StringProperty(default="*.otio", options={"HIDDEN"})

    @classmethod
    def poll(cls, context):
        return context.scene is not None

    def invoke(self, context, event):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        try:
            timeline = otio_read.read(bpy.path.abspath(self.filepath))
        except (OSError, ValueError) as exc:
            self.report({"ERROR"}, f"Cannot open the archive: {exc}")
            return {"CANCELLED"}
        if not timeline.master.is_file():
            self.report({"ERROR"}, f"The archive's master is missing: {timeline.master}")
            return {"CANCELLED"}
        scene = context.scene
        ed = strips.editor(scene, create=True)
        channel = max((s.channel for s in strips.all_strips(ed)), default=0) + 1
        if channel > 128:
            self.report({"ERROR"}, "No free channel above the strips")
            return {"CANCELLED"}
        base = scene.frame_start
        whole = strips.top_level(ed).new_movie(name=timeline.master.name, filepath=str(timeline.master),
                                               channel=channel, frame_start=base)
        rate = strips.movie_rate(whole)
        cuts = sorted({round(s.start_s * rate) for s in timeline.scenes})
        first, after = cuts[0], round(timeline.scenes[-1].end_s * rate)
        whole.frame_final_end = base + max(after, first + 1)
        whole.frame_final_start = base + first
        pieces = [whole]
        for frame in cuts[1:]:
            pieces = strips.split_at(pieces, base + frame)
        pieces.sort(key=lambda p: p.frame_final_start)
        slots = _group_slots(scene.video_archive, [s.group for s in timeline.scenes if s.group])
        for piece, info in zip(pieces, timeline.scenes):
            piece.name = info.name or piece.name
            piece.mute = not info.exported
            if info.group in slots:
                piece.color_tag = strips.COLOR_TAGS[slots[info.group] - 1]
        self.report({"INFO"}, f"{len(pieces)} scenes of {timeline.master.name} on channel {channel}")
        return {"FINISHED"}


def _group_slots(settings, groups: list[str]) -> dict[str, int]:
    """Group name -> 1-9: the slot already named so, else the first slot still named "Group N"
    (which is then named after the group); a tenth group and beyond get no colour."""
    names = strips.group_names(settings)
    slots = {}
    for group in dict.fromkeys(groups):
        if group in names:
            slots[group] = names.index(group) + 1
            continue
        free = next((n for n in range(1, 10) if names[n - 1] == f"Group {n}"
                     and n not in slots.values()), None)
        if free is not None:
            setattr(settings, f"group_{free}", group)
            names[free - 1] = group
            slots[group] = free
    return slots
