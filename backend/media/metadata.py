"""Copyright, artist, title, date and description in every archive file: EXIF + XMP in JPEG and
WebP stills, text chunks + XMP (+ eXIf) in PNG, IFD0 tags + XMP in TIFF, container tags in videos.

Text encoding. XMP, PNG iTXt and video tags are UTF-8, so '©' and any name round-trip exactly.
EXIF string tags are typed "ASCII" by the EXIF spec, which cannot hold '©'. We store them as
UTF-8 bytes, as the Metadata Working Group guidelines recommend and as exiftool, Pillow and
Windows read them, rather than degrading '©' to '(C)': an archive's copyright line must survive
as written. The Windows XP* tags (UTF-16) carry title, author and comment as well."""

import datetime
import email.utils
import io
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import av
import PIL.Image
import piexif

from backend.errors import MediaError
from backend.media import image_containers as containers
from backend.media.atomic import write_bytes_atomic
from backend.model.archive_metadata import ArchiveMetadata

SOFTWARE = "Video Archive Tool"


# --- payloads ------------------------------------------------------------------------------------

def _exif_date(date: datetime.date) -> bytes:
    return date.strftime("%Y:%m:%d 00:00:00").encode()


def _ascii(text: str) -> tuple[int, bytes]:
    return containers.TIFF_ASCII, text.encode("utf-8") + b"\x00"


def _xp(text: str) -> tuple[int, bytes]:
    # Windows' XP* tags: UTF-16LE, NUL-terminated, typed BYTE.
    return containers.TIFF_BYTE, (text + "\x00").encode("utf-16-le")


def exif_block(meta: ArchiveMetadata, width: int, height: int, *, jpeg: bool = False) -> bytes:
    """An EXIF block (TIFF structure) for `meta`, with the tags the EXIF spec requires of an
    image of `width` x `height` (exiftool -validate finds nothing to complain about)."""
    c = containers
    ifd0 = {piexif.ImageIFD.Software: _ascii(SOFTWARE),
            piexif.ImageIFD.XResolution: c.le_rational(72, 1),
            piexif.ImageIFD.YResolution: c.le_rational(72, 1),
            piexif.ImageIFD.ResolutionUnit: c.le_short(2)}  # inches
    exif = {piexif.ExifIFD.ExifVersion: (c.TIFF_UNDEFINED, b"0232"),
            piexif.ExifIFD.FlashpixVersion: (c.TIFF_UNDEFINED, b"0100"),
            piexif.ExifIFD.ColorSpace: c.le_short(1),  # sRGB
            piexif.ExifIFD.PixelXDimension: c.le_long(width),
            piexif.ExifIFD.PixelYDimension: c.le_long(height)}
    if jpeg:
        ifd0[piexif.ImageIFD.YCbCrPositioning] = c.le_short(1)
        exif[piexif.ExifIFD.ComponentsConfiguration] = (c.TIFF_UNDEFINED, b"\x01\x02\x03\x00")
    if meta.copyright:
        ifd0[piexif.ImageIFD.Copyright] = _ascii(meta.copyright)
    if meta.artist:
        ifd0[piexif.ImageIFD.Artist] = _ascii(meta.artist)
        ifd0[piexif.ImageIFD.XPAuthor] = _xp(meta.artist)
    if meta.description:
        ifd0[piexif.ImageIFD.ImageDescription] = _ascii(meta.description)
        ifd0[piexif.ImageIFD.XPComment] = _xp(meta.description)
    if meta.title:
        ifd0[piexif.ImageIFD.XPTitle] = _xp(meta.title)
    if meta.date:
        ifd0[piexif.ImageIFD.DateTime] = (c.TIFF_ASCII, _exif_date(meta.date) + b"\x00")
        exif[piexif.ExifIFD.DateTimeOriginal] = (c.TIFF_ASCII, _exif_date(meta.date) + b"\x00")
    return containers.build_exif(ifd0, exif)


_NAMESPACES = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
}


def _alt(tag: str, text: str) -> str:
    return (f"   <{tag}><rdf:Alt><rdf:li xml:lang=\"x-default\">{escape(text)}</rdf:li></rdf:Alt>"
            f"</{tag}>\n")


def xmp_packet(meta: ArchiveMetadata) -> bytes:
    """An XMP packet (UTF-8) with dc:rights, dc:creator, dc:title, dc:description,
    xmp:CreateDate, photoshop:DateCreated and xmpRights:Marked."""
    attrs = [f'xmp:CreatorTool={quoteattr(SOFTWARE)}']
    if meta.copyright:
        attrs.append('xmpRights:Marked="True"')
    if meta.date:
        iso = meta.date.isoformat()
        attrs += [f'xmp:CreateDate="{iso}"', f'photoshop:DateCreated="{iso}"']
    body = ""
    if meta.copyright:
        body += _alt("dc:rights", meta.copyright)
    if meta.artist:
        body += f"   <dc:creator><rdf:Seq><rdf:li>{escape(meta.artist)}</rdf:li></rdf:Seq></dc:creator>\n"
    if meta.title:
        body += _alt("dc:title", meta.title)
    if meta.description:
        body += _alt("dc:description", meta.description)
    namespaces = " ".join(f'xmlns:{p}="{u}"' for p, u in _NAMESPACES.items() if p not in ("x", "rdf"))
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        f'<x:xmpmeta xmlns:x="{_NAMESPACES["x"]}">\n'
        f' <rdf:RDF xmlns:rdf="{_NAMESPACES["rdf"]}">\n'
        f'  <rdf:Description rdf:about="" {namespaces}\n    ' + "\n    ".join(attrs) + ">\n"
        f"{body}"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>')
    return packet.encode("utf-8")


def _rfc1123(date: datetime.date) -> str:
    # The format the PNG spec suggests for "Creation Time" (exiftool flags any other).
    moment = datetime.datetime(date.year, date.month, date.day, tzinfo=datetime.timezone.utc)
    return email.utils.format_datetime(moment, usegmt=True)


def png_text(meta: ArchiveMetadata) -> dict[str, str]:
    """The PNG spec's predefined text keywords."""
    pairs = {"Title": meta.title, "Author": meta.artist, "Description": meta.description,
             "Copyright": meta.copyright,
             "Creation Time": _rfc1123(meta.date) if meta.date else "", "Software": SOFTWARE}
    return {key: value for key, value in pairs.items() if value}


def tiff_tags(meta: ArchiveMetadata) -> dict[int, tuple[int, bytes]]:
    """IFD0 tags of a TIFF still: the EXIF text tags (TIFF files carry them in IFD0) and XMP."""
    tags = {piexif.ImageIFD.Software: _ascii(SOFTWARE),
            piexif.ImageIFD.XMLPacket: (containers.TIFF_BYTE, xmp_packet(meta))}
    if meta.copyright:
        tags[piexif.ImageIFD.Copyright] = _ascii(meta.copyright)
    if meta.artist:
        tags[piexif.ImageIFD.Artist] = _ascii(meta.artist)
    if meta.description:
        tags[piexif.ImageIFD.ImageDescription] = _ascii(meta.description)
    if meta.date:
        tags[piexif.ImageIFD.DateTime] = (containers.TIFF_ASCII, _exif_date(meta.date) + b"\x00")
    return tags


# Baseline TIFF requires a resolution; ffmpeg's encoder and some others leave it out.
TIFF_RESOLUTION_DEFAULTS = {piexif.ImageIFD.XResolution: containers.le_rational(72, 1),
                            piexif.ImageIFD.YResolution: containers.le_rational(72, 1),
                            piexif.ImageIFD.ResolutionUnit: containers.le_short(2)}


# --- embedding -----------------------------------------------------------------------------------

def embed_in_bytes(data: bytes, meta: ArchiveMetadata) -> bytes:
    """The same image file with `meta` embedded; pixel data is copied, never re-encoded.
    Any EXIF and XMP blocks already there (a camera's included) are replaced, so embedding twice
    gives one set."""
    kind = containers.image_format(data)
    if kind == "tiff":
        return containers.tiff_replace_tags(data, tiff_tags(meta), TIFF_RESOLUTION_DEFAULTS)
    if kind is None:
        raise MediaError("cannot embed metadata: not a JPEG, PNG, WebP or TIFF file")
    try:
        with PIL.Image.open(io.BytesIO(data)) as image:  # reads the header only
            width, height = image.size
    except (OSError, ValueError) as exc:
        raise MediaError(f"cannot read the image size: {exc}") from None
    exif = exif_block(meta, width, height, jpeg=kind == "jpeg")
    if kind == "jpeg":
        return containers.jpeg_replace_metadata(data, containers.EXIF_APP1_HEADER + exif,
                                                xmp_packet(meta))
    if kind == "webp":
        return containers.webp_replace_metadata(data, exif, xmp_packet(meta))
    return containers.png_replace_metadata(data, png_text(meta), xmp_packet(meta), exif)


def embed_in_image(path: str | Path, meta: ArchiveMetadata) -> None:
    """Embed `meta` into the image at `path`, replacing the file atomically."""
    path = Path(path)
    try:
        data = embed_in_bytes(path.read_bytes(), meta)
    except MediaError as exc:
        raise MediaError(f"{path.name}: {exc}") from None
    write_bytes_atomic(path, data)


MOVFLAG_METADATA = "use_metadata_tags"


def ffmpeg_metadata_args(meta: ArchiveMetadata, *, container: str = "mp4",
                         movflags: bool = True) -> list[str]:
    """ffmpeg output options that tag a video with `meta`. For MP4/MOV the muxer writes only its
    iTunes-style keys unless `-movflags +use_metadata_tags` is set, which stores every key (the
    copyright and description included) as an mdta tag. ffmpeg honours only the last -movflags:
    a caller that sets its own (e.g. faststart) passes movflags=False and adds MOVFLAG_METADATA
    to its list."""
    pairs = {"title": meta.title, "artist": meta.artist, "copyright": meta.copyright,
             "date": meta.date.isoformat() if meta.date else "",
             "description": meta.description, "comment": meta.description}
    args = []
    for key, value in pairs.items():
        if value:
            args += ["-metadata", f"{key}={value}"]
    if movflags and container.lower().lstrip(".") in ("mp4", "mov", "m4v"):
        args += ["-movflags", f"+{MOVFLAG_METADATA}"]
    return args


# --- reading (tests, verification) ---------------------------------------------------------------

_EXIF_FIELDS = {
    "0th": {piexif.ImageIFD.Copyright: "Copyright", piexif.ImageIFD.Artist: "Artist",
            piexif.ImageIFD.ImageDescription: "ImageDescription", piexif.ImageIFD.DateTime: "DateTime",
            piexif.ImageIFD.Software: "Software", piexif.ImageIFD.XPTitle: "XPTitle",
            piexif.ImageIFD.XPAuthor: "XPAuthor", piexif.ImageIFD.XPComment: "XPComment"},
    "Exif": {piexif.ExifIFD.DateTimeOriginal: "DateTimeOriginal"},
}


def _decode_exif(tiff: bytes) -> dict[str, str]:
    try:
        loaded = piexif.load(tiff)
    except Exception as exc:  # piexif raises bare ValueError/struct.error on damaged blocks
        raise MediaError(f"unreadable EXIF block: {exc}") from None
    result = {}
    for ifd, names in _EXIF_FIELDS.items():
        for tag, name in names.items():
            raw = loaded.get(ifd, {}).get(tag)
            if raw is None:
                continue
            raw = bytes(raw)
            if name.startswith("XP"):
                result[name] = raw.decode("utf-16-le", "replace").rstrip("\x00")
            else:
                try:
                    result[name] = raw.rstrip(b"\x00").decode("utf-8")
                except UnicodeDecodeError:
                    result[name] = raw.rstrip(b"\x00").decode("latin-1")
    return result


def _decode_xmp(packet: bytes) -> dict:
    try:
        root = ET.fromstring(packet.strip(b"\x00 \n"))
    except ET.ParseError as exc:
        raise MediaError(f"unreadable XMP packet: {exc}") from None
    ns = {p: u for p, u in _NAMESPACES.items()}
    result: dict = {}

    def first_li(element_name: str) -> list[str]:
        found = root.find(f".//{element_name}", ns)
        if found is None:
            return []
        return [li.text or "" for li in found.iter(f"{{{ns['rdf']}}}li")]

    for key, name in (("rights", "dc:rights"), ("title", "dc:title"),
                      ("description", "dc:description")):
        values = first_li(name)
        if values:
            result[key] = values[0]
    creators = first_li("dc:creator")
    if creators:
        result["creator"] = "; ".join(creators)
    for description in root.iter(f"{{{ns['rdf']}}}Description"):
        for key, qname in (("create_date", f"{{{ns['xmp']}}}CreateDate"),
                           ("marked", f"{{{ns['xmpRights']}}}Marked"),
                           ("creator_tool", f"{{{ns['xmp']}}}CreatorTool")):
            value = description.get(qname)
            if value is None:
                child = description.find(qname)
                value = child.text if child is not None else None
            if value is not None:
                result.setdefault(key, value)
    if "marked" in result:
        result["marked"] = result["marked"].strip().lower() == "true"
    return result


def read_image_metadata(path: str | Path) -> dict:
    """What an image says about itself: {"format", "exif": {tag name: text}, "xmp": {rights,
    creator, title, description, create_date, marked}, "text": {PNG keyword: text}} (the last
    only for PNG), each empty when absent."""
    path = Path(path)
    data = path.read_bytes()
    kind = containers.image_format(data)
    exif_raw = xmp_raw = None
    text: dict[str, str] = {}
    if kind == "jpeg":
        exif_raw, xmp_raw = containers.jpeg_read_metadata(data)
    elif kind == "webp":
        exif_raw, xmp_raw = containers.webp_read_metadata(data)
    elif kind == "png":
        text, xmp_raw, exif_raw = containers.png_read_metadata(data)
    elif kind == "tiff":
        exif_raw = data  # IFD0 of the file itself holds the tags
        loaded = piexif.load(data)
        packet = loaded["0th"].get(piexif.ImageIFD.XMLPacket)
        xmp_raw = bytes(packet) if packet else None
    else:
        raise MediaError(f"{path.name}: not a JPEG, PNG, WebP or TIFF file")
    try:
        return {"format": kind,
                "exif": _decode_exif(exif_raw) if exif_raw else {},
                "xmp": _decode_xmp(xmp_raw) if xmp_raw else {},
                "text": text}
    except MediaError as exc:
        raise MediaError(f"{path.name}: {exc}") from None


def image_metadata_problems(path: str | Path, meta: ArchiveMetadata) -> list[str]:
    """Where the metadata found in the image differs from `meta` (empty: all there)."""
    found = read_image_metadata(path)
    exif, xmp, text = found["exif"], found["xmp"], found["text"]
    expected = [
        ("XMP dc:rights", xmp.get("rights"), meta.copyright),
        ("XMP dc:creator", xmp.get("creator"), meta.artist),
        ("XMP dc:title", xmp.get("title"), meta.title),
        ("XMP dc:description", xmp.get("description"), meta.description),
        ("XMP xmp:CreateDate", xmp.get("create_date"), meta.date.isoformat() if meta.date else ""),
        ("EXIF Copyright", exif.get("Copyright"), meta.copyright),
        ("EXIF Artist", exif.get("Artist"), meta.artist),
        ("EXIF ImageDescription", exif.get("ImageDescription"), meta.description),
    ]
    if found["format"] == "png":
        expected += [(f"PNG {key}", text.get(key), value) for key, value in png_text(meta).items()]
    return [f"{where}: expected {want!r}, found {got!r}"
            for where, got, want in expected if (got or "") != want]


def read_video_metadata(path: str | Path) -> dict[str, str]:
    """The container tags of a video, keys lower-cased (ffmpeg's names: title, artist, ...)."""
    try:
        with av.open(str(path)) as container:
            return {k.lower(): v for k, v in container.metadata.items()}
    except av.FFmpegError as exc:
        raise MediaError(f"{Path(path).name}: cannot read container tags: {exc}") from None
