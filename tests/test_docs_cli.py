"""The docs say what the CLI really does: docs/cli.md is the parser's own --help, and the README's
command list names every command and sub-command and no option that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

from backend.cli.main import build_parser
from backend.cli.reference import commands, options, reference

REPO = Path(__file__).resolve().parent.parent


def test_cli_reference_is_the_real_help():
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert text == reference(), ("docs/cli.md is out of date: "
                                 "python -m backend.cli.reference > docs/cli.md")


def readme_entries() -> list[str]:
    """The README's command list: each `video-archive ...` line with its continuation lines."""
    block = (REPO / "README.md").read_text(encoding="utf-8").split("## Using it", 1)[1]
    entries: list[str] = []
    for line in block.splitlines():
        if line.startswith("    video-archive "):
            entries.append(line.split("#", 1)[0].strip())
        elif line.startswith("        ") and entries:
            entries[-1] += " " + line.split("#", 1)[0].strip()
        elif line.strip() and not line.startswith("    "):
            if entries:
                break
    assert entries, "README has no command list under '## Using it'"
    return entries


def test_readme_names_every_command_and_only_real_options():
    parser = build_parser()
    entries = readme_entries()
    tree = {words: p for words, p in commands(parser)}
    top = {words[0] for words in tree if len(words) == 1}
    named: dict[str, list[str]] = {}
    for entry in entries:
        # "video-archive sessions | history | stats | files SESSION" names four commands
        for alternative in entry.removeprefix("video-archive ").split(" | "):
            word = alternative.split()[0] if alternative.split() else ""
            if word in top:
                named.setdefault(word, []).append(entry)
    assert set(named) == top, f"README leaves out: {sorted(top - set(named))}"
    for words in tree:
        if len(words) == 2:
            text = " ".join(named[words[0]])
            assert re.search(rf"(?<![\w-]){re.escape(words[1])}(?![\w-])", text), \
                f"README does not name `video-archive {' '.join(words)}`"
    for command, texts in named.items():
        real = options(parser) | {flag for words, p in tree.items() if words[:1] == (command,)
                                  for flag in options(p)}
        for text in texts:
            for flag in re.findall(r"(?<![\w-])--?[a-z][\w-]*", text):
                # an entry naming several commands may show any of their options
                others = {f for w, p in tree.items() if w and w[0] in named and text in named[w[0]]
                          for f in options(p)}
                assert flag in real | others, f"README shows {flag} for {command}, which has no such option"
