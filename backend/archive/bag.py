"""The tag files that make an archive folder a BagIt bag (RFC 8493, version 1.0): the
declaration, bag-info.txt, the payload manifest and the tag manifest, written from digests taken
when the payload was written (no file of the payload is read here)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import msgspec

from backend.archive.layout import PAYLOAD_DIR

BAGIT_VERSION = "1.0"


class BagEntry(msgspec.Struct, frozen=True):
    path: str        # relative to the bag's root, "/"-separated: "data/clips/x.mp4", "index.html"
    sha256: str
    bytes: int


def declaration() -> bytes:
    return f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n".encode()


_DECODED = re.compile(r"%(25|0A|0D)", re.IGNORECASE)


def _encode_path(path: str) -> str:
    """RFC 8493 2.1.3: a manifest line ends at a line break, so CR and LF are %-encoded, and %
    itself. No validator in use encodes % (the Library of Congress's bagit-python looks for
    "100%25.png" on disk), so % is encoded only where a reader could mistake it: before 25, 0A or
    0D. Every other % stays as it is, which reads the same under the RFC's decoding (it decodes
    only those three) and under theirs."""
    if _DECODED.search(path):
        path = path.replace("%", "%25")
    return path.replace("\r", "%0D").replace("\n", "%0A")


def decode_path(text: str) -> str:
    """A manifest's path as it is on disk: %25, %0A and %0D decoded in one pass."""
    return _DECODED.sub(lambda m: {"25": "%", "0A": "\n", "0D": "\r"}[m.group(1).upper()], text)


def manifest(entries: list[BagEntry]) -> bytes:
    lines = [f"{e.sha256}  {_encode_path(e.path)}\n" for e in sorted(entries, key=lambda e: e.path)]
    return "".join(lines).encode("utf-8")


def payload_oxum(entries: list[BagEntry]) -> str:
    """Octets and file count of the payload: a reader's first, cheap completeness check."""
    return f"{sum(e.bytes for e in entries)}.{len(entries)}"


def _size_text(size: int) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def bag_info(fields: list[tuple[str, str]], payload: list[BagEntry], today: dt.date | None = None) -> bytes:
    """bag-info.txt: the given label/value pairs, then the reserved metadata every bag carries.
    Values are one line each (a line break would start a new element)."""
    rows = [*fields,
            ("Bagging-Date", (today or dt.date.today()).isoformat()),
            ("Payload-Oxum", payload_oxum(payload)),
            ("Bag-Size", _size_text(sum(e.bytes for e in payload)))]
    return "".join(f"{label}: {' '.join(str(value).split())}\n" for label, value in rows).encode("utf-8")


def tag_files(payload: list[BagEntry], info_fields: list[tuple[str, str]],
              other_tags: list[BagEntry] = (), today: dt.date | None = None) -> dict[str, bytes]:
    """Every tag file of the bag by name, in the order to write them: the tag manifest last, as
    it covers the others (and `other_tags`, tag files already written, like the contact sheet)."""
    for entry in payload:
        if not entry.path.startswith(PAYLOAD_DIR + "/"):
            raise ValueError(f"payload file outside {PAYLOAD_DIR}/: {entry.path}")
    files = {"manifest-sha256.txt": manifest(payload),
             "bag-info.txt": bag_info(info_fields, payload, today),
             "bagit.txt": declaration()}
    tags = [*other_tags, *(BagEntry(path=name, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
                           for name, data in files.items())]
    files["tagmanifest-sha256.txt"] = manifest(tags)
    return files
