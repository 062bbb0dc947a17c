"""Presets: the built-ins, validation errors that name the field, overrides, user presets in
state.db (create, update, delete, default, import, export) and the `presets` CLI."""

import json

import msgspec
import pytest

from backend.cli.main import main
from backend.db import presets as stored
from backend.db import settings
from backend.errors import InputError, StateError
from backend.jobs import preset_catalog as catalog
from backend.presets.builtin import DEFAULT_PRESET_ID, builtin_presets
from backend.presets.model import (Preset, PresetFieldError, apply_overrides, parse_assignments,
                                   to_dict, to_json, to_preset)

BASE = {"id": "p", "name": "P"}


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- built-ins and validation ---------------------------------------------------------------------

def test_builtins_load_validate_and_round_trip():
    found = builtin_presets()
    assert list(found)[0] == DEFAULT_PRESET_ID
    assert {"webflow_standard", "archival_hq", "preview_small"} <= set(found)
    for preset in found.values():
        assert to_preset(to_json(preset), "round trip") == preset


def test_webflow_standard_is_a_web_background_video_preset():
    video = builtin_presets()["webflow_standard"].video
    assert (video.codec, video.profile, video.pix_fmt, video.faststart, video.audio) == \
        ("h264", "high", "yuv420p", True, "none")
    assert video.max_width == 1920 and 23 <= video.crf <= 26


def test_archival_and_preview_presets_differ_as_named():
    archival, preview = builtin_presets()["archival_hq"], builtin_presets()["preview_small"]
    assert archival.video.crf < 20 and archival.video.audio == "aac"
    assert archival.stills_hq.format == "png" and archival.stills_hq.bit_depth == 16
    assert preview.video.max_width == 640 and preview.stills_web.max_width == 640


@pytest.mark.parametrize("override, field, words", [
    ({"video": {"crf": -1}}, "video.crf", ">= 0, got -1"),
    ({"video": {"crf": "high"}}, "video.crf", 'got `str` "high"'),
    ({"video": {"crff": 20}}, "video.crff", "unknown field (known: codec"),
    ({"colour": {}}, "colour", "unknown field"),
    ({"stills_web": {"format": "gif"}}, "stills_web.format", "allowed: jpeg, webp"),
    ({"stills_hq": {"bit_depth": 12}}, "stills_hq.bit_depth", "allowed: 8, 16"),
    ({"video": {"codec": "hevc"}}, "video.profile", "codec hevc needs profile 'main'"),
    ({"advanced": {"rd_video": {"crf": 60}}}, "advanced.rd_video.crf", "<= 51, got 60"),
    ({"advanced": {"extra_video_filters": "null;split"}}, "advanced.extra_video_filters",
     "is not a filter name"),
    ({"id": "Has Spaces"}, "id", "lowercase letters"),
    ({"video": []}, "video", "expected `object`, got `array`"),
])
def test_a_bad_field_is_named_in_one_line(override, field, words):
    with pytest.raises(PresetFieldError) as caught:
        apply_overrides(to_preset(BASE), override, "test input")
    message = str(caught.value)
    assert caught.value.field == field
    assert message.startswith(f"bad preset field {field} in test input: ")
    assert words in message and "\n" not in message


def test_missing_required_field_and_bad_json():
    with pytest.raises(InputError, match="bad preset field id in f.json: required, missing"):
        to_preset({"name": "x"}, "f.json")
    with pytest.raises(InputError, match="f.json is not valid JSON"):
        to_preset(b'{"id": ', "f.json")


def test_overrides_merge_group_by_group():
    preset = apply_overrides(builtin_presets()["webflow_standard"],
                             {"video": {"crf": 20}, "advanced": {"rd_images": {"quality": 60}}})
    assert preset.video.crf == 20 and preset.video.profile == "high"
    assert preset.advanced.rd_images.quality == 60 and preset.advanced.rd_images.max_width == 2560
    assert builtin_presets()["webflow_standard"].video.crf != 20  # built-ins are not mutated
    assert apply_overrides(preset, {}) is preset


def test_parse_assignments_reads_json_values_else_strings():
    assert parse_assignments(["video.crf=20", "stills_web.format=webp", "video.max_fps=null",
                              "video.faststart=false", "advanced.rd_images.quality=70",
                              "advanced.extra_video_filters=eq=gamma=1.1"]) == {
        "video": {"crf": 20, "max_fps": None, "faststart": False},
        "stills_web": {"format": "webp"},
        "advanced": {"rd_images": {"quality": 70}, "extra_video_filters": "eq=gamma=1.1"}}
    with pytest.raises(InputError, match="expected GROUP.FIELD=VALUE"):
        parse_assignments(["video.crf"])
    with pytest.raises(InputError, match="conflicts"):
        parse_assignments(["video=1", "video.crf=2"])


def test_hevc_needs_nvenc():
    video = apply_overrides(to_preset(BASE), {"video": {"codec": "hevc", "profile": "main"}}).video
    video.check_encoder("nvenc")
    with pytest.raises(InputError, match="video.codec is hevc, which only the nvenc encoder"):
        video.check_encoder("x264")


# --- user presets in state.db ---------------------------------------------------------------------

def test_create_from_base_with_overrides(db):
    preset = catalog.create(db, "mine", "Mine", base="archival_hq",
                             overrides={"video": {"crf": 20}}, description="for tests")
    again = catalog.resolve(db, "mine")
    assert again == preset
    assert (again.base_preset, again.video.crf, again.stills_hq.bit_depth, again.description) == \
        ("archival_hq", 20, 16, "for tests")
    row = db.query_one("SELECT * FROM user_presets WHERE preset_id = 'mine'")
    assert json.loads(row["video_settings"])["crf"] == 20
    assert json.loads(row["stills_hq_settings"])["bit_depth"] == 16
    assert row["preset_name"] == "Mine" and row["base_preset"] == "archival_hq"


def test_create_refuses_builtin_ids_duplicates_and_bad_values(db):
    with pytest.raises(InputError, match="webflow_standard is a built-in preset"):
        catalog.create(db, "webflow_standard", "Mine")
    catalog.create(db, "mine", "Mine")
    with pytest.raises(InputError, match="a user preset mine already exists"):
        catalog.create(db, "mine", "Again")
    with pytest.raises(InputError, match="bad preset field video.crf"):
        catalog.create(db, "other", "Other", overrides={"video": {"crf": 99}})
    with pytest.raises(InputError, match="unknown preset nope; known: webflow_standard"):
        catalog.create(db, "other", "Other", base="nope")
    assert [r.preset_id for r in stored.list_user_presets(db)] == ["mine"]


def test_update_changes_only_what_is_given(db):
    catalog.create(db, "mine", "Mine", description="d")
    updated = catalog.update(db, "mine", overrides={"stills_web": {"format": "webp"}}, name="Mine 2")
    assert catalog.resolve(db, "mine") == updated
    assert (updated.name, updated.description, updated.stills_web.format) == ("Mine 2", "d", "webp")
    with pytest.raises(InputError, match="bad preset field stills_web.quality"):
        catalog.update(db, "mine", overrides={"stills_web": {"quality": 0}})
    assert catalog.resolve(db, "mine") == updated  # a refused update writes nothing
    with pytest.raises(InputError, match="built-in preset and cannot be changed"):
        catalog.update(db, "archival_hq", name="x")
    with pytest.raises(InputError, match="id cannot be changed"):
        catalog.update(db, "mine", overrides={"id": "new"})


def test_delete(db):
    catalog.create(db, "mine", "Mine")
    assert catalog.delete(db, "mine") is None
    with pytest.raises(InputError, match="unknown preset mine"):
        catalog.resolve(db, "mine")
    with pytest.raises(InputError, match="no user preset mine"):
        catalog.delete(db, "mine")
    with pytest.raises(InputError, match="built-in preset and cannot be deleted"):
        catalog.delete(db, "preview_small")


def test_exactly_one_default(db):
    assert catalog.default_id(db) == DEFAULT_PRESET_ID
    catalog.create(db, "a", "A")
    catalog.create(db, "b", "B")
    catalog.set_default(db, "a")
    catalog.set_default(db, "b")
    flags = {r["preset_id"]: r["is_default"] for r in db.query("SELECT * FROM user_presets")}
    assert flags == {"a": 0, "b": 1}
    assert settings.get(db, "default_preset") == "b" == catalog.default_id(db)
    assert [p.id for p in catalog.all_presets(db) if p.is_default] == ["b"]
    catalog.set_default(db, "preview_small")  # a built-in default leaves no flag set
    assert db.scalar("SELECT COUNT(*) FROM user_presets WHERE is_default = 1") == 0
    assert catalog.all_presets(db)[0].id == "preview_small"
    with pytest.raises(InputError, match="unknown preset zzz"):
        catalog.set_default(db, "zzz")
    assert settings.get(db, "default_preset") == "preview_small"


def test_deleting_the_default_falls_back_to_the_builtin_default(db):
    catalog.create(db, "mine", "Mine")
    catalog.set_default(db, "mine")
    assert catalog.delete(db, "mine") == DEFAULT_PRESET_ID
    assert settings.get(db, "default_preset") == DEFAULT_PRESET_ID


def test_a_setting_naming_a_vanished_preset_falls_back(db):
    settings.set(db, "default_preset", "gone")
    assert catalog.default_id(db) == DEFAULT_PRESET_ID


def test_list_order_is_the_designs(db):
    for pid in ("low", "high", "mid", "fav"):
        catalog.create(db, pid, pid.title())
    for pid, used in (("low", 1), ("high", 9), ("mid", 5), ("fav", 0)):
        db.execute("UPDATE user_presets SET usage_count = ? WHERE preset_id = ?", (used, pid))
    catalog.set_default(db, "fav")
    assert [r.preset_id for r in stored.list_user_presets(db)] == ["fav", "high", "mid", "low"]
    listed = catalog.all_presets(db)
    assert [p.id for p in listed] == ["fav", "high", "mid", "low", *builtin_presets()]
    assert [p.source for p in listed] == ["user"] * 4 + ["builtin"] * len(builtin_presets())


def test_usage_is_counted_by_the_designs_trigger(db):
    from backend.db import sessions

    catalog.create(db, "mine", "Mine")
    sessions.create(db, sessions.NewSession(artwork_name="A", project_date="24-01-02",
                                            master_path="/m.mov", output_path="/o",
                                            preset_id="mine"))
    assert stored.list_user_presets(db)[0].usage_count == 1


def test_export_and_import_round_trip(db, tmp_path):
    created = catalog.create(db, "mine", "Mine", overrides={"thumbnail": {"width": 200}})
    path = catalog.export_file(db, "mine", tmp_path / "mine.json")
    assert to_preset(path.read_bytes()) == created
    with pytest.raises(InputError, match="already exists; pass --force"):
        catalog.export_file(db, "mine", path)
    catalog.export_file(db, "webflow_standard", path, overwrite=True)  # built-ins export too
    assert json.loads(path.read_text())["id"] == "webflow_standard"

    catalog.export_file(db, "mine", path, overwrite=True)
    catalog.delete(db, "mine")
    assert catalog.import_file(db, path) == created
    assert catalog.resolve(db, "mine") == created
    copy = catalog.import_file(db, path, preset_id="mine-copy")
    assert copy.id == "mine-copy" and copy.thumbnail.width == 200
    with pytest.raises(InputError, match="a user preset mine already exists"):
        catalog.import_file(db, path)
    changed = {**to_dict(created), "name": "Changed"}
    path.write_text(json.dumps(changed))
    assert catalog.import_file(db, path, replace=True).name == "Changed"


def test_import_of_a_bad_file_names_field_and_file_and_writes_nothing(db, tmp_path):
    data = to_dict(catalog.create(db, "base", "Base"))
    data.update(id="bad")
    data["video"]["crf"] = 70
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as caught:
        catalog.import_file(db, path)
    assert str(caught.value) == (f"bad preset field video.crf in preset file {path}: "
                                 "expected `int` <= 51, got 70")
    data["video"]["crf"] = 20
    data["stills_web"]["sharpen"] = True
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"bad preset field stills_web.sharpen in preset file .*bad.json"):
        catalog.import_file(db, path)
    path.write_text(json.dumps({**data, "id": "webflow_standard", "stills_web": {}}))
    with pytest.raises(InputError, match="holds the id webflow_standard, which is a built-in"):
        catalog.import_file(db, path)
    with pytest.raises(InputError, match="cannot read preset file"):
        catalog.import_file(db, tmp_path / "missing.json")
    assert [r.preset_id for r in stored.list_user_presets(db)] == ["base"]


def test_a_malformed_row_is_a_state_error_naming_row_and_column(db):
    catalog.create(db, "mine", "Mine")
    db.execute("UPDATE user_presets SET video_settings = ? WHERE preset_id = 'mine'",
               (json.dumps({"crf": 99}),))
    with pytest.raises(StateError, match="user_presets, row 'mine', column video_settings: "
                                         "field crf: expected `int` <= 51, got 99"):
        catalog.resolve(db, "mine")
    db.execute("UPDATE user_presets SET video_settings = '{oops' WHERE preset_id = 'mine'")
    with pytest.raises(StateError, match="column video_settings: not valid JSON"):
        catalog.resolve(db, "mine")
    assert [p.id for p in catalog.all_presets(db)][0:2] == ["webflow_standard", "mine"]


def test_nullable_columns_fall_back_to_defaults(db):
    catalog.create(db, "mine", "Mine")
    db.execute("UPDATE user_presets SET thumbnail_settings = NULL, advanced_settings = NULL")
    preset = catalog.resolve(db, "mine")
    assert preset.thumbnail == Preset(id="x", name="x").thumbnail


# --- CLI ------------------------------------------------------------------------------------------

def test_cli_round_trip(capsys, db_path, tmp_path):
    code, out, _ = cli(capsys, "presets", "create", "mine", "--name", "Mine", "--base",
                       "preview_small", "--set", "video.crf=30", "--set", "stills_web.format=webp",
                       "--description", "small webp")
    assert code == 0 and "created preset mine" in out
    code, out, _ = cli(capsys, "--json", "presets", "show", "mine")
    shown = json.loads(out)
    assert (shown["video"]["crf"], shown["stills_web"]["format"], shown["base_preset"]) == \
        (30, "webp", "preview_small")
    code, out, _ = cli(capsys, "presets", "update", "mine", "--set", "video.crf=31")
    assert code == 0
    code, out, _ = cli(capsys, "presets", "default", "mine")
    assert out.strip() == "mine"
    code, out, _ = cli(capsys, "--json", "presets", "list")
    listed = json.loads(out)
    assert listed[0]["id"] == "mine" and listed[0]["is_default"] is True
    code, out, _ = cli(capsys, "presets", "list")
    assert out.splitlines()[1].split()[:2] == ["*", "mine"]

    exported = tmp_path / "mine.json"
    assert cli(capsys, "presets", "export", "mine", str(exported))[0] == 0
    assert json.loads(exported.read_text())["video"]["crf"] == 31
    code, out, _ = cli(capsys, "--json", "presets", "delete", "mine")
    assert json.loads(out) == {"id": "mine", "deleted": True, "new_default": DEFAULT_PRESET_ID}
    code, out, _ = cli(capsys, "--json", "presets", "import", str(exported), "--id", "back")
    assert json.loads(out)["id"] == "back"
    code, out, _ = cli(capsys, "--json", "presets", "default")
    assert json.loads(out) == {"default_preset": DEFAULT_PRESET_ID}


def test_cli_show_prints_importable_json(capsys, db_path, tmp_path):
    code, out, _ = cli(capsys, "presets", "show", "archival_hq")
    assert code == 0
    assert msgspec.json.decode(out.encode(), type=Preset) == builtin_presets()["archival_hq"]


@pytest.mark.parametrize("argv, message", [
    (["presets", "show", "nope"], "unknown preset nope; known: webflow_standard"),
    (["presets", "create", "x", "--name", "X", "--set", "video.crff=1"],
     "bad preset field video.crff in new preset x: unknown field"),
    (["presets", "create", "x", "--name", "X", "--set", "crf"], "expected GROUP.FIELD=VALUE"),
    (["presets", "delete", "webflow_standard"], "built-in preset and cannot be deleted"),
    (["presets", "default", "nope"], "unknown preset nope"),
    (["presets", "import", "/nonexistent/p.json"], "cannot read preset file"),
])
def test_cli_errors_are_one_line_on_stderr(capsys, db_path, argv, message):
    code, out, err = cli(capsys, *argv)
    assert code == 1 and out == ""
    assert err.startswith("video-archive: error: ") and message in err
    assert len(err.strip().splitlines()) == 1
