"""`video-archive app`: the desktop window (App/shell.py). Like `serve`, the command only starts
the shell, and the import happens when it runs, so every other command works without pywebview."""

import sys

from backend.cli.context import Context
from backend.errors import ArchiveError


def register(sub) -> None:
    p = sub.add_parser("app", help="the editor in a desktop window",
                       description="Opens the editor in a pywebview window (Qt WebEngine). One "
                                   "window per state database; closing it during an export "
                                   "pauses the export, to be resumed at the next start.")
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="a master video: opens the new-project form with it filled in (the "
                        "desktop's 'Open with'; only the first is used)")
    p.set_defaults(func=cmd_app)


def cmd_app(args, ctx: Context) -> int:
    try:
        from App.shell import exit_process, run
    except ImportError as exc:
        from backend.errors import InputError

        raise InputError(f"the desktop app needs pywebview with Qt (pip install "
                         f"'video-archive[app]'): {exc}") from None
    try:
        code = run(ctx.db_path, master=args.files[0] if args.files else None)
    except ArchiveError as exc:  # a damaged or newer state.db, a read-only home, ...
        from App import failure

        line = f"video-archive: error: {exc}"
        print(line, file=sys.stderr, flush=True)
        ctx.close()
        failure.show(line)  # started from the menu, nobody sees stderr
        return 1
    ctx.close()
    exit_process(code)  # pywebview may leave a thread waiting on the closed window
