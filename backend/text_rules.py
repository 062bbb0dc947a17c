"""Which text may go into archive metadata (XMP, EXIF, PNG text, MP4 tags), file names and preset
fields: one rule, checked where the text comes in (a command's arguments, `settings set`, a
preset import) and again where it is used, so an old stored value is refused before any work.

Refused everywhere: control characters (C0, DEL, C1: XML 1.0 cannot hold most of them, EXIF
strings end at NUL, and a terminal would act on ESC), lone surrogates (not encodable as UTF-8),
Unicode non-characters, line and paragraph separators, and the bidirectional override and
isolate marks (they make a name display as something else). Tab and line feed are allowed only
in multi-line fields (a preset's description). Leading and trailing spaces are not refused;
callers strip them."""

from __future__ import annotations

import unicodedata

from backend.errors import InputError

_BIDI = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A))


def _bad(char: str, multiline: bool) -> bool:
    code = ord(char)
    if multiline and char in "\t\n":
        return False
    category = unicodedata.category(char)
    if category in ("Cc", "Cs", "Zl", "Zp"):
        return True
    if 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE:  # non-characters
        return True
    return code in _BIDI


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    if not name and ord(char) < 0x20:
        name = {0x1B: "ESCAPE", 0x09: "TAB", 0x0A: "LINE FEED", 0x0D: "CARRIAGE RETURN",
                0x00: "NUL"}.get(ord(char), "control character")
    elif not name:
        name = "control character" if unicodedata.category(char) == "Cc" else "unusable character"
    return f"U+{ord(char):04X} {name}".strip()


def one_line(text: str) -> str:
    """`text` safe to show on one line of a terminal or a log: every character this module
    refuses (line breaks, ESC, bidirectional marks, ...) written as its escape (\\n, \\x1b,
    \\u202e), so a file name that holds one cannot split or restyle an error message."""
    if not any(_bad(c, False) for c in text):
        return text
    return "".join(c.encode("unicode_escape").decode("ascii") if _bad(c, False) else c
                   for c in text)


def problem(text: str, *, multiline: bool = False, max_bytes: int | None = None) -> str | None:
    """Why `text` cannot be used (None: it can)."""
    for index, char in enumerate(text):
        if _bad(char, multiline):
            return (f"contains {_describe(char)} at character {index + 1}, which cannot go into "
                    "file metadata or names; remove it")
    if max_bytes is not None:
        size = len(text.encode("utf-8"))
        if size > max_bytes:
            return f"is {size} bytes long in UTF-8; at most {max_bytes} fit in file metadata"
    return None


class TextError(InputError, ValueError):
    """An InputError; also a ValueError, so that inside a Struct's __post_init__ msgspec reports
    it as a validation error of the stored value it decodes (a StateError naming the cell)."""


def check(text: str, what: str, *, field: str | None = None, multiline: bool = False,
          max_bytes: int | None = None) -> str:
    """`text` when usable, else an InputError naming `what` (e.g. "the artwork name") and the
    request `field` it came from."""
    why = problem(text, multiline=multiline, max_bytes=max_bytes)
    if why:
        raise TextError(f"{what} {why}", field)
    return text
