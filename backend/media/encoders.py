"""Which H.264/HEVC encoders this ffmpeg can really use, and the choice between x264 and NVENC that
the settings ask for.

`ffmpeg -encoders` lists what was compiled in, not what works: a build with NVENC lists
h264_nvenc on a machine without an NVIDIA GPU, driver or encoder unit. So each candidate is
proven with a tiny real encode. The answer is cached per ffmpeg binary (path, size, mtime) and
NVIDIA driver, in memory and in a JSON file in a folder the caller names."""

import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import msgspec

from backend.errors import MediaError
from backend.media import ffmpeg as ff
from backend.model.encoder_choice import Choice

# name -> (family, codec, runs on the GPU)
CANDIDATES = {
    "libx264": ("x264", "h264", False),
    "h264_nvenc": ("nvenc", "h264", True),
    "hevc_nvenc": ("nvenc", "hevc", True),
}
PREFERENCES = ("auto", "x264", "nvenc")
# NVENC refuses frames below about 145x49; 256x144 passes every encoder here.
TEST_SOURCE = "testsrc2=size=256x144:rate=25"
TEST_FRAMES = 5
TEST_TIMEOUT_S = 30.0  # a first NVENC session can take a few seconds while the driver loads
CACHE_FILE = "encoders.json"
CACHE_KEEP = 8         # reports kept in the file, newest first (several ffmpeg builds side by side)


class EncoderStatus(msgspec.Struct, frozen=True):
    name: str              # ffmpeg's encoder name: libx264, h264_nvenc, hevc_nvenc
    family: str            # "x264" or "nvenc"
    codec: str             # "h264" or "hevc"
    gpu: bool
    listed: bool           # `ffmpeg -encoders` names it
    usable: bool           # a real test encode worked
    reason: str | None = None  # one line saying why not, when not usable


class EncoderReport(msgspec.Struct, frozen=True):
    ffmpeg: str
    identity: str          # what the cache is keyed on
    checked_at: float      # unix time of the test encodes
    encoders: list[EncoderStatus]

    def get(self, name: str) -> EncoderStatus:
        for status in self.encoders:
            if status.name == name:
                return status
        raise KeyError(name)

    def usable_names(self) -> list[str]:
        return [s.name for s in self.encoders if s.usable]


class _CacheFile(msgspec.Struct):
    reports: list[EncoderReport] = []


_memory: dict[str, EncoderReport] = {}
_lock = threading.Lock()


def detect_encoders(ffmpeg: Path | None = None, cache_dir: Path | None = None, *,
                    refresh: bool = False) -> EncoderReport:
    """Which CANDIDATES `ffmpeg` can use, from the cache when this binary and driver were seen
    before (unless `refresh`), else by test encodes."""
    binary = Path(ffmpeg or ff.find_ffmpeg())
    identity = binary_identity(binary)
    with _lock:  # one set of test encodes at a time, even with many workers asking
        if not refresh:
            report = _memory.get(identity)
            if report is not None:
                if cache_dir is not None and _read_cache(cache_dir, identity) is None:
                    _write_cache(cache_dir, report)  # another database's cache learns it too
                return report
            report = _read_cache(cache_dir, identity)
            if report is not None:
                _memory[identity] = report
                return report
        report = _test_all(binary, identity)
        _memory[identity] = report
        if cache_dir is not None:
            _write_cache(cache_dir, report)
        return report


def binary_identity(binary: Path) -> str:
    """Changes when the binary is replaced or the NVIDIA driver is installed or updated."""
    try:
        resolved = binary.resolve()
        stat = resolved.stat()
    except OSError as exc:
        raise MediaError(f"cannot read ffmpeg at {binary}: {exc.strerror}") from None
    return f"{resolved}|{stat.st_size}|{stat.st_mtime_ns}|{_driver_signature()}"


def _driver_signature() -> str:
    # Linux exposes the loaded kernel driver's version; elsewhere the binary alone is the key
    try:
        with open("/proc/driver/nvidia/version", encoding="utf-8", errors="replace") as fh:
            return fh.readline().strip() or "nvidia"
    except OSError:
        return "no-nvidia-driver"


def _test_all(binary: Path, identity: str) -> EncoderReport:
    listed = listed_encoders(binary)
    statuses = []
    for name, (family, codec, gpu) in CANDIDATES.items():
        if name not in listed:
            statuses.append(EncoderStatus(name, family, codec, gpu, listed=False, usable=False,
                                          reason="not built into this ffmpeg"))
            continue
        reason = _test_encode(binary, name)
        statuses.append(EncoderStatus(name, family, codec, gpu, listed=True, usable=reason is None,
                                      reason=reason))
    return EncoderReport(ffmpeg=str(binary), identity=identity, checked_at=time.time(),
                         encoders=statuses)


def listed_encoders(binary: Path) -> set[str]:
    """Names in `ffmpeg -encoders`: lines like ' V....D libx264   libx264 H.264 ...'."""
    try:
        out = ff.query(["-encoders"], ffmpeg=binary, timeout=TEST_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MediaError(f"ffmpeg at {binary} does not run: {exc}") from None
    if out.returncode != 0:
        first = (out.stderr or "").strip().splitlines()[:1]
        raise MediaError(f"ffmpeg at {binary} cannot list its encoders: "
                         f"{first[0] if first else f'exit code {out.returncode}'}")
    names = set()
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and len(parts[0]) == 6 and parts[0][0] in "VAS":
            names.add(parts[1])
    return names


def _test_encode(binary: Path, name: str) -> str | None:
    """None when `name` encodes a few real frames, else one line saying why not."""
    try:
        ff.run(["-f", "lavfi", "-i", TEST_SOURCE, "-frames:v", str(TEST_FRAMES), "-c:v", name,
                "-pix_fmt", "yuv420p", "-f", "null", "-"], ffmpeg=binary, timeout=TEST_TIMEOUT_S)
    except ff.FFmpegError as exc:
        reason = _encoder_line(exc, name) or exc.first_error or str(exc)
        return f"{reason} ({_HINTS[key]})" if (key := _hint_key(reason)) else reason
    return None


# What the usual NVENC failures mean, for a person reading `doctor`.
_HINTS = {
    "libcuda": "no NVIDIA driver on this machine",
    "no capable devices": "no GPU with an NVENC unit",
    "unsupported device": "this GPU has no NVENC unit",
    "driver does not support": "the NVIDIA driver is too old for this ffmpeg",
    "incompatible client key": "too many NVENC sessions, or a consumer card's session limit",
}


def _hint_key(reason: str) -> str | None:
    lowered = reason.lower()
    return next((key for key in _HINTS if key in lowered), None)


def _encoder_line(exc: "ff.FFmpegError", name: str) -> str | None:
    """The encoder's own complaint ('[h264_nvenc @ 0x..] Cannot load libcuda.so.1') says more
    than ffmpeg's closing lines ('Nothing was written into output file')."""
    for line in exc.stderr_tail:
        if line.startswith(f"[{name} @"):
            return ff.strip_log_prefix(line)
    return None


def _read_cache(cache_dir: Path | None, identity: str) -> EncoderReport | None:
    if cache_dir is None:
        return None
    try:
        data = msgspec.json.decode((Path(cache_dir) / CACHE_FILE).read_bytes(), type=_CacheFile)
    except (OSError, msgspec.DecodeError):  # absent or damaged: test again and rewrite it
        return None
    return next((r for r in data.reports if r.identity == identity), None)


def _write_cache(cache_dir: Path, report: EncoderReport) -> None:
    """Best effort: an unwritable cache folder only costs a re-test next time."""
    path = Path(cache_dir) / CACHE_FILE
    try:
        try:
            old = msgspec.json.decode(path.read_bytes(), type=_CacheFile).reports
        except (OSError, msgspec.DecodeError):
            old = []
        kept = [report] + [r for r in old if r.identity != report.identity][:CACHE_KEEP - 1]
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".encoders-", suffix=".json", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(msgspec.json.format(msgspec.json.encode(_CacheFile(kept))))
        os.replace(tmp, path)
    except OSError:
        pass


def choose_encoder(preference: str, gpu_enabled: bool, available: EncoderReport, *,
                   insist: bool = False) -> Choice:
    """The H.264 encoder for the `encoder_preference` and `gpu_enabled` settings.

    'x264' always uses libx264. 'nvenc' uses h264_nvenc when the GPU is enabled and NVENC passed
    its test encode, else falls back to libx264 with a warning, or raises MediaError when
    `insist` (the user asked for NVENC explicitly). 'auto' takes NVENC when the GPU is enabled
    and NVENC works, else libx264; with a warning when NVENC is built in but failed its test."""
    pref = preference.strip().lower()
    if pref not in PREFERENCES:
        raise MediaError(f"unknown encoder preference '{preference}' (use {', '.join(PREFERENCES)})")
    nvenc = available.get("h264_nvenc")
    if pref == "x264":
        return _x264(available, None)
    if gpu_enabled and nvenc.usable:
        return Choice(encoder=nvenc.name, family="nvenc", gpu=True)
    if pref == "nvenc":
        why = (f"h264_nvenc is not usable: {nvenc.reason}" if gpu_enabled
               else "GPU use is switched off (the gpu_enabled setting)")
        if insist:
            raise MediaError(f"NVENC was asked for, but {why}")
        return _x264(available, f"NVENC preferred, but {why}; using libx264")
    if gpu_enabled and nvenc.listed and "no NVIDIA driver" not in (nvenc.reason or ""):
        # a GPU is there but NVENC failed: worth saying; a machine without one is just x264
        return _x264(available, f"NVENC is not usable ({nvenc.reason}); using libx264")
    return _x264(available, None)


def _x264(available: EncoderReport, warning: str | None) -> Choice:
    x264 = available.get("libx264")
    if not x264.usable:
        raise MediaError(f"libx264 is not usable with {available.ffmpeg}: {x264.reason}; "
                         "install an ffmpeg built with libx264")
    return Choice(encoder=x264.name, family="x264", gpu=False, warning=warning)
