"""`video-archive batch`: a manifest checked whole (every bad row named, nothing run), the
embedded run (four archives that verify, a second batch skips them), kill -9 then `batch resume`
(finished jobs are not redone), `--from-folder`, and on a local Ray cluster: the same archives as
the embedded run, a worker killed mid-task retried, a GPU job on a GPU-less cluster waiting."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from backend.archive.verify import verify
from backend.batch import folder
from backend.cli.main import main
from backend.db import batches, open_db, schema
from conftest import make_video

COLUMNS = ["master", "artwork", "date", "out", "encoder"]


@pytest.fixture(scope="module")
def masters(tmp_path_factory, ffmpeg_bin, media_dir) -> list[Path]:
    """Four short masters: three generated (1-2 s), one from the shared media."""
    folder_ = tmp_path_factory.mktemp("masters")
    made = [make_video(ffmpeg_bin, folder_ / f"m{i}.mp4", seconds=s, size="160x120", source=src)
            for i, (s, src) in enumerate([(1, "testsrc2"), (2, "testsrc"), (1, "smptebars")], 1)]
    return made + [media_dir / "counter.mp4"]


def write_manifest(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=sorted({k for r in rows for k in r},
                                                     key=lambda k: (k not in COLUMNS, k)))
        writer.writeheader()
        writer.writerows(rows)
    return path


def rows_for(masters: list[Path], out: Path, **extra) -> list[dict]:
    return [{"master": str(m), "artwork": f"Work {i}", "date": f"24-02-0{i}", "out": str(out),
             "encoder": "x264", **extra} for i, m in enumerate(masters, 1)]


def run_cli(capsys, *argv) -> tuple[int, list, str]:
    code = main(["--json", *argv])
    out, err = capsys.readouterr()
    assert all(line[:1] in "{[" for line in out.splitlines() if line.strip()), out[:2000]
    return code, [json.loads(line) for line in out.splitlines() if line.strip()], err


def content(archive: Path) -> dict[str, str]:
    """path -> sha256 of every file the archive's manifest lists, but the process log (which
    records the run's own times and session)."""
    data = json.loads((archive / f"{archive.name}_manifest.json").read_text(encoding="utf-8"))
    return {f["path"]: f["sha256"] for f in data["files"] if f["type"] != "log"}


# --- the manifest -----------------------------------------------------------------------------

def test_a_bad_row_refuses_the_whole_manifest_naming_every_problem(tmp_path, db_path, masters,
                                                                   capsys):
    out = tmp_path / "archives"
    rows = rows_for(masters, out)
    rows[1]["date"] = "24-13-45"                       # row 2: two problems at once
    rows[1]["encoder"] = "fastest"
    rows[3]["master"] = str(tmp_path / "gone.mov")     # row 4
    manifest = write_manifest(tmp_path / "jobs.csv", rows)
    code, events, err = run_cli(capsys, "batch", str(manifest))
    assert code == 1
    refused = events[0]
    assert refused["type"] == "manifest_refused"
    named = [(e["row"], e["field"]) for e in refused["errors"]]
    assert named == [(2, "encoder"), (2, "date"), (4, "master")]
    rows[1]["encoder"] = "x264"
    write_manifest(manifest, rows)
    # nothing ran: no archive, no session, no batch in the catalogue
    assert not out.exists() or not any(out.iterdir())
    with open_db(db_path) as db:
        assert db.scalar("SELECT COUNT(*) FROM processing_state") == 0
        assert db.scalar("SELECT COUNT(*) FROM batch_runs") == 0
    # the same, in words, one line per problem
    main(["batch", str(manifest)])
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0].startswith("video-archive: error: manifest") and "nothing was run" in lines[0]
    assert lines[1].startswith("  row 2, date: invalid project date '24-13-45'")
    assert lines[2].startswith("  row 4, master: master video not found")


def test_json_manifest_rows_sharing_an_archive_and_unknown_columns_are_named(tmp_path, db_path,
                                                                            masters, capsys):
    rows = rows_for(masters, tmp_path / "a")
    rows[3]["artwork"] = rows[2]["artwork"].upper()  # one folder where case is ignored
    rows[3]["date"] = rows[2]["date"]
    rows[1]["colour"] = "red"
    rows[0]["threshold"] = "high"
    manifest = tmp_path / "jobs.json"
    manifest.write_text(json.dumps(rows), encoding="utf-8")
    code, events, _ = run_cli(capsys, "batch", str(manifest))
    assert code == 1
    assert [(e["row"], e["field"]) for e in events[0]["errors"]] == [
        (1, "threshold"), (2, "colour"), (4, "artwork")]
    assert "row 3 makes the same archive" in events[0]["errors"][2]["message"]


def test_from_folder_writes_a_manifest_to_edit(tmp_path, db_path, masters, capsys):
    source = tmp_path / "masters"
    source.mkdir()
    shutil.copy(masters[0], source / "2023-11-05_Big Film.mp4")
    shutil.copy(masters[2], source / "teaser.mov")
    (source / "notes.txt").write_text("not a video")
    manifest = tmp_path / "jobs.csv"
    code, events, _ = run_cli(capsys, "batch", str(manifest), "--from-folder", str(source),
                              "--date-from", "name", "--out", str(tmp_path / "out"))
    assert code == 0 and events == [{"manifest": str(manifest), "rows": 2}]
    rows = list(csv.DictReader(manifest.open(encoding="utf-8")))
    assert [(r["artwork"], r["date"]) for r in rows] == [("Big Film", "23-11-05"), ("teaser", "")]
    # the row the folder could not date is what the check names
    code, events, _ = run_cli(capsys, "batch", str(manifest))
    assert code == 1 and [(e["row"], e["field"]) for e in events[0]["errors"]] == [(2, "date")]
    # never over an existing manifest
    code, _, err = run_cli(capsys, "batch", str(manifest), "--from-folder", str(source))
    assert code == 1 and "never overwritten" in err
    os.utime(source / "teaser.mov", (0, dt.datetime(2022, 7, 9, 12).timestamp()))
    assert folder.row_for(source / "teaser.mov", "mtime", None)["date"] == "22-07-09"


@given(st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)), st.sampled_from(
    ["%Y-%m-%d", "%y-%m-%d", "%Y%m%d", "%y%m%d", "%Y_%m_%d", "%Y.%m.%d"]),
    st.sampled_from(["", "Film_", "Film "]), st.sampled_from(["", "_final", " v2"]))
def test_a_date_in_a_file_name_is_found_in_any_usual_form(day, form, before, after):
    date, name = folder.name_date(f"{before}{day.strftime(form)}{after}")
    assert date == day.strftime("%y-%m-%d")
    assert name == " ".join(f"{before} {after}".replace("_", " ").split()).strip(" -.")


_CELL = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
# numbers at and around the bounds, as a spreadsheet writes them (0 and 256 are out of range)
_NUMBER = st.one_of(_CELL, st.integers(-2, 300).map(str), st.floats(allow_nan=True).map(str))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.fixed_dictionaries({}, optional={
    "master": _CELL, "artwork": _CELL, "date": _CELL, "encoder": _CELL, "threshold": _NUMBER,
    "min_scene_len": _NUMBER, "cuts": _CELL, "extra": _CELL}), min_size=1, max_size=4))
@example(rows=[{"master": "0", "date": "0", "artwork": "0", "threshold": "0", "min_scene_len": "0"}])
def test_any_manifest_is_run_or_refused_with_every_problem_named(tmp_path, db, rows):
    """Whatever the cells hold: the check ends in a ManifestErrors whose every problem names a
    row of the manifest and a column (or the row itself), never in another exception."""
    from backend.batch import manifest as batch_manifest

    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps([{**r, "out": str(tmp_path / "out")} for r in rows]))
    with pytest.raises(batch_manifest.ManifestErrors) as refused:
        batch_manifest.load(db, path)
    assert refused.value.errors
    for error in refused.value.errors:
        assert 1 <= error.row <= len(rows)
        assert error.field in (*batch_manifest.COLUMNS, "extra", None)
        assert error.message and "\n" not in error.message


def test_the_catalogue_is_added_to_a_version_2_database(db_path):
    with open_db(db_path) as db:
        db.execute("DROP TABLE batch_jobs")
        db.execute("DROP TABLE batch_runs")
        db.execute("PRAGMA user_version = 2")
    with open_db(db_path) as db:
        assert db.scalar("PRAGMA user_version") == schema.VERSION
        assert db.scalar("SELECT COUNT(*) FROM batch_runs") == 0
        assert db.scalar("SELECT COUNT(*) FROM batch_jobs") == 0


def test_ray_asked_for_without_ray_says_how_to_install_it(tmp_path, db_path, masters, capsys,
                                                          monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    manifest = write_manifest(tmp_path / "jobs.csv", rows_for(masters[:1], tmp_path / "out"))
    code, _, err = run_cli(capsys, "batch", str(manifest), "--ray", "auto")
    assert code == 1 and "pip install 'video-archive[cluster]'" in err


# --- the embedded run -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def embedded(tmp_path_factory, masters):
    """The four masters through `batch --jobs 2` once: (its JSON lines, the out folder, db)."""
    root = tmp_path_factory.mktemp("embedded")
    db = root / "state.db"
    manifest = write_manifest(root / "jobs.csv", rows_for(masters, root / "out"))
    done = subprocess.run([sys.executable, "-m", "backend.cli.main", "--db", str(db), "--json",
                           "batch", str(manifest), "--jobs", "2"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()], root / "out", db, manifest


@pytest.mark.slow
def test_the_fixed_manifest_makes_four_archives_that_verify(embedded, capsys):
    lines, out, db, manifest = embedded
    summary = lines[-1]
    assert (summary["status"], summary["done"], summary["skipped"], summary["failed"]) == \
        ("finished", 4, 0, [])
    assert summary["total_size_bytes"] > 0 and len(summary["archives"]) == 4
    finished = [e for e in lines[:-1] if e["type"] == "job_finished"]
    assert sorted(e["job"] for e in finished) == [1, 2, 3, 4]
    progress = [e for e in lines[:-1] if e["type"] == "job_progress"]
    assert progress and all(0 <= e["progress"] <= 1 and e["eta_s"] is not None for e in progress)
    for path in summary["archives"]:
        report = verify(path)
        assert report.status == "intact", report.problems
    code, status, _ = run_cli(capsys, "--db", str(db), "batch", "status")
    jobs = status[0]["jobs"]
    assert [(j["job"], j["status"]) for j in jobs] == [(n, "done") for n in range(1, 5)]
    assert all(j["session_id"] and j["node"] and j["started_at"] and j["finished_at"] for j in jobs)
    code, history, _ = run_cli(capsys, "--db", str(db), "history")
    assert sorted(h["output_path"] for h in history[0]) == sorted(summary["archives"])
    # a second batch of the same rows: every archive is complete, so every job is skipped
    code, again, _ = run_cli(capsys, "--db", str(db), "batch", str(manifest))
    assert code == 0 and (again[-1]["done"], again[-1]["skipped"]) == (0, 4)


@pytest.mark.slow
def test_ctrl_c_pauses_every_job(tmp_path, masters):
    db = tmp_path / "state.db"
    manifest = write_manifest(tmp_path / "jobs.csv", rows_for(masters, tmp_path / "out"))
    batch = subprocess.Popen([sys.executable, "-m", "backend.cli.main", "--db", str(db), "--json",
                              "batch", str(manifest), "--jobs", "2"],
                             stdout=subprocess.PIPE, text=True)
    lines = []
    for line in batch.stdout:
        lines.append(json.loads(line))
        if len({e["job"] for e in lines if e["type"] == "job_progress"}) == 2:
            batch.send_signal(signal.SIGINT)  # both running jobs are under way
            break
    lines += [json.loads(line) for line in batch.stdout]
    assert batch.wait(timeout=120) == 3
    summary = lines[-1]
    assert summary["status"] == "paused" and summary["done"] + len(summary["paused"]) == 4
    with open_db(db) as conn:
        jobs = batches.jobs(conn, batches.get(conn).batch_id)
        statuses = {s["status"] for s in conn.query("SELECT status FROM processing_state")}
    assert {j.status for j in jobs} <= {"done", "paused"} and "paused" in {j.status for j in jobs}
    assert statuses <= {"completed", "paused"}  # each session paused cleanly, none left running


@pytest.mark.slow
def test_kill_9_mid_batch_then_resume_finishes_without_redoing_jobs(tmp_path, masters, capsys):
    db = tmp_path / "state.db"
    manifest = write_manifest(tmp_path / "jobs.csv", rows_for(masters, tmp_path / "out"))
    batch = subprocess.Popen([sys.executable, "-m", "backend.cli.main", "--db", str(db), "--json",
                              "batch", str(manifest), "--jobs", "1"],
                             stdout=subprocess.PIPE, text=True)
    finished = []
    for line in batch.stdout:
        event = json.loads(line)
        if event["type"] == "job_finished":
            finished.append(event["job"])
        if finished and event["type"] == "job_progress" and event["job"] not in finished:
            os.kill(batch.pid, signal.SIGKILL)  # in the middle of the second job
            break
    batch.wait(timeout=60)
    batch.stdout.close()
    assert batch.returncode == -signal.SIGKILL
    with open_db(db) as conn:
        before = {j.job: j for j in batches.jobs(conn, batches.get(conn).batch_id)}
    assert [n for n, j in before.items() if j.status == "done"] == finished
    assert any(j.status == "running" for j in before.values())  # what the kill interrupted
    kept = {n: (Path(j.archive) / f"{Path(j.archive).name}_manifest.json").stat().st_mtime_ns
            for n, j in before.items() if j.status == "done"}

    code, lines, _ = run_cli(capsys, "--db", str(db), "batch", "resume")
    assert code == 0, lines[-1]
    started = {e["job"] for e in lines if e["type"] == "job_started"}
    assert started == {n for n, j in before.items() if j.status != "done"}
    summary = lines[-1]
    assert (summary["status"], summary["done"], summary["failed"]) == ("finished", 4, [])
    for n, mtime in kept.items():  # the finished archives were not written again
        archive = Path(before[n].archive)
        assert (archive / f"{archive.name}_manifest.json").stat().st_mtime_ns == mtime
    with open_db(db) as conn:
        after = {j.job: j for j in batches.jobs(conn, batches.get(conn).batch_id)}
        # the interrupted job resumed its own session rather than starting a second one
        for n, job in before.items():
            if job.status == "running" and job.session_id:
                assert after[n].session_id == job.session_id
        assert conn.scalar("SELECT COUNT(*) FROM processing_state") == 4
    for job in after.values():
        assert verify(job.archive).status == "intact"


# --- on a local Ray cluster -------------------------------------------------------------------

@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, num_gpus=0, include_dashboard=False, logging_level="ERROR", log_to_driver=False,
             object_store_memory=100 * 2**20, _node_ip_address="127.0.0.1")
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_ray_makes_the_same_archives_as_the_embedded_run(embedded, ray_cluster, tmp_path,
                                                        db_path, masters, capsys):
    _lines, embedded_out, _db, _manifest = embedded
    manifest = write_manifest(tmp_path / "jobs.csv", rows_for(masters, tmp_path / "out"))
    code, lines, _ = run_cli(capsys, "batch", str(manifest), "--ray", "auto")
    assert code == 0 and lines[-1]["done"] == 4
    for path in lines[-1]["archives"]:
        archive = Path(path)
        assert verify(archive).status == "intact"
        assert content(archive) == content(embedded_out / archive.name)


@pytest.mark.slow
def test_a_worker_killed_mid_task_is_retried_and_the_batch_completes(ray_cluster, tmp_path,
                                                                     db_path, masters, capsys):
    manifest = write_manifest(tmp_path / "jobs.csv", rows_for(masters[1:3], tmp_path / "out"))
    killed: list[int] = []

    def kill_a_worker():  # the first task's worker, once it has started an ffmpeg
        deadline = time.monotonic() + 120
        while not killed and time.monotonic() < deadline:
            for proc in psutil.process_iter(["pid", "cmdline"]):
                if (proc.info["cmdline"] or [""])[0] == "ray::_task":
                    try:
                        busy = any("ffmpeg" in c.name() for c in proc.children(recursive=True))
                    except psutil.Error:
                        continue
                    if busy:
                        os.kill(proc.info["pid"], signal.SIGKILL)
                        killed.append(proc.info["pid"])
                        return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    code, lines, _ = run_cli(capsys, "batch", str(manifest), "--ray", "auto")
    killer.join()
    assert killed, "no task worker was seen running ffmpeg"
    assert not psutil.pid_exists(killed[0]) or psutil.Process(killed[0]).status() == "zombie"
    assert code == 0 and (lines[-1]["done"], lines[-1]["failed"]) == (2, [])
    for path in lines[-1]["archives"]:
        assert verify(path).status == "intact"


@pytest.mark.slow
def test_a_gpu_job_on_a_cluster_without_a_gpu_waits(ray_cluster, tmp_path, db_path, masters,
                                                    capsys):
    rows = rows_for(masters[:2], tmp_path / "out")
    rows[1]["encoder"] = "nvenc"
    manifest = write_manifest(tmp_path / "jobs.csv", rows)
    code, lines, _ = run_cli(capsys, "batch", str(manifest), "--ray", "auto")
    assert code == 3
    waiting = [e for e in lines if e["type"] == "job_waiting"]
    assert [e["job"] for e in waiting] == [2] and "GPU" in waiting[0]["message"]
    summary = lines[-1]
    assert (summary["status"], summary["done"], summary["waiting"]) == ("waiting", 1, [2])
    assert not Path(rows[1]["out"], "24-02-02_Work-2").exists()  # never run on x264
    code, status, _ = run_cli(capsys, "batch", "status")
    assert [j["status"] for j in status[0]["jobs"]] == ["done", "waiting"]


# --- a job's folder left by a writer on another node ------------------------------------------

def test_a_folder_half_made_by_a_dead_writer_elsewhere_is_kept_aside_and_made_again(
        tmp_path, db_path, masters):
    from backend.batch.job import run_job
    from backend.jobs import archive_lock

    out = tmp_path / "out"
    archive = out / "24-02-01_Work-1"
    (archive / "masters").mkdir(parents=True)
    (archive / "masters" / "half.mov").write_bytes(b"x" * 100)
    request = rows_for(masters[:1], out)[0]
    request.pop("encoder")
    # held by a live writer: refused, nothing touched
    with archive_lock.acquire(archive, "process 1 on another node"):
        busy = run_job(str(db_path), {**request, "encoder": "x264"}, str(archive))
        assert busy.status == "failed" and "another video-archive run" in busy.error
    assert not (archive / archive_lock.LOCK_NAME).exists()
    # not locked and no lock file: a folder someone filled, which process refuses
    refused = run_job(str(db_path), {**request, "encoder": "x264"}, str(archive))
    assert refused.status == "failed" and "not empty" in refused.error
    # a lock file no one holds: its writer died; the folder is kept aside, the job runs
    (archive / archive_lock.LOCK_NAME).write_text("process 4242, session s-elsewhere")
    result = run_job(str(db_path), {**request, "encoder": "x264"}, str(archive))
    assert result.status == "done", result.error
    assert verify(archive).status == "intact"
    aside = [p for p in out.iterdir() if p.name.startswith("24-02-01_Work-1.incomplete-")]
    assert len(aside) == 1 and (aside[0] / "masters" / "half.mov").stat().st_size == 100
