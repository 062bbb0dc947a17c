"""Failures in the middle of a real job: an ffmpeg that fails (the clip exports) and a disk that
fills up. The session is then `failed` with the reason, the files finished before stay on disk
and registered, nothing half-written is left, and `resume` completes the archive once the cause
is gone, redoing only what had not completed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from archive_checks import DATE, FAST, State, check_complete, leftovers, no_traceback

ARTWORK = "Failing"
PREFIX = f"{DATE}_{ARTWORK}"
STDERR_LINES = ["[mp4 @ 0x55d0c0de] simulated failure: could not write the clip header",
                "Error opening output files: Input/output error",
                "Conversion failed!"]


def _finished_files_stay(state: State, sid: str, archive: Path) -> dict[str, int]:
    """Every registered file is on disk with its registered size; nothing half-written."""
    assert leftovers(archive) == []
    registered = {r["file_path"]: r["file_size_bytes"] for r in state.registered_files(sid)}
    assert registered, "nothing finished was registered"
    for path, size in registered.items():
        assert (archive / path).stat().st_size == size, path
    on_disk = {p.relative_to(archive).as_posix() for p in archive.rglob("*") if p.is_file()}
    assert on_disk == set(registered), "a file on disk that the registry does not know"
    return registered


def test_failing_ffmpeg_then_resume(tmp_path, media_dir, ffmpeg_bin):
    """A wrapper that runs the real ffmpeg, except for clip exports while a flag file exists."""
    flag = tmp_path / "clips-fail"
    flag.touch()
    wrapper = tmp_path / "ffmpeg"
    error_lines = "\n".join(f"echo '{line}' >&2" for line in STDERR_LINES)
    wrapper.write_text(f"""#!/bin/sh
if [ -e '{flag}' ]; then
  case "$*" in
    */clips/*) {error_lines}
      exit 1 ;;
  esac
fi
exec '{ffmpeg_bin}' "$@"
""")
    wrapper.chmod(0o755)
    state = State(tmp_path / "state")
    env = state.env(VIDEO_ARCHIVE_FFMPEG=str(wrapper))
    out = tmp_path / "out"
    result = state.json("process", str(media_dir / "testvideo.mp4"), "--artwork", ARTWORK,
                        "--date", DATE, "--out", str(out), *FAST, env=env)
    no_traceback(result.stderr)
    assert result.rc == 1, result.stderr
    sid = result.outcome["session_id"]
    archive = out / PREFIX
    session = state.session(sid)
    assert session["status"] == "failed" and result.outcome["status"] == "failed"
    assert "clip scene" in session["error_message"] and "simulated failure" in session["error_message"]
    assert result.outcome["error"] == session["error_message"]
    ops = state.operations(sid)
    clips = [op for op in ops if op["operation_type"] == "clip_export"]
    assert clips and all(op["status"] == "failed" for op in clips)
    for op in clips:  # recorded with the tail of ffmpeg's stderr
        for line in STDERR_LINES:
            assert line.split("] ")[-1] in op["error_details"], op["error_details"]
    # one failed clip did not take the others down: every unit of the stage ran
    thumbs = [op for op in ops if op["operation_type"] == "thumbnails"]
    assert thumbs and all(op["status"] == "completed" for op in thumbs)
    assert {op["status"] for op in ops if op["operation_type"] == "verification"} == {"pending"}
    registered = _finished_files_stay(state, sid, archive)
    assert f"masters/{PREFIX}_master-web.mp4" in registered
    assert not any(p.startswith("clips/") for p in registered)
    done_before = {op["sequence_number"]: op["end_time"] for op in ops if op["status"] == "completed"}

    flag.unlink()  # the cause is gone
    result = state.json("resume", sid, env=env)
    assert result.rc == 0 and result.outcome["status"] == "completed", result.stderr
    files = check_complete(state, sid, archive)
    assert sum(p.startswith("clips/") for p in files) == len(clips)
    after = {op["sequence_number"]: op["end_time"] for op in state.operations(sid)}
    assert {seq: after[seq] for seq in done_before} == done_before  # not done again
    assert state.session(sid)["error_message"] is None


@pytest.fixture
def small_disk(tmp_path):
    """A 6 MB file system as the output folder (root can mount a tmpfs; others cannot)."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill (needs root): {mounted.stderr.strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=True)


def test_disk_full_then_resume(small_disk, tmp_path, media_dir):
    state = State(tmp_path / "state")  # the database is elsewhere: only the archive runs out
    result = state.json("process", str(media_dir / "testvideo.mp4"), "--artwork", ARTWORK,
                        "--date", DATE, "--out", str(small_disk), "--rd", str(media_dir / "rd-sample"),
                        *FAST)
    no_traceback(result.stderr)
    assert result.rc == 1, result.stderr
    sid = result.outcome["session_id"]
    archive = small_disk / PREFIX
    session = state.session(sid)
    assert session["status"] == "failed"
    assert "disk is full" in session["error_message"], session["error_message"]
    failed = [op for op in state.operations(sid) if op["status"] == "failed"]
    assert failed and all("disk is full" in op["error_details"] for op in failed), \
        [op["error_details"] for op in failed]
    _finished_files_stay(state, sid, archive)

    subprocess.run(["mount", "-o", "remount,size=200m", str(small_disk)], check=True)
    result = state.json("resume", sid)
    assert result.rc == 0 and result.outcome["status"] == "completed", result.stderr
    check_complete(state, sid, archive)
