"""How values the core hands out become JSON (CLI --json, the bridge): Paths as strings, sets as
sorted lists."""

from pathlib import Path


def enc_hook(obj):
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")
