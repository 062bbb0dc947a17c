"""`video-archive doctor` and `video-archive probe FILE`, run through the real entry point."""

import json
from pathlib import Path

import msgspec
import pytest

from backend import paths
from backend.cli.main import main
from backend.db import migrations
from backend.media import encoders
from backend.media.probe import MediaInfo

# about the caches and the work done ahead of them: each test starts from empty ones (conftest)
pytestmark = pytest.mark.cold_cache


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def failing_x264_ffmpeg(tmp_path: Path, real: Path) -> Path:
    """Runs the real ffmpeg for everything except a libx264 encode, which fails."""
    script = tmp_path / "bin" / "ffmpeg"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n"
                      'case " $* " in *" -c:v libx264 "*) '
                      'echo "[libx264 @ 0x1] x264 broke" >&2; exit 1 ;; esac\n'
                      f'exec "{real}" "$@"\n')
    script.chmod(0o755)
    return script


def test_doctor_ready_here(capsys, db_path):
    code, out, err = cli(capsys, "--json", "doctor")
    assert code == 0, err
    report = json.loads(out)
    assert report["ok"] is True and report["problems"] == []
    assert report["database"] == str(db_path)
    assert report["schema_version"] == report["schema_latest"] == migrations.LATEST
    assert "libx264" in report["usable_encoders"]
    assert report["ffmpeg_version"] and Path(report["ffmpeg"]).is_file()
    assert report["encoder_choice"]["encoder"] in report["usable_encoders"]
    assert report["gpu"]["summary"]
    assert report["pyav"].startswith(__import__("av").__version__)
    assert report["scenedetect"]
    # the encoder answer is cached beside the database, not in it
    assert (paths.cache_dir(db_path) / encoders.CACHE_FILE).is_file()


def test_doctor_human_output(capsys, db_path):
    code, out, _ = cli(capsys, "doctor")
    assert code == 0
    for label in ("ffmpeg", "ffmpeg version", "encoders", "GPU", "database", "schema version",
                  "PyAV", "scenedetect", "status          ready", "libx264     usable"):
        assert label in out
    assert str(db_path) in out


def test_doctor_fails_when_libx264_does_not_encode(capsys, db_path, tmp_path, monkeypatch,
                                                   ffmpeg_bin):
    monkeypatch.setenv("VIDEO_ARCHIVE_FFMPEG", str(failing_x264_ffmpeg(tmp_path, ffmpeg_bin)))
    code, out, err = cli(capsys, "--json", "doctor")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False and report["ffmpeg_source"] == "VIDEO_ARCHIVE_FFMPEG"
    assert "libx264" not in report["usable_encoders"]
    assert err.strip() == f"video-archive: error: {report['problems'][0]}"
    assert "libx264 does not work" in err and "x264 broke" in err


def test_doctor_fails_without_ffmpeg(capsys, db_path, tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEO_ARCHIVE_FFMPEG", str(tmp_path / "no-ffmpeg"))
    code, _, err = cli(capsys, "doctor")
    assert code == 1 and "ffmpeg not found" in err


def test_doctor_fails_when_the_database_is_unusable(capsys, tmp_path):
    bad = tmp_path / "state.db"
    bad.write_bytes(b"this is not a database " * 100)
    code, out, err = cli(capsys, "--db", str(bad), "--json", "doctor")
    assert code == 1
    assert json.loads(out)["schema_version"] is None
    assert "state database cannot be used" in err and "not a SQLite database" in err


def test_doctor_warns_when_nvenc_is_preferred_but_unusable(capsys, db_path, tmp_path, monkeypatch):
    assert cli(capsys, "settings", "set", "encoder_preference", "nvenc")[0] == 0
    script = tmp_path / "ffmpeg"
    script.write_text("#!/bin/sh\n"
                      'case " $* " in *" -encoders "*) '
                      "echo ' V....D libx264   x264'; echo ' V....D h264_nvenc   NVENC'; exit 0 ;;"
                      ' *" -c:v h264_nvenc "*) echo "[h264_nvenc @ 0x2] Cannot load libcuda.so.1" >&2;'
                      " exit 1 ;; esac\nexit 0\n")
    script.chmod(0o755)
    monkeypatch.setenv("VIDEO_ARCHIVE_FFMPEG", str(script))
    code, out, err = cli(capsys, "--json", "doctor")
    assert code == 0
    report = json.loads(out)
    assert report["encoder_choice"]["encoder"] == "libx264"
    assert "warning: NVENC preferred, but h264_nvenc is not usable: Cannot load libcuda.so.1" in err


def test_probe_human_table(capsys, media_dir):
    code, out, _ = cli(capsys, "probe", str(media_dir / "issue-195-aspect-ratio.mp4"))
    assert code == 0
    assert "SAR 16:11, DAR 16:9" in out and "1024x576" in out and "704x576" in out
    assert "628 (from the container index)" in out and "aac (LC), stereo, 48000 Hz, eng" in out


def test_probe_json_is_the_media_info(capsys, media_dir):
    code, out, _ = cli(capsys, "--json", "probe", str(media_dir / "goldeneye-vfr-drop3.mp4"))
    assert code == 0
    info = msgspec.json.decode(out, type=MediaInfo)
    assert info.video.variable_frame_rate and info.video.frame_count == 160


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_probe_errors_are_one_line_on_stderr(capsys, tmp_path, json_flag):
    code, out, err = cli(capsys, *json_flag, "probe", str(tmp_path / "gone.mov"))
    assert code == 1 and out == ""
    assert err == f"video-archive: error: {tmp_path / 'gone.mov'}: no such file\n"
