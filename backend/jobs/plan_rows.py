"""A unit of work as operation_log stores it (settings_used: stage, outputs, needs, params) and
back, including plans stored before units named what they need: those units need every unit of
an earlier stage, which is how they were run then."""

from __future__ import annotations

import msgspec

from backend.db.sessions import OperationRow, PlannedOperation
from backend.ops import operators
from backend.ops.base import Stage, Unit

# Joins were clip_export units carrying params.parts before group_join was an operator of its own.
_LEGACY_JOIN = ("clip_export", "parts", "group_join")


def planned(unit: Unit) -> PlannedOperation:
    return PlannedOperation(
        operation_type=unit.op, operation_name=unit.name, input_file=unit.input_file,
        settings_used={"stage": int(unit.stage), "outputs": unit.outputs, "needs": unit.needs,
                       "params": msgspec.to_builtins(unit.params) if unit.params is not None else {}})


def units_of(rows: list[OperationRow]) -> list[Unit]:
    """The stored plan as Units, in sequence order, params typed by each operator's Params."""
    units = [_unit(row) for row in rows]
    for unit, row in zip(units, rows):
        if "needs" not in (row.settings_used or {}):
            unit.needs = [u.name for u in units
                          if Stage.ANALYSIS < u.stage < unit.stage]
    return units


def _unit(row: OperationRow) -> Unit:
    used = row.settings_used or {}
    op_id, params = row.operation_type, used.get("params") or {}
    old_op, marker, new_op = _LEGACY_JOIN
    if op_id == old_op and marker in params:
        op_id = new_op
    kind = operators.get(op_id).Params
    return Unit(op=op_id, name=row.operation_name, stage=Stage(used.get("stage", Stage.ANALYSIS)),
                input_file=row.input_file, outputs=list(used.get("outputs", [])),
                needs=list(used.get("needs", [])),
                params=msgspec.convert(params, kind) if kind is not None else None)
