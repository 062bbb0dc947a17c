"""`video-archive presets list | show | create | update | import | export | delete | default`:
thin wrappers over backend.jobs.preset_catalog."""

import sys

from backend.cli.context import print_table
from backend.jobs import own_files
from backend.jobs import preset_catalog as catalog
from backend.presets.model import parse_assignments, to_dict, to_json

_SET_HELP = ("change one setting, GROUP.FIELD=VALUE (groups: stills_hq, stills_web, video, "
             "thumbnail, advanced), e.g. video.crf=20; repeatable")


def register(sub) -> None:
    parser = sub.add_parser("presets", help="compression presets: built-in and your own")
    actions = parser.add_subparsers(dest="presets_action", metavar="ACTION", required=True)

    actions.add_parser("list", help="every preset, the default first").set_defaults(func=list_presets)

    p = actions.add_parser("show", help="a preset's settings as JSON (the format import reads)")
    p.add_argument("preset_id", metavar="ID")
    p.set_defaults(func=show)

    p = actions.add_parser("create", help="a new preset from a base preset and changes")
    p.add_argument("preset_id", metavar="ID", help="lowercase letters, digits, '-' and '_'")
    p.add_argument("--name", required=True)
    p.add_argument("--base", default=catalog.DEFAULT_PRESET_ID, metavar="ID",
                   help=f"preset to start from (default {catalog.DEFAULT_PRESET_ID})")
    p.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
                   help=_SET_HELP)
    p.add_argument("--description", default="")
    p.set_defaults(func=create)

    p = actions.add_parser("update", help="change one of your presets")
    p.add_argument("preset_id", metavar="ID")
    p.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
                   help=_SET_HELP)
    p.add_argument("--name")
    p.add_argument("--description")
    p.set_defaults(func=update)

    p = actions.add_parser("import", help="add a preset from a JSON file")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--id", dest="preset_id", metavar="ID", help="store it under this id instead")
    p.add_argument("--replace", action="store_true", help="overwrite your preset of the same id")
    p.set_defaults(func=import_preset)

    p = actions.add_parser("export", help="write a preset to a JSON file")
    p.add_argument("preset_id", metavar="ID")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    p.set_defaults(func=export_preset)

    p = actions.add_parser("delete", help="delete one of your presets")
    p.add_argument("preset_id", metavar="ID")
    p.set_defaults(func=delete)

    p = actions.add_parser("default", help="show the default preset, or make ID the default")
    p.add_argument("preset_id", metavar="ID", nargs="?")
    p.set_defaults(func=default)


def list_presets(args, ctx) -> int:
    items = catalog.all_presets(ctx.db())

    def human(rows):
        print_table([{"default": "*" if r.is_default else "", "id": r.id, "name": r.name,
                      "source": r.source, "base": r.base_preset or "",
                      "used": "" if r.usage_count is None else r.usage_count,
                      "last used": r.last_used_at or ""} for r in rows])

    ctx.emit(items, human)
    return 0


def show(args, ctx) -> int:
    preset = catalog.resolve(ctx.db(), args.preset_id)
    ctx.emit(to_dict(preset), lambda _: sys.stdout.write(to_json(preset).decode()))
    return 0


def create(args, ctx) -> int:
    preset = catalog.create(ctx.db(), args.preset_id, args.name, base=args.base,
                             overrides=parse_assignments(args.assignments),
                             description=args.description)
    ctx.emit(to_dict(preset), lambda _: print(f"created preset {preset.id} (based on {args.base})"))
    return 0


def update(args, ctx) -> int:
    preset = catalog.update(ctx.db(), args.preset_id,
                             overrides=parse_assignments(args.assignments), name=args.name,
                             description=args.description)
    ctx.emit(to_dict(preset), lambda _: print(f"updated preset {preset.id}"))
    return 0


def import_preset(args, ctx) -> int:
    preset = catalog.import_file(ctx.db(), args.file, preset_id=args.preset_id,
                                  replace=args.replace)
    ctx.emit(to_dict(preset), lambda _: print(f"imported preset {preset.id} from {args.file}"))
    return 0


def export_preset(args, ctx) -> int:
    own_files.refuse_own_file(ctx.db(), args.file, "file")
    path = catalog.export_file(ctx.db(), args.preset_id, args.file, overwrite=args.force)
    ctx.emit({"id": args.preset_id, "path": str(path)},
             lambda d: print(f"exported preset {d['id']} to {d['path']}"))
    return 0


def delete(args, ctx) -> int:
    new_default = catalog.delete(ctx.db(), args.preset_id)

    def human(d):
        print(f"deleted preset {d['id']}")
        if d["new_default"]:
            print(f"the default preset is now {d['new_default']}")

    ctx.emit({"id": args.preset_id, "deleted": True, "new_default": new_default}, human)
    return 0


def default(args, ctx) -> int:
    db = ctx.db()
    if args.preset_id:
        catalog.set_default(db, args.preset_id)
    ctx.emit({"default_preset": catalog.default_id(db)}, lambda d: print(d["default_preset"]))
    return 0
