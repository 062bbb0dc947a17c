"""One run of the bridge: the shared context, the dispatcher over the method table, and the
transports that hand it messages."""

from __future__ import annotations

from pathlib import Path

import backend
from bridge import http
from bridge.context import Bridge
from bridge.methods import table
from bridge.rpc import Dispatcher


def dispatcher(bridge: Bridge) -> Dispatcher:
    return Dispatcher(table, bridge, title="Video Archive Tool bridge", version=backend.__version__)


def run_server(db_path: str | Path | None, *, port: int = 0, open_browser: bool = True,
               frontend: Path = http.FRONTEND) -> None:
    bridge = Bridge(db_path, transport="http")
    try:
        http.serve(dispatcher(bridge), port=port, frontend=frontend, open_browser=open_browser)
    finally:
        bridge.close()
