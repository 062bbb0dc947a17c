"""Entry point: `video-archive [--db PATH] [--json] COMMAND ...`."""

import argparse
import importlib
import os
import sys

import apsw

from backend.cli.context import Context, to_json
from backend.errors import ArchiveError
from backend.text_rules import one_line

# Each module registers its own sub-commands; adding a command is naming it here with its module.
# A run imports only its command's module: `process`, `detect` and `batch` import the media stack
# (0.4 s of CPU), which `sessions`, `settings` or `--version` do not need. The full parser, for
# `--help` and the reference, imports them all (tests/test_cli_startup.py checks this table).
COMMANDS = {"db": "db", "settings": "settings", "doctor": "doctor", "probe": "probe",
            "presets": "presets", "process": "process", "resume": "process", "sessions": "state",
            "history": "state", "stats": "state", "files": "state", "detect": "detect",
            "serve": "serve", "app": "app", "verify": "verify", "batch": "batch"}


class _Version(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        from backend import about, paths

        info = about.about(about.configured_ffmpeg(paths.db_path(namespace.db)))
        print(to_json(info) if namespace.json else about.version_text(info))
        parser.exit()


def _globals(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH", help="state database (default: VIDEO_ARCHIVE_DB, "
                        "else App/config/state.db in a checkout, else the per-user config dir)")
    parser.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")


def command_modules(argv: list[str]) -> list[str]:
    """The command modules a run with these arguments needs: its command's, none for a bare
    `--version`, all of them otherwise (help, a mistyped command: the full list is shown)."""
    try:
        _, rest = _prefix_parser().parse_known_args(argv)
    except argparse.ArgumentError:  # `--db` without its path: the full parser says so
        return list(dict.fromkeys(COMMANDS.values()))
    words = [word for word in rest if not word.startswith("-")]
    if words and words[0] in COMMANDS and not {"-h", "--help"} & set(rest[:rest.index(words[0])]):
        return [COMMANDS[words[0]]]
    if "--version" in rest and not {"-h", "--help"} & set(rest):
        return []
    return list(dict.fromkeys(COMMANDS.values()))


def _prefix_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False, exit_on_error=False)
    _globals(parser)
    return parser


def build_parser(modules: list[str] | None = None) -> argparse.ArgumentParser:
    """The CLI's parser with the commands of `modules` (default: every command)."""
    parser = argparse.ArgumentParser(
        prog="video-archive",
        description="Archive a finished artwork: masters, clips, stills and R&D, resumable.",
    )
    _globals(parser)
    parser.add_argument("--version", action=_Version, nargs=0,
                        help="show the version and the ffmpeg in use, and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in dict.fromkeys(COMMANDS.values()) if modules is None else modules:
        importlib.import_module(f"backend.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(command_modules(argv))
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
