"""Issue 9, points 6 and 12: text that cannot go into metadata or names, and the smaller holes.
Each class is tried with several instances; every refusal is one line before any work, and what
was already there (a finished archive, the state database) is exactly as it was."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from archive_checks import DATE, FAST, State, no_traceback, sha256
from backend.db import settings as db_settings
from backend.errors import InputError
from backend.ops import rd_tree
from backend.media.metadata import ArchiveMetadata
from backend.media.stills import StillRequest, extract_frames
from backend.presets.model import PresetFieldError, StillsHQ, to_preset
from conftest import make_video
from test_process_bad_input import DONE, check_refused, existing, process  # noqa: F401 (fixture)

# --- point 6: control characters and other text metadata cannot hold ----------------------------

BAD_TEXT = {
    "ESC": "Blue\x1bHour",
    "SOH": "\x01Blue",
    "DEL": "Blue\x7f",
    "C1 NEL": "Blue\x85Hour",
    "bidi override": "Blue\u202egpj.exe",
    "bidi isolate": "Blue\u2066Hour",
    "line separator": "Blue\u2028Hour",
    "tab": "Blue\tHour",
    "newline": "Blue\nHour",
    "carriage return": "Blue\rHour",
    "non-character": "Blue\ufffeHour",
}


@pytest.mark.parametrize("case", list(BAD_TEXT))
def test_an_artwork_name_metadata_cannot_hold_is_refused(case, existing):
    check_refused(existing, process(existing, artwork=BAD_TEXT[case]),
                  "the artwork name contains U+")


@pytest.mark.parametrize("case", ["ESC", "newline", "bidi override"])
def test_a_group_name_metadata_cannot_hold_is_refused(case, existing, tmp_path):
    groups = tmp_path / "groups.json"
    groups.write_text(json.dumps({BAD_TEXT[case]: [1]}))
    check_refused(existing, process(existing, extra=("--groups", str(groups))),
                  "the group name contains U+")


@pytest.mark.parametrize("case", list(BAD_TEXT))
@pytest.mark.parametrize("key", ["copyright_text", "artist_name"])
def test_metadata_settings_refuse_such_text_when_set(db, key, case):
    with pytest.raises(InputError, match=f"setting {key} contains U\\+"):
        db_settings.set(db, key, BAD_TEXT[case])
    assert db_settings.get(db, key) != BAD_TEXT[case]


def test_metadata_settings_refuse_nul_and_oversized_text(db):
    with pytest.raises(InputError, match="U\\+0000"):
        db_settings.set(db, "artist_name", "A\x00B")
    with pytest.raises(InputError, match="bytes long"):
        db_settings.set(db, "copyright_text", "©" * 600)  # 1200 bytes in UTF-8
    assert db_settings.set(db, "copyright_text", "© Yambo Studio — 日本 🎞") == "© Yambo Studio — 日本 🎞"


@pytest.mark.parametrize("field", ["copyright", "artist", "title", "description"])
def test_archive_metadata_refuses_what_xmp_exif_or_a_tag_cannot_hold(field):
    with pytest.raises(InputError, match="contains U\\+001B"):
        ArchiveMetadata(**{field: "x\x1by"})
    with pytest.raises(InputError, match="bytes long"):
        ArchiveMetadata(**{field: "x" * 5000})


def test_a_stored_copyright_with_a_control_character_stops_process_before_work(tmp_path, media_dir):
    """A value stored before these checks (or by hand) is refused at use, naming the setting."""
    state = State(tmp_path / "state")
    assert state.run("settings", "list").returncode == 0
    import apsw
    conn = apsw.Connection(str(state.db))
    conn.execute("UPDATE app_settings SET value = ? WHERE key = 'copyright_text'", ("© \x01Studio",))
    conn.close()
    out = tmp_path / "out"
    done = state.run("process", str(media_dir / "counter.mp4"), "--artwork", "A", "--date", DATE,
                     "--out", str(out), *FAST)
    no_traceback(done.stderr)
    assert done.returncode == 1 and "the copyright_text setting contains U+0001" in done.stderr
    assert not out.exists() or list(out.iterdir()) == []
    assert state.listing("sessions") == []


@pytest.mark.parametrize("field, value, ok", [
    ("name", "Shared\x1b[31m", False),
    ("name", "Line\nbreak", False),
    ("description", "bell\x07", False),
    ("description", "two lines\nand a\ttab", True),
    ("name", "Ünïcode 日本", True),
])
def test_preset_text_fields_follow_the_same_rule(field, value, ok):
    data = {"id": "x", "name": "X", field: value}
    if ok:
        assert getattr(to_preset(data), field) == value
    else:
        with pytest.raises(PresetFieldError) as caught:
            to_preset(data, "preset file x.json")
        assert caught.value.field == field and "contains U+" in str(caught.value)


# --- point 12: the smaller ones --------------------------------------------------------------------

@pytest.fixture(scope="module")
def odd_paths(tmp_path_factory):
    root = tmp_path_factory.mktemp("odd")
    os.mkfifo(root / "fifo.mp4")
    os.symlink(root / "loop-b", root / "loop-a")
    os.symlink(root / "loop-a", root / "loop-b")
    for name, make in {"rd-fifo": lambda d: os.mkfifo(d / "pipe.jpg"),
                       "rd-broken": lambda d: os.symlink(d / "gone.jpg", d / "dangling.jpg"),
                       "rd-loop": lambda d: (os.symlink(d / "y", d / "x"), os.symlink(d / "x", d / "y"))
                       }.items():
        folder = root / name
        folder.mkdir()
        (folder / "fine.txt").write_text("fine\n")
        make(folder)
    return root


@pytest.mark.parametrize("case", [
    "master is a FIFO", "master is a link loop", "out is a link loop", "R&D is a link loop",
    "empty out", "blank out", "huge min scene len", "negative min scene len",
    "threshold not a number", "threshold huge", "R&D holds a FIFO", "R&D holds a broken link",
    "R&D holds a link loop",
])
def test_odd_paths_and_numbers_are_refused_in_one_line(case, existing, odd_paths):
    kwargs, message = {
        "master is a FIFO": ({"master": odd_paths / "fifo.mp4"}, "master video is not a file"),
        "master is a link loop": ({"master": odd_paths / "loop-a"}, "master video is a symbolic link loop"),
        "out is a link loop": ({"out": odd_paths / "loop-a"}, "output folder is a symbolic link loop"),
        "R&D is a link loop": ({"extra": ("--rd", str(odd_paths / "loop-a"))},
                               "R&D folder is a symbolic link loop"),
        "empty out": ({"out": ""}, "no output folder given"),
        "blank out": ({"out": "  "}, "no output folder given"),
        "huge min scene len": ({"extra": ("--min-scene-len", str(10**20))}, "minimum scene length"),
        "negative min scene len": ({"extra": ("--min-scene-len", "-3")}, "minimum scene length"),
        "threshold not a number": ({"extra": ("--threshold", "nan")}, "scene threshold nan"),
        "threshold huge": ({"extra": ("--threshold", "1e308")}, "scene threshold"),
        "R&D holds a FIFO": ({"extra": ("--rd", str(odd_paths / "rd-fifo"))},
                             "pipe.jpg: not a regular file"),
        "R&D holds a broken link": ({"extra": ("--rd", str(odd_paths / "rd-broken"))},
                                    "dangling.jpg: a broken symbolic link"),
        "R&D holds a link loop": ({"extra": ("--rd", str(odd_paths / "rd-loop"))},
                                  "a symbolic link loop"),
    }[case]
    if kwargs.get("out") is not None and not str(kwargs["out"]).strip():
        done = existing.state.run("process", str(existing.counter), "--artwork", "X", "--date", DATE,
                                  "--out", kwargs["out"], *FAST)
        check_refused(existing, done, message)
        return
    check_refused(existing, process(existing, **kwargs), message)


@pytest.mark.parametrize("where", [".", "clips", "masters", "stills/hq", "new-sub/inner"])
def test_out_at_or_inside_an_existing_archive_is_refused(where, existing):
    archive = existing.out / f"{DATE}_{DONE}"
    assert archive.is_dir()
    target = archive / where
    check_refused(existing, process(existing, out=target), "existing archive")
    assert not (archive / "new-sub").exists()


@pytest.mark.parametrize("argv, message", [
    (["detect", "{fifo}"], "master video is not a file"),
    (["detect", "{loop}"], "master video is a symbolic link loop"),
    (["detect", "{counter}", "--min-scene-len", str(10**20)], "minimum scene length"),
    (["detect", "{counter}", "--threshold", "-1"], "scene threshold"),
    (["presets", "import", "/dev/zero"], "is not a regular file"),
    (["presets", "import", "{fifo}"], "is not a regular file"),
    (["presets", "import", "{root}"], "is not a regular file"),
    (["presets", "import", "{big}"], "larger than 1024 KB"),
])
def test_commands_that_used_to_hang_or_trace_back(argv, message, odd_paths, media_dir, tmp_path):
    big = tmp_path / "big.json"
    with open(big, "wb") as file:
        file.truncate(3 << 20)  # sparse: 3 MiB of zeros
    names = {"fifo": odd_paths / "fifo.mp4", "loop": odd_paths / "loop-a",
             "counter": media_dir / "counter.mp4", "root": odd_paths, "big": big}
    state = State(tmp_path / "state")
    done = state.run(*[a.format(**names) for a in argv], timeout=60)
    no_traceback(done.stderr)
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr


@pytest.mark.parametrize("which", [0, 4, 9])
def test_restoring_any_of_ten_backups_keeps_that_backup(which, db_path, capsys):
    from backend.cli.main import main

    for n in range(10):
        assert main(["settings", "set", "artist_name", f"Artist {n}"]) == 0
        assert main(["db", "backup", "--reason", f"n{n}"]) == 0
    capsys.readouterr()
    backups = sorted((db_path.parent / "backups").glob("state_backup_*.db"))
    assert len(backups) == 10
    chosen = backups[which]
    digest = sha256(chosen)
    assert main(["db", "restore", str(chosen)]) == 0
    assert chosen.is_file() and sha256(chosen) == digest
    assert main(["--json", "settings", "get", "artist_name"]) == 0
    assert f"Artist {which}" in capsys.readouterr().out


def test_rd_links_are_followed_by_one_rule(tmp_path):
    """Links to files and to folders are followed, under the link's own path; a link back up the
    tree is not entered twice; hidden entries are not inputs."""
    outside = tmp_path / "outside"
    (outside / "refs").mkdir(parents=True)
    (outside / "refs" / "c.png").write_bytes(b"c")
    (outside / "b.jpg").write_bytes(b"b")
    rd = tmp_path / "rd"
    (rd / "sub").mkdir(parents=True)
    (rd / "a.jpg").write_bytes(b"a")
    (rd / ".hidden").write_bytes(b"h")
    os.symlink(outside / "b.jpg", rd / "b-link.jpg")
    os.symlink(outside / "refs", rd / "refs-link")
    os.symlink(rd, rd / "sub" / "up")  # a loop back to the top
    link_to_rd = tmp_path / "rd-link"
    os.symlink(rd, link_to_rd)
    for folder in (rd, link_to_rd):
        files, problems, _hidden = rd_tree.scan(folder)
        assert problems == []
        assert [p.relative_to(folder).as_posix() for p in files] == [
            "a.jpg", "b-link.jpg", "refs-link/c.png"]
        rd_tree.check(folder)


def test_rd_links_reach_the_archive_bit_for_bit(tmp_path, ffmpeg_bin):
    master = make_video(ffmpeg_bin, tmp_path / "m.mp4", seconds=1, size="160x90")
    outside = tmp_path / "outside"
    outside.mkdir()
    Image.new("RGB", (40, 30), "red").save(outside / "linked.png")
    rd = tmp_path / "rd"
    rd.mkdir()
    Image.new("RGB", (40, 30), "blue").save(rd / "own.png")
    os.symlink(outside / "linked.png", rd / "linked.png")
    os.symlink(outside, rd / "shared")
    os.symlink(rd, rd / "loop")
    state = State(tmp_path / "state")
    result = state.json("process", str(master), "--artwork", "Links", "--date", DATE, "--out",
                        str(tmp_path / "out"), "--rd", str(tmp_path / "rd"), *FAST)
    assert result.rc == 0, result.stderr
    originals = Path(result.outcome["archive_path"]) / "rd" / "originals"
    for rel, source in {"own.png": rd / "own.png", "linked.png": outside / "linked.png",
                        "shared/linked.png": outside / "linked.png"}.items():
        assert sha256(originals / rel) == sha256(source), rel
    assert not (originals / "loop").exists()


@pytest.mark.parametrize("size", ["8000x16", "16x8000"])
def test_an_extreme_aspect_master_is_detected(size, tmp_path, ffmpeg_bin):
    master = make_video(ffmpeg_bin, tmp_path / "m.mp4", seconds=1, size=size)
    state = State(tmp_path / "state")
    done = state.run("--json", "detect", str(master))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["frame_count"] == 25
    assert result["sprites"]["tile_width"] * result["sprites"]["columns"] <= 65500


def _alpha_master(ffmpeg: Path, out: Path, codec: list[str]) -> Path:
    subprocess.run([str(ffmpeg), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=160x90:rate=25:duration=0.4,format=rgba,"
                    "geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='X*255/W'", *codec, str(out)], check=True)
    return out


@pytest.mark.parametrize("codec", [["-c:v", "prores_ks", "-profile:v", "4444", "-pix_fmt", "yuva444p10le"],
                                   ["-c:v", "png"], ["-c:v", "qtrle"]], ids=["prores4444", "png", "qtrle"])
@pytest.mark.parametrize("fmt, depth", [("png", 8), ("png", 16), ("tiff", 8), ("tiff", 16)])
def test_hq_stills_keep_the_alpha_channel(codec, fmt, depth, tmp_path, ffmpeg_bin):
    master = _alpha_master(ffmpeg_bin, tmp_path / "alpha.mov", codec)
    hq, web = tmp_path / f"hq.{fmt}", tmp_path / "web.jpg"
    extract_frames(master, [StillRequest(frame_index=3, hq_path=str(hq), web_path=str(web))],
                   hq=StillsHQ(format=fmt, bit_depth=depth),
                   metadata=ArchiveMetadata(title="Alpha", copyright="© Studio"))
    with av.open(str(hq)) as container:
        frame = next(container.decode(video=0))
        rgba = frame.to_ndarray(format="rgba64le" if depth == 16 else "rgba")
    alpha = rgba[..., 3].astype(float) / (65535 if depth == 16 else 255)
    ramp = np.linspace(0, 1, alpha.shape[1], endpoint=False)
    assert np.abs(alpha.mean(axis=0) - ramp).max() < 0.03  # the source's left-to-right ramp
    assert Image.open(web).mode == "RGB"  # the web still is flattened, as the web master is


def test_opaque_masters_still_give_rgb_hq_stills(tmp_path, ffmpeg_bin):
    master = make_video(ffmpeg_bin, tmp_path / "m.mp4", seconds=0.4, size="160x90")
    hq = tmp_path / "hq.png"
    extract_frames(master, [StillRequest(frame_index=2, hq_path=str(hq))])
    assert Image.open(hq).mode == "RGB"
