"""system.*: whether the bridge answers and this machine can do the work."""

from __future__ import annotations

import time

import msgspec

from backend import about, doctor
from backend.db import settings as db_settings
from bridge.context import Bridge
from bridge.methods.common import table, Params, NoParams


class DoctorParams(Params):
    recheck_encoders: bool = False  # run the test encodes again instead of the cached answer


class SystemInfo(msgspec.Struct, kw_only=True):
    version: str
    packaged: bool              # the installed app rather than a source checkout
    transport: str              # "http" or "webview"
    ffmpeg: str | None          # the binary in use
    ffmpeg_source: str | None   # ffmpeg_path setting, VIDEO_ARCHIVE_FFMPEG, PATH, imageio-ffmpeg
    ffmpeg_version: str | None
    database: str
    ffmpeg_error: str | None = None


@table.method("system.doctor")
def system_doctor(ctx: Bridge, p: DoctorParams) -> doctor.DoctorReport:
    """Whether this machine can do the work: ffmpeg, encoders proven by a real encode, GPU, state.db."""
    return doctor.check(lambda: ctx.db, ctx.db_path, refresh_encoders=p.recheck_encoders)


class Pong(msgspec.Struct, kw_only=True):
    time: float   # the server's clock, Unix seconds


@table.method("system.ping")
def system_ping(ctx: Bridge, p: NoParams) -> Pong:
    """Whether the bridge answers (the page's health check, the round-trip benchmark)."""
    return Pong(time=time.time())


@table.method("system.info")
def system_info(ctx: Bridge, p: NoParams) -> SystemInfo:
    """The version, the transport in use and the ffmpeg binary the tool runs (what
    `video-archive --version` prints: backend.about)."""
    found = about.about(db_settings.get(ctx.db, "ffmpeg_path"))
    return SystemInfo(version=found.version, packaged=found.packaged, transport=ctx.transport,
                      ffmpeg=found.ffmpeg, ffmpeg_source=found.ffmpeg_source,
                      ffmpeg_version=found.ffmpeg_version, database=str(ctx.db_path),
                      ffmpeg_error=found.problem)
