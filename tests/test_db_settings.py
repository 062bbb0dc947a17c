"""Typed settings: values convert by value_type, wrong types and unknown keys are refused."""

import pytest

from backend.db import settings
from backend.errors import InputError, StateError


def test_defaults_come_back_typed(db):
    assert settings.get(db, "parallel_workers") == 4
    assert settings.get(db, "scene_threshold_default") == 30.0
    assert settings.get(db, "gpu_enabled") is True
    assert settings.get(db, "window_geometry") is None
    assert settings.get(db, "ffmpeg_path") == ""
    assert settings.get(db, "copyright_text") == "\u00a9 Yambo Studio"


@pytest.mark.parametrize("key, value", [
    ("parallel_workers", 8), ("scene_threshold_default", 27.5), ("scene_threshold_default", 12),
    ("gpu_enabled", False), ("window_geometry", {"x": 10, "y": 20, "w": 800, "h": 600}),
    ("ffmpeg_path", "/opt/ffmpeg/bin/ffmpeg"), ("encoder_preference", "nvenc")])
def test_set_then_get_round_trips(db, key, value):
    assert settings.set(db, key, value) == value
    assert settings.get(db, key) == value


@pytest.mark.parametrize("key, value, expects", [
    ("parallel_workers", "4", "an integer"), ("parallel_workers", 4.0, "an integer"),
    ("parallel_workers", True, "an integer"), ("gpu_enabled", 1, "a boolean"),
    ("scene_threshold_default", "30", "a number"), ("scene_threshold_default", float("nan"), "a number"),
    ("copyright_text", 2024, "a string"), ("window_geometry", {1, 2}, "a JSON value")])
def test_wrong_type_names_key_and_expected_type(db, key, value, expects):
    with pytest.raises(InputError) as err:
        settings.set(db, key, value)
    assert key in str(err.value) and expects in str(err.value)


def test_limits_unknown_and_read_only_keys(db):
    with pytest.raises(InputError, match="parallel_workers must be at least 1"):
        settings.set(db, "parallel_workers", 0)
    with pytest.raises(InputError, match="log_level must be one of DEBUG, INFO, WARNING, ERROR"):
        settings.set(db, "log_level", "LOUD")
    with pytest.raises(InputError, match="unknown setting 'colour'"):
        settings.get(db, "colour")
    with pytest.raises(InputError, match="unknown setting"):
        settings.set(db, "colour", "red")
    with pytest.raises(InputError, match="db_version is managed"):
        settings.set(db, "db_version", "3.0")


@pytest.mark.parametrize("key, text, value", [
    ("gpu_enabled", "no", False), ("gpu_enabled", "TRUE", True), ("parallel_workers", " 6 ", 6),
    ("scene_threshold_default", "27.5", 27.5), ("window_geometry", '{"w": 1}', {"w": 1}),
    ("window_geometry", "null", None), ("copyright_text", " \u00a9 Me ", " \u00a9 Me ")])
def test_set_from_text(db, key, text, value):
    assert settings.set_text(db, key, text) == value


@pytest.mark.parametrize("key, text", [("gpu_enabled", "maybe"), ("parallel_workers", "four"),
                                       ("window_geometry", "{w: 1}")])
def test_set_from_bad_text(db, key, text):
    with pytest.raises(InputError, match=key):
        settings.set_text(db, key, text)


def test_malformed_stored_value(db):
    db.execute("UPDATE app_settings SET value = 'lots' WHERE key = 'parallel_workers'")
    with pytest.raises(StateError, match="parallel_workers holds 'lots', which is not an integer"):
        settings.get(db, "parallel_workers")
    listed = {s.key: s for s in settings.list_settings(db)}
    assert listed["parallel_workers"].error and listed["parallel_workers"].value == "lots"
    assert listed["gpu_enabled"].value is True and listed["gpu_enabled"].error is None
    with pytest.raises(StateError):
        settings.as_dict(db)


def test_set_records_modification_time(db):
    db.execute("UPDATE app_settings SET modified_at = '2020-01-01 00:00:00'")
    settings.set(db, "ui_theme", "dark")
    assert db.scalar("SELECT modified_at FROM app_settings WHERE key = 'ui_theme'") > "2020"
    assert settings.as_dict(db)["ui_theme"] == "dark"
