"""Types of the JSON columns and the one place that encodes and decodes them.

Writes are validated against the column's type (a bad value is the caller's InputError); reads
that fail (a hand-edited or corrupted row) become a StateError naming table, row and column."""

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any

import msgspec

from backend.db.session_spec import GroupedScenes, SessionSpec
from backend.errors import InputError, StateError
from backend.model.scene import Scene

NonNegInt = Annotated[int, msgspec.Meta(ge=0)]
NonNegFloat = Annotated[float, msgspec.Meta(ge=0)]


class OperationDetails(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """processing_state.operation_details: what the session is doing right now."""
    sequence_number: int | None = None
    operation_type: str | None = None
    operation_name: str | None = None
    progress: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.0
    message: str | None = None


# Free-form columns ("JSON for extensibility" in the design) are objects with string keys; the
# rest have a fixed shape. forbid_unknown_fields above makes a misspelt key fail on write instead
# of vanishing on the next read.
JSON_COLUMNS: dict[str, dict[str, Any]] = {
    "processing_state": {
        "custom_settings": dict[str, Any],
        "operation_details": OperationDetails,
        "scenes_data": list[Scene],
        "selected_scenes": list[Annotated[int, msgspec.Meta(ge=1)]],
        "grouped_scenes": GroupedScenes,
        "process_metadata": SessionSpec,
    },
    "operation_log": {
        "output_files": list[str],
        "file_sizes": dict[str, NonNegInt],
        "settings_used": dict[str, Any],
        "warning_messages": list[str],
    },
    "file_registry": {
        "compression_settings": dict[str, Any],
        "metadata_embedded": dict[str, Any],
    },
    "project_history": {"metadata": dict[str, Any]},
    "project_history_archive": {"metadata": dict[str, Any]},
}


def _enc_hook(obj):
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (dt.datetime, dt.date)):
        return obj.isoformat()
    raise NotImplementedError(f"cannot store a {type(obj).__name__} in a JSON column")


_encoder = msgspec.json.Encoder(enc_hook=_enc_hook)


def encode_column(table: str, column: str, value) -> str | None:
    """Validate `value` (a Struct, dict, list or other object with the right attributes) against
    the column's type and return its JSON text; None stays NULL."""
    if value is None:
        return None
    kind = JSON_COLUMNS[table][column]
    try:
        # to_builtins first so Paths and Structs given for another type (a dict for a Struct) convert
        plain = msgspec.to_builtins(value, enc_hook=_enc_hook)
        checked = msgspec.convert(plain, kind)
        return _encoder.encode(checked).decode()
    except (msgspec.ValidationError, NotImplementedError, TypeError, ValueError) as exc:
        raise InputError(f"{table}.{column}: invalid value ({exc})") from None


def decode_column(table: str, row_id, column: str, text):
    """The typed value of one JSON cell; NULL or '' is None."""
    if text is None or text == "" or text == b"":
        return None
    kind = JSON_COLUMNS[table][column]
    if not isinstance(text, (str, bytes)):
        text = str(text)
    try:
        return msgspec.json.decode(text, type=kind)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        if (table, column) in NOT_OURS and _not_ours(text, NOT_OURS[(table, column)]):
            return None
        raise StateError(f"state.db table {table}, row {row_id}, column {column}: malformed value "
                         f"({exc}); fix or clear that cell") from None


# Databases of the first design (schema v1) kept free-form JSON in process_metadata. Such a cell
# is not a SessionSpec and reads as None: the session is listed like any other but cannot be
# resumed. A cell that holds the spec's own key and does not decode is damaged, not foreign.
NOT_OURS = {("processing_state", "process_metadata"): "safe_name"}


def _not_ours(text, key: str) -> bool:
    try:
        value = msgspec.json.decode(text)
    except msgspec.DecodeError:
        return False
    return isinstance(value, dict) and key not in value


_AT_COLUMN = re.compile(r"at `\$\.(\w+)")


def row_to_struct(table: str, row: dict, struct_type: type):
    """A row (from Database.query) as `struct_type`, JSON columns decoded. Plain columns convert
    leniently, the way SQLite's column affinity would (0/1 to bool, '30' to 30.0)."""
    row_id = row.get("id", "?")
    values = dict(row)
    for column in JSON_COLUMNS.get(table, ()):
        if column in values:
            values[column] = decode_column(table, row_id, column, values[column])
    try:
        return msgspec.convert(values, struct_type, strict=False)
    except msgspec.ValidationError as exc:
        match = _AT_COLUMN.search(str(exc))
        column = match.group(1) if match else "?"
        raise StateError(f"state.db table {table}, row {row_id}, column {column}: malformed value "
                         f"({exc}); fix or clear that cell") from None
