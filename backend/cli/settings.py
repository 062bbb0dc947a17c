"""`video-archive settings list | get KEY | set KEY VALUE`: the typed app settings."""

import json

from backend.cli.context import print_table
from backend.db import settings


def register(sub) -> None:
    parser = sub.add_parser("settings", help="show and change application settings")
    actions = parser.add_subparsers(dest="settings_action", metavar="ACTION", required=True)
    actions.add_parser("list", help="every setting with its type and value").set_defaults(
        func=list_settings)
    p = actions.add_parser("get", help="one setting's value")
    p.add_argument("key", metavar="KEY")
    p.set_defaults(func=get)
    p = actions.add_parser("set", help="change a setting (the value is checked against its type)")
    p.add_argument("key", metavar="KEY")
    p.add_argument("value", metavar="VALUE", help="true/false for booleans, JSON for json settings")
    p.set_defaults(func=set_value)


def _shown(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def list_settings(args, ctx) -> int:
    items = settings.list_settings(ctx.db())

    def human(rows):
        print_table([{"key": s.key, "value": _shown(s.value) if not s.error else f"{s.value!r} (malformed)",
                      "type": s.value_type, "category": s.category or "",
                      "description": s.description or ""} for s in rows])

    ctx.emit(items, human)
    return 0


def _one(db, key, value) -> dict:
    row = next(s for s in settings.list_settings(db) if s.key == key)
    return {"key": key, "value": value, "value_type": row.value_type}


def get(args, ctx) -> int:
    db = ctx.db()
    value = settings.get(db, args.key)
    ctx.emit(_one(db, args.key, value), lambda d: print(_shown(d["value"])))
    return 0


def set_value(args, ctx) -> int:
    db = ctx.db()
    value = settings.set_text(db, args.key, args.value)
    ctx.emit(_one(db, args.key, value), lambda d: print(f"{d['key']} = {_shown(d['value'])}"))
    return 0
