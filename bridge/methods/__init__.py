"""The one table of JSON-RPC methods, one module per method group. Each method is a thin caller
of what the CLI calls (backend.db, backend.presets, backend.doctor, the editor flow of
backend.jobs): params and results are msgspec Structs, so the same definitions validate requests
and describe them in `rpc.discover`. Importing a group registers its methods in `table`; the
order here is the order `rpc.discover` and docs/bridge.md list them in."""

from bridge.methods import (system, settings, presets, history, projects,  # noqa: F401 (register)
                            timeline, frames, export)
from bridge.methods.common import table

__all__ = ["table"]
