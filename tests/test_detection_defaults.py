"""The detection defaults are defined once (backend/model/detection_params.py); the SQL that
cannot import them (the sessions table's column defaults, the settings' default rows, which the
CLI and the editor start from) must say the same."""

from __future__ import annotations

from backend.db import settings as db_settings
from backend.model.detection_params import DEFAULT_MIN_SCENE_LEN, DEFAULT_THRESHOLD, DetectionParams


def test_the_schema_and_settings_say_the_defaults_of_detection_params(db):
    columns = {r["name"]: r["dflt_value"] for r in db.query("PRAGMA table_info(processing_state)")}
    assert float(columns["scene_threshold"]) == DEFAULT_THRESHOLD == DetectionParams().threshold
    assert int(columns["min_scene_length"]) == DEFAULT_MIN_SCENE_LEN == DetectionParams().min_scene_len
    assert db_settings.get(db, "scene_threshold_default") == DEFAULT_THRESHOLD
    assert db_settings.get(db, "min_scene_length_default") == DEFAULT_MIN_SCENE_LEN

