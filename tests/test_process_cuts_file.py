"""`process --cuts FILE`: the EDL, OTIO and LosslessCut CSV an archive wrote drive a new archive
of the same master, and give exactly the clips the same cuts given as a list give. The master is
23.976 fps with a start timecode of 01:00:00:00, as a Resolve export would be."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from archive_checks import FAST, cli_argv, sha256
from backend.archive.interchange.cuts import cuts_from_file, master_start_timecode
from backend.errors import InputError

CUTS = [20, 45, 70]


@pytest.fixture(scope="module")
def master(tmp_path_factory, ffmpeg_bin) -> Path:
    out = tmp_path_factory.mktemp("master") / "ntsc.mov"
    subprocess.run([str(ffmpeg_bin), "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=24000/1001",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "4.2",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    "-timecode", "01:00:00:00", str(out)], check=True)
    return out


def process(tmp: Path, master: Path, cuts: str, name: str) -> Path:
    env_db = tmp / f"{name}-state" / "state.db"
    done = subprocess.run(cli_argv("--json", "process", str(master), "--artwork", "Cut Test", "--date",
                                   "26-11-25", "--out", str(tmp / name), "--cuts", cuts, *FAST),
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
                          env={**os.environ, "VIDEO_ARCHIVE_DB": str(env_db)})
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.splitlines()[-1])
    return Path(outcome["archive_path"])


def clips(archive: Path) -> dict[str, str]:
    return {p.name: sha256(p) for p in sorted((archive / "clips").rglob("*.mp4"))}


def test_cuts_from_each_format_give_the_same_clips_as_the_list(master, tmp_path):
    assert master_start_timecode(master) == "01:00:00:00"
    listed = process(tmp_path, master, ",".join(map(str, CUTS)), "list")
    expected = clips(listed)
    assert len(expected) == len(CUTS) + 1
    edit = listed / "edit"
    edl = next(edit.glob("*.edl"))
    assert "01:00:00:00" in edl.read_text()  # the master's own timecode on the source side
    for source in (edl, next(edit.glob("*.otio")), next(edit.glob("*_losslesscut.csv"))):
        assert cuts_from_file(source, master) == CUTS, source.name
        again = process(tmp_path, master, str(source), source.suffix.lstrip("."))
        assert clips(again) == expected, source.name


def test_a_bad_cuts_file_is_one_clear_error(master, tmp_path):
    wrong = tmp_path / "cuts.txt"
    wrong.write_text("20\n")
    with pytest.raises(InputError, match="unknown format .txt"):
        cuts_from_file(wrong, master)
    late = tmp_path / "late.csv"
    late.write_text("0,2,a\n2,60,b\n")
    with pytest.raises(InputError, match="late.csv.*past the master's end"):
        cuts_from_file(late, master)
    done = subprocess.run(cli_argv("process", str(master), "--artwork", "X", "--date", "26-11-25",
                                   "--out", str(tmp_path / "o"), "--cuts", str(tmp_path / "none.edl")),
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                          env={**os.environ, "VIDEO_ARCHIVE_DB": str(tmp_path / "s.db")})
    assert done.returncode == 1 and "cuts file not found" in done.stderr
    assert not (tmp_path / "o").exists()


def test_the_editor_imports_cuts_from_a_file(db, master, tmp_path):
    """project.import_cuts, the bridge's cut import: the session's scenes follow the file."""
    from backend.jobs import project
    from backend.jobs.request import ProcessRequest

    csv = tmp_path / "from-losslesscut.csv"
    csv.write_text("0,0.834,Intro\n0.834,1.877,\n1.877,4.2,End\n")  # frames 0-19, 20-44, 45-
    created = project.create(db, ProcessRequest(master=str(master), artwork="Import", date="26-11-25",
                                                out=str(tmp_path / "out")))
    assert project.analyse(db, created.session_id).status == "analysed"
    state = project.import_cuts(db, created.session_id, str(csv))
    assert state.cuts == [20, 45]
    bad = tmp_path / "bad.edl"
    bad.write_text("TITLE: none\n")
    with pytest.raises(InputError) as err:
        project.import_cuts(db, created.session_id, str(bad))
    assert err.value.field == "cuts" and "bad.edl" in str(err.value)
    assert project.timeline(db, created.session_id).cuts == [20, 45]  # nothing changed
