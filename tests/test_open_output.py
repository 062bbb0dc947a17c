"""auto_open_output in the desktop shell (App/open_output.py): a completed export's archive
folder is handed to the opener only when the setting is on, and only for a completed export;
the opener is always injected here, so no test starts a file manager."""

from __future__ import annotations

from pathlib import Path

import pytest

from App.open_output import OpenOnFinish, opener_command
from backend.db import settings as db_settings
from bridge.events import EventHub


@pytest.fixture
def watched(db):
    hub = EventHub()
    opened: list[Path] = []
    watch = OpenOnFinish(hub, db, opened.append)
    yield hub, opened
    watch.remove()


FINISHED = {"type": "session_finished", "session_id": "s1", "status": "completed",
            "archive_path": "/archives/26-12-01_Art"}


def test_a_completed_export_opens_its_folder_when_the_setting_is_on(db, watched):
    hub, opened = watched
    db_settings.set(db, "auto_open_output", True)
    hub.publish(FINISHED)
    assert opened == [Path("/archives/26-12-01_Art")]


def test_nothing_opens_when_the_setting_is_off(db, watched):
    hub, opened = watched
    db_settings.set(db, "auto_open_output", False)
    hub.publish(FINISHED)
    assert opened == []


@pytest.mark.parametrize("event", [
    {**FINISHED, "status": "analysed"}, {**FINISHED, "status": "paused"},
    {**FINISHED, "status": "failed"}, {**FINISHED, "type": "unit_finished"},
    {**FINISHED, "archive_path": None}])
def test_only_a_completed_export_opens_anything(db, watched, event):
    hub, opened = watched
    db_settings.set(db, "auto_open_output", True)
    hub.publish(event)
    assert opened == []


def test_the_platform_opener():
    folder = Path("/archives/26-12-01_Art")
    assert opener_command(folder, "linux") == ["xdg-open", str(folder)]
    assert opener_command(folder, "darwin") == ["open", str(folder)]
    assert opener_command(folder, "win32") is None  # os.startfile
