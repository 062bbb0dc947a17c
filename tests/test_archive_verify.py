"""The bagit layout and `video-archive verify`: a bag the Library of Congress validator accepts,
and archives damaged in every way verify must catch (changed, missing, extra, truncated, metadata
stripped), in both layouts and in the manifest format made before layouts existed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import bagit
import pytest
from PIL import Image

from archive_checks import FAST_OVERRIDES, cli_argv
from backend.archive.verify import verify
from backend.db import open_db, settings as db_settings
from backend.jobs import project
from backend.jobs.request import ProcessRequest
from backend.jobs.runner import Runner

ULTRAFAST = FAST_OVERRIDES


@pytest.fixture(scope="module")
def archives(tmp_path_factory, media_dir) -> dict[str, Path]:
    """One archive per layout from the same input: counter.mp4 cut in three, two in a group, R&D."""
    root = tmp_path_factory.mktemp("archives")
    db = open_db(root / "state.db")
    made = {}
    try:
        for layout in ("folder", "bagit"):
            outcome = project.process(db, ProcessRequest(
                master=str(media_dir / "counter.mp4"), artwork="Verify Me", date="26-11-25",
                out=str(root / layout), cuts=[10, 20], groups={"intro": [1, 2]}, layout=layout,
                rd=str(media_dir / "rd-sample"), overrides=ULTRAFAST))
            assert outcome.status == "completed", outcome.error
            made[layout] = Path(outcome.archive_path)
    finally:
        db.close()
    return made


def copy_of(archive: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(archive, tmp_path / archive.name))


def payload(archive: Path) -> Path:
    return archive / "data" if (archive / "bagit.txt").is_file() else archive


def cli_verify(archive: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(cli_argv("verify", str(archive), *flags), capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)


# --- the bag ---------------------------------------------------------------------------------

def test_the_bag_is_valid_and_carries_the_archive_metadata(archives):
    archive = archives["bagit"]
    bag = bagit.Bag(str(archive))
    bag.validate()  # every checksum, Payload-Oxum, completeness
    info = bag.info
    assert info["Title"] == "Verify Me" and info["Project-Date"] == "2026-11-25"
    assert info["Copyright"] == "© Yambo Studio"
    assert info["Source-Master-Original-Name"] == "counter.mp4"
    assert info["Bag-Software-Agent"].startswith("video-archive ")
    files = sorted(p.relative_to(archive).as_posix() for p in archive.rglob("*") if p.is_file())
    assert {f for f in files if not f.startswith("data/")} == {
        "bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt", "index.html"}
    # the same files as the folder layout, under data/
    folder = archives["folder"]
    plain = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"index.html"}
    assert {f[len("data/"):] for f in files if f.startswith("data/")} == plain
    assert int(info["Payload-Oxum"].split(".")[1]) == len(plain)


@pytest.mark.parametrize("damage", ["changed", "missing", "extra"])
def test_the_validator_rejects_a_damaged_bag(archives, tmp_path, damage):
    archive = copy_of(archives["bagit"], tmp_path)
    clip = next((archive / "data" / "clips").rglob("*.mp4"))
    if damage == "changed":
        data = bytearray(clip.read_bytes())
        data[len(data) // 2] ^= 0xFF
        clip.write_bytes(bytes(data))
    elif damage == "missing":
        clip.unlink()
    else:
        (archive / "data" / "clips" / "notes.txt").write_text("added later")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(archive)).validate()


# --- verify: intact ---------------------------------------------------------------------------

@pytest.mark.parametrize("layout", ["folder", "bagit"])
@pytest.mark.parametrize("fast", [False, True])
def test_an_intact_archive_verifies(archives, layout, fast):
    report = verify(archives[layout], fast=fast)
    assert report.status == "intact", report.problems
    assert report.layout == layout
    if not fast:
        assert report.videos_decoded == 5  # master, web master, 3 clips
        assert report.stills_opened >= 3 * 3  # hq, web and thumbnail per scene, plus R&D images


def test_verify_never_writes_into_the_archive(archives, tmp_path):
    archive = copy_of(archives["bagit"], tmp_path)
    before = {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in archive.rglob("*")}
    for p in [archive, *archive.rglob("*")]:
        p.chmod(p.stat().st_mode & ~0o222)  # read-only, as on an archive disk
    try:
        assert verify(archive).status == "intact"
        assert {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in archive.rglob("*")} == before
    finally:
        for p in [archive, *archive.rglob("*")]:
            p.chmod(p.stat().st_mode | 0o200)


def test_an_archive_made_before_layouts_and_frame_counts_verifies(archives, tmp_path):
    """The manifest format before this change: no layout, no frame counts, no contact sheet."""
    archive = copy_of(archives["folder"], tmp_path)
    (archive / "index.html").unlink()
    manifest = next(archive.glob("*_manifest.json"))
    data = json.loads(manifest.read_text())
    data.pop("layout")
    data["files"] = [{k: v for k, v in f.items() if k != "frames"} for f in data["files"]
                     if f["path"] != "index.html"]
    manifest.write_text(json.dumps(data, indent=2))
    report = verify(archive)
    assert report.status == "intact", report.problems
    assert report.videos_decoded == 5


# --- verify: damaged --------------------------------------------------------------------------

def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def damage_changed(archive: Path) -> str:
    clip = sorted((payload(archive) / "clips").rglob("*_s003.mp4"))[0]
    flip_byte(clip)
    return clip.name


def damage_missing(archive: Path) -> str:
    still = sorted((payload(archive) / "stills" / "web").iterdir())[0]
    still.unlink()
    return still.name


def damage_extra(archive: Path) -> str:
    (payload(archive) / "clips" / "notes.txt").write_text("added later")
    return "notes.txt"


def damage_truncated(archive: Path) -> str:
    clip = sorted((payload(archive) / "clips").rglob("*_s003.mp4"))[0]
    with open(clip, "r+b") as fh:
        fh.truncate(clip.stat().st_size * 2 // 3)
    return clip.name


def damage_metadata(archive: Path) -> str:
    """A still re-saved without its copyright: it opens, but the metadata is gone."""
    still = sorted((payload(archive) / "stills" / "web").iterdir())[0]
    with Image.open(still) as image:
        image.load()
        image.save(still, format="JPEG", quality=90)
    return still.name


def damage_manifest_gone(archive: Path) -> str:
    manifest = next(payload(archive).glob("*_manifest.json"))
    manifest.unlink()
    return manifest.name


DAMAGES = {"changed": (damage_changed, {"checksum"}), "missing": (damage_missing, {"missing"}),
           "extra": (damage_extra, {"extra"}), "truncated": (damage_truncated, {"size", "frames"}),
           "metadata": (damage_metadata, {"checksum", "metadata"})}


@pytest.mark.parametrize("layout", ["folder", "bagit"])
@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_verify_names_every_kind_of_damage(archives, tmp_path, layout, damage):
    archive = copy_of(archives[layout], tmp_path)
    make, kinds = DAMAGES[damage]
    name = make(archive)
    report = verify(archive)
    assert report.status == "damaged"
    named = [p for p in report.problems if name in p.message]
    assert {p.kind for p in named} >= kinds, report.problems
    # the fast check sees what sizes and existence show
    fast = verify(archive, fast=True)
    if damage in ("missing", "extra", "truncated"):
        assert fast.status == "damaged" and any(name in p.message for p in fast.problems)
    elif damage == "changed":
        assert fast.status == "intact"


def test_the_cli_exit_status_and_report(archives, tmp_path):
    assert cli_verify(archives["folder"]).returncode == 0
    ok = cli_verify(archives["bagit"], "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["status"] == "intact"

    archive = copy_of(archives["folder"], tmp_path)
    name = damage_truncated(archive)
    done = cli_verify(archive)
    assert done.returncode == 1
    assert f"size: clips/" in done.stdout and name in done.stdout and "frames" in done.stdout
    assert "damaged" in done.stderr and "Traceback" not in done.stderr

    empty = tmp_path / "empty"
    empty.mkdir()
    for target in (empty, tmp_path / "nowhere", next(archives["folder"].rglob("*.mp4"))):
        done = cli_verify(target)
        assert done.returncode == 2 and "not an archive" in done.stderr, done.stderr


@pytest.mark.parametrize("layout", ["folder", "bagit"])
def test_a_lost_manifest(archives, tmp_path, layout):
    """A folder without its manifest is no longer recognisable (2); a bag still lists it (1)."""
    archive = copy_of(archives[layout], tmp_path)
    name = damage_manifest_gone(archive)
    report = verify(archive)
    if layout == "folder":
        assert report.status == "not_an_archive"
    else:
        assert report.status == "damaged"
        assert any(p.kind == "missing" and name in p.message for p in report.problems)


def test_a_manifest_never_leads_verify_out_of_the_archive(archives, tmp_path):
    archive = copy_of(archives["folder"], tmp_path)
    (tmp_path / "outside.txt").write_text("not part of the archive")
    manifest = next(archive.glob("*_manifest.json"))
    data = json.loads(manifest.read_text())
    data["files"].append({"path": "../outside.txt", "type": "log", "bytes": 23, "sha256": "0" * 64})
    manifest.write_text(json.dumps(data))
    report = verify(archive)
    assert report.status == "damaged"
    assert [p.kind for p in report.problems] == ["manifest"] and "outside" in report.problems[0].message


def test_a_file_dropped_into_the_bag_mid_run_is_refused_then_resume_finishes(media_dir, tmp_path):
    """A bag with a payload file its manifest does not list is invalid: the bag unit names the
    stray and fails (nothing is deleted); once it is moved out, resume makes a valid bag."""
    db = open_db(tmp_path / "state.db")
    stray = {}

    def drop_a_file(event):
        if event.type == "unit_started" and event.op == "bag":
            payload_dir = Path(archive_dir[0]) / "data"
            stray["path"] = payload_dir / "notes.txt"
            stray["path"].write_text("dropped in by hand")

    archive_dir = [str(tmp_path / "out" / "26-11-25_Stray")]
    try:
        outcome = project.process(db, listener=drop_a_file, request=ProcessRequest(
            master=str(media_dir / "counter.mp4"), artwork="Stray", date="26-11-25",
            out=str(tmp_path / "out"), layout="bagit", overrides=ULTRAFAST))
        assert outcome.status == "failed"
        assert "data/notes.txt" in outcome.error and "move it out" in outcome.error
        assert stray["path"].read_text() == "dropped in by hand"
        stray["path"].rename(tmp_path / "notes.txt")
        outcome = Runner(db).resume(outcome.session_id)
        assert outcome.status == "completed", outcome.error
    finally:
        db.close()
    bagit.Bag(archive_dir[0]).validate()
    assert verify(archive_dir[0]).status == "intact"
