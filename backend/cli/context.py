"""What every command handler receives: output mode and the lazily opened state store."""

import sys
from pathlib import Path

import msgspec

from backend import paths
from backend.encoding import enc_hook


_encoder = msgspec.json.Encoder(enc_hook=enc_hook)


# Characters that JSON may carry raw but that line-splitting readers (Python's splitlines, some
# log tools) take as line ends: escaped, so one JSON value is always one line whatever a file's
# name holds. Outside strings JSON has none of them, so replacing them anywhere is safe.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def to_json(obj) -> str:
    return _encoder.encode(obj).decode().translate(_LINE_BREAKS)


class Context:
    def __init__(self, db_override: str | None, json_mode: bool):
        self.json = json_mode
        self.db_path: Path = paths.db_path(db_override)
        self._db = None

    def db(self):
        """Open (creating and migrating as needed) the state store on first use."""
        if self._db is None:
            from backend.db import open_db

            self._db = open_db(self.db_path)
        return self._db

    def close(self):
        if self._db is not None:
            self._db.close()
            self._db = None

    # --- output -----------------------------------------------------------------------------
    def emit(self, data, human=None) -> None:
        """Print `data` as JSON in --json mode, else call `human(data)` (or print a table)."""
        if self.json:
            print(to_json(data), flush=True)
        elif human is not None:
            human(data)
        elif isinstance(data, list):
            print_table(data)
        elif isinstance(data, dict):
            print_pairs(data)
        else:
            print(data)

    @staticmethod
    def warn(message: str) -> None:
        print(f"warning: {message}", file=sys.stderr, flush=True)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    if isinstance(value, (dict, list)):
        return to_json(value)
    return str(value)


def print_table(rows: list[dict], columns: list[str] | None = None) -> None:
    if not rows:
        print("(none)")
        return
    columns = columns or list(rows[0].keys())
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip())
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


def print_pairs(data: dict) -> None:
    width = max((len(k) for k in data), default=0)
    for key, value in data.items():
        print(f"{key.ljust(width)}  {_cell(value)}")
