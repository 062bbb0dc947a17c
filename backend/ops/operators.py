"""The operators, registered by id: the runner (backend/jobs) and the tests find every operation
here (`get`, `all_operators`); the CLI and the bridge reach them only through the runner. "Registry" alone means the file registry (file_operators)."""

import importlib

from backend.ops.base import Operator

# Module per operator, in the order a session runs them.
OPERATOR_MODULES = ["probe", "scene_detection", "master_copy", "web_segments", "optimization", "still_extraction",
                    "rd_processing", "interchange", "clip_export", "group_join", "thumbnails",
                    "contact_sheet", "verification", "bag"]

_operators: dict[str, Operator] = {}


def register(cls: type[Operator]) -> type[Operator]:
    if cls.id in _operators:
        raise ValueError(f"operator {cls.id!r} registered twice")
    _operators[cls.id] = cls()
    return cls


def _load() -> None:
    # every module, even when one was imported directly before (it registered only itself)
    for name in OPERATOR_MODULES:
        importlib.import_module(f"backend.ops.{name}")


def get(op_id: str) -> Operator:
    if len(_operators) < len(OPERATOR_MODULES):
        _load()
    try:
        return _operators[op_id]
    except KeyError:
        raise KeyError(f"unknown operator {op_id!r}; known: {', '.join(_operators)}") from None


def all_operators() -> list[Operator]:
    """Every operator, in the order of OPERATOR_MODULES (whatever order they were imported in)."""
    if len(_operators) < len(OPERATOR_MODULES):
        _load()
    return sorted(_operators.values(),
                  key=lambda op: OPERATOR_MODULES.index(type(op).__module__.rsplit(".", 1)[-1]))
