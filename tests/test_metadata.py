"""Archive metadata in images (JPEG, WebP, PNG, TIFF) and videos: round trips with '©' and
non-Latin text, pixels untouched, one set after embedding twice, and exiftool's reading when
exiftool is installed."""

import datetime
import json
import shutil
import subprocess
from fractions import Fraction

import av
import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from backend.errors import MediaError
from backend.media import image_containers as containers
from backend.media.metadata import (ArchiveMetadata, embed_in_bytes, embed_in_image,
                                    ffmpeg_metadata_args, image_metadata_problems,
                                    read_image_metadata, read_video_metadata)

META = ArchiveMetadata(copyright="© Yambo Studio", artist="Zoë Ünal 山田", title="Dune <Part 2> & co",
                       description="Scene 3 — frame 1234", date=datetime.date(2024, 11, 3))


def pixels(path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGBA"))


def make_image(path, fmt: str, **options):
    x, y = np.meshgrid(np.arange(96, dtype=np.uint8), np.arange(64, dtype=np.uint8))
    gradient = np.dstack([x * 2, y * 3, np.full((64, 96), 128, np.uint8)])
    Image.fromarray(gradient, "RGB").save(path, fmt, **options)
    return path


def av_encode(array: np.ndarray, codec: str, pix_fmt: str) -> bytes:
    context = av.CodecContext.create(codec, "w")
    context.width, context.height, context.pix_fmt = array.shape[1], array.shape[0], pix_fmt
    context.time_base = Fraction(1, 1)
    frame = av.VideoFrame.from_ndarray(array, format=pix_fmt)
    return b"".join(bytes(p) for p in context.encode(frame) + context.encode(None))


IMAGES = [("jpeg", "jpg", {"quality": 90}), ("webp", "webp", {"quality": 80}),
          ("webp", "webp", {"lossless": True}), ("png", "png", {}), ("tiff", "tiff", {}),
          ("tiff", "tiff", {"compression": "tiff_deflate"})]


@pytest.mark.parametrize("fmt, ext, options", IMAGES)
def test_image_round_trip_keeps_pixels(tmp_path, fmt, ext, options):
    path = make_image(tmp_path / f"still.{ext}", fmt.upper(), **options)
    before = pixels(path)
    embed_in_image(path, META)
    assert image_metadata_problems(path, META) == []
    found = read_image_metadata(path)
    assert found["format"] == fmt
    assert found["xmp"]["rights"] == "© Yambo Studio" and found["xmp"]["marked"] is True
    assert found["xmp"]["creator"] == "Zoë Ünal 山田"
    assert found["xmp"]["title"] == "Dune <Part 2> & co"
    assert found["xmp"]["create_date"] == "2024-11-03"
    assert found["exif"]["Copyright"] == "© Yambo Studio"
    assert found["exif"]["DateTime"] == "2024:11:03 00:00:00"
    assert np.array_equal(pixels(path), before)
    assert not list(tmp_path.glob(".*partial*"))


@pytest.mark.parametrize("fmt, ext, options", IMAGES[:4])
def test_exif_carries_title_and_dates(tmp_path, fmt, ext, options):
    path = make_image(tmp_path / f"still.{ext}", fmt.upper(), **options)
    embed_in_image(path, META)
    exif = read_image_metadata(path)["exif"]
    assert exif["XPTitle"] == META.title and exif["XPAuthor"] == META.artist
    assert exif["DateTimeOriginal"] == "2024:11:03 00:00:00"
    assert exif["ImageDescription"] == META.description


def test_png_text_chunks(tmp_path):
    path = make_image(tmp_path / "s.png", "PNG")
    embed_in_image(path, META)
    text = read_image_metadata(path)["text"]
    assert text["Copyright"] == "© Yambo Studio" and text["Author"] == META.artist
    assert text["Title"] == META.title and text["Description"] == META.description
    assert text["Creation Time"] == "Sun, 03 Nov 2024 00:00:00 GMT"
    with Image.open(path) as image:  # an independent reader agrees
        assert image.text["Copyright"] == "© Yambo Studio"
        assert image.text["Author"] == META.artist
        assert "Yambo" in image.text["XML:com.adobe.xmp"]


def test_jpeg_scan_data_is_copied_byte_for_byte(tmp_path):
    path = make_image(tmp_path / "s.jpg", "JPEG", quality=85)
    original = path.read_bytes()
    embed_in_image(path, META)
    data = path.read_bytes()
    scan = original[original.index(b"\xff\xda"):]
    assert data.endswith(scan)


def test_sixteen_bit_png_and_tiff_from_ffmpeg_encoders(tmp_path):
    array = (np.arange(32 * 48 * 3, dtype=np.uint32).reshape(32, 48, 3) * 13 % 65536).astype(np.uint16)
    for name, codec, pix_fmt in (("s.png", "png", "rgb48be"), ("s.tiff", "tiff", "rgb48le")):
        path = tmp_path / name
        path.write_bytes(embed_in_bytes(av_encode(array, codec, pix_fmt), META))
        assert image_metadata_problems(path, META) == []
        with av.open(str(path)) as container:
            decoded = next(container.decode(video=0)).reformat(format="rgb48le").to_ndarray()
        assert np.array_equal(decoded, array), name


def test_big_endian_tiff(tmp_path):
    path = tmp_path / "be.tiff"
    Image.new("I;16B", (16, 8), 1234).save(path, "TIFF")  # Pillow writes this mode big-endian
    assert path.read_bytes()[:2] == b"MM"
    embed_in_image(path, META)
    assert image_metadata_problems(path, META) == []
    with Image.open(path) as image:
        assert image.getpixel((3, 3)) == 1234
        assert image.tag_v2[282] == 72 and image.tag_v2[296] == 2  # RATIONAL, SHORT swapped right


@pytest.mark.parametrize("options", [{"lossless": True}, {"quality": 80}])
def test_webp_with_alpha_keeps_it(tmp_path, options):
    path = tmp_path / "a.webp"
    array = np.zeros((20, 30, 4), np.uint8)
    array[:, :15] = (255, 0, 0, 255)  # left half opaque red, right half transparent
    Image.fromarray(array, "RGBA").save(path, "WEBP", **options)
    before = pixels(path)
    embed_in_image(path, META)
    header = dict(containers._webp_chunks(path.read_bytes()))[b"VP8X"]
    assert header[0] & 0x10  # the alpha flag
    assert np.array_equal(pixels(path), before) and pixels(path)[5, 25, 3] == 0


def test_embedding_twice_leaves_one_set(tmp_path):
    jpeg = make_image(tmp_path / "s.jpg", "JPEG")
    png = make_image(tmp_path / "s.png", "PNG")
    webp = make_image(tmp_path / "s.webp", "WEBP")
    for path in (jpeg, png, webp):
        embed_in_image(path, ArchiveMetadata(copyright="old", title="old"))
        embed_in_image(path, META)
        assert image_metadata_problems(path, META) == []
    segments = containers._jpeg_segments(jpeg.read_bytes())[0]
    assert sum(1 for marker, _ in segments if marker == 0xE1) == 2  # one EXIF, one XMP
    chunks = containers._png_chunks(png.read_bytes())
    assert [k for k, _ in chunks].count(b"eXIf") == 1
    assert sum(1 for k, b in chunks if containers._text_keyword(k, b) == "Copyright") == 1
    kinds = [k for k, _ in containers._webp_chunks(webp.read_bytes())]
    assert kinds.count(b"EXIF") == 1 and kinds.count(b"XMP ") == 1 and kinds[0] == b"VP8X"


def test_other_chunks_and_segments_survive(tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "keep me")
    png = make_image(tmp_path / "s.png", "PNG", pnginfo=info, dpi=(300, 300))
    embed_in_image(png, META)
    with Image.open(png) as image:
        assert image.text["Comment"] == "keep me" and round(image.info["dpi"][0]) == 300
    jpeg = make_image(tmp_path / "s.jpg", "JPEG", dpi=(300, 300), icc_profile=b"\0" * 200)
    embed_in_image(jpeg, META)
    with Image.open(jpeg) as image:
        assert image.info["icc_profile"] == b"\0" * 200 and image.info.get("jfif") is not None


def test_empty_fields_are_left_out(tmp_path):
    path = make_image(tmp_path / "s.jpg", "JPEG")
    embed_in_image(path, ArchiveMetadata(copyright="© X"))
    found = read_image_metadata(path)
    assert found["exif"]["Copyright"] == "© X" and "Artist" not in found["exif"]
    assert set(found["xmp"]) == {"rights", "marked", "creator_tool"}


def test_mismatches_are_reported(tmp_path):
    path = make_image(tmp_path / "s.png", "PNG")
    embed_in_image(path, META)
    problems = image_metadata_problems(path, ArchiveMetadata(copyright="© Other", title=META.title))
    assert any(p.startswith("XMP dc:rights: expected '© Other'") for p in problems)
    assert any(p.startswith("PNG Copyright") for p in problems)


def test_not_an_image(tmp_path):
    path = tmp_path / "x.jpg"
    path.write_bytes(b"hello")
    with pytest.raises(MediaError, match="x.jpg: cannot embed metadata: not a JPEG, PNG, WebP or TIFF"):
        embed_in_image(path, META)
    assert path.read_bytes() == b"hello"
    with pytest.raises(MediaError, match="not a JPEG, PNG, WebP or TIFF"):
        read_image_metadata(path)
    path.write_bytes(b"\xff\xd8\xff\xe1\x00")
    with pytest.raises(MediaError):
        embed_in_image(path, META)


# --- video ----------------------------------------------------------------------------------------

def test_ffmpeg_args():
    args = ffmpeg_metadata_args(META)
    assert args[-2:] == ["-movflags", "+use_metadata_tags"]
    pairs = dict(a.split("=", 1) for a in args[1:-2:2])
    assert pairs == {"title": META.title, "artist": META.artist, "copyright": META.copyright,
                     "date": "2024-11-03", "description": META.description,
                     "comment": META.description}
    assert "-movflags" not in ffmpeg_metadata_args(META, movflags=False)
    assert "-movflags" not in ffmpeg_metadata_args(META, container="mkv")
    assert ffmpeg_metadata_args(ArchiveMetadata(), container="mkv") == []


@pytest.mark.parametrize("ext", ["mp4", "mov", "mkv"])
def test_video_tags_read_back(tmp_path, ffmpeg_bin, ext):
    out = tmp_path / f"v.{ext}"
    subprocess.run([str(ffmpeg_bin), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc2=size=64x48:rate=5:duration=0.4", "-c:v", "libx264", "-pix_fmt",
                    "yuv420p", *ffmpeg_metadata_args(META, container=ext), str(out)], check=True)
    tags = read_video_metadata(out)
    for key in ("title", "artist", "copyright", "description", "comment"):
        assert tags[key] == {"comment": META.description}.get(key, getattr(META, key, None)), key
    assert tags["date"] == "2024-11-03"


# --- exiftool, when installed ---------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
@pytest.mark.parametrize("fmt, ext, options", IMAGES[:5])
def test_exiftool_reads_and_validates(tmp_path, fmt, ext, options):
    path = make_image(tmp_path / f"still.{ext}", fmt.upper(), **options)
    embed_in_image(path, META)
    run = subprocess.run(["exiftool", "-j", "-G1", "-a", "-validate", "-warning", "-error",
                          "-Copyright", "-Rights", "-Creator", "-Artist", "-Title", "-CreateDate",
                          str(path)], capture_output=True, text=True, check=True)
    found = json.loads(run.stdout)[0]
    assert found["IFD0:Copyright"] == "© Yambo Studio" == found["XMP-dc:Rights"]
    assert found["XMP-dc:Creator"] == META.artist and found["XMP-dc:Title"] == META.title
    if fmt != "tiff":
        assert found["IFD0:Artist"] == META.artist
    assert found["XMP-xmp:CreateDate"] == "2024:11:03"
    assert found["ExifTool:Validate"] == "OK", found


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
def test_exiftool_reads_video_tags(tmp_path, ffmpeg_bin):
    out = tmp_path / "v.mp4"
    subprocess.run([str(ffmpeg_bin), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc2=size=64x48:rate=5:duration=0.4", "-c:v", "libx264", "-pix_fmt",
                    "yuv420p", *ffmpeg_metadata_args(META), str(out)], check=True)
    run = subprocess.run(["exiftool", "-j", "-Copyright", "-Title", "-Artist", str(out)],
                         capture_output=True, text=True, check=True)
    found = json.loads(run.stdout)[0]
    assert (found["Copyright"], found["Title"], found["Artist"]) == \
        (META.copyright, META.title, META.artist)
