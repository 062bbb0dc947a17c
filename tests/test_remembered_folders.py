"""The folders of the last project are remembered (the seed's last_*_directory settings): the
start form's output folder is filled from them and the desktop window's file dialogs open there."""

from __future__ import annotations

from pathlib import Path

from App.shell import ShellApi
from backend.db import settings as db_settings
from backend.jobs.project import remember_folders


class RecordingWindow:
    def __init__(self):
        self.asked = []

    def create_file_dialog(self, kind, **kwargs):
        self.asked.append(kwargs.get("directory"))
        return None


def test_a_created_project_leaves_its_folders_for_the_next(db, tmp_path):
    master = tmp_path / "masters" / "film.mov"
    master.parent.mkdir()
    (tmp_path / "rd").mkdir()
    remember_folders(db, master=str(master), out=str(tmp_path / "out"), rd=str(tmp_path / "rd"))
    assert db_settings.get(db, "last_master_directory") == str(master.parent)
    assert db_settings.get(db, "last_output_directory") == str(tmp_path / "out")
    assert db_settings.get(db, "last_rd_directory") == str(tmp_path / "rd")

    api = ShellApi(None, last_folder=lambda key: db_settings.get(db, key))
    api._window = RecordingWindow()
    api.pick_file()
    api.pick_folder("R&D folder")
    api.pick_folder("Output folder")   # not made yet: the dialog chooses where to start
    assert api._window.asked == [str(master.parent), str(tmp_path / "rd"), ""]


def test_the_start_form_offers_the_last_output_folder(editor_server, media_dir, tmp_path):
    from editor_page import chromium, create_project

    url, _ = editor_server
    out = tmp_path / "archives"
    with chromium() as page:
        create_project(page, url, media_dir / "counter.mp4", "Remember", out)
        page.goto(url + "#/")
        page.wait_for_function("() => document.querySelector('#f-preset')?.options.length > 0")
        assert page.input_value("#f-out") == str(Path(out).resolve())
        assert not page.errors, page.errors
