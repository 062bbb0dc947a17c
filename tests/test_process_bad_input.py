"""Bad input to `video-archive process`: each gets one clear error that names the problem (exit
status 1, no traceback) before any work, and nothing already done is lost: a finished archive in
the same output folder and the state database stay exactly as they were. Unsafe artwork names
are made safe, with a warning, and never escape the output folder. NVENC: an explicit
`--encoder nvenc` fails without a usable GPU; the encoder_preference setting falls back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from archive_checks import DATE, FAST, State, cli_argv, no_traceback, tree
from conftest import make_video

DONE = "Done"  # the artwork of the archive that is already there


@dataclass
class Existing:
    """A state store and an output folder holding a finished archive, and files to misuse."""
    state: State
    out: Path
    inputs: Path
    counter: Path
    snapshot: tuple

    def look(self) -> tuple:
        folders = sorted(p.relative_to(self.out).as_posix() for p in self.out.rglob("*"))
        return folders, tree(self.out), self.state.dump()


@pytest.fixture(scope="module")
def existing(tmp_path_factory, media_dir, ffmpeg_bin) -> Existing:
    root = tmp_path_factory.mktemp("bad-input")
    state = State(root / "state")
    out = root / "out"
    result = state.json("process", str(media_dir / "counter.mp4"), "--artwork", DONE, "--date", DATE,
                        "--out", str(out), *FAST)
    assert result.rc == 0, result.stderr
    inputs = root / "inputs"
    inputs.mkdir()
    (inputs / "notes.mov").write_text("not a video, just notes\n", encoding="utf-8")
    (inputs / "empty.mp4").write_bytes(b"")
    (inputs / "a-folder.mp4").mkdir()
    (inputs / "a-file").write_text("in the way\n", encoding="utf-8")
    subprocess.run([str(ffmpeg_bin), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=1", "-c:a", "aac", str(inputs / "audio.m4a")],
                   check=True)
    for name, data in {"not-json.json": "{intro: [1]", "twice.json": '{"a": [1], "b": [1]}',
                       "unknown-scene.json": '{"a": [5]}', "not-a-list.json": '{"a": 1}'}.items():
        (inputs / name).write_text(data, encoding="utf-8")
    found = Existing(state, out, inputs, media_dir / "counter.mp4", ())
    found.snapshot = found.look()
    return found


def check_refused(existing: Existing, done: subprocess.CompletedProcess, message: str,
                  *, after_detection: bool = False) -> None:
    """One error line naming the problem, exit 1, no traceback, and nothing changed. Problems
    that only the detected scenes reveal come after the analysis' progress lines."""
    no_traceback(done.stderr)
    assert done.returncode == 1, (done.returncode, done.stderr)
    lines = done.stderr.splitlines()
    errors = [line for line in lines if line.startswith("video-archive: error: ")]
    assert len(errors) == 1, done.stderr
    assert message in errors[0], errors[0]
    if after_detection:
        assert all(line.startswith("done: ") for line in lines if line not in errors), done.stderr
    else:
        assert lines == errors and done.stdout == "", (done.stdout, done.stderr)
    assert existing.look() == existing.snapshot, "something already there was changed"


def process(existing: Existing, *, master: Path | None = None, artwork: str = "Blue-Hour",
            date: str = DATE, out: Path | None = None, extra: tuple = ()) -> subprocess.CompletedProcess:
    return existing.state.run("process", str(master or existing.counter), "--artwork", artwork,
                              "--date", date, "--out", str(out or existing.out), *extra, *FAST)


# name -> (keyword arguments of `process`, with paths relative to the inputs folder, the message)
CASES = {
    "missing master": ({"master": "missing.mov"}, "master video not found: "),
    "master is a folder": ({"master": "a-folder.mp4"}, "master video is not a file: "),
    "empty master": ({"master": "empty.mp4"}, "master video is empty (0 bytes)"),
    "text file named .mov": ({"master": "notes.mov"}, "notes.mov is a text file, not a video"),
    "audio-only master": ({"master": "audio.m4a"}, "audio.m4a has no video stream"),
    "month 13": ({"date": "24-13-01"}, "invalid project date '24-13-01': use YY-MM-DD"),
    "February 30": ({"date": "24-02-30"}, "invalid project date '24-02-30'"),
    "ISO date of no real day": ({"date": "2024-02-30"}, "invalid project date '2024-02-30': use YY-MM-DD or YYYY-MM-DD"),
    "day first": ({"date": "15-03-2024"}, "invalid project date '15-03-2024'"),
    "empty artwork name": ({"artwork": ""}, "the artwork name is empty"),
    "blank artwork name": ({"artwork": "   "}, "the artwork name is empty"),
    "artwork name only slashes": ({"artwork": "///"},
                                  "the artwork name '///' has no letters or digits"),
    "artwork name only dots": ({"artwork": ".."}, "the artwork name '..' has no letters or digits"),
    "output folder is a file": ({"out": "a-file"}, "output folder is a file, not a folder"),
    "archive already there": ({"artwork": DONE}, "holds an archive finished by session"),
    "unknown preset": ({"extra": ("--preset", "no_such_preset")}, "unknown preset no_such_preset"),
    "unknown --set field": ({"extra": ("--set", "video.bitrate=1")}, "video.bitrate"),
    "bad --set value": ({"extra": ("--set", "video.crf=high")}, "video.crf"),
    "unknown --set group": ({"extra": ("--set", "audio.crf=20")}, "audio"),
    "scene spec not a number": ({"extra": ("--scenes", "1-x")}, "invalid scene spec '1-x'"),
    "scene spec scene 0": ({"extra": ("--scenes", "0")}, "invalid scene spec '0'"),
    "scene spec backwards": ({"extra": ("--scenes", "3-1")}, "invalid scene spec '3-1'"),
    "groups file missing": ({"extra": ("--groups", "missing.json")}, "groups file not found"),
    "groups file not JSON": ({"extra": ("--groups", "not-json.json")}, "is not valid JSON"),
    "scene in two groups": ({"extra": ("--groups", "twice.json")}, "scene 1 is in both group 'a' and 'b'"),
    "group not a list": ({"extra": ("--groups", "not-a-list.json")},
                         "group 'a' must be a list of scene numbers"),
    "R&D folder missing": ({"extra": ("--rd", "no-such-folder")}, "R&D folder not found"),
    "threshold out of range": ({"extra": ("--threshold", "0")}, "scene threshold 0"),
    "workers 0": ({"extra": ("--workers", "0")}, "workers must be 1 to 256 (got 0)"),
    "workers 10**30": ({"extra": ("--workers", str(10**30))}, "workers must be 1 to 256"),
    # a name is untrusted text: its line feed or ESC is shown escaped, the error stays one line
    "master name with a line feed": ({"master": "missing\nvideo.mov"},
                                     "master video not found: "),
    "master name with ESC": ({"master": "missing\x1b[2Jvideo.mov"}, "\\x1b[2J"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_before_any_work(case, existing):
    kwargs, message = CASES[case]
    kwargs = dict(kwargs)
    for key in ("master", "out"):
        if key in kwargs:
            kwargs[key] = existing.inputs / kwargs[key]
    if "extra" in kwargs:  # file arguments live in the inputs folder
        kwargs["extra"] = tuple(str(existing.inputs / v) if v.endswith((".json", "folder")) else v
                                for v in kwargs["extra"])
    check_refused(existing, process(existing, **kwargs), message)


@pytest.mark.parametrize("extra, message", [
    (("--scenes", "1,2"), "scene 2 does not exist: the master has 1 scene"),
    (("--groups", "unknown-scene.json"), "group 'a' names scene 5, but the master has 1 scene"),
], ids=["scene spec past the last scene", "group names an unknown scene"])
def test_scenes_that_do_not_exist_are_refused_after_detection(extra, message, existing):
    extra = tuple(str(existing.inputs / v) if v.endswith(".json") else v for v in extra)
    check_refused(existing, process(existing, extra=extra), message, after_detection=True)


def _nvenc_usable() -> bool:
    from backend.media.encoders import detect_encoders

    return detect_encoders().get("h264_nvenc").usable


def test_explicit_nvenc_without_a_gpu_fails(existing):
    if _nvenc_usable():
        pytest.skip("this machine has a usable NVENC, so an explicit --encoder nvenc is honoured")
    check_refused(existing, process(existing, extra=("--encoder", "nvenc")), "NVENC was asked for, but")


def test_unreadable_master(existing, tmp_path):
    """Root reads any file whatever its mode, so as root the tool is run as `nobody`, as a user
    without the right would run it; the folders it needs must then be open to that user."""
    as_root = os.geteuid() == 0
    if as_root and shutil.which("setpriv") is None:
        pytest.skip("running as root and setpriv is missing: cannot run as a user chmod applies to")
    folder = Path(tempfile.mkdtemp(prefix="video-archive-unreadable-"))
    try:
        folder.chmod(0o777)
        master = folder / "master.mp4"
        shutil.copy(existing.counter, master)
        master.chmod(0)
        argv = cli_argv("process", str(master), "--artwork", "A", "--date", DATE,
                        "--out", str(folder / "out"))
        if as_root:
            argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", *argv]
        done = subprocess.run(argv, env={**os.environ, "HOME": str(folder),
                                         "VIDEO_ARCHIVE_DB": str(folder / "state" / "state.db")},
                              capture_output=True, text=True, timeout=120, cwd=folder)
        no_traceback(done.stderr)
        assert done.returncode == 1, done.stderr
        assert done.stderr.strip() == f"video-archive: error: master video cannot be read (permissions): {master}"
        assert not (folder / "out").exists()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_output_folder_that_cannot_be_written(existing, tmp_path):
    """As root, permissions do not stop writing: a read-only file system does."""
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    if os.geteuid() == 0:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", str(read_only)],
                                 capture_output=True, text=True)
        if mounted.returncode != 0:
            pytest.skip(f"running as root and cannot mount a read-only tmpfs: {mounted.stderr.strip()}")
    else:
        read_only.chmod(0o555)
    try:
        check_refused(existing, process(existing, out=read_only),
                      f"output folder cannot be written: {read_only}")
        check_refused(existing, process(existing, out=read_only / "inside"),
                      f"output folder cannot be written: {read_only / 'inside'}")
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(read_only)], check=True)


# --- names that are made safe, and the encoder setting that falls back --------------------------

@pytest.fixture(scope="module")
def tiny(tmp_path_factory, ffmpeg_bin) -> Path:
    return make_video(ffmpeg_bin, tmp_path_factory.mktemp("tiny") / "tiny.mp4", seconds=1,
                      size="160x120", fps=10)


def test_unsafe_artwork_names_are_made_safe_inside_the_output_folder(tiny, tmp_path):
    state = State(tmp_path / "state")
    out = tmp_path / "deep" / "out"
    expected = {"../x": "x", "../../etc": "etc", "a/b": "a-b", "..\\evil": "evil", "CON": "CON_"}
    for artwork, safe in expected.items():
        result = state.json("process", str(tiny), "--artwork", artwork, "--date", DATE,
                            "--out", str(out), *FAST)
        assert result.rc == 0, result.stderr
        archive = out / f"{DATE}_{safe}"
        assert result.outcome["archive_path"] == str(archive)
        assert any(f"used as '{safe}'" in w for w in result.outcome["warnings"]), result.outcome
        assert result.first(type="warning")["message"].endswith(f"'{safe}' in file names")
        assert (archive / f"{DATE}_{safe}_manifest.json").is_file()
        assert state.session(result.outcome["session_id"])["artwork_name"] == artwork
    # everything stayed inside the output folder: one archive folder per name, nothing beside it
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["out"]
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{DATE}_{s}" for s in expected.values())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep", "state"]


def test_nvenc_preference_setting_falls_back_with_a_warning(tiny, tmp_path):
    if _nvenc_usable():
        pytest.skip("this machine has a usable NVENC: the preference is honoured, nothing falls back")
    state = State(tmp_path / "state")
    done = state.run("settings", "set", "encoder_preference", "nvenc")
    assert done.returncode == 0, done.stderr
    result = state.json("process", str(tiny), "--artwork", "Fallback", "--date", DATE,
                        "--out", str(tmp_path / "out"), *FAST)
    assert result.rc == 0, result.stderr
    assert result.outcome["status"] == "completed"
    warning = result.first(type="warning")["message"]
    assert "NVENC preferred" in warning and "using libx264" in warning
    [history] = state.rows("SELECT encoder_used FROM project_history")
    assert history["encoder_used"] == "libx264"
    assert json.loads(state.session(result.outcome["session_id"])["process_metadata"])["encoder"]["family"] == "x264"
