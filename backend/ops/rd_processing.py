"""rd_processing: every file of the R&D folder, recursively. Images and videos get a compressed
copy (preset advanced.rd_images / rd_video) with the archive metadata, and their originals are
kept bit-identical under rd/originals/; any other file is copied there as it is. rd/originals/ is
the R&D folder as delivered and rd/compressed/ holds the compressed copies: two trees that no R&D
file name can make collide. Each file is one unit, so the log says what was done with every file
and why."""

from __future__ import annotations

import io
from pathlib import Path

import msgspec
import PIL.Image
import PIL.ImageOps

from backend.db.files import FileRecord
from typing import Literal

from backend.errors import MediaError
from backend.ops import rd_tree
from backend.media import encode
from backend.media import probe as media_probe
from backend.media.atomic import atomic_output, write_bytes_atomic
from backend.media.checksums import copy_with_checksum
from backend.media.geometry import aspect_ratio, fit
from backend.media.metadata import embed_in_bytes
from backend.ops.base import Job, Operator, Stage, Unit, UnitResult
from backend.ops.operators import register
from backend.ops.output_paths import UniqueNames

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif"}
VIDEO_EXTENSIONS = {".mov", ".mp4", ".m4v", ".mkv", ".avi", ".webm", ".mxf", ".mpg", ".mpeg",
                    ".wmv", ".flv", ".mts", ".m2ts"}
# Operating-system clutter, never part of the work.
IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
PIL.Image.MAX_IMAGE_PIXELS = 400_000_000  # large scans are normal in R&D; refuse only absurd sizes


def kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in IMAGE_EXTENSIONS:
        return "image"
    if suffix in VIDEO_EXTENSIONS:
        return "video"
    return "other"


class RdParams(msgspec.Struct, kw_only=True):
    kind: Literal["image", "video", "other"]
    action: str            # what is done with the file, in words, for the log


@register
class RdProcessingOperator(Operator):
    id = "rd_processing"
    label = "Process the R&D folder"
    stage = Stage.SOURCE
    Params = RdParams

    def plan(self, job: Job) -> list[Unit]:
        if job.rd_folder is None:
            return []
        names = UniqueNames()
        sources = rd_sources(job.rd_folder)
        for rel in sources:
            names.reserve_folder(_folder("rd/originals", rel))
            names.reserve_folder(_folder("rd/compressed", rel))
        # The originals first: each keeps its own name and folder; only a file whose name differs
        # from another's by case alone (one file on macOS and Windows) gets a second name.
        originals = {rel: names.claim(_folder("rd/originals", rel), rel.name, rel.as_posix())
                     for rel in sources}
        fmt = job.preset.advanced.rd_images.format
        planned = []
        for rel in sources:
            source = job.rd_folder / rel
            kind = kind_of(source)
            if kind == "image":
                target = fmt if fmt != "keep" else _pillow_format(source)
                suffix = {"jpeg": ".jpg", "webp": ".webp", "png": ".png"}[target]
                planned.append((rel, kind, suffix, f"compress image to {target}"))
            elif kind == "video":
                planned.append((rel, kind, ".mp4", "compress video to H.264 mp4"))
            else:
                planned.append((rel, kind, None, "copy as is (not an image or video)"))
        # Compressed names: a file already in the target format (clip.mp4) picks first; another
        # that would take its name (clip.mov) keeps its own extension in it (clip.mov.mp4), so
        # the name still says where it came from.
        compressed = {}
        for rel, _, suffix, _ in sorted((p for p in planned if p[2]),
                                        key=lambda p: (p[0].suffix.lower() != p[2], p[0].as_posix())):
            changed = rel.suffix.lower() != suffix
            compressed[rel] = names.claim(_folder("rd/compressed", rel), rel.stem + suffix, rel.as_posix(),
                                          alternatives=(rel.name + suffix,) if changed else ())
        return [Unit(op=self.id, name=f"rd {rel.as_posix()}", stage=self.stage,
                     input_file=str(job.rd_folder / rel),
                     outputs=[compressed[rel], originals[rel]] if rel in compressed else [originals[rel]],
                     params=RdParams(kind=kind, action=action))
                for rel, kind, _, action in planned]

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        source = Path(unit.input_file)
        if not source.is_file():
            raise MediaError(f"R&D file disappeared: {source}")
        kind = unit.params.kind
        files, warnings = [], []
        if kind == "image":
            try:
                files.append(self._image(unit, job, source))
            except MediaError as exc:
                warnings.append(f"{source.name}: could not be compressed ({exc}); original kept")
        elif kind == "video":
            try:
                files.append(self._video(unit, job, source, progress))
            except MediaError as exc:
                if job.cancel.is_set():
                    raise
                warnings.append(f"{source.name}: could not be compressed ({exc}); original kept")
        original = unit.outputs[-1]
        with atomic_output(job.path(original)) as temp:
            digest = copy_with_checksum(source, temp, cancel=job.cancel)
        files.append(FileRecord(file_path=original, file_type={"image": "rd_image_original",
                                                        "video": "rd_video_original"}.get(kind, "rd_other"),
                              file_category="rd", file_format=source.suffix.lstrip(".").lower() or None,
                              source_file=str(source),
                              compression_settings={"copy": "bit-identical", "sha256": digest}))
        progress(1.0)
        return UnitResult(files=files, warnings=warnings)

    def _image(self, unit: Unit, job: Job, source: Path) -> FileRecord:
        settings = job.preset.advanced.rd_images
        out = unit.outputs[0]
        fmt = settings.format if settings.format != "keep" else _pillow_format(source)
        try:
            with PIL.Image.open(source) as opened:
                image = PIL.ImageOps.exif_transpose(opened)  # sideways phone photos come upright
                w, h = fit(image.width, image.height, settings.max_width, settings.max_height, even=False)
                if (w, h) != image.size:
                    image = image.resize((w, h), PIL.Image.Resampling.LANCZOS)
                image = _for_format(image, fmt)
                buffer = io.BytesIO()
                options = {"quality": settings.quality} if fmt in ("jpeg", "webp") else {"optimize": True}
                if fmt == "jpeg":
                    options.update(progressive=True, optimize=True)
                image.save(buffer, format=fmt.upper(), **options)
        except (OSError, ValueError, PIL.Image.DecompressionBombError) as exc:
            raise MediaError(f"not a readable image: {exc}") from None
        write_bytes_atomic(job.path(out), embed_in_bytes(buffer.getvalue(), job.metadata))
        return FileRecord(file_path=out, file_type="rd_image", file_category="rd", file_format=fmt,
                        resolution=f"{w}x{h}", aspect_ratio=aspect_ratio(w, h), source_file=str(source),
                        compression_settings=msgspec.to_builtins(settings),
                        metadata_embedded=msgspec.to_builtins(job.metadata))

    def _video(self, unit: Unit, job: Job, source: Path, progress) -> FileRecord:
        settings = job.preset.advanced.rd_video
        settings.check_encoder(job.encoder.family, "advanced.rd_video")
        info = media_probe.probe(source)
        chain, (w, h) = encode.scale_filter(info.video.display_width, info.video.display_height,
                                            settings, info.video.avg_fps)
        out = unit.outputs[0]
        maps = ["-map", "0:v:0"] + (["-map", "0:a:0"] if settings.audio == "aac" and info.audio else [])
        result = encode.encode_file(
            ["-i", str(source), *maps, "-vf", chain,
             *encode.video_codec_args(settings, job.encoder.family),
             *encode.audio_args(settings, bool(info.audio))],
            job.path(out), settings=settings, metadata=job.metadata, duration=info.duration_s,
            cancel=job.cancel, on_progress=lambda fraction: progress(0.9 * fraction))
        return FileRecord(file_path=out, file_type="rd_video", file_category="rd", file_format="mp4",
                        resolution=f"{w}x{h}", aspect_ratio=aspect_ratio(w, h),
                        duration_seconds=info.duration_s, source_file=str(source),
                        compression_settings={"encoder": job.encoder.encoder,
                                              **msgspec.to_builtins(settings)},
                        metadata_embedded=msgspec.to_builtins(job.metadata),
                        processing_time_ms=int(result.elapsed_s * 1000))


def rd_sources(folder: Path) -> list[Path]:
    """Every file of the R&D folder, relative to it, sorted; operating-system clutter and hidden
    files and folders (.git, editor swap files, our own .partial- leftovers) left out."""
    found = []
    for source in rd_tree.scan(folder)[0]:  # links followed by one rule: see rd_tree
        rel = source.relative_to(folder)
        if source.name not in IGNORED_NAMES and not any(part.startswith(".") for part in rel.parts):
            found.append(rel)
    return sorted(found, key=lambda rel: rel.as_posix())


def _folder(root: str, rel: Path) -> str:
    parent = rel.parent.as_posix()
    return root if parent == "." else f"{root}/{parent}"


def _pillow_format(source: Path) -> str:
    return {".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}.get(source.suffix.lower(), "png")


def _for_format(image: PIL.Image.Image, fmt: str) -> PIL.Image.Image:
    """JPEG has no alpha and no 16-bit: flatten onto white and go to 8-bit RGB."""
    if fmt == "jpeg":
        if image.mode in ("RGBA", "LA", "P", "PA"):
            rgba = image.convert("RGBA")
            flat = PIL.Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            return flat
        return image.convert("RGB") if image.mode != "RGB" else image
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        return image.convert("RGBA" if "A" in image.getbands() else "RGB")
    return image
