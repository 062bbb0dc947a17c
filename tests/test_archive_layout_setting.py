"""The archive_layout setting: folder by default, bagit on request, anything else refused by
name; a database made before the setting existed gets its default row on opening."""

import pytest

from backend.db import open_db, settings as db_settings
from backend.errors import InputError


def test_the_setting_defaults_to_folder_and_takes_bagit(db):
    assert db_settings.get(db, "archive_layout") == "folder"
    assert db_settings.set(db, "archive_layout", "bagit") == "bagit"
    with pytest.raises(InputError, match="archive_layout must be one of folder, bagit"):
        db_settings.set(db, "archive_layout", "zip")
    assert db_settings.get(db, "archive_layout") == "bagit"


def test_a_database_without_the_setting_gets_it_and_keeps_every_other_value(db_path):
    db = open_db(db_path)
    db_settings.set(db, "copyright_text", "© Someone Else")
    with db.transaction():
        db.execute("DELETE FROM app_settings WHERE key = 'archive_layout'")
    db.close()
    db = open_db(db_path)
    try:
        assert db_settings.get(db, "archive_layout") == "folder"
        assert db_settings.get(db, "copyright_text") == "© Someone Else"
    finally:
        db.close()
