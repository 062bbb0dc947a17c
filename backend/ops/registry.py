"""The registry of operators: the CLI, the bridge and the tests find every operation here by id."""

import importlib

from backend.ops.base import Operator

# Module per operator, in the order a session runs them.
OPERATOR_MODULES = ["probe", "scene_detection", "master_copy", "optimization", "still_extraction",
                    "rd_processing", "clip_export", "group_join", "thumbnails", "verification"]

_registry: dict[str, Operator] = {}


def register(cls: type[Operator]) -> type[Operator]:
    if cls.id in _registry:
        raise ValueError(f"operator {cls.id!r} registered twice")
    _registry[cls.id] = cls()
    return cls


def _load() -> None:
    # every module, even when one was imported directly before (it registered only itself)
    for name in OPERATOR_MODULES:
        importlib.import_module(f"backend.ops.{name}")


def get(op_id: str) -> Operator:
    if len(_registry) < len(OPERATOR_MODULES):
        _load()
    try:
        return _registry[op_id]
    except KeyError:
        raise KeyError(f"unknown operator {op_id!r}; known: {', '.join(_registry)}") from None


def all_operators() -> list[Operator]:
    """Every operator, in the order of OPERATOR_MODULES (whatever order they were imported in)."""
    if len(_registry) < len(OPERATOR_MODULES):
        _load()
    return sorted(_registry.values(),
                  key=lambda op: OPERATOR_MODULES.index(type(op).__module__.rsplit(".", 1)[-1]))
