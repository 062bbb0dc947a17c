"""The CLI reference (docs/cli.md), made from the parser itself: every command's real `--help`.
Regenerate with `python -m backend.cli.reference > docs/cli.md`; tests/test_docs_cli.py fails
when the file and the parser disagree, and when the README names a command or option that does
not exist or leaves a command out."""

from __future__ import annotations

import argparse
import os
import sys

from backend.cli.main import build_parser

WIDTH = "100"  # argparse wraps at $COLUMNS: a fixed width makes the text the same everywhere


def commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    """(words, parser) for the program and every command and sub-command, depth first."""
    yield prefix, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from commands(child, (*prefix, name))


def options(parser: argparse.ArgumentParser) -> set[str]:
    return {flag for action in parser._actions for flag in action.option_strings}


def reference() -> str:
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH
    try:
        parts = ["# CLI reference", "",
                 "Generated from the parser by `python -m backend.cli.reference > docs/cli.md`;",
                 "`tests/test_docs_cli.py` fails when this file is out of date.", ""]
        for words, parser in commands(build_parser()):
            title = " ".join(("video-archive", *words))
            parts += [f"## {title}", "", "```", parser.format_help().rstrip(), "```", ""]
        return "\n".join(parts)
    finally:
        if previous is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = previous


if __name__ == "__main__":
    sys.stdout.write(reference())
