"""The sequencer's strips of a master: finding them, their sound, splitting, and where a time of
the master falls on the timeline. Blender 4.2-4.3 call strips `sequences`; 4.4+ `strips`."""

from __future__ import annotations

import os

import bpy

COLOR_TAGS = [f"COLOR_0{n}" for n in range(1, 10)]  # group n is colour tag n


def editor(scene, create: bool = False):
    if scene.sequence_editor is None and create:
        scene.sequence_editor_create()
    return scene.sequence_editor


def top_level(ed):
    return ed.strips if hasattr(ed, "strips") else ed.sequences


def all_strips(ed):
    return ed.strips_all if hasattr(ed, "strips_all") else ed.sequences_all


def active_movie(context):
    ed = editor(context.scene)
    strip = ed.active_strip if ed else None
    return strip if strip is not None and strip.type == "MOVIE" else None


def real_path(path: str) -> str:
    return os.path.normcase(os.path.realpath(bpy.path.abspath(path)))


def movie_rate(strip) -> float:
    """Content frames per second: Blender shows one movie frame per timeline frame, counted at
    the movie's own rate (the stream's base rate, also on a variable-frame-rate file)."""
    return float(strip.fps)


def master_strips(scene, master: str) -> list:
    ed = editor(scene)
    if ed is None:
        return []
    want = real_path(master)
    return sorted((s for s in all_strips(ed) if s.type == "MOVIE" and real_path(s.filepath) == want),
                  key=lambda s: (s.frame_final_start, s.channel))


def sound_partners(scene, movie) -> list:
    """The sound strips of the same file laid at the same place (what Add Movie makes)."""
    ed = editor(scene)
    want = real_path(movie.filepath)
    return [s for s in all_strips(ed) if s.type == "SOUND" and s.sound is not None
            and real_path(s.sound.filepath) == want and s.frame_start == movie.frame_start
            and s.frame_final_start < movie.frame_final_end and movie.frame_final_start < s.frame_final_end]


def content_range(strip) -> tuple[int, int]:
    """The content frames a movie strip shows: [first, after)."""
    base = round(strip.frame_start)
    return strip.frame_final_start - base, strip.frame_final_end - base


def split_at(strips: list, frame: int) -> list:
    """Split whichever of `strips` spans `frame`; returns the strips with the right parts added."""
    out = list(strips)
    for strip in strips:
        if strip.frame_final_start < frame < strip.frame_final_end:
            right = strip.split(frame=frame, split_method="SOFT")
            if right is not None:
                out.append(right)
    return out


def group_names(settings) -> list[str]:
    return [getattr(settings, f"group_{n}") for n in range(1, 10)]


def group_index(strip, settings) -> int:
    """1-9: the group a strip is in by its colour tag or its channel (the scene's group mode); 0: none."""
    if settings.group_mode == "CHANNEL":
        index = strip.channel - settings.group_channel + 1
        return index if 1 <= index <= 9 else 0
    tag = getattr(strip, "color_tag", "NONE")
    return COLOR_TAGS.index(tag) + 1 if tag in COLOR_TAGS else 0


def group_of(strip, settings) -> str:
    index = group_index(strip, settings)
    return group_names(settings)[index - 1].strip() if index else ""
