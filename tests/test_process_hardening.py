"""What a hostile tester tried, as a user runs it (the CLI, real ffmpeg, tiny generated media),
each class with several instances:

- two inputs, one output name (R&D trees, groups named like scene clips): every input reaches the
  archive bit for bit under its own name, or the plan is refused before any work;
- names too long in bytes (artwork names, R&D file names, temporary names);
- VFR masters: the clips hold every frame, the still is the frame ingest shows;
- stale, concurrent and finished sessions: one writer per folder, a finished archive is never
  written again, plain `resume` never picks a session that would touch another's files;
- the master replaced before a resume; finished outputs deleted before a resume."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import unicodedata
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from backend.media.file_names import NAME_MAX_BYTES, byte_len

from archive_checks import DATE, FAST, State, check_complete, no_traceback, run_until, sha256, tree


def ffmpeg(ffmpeg_bin, *args: str) -> None:
    subprocess.run([str(ffmpeg_bin), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def media(tmp_path_factory, ffmpeg_bin) -> Path:
    """Tiny masters: two hard-cut scenes (CFR), the issue's VFR example, a two-scene VFR one."""
    folder = tmp_path_factory.mktemp("media")
    two = "[0:v][1:v]concat=n=2:v=1[v]"
    ffmpeg(ffmpeg_bin, "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25:duration=1.2",
           "-f", "lavfi", "-i", "mandelbrot=size=160x90:rate=25", "-t", "2.4",
           "-filter_complex", two, "-map", "[v]", "-c:v", "libx264", "-pix_fmt", "yuv420p",
           str(folder / "two.mp4"))
    ffmpeg(ffmpeg_bin, "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=2.4", "-vf",
           "setpts='if(lt(N,20),N/25/TB,(N+N*N/200)/25/TB)'", "-fps_mode", "passthrough",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", str(folder / "vfr.mp4"))
    ffmpeg(ffmpeg_bin, "-i", str(folder / "two.mp4"), "-vf",
           "setpts='if(lt(N,10),N/25/TB,(N+N*N/150)/25/TB)'", "-fps_mode", "passthrough",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", str(folder / "vfr-two.mp4"))
    # long enough that a kill sent when detection starts lands while it runs (a cold cache)
    ffmpeg(ffmpeg_bin, "-f", "lavfi", "-i", "testsrc2=size=480x270:rate=25:duration=10",
           "-f", "lavfi", "-i", "mandelbrot=size=480x270:rate=25", "-t", "20",
           "-filter_complex", two, "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", str(folder / "long.mp4"))
    return folder


@pytest.fixture
def state(tmp_path, shared_cache) -> State:
    return State(tmp_path / "state", shared_cache)


def process(state: State, master: Path, out: Path, artwork: str = "Hard", *extra: str):
    return state.json("process", str(master), "--artwork", artwork, "--date", DATE, "--out", str(out),
                      *FAST, *extra)


def snapshot(folder: Path, skip: tuple[str, ...]) -> dict[str, str]:
    """Every file below `folder` except the named top-level folders: what must not change."""
    return {k: v for k, v in tree(folder).items() if k.split("/")[0] not in skip}


# --- two inputs, one output name ---------------------------------------------------------------

def make_rd(root: Path, media: Path) -> dict[str, bytes]:
    """An R&D tree whose names collide in every way the archive could make them collide."""
    image = Image.new("RGB", (40, 30), (200, 40, 40))
    long_cjk = "漢" * 83 + ".jpg"                     # 253 bytes: fits, its temporary name would not
    files = {
        "a.jpg": None, "originals/a.jpg": None,      # rd/originals/a.jpg was both of these
        "A.jpg": None,                               # one file with a.jpg on macOS and Windows
        "a.png": None,                               # compresses to a.jpg too
        "compressed/a.jpg": None,                    # like the compressed tree's own name
        "Notes/readme.txt": b"notes", "notes/README.TXT": b"other notes",
        "n" * 250 + ".txt": b"254-byte name",
        long_cjk: None, "deep/er/still/x.bin": os.urandom(3000),
        unicodedata.normalize("NFD", "café.jpg"): None, "café.jpg": None,
        "clip.mov": None, "clip.mp4": None,          # both compress to clip.mp4
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if data is not None:
            path.write_bytes(data)
        elif rel.endswith((".mov", ".mp4")):
            shutil.copy(media / "two.mp4", path)
        else:
            image.save(path, format="PNG" if rel.endswith(".png") else "JPEG",
                       quality=50 + len(rel) % 40)  # every image different
    if len({p.name.casefold() for p in root.glob("*.jpg")}) < 2:
        pytest.skip("this file system folds case")
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_hidden_rd_entries_are_named_in_a_warning_not_left_out_silently(state, media, tmp_path):
    rd = tmp_path / "rd"
    (rd / ".git").mkdir(parents=True)
    (rd / ".git" / "HEAD").write_text("ref")
    (rd / ".DS_Store").write_bytes(b"\0")
    (rd / "sketch.txt").write_text("kept")
    result = process(state, media / "two.mp4", tmp_path / "out", "Hidden", "--rd", str(rd))
    assert result.rc == 0, result.stderr
    warning = result.first(type="warning")
    assert warning and "2 hidden entries" in warning["message"], result.events
    assert "'.DS_Store'" in warning["message"] and "'.git'" in warning["message"]
    archive = tmp_path / "out" / f"{DATE}_Hidden"
    assert [p.name for p in archive.rglob("*") if p.is_file() and "sketch" in p.name]
    assert not [p for p in archive.rglob("*") if p.name in (".DS_Store", "HEAD")]
    state_rows = state.rows("SELECT process_metadata FROM processing_state")
    assert "hidden entries" in state_rows[0]["process_metadata"]


@pytest.mark.parametrize("layout", ["folder", "bagit"])
def test_rd_names_with_control_characters_reach_the_archive_as_they_are(state, media, tmp_path, layout):
    """An R&D file's name is part of the input: kept byte for byte, escaped where a format needs
    it (a bag's manifest percent-encodes CR, LF and %), and the archive verifies."""
    import bagit

    rd = tmp_path / "rd"
    rd.mkdir()
    names = ["new\nline.jpg", "esc\x1b.txt", "tab\there%.txt", "bell\x07.png", "del\x7f.txt",
             "100% final.png", "cr\rx.txt"]
    # what the RFC keeps literal but bagit-python misreads (it strips a line and splits it at
    # \x1c, \x85, U+2028): checked by our verify only
    exotic = ["fs\x1csep.txt", "nel\x85.txt", "ls\u2028.txt", "ends in a space .txt "]
    names += exotic if layout == "folder" else []
    for name in names:
        if name.endswith((".jpg", ".png")):
            Image.new("RGB", (40, 30), (20, 90, 160)).save(rd / name)
        else:
            (rd / name).write_text(name)
    result = process(state, media / "two.mp4", tmp_path / "out", "Names", "--rd", str(rd),
                     "--layout", layout)
    assert result.rc == 0, result.stderr
    archive = tmp_path / "out" / f"{DATE}_Names"
    payload = archive / "data" if layout == "bagit" else archive
    for name in names:
        assert (payload / "rd" / "originals" / name).read_bytes() == (rd / name).read_bytes(), name
    verified = state.run("verify", str(archive))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    if layout == "bagit":
        bagit.Bag(str(archive)).validate()  # the Library of Congress's validator
        for name in exotic:  # and a second bag, with the names bagit-python cannot read
            (rd / name).write_text(name)
        again = process(state, media / "two.mp4", tmp_path / "out", "Names2", "--rd", str(rd),
                        "--layout", layout)
        assert again.rc == 0, again.stderr
        for name in exotic:
            assert (tmp_path / "out" / f"{DATE}_Names2" / "data" / "rd" / "originals" / name).is_file()
        verified = state.run("verify", str(tmp_path / "out" / f"{DATE}_Names2"))
        assert verified.returncode == 0, verified.stdout + verified.stderr
    else:
        check_complete(state, result.outcome["session_id"], archive)


def test_every_rd_original_reaches_the_archive_bit_for_bit(state, media, tmp_path):
    rd = tmp_path / "in" / "rd"
    sources = make_rd(rd, media)
    shutil.copy(media / "two.mp4", tmp_path / "in" / "master.mp4")
    outside = snapshot(tmp_path, ("out", "state"))
    result = process(state, tmp_path / "in" / "master.mp4", tmp_path / "out", "Hard", "--rd", str(rd))
    assert result.rc == 0, result.stderr
    archive = tmp_path / "out" / f"{DATE}_Hard"
    files = check_complete(state, result.outcome["session_id"], archive)
    rows = state.registered_files(result.outcome["session_id"])
    originals = {r["source_file"]: r["file_path"] for r in rows
                 if r["file_type"] in ("rd_image_original", "rd_video_original", "rd_other")}
    compressed = [r for r in rows if r["file_type"] in ("rd_image", "rd_video")]
    assert len(originals) == len(sources)
    for rel, data in sources.items():
        kept = originals[str(rd / rel)]
        assert files[kept] == sha256(rd / rel), rel
        assert (archive / kept).read_bytes() == data
    # each image and video has its own compressed copy, named after it
    media_sources = [r for r in sources if r.endswith((".jpg", ".png", ".mov", ".mp4"))]
    assert sorted(r["source_file"] for r in compressed) == sorted(str(rd / r) for r in media_sources)
    made = {r["source_file"]: r["file_path"] for r in compressed}
    for rel, kept in {"a.png": "a.png.jpg", "clip.mov": "clip.mov.mp4", "clip.mp4": "clip.mp4",
                      "originals/a.jpg": "originals/a.jpg", "compressed/a.jpg": "compressed/a.jpg",
                      "A.jpg": "A.jpg"}.items():
        assert made[str(rd / rel)] == f"rd/compressed/{kept}", rel
    # the second of two names that are one file on macOS and Windows is tagged, in both trees
    for twins in (("A.jpg", "a.jpg"), (unicodedata.normalize("NFD", "café.jpg"), "café.jpg")):
        for tree_ in (made, originals):
            assert ["~" in tree_[str(rd / t)] for t in twins] == [False, True], twins
    # one file per name on a file system that ignores case and normalisation
    keys = [unicodedata.normalize("NFC", p).casefold() for p in files]
    assert len(keys) == len(set(keys))
    assert all(byte_len(part) <= NAME_MAX_BYTES for p in files for part in p.split("/"))
    assert snapshot(tmp_path, ("out", "state")) == outside  # nothing outside the output folder changed
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [archive.name]


def test_a_group_named_like_a_scene_clip_keeps_both_clips(state, media, tmp_path):
    groups = tmp_path / "groups.json"
    groups.write_text(json.dumps({"s002": [2], "S001": [1]}), encoding="utf-8")
    result = process(state, media / "two.mp4", tmp_path / "out", "Hard", "--groups", str(groups),
                     "--set", "advanced.join_group_clips=true")
    assert result.rc == 0, result.stderr
    archive = tmp_path / "out" / f"{DATE}_Hard"
    files = check_complete(state, result.outcome["session_id"], archive)
    prefix = f"{DATE}_Hard"
    clips = sorted(p for p in files if p.startswith("clips/"))
    assert clips == sorted([f"clips/s002/{prefix}_s002.mp4", f"clips/s002/{prefix}_group-s002.mp4",
                            f"clips/S001/{prefix}_s001.mp4", f"clips/S001/{prefix}_group-S001.mp4"])


@pytest.mark.parametrize("group", ["{prefix}_s001.mp4", "{PREFIX}_S001.MP4"])
def test_a_group_folder_where_a_clip_file_goes_is_refused_before_any_work(state, media, tmp_path, group):
    prefix = f"{DATE}_Hard"
    groups = tmp_path / "groups.json"
    groups.write_text(json.dumps({group.format(prefix=prefix, PREFIX=prefix.upper()): [2]}),
                      encoding="utf-8")
    result = process(state, media / "two.mp4", tmp_path / "out", "Hard", "--groups", str(groups))
    assert result.rc == 1
    no_traceback(result.stderr)
    assert "cannot be planned" in result.stderr and "needs a folder" in result.stderr
    assert not (tmp_path / "out" / prefix).exists()  # nothing written, the session discarded
    assert state.rows("SELECT * FROM processing_state") == []


# --- names too long in bytes -------------------------------------------------------------------

@pytest.mark.parametrize("artwork", ["漢" * 300, "漢" * 75, "é" * 200 + " x", "Ω-" * 100])
def test_long_artwork_names_make_a_complete_archive(state, media, tmp_path, artwork):
    result = process(state, media / "two.mp4", tmp_path / "out", artwork)
    assert result.rc == 0, result.stderr
    archive = Path(result.outcome["archive_path"])
    files = check_complete(state, result.outcome["session_id"], archive)
    assert byte_len(archive.name) <= NAME_MAX_BYTES and not archive.name.endswith("-")
    assert all(byte_len(part) <= NAME_MAX_BYTES for p in files for part in p.split("/"))
    manifest = json.loads(next(archive.glob("*_manifest.json")).read_text(encoding="utf-8"))
    assert manifest["artwork"] == artwork.strip()  # the metadata keeps the whole name


# --- VFR: every frame in a clip ------------------------------------------------------------------

def frame_count(path: Path) -> int:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sum(1 for p in container.demux(stream) if p.size)


@pytest.mark.parametrize("name", ["vfr.mp4", "vfr-two.mp4", "goldeneye-vfr-drop3.mp4"])
def test_vfr_clips_add_up_to_the_master_and_stills_are_the_ingest_midpoints(
        state, media, media_dir, tmp_path, name):
    master = media / name if (media / name).exists() else media_dir / name
    detected = json.loads(state.run("detect", str(master), "--json").stdout)
    result = process(state, master, tmp_path / "out")
    assert result.rc == 0, result.stderr
    archive = Path(result.outcome["archive_path"])
    files = check_complete(state, result.outcome["session_id"], archive)
    clips = sorted(archive / p for p in files if p.startswith("clips/"))
    assert len(clips) == len(detected["scenes"])
    assert sum(map(frame_count, clips)) == frame_count(master) == detected["frame_count"]
    for scene, clip in zip(detected["scenes"], clips):
        assert frame_count(clip) == scene["end_index"] - scene["start_index"] + 1
        n = scene["number"]
        [still] = [p for p in files if p.startswith("stills/hq/") and f"_s{n:03d}_" in p]
        assert still.endswith(f"_f{scene['midpoint_frame']:06d}.png"), (still, scene)


def test_verification_counts_clip_frames_in_the_files(media, tmp_path):
    from backend.ops.verification import VerifyParams, frame_problems

    class Job:
        def path(self, rel):
            return tmp_path / rel

    (tmp_path / "clips").mkdir()
    shutil.copy(media / "vfr.mp4", tmp_path / "clips" / "a.mp4")
    count = frame_count(media / "vfr.mp4")
    ok = VerifyParams(master_frames=count, clip_frames={"clips/a.mp4": count}, all_selected=True)
    assert frame_problems(Job(), ok) == []
    short = VerifyParams(master_frames=count, clip_frames={"clips/a.mp4": count + 1}, all_selected=True)
    assert frame_problems(Job(), short) == [("clips/a.mp4", f"clip clips/a.mp4 has {count} frames, "
                                                             f"its scene {count + 1}")]
    lost = VerifyParams(master_frames=count + 1, clip_frames={"clips/a.mp4": count}, all_selected=True)
    assert frame_problems(Job(), lost) == [(None, f"the clips hold {count} frames, the master {count + 1}")]
    assert frame_problems(Job(), VerifyParams()) == []  # a plan stored before frames were counted


# --- sessions: one writer per folder, a finished archive never written again -------------------

def kill_during_detection(state: State, master: Path, out: Path) -> str:
    """A run killed while it detects: a cold cache of its own, so the detection decodes."""
    cold = state.env(VIDEO_ARCHIVE_CACHE=str(out.parent / "cold-cache"))
    proc = state.start("process", str(master), "--artwork", "Hard", "--date", DATE, "--out", str(out),
                       *FAST, env=cold)
    result = run_until(proc, lambda e, _: e["type"] == "unit_started" and e.get("op") == "scene_detection",
                       lambda p: os.killpg(p.pid, signal.SIGKILL))
    sid = result.first(type="session_started")["session_id"]
    spec = json.loads(state.session(sid)["process_metadata"])
    assert not spec.get("analysed"), "the kill landed after the detection (the test's premise)"
    return sid


def pause_after_stills(state: State, master: Path, out: Path, *extra: str,
                       op: str = "still_extraction") -> str:
    proc = state.start("process", str(master), "--artwork", "Hard", "--date", DATE, "--out", str(out),
                       *FAST, "--workers", "1", *extra)
    result = run_until(proc, lambda e, _: e["type"] == "unit_finished" and e.get("op") == op,
                       lambda p: os.killpg(p.pid, signal.SIGINT))
    assert result.rc == 3 and result.outcome["status"] == "paused", result.stderr
    return result.outcome["session_id"]


def test_a_stale_session_is_replaced_and_never_resumed_into_the_finished_archive(state, media, tmp_path):
    out = tmp_path / "out"
    stale = kill_during_detection(state, media / "long.mp4", out)
    result = process(state, media / "long.mp4", out)
    assert result.rc == 0, result.stderr
    assert any(stale in w and "replaced" in w for w in result.outcome["warnings"])
    archive = Path(result.outcome["archive_path"])
    finished = tree(archive)
    plain = state.json("resume")
    assert plain.rc == 1 and "no session to resume" in plain.stderr
    by_id = state.json("resume", stale)
    assert by_id.rc == 1 and f"no session {stale}" in by_id.stderr, by_id.stderr
    assert tree(archive) == finished


def test_a_session_that_wrote_files_keeps_its_folder_and_finishes(state, media, tmp_path):
    out = tmp_path / "out"
    sid = pause_after_stills(state, media / "two.mp4", out)
    archive = out / f"{DATE}_Hard"
    before = tree(archive)
    second = process(state, media / "two.mp4", out)
    assert second.rc == 1 and f"video-archive resume {sid}" in second.stderr, second.stderr
    no_traceback(second.stderr)
    assert tree(archive) == before
    resumed = state.json("resume")
    assert resumed.rc == 0 and resumed.outcome["session_id"] == sid, resumed.stderr
    check_complete(state, sid, archive)


@pytest.mark.parametrize("artwork", ["Hard", "hard"])  # a second spelling is the same folder on macOS
def test_a_finished_archive_is_never_written_again(state, media, tmp_path, artwork):
    out = tmp_path / "out"
    first = process(state, media / "two.mp4", out)
    assert first.rc == 0, first.stderr
    archive = Path(first.outcome["archive_path"])
    finished = tree(archive)
    for attempt in (process(state, media / "two.mp4", out, artwork), state.json("resume"),
                    state.json("resume", first.outcome["session_id"])):
        assert attempt.rc == 1, attempt.stdout
        no_traceback(attempt.stderr)
    assert tree(archive) == finished
    if artwork == "hard":
        assert not (out / f"{DATE}_hard").exists() or (out / f"{DATE}_hard").samefile(archive)


def start_together(state: State, argv: list[tuple[str, ...]]) -> list[tuple[int, str, str]]:
    procs = [state.start(*args) for args in argv]
    return [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]


@pytest.mark.parametrize("round_", range(3))
def test_two_process_runs_into_one_folder(state, media, tmp_path, round_):
    out = tmp_path / "out"
    args = ("process", str(media / "two.mp4"), "--artwork", "Hard", "--date", DATE, "--out", str(out), *FAST)
    results = start_together(state, [args, args])
    assert sorted(rc for rc, _, _ in results) == [0, 1], results
    [(_, stdout, _)] = [r for r in results if r[0] == 0]
    [(_, _, stderr)] = [r for r in results if r[0] == 1]
    assert stderr.strip().count("\n") == 0 and any(
        s in stderr for s in ("is writing", "is making the archive", "not empty",
                              "holds an archive finished")), stderr  # the last: it started late
    sid = json.loads(stdout.strip().splitlines()[-1])["session_id"]
    check_complete(state, sid, out / f"{DATE}_Hard")
    assert len(state.rows("SELECT * FROM processing_state")) == 1


@pytest.mark.parametrize("round_", range(3))
def test_two_resumes_of_one_session_run_it_once(state, media, tmp_path, round_):
    out = tmp_path / "out"
    sid = pause_after_stills(state, media / "two.mp4", out)
    results = start_together(state, [("resume", sid), ("resume", sid)])
    assert sorted(rc for rc, _, _ in results) == [0, 1], results
    [(_, _, stderr)] = [r for r in results if r[0] == 1]
    # refused while the other runs, or (started late on a slow machine) once it has finished
    assert "is running right now" in stderr or "it is already completed" in stderr, stderr
    check_complete(state, sid, out / f"{DATE}_Hard")
    ops = state.operations(sid)
    assert all(op["status"] == "completed" for op in ops)


# --- the master replaced before a resume ----------------------------------------------------------

@pytest.mark.parametrize("change", ["other video", "same size, other content", "touched", "deleted"])
def test_resume_refuses_a_changed_master(state, media, tmp_path, change):
    master = tmp_path / "master.mp4"
    shutil.copy2(media / "two.mp4", master)
    original = master.read_bytes()
    stat = master.stat()
    sid = pause_after_stills(state, master, tmp_path / "out")
    archive = tmp_path / "out" / f"{DATE}_Hard"
    before = tree(archive)
    if change == "other video":
        shutil.copy(media / "vfr.mp4", master)
    elif change == "same size, other content":
        data = bytearray(original)
        data[len(data) // 2] ^= 0xFF
        master.write_bytes(bytes(data))
        os.utime(master, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    elif change == "touched":
        os.utime(master, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    else:
        master.unlink()
    refused = state.json("resume", sid)
    assert refused.rc == 1
    no_traceback(refused.stderr)
    assert ("changed since session" in refused.stderr or "is gone" in refused.stderr), refused.stderr
    assert str(master) in refused.stderr
    assert tree(archive) == before
    master.write_bytes(original)  # the original back, as it was
    os.utime(master, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    resumed = state.json("resume", sid)
    assert resumed.rc == 0, resumed.stderr
    check_complete(state, sid, archive)


# --- finished outputs deleted before a resume ------------------------------------------------------

@pytest.mark.parametrize("damage", ["delete a still", "delete the web master", "truncate the original",
                                    "delete an R&D original"])
def test_resume_makes_deleted_outputs_again(state, media, tmp_path, damage):
    rd = tmp_path / "rd"
    rd.mkdir()
    (rd / "notes.txt").write_bytes(b"R&D notes")
    target = {"delete a still": ("still_extraction", "stills/hq"),
              "delete the web master": ("optimization", "masters/*web*"),
              "truncate the original": ("master_copy", "masters/*original*"),
              "delete an R&D original": ("rd_processing", "rd/originals")}[damage]
    sid = pause_after_stills(state, media / "two.mp4", tmp_path / "out", "--rd", str(rd), op=target[0])
    archive = tmp_path / "out" / f"{DATE}_Hard"
    # a file the session recorded as made: a pause can also land while the next still is written,
    # and a file written but not recorded yet is simply made on resume, with nothing to warn about
    recorded = {(archive / f["file_path"]).resolve() for f in state.registered_files(sid)}
    [victim] = [p for p in sorted(archive.glob(target[1] + ("/*" if "*" not in target[1] else "")))
                if p.is_file() and p.resolve() in recorded][:1]
    if damage.startswith("truncate"):
        victim.write_bytes(victim.read_bytes()[:100])
    else:
        victim.unlink()
    resumed = state.json("resume", sid)
    assert resumed.rc == 0, resumed.stderr
    assert any("made again" in w for w in resumed.outcome["warnings"]), resumed.outcome
    files = check_complete(state, sid, archive)
    rel = victim.relative_to(archive).as_posix()
    assert rel in files
    if damage == "truncate the original":
        assert files[rel] == sha256(media / "two.mp4")
    if damage == "delete an R&D original":
        assert (archive / rel).read_bytes() == b"R&D notes"
