"""The archive's invariants over generated inputs (Hypothesis): artwork names (long UTF-8, CJK,
accents, look-alikes), R&D trees (names that collide by case, normalisation, extension or length,
nested folders, odd extensions, files named like folders) and groups named like scenes.

- plan level, a few hundred cases: no two units plan one path (as a case-insensitive file system
  sees it), every name and temporary name fits in 255 bytes, every R&D file has one unit, and,
  running the R&D units for real, every R&D original reaches the archive bit for bit and nothing
  outside the archive changes;
- a few real runs (the CLI, tiny media): the archive is complete, every original is in it, and a
  finished archive is never written again."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import shutil
import subprocess
import tempfile
import unicodedata
from pathlib import Path

import av
import msgspec
import pytest
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from backend import text_rules
from backend.db.session_spec import SessionSpec
from backend.errors import InputError
from backend.jobs.inputs import check_groups, safe_name
from backend.media import ingest, probe as media_probe
from backend.model.detection_params import DetectionParams
from backend.media.encoders import Choice
from backend.media.atomic import partial_name
from backend.media.file_names import NAME_MAX_BYTES, byte_len
from backend.media.metadata import ArchiveMetadata
from backend.media.timeline import load_timeline
from backend.ops import operators
from backend.ops.base import Job, Stage
from backend.ops.output_paths import check_plan, path_key
from backend.presets.builtin import get_builtin

from archive_checks import DATE, FAST, State, check_complete, tree

# --- what is generated -----------------------------------------------------------------------------

STEMS = st.one_of(
    st.sampled_from(["a", "A", "á", "a\u0301", "Ä", "s002", "sub", "Sub", "originals", "compressed",
                     "notes", "NOTES", "board 01", "board-01", "x.tar", ".hidden", "café"]),
    st.builds(lambda ch, n: ch * n, st.sampled_from(["漢", "é", "x", "😀", "-"]), st.integers(60, 250)),
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn"), blacklist_characters="/\\"),
            min_size=1, max_size=30),
)
EXTENSIONS = st.sampled_from([".jpg", ".JPG", ".jpeg", ".png", ".PNG", ".webp", ".mov", ".mp4",
                              ".MP4", ".txt", ".pdf", "", ".tar.gz", ".bin", "." + "e" * 20])
FOLDERS = st.sampled_from(["", "", "originals", "compressed", "Originals", "sub", "Sub/deeper",
                           "sub/deeper", "漢字", "a", "notes/" + "d" * 200])
ENTRY = st.tuples(FOLDERS, STEMS, EXTENSIONS)
ARTWORK = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn")), min_size=1, max_size=120),
    st.builds(lambda ch, n: ch * n, st.sampled_from(["漢", "é", "Ω-", "a\u0301", "x"]), st.integers(1, 320)),
)
GROUPS = st.dictionaries(st.sampled_from(["s001", "s002", "S002", "intro", "Intro", "g" * 100, "漢" * 40]),
                         st.lists(st.sampled_from([1, 2]), min_size=1, max_size=2, unique=True), max_size=3)


def write_tree(root: Path, entries, seed: int, video: Path | None = None) -> dict[str, bytes]:
    """The R&D folder: every entry a file with its own content. Without `video`, half the image
    names and every video name hold bytes that are no image or video (the original is kept, with
    a warning); with it, images are real and videos are copies of `video`."""
    written = {}
    for i, (folder, stem, ext) in enumerate(entries):
        name = unicodedata.normalize("NFC", stem) if i % 3 else stem
        if name in (".", "..") or not name.strip():
            continue
        rel = f"{folder}/{name}{ext}" if folder else f"{name}{ext}"
        path = root / rel
        if byte_len(path.name) > NAME_MAX_BYTES or any(byte_len(p) > NAME_MAX_BYTES for p in Path(rel).parts):
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists():
                continue
            if video is not None and ext.lower() in (".mov", ".mp4"):
                shutil.copy(video, path)
            elif ext.lower() in (".jpg", ".jpeg", ".png", ".webp") and (i % 2 == 0 or video):
                buffer = io.BytesIO()
                Image.new("RGB", (8 + i, 6), (i * 40 % 256, seed % 256, 90)).save(
                    buffer, format={".png": "PNG", ".webp": "WEBP"}.get(ext.lower(), "JPEG"))
                path.write_bytes(buffer.getvalue())
            else:
                path.write_bytes(hashlib.sha256(f"{seed}-{i}-{rel}".encode()).digest() * (i + 1))
        except (NotADirectoryError, FileExistsError, IsADirectoryError):
            continue  # a file where the tree wants a folder: not a tree a file system can hold
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)}


def snapshot(folder: Path, skip: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and skip not in p.parents}


# --- plan level ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def master(tmp_path_factory, ffmpeg_bin):
    """A tiny two-scene master, ingested once: the timeline every generated job plans against."""
    folder = tmp_path_factory.mktemp("master")
    path = folder / "two.mp4"
    subprocess.run([str(ffmpeg_bin), "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25:duration=1.2",
                    "-f", "lavfi", "-i", "mandelbrot=size=160x90:rate=25", "-t", "2.4",
                    "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)], check=True)
    result = ingest.ingest(path, cache_root=folder / "cache", want_proxy=False)
    assert len(result.scenes) == 2
    return path, media_probe.probe(path), load_timeline(result), list(result.scenes)


def make_job(master, archive: Path, rd: Path, artwork: str, groups: list, join: bool) -> Job:
    path, info, timeline, scenes = master
    preset = get_builtin("webflow_standard")
    preset = msgspec.structs.replace(
        preset, advanced=msgspec.structs.replace(preset.advanced, join_group_clips=join))
    meta = ArchiveMetadata(copyright="© Studio", artist="Studio", title=artwork,
                           date=dt.date(2026, 11, 25), description=artwork)
    encoder = Choice(encoder="libx264", family="x264", gpu=False)
    spec = SessionSpec(safe_name=archive.name, encoder=encoder, preset=preset, metadata=meta)
    return Job(session_id="s", master=path, archive=archive, date=DATE, rd_folder=rd, preset=preset,
               encoder=encoder, scenes=scenes, selected=[1, 2], groups=groups, metadata=meta,
               spec=spec, cache_root=archive, detection=DetectionParams(), master_info=info,
               timeline=timeline)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(artwork=ARTWORK, entries=st.lists(ENTRY, max_size=14), groups=GROUPS, join=st.booleans(),
       seed=st.integers(0, 10**6))
@example(artwork="\u2066", entries=[], groups={}, join=False, seed=0)  # a bidi isolate: refused, named
def test_plans_never_share_a_path_and_every_original_arrives(master, artwork, entries, groups, join, seed):
    try:
        name, _ = safe_name(artwork)
    except InputError as exc:  # refused only with a reason: a character it names, or nothing left
        why = text_rules.problem(artwork)
        assert (why is not None and why in str(exc)) or "no letters or digits" in str(exc) \
            or "empty" in str(exc), str(exc)
        return
    assert byte_len(name) <= 120 and not name.endswith("-")
    try:
        groups = check_groups(groups)
    except InputError as exc:  # Intro and intro (one folder where case is ignored), a scene twice
        assert "same folder name" in str(exc) or "is in both group" in str(exc)
        groups = []
    with tempfile.TemporaryDirectory(prefix="va-prop-") as tmp:
        root = Path(tmp)
        sources = write_tree(root / "rd", entries, seed)
        (root / "rd").mkdir(exist_ok=True)  # an empty R&D folder is still a folder the user chose
        archive = root / "out" / f"{DATE}_{name}"
        job = make_job(master, archive, root / "rd", artwork, groups, join)
        units = []
        for op in operators.all_operators():
            if op.stage != Stage.ANALYSIS:
                op.check(job)
                units += op.plan(job)
        check_plan(units, archive)  # refuses what follows; asserted again independently below
        outputs = [o for u in units for o in u.outputs]
        keys = [path_key(o) for o in outputs]
        assert len(keys) == len(set(keys)), "two units plan one path"
        for rel in outputs:
            assert not rel.startswith("/") and ".." not in rel.split("/")
            assert all(byte_len(part) <= NAME_MAX_BYTES for part in rel.split("/")), rel
            assert byte_len(partial_name(archive / rel).name) <= NAME_MAX_BYTES, rel
            assert (archive / rel).resolve().is_relative_to(archive.resolve())
        rd_units = {u.input_file: u for u in units if u.op == "rd_processing"}
        assert sorted(rd_units) == sorted(str(root / "rd" / rel) for rel in sources)

        before = snapshot(root, archive)
        op = operators.get("rd_processing")
        for unit in rd_units.values():
            op.execute(unit, job, lambda f: None)
        for rel, data in sources.items():
            original = rd_units[str(root / "rd" / rel)].outputs[-1]
            assert original.startswith("rd/originals/")
            assert (archive / original).read_bytes() == data, rel
        assert snapshot(root, archive) == before  # nothing outside the archive changed
        if sources:
            assert sorted(p.name for p in (root / "out").iterdir()) == [archive.name]


# --- a few real runs ---------------------------------------------------------------------------------

@settings(max_examples=4, deadline=None, phases=[Phase.explicit, Phase.generate],  # no slow shrinking
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(artwork=ARTWORK, entries=st.lists(ENTRY, min_size=1, max_size=5), seed=st.integers(0, 10**6))
def test_real_runs_keep_every_original_and_never_rewrite_a_finished_archive(master, artwork, entries, seed):
    try:
        safe_name(artwork)
    except InputError:
        assume(False)
    with tempfile.TemporaryDirectory(prefix="va-prop-run-") as tmp:
        root = Path(tmp)
        (root / "in" / "rd").mkdir(parents=True)
        sources = write_tree(root / "in" / "rd", entries, seed, video=master[0])
        shutil.copy(master[0], root / "in" / "master.mp4")
        state = State(root / "state")
        outside = snapshot(root / "in", root / "none")
        args = ("process", str(root / "in" / "master.mp4"), "--artwork", artwork, "--date", DATE,
                "--out", str(root / "out"), "--rd", str(root / "in" / "rd"), *FAST)
        first = state.json(*args)
        assert first.rc == 0, first.stderr
        archive = Path(first.outcome["archive_path"])
        files = check_complete(state, first.outcome["session_id"], archive)
        # the clips' frames add up to the master's
        assert sum(decoded_frames(c) for c in (archive / "clips").rglob("*.mp4")) \
            == decoded_frames(master[0])
        rows = state.registered_files(first.outcome["session_id"])
        kept = {r["source_file"]: r["file_path"] for r in rows
                if r["file_type"] in ("rd_image_original", "rd_video_original", "rd_other")}
        for rel, data in sources.items():
            assert (archive / kept[str(root / "in" / "rd" / rel)]).read_bytes() == data, rel
        assert snapshot(root / "in", root / "none") == outside
        for again in (state.json(*args), state.json("resume"),
                      state.json("resume", first.outcome["session_id"])):
            assert again.rc == 1 and "Traceback" not in again.stderr, again.stderr
        assert tree(archive) == files
        assert os.listdir(root / "out") == [archive.name]


def decoded_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))
