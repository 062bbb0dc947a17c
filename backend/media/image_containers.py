"""Lossless edits of the metadata blocks of image files: JPEG APP1 segments, PNG chunks, WebP RIFF
chunks and TIFF IFD0 tags. Pixel data is copied byte for byte, never decoded or re-encoded."""

import struct
import zlib

from backend.errors import MediaError

EXIF_APP1_HEADER = b"Exif\x00\x00"
XMP_APP1_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXTENSION_HEADER = b"http://ns.adobe.com/xmp/extension/\x00"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_XMP_KEYWORD = "XML:com.adobe.xmp"


def image_format(data: bytes) -> str | None:
    """"jpeg", "png", "webp", "tiff" from the first bytes, or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == PNG_SIGNATURE:
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    return None


# --- JPEG ----------------------------------------------------------------------------------------

_STANDALONE = {0x01, *range(0xD0, 0xD9)}  # markers without a length field (TEM, RSTn, SOI)


def _jpeg_segments(data: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """The marker segments before the first SOS as (marker, whole segment bytes), and the rest
    of the file (scan data and everything after) untouched."""
    if data[:2] != b"\xff\xd8":
        raise MediaError("not a JPEG file (no SOI marker)")
    segments, pos = [], 2
    while pos < len(data):
        if data[pos] != 0xFF:
            raise MediaError(f"corrupt JPEG: expected a marker at byte {pos}")
        marker_start = pos
        while pos < len(data) and data[pos] == 0xFF:  # fill bytes
            pos += 1
        marker = data[pos]
        pos += 1
        if marker == 0xDA:  # start of scan: the rest is image data
            return segments, data[marker_start:]
        if marker in _STANDALONE:
            segments.append((marker, data[marker_start:pos]))
            continue
        (length,) = struct.unpack(">H", data[pos:pos + 2])
        pos += length
        segments.append((marker, data[marker_start:pos]))
    raise MediaError("corrupt JPEG: no image data (SOS) found")


def _app1(payload: bytes) -> bytes:
    if len(payload) + 2 > 0xFFFF:
        raise MediaError(f"metadata block of {len(payload)} bytes does not fit a JPEG APP1 segment")
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def jpeg_replace_metadata(data: bytes, exif: bytes | None, xmp: bytes | None) -> bytes:
    """Replace the EXIF and XMP APP1 segments (exif: the APP1 payload, b"Exif\\0\\0" + TIFF).
    They go after SOI and a JFIF APP0, where readers look first."""
    segments, rest = _jpeg_segments(data)
    kept, head = [], []
    for marker, raw in segments:
        body = raw[4:]
        if marker == 0xE1 and (body.startswith(EXIF_APP1_HEADER) or body.startswith(XMP_APP1_HEADER)
                               or body.startswith(XMP_EXTENSION_HEADER)):
            continue
        if marker == 0xE0 and not kept and body.startswith(b"JFIF\x00"):
            head.append(raw)
            continue
        kept.append(raw)
    new = [_app1(exif)] if exif else []
    if xmp:
        new.append(_app1(XMP_APP1_HEADER + xmp))
    return b"\xff\xd8" + b"".join(head + new + kept) + rest


def jpeg_read_metadata(data: bytes) -> tuple[bytes | None, bytes | None]:
    """(EXIF as TIFF bytes, XMP packet) of a JPEG, each None when absent."""
    exif = xmp = None
    for marker, raw in _jpeg_segments(data)[0]:
        body = raw[4:]
        if marker == 0xE1 and body.startswith(EXIF_APP1_HEADER) and exif is None:
            exif = body[len(EXIF_APP1_HEADER):]
        elif marker == 0xE1 and body.startswith(XMP_APP1_HEADER) and xmp is None:
            xmp = body[len(XMP_APP1_HEADER):]
    return exif, xmp


# --- PNG -----------------------------------------------------------------------------------------

def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    if data[:8] != PNG_SIGNATURE:
        raise MediaError("not a PNG file")
    chunks, pos = [], 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length:
            raise MediaError("corrupt PNG: a chunk runs past the end of the file")
        chunks.append((kind, body))
        pos += 12 + length
        if kind == b"IEND":
            break
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise MediaError("corrupt PNG: missing IHDR or IEND")
    return chunks


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _text_keyword(kind: bytes, body: bytes) -> str | None:
    if kind in (b"tEXt", b"zTXt", b"iTXt"):
        return body.split(b"\x00", 1)[0].decode("latin-1")
    return None


def png_text_chunk(keyword: str, text: str) -> tuple[bytes, bytes]:
    """tEXt when the text is Latin-1 (what the PNG spec says tEXt holds; '©' is Latin-1),
    else iTXt in UTF-8."""
    key = keyword.encode("latin-1")
    try:
        return b"tEXt", key + b"\x00" + text.encode("latin-1")
    except UnicodeEncodeError:
        return b"iTXt", key + b"\x00\x00\x00" + b"\x00" + b"\x00" + text.encode("utf-8")


def png_replace_metadata(data: bytes, text: dict[str, str], xmp: bytes | None,
                         exif: bytes | None) -> bytes:
    """Replace the text chunks named in `text`, the XMP iTXt chunk and the eXIf chunk (TIFF bytes);
    the new ones go right after IHDR, so they precede the image data as eXIf must."""
    managed = {*text, PNG_XMP_KEYWORD}
    chunks = [(k, b) for k, b in _png_chunks(data)
              if k != b"eXIf" and _text_keyword(k, b) not in managed]
    new = [png_text_chunk(key, value) for key, value in text.items()]
    if xmp:
        # iTXt, uncompressed, no language: how Adobe and exiftool write XMP into PNG.
        new.append((b"iTXt", PNG_XMP_KEYWORD.encode() + b"\x00\x00\x00\x00\x00" + xmp))
    if exif:
        new.append((b"eXIf", exif))
    ordered = chunks[:1] + new + chunks[1:]
    return PNG_SIGNATURE + b"".join(_png_chunk(k, b) for k, b in ordered)


def png_read_metadata(data: bytes) -> tuple[dict[str, str], bytes | None, bytes | None]:
    """(text chunks by keyword, XMP packet, EXIF TIFF bytes)."""
    text: dict[str, str] = {}
    xmp = exif = None
    for kind, body in _png_chunks(data):
        if kind == b"tEXt":
            key, _, value = body.partition(b"\x00")
            text[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"zTXt":
            key, _, value = body.partition(b"\x00")
            text[key.decode("latin-1")] = zlib.decompress(value[1:]).decode("latin-1")
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\x00")
            compressed = rest[0] == 1
            _lang, _, rest = rest[2:].partition(b"\x00")
            _translated, _, value = rest.partition(b"\x00")
            raw = zlib.decompress(value) if compressed else value
            if key.decode("latin-1") == PNG_XMP_KEYWORD:
                xmp = raw
            else:
                text[key.decode("latin-1")] = raw.decode("utf-8", "replace")
        elif kind == b"eXIf":
            exif = body
    return text, xmp, exif


# --- WebP ----------------------------------------------------------------------------------------

_VP8X_ALPHA, _VP8X_EXIF, _VP8X_XMP = 0x10, 0x08, 0x04


def _webp_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise MediaError("not a WebP file")
    end = min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    chunks, pos = [], 12
    while pos + 8 <= end:
        kind, size = struct.unpack("<4sI", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + size]
        if len(body) != size:
            raise MediaError("corrupt WebP: a chunk runs past the end of the file")
        chunks.append((kind, body))
        pos += 8 + size + (size & 1)
    return chunks


def _webp_canvas(chunks: list[tuple[bytes, bytes]]) -> tuple[int, int, bool]:
    """Canvas width, height and whether it has alpha, read from the image bitstream header."""
    kinds = {k for k, _ in chunks}
    for kind, body in chunks:
        if kind == b"VP8 " and body[3:6] == b"\x9d\x01\x2a":
            width, height = struct.unpack("<HH", body[6:10])
            return width & 0x3FFF, height & 0x3FFF, b"ALPH" in kinds
        if kind == b"VP8L" and body[:1] == b"\x2f":
            (bits,) = struct.unpack("<I", body[1:5])
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool((bits >> 28) & 1)
    raise MediaError("corrupt WebP: no VP8 or VP8L image data")


def webp_replace_metadata(data: bytes, exif: bytes | None, xmp: bytes | None) -> bytes:
    """Replace the EXIF (TIFF bytes) and XMP chunks. A simple-format file (VP8/VP8L only) gets the
    VP8X header chunk that the extended format needs to carry metadata."""
    chunks = [(k, b) for k, b in _webp_chunks(data) if k not in (b"EXIF", b"XMP ")]
    if chunks[0][0] == b"VP8X":
        header = bytearray(chunks[0][1])
        chunks = chunks[1:]
    else:
        width, height, alpha = _webp_canvas(chunks)
        header = bytearray(10)
        header[0] = _VP8X_ALPHA if alpha else 0
        header[4:7] = (width - 1).to_bytes(3, "little")
        header[7:10] = (height - 1).to_bytes(3, "little")
    header[0] &= ~(_VP8X_EXIF | _VP8X_XMP) & 0xFF
    header[0] |= (_VP8X_EXIF if exif else 0) | (_VP8X_XMP if xmp else 0)
    chunks = [(b"VP8X", bytes(header)), *chunks]
    if exif:
        chunks.append((b"EXIF", exif))
    if xmp:
        chunks.append((b"XMP ", xmp))
    body = b"".join(k + struct.pack("<I", len(b)) + b + (b"\x00" if len(b) & 1 else b"")
                    for k, b in chunks)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def webp_read_metadata(data: bytes) -> tuple[bytes | None, bytes | None]:
    exif = xmp = None
    for kind, body in _webp_chunks(data):
        if kind == b"EXIF":
            # Some writers keep the JPEG-style "Exif\0\0" prefix; readers accept both.
            exif = body[len(EXIF_APP1_HEADER):] if body.startswith(EXIF_APP1_HEADER) else body
        elif kind == b"XMP ":
            xmp = body
    return exif, xmp


# --- TIFF structures (EXIF blocks and TIFF files) ------------------------------------------------

TIFF_BYTE, TIFF_ASCII, TIFF_SHORT, TIFF_LONG, TIFF_RATIONAL, TIFF_UNDEFINED = 1, 2, 3, 4, 5, 7
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}
EXIF_IFD_POINTER = 0x8769

Tags = dict[int, tuple[int, bytes]]  # tag -> (TIFF type, value bytes in the block's byte order)


def _ifd(entries: Tags, start: int) -> bytes:
    """One little-endian IFD placed at offset `start`, followed by its out-of-line values
    (word aligned, entries in ascending tag order, as the TIFF spec requires)."""
    values_at = start + 2 + 12 * len(entries) + 4
    table, values = b"", b""
    for tag in sorted(entries):
        kind, raw = entries[tag]
        if len(raw) <= 4:
            slot = raw.ljust(4, b"\x00")
        else:
            if (values_at + len(values)) & 1:
                values += b"\x00"
            slot = struct.pack("<I", values_at + len(values))
            values += raw
        table += struct.pack("<HHI", tag, kind, len(raw) // _TYPE_SIZES[kind]) + slot
    return struct.pack("<H", len(entries)) + table + struct.pack("<I", 0) + values


def build_exif(ifd0: Tags, exif_ifd: Tags) -> bytes:
    """An EXIF block (TIFF structure, little-endian): IFD0 and, when given, the Exif sub-IFD."""
    header = b"II*\x00" + struct.pack("<I", 8)
    if not exif_ifd:
        return header + _ifd(ifd0, 8)
    # The pointer's own size is fixed, so IFD0's length does not depend on its value.
    probe = _ifd({**ifd0, EXIF_IFD_POINTER: (TIFF_LONG, bytes(4))}, 8)
    exif_at = 8 + len(probe) + (len(probe) & 1)
    first = _ifd({**ifd0, EXIF_IFD_POINTER: (TIFF_LONG, struct.pack("<I", exif_at))}, 8)
    return header + first + b"\x00" * (len(first) & 1) + _ifd(exif_ifd, exif_at)


def le_short(value: int) -> tuple[int, bytes]:
    return TIFF_SHORT, struct.pack("<H", value)


def le_long(value: int) -> tuple[int, bytes]:
    return TIFF_LONG, struct.pack("<I", value)


def le_rational(numerator: int, denominator: int) -> tuple[int, bytes]:
    return TIFF_RATIONAL, struct.pack("<II", numerator, denominator)


def tiff_replace_tags(data: bytes, tags: Tags, defaults: Tags | None = None) -> bytes:
    """Set IFD0 tags of a classic TIFF file, and `defaults` where the file has no such tag.
    Values are given as for a little-endian file (bytes, ASCII and UNDEFINED values are the
    same in both orders; SHORT, LONG and RATIONAL are swapped for a big-endian file). The new
    IFD0 and its values are appended and the header repointed; strips stay where they are."""
    order = {b"II": "<", b"MM": ">"}.get(data[:2])
    if order is None or struct.unpack(order + "H", data[2:4])[0] != 42:
        raise MediaError("not a classic TIFF file (BigTIFF is not supported)")
    (ifd_at,) = struct.unpack(order + "I", data[4:8])
    (count,) = struct.unpack(order + "H", data[ifd_at:ifd_at + 2])
    entries: dict[int, bytes] = {}
    for i in range(count):
        raw = data[ifd_at + 2 + 12 * i:ifd_at + 14 + 12 * i]
        entries[struct.unpack(order + "H", raw[:2])[0]] = raw
    next_ifd = data[ifd_at + 2 + 12 * count:ifd_at + 6 + 12 * count]

    wanted = {tag: spec for tag, spec in (defaults or {}).items() if tag not in entries}
    wanted.update(tags)
    out = bytearray(data)
    for tag, raw in entries.items():
        # Values at odd offsets break the TIFF rule of word alignment (FFmpeg's encoder writes
        # some): copy them to an aligned place, since the IFD is rewritten anyway.
        kind, count, at = struct.unpack(order + "HII", raw[2:12])
        size = _TYPE_SIZES.get(kind, 1) * count
        if size > 4 and at & 1 and tag not in wanted:
            if len(out) & 1:
                out += b"\x00"
            new_at = len(out)
            out += data[at:at + size]
            entries[tag] = raw[:8] + struct.pack(order + "I", new_at)
    for tag, (kind, value) in wanted.items():
        if order == ">" and _TYPE_SIZES[kind] > 1:
            value = _swap(kind, value)
        if len(value) <= 4:
            slot = value.ljust(4, b"\x00")
        else:
            if len(out) & 1:
                out += b"\x00"  # TIFF offsets must be word aligned
            slot = struct.pack(order + "I", len(out))
            out += value
        entries[tag] = struct.pack(order + "HHI", tag, kind, len(value) // _TYPE_SIZES[kind]) + slot
    if len(out) & 1:
        out += b"\x00"
    new_ifd_at = len(out)
    out += struct.pack(order + "H", len(entries))
    out += b"".join(entries[tag] for tag in sorted(entries))  # readers expect ascending tags
    out += next_ifd
    out[4:8] = struct.pack(order + "I", new_ifd_at)
    return bytes(out)


def _swap(kind: int, value: bytes) -> bytes:
    """Little-endian SHORT/LONG/RATIONAL values re-packed big-endian."""
    code = {3: "H", 4: "I", 5: "I", 8: "h", 9: "i", 10: "i", 11: "f", 12: "d"}[kind]
    count = len(value) // struct.calcsize(code)
    return struct.pack(f">{count}{code}", *struct.unpack(f"<{count}{code}", value))
