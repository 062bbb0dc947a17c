"""Runs under .venv-blender's Python (Blender as a module), headless: installs the add-on's zip
as Blender's Install from Disk does, plays one scenario and prints its findings as JSON on the last stdout line.
Usage: python blender_driver.py SCENARIO JSON_ARGS ({"zip": ..., "app": video-archive, ...})."""

import json
import tempfile
import sys
from pathlib import Path

import bpy

MODULE = "bl_ext.user_default.video_archive"  # where Install from Disk puts it


def install(zip_path: str, app: str):
    """Preferences > Get Extensions > Install from Disk, with the app's path in its preferences.
    BLENDER_USER_RESOURCES (set by the test) keeps the user repository in a temporary folder."""
    result = bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default",
                                                      enable_on_install=True)
    assert result == {"FINISHED"}, result
    bpy.context.preferences.addons[MODULE].preferences.app_path = app


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
    sequenced = strip_rows(ed)
    archived = op(bpy.ops.video_archive.archive, artwork="Blue Hour", date="24-03-15",
                  out=args["out"], preset="preview_small")
    opened = op(bpy.ops.video_archive.open_archive, filepath=settings.archive_path)
    return {"grouped": grouped, "archived": archived, "opened": opened, "sequenced": sequenced,
            "strips": strip_rows(ed), "status": settings.status, "archive_path": settings.archive_path,
            "message": settings.message}


def plan(args):
    """Detect, group scenes 2-3 as "loop" (colour tag or channel), mute scene 4: what Archive…
    would send to `process`."""
    ed = add_master(args["master"], False)
    bpy.ops.video_archive.detect_scenes()
    movies = sorted((s for s in ed.strips_all if s.type == "MOVIE"), key=lambda s: s.frame_final_start)
    settings = bpy.context.scene.video_archive
    settings.group_mode = args["group_mode"]
    settings.group_2 = "loop"
    for s in ed.strips_all:
        s.select = s in movies[1:3]
    grouped = op(bpy.ops.video_archive.group, group=2)
    movies[3].mute = True
    made, rate = sys.modules[MODULE + ".ops_archive"].sequencer_plan(bpy.context.scene, args["master"])
    return {"grouped": grouped, "edges": made.edges, "scenes": made.scenes_spec(), "groups": made.groups,
            "csv": made.cuts_csv(rate), "strips": strip_rows(ed)}


class Layout:
    """Stands in for a UI layout (a headless bpy draws no window): records what a panel shows."""

    def __init__(self, shown):
        self.shown = shown

    def label(self, text="", **_):
        self.shown.append(text)

    def operator(self, idname, text="", **_):
        self.shown.append(f"[{text or idname}]")
        return type("Props", (), {})()

    def prop(self, data, name, text=None, **_):
        self.shown.append(f"{name}={getattr(data, name)}")

    def box(self, *_, **__):
        return self

    row = grid_flow = column = box

    def separator(self, *_, **__):
        pass


def panel(args):
    """The sidebar panel's lines with the app's path as set, then with a path that is no app."""
    add_master(args["master"], False)
    draw = sys.modules[MODULE + ".ui"].VA_PT_panel.draw
    prefs = bpy.context.preferences.addons[MODULE].preferences
    shown = {}
    for case, path in (("app", prefs.app_path), ("missing", "/nonexistent/video-archive")):
        prefs.app_path = path
        lines = []
        draw(type("Panel", (), {"layout": Layout(lines)})(), bpy.context)
        shown[case] = lines
    return shown


def bad_date(args):
    add_master(args["master"], False)
    return {"result": op(bpy.ops.video_archive.archive, artwork="Blue Hour", date="2024-02-30",
                         out=args["out"])}


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
        "addons": sorted(a.module for a in bpy.context.preferences.addons if "video_archive" in a.module),
        "strip_menu": [f.__module__ for f in getattr(bpy.types.SEQUENCER_MT_strip.draw, "_draw_funcs", [])
                       if f.__module__.startswith(MODULE)],
        "group_keys": sorted([i.type, i.properties.group] for km in wm.keyconfigs.addon.keymaps
                             for i in km.keymap_items if i.idname == "video_archive.group"),
        "keymaps": sum(len(km.keymap_items) for km in wm.keyconfigs.addon.keymaps)
        if wm.keyconfigs.addon else 0,
    }


def screenshot(args):
    """docs/blender.md's picture, rendered by Blender: the sequencer's output at the middle of
    each scene after Detect scenes, Group (scenes 2-3 as "loop") and a mute on scene 4, each
    frame captioned by a text strip with what the panel shows for it; tiled 2x2 into one PNG."""
    import numpy as np

    scene = bpy.context.scene
    ed = add_master(args["master"], False)
    bpy.ops.video_archive.detect_scenes()
    movies = sorted((s for s in ed.strips_all if s.type == "MOVIE"), key=lambda s: s.frame_final_start)
    scene.video_archive.group_2 = "loop"
    for s in ed.strips_all:
        s.select = s in movies[1:3]
    bpy.ops.video_archive.group(group=2)
    movies[3].mute = True
    scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = 1280, 720, 50
    scene.render.image_settings.file_format = "PNG"
    tiles = []
    for number, strip in enumerate(movies, 1):
        group = bpy.context.scene.video_archive.group_2 if strip.color_tag == "COLOR_02" else "no group"
        text = ed.strips.new_effect(name=f"caption {number}", type="TEXT", channel=5,
                                    frame_start=strip.frame_final_start, length=strip.frame_final_duration)
        text.text = f"{strip.name}  |  {group}  |  {'muted: not archived' if strip.mute else 'archived'}"
        text.font_size, text.location, text.use_box = 40, (0.5, 0.08), True
        strip.mute = False  # show the picture; the caption says it is muted
        scene.frame_set((strip.frame_final_start + strip.frame_final_end) // 2)
        scene.render.filepath = str(Path(tempfile.mkdtemp()) / f"{number}.png")
        bpy.ops.render.render(write_still=True)
        image = bpy.data.images.load(scene.render.filepath)
        w, h = image.size
        tiles.append(np.array(image.pixels[:], dtype=np.float32).reshape(h, w, 4))
    h, w = tiles[0].shape[:2]
    sheet = np.ones((2 * h + 8, 2 * w + 8, 4), dtype=np.float32)
    for index, tile in enumerate(tiles[:4]):
        row, col = divmod(index, 2)
        y = (1 - row) * (h + 8)  # Blender's pixels start at the bottom row
        sheet[y:y + h, col * (w + 8):col * (w + 8) + w] = tile
    out = bpy.data.images.new("sheet", sheet.shape[1], sheet.shape[0], alpha=True)
    out.pixels = sheet.ravel()
    out.filepath_raw = args["out"]
    out.file_format = "JPEG" if args["out"].endswith(".jpg") else "PNG"
    out.save()
    return {"tiles": len(tiles), "size": [sheet.shape[1], sheet.shape[0]]}


SCENARIOS = {"screenshot": screenshot, "bad_date": bad_date, "plan": plan, "panel": panel, "detect": detect, "archive": archive, "no_app": no_app}


def main():
    name, args = sys.argv[1], json.loads(sys.argv[2])
    before = snapshot()
    install(args["zip"], args.get("app", ""))
    registered = snapshot()
    out = SCENARIOS[name](args) if name in SCENARIOS else {}
    bpy.ops.preferences.addon_disable(module=MODULE)  # the add-on's unregister()
    out.update(before=before, registered=registered, after=snapshot())
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
