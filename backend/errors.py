"""The error types of the core. Each carries a message a person can act on (one or two lines);
callers (CLI, bridge) show `str(err)` and never a traceback."""


class ArchiveError(Exception):
    """Base of every expected failure: bad input, a broken file, a database problem."""


class InputError(ArchiveError):
    """The user gave something unusable (a path, a date, a name, a setting value). `field` names
    the request field at fault ("master", "artwork", "cuts", ...) so a UI can point at it."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class StateError(ArchiveError):
    """The state store (state.db) could not do what was asked, or holds malformed data."""


class MediaError(ArchiveError):
    """A media file or the ffmpeg toolchain failed: not a video, truncated, encoder unusable."""


class OperatorError(ArchiveError):
    """An operator's check or one of its units of work failed."""


class Cancelled(ArchiveError):
    """Work stopped because the user paused or cancelled it."""


class UnreadableFile(InputError, MediaError):
    """A file given as input is missing, not a file, empty or not readable (media.readable). It
    is the user's input and a media problem at once, so callers catching either see it."""
