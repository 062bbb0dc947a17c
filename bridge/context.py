"""What every method and transport shares in one run of the bridge: the state store, the jobs,
the event hub and the media registry. A transport gets its own view (`for_transport`), which
differs only in the name `system.info` reports."""

from __future__ import annotations

import copy
import os
import shutil
import threading
from pathlib import Path

import numpy as np

from backend import paths, scratch
from backend.db import open_db
from backend.jobs import segment_prefetch
from backend.media import segment_cache
from backend.media.ingest import FRAME_US
from bridge.events import EventHub
from bridge.jobs import JobManager
from bridge.media import MediaRegistry
from bridge.sharp import SharpProxies


SCRATCH_PREFIX = "video-archive-bridge-"
FRAMES_BYTES = 256 << 20   # full-quality frames kept for reuse (about 250 at 1080p)


class Bridge:
    def __init__(self, db_path: str | Path | None = None, *, transport: str = "http"):
        self.db_path = paths.db_path(db_path)
        self.db = open_db(self.db_path)
        self.events = EventHub()
        self.jobs = JobManager(self.events)
        self.media = MediaRegistry()
        self.sharp = SharpProxies()  # sharp proxies made after an ingest, in the background
        self.transport = transport
        self.base_url = ""  # the HTTP server's address once it listens: media URLs point there
        # frames rendered on request (frame.get) live here for this run only, bounded by
        # FRAMES_BYTES; a folder a killed run left behind goes at the next start
        self.scratch = scratch.make_dir(SCRATCH_PREFIX)
        segment_cache.clean(paths.cache_dir(self.db_path))  # leftovers of dead runs, the size bound
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
        Float32Array)."""
        return self._raw_array(Path(result.scores), result.frame_count, "scores", "<f4")

    def frame_us_file(self, result) -> Path:
        """The decoded frames' OpenCV-style times in microseconds as little-endian float64 (exact
        below 2^53 us), which the page's live recut needs on a variable-frame-rate file."""
        return self._raw_array(Path(result.scores).parent / FRAME_US, result.frame_count,
                               "frame-us", "<f8")

    def _raw_array(self, npy: Path, count: int, kind: str, dtype: str) -> Path:
        """`npy` as raw `dtype` values, written once per run and ingest entry."""
        out = self.scratch / f"{kind}-{npy.parent.name}-{count}.{dtype[1:]}"
        with self._lock:
            if not out.is_file():
                temp = out.with_suffix(".partial")
                np.load(npy).astype(dtype).tofile(temp)
                temp.replace(out)
        return out

    def frame_file(self, session_id: str, name: str, render) -> Path:
        """A rendered frame from the scratch folder, made by `render(path)` when missing; the
        folder is kept under FRAMES_BYTES, least recently used first."""
        out = self.scratch / "frames" / session_id / name
        if out.is_file():
            os.utime(out)  # used again: the last to go
            return out
        out.parent.mkdir(parents=True, exist_ok=True)
        render(out)
        scratch.prune(self.scratch / "frames", FRAMES_BYTES, keep=out)
        return out

    def close(self) -> None:
        # the background segment encode its ingests started ends with it (its ffmpeg too)
        segment_prefetch.stop()
        self.sharp.close()
        self.jobs.close()
        self.db.close()
        shutil.rmtree(self.scratch, ignore_errors=True)
