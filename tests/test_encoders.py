"""backend.media.encoders: real test encodes decide, the answer is cached, and the choice honours
encoder_preference / gpu_enabled with a fallback to x264. No GPU is needed: fake ffmpeg scripts
stand in for builds whose NVENC works or fails."""

import os
import shutil
import stat
from pathlib import Path

import msgspec
import pytest

from backend.errors import MediaError
from backend.media import encoders
from backend.media.encoders import Choice, EncoderReport, choose_encoder, detect_encoders
from backend.media.gpu import GpuInfo, gpu_info

# about the caches and the work done ahead of them: each test starts from empty ones (conftest)
pytestmark = pytest.mark.cold_cache

LISTING = """Encoders:
 V..... = Video
 ------
 V....D libx264              libx264 H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10 (codec h264)
 V....D h264_nvenc           NVIDIA NVENC H.264 encoder (codec h264)
 A....D aac                  AAC (Advanced Audio Coding)
"""


@pytest.fixture(autouse=True)
def fresh_memory():
    encoders._memory.clear()
    yield
    encoders._memory.clear()


def fake_ffmpeg(tmp_path: Path, *, nvenc: str, x264: str = "ok") -> Path:
    """A shell script that answers `-encoders` with LISTING and "encodes" with each encoder as
    told: 'ok' exits 0, 'fail' prints an NVENC-style error, 'hang' never finishes."""
    actions = {"ok": "exit 0",
               "fail": 'echo "[$enc @ 0x5581] OpenEncodeSessionEx failed: unsupported device (2)" >&2; '
                       'echo "Conversion failed!" >&2; exit 187',
               "hang": "exec sleep 30"}
    lines = [
        "#!/bin/sh",
        'enc=""; prev=""',
        'for arg in "$@"; do',
        '  if [ "$arg" = "-encoders" ]; then cat "$(dirname "$0")/listing.txt"; exit 0; fi',
        '  if [ "$prev" = "-c:v" ]; then enc="$arg"; fi',
        '  prev="$arg"',
        "done",
        'case "$enc" in',
        f"  libx264) {actions[x264]} ;;",
        f"  h264_nvenc) {actions[nvenc]} ;;",
        """  *) echo "Unknown encoder '$enc'" >&2; exit 8 ;;""",
        "esac",
    ]
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    (folder / "listing.txt").write_text(LISTING)
    script = folder / "ffmpeg"
    script.write_text("\n".join(lines) + "\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_real_ffmpeg_has_x264_and_no_usable_nvenc_here(ffmpeg_bin, tmp_path):
    if shutil.which("nvidia-smi"):
        pytest.skip("this machine has an NVIDIA GPU: NVENC may really work")
    report = detect_encoders(ffmpeg_bin, tmp_path)
    assert report.get("libx264").usable and report.get("libx264").reason is None
    for name in ("h264_nvenc", "hevc_nvenc"):
        status = report.get(name)
        assert not status.usable and status.gpu and status.family == "nvenc"
        assert status.reason and "\n" not in status.reason
        if status.listed:  # the imageio-ffmpeg build lists NVENC: its test encode must fail
            assert "not built" not in status.reason
    assert report.usable_names() == ["libx264"]

    fallback = choose_encoder("auto", True, report)
    assert (fallback.encoder, fallback.family, fallback.gpu) == ("libx264", "x264", False)
    # no driver at all is the normal case of a machine without a GPU: auto says nothing then
    assert fallback.warning is None
    with pytest.raises(MediaError, match="NVENC was asked for"):
        choose_encoder("nvenc", True, report, insist=True)
    assert choose_encoder("nvenc", True, report).warning.endswith("using libx264")
    assert choose_encoder("x264", True, report) == Choice("libx264", "x264", False, None)


def test_listed_nvenc_that_fails_its_test_encode_is_rejected(tmp_path):
    report = detect_encoders(fake_ffmpeg(tmp_path, nvenc="fail"))
    nvenc = report.get("h264_nvenc")
    assert nvenc.listed and not nvenc.usable
    assert nvenc.reason.startswith("OpenEncodeSessionEx failed: unsupported device")
    assert "no NVENC unit" in nvenc.reason
    hevc = report.get("hevc_nvenc")
    assert not hevc.listed and hevc.reason == "not built into this ffmpeg"
    choice = choose_encoder("auto", True, report)
    assert choice.encoder == "libx264" and "unsupported device" in choice.warning


def test_working_nvenc_is_chosen_when_the_gpu_is_enabled(tmp_path):
    report = detect_encoders(fake_ffmpeg(tmp_path, nvenc="ok"))
    assert report.usable_names() == ["libx264", "h264_nvenc"]
    assert choose_encoder("auto", True, report) == Choice("h264_nvenc", "nvenc", True, None)
    assert choose_encoder("nvenc", True, report, insist=True).encoder == "h264_nvenc"
    # gpu_enabled off: auto quietly uses x264; an explicit nvenc warns or, insisted on, fails
    assert choose_encoder("auto", False, report) == Choice("libx264", "x264", False, None)
    assert "gpu_enabled" in choose_encoder("nvenc", False, report).warning
    with pytest.raises(MediaError, match="gpu_enabled"):
        choose_encoder("nvenc", False, report, insist=True)
    assert choose_encoder("x264", True, report).encoder == "libx264"


def test_unusable_x264_is_an_error_not_a_silent_choice(tmp_path):
    report = detect_encoders(fake_ffmpeg(tmp_path, nvenc="fail", x264="fail"))
    with pytest.raises(MediaError, match="libx264 is not usable"):
        choose_encoder("x264", True, report)
    with pytest.raises(MediaError, match="libx264 is not usable"):
        choose_encoder("auto", True, report)


def test_unknown_preference(tmp_path):
    report = detect_encoders(fake_ffmpeg(tmp_path, nvenc="ok"))
    with pytest.raises(MediaError, match="unknown encoder preference 'quicksync'"):
        choose_encoder("quicksync", True, report)
    assert choose_encoder(" NVENC ", True, report).encoder == "h264_nvenc"


def test_a_hanging_test_encode_times_out(tmp_path, monkeypatch):
    monkeypatch.setattr(encoders, "TEST_TIMEOUT_S", 0.3)
    report = detect_encoders(fake_ffmpeg(tmp_path, nvenc="hang"))
    assert not report.get("h264_nvenc").usable
    assert "no answer within" in report.get("h264_nvenc").reason


def test_cache_file_is_reused_until_the_binary_changes(tmp_path, monkeypatch):
    binary = fake_ffmpeg(tmp_path, nvenc="fail")
    cache = tmp_path / "cache"
    first = detect_encoders(binary, cache)
    assert (cache / encoders.CACHE_FILE).is_file()

    tests_run = []
    real_test_all = encoders._test_all
    monkeypatch.setattr(encoders, "_test_all",
                        lambda *a: tests_run.append(a) or real_test_all(*a))
    # same process: the memory cache answers
    assert detect_encoders(binary, cache) is first
    # a new process (empty memory): the file answers, with the same report
    encoders._memory.clear()
    assert detect_encoders(binary, cache) == first
    assert tests_run == []

    # a replaced binary (new mtime) is tested again; both reports stay in the file
    os.utime(binary, ns=(1_000_000_000, 1_000_000_000))
    encoders._memory.clear()
    second = detect_encoders(binary, cache)
    assert len(tests_run) == 1 and second.identity != first.identity
    stored = msgspec.json.decode((cache / encoders.CACHE_FILE).read_bytes())
    assert [r["identity"] for r in stored["reports"]] == [second.identity, first.identity]

    # refresh=True always tests
    detect_encoders(binary, cache, refresh=True)
    assert len(tests_run) == 2


def test_damaged_cache_file_is_replaced(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / encoders.CACHE_FILE).write_text("{ not json")
    report = detect_encoders(fake_ffmpeg(tmp_path, nvenc="ok"), cache)
    stored = msgspec.json.decode((cache / encoders.CACHE_FILE).read_bytes(),
                                 type=encoders._CacheFile)
    assert stored.reports == [report]


def test_unwritable_cache_dir_only_costs_a_retest(tmp_path):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    report = detect_encoders(fake_ffmpeg(tmp_path, nvenc="ok"), blocker / "cache")
    assert isinstance(report, EncoderReport) and report.usable_names()


def test_broken_ffmpeg_is_a_media_error(tmp_path):
    broken = tmp_path / "ffmpeg"
    broken.write_text("#!/bin/sh\necho 'segfault pretending' >&2\nexit 139\n")
    broken.chmod(0o755)
    with pytest.raises(MediaError, match="cannot list its encoders: segfault pretending"):
        detect_encoders(broken)


def test_gpu_info_without_nvidia_smi(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert gpu_info() == GpuInfo(devices=[], summary="none")


def test_gpu_info_parses_nvidia_smi(tmp_path, monkeypatch):
    smi = tmp_path / "nvidia-smi"
    smi.write_text("#!/bin/sh\necho 'NVIDIA GeForce RTX 4070, 550.54.14, 12282'\n"
                   "echo 'NVIDIA T400, 550.54.14, [N/A]'\n")
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    info = gpu_info()
    assert [d.name for d in info.devices] == ["NVIDIA GeForce RTX 4070", "NVIDIA T400"]
    assert info.devices[0].memory_mib == 12282 and info.devices[1].memory_mib is None
    assert info.summary == ("NVIDIA GeForce RTX 4070 (driver 550.54.14, 12282 MiB); "
                            "NVIDIA T400 (driver 550.54.14)")


def test_gpu_info_when_the_driver_does_not_answer(tmp_path, monkeypatch):
    smi = tmp_path / "nvidia-smi"
    smi.write_text("#!/bin/sh\necho \"NVIDIA-SMI has failed because it couldn't communicate "
                   "with the NVIDIA driver.\"\nexit 9\n")
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    info = gpu_info()
    assert info.devices == [] and info.summary.startswith("none (nvidia-smi: NVIDIA-SMI has failed")
