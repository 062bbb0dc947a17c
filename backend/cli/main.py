"""Entry point: `video-archive [--db PATH] [--json] COMMAND ...`."""

import argparse
import importlib
import os
import sys

import apsw

from backend.cli.context import Context, to_json
from backend.errors import ArchiveError
from backend.text_rules import one_line

# Each module registers its own sub-commands; adding a command group is adding a module here.
COMMAND_MODULES = ["db", "settings", "doctor", "probe", "presets", "process", "state", "detect",
                   "serve", "app", "verify", "batch"]


class _Version(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        from backend import about, paths

        info = about.about(about.configured_ffmpeg(paths.db_path(namespace.db)))
        print(to_json(info) if namespace.json else about.version_text(info))
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="video-archive",
        description="Archive a finished artwork: masters, clips, stills and R&D, resumable.",
    )
    parser.add_argument("--db", metavar="PATH", help="state database (default: VIDEO_ARCHIVE_DB, "
                        "else App/config/state.db in a checkout, else the per-user config dir)")
    parser.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")
    parser.add_argument("--version", action=_Version, nargs=0,
                        help="show the version and the ffmpeg in use, and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"backend.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    ctx = Context(args.db, args.json)
    try:
        code = args.func(args, ctx)
        return int(code or 0)
    except ArchiveError as exc:
        print(f"video-archive: error: {one_line(str(exc))}", file=sys.stderr)
        return 1
    except apsw.BusyError:
        print("video-archive: error: the state database stayed locked by another process; "
              "try again when it has finished", file=sys.stderr)
        return 1
    except apsw.Error as exc:  # any other SQLite failure: one line naming the database, no traceback
        print(f"video-archive: error: state database {ctx.db_path}: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `video-archive files X | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("video-archive: interrupted", file=sys.stderr)
        return 130
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
