"""The video-archive(1) manual page, generated from the command's own argparse help (the same
text `--help` prints), so it cannot drift from the code. Usage: manpage.py OUT.1 [DATE]"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend import __version__  # noqa: E402
from backend.cli.main import build_parser  # noqa: E402


def roff(text: str) -> str:
    """Plain help text as roff: backslashes and leading dots or quotes escaped."""
    lines = []
    for line in text.replace("\\", "\\e").splitlines():
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def subcommands(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def render(date: str) -> str:
    parser = build_parser()
    parser.formatter_class = lambda prog: argparse.HelpFormatter(prog, width=78)
    out = [f'.TH VIDEO-ARCHIVE 1 "{date}" "video-archive {__version__}" "User Commands"',
           ".SH NAME", "video-archive \\- " + roff(parser.description[0].lower() + parser.description[1:].rstrip(".")),
           ".SH SYNOPSIS", ".nf", roff(parser.format_usage().removeprefix("usage: ").strip()), ".fi",
           ".SH DESCRIPTION",
           "Every command below also prints this help with \\fB\\-\\-help\\fR. "
           "\\fBvideo-archive app\\fR [\\fIFILE\\fR] opens the editor window, with \\fIFILE\\fR "
           "as a new project's master.",
           ".SH OPTIONS", ".nf", roff(parser.format_help().split("\n\n", 1)[1].strip()), ".fi",
           ".SH COMMANDS"]
    for name, sub in subcommands(parser):
        sub.formatter_class = parser.formatter_class
        out += [f".SS {name}", ".nf", roff(sub.format_help().strip()), ".fi"]
        for sname, ssub in subcommands(sub):
            ssub.formatter_class = parser.formatter_class
            out += [f".SS {name} {sname}", ".nf", roff(ssub.format_help().strip()), ".fi"]
    out += [".SH FILES",
            "\\fI~/.config/video-archive/\\fR: state.db, its backups and the ingest cache "
            "(owner-only; kept when the package is removed or purged).",
            ".SH SEE ALSO", "/usr/share/doc/video-archive/"]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(render(sys.argv[2] if len(sys.argv) > 2 else "2026-01-01"))
