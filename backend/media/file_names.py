"""File-name lengths as file systems count them: in bytes of UTF-8, not characters. Shortening
never splits a character (nor a base letter from its accent) and never leaves a name ending in
'-', '_', '.' or a space; a shortened name carries a short hash of the full one, so two long
names that share a beginning stay two names."""

from __future__ import annotations

import hashlib
import os
import unicodedata

# One path component on ext4, APFS, XFS and btrfs (and within NTFS's 255 UTF-16 units): bytes.
NAME_MAX_BYTES = 255
# Where the target file system cannot say (Windows): the strictest common limit, macOS's.
FALLBACK_PATH_MAX_BYTES = 1024
HASH_TAG_BYTES = 7            # "~" and 6 hex digits
LONGEST_KEPT_SUFFIX = 16      # a longer "extension" is part of the name, not a format
_TRAILING = "-_. "


def byte_len(text: str) -> int:
    """Length as the file system sees it (undecodable bytes of a POSIX name count as one each)."""
    return len(os.fsencode(text))


def cut_to_bytes(text: str, limit: int) -> str:
    """The longest beginning of `text` that takes at most `limit` bytes: whole characters only,
    a letter never kept without the accents that follow it, and no trailing '-', '_', '.' or
    space."""
    kept, used = 0, 0
    for ch in text:
        size = byte_len(ch)
        if used + size > limit:
            while kept and unicodedata.combining(text[kept]):
                kept -= 1  # the accent did not fit: drop the letter it belongs to
            break
        kept, used = kept + 1, used + size
    return text[:kept].rstrip(_TRAILING)


def name_hash(text: str) -> str:
    return hashlib.sha256(os.fsencode(text)).hexdigest()[:6]


def split_suffix(name: str) -> tuple[str, str]:
    """(stem, suffix) where the suffix is a short extension that says the format ('.mp4')."""
    dot = name.rfind(".")
    if dot <= 0 or byte_len(name[dot:]) > LONGEST_KEPT_SUFFIX:
        return name, ""
    return name[:dot], name[dot:]


def shorten(text: str, limit: int, *, tag_source: str | None = None) -> str:
    """`text` itself when it fits in `limit` bytes, else its beginning, '~' and 6 hex digits of
    the hash of `tag_source` (default: the whole text)."""
    if byte_len(text) <= limit:
        return text
    tag = f"~{name_hash(tag_source if tag_source is not None else text)}"
    return f"{cut_to_bytes(text, limit - len(tag))}{tag}"


def fit_name(name: str, limit: int = NAME_MAX_BYTES, *, tag_source: str | None = None) -> str:
    """A file name within `limit` bytes: `name` itself when it fits, else its stem shortened
    (`shorten`) with the extension kept."""
    if byte_len(name) <= limit:
        return name
    stem, suffix = split_suffix(name)
    if byte_len(suffix) + HASH_TAG_BYTES >= limit:  # no room for a stem: keep no extension
        stem, suffix = name, ""
    return shorten(stem, limit - byte_len(suffix), tag_source=tag_source or name) + suffix


def tagged(name: str, tag_source: str, limit: int = NAME_MAX_BYTES) -> str:
    """`name` with '~hash(tag_source)' before its extension, within `limit` bytes: a second name
    for a file whose first choice is taken."""
    stem, suffix = split_suffix(name)
    tag = f"~{name_hash(tag_source)}"
    return f"{cut_to_bytes(stem, limit - byte_len(suffix) - len(tag))}{tag}{suffix}"


def path_max_bytes(folder) -> int:
    """The longest absolute path the file system holding `folder` accepts, in bytes."""
    try:
        return int(os.pathconf(folder, "PC_PATH_MAX")) - 1
    except (AttributeError, OSError, ValueError):
        return FALLBACK_PATH_MAX_BYTES
