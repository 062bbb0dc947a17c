"""Media the server may send, by id: a method that hands the page a proxy, a sprite sheet, a
thumbnail or a rendered frame registers the file here and returns a URL with a random id. The
HTTP server serves only registered files, so a client can never name a path of its own."""

from __future__ import annotations

import mimetypes
import secrets
import threading
from pathlib import Path

import msgspec

TYPES = {".webm": "video/webm", ".mp4": "video/mp4", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
         ".png": "image/png", ".f32": "application/octet-stream"}


class MediaFile(msgspec.Struct, frozen=True):
    path: Path
    content_type: str
    session_id: str | None
    # a stream of concatenated JPEGs (the frame thumbnails): `/media/<id>/<n>` is the n-th,
    # bytes offsets[n]:offsets[n + 1] of `path` (an .npy of frame count + 1 offsets)
    offsets: Path | None = None


class MediaRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, MediaFile] = {}
        self._ids: dict[Path, str] = {}

    def add(self, path: Path, session_id: str | None = None, *,
            offsets: Path | None = None) -> str:
        """The id of `path` (the same id every time within this run); the path is resolved now,
        so a symlink swapped in later changes nothing."""
        path = Path(path).resolve()
        with self._lock:
            media_id = self._ids.get(path)
            if media_id is None:
                media_id = secrets.token_urlsafe(16)
                kind = "image/jpeg" if offsets else TYPES.get(path.suffix.lower()) \
                    or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                self._by_id[media_id] = MediaFile(
                    path=path, content_type=kind, session_id=session_id,
                    offsets=Path(offsets).resolve() if offsets else None)
                self._ids[path] = media_id
            return media_id

    def get(self, media_id: str) -> MediaFile | None:
        with self._lock:
            return self._by_id.get(media_id)

    def drop_session(self, session_id: str) -> None:
        """Forget a discarded or closed session's media: its URLs stop working."""
        with self._lock:
            for media_id, item in list(self._by_id.items()):
                if item.session_id == session_id:
                    del self._by_id[media_id]
                    self._ids.pop(item.path, None)
