"""What of the source tree goes into the package, in one place: video-archive.spec collects by
these rules and bundle_check.py checks the result by the same ones. The project's tests (tests/,
frontend/test/, *.test.js) and a source checkout's state (App/config/) never go in."""

from pathlib import Path

PACKAGES = ("backend", "bridge", "App")      # Python, analysed from the source tree
DATA_TREES = ("frontend", "App", "bridge")   # their non-Python files, read at run time
TEST_DIRS = {"test", "tests"}
SKIP_DIRS = {"__pycache__", "node_modules"}
SKIP_NAMES = {"README.md", "package.json", "package-lock.json", ".gitignore"}


def is_test(rel: Path) -> bool:
    return (any(part in TEST_DIRS for part in rel.parts)
            or rel.name.endswith((".test.js", ".test.mjs")) or rel.name.startswith("test_"))


def _skipped(rel: Path) -> bool:
    return (is_test(rel) or any(part.startswith(".") or part in SKIP_DIRS for part in rel.parts)
            or rel.parts[:2] == ("App", "config") or rel.name in SKIP_NAMES)


def modules(root: Path) -> list[str]:
    """Every module of backend/, bridge/ and App/ (plain or namespace packages alike): the CLI
    and the bridge import some of theirs by name, which PyInstaller cannot follow."""
    found = []
    for top in PACKAGES:
        for path in sorted((root / top).rglob("*.py")):
            rel = path.relative_to(root)
            if _skipped(rel):
                continue
            parts = rel.with_suffix("").parts
            found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def data_files(root: Path) -> list[Path]:
    """Non-Python files the code reads at run time, as paths relative to `root` (the frontend's
    HTML/JS/CSS, presets, App/ and bridge/ resources)."""
    files = sorted(p.relative_to(root) for p in (root / "backend" / "presets").glob("*.json"))
    for top in DATA_TREES:
        if not (root / top).is_dir():
            continue
        for path in sorted((root / top).rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and path.suffix not in (".py", ".pyc") and not _skipped(rel):
                files.append(rel)
    return files
