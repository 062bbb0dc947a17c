"""Can this machine do the work? ffmpeg, the encoders it can really use, the GPU, the state store
and the Python media libraries, gathered into one report that the CLI's `doctor` prints and the
bridge can send. The tool can work when ffmpeg runs, libx264 encodes and state.db opens."""

import importlib.metadata
import platform
import subprocess
from collections.abc import Callable
from pathlib import Path

import msgspec

from backend import paths
from backend.errors import ArchiveError
from backend.media import encoders, ffmpeg, gpu


class DoctorReport(msgspec.Struct, kw_only=True):
    ok: bool
    problems: list[str]        # one line each; empty when ok
    warnings: list[str]
    ffmpeg: str | None
    ffmpeg_source: str | None  # ffmpeg_path setting, VIDEO_ARCHIVE_FFMPEG, PATH, imageio-ffmpeg
    ffmpeg_version: str | None
    encoders: list[encoders.EncoderStatus]
    usable_encoders: list[str]
    encoder_choice: encoders.Choice | None  # what encoder_preference + gpu_enabled give now
    gpu: gpu.GpuInfo
    database: str
    schema_version: int | None
    schema_latest: int | None
    pyav: str | None           # "18.1.0 (FFmpeg 8.1.2)": PyAV carries its own FFmpeg libraries
    scenedetect: str | None
    python: str


def check(open_db: Callable, db_path: Path, *, refresh_encoders: bool = False) -> DoctorReport:
    """Run every check; `open_db()` returns the (migrated) state store or raises."""
    problems: list[str] = []
    warnings: list[str] = []

    db = None
    settings: dict = {}
    schema_version = schema_latest = None
    try:
        db = open_db()
        from backend.db import migrations, settings as db_settings

        schema_version = migrations.current_version(db)
        schema_latest = migrations.LATEST
    except ArchiveError as exc:
        problems.append(f"the state database cannot be used: {exc}")
    if db is not None:
        try:
            settings = db_settings.as_dict(db)
        except ArchiveError as exc:  # a malformed value: every job would stop on it
            problems.append(f"a setting needs fixing (video-archive settings set ...): {exc}")

    report_encoders: list[encoders.EncoderStatus] = []
    choice = None
    binary = version = source = None
    try:
        binary = ffmpeg.find_ffmpeg(settings.get("ffmpeg_path") or None)
        source = ffmpeg.ffmpeg_source(binary)
        version = ffmpeg.ffmpeg_version(binary)
        report = encoders.detect_encoders(binary, paths.cache_dir(db_path),
                                          refresh=refresh_encoders)
        report_encoders = report.encoders
        if not report.get("libx264").usable:
            problems.append(f"libx264 does not work with {binary}: {report.get('libx264').reason}")
        elif db is not None:
            choice = encoders.choose_encoder(settings.get("encoder_preference", "x264"),
                                             bool(settings.get("gpu_enabled", True)), report)
            if choice.warning:
                warnings.append(choice.warning)
    except ArchiveError as exc:
        problems.append(str(exc))
    except (OSError, subprocess.SubprocessError) as exc:  # `ffmpeg -version` did not run
        problems.append(f"ffmpeg at {binary} does not run: {exc}")

    return DoctorReport(
        ok=not problems, problems=problems, warnings=warnings,
        ffmpeg=str(binary) if binary else None, ffmpeg_source=source, ffmpeg_version=version,
        encoders=report_encoders, usable_encoders=[e.name for e in report_encoders if e.usable],
        encoder_choice=choice, gpu=gpu.gpu_info(), database=str(db_path),
        schema_version=schema_version, schema_latest=schema_latest,
        pyav=_pyav_version(), scenedetect=_distribution_version("scenedetect-headless", "scenedetect"),
        python=platform.python_version(),
    )


def _pyav_version() -> str | None:
    try:
        import av
    except ImportError:
        return None
    return f"{av.__version__} (FFmpeg {av.ffmpeg_version_info})"


def _distribution_version(*names: str) -> str | None:
    # read from the installed metadata: importing scenedetect would load OpenCV just to say this
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None
