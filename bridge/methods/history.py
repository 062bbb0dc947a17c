"""history.*: finished projects and the files they made."""

from __future__ import annotations

import msgspec

from backend.db import files as db_files
from backend.db import history
from backend.errors import InputError
from bridge.context import Bridge
from bridge.methods.common import table, Params, NoParams, SessionId, known_session


class HistoryParams(Params):
    limit: int = msgspec.field(default=50)


@table.method("history.list")
def history_list(ctx: Bridge, p: HistoryParams) -> list[history.HistoryEntry]:
    """Finished projects, the most recent first."""
    if p.limit < 1:
        raise InputError(f"limit must be at least 1, got {p.limit}", field="limit")
    return history.list_history(ctx.db, p.limit)


@table.method("history.stats")
def history_stats(ctx: Bridge, p: NoParams) -> history.ProjectStatistics:
    """Statistics of the projects completed in the last 30 days."""
    return history.statistics(ctx.db)


@table.method("history.files")
def history_files(ctx: Bridge, p: SessionId) -> list[db_files.RegisteredFile]:
    """The files a session created, as the file registry records them."""
    known_session(ctx, p.session_id)  # an unknown session: an input error, as every method says
    return db_files.list_for(ctx.db, p.session_id)
