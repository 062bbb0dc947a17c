"""Sessions written by the code before the session state was typed (process_metadata as a plain
dict, groups in it, a join planned as a clip_export unit, no `needs` in the plan) still resume.
tests/data/legacy_sessions.json holds two such sessions exactly as that code stored them,
paused after planning and paused during the analysis; paths are placeholders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from backend.db import files as db_files
from backend.db import sessions
from backend.db.session_spec import SessionSpec
from backend.jobs.runner import Runner

DATA = Path(__file__).parent / "data" / "legacy_sessions.json"
PREFIX = {"planned": "26-11-30_Legacy-planned", "analysing": "26-11-30_Legacy-analysing"}


@pytest.fixture
def legacy(db, media_dir, tmp_path):
    master = tmp_path / "master.mp4"
    shutil.copy(media_dir / "counter.mp4", master)
    rd = tmp_path / "rd"
    shutil.copytree(media_dir / "rd-sample", rd)
    text = DATA.read_text(encoding="utf-8")
    for token, path in (("{MASTER}", master), ("{RD}", rd), ("{OUT}", tmp_path / "out")):
        text = text.replace(token, json.dumps(str(path))[1:-1])
    stored = json.loads(text)
    with db.transaction():
        for case in stored.values():
            for table in ("processing_state", "operation_log"):
                rows = case[table] if isinstance(case[table], list) else [case[table]]
                for row in rows:
                    row = {k: v for k, v in row.items() if k != "id"}
                    db.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES "
                               f"({', '.join('?' * len(row))})", tuple(row.values()))
            # the stored rows are as old as the run that wrote them; resume offers recent ones
            db.execute("UPDATE processing_state SET updated_at = CURRENT_TIMESTAMP")
    return {name: case["processing_state"]["session_id"] for name, case in stored.items()}, tmp_path / "out"


def test_old_rows_read_as_typed_state(db, legacy):
    ids, _ = legacy
    planned = sessions.get(db, ids["planned"])
    assert isinstance(planned.process_metadata, SessionSpec)
    assert planned.process_metadata.export_planned and planned.process_metadata.encoder.family == "x264"
    assert planned.grouped_scenes == {"Opening-titles": [1, 2]}  # the old dict form
    analysing = sessions.get(db, ids["analysing"])
    assert not analysing.process_metadata.export_planned
    assert analysing.process_metadata.groups == {"Opening-titles": [1, 2]}


@pytest.mark.parametrize("case", ["planned", "analysing"])
def test_an_old_session_resumes_to_a_complete_archive(db, legacy, case):
    ids, out = legacy
    outcome = Runner(db).resume(ids[case])
    assert outcome.status == "completed", (outcome.error, outcome.failed)
    archive = out / PREFIX[case]
    prefix = PREFIX[case]
    clips = sorted(p.relative_to(archive).as_posix() for p in (archive / "clips").rglob("*.mp4"))
    # a stored plan keeps the names it was planned with; one planned now names a joined clip
    # _group-NAME (never a scene clip's _sNNN name)
    joined = "Opening-titles" if case == "planned" else "group-Opening-titles"
    assert clips == sorted([f"clips/Opening-titles/{prefix}_{joined}.mp4",
                            f"clips/Opening-titles/{prefix}_s001.mp4",
                            f"clips/Opening-titles/{prefix}_s002.mp4", f"clips/{prefix}_s003.mp4"])
    registered = db_files.list_for(db, ids[case])
    assert registered and all(f.verified for f in registered)
    assert any(f.file_path.startswith("rd/originals/") for f in registered)
    ops = sessions.operations(db, ids[case])
    assert all(op.status == "completed" for op in ops)
    if case == "planned":  # the old plan ran as stored: a join planned as a clip_export unit
        assert [op.operation_type for op in ops if op.operation_name.startswith("join group")] \
            == ["clip_export"]
