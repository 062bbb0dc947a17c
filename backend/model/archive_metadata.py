"""What every output file of an archive says about itself (the metadata media/metadata.py writes)."""

from __future__ import annotations

import datetime

import msgspec

from backend import text_rules


class ArchiveMetadata(msgspec.Struct, frozen=True, kw_only=True):
    """What every output file of an archive says about itself. Empty fields are not written."""
    copyright: str = ""  # the `copyright_text` setting, e.g. "© Yambo Studio"
    artist: str = ""
    title: str = ""  # the artwork name
    description: str = ""
    date: datetime.date | None = None  # the project date

    def __post_init__(self):
        # Checked when a job is made (and when a stored session is loaded), so text that XMP,
        # EXIF or an MP4 tag cannot hold is refused before any file is written.
        for name, (what, limit) in TEXT_FIELDS.items():
            text_rules.check(getattr(self, name), what, max_bytes=limit)


# Where each text comes from (said in a refusal), and how many UTF-8 bytes it may take: all of
# them together stay far below the 64 KB a JPEG's EXIF segment holds.
TEXT_FIELDS = {
    "copyright": ("the copyright_text setting", 1000),
    "artist": ("the artist_name setting", 1000),
    "title": ("the artwork name", 1000),
    "description": ("the file description", 3000),
}
