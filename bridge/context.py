"""What every method and transport shares in one run of the bridge: the state store, the jobs,
the event hub and the media registry. A transport gets its own view (`for_transport`), which
differs only in the name `system.info` reports."""

from __future__ import annotations

import copy
import shutil
import tempfile
import threading
from pathlib import Path

import numpy as np

from backend import paths
from backend.db import open_db
from bridge.events import EventHub
from bridge.jobs import JobManager
from bridge.media import MediaRegistry


class Bridge:
    def __init__(self, db_path: str | Path | None = None, *, transport: str = "http"):
        self.db_path = paths.db_path(db_path)
        self.db = open_db(self.db_path)
        self.events = EventHub()
        self.jobs = JobManager(self.events)
        self.media = MediaRegistry()
        self.transport = transport
        self.base_url = ""  # the HTTP server's address once it listens: media URLs point there
        # frames rendered on request (frame.get) live here for this run only
        self.scratch = Path(tempfile.mkdtemp(prefix="video-archive-bridge-"))
        self._lock = threading.Lock()

    def for_transport(self, name: str) -> Bridge:
        view = copy.copy(self)
        view.transport = name
        return view

    def media_url(self, path: Path, session_id: str | None = None, *,
                  offsets: Path | None = None) -> str:
        return f"{self.base_url}/media/{self.media.add(path, session_id, offsets=offsets)}"

    def scores_file(self, result) -> Path:
        """An ingest's per-frame scores as little-endian float32 (what the page reads with a
        Float32Array), written once per run and ingest entry."""
        entry = Path(result.scores).parent
        out = self.scratch / f"scores-{entry.name}-{result.frame_count}.f32"
        with self._lock:
            if not out.is_file():
                temp = out.with_suffix(".partial")
                np.load(result.scores).astype("<f4").tofile(temp)
                temp.replace(out)
        return out

    def close(self) -> None:
        self.jobs.close()
        self.db.close()
        shutil.rmtree(self.scratch, ignore_errors=True)
