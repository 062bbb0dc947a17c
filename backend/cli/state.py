"""Listing state: `sessions`, `history`, `stats` (the design's views) and `files SESSION`."""

from __future__ import annotations

import msgspec

from backend.cli.context import Context, print_table
from backend.db import files as db_files
from backend.db import history, sessions


def register(sub) -> None:
    s = sub.add_parser("sessions", help="sessions, newest first, and which can be resumed")
    s.add_argument("--limit", type=int, default=20)
    s.add_argument("--resumable", action="store_true", help="only sessions `resume` would offer")
    s.set_defaults(func=cmd_sessions)
    h = sub.add_parser("history", help="finished projects")
    h.add_argument("--limit", type=int, default=20)
    h.set_defaults(func=cmd_history)
    st = sub.add_parser("stats", help="statistics of the last 30 days")
    st.set_defaults(func=cmd_stats)
    f = sub.add_parser("files", help="the files a session created")
    f.add_argument("session", metavar="SESSION")
    f.set_defaults(func=cmd_files)


def cmd_sessions(args, ctx: Context) -> int:
    db = ctx.db()
    found = sessions.resumable(db) if args.resumable else sessions.list_sessions(db, args.limit)
    rows = [{"session_id": s.session_id, "artwork": s.artwork_name, "date": s.project_date,
             "status": s.status, "progress": f"{s.completed_operations or 0}/{s.total_operations}",
             "updated": s.updated_at, "output": s.output_path, "error": s.error_message}
            for s in found]
    ctx.emit(rows, lambda r: print_table(r, ["session_id", "artwork", "date", "status", "progress",
                                              "updated", "error"]))
    return 0


def cmd_history(args, ctx: Context) -> int:
    entries = [msgspec.to_builtins(e) for e in history.list_history(ctx.db(), args.limit)]
    ctx.emit(entries, lambda r: print_table(r, [
        "completed_at", "artwork_name", "project_date", "scenes_exported", "clips_created",
        "stills_created", "total_output_size_mb", "total_processing_time_seconds", "encoder_used"]))
    return 0


def cmd_stats(args, ctx: Context) -> int:
    ctx.emit(msgspec.to_builtins(history.statistics(ctx.db())))
    return 0


def cmd_files(args, ctx: Context) -> int:
    db = ctx.db()
    sessions.get(db, args.session)  # a clear error for an unknown session
    rows = [msgspec.to_builtins(f) for f in db_files.list_for(db, args.session)]
    ctx.emit(rows, lambda r: print_table(r, ["file_path", "file_type", "file_size_bytes",
                                              "resolution", "frame_number", "verified"]))
    return 0
