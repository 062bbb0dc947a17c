"""Runs under .venv-blender's Python (Blender as a module), headless: loads the add-on from
blender/, plays one scenario and prints its findings as JSON on the last stdout line.
Usage: python blender_driver.py SCENARIO JSON_ARGS (see the scenario functions below)."""

import importlib.util
import json
import sys
from pathlib import Path

import bpy

ADDON = Path(__file__).resolve().parent.parent / "blender"
reports: list[str] = []


def load_addon():
    spec = importlib.util.spec_from_file_location("video_archive", ADDON / "__init__.py",
                                                  submodule_search_locations=[str(ADDON)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["video_archive"] = module
    spec.loader.exec_module(module)
    return module


def strip_rows(ed):
    return sorted(({"name": s.name, "type": s.type, "channel": s.channel, "start": s.frame_final_start,
                    "end": s.frame_final_end, "frame_start": s.frame_start, "mute": s.mute,
                    "color_tag": s.color_tag, "fps": getattr(s, "fps", None)}
                   for s in ed.strips_all), key=lambda r: (r["channel"], r["start"]))


def add_master(master: str, audio: bool):
    """The master as Add Movie lays it: scene rate = the movie's, a sound strip above it."""
    scene = bpy.context.scene
    ed = scene.sequence_editor_create()
    movie = ed.strips.new_movie(name=Path(master).name, filepath=master, channel=1, frame_start=1)
    rate = movie.fps
    scene.render.fps, scene.render.fps_base = (round(rate), 1.0) if abs(rate - round(rate)) < 1e-3 \
        else (round(rate * 1.001), 1.001)
    if audio:
        ed.strips.new_sound(name=Path(master).name + " audio", filepath=master, channel=2, frame_start=1)
    ed.active_strip = movie
    return ed


def op(call, **kwargs):
    """The operator's result; an ERROR report (bpy raises it) as ["ERROR", message]."""
    try:
        return sorted(call(**kwargs))
    except RuntimeError as exc:
        return ["ERROR", str(exc)]


def detect(args):
    ed = add_master(args["master"], args.get("audio", False))
    out = {"result": op(bpy.ops.video_archive.detect_scenes, **args.get("props", {}))}
    out["strips"] = strip_rows(ed)
    return out


def archive(args):
    """Detect, put scenes 2 and 3 in group 2 (named), mute scene 4, Archive…, Open archive."""
    ed = add_master(args["master"], False)
    bpy.ops.video_archive.detect_scenes()
    movies = sorted((s for s in ed.strips_all if s.type == "MOVIE"), key=lambda s: s.frame_final_start)
    settings = bpy.context.scene.video_archive
    settings.group_mode = args.get("group_mode", "COLOR")
    settings.group_2 = "loop"
    for s in ed.strips_all:
        s.select = False
    movies[1].select = movies[2].select = True
    grouped = op(bpy.ops.video_archive.group, group=2)
    movies[3].mute = True
    before = strip_rows(ed)
    archived = op(bpy.ops.video_archive.archive, artwork="Blue Hour", date="24-03-15",
                  out=args["out"], preset="preview_small")
    opened = op(bpy.ops.video_archive.open_archive, filepath=settings.archive_path)
    return {"grouped": grouped, "archived": archived, "opened": opened, "before": before,
            "after": strip_rows(ed), "status": settings.status, "archive_path": settings.archive_path,
            "message": settings.message}


def no_app(args):
    add_master(args["master"], False)
    return {"result": op(bpy.ops.video_archive.detect_scenes)}


def snapshot():
    wm = bpy.context.window_manager
    return {
        "handlers": {name: len(getattr(bpy.app.handlers, name)) for name in dir(bpy.app.handlers)
                     if not name.startswith("_") and isinstance(getattr(bpy.app.handlers, name), list)},
        "scene_props": sorted(bpy.types.Scene.bl_rna.properties.keys()),
        "operators": sorted(dir(bpy.ops.video_archive)),
        "types": sorted(t for t in dir(bpy.types) if t.startswith("VA_")),
        "strip_menu": len(getattr(bpy.types.SEQUENCER_MT_strip.draw, "_draw_funcs", [])),
        "keymaps": sum(len(km.keymap_items) for km in wm.keyconfigs.addon.keymaps)
        if wm.keyconfigs.addon else 0,
    }


SCENARIOS = {"detect": detect, "archive": archive, "no_app": no_app}


def main():
    name, args = sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    before = snapshot()
    addon = load_addon()
    addon.register()
    registered = snapshot()
    out = SCENARIOS[name](args) if name in SCENARIOS else {}
    addon.unregister()
    out.update(before=before, registered=registered, after=snapshot()) if name == "register" \
        else out.update(before_register=before, after_unregister=snapshot())
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
