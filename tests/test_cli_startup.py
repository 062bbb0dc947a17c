"""A CLI run imports only its command's module (backend/cli/main.py COMMANDS): `sessions`,
`settings` or `--version` start without the media stack, and the parser built for one command
parses every command line exactly as the full parser does."""

from __future__ import annotations

import argparse
import contextlib
import io
import subprocess
import sys

from hypothesis import given, settings, strategies as st

from backend.cli import main

HEAVY = ("scenedetect", "cv2", "av", "numpy")


def test_the_table_names_every_command_and_its_module():
    registered = {}
    for module in dict.fromkeys(main.COMMANDS.values()):
        sub = argparse.ArgumentParser().add_subparsers()
        __import__(f"backend.cli.{module}", fromlist=["register"]).register(sub)
        registered.update({name: module for name in sub.choices})
    assert registered == main.COMMANDS


def _outcome(parser: argparse.ArgumentParser, argv: list[str]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            return ("parsed", vars(parser.parse_args(argv)))
        except SystemExit as exc:
            return ("exit", exc.code, out.getvalue(), err.getvalue())


GLOBALS = st.lists(st.sampled_from([["--json"], ["--db", "/tmp/x.db"], ["--db=/tmp/y.db"], ["-h"]]),
                   max_size=2).map(lambda parts: [w for p in parts for w in p])
WORDS = st.lists(st.sampled_from(["--json", "--limit", "3", "x", "-h", "--resumable", "list", "get",
                                  "check", "--db", "a.mov", "--scenes", "all", "--help", "1"]),
                 max_size=4)
COMMAND = st.sampled_from([*main.COMMANDS, "bogus", "--version"])


@settings(max_examples=150, deadline=None)
@given(GLOBALS, COMMAND, WORDS)
def test_the_parser_for_one_command_parses_as_the_full_one(globals_, command, words):
    argv = [*globals_, command, *words]
    full = _outcome(main.build_parser(), argv)
    assert _outcome(main.build_parser(main.command_modules(argv)), argv) == full


def test_a_light_command_and_the_version_start_without_the_media_stack(tmp_path):
    db = str(tmp_path / "state.db")
    script = ("import sys\nfrom backend.cli.main import main\n"
              f"code = main(['--db', {db!r}, '--json', 'sessions'])\n"
              "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
              f"print(code, sorted(m for m in {HEAVY!r} if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stdout
