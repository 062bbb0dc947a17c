"""A batch manifest: a CSV file (a header row, then one job a row) or a JSON list of objects, whose
columns are named as `process`'s options are. It is checked whole before anything runs: every
row's problems at once, each with its row number and field, by exactly the checks `process` makes
(project.check). Relative paths are taken from the manifest's own folder."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import msgspec

from backend.archive.interchange.cuts import cuts_arg
from backend.errors import InputError
from backend.jobs import inputs, project
from backend.jobs.request import ProcessRequest
from backend.ops.output_paths import path_key
from backend.text_rules import one_line

REQUIRED = ("master", "artwork", "date", "out")
OPTIONAL = ("rd", "preset", "groups", "cuts", "encoder", "threshold", "min_scene_len")
COLUMNS = REQUIRED + OPTIONAL
_PATHS = ("master", "rd", "out", "groups")
MAX_BYTES = 16 * 1024 * 1024  # a manifest of many thousand rows is far below this


class RowError(msgspec.Struct, kw_only=True):
    row: int          # 1 = the first job (the CSV's header is row 0)
    field: str | None
    message: str

    def line(self) -> str:
        return f"row {self.row}" + (f", {self.field}" if self.field else "") + f": {self.message}"


class ManifestErrors(InputError):
    """The manifest was refused; `errors` names every problem of every row."""

    def __init__(self, path: str, errors: list[RowError]):
        rows = len({e.row for e in errors})
        super().__init__(f"manifest {path} refused, nothing was run: {len(errors)} problem(s) in "
                         f"{rows} row(s); " + "; ".join(e.line() for e in errors), "manifest")
        self.path = path
        self.errors = errors


class Job(msgspec.Struct, kw_only=True):
    row: int
    request: ProcessRequest
    archive: str          # DIR/YY-MM-DD_Name, as process names it
    needs_gpu: bool       # NVENC: the encoder is nvenc, or the preset writes HEVC


def load(db, path: str | Path, *, local_encoder: bool = True) -> list[Job]:
    """Read and check the manifest at `path`; raise ManifestErrors naming every problem.
    `local_encoder` False (jobs for a cluster) leaves the NVENC check to the node."""
    path = Path(path).expanduser()
    rows = read_rows(path)
    errors: list[RowError] = []
    jobs: list[Job] = []
    for number, row in rows:
        job = _check_row(db, path.parent, number, row, errors, local_encoder)
        if job is not None:
            jobs.append(job)
    seen: dict[str, int] = {}
    for job in jobs:
        key = path_key(job.archive)
        if key in seen:
            errors.append(RowError(row=job.row, field="artwork", message=(
                f"row {seen[key]} makes the same archive {job.archive}: give each row its own "
                "artwork name, date or output folder")))
        seen.setdefault(key, job.row)
    if not rows:
        errors.append(RowError(row=0, field=None, message="the manifest holds no jobs"))
    if errors:
        raise ManifestErrors(str(path), sorted(errors, key=lambda e: e.row))
    return jobs


def read_rows(path: Path) -> list[tuple[int, dict]]:
    """(row number, {column: value}) of every job; a file that cannot be read as a manifest at
    all is one InputError."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InputError(f"manifest {path} is larger than {MAX_BYTES // 2**20} MiB", "manifest")
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"manifest not found: {path}", "manifest") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"manifest {path} cannot be read: {exc}", "manifest") from None
    if path.suffix.lower() == ".json" or text.lstrip().startswith("["):
        return _json_rows(path, text)
    return _csv_rows(path, text)


def _json_rows(path: Path, text: str) -> list[tuple[int, dict]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"manifest {path} is not valid JSON: {exc.msg} at line {exc.lineno}",
                         "manifest") from None
    if not isinstance(data, list):
        raise InputError(f"manifest {path}: expected a JSON list of jobs (objects)", "manifest")
    return [(i, item) for i, item in enumerate(data, 1)]


def _csv_rows(path: Path, text: str) -> list[tuple[int, dict]]:
    try:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if not header:
            raise InputError(f"manifest {path} is empty: it needs a header row naming its "
                             f"columns ({', '.join(COLUMNS)})", "manifest")
        header = [h.strip() for h in header]
        rows = []
        for number, cells in enumerate(reader, 1):
            if not any(c.strip() for c in cells):
                continue  # a blank line
            if len(cells) > len(header):
                rows.append((number, {"__extra__": len(cells) - len(header)}))
                continue
            rows.append((number, {h: c for h, c in zip(header, cells) if h}))
    except csv.Error as exc:
        raise InputError(f"manifest {path} is not valid CSV: {exc}", "manifest") from None
    return rows


def _check_row(db, base: Path, number: int, row, errors: list[RowError],
               local_encoder: bool) -> Job | None:
    def fail(field, message):
        errors.append(RowError(row=number, field=field, message=one_line(message)))

    if not isinstance(row, dict):
        fail(None, "a job must be an object of columns")
        return None
    if "__extra__" in row:
        fail(None, f"{row['__extra__']} more cell(s) than the header has columns")
        return None
    cells = {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items()}
    cells = {k: v for k, v in cells.items() if v not in ("", None)}
    for name in sorted(set(cells) - set(COLUMNS)):
        fail(name, f"unknown column {name!r} (columns: {', '.join(COLUMNS)})")
    for name in REQUIRED:
        if name not in cells:
            fail(name, f"{name} is missing")
    if any(e.row == number for e in errors):
        return None
    for name in ("master", "artwork", "date", "out", "rd", "preset", "encoder"):
        if name in cells and not isinstance(cells[name], str):
            fail(name, f"{name} must be text")
    if any(e.row == number for e in errors):
        return None
    for name in _PATHS:
        if isinstance(cells.get(name), str):
            cells[name] = str(base / Path(cells[name]).expanduser())
    request = {k: cells.get(k) for k in ("master", "artwork", "date", "out", "rd", "preset")}
    request["encoder"] = cells.get("encoder", "auto")
    if request["encoder"] not in ("auto", "x264", "nvenc"):
        fail("encoder", f"unknown encoder {request['encoder']!r} (auto, x264 or nvenc)")
        request["encoder"] = "auto"  # the rest of the row is still checked
    request["threshold"] = _number(cells.get("threshold"), float, "threshold", fail)
    request["min_scene_len"] = _number(cells.get("min_scene_len"), int, "min_scene_len", fail)
    try:
        request["groups"] = _groups(cells.get("groups"))
    except InputError as exc:
        fail("groups", str(exc))
    try:
        cuts = cells.get("cuts")
        request["cuts"] = cuts if isinstance(cuts, list) or cuts is None else \
            cuts_arg(str(cuts), request["master"])
    except InputError as exc:
        fail("cuts", str(exc))
    before = len(errors)
    try:
        req = msgspec.convert(request, ProcessRequest)
    except msgspec.ValidationError as exc:
        fail(None, str(exc))
        return None
    try:
        checked = project.check(db, req, all_errors=True, local_encoder=local_encoder)
    except project.RequestErrors as exc:
        for err in exc.errors:
            fail(err.field, str(err))
        return None
    if len(errors) > before or any(e.row == number for e in errors):
        return None
    needs_gpu = req.encoder == "nvenc" or checked.preset.video.codec == "hevc"
    archive = checked.out / f"{checked.date}_{checked.name}"
    return Job(row=number, request=req, archive=str(archive), needs_gpu=needs_gpu)


def _number(value, kind, field, fail):
    if value is None:
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        number = kind(value)
        if kind is int and isinstance(value, float) and value != number:
            raise ValueError
        return number
    except (TypeError, ValueError):
        fail(field, f"{field} must be {'a whole number' if kind is int else 'a number'} "
                    f"(got {value!r})")
        return None


def _groups(value):
    """A groups file (as --groups takes), or in a JSON manifest the groups themselves."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return inputs.check_groups(value, "groups") or None
    return inputs.load_groups(value) or None
