"""`video-archive db ...`: migrate, check, back up, restore, optimize and clean the state store.
Each action is one call into backend/db; this module only parses and prints."""

from backend import __version__
from backend.db import backup, maintenance, migrations, restore as db_restore
from backend.db.connect import Database
from backend.errors import StateError


def register(sub) -> None:
    parser = sub.add_parser("db", help="state database: migrate, check, backup, restore, "
                                       "optimize, cleanup")
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    actions.add_parser("migrate", help="bring the database to the current schema (backs it "
                                       "up first)").set_defaults(func=migrate)
    actions.add_parser("check", help="integrity, foreign keys and schema version; exit 1 "
                                     "when something is wrong").set_defaults(func=check)
    p = actions.add_parser("backup", help="verified copy into the backups folder (last 10 kept)")
    p.add_argument("--reason", default="manual", help="a word for the file name (default: manual)")
    p.set_defaults(func=make_backup)
    p = actions.add_parser("restore", help="replace the database with a backup (the current "
                                           "one is backed up first)")
    p.add_argument("file", metavar="FILE", help="backup file to restore")
    p.set_defaults(func=restore)
    actions.add_parser("optimize", help="VACUUM, ANALYZE, REINDEX, checkpoint").set_defaults(
        func=optimize)
    p = actions.add_parser("cleanup", help="archive old history, delete abandoned sessions")
    p.add_argument("--dry-run", action="store_true", help="only report what would be removed")
    p.set_defaults(func=cleanup)


def migrate(args, ctx) -> int:
    # Opened without open_db: that would migrate silently and leave nothing to report.
    with Database(ctx.db_path) as db:
        report = migrations.migrate(db)
        migrations.record_app_version(db, report)

    def human(r):
        if r.created:
            print(f"created {r.path} at schema version {r.to_version}")
        elif not r.applied:
            print(f"{r.path} is at schema version {r.to_version}: nothing to do")
        else:
            print(f"migrated {r.path} from schema version {r.from_version} to {r.to_version}")
            print(f"backup taken first: {r.backup}")
            for note in r.notes:
                print(f"  {note}")
        if r.app_version:
            print(f"last opened by video-archive {r.app_version}, now by {__version__}"
                  + (f" (backup: {r.backup})" if not r.applied and r.backup else ""))

    ctx.emit(report, human)
    return 0


def check(args, ctx) -> int:
    if not ctx.db_path.exists():
        raise StateError(f"no database at {ctx.db_path}")
    # read-only and unverified: a damaged or newer database is reported, never changed
    with Database(ctx.db_path, verify=False, untouched=True) as db:
        report = maintenance.check(db)

    def human(r):
        print(f"{r.path}: {'ok' if r.ok else 'PROBLEMS FOUND'}")
        print(f"  schema version {r.schema_version} (current {r.latest_version}), "
              f"journal {r.journal_mode}")
        if r.integrity != ["ok"]:
            print("  integrity: " + "; ".join(r.integrity[:5]))
        for line in r.foreign_key_violations[:10] + r.schema_problems:
            print(f"  {line}")

    ctx.emit(report, human)
    return 0 if report.ok else 1


def make_backup(args, ctx) -> int:
    info = backup.create_backup(ctx.db(), args.reason)
    ctx.emit(info, lambda i: print(f"backup written and verified: {i.path} ({i.size_bytes} bytes)"))
    return 0


def restore(args, ctx) -> int:
    info = db_restore.restore(ctx.db_path, args.file)

    def human(i):
        print(f"restored {i.restored_from} into {i.database} (schema version {i.schema_version})")
        if i.backup_before_restore:
            print(f"the previous contents were backed up to {i.backup_before_restore}")

    ctx.emit(info, human)
    return 0


def optimize(args, ctx) -> int:
    report = maintenance.optimize(ctx.db())
    ctx.emit(report, lambda r: print(f"optimized: {r.size_before} -> {r.size_after} bytes"))
    return 0


def cleanup(args, ctx) -> int:
    report = maintenance.cleanup(ctx.db(), dry_run=args.dry_run)

    def human(r):
        verb = "would delete" if r.dry_run else "deleted"
        print(f"{verb} {len(r.sessions_deleted)} session(s), {r.operation_log_rows} log row(s), "
              f"{r.file_registry_rows} file registry row(s); "
              f"{'would archive' if r.dry_run else 'archived'} {len(r.history_archived)} "
              "history row(s)")
        for kept in r.sessions_kept:
            print(f"  kept {kept.session_id}: {kept.reason}")
        if r.files_left_on_disk:
            print(f"  {len(r.files_left_on_disk)} file(s) of those sessions stay on disk, e.g. "
                  f"{r.files_left_on_disk[0]}")

    ctx.emit(report, human)
    return 0
