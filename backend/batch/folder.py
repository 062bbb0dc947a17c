"""`batch --from-folder DIR`: a first manifest from a folder of masters, for the user to edit. Each
video file gives a row: its artwork name from the file name, its date from the file's
modification time or from a date in its name; what is not known is left empty, so the check of
the manifest names it."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

from backend.batch.manifest import COLUMNS
from backend.errors import InputError
from backend.ops.rd_processing import VIDEO_EXTENSIONS

# 2024-03-15, 24-03-15, 20240315, 240315, with -, _ or . between the parts
_DATE = re.compile(r"(?<!\d)(\d{4}|\d{2})([-_.]?)(\d{2})\2(\d{2})(?!\d)")


def write(folder: str | Path, manifest: str | Path, *, date_from: str, out: str | None) -> int:
    """Write the manifest (never over an existing file); return the number of rows."""
    folder, manifest = Path(folder).expanduser(), Path(manifest).expanduser()
    if not folder.is_dir():
        raise InputError(f"not a folder: {folder}", "from_folder")
    if manifest.exists():
        raise InputError(f"{manifest} exists: choose another name (it is never overwritten)",
                         "manifest")
    masters = sorted(p for p in folder.iterdir()
                     if p.is_file() and not p.name.startswith(".")
                     and p.suffix.lower() in VIDEO_EXTENSIONS)
    if not masters:
        raise InputError(f"no video files in {folder} ({', '.join(sorted(VIDEO_EXTENSIONS))})",
                         "from_folder")
    rows = [row_for(p, date_from, out) for p in masters]
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest, "x", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def row_for(master: Path, date_from: str, out: str | None) -> dict:
    date, name = name_date(master.stem)
    if date_from == "mtime":
        date = dt.date.fromtimestamp(master.stat().st_mtime).strftime("%y-%m-%d")
    elif date_from != "name":
        raise InputError(f"--date-from must be mtime or name (got {date_from!r})", "date_from")
    return {"master": str(master.resolve()), "artwork": name or master.stem, "date": date or "",
            "out": str(Path(out).expanduser().resolve()) if out else ""}


def name_date(stem: str) -> tuple[str | None, str]:
    """(YY-MM-DD of the first real date in the name, or None; the name without it)."""
    for m in _DATE.finditer(stem):
        year, month, day = m.group(1), m.group(3), m.group(4)
        try:
            when = dt.date(int(year) if len(year) == 4 else 2000 + int(year), int(month), int(day))
        except ValueError:
            continue
        rest = (stem[:m.start()] + " " + stem[m.end():]).replace("_", " ")
        return when.strftime("%y-%m-%d"), " ".join(rest.split()).strip(" -.")
    return None, " ".join(stem.replace("_", " ").split())
