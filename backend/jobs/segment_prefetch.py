"""The editor's background encode of the web master's segments: once the ingest is done the
user reviews and the machine is idle, so the segments of the cuts as they stand are encoded
into the segment cache at low priority. An edit starts it again for the new cuts (segments that
did not change are kept); an export stops it and encodes only what is still missing.

One background encode per process at a time; `start` returns at once."""

from __future__ import annotations

import logging
import threading

from backend.errors import ArchiveError, Cancelled
from backend.jobs.pool import lower_priority
from backend.ops import web_segments
from backend.ops.base import Job

log = logging.getLogger(__name__)

_guard = threading.Lock()
_current: tuple[threading.Event, threading.Thread] | None = None
_session: str | None = None   # the session whose cuts the background encode follows


def start(job: Job, session_id: str) -> bool:
    """Encode the job's missing segments in a background thread (its `cancel` stops it), after
    stopping any earlier background encode. False when the job's preset has no segments."""
    global _current, _session
    if not web_segments.segmented(job):
        return False
    wanted = web_segments.job_segments(job)
    with _guard:
        _stop_locked()
        thread = threading.Thread(target=_work, args=(job, wanted), name="segment-prefetch",
                                  daemon=True)
        _current, _session = (job.cancel, thread), session_id
        thread.start()
    return True


def following() -> str | None:
    """The session the background encode works for (until an export or `stop`), else None."""
    with _guard:
        return _session


def stop(wait: bool = True) -> None:
    """Stop the background encode (the segments it finished stay in the cache)."""
    with _guard:
        _stop_locked(wait)


def running() -> bool:
    with _guard:
        return _current is not None and _current[1].is_alive()


def _stop_locked(wait: bool = True) -> None:
    global _current, _session
    _session = None
    if _current is None:
        return
    cancel, thread = _current
    cancel.set()
    if wait and thread is not threading.current_thread():
        thread.join()
    _current = None


def _work(job: Job, wanted) -> None:
    lower_priority()
    try:
        web_segments.encode_segments(job, wanted)
    except Cancelled:
        pass
    except (ArchiveError, OSError) as exc:  # the export encodes what is missing and reports it
        log.warning("background encode of the web master's segments stopped: %s", exc)
