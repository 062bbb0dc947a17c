"""What every method group shares: the one method table, the params base and the session
param."""

from __future__ import annotations

import msgspec

from backend.db import sessions
from backend.errors import InputError
from bridge.context import Bridge
from bridge.rpc import MethodTable


table = MethodTable()


class Params(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every params Struct: a misspelt param is an error, never silently ignored."""


class NoParams(Params):
    pass

class SessionId(Params):
    session_id: str


def known_session(ctx: Bridge, session_id: str):
    """The session's row; an unknown one is an input error naming session_id, as every method
    says."""
    if not sessions.exists(ctx.db, session_id):
        raise InputError(f"no session {session_id}", "session_id")
    return sessions.get(ctx.db, session_id)
