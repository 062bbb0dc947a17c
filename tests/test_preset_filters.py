"""No raw ffmpeg text from a preset (issue 9, point 2): `advanced.extra_video_filters` is parsed
against an allowlist and rebuilt; every other field that reaches an ffmpeg command line is typed.
Hostile values are refused wherever a preset comes in (a file import, `create`/`update --set`,
`process --set`), with the field named, and an old stored preset carrying them is refused at use
before anything runs. Every allowed filter at its limits is accepted by the real ffmpeg."""

from __future__ import annotations

import json
import subprocess
import typing

import pytest

from backend.cli.main import main
from backend.db import presets as stored
from backend.errors import InputError, StateError
from backend.media import encode
from backend.jobs import preset_catalog as registry
from backend.presets import video_filters
from backend.presets.model import (AdvancedSettings, PresetFieldError, VideoSettings, to_dict,
                                   to_preset)
from backend.presets.builtin import get_builtin

FIELD = "advanced.extra_video_filters"

# (value, words the refusal must hold)
HOSTILE = [
    ("metadata=mode=print:file=/tmp/victim", "reads or writes files"),
    ("eq=contrast=1.1,metadata=mode=print:file=victim.txt", "filter 'metadata'"),
    ("movie=/etc/passwd", "reads or writes files"),
    ("sendcmd=f=/tmp/cmds.txt", "reads or writes files"),
    ("lut3d=file=/tmp/look.cube", "reads or writes files"),
    ("drawtext=textfile=/etc/passwd", "reads or writes files"),
    ("zmq", "reads or writes files"),
    ("testsrc", "source or device filter"),
    ("color=c=red", "source or device filter"),
    ("nullsrc", "source or device filter"),
    ("scale=1:1", "not on the allowed list"),
    ("format=rgba", "not on the allowed list"),
    ("split", "not on the allowed list"),
    ("curves=psfile=/tmp/x.acv", "no option 'psfile'"),
    ("curves=preset=/etc/passwd", "is not one of"),
    ("eq@x=contrast=1", "is not a filter name"),
    ("eq=contrast='1'", "not a plain number"),
    ("eq=contrast=1[out]", "not a plain number"),
    ("null;split", "is not a filter name"),
    ("[in]null", "is not a filter name"),
    ("eq=contrast=if(gt(t\\,1)\\,2\\,1)", "not a plain number"),
    ("eq=contrast=1e9", "outside"),
    ("eq=contrast=nan", "not a plain number"),
    ("eq=contrast=inf", "not a plain number"),
    ("eq=contrast=0x10", "not a plain number"),
    ("eq=saturation=1:saturation=2", "given twice"),
    ("eq=1:1:1:1:1:1:1:1:1", "needs a name"),
    ("unsharp=4", "must be odd"),
    ("unsharp=5.5", "not a whole number"),
    ("hflip=1", "takes no options"),
    ("eq=enable=between(t\\,0\\,1)", "no option 'enable'"),
    ("eq=contrast=1,,eq", "empty filter"),
    ("eq=", "no options"),
    (",".join(["null"] * 17), "at most 16 filters"),
    ("eq=contrast=1\nmovie=x", "not a plain number"),
]


@pytest.mark.parametrize("value, words", HOSTILE, ids=[h[0][:40] for h in HOSTILE])
def test_hostile_filter_text_is_refused_naming_the_field(value, words):
    with pytest.raises(PresetFieldError) as caught:
        to_preset({"id": "x", "name": "X", "advanced": {"extra_video_filters": value}}, "test")
    assert caught.value.field == FIELD
    assert words in caught.value.problem, caught.value.problem
    assert str(caught.value).count("\n") == 0


@pytest.mark.parametrize("value, rendered", [
    ("", ""),
    ("eq=saturation=1.05,unsharp", "eq=saturation=1.05,unsharp"),
    (" eq = saturation = 1.05 , unsharp ", "eq=saturation=1.05,unsharp"),
    ("unsharp=5:5:1.0", "unsharp=luma_msize_x=5:luma_msize_y=5:luma_amount=1.0"),
    ("unsharp=lx=7:la=-0.5", "unsharp=luma_msize_x=7:luma_amount=-0.5"),
    ("hqdn3d=1.5:1.5:6:6", "hqdn3d=luma_spatial=1.5:chroma_spatial=1.5:luma_tmp=6.0:chroma_tmp=6.0"),
    ("curves=vintage", "curves=preset=vintage"),
    ("eq=gamma=1e-1", "eq=gamma=0.1"),
])
def test_allowed_chains_are_rebuilt_not_passed_through(value, rendered):
    preset = to_preset({"id": "x", "name": "X", "advanced": {"extra_video_filters": value}})
    assert video_filters.checked_chain(preset.advanced.extra_video_filters) == rendered
    chain, _ = encode.scale_filter(640, 360, preset.video, 25.0, preset.advanced.extra_video_filters)
    assert chain.endswith(f"{rendered},format=yuv420p" if rendered else ",format=yuv420p")


def _every_filter_at(limit: str) -> str:
    parts = []
    for name, options in video_filters.ALLOWED.items():
        values = []
        for o in options:
            if o.words:
                values.append(f"{o.name}={o.words[-1]}")
                continue
            value = o.low if limit == "low" else o.high
            if o.odd and int(value) % 2 == 0:
                value += 1 if limit == "low" else -1
            values.append(f"{o.name}={int(value) if o.integer else value}")
        parts.append(name + ("=" + ":".join(values) if values else ""))
    return ",".join(parts)


@pytest.mark.parametrize("limit", ["low", "high"])
def test_every_allowed_filter_at_its_limits_runs_in_ffmpeg(limit, ffmpeg_bin, tmp_path):
    """The allowlist names real options with ranges ffmpeg accepts: no chain the checks pass
    can fail in the encode."""
    text = _every_filter_at(limit)
    chains = text.split(",")
    for start in range(0, len(chains), video_filters.MAX_FILTERS):
        chain = ",".join(chains[start:start + video_filters.MAX_FILTERS])
        rendered = video_filters.checked_chain(chain)
        done = subprocess.run([str(ffmpeg_bin), "-hide_banner", "-loglevel", "error", "-f", "lavfi",
                               "-i", "testsrc2=size=64x48:rate=5:duration=0.4", "-vf",
                               f"format=yuv420p,{rendered}", "-f", "null", "-"],
                              capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, (rendered, done.stderr)
    assert list(tmp_path.iterdir()) == []


def test_no_other_preset_field_carries_free_text_to_ffmpeg():
    """The encode settings are all numbers, booleans or fixed words: a new free-text field
    would have to go through the same kind of check, and this test would name it."""
    free_text = []
    for struct in (VideoSettings, AdvancedSettings):
        for name, hint in typing.get_type_hints(struct).items():
            plain = typing.get_args(hint) or (hint,)
            if str in plain or hint is str:
                free_text.append(f"{struct.__name__}.{name}")
    assert free_text == ["AdvancedSettings.extra_video_filters"]


# --- every way in --------------------------------------------------------------------------------

def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


VICTIM_TEXT = "precious\n"


@pytest.mark.parametrize("value", [h[0] for h in HOSTILE[:8]])
def test_import_create_update_and_set_refuse_and_touch_nothing(value, db_path, tmp_path, capsys):
    victim = tmp_path / "victim.txt"
    victim.write_text(VICTIM_TEXT)
    value = value.replace("/tmp/victim", str(victim))
    data = {**to_dict(get_builtin("webflow_standard")), "id": "shared", "name": "Shared"}
    data["advanced"]["extra_video_filters"] = value
    file = tmp_path / "shared.json"
    file.write_text(json.dumps(data))
    attempts = [
        ["presets", "import", str(file)],
        ["presets", "create", "mine", "--name", "Mine", "--set", f"{FIELD}={value}"],
    ]
    for argv in attempts:
        code, _, err = run(capsys, *argv)
        assert code == 1 and FIELD in err and err.count("\n") == 1, err
    assert run(capsys, "presets", "create", "mine", "--name", "Mine")[0] == 0
    code, _, err = run(capsys, "presets", "update", "mine", "--set", f"{FIELD}={value}")
    assert code == 1 and FIELD in err
    code, out, _ = run(capsys, "--json", "presets", "show", "mine")
    assert json.loads(out)["advanced"]["extra_video_filters"] == ""
    assert victim.read_text() == VICTIM_TEXT


def test_an_old_stored_preset_with_raw_text_is_refused_at_use(db, tmp_path):
    registry.create(db, "old-one", "Old one")
    db.execute("UPDATE user_presets SET advanced_settings = json_set(advanced_settings, "
               "'$.extra_video_filters', 'metadata=mode=print:file=/tmp/x') WHERE preset_id = 'old-one'")
    with pytest.raises(StateError) as caught:
        registry.resolve(db, "old-one")
    assert "advanced_settings" in str(caught.value) and "extra_video_filters" in str(caught.value)
    assert "metadata" in str(caught.value)
    # listing still works, so the preset can be found and replaced or deleted
    assert "old-one" in [p.id for p in registry.all_presets(db)]
    stored.delete_user_preset(db, "old-one")


@pytest.mark.parametrize("path, value, words", [
    ("$.preset.advanced.extra_video_filters", "movie=/etc/passwd", "filter 'movie'"),
    ("$.metadata.copyright", "\u00a9 \u001b[31mStudio", "U+001B"),
])
def test_a_stored_session_with_refused_settings_cannot_run(db, path, value, words):
    """A session written before these checks: reading it names the cell and the refusal, and
    resume stops there, before anything runs."""
    import datetime

    from backend.db import sessions
    from backend.db.session_spec import SessionSpec
    from backend.jobs.runner import Runner
    from backend.media.encoders import Choice
    from backend.media.metadata import ArchiveMetadata

    spec = SessionSpec(safe_name="t", encoder=Choice(encoder="libx264", family="x264", gpu=False),
                       preset=get_builtin("webflow_standard"),
                       metadata=ArchiveMetadata(title="t", date=datetime.date(2024, 1, 1)))
    sid = sessions.create(db, sessions.NewSession(
        artwork_name="t", project_date="24-01-01", master_path="/nonexistent.mov",
        output_path="/nonexistent/out", preset_id="webflow_standard", process_metadata=spec))
    db.execute("UPDATE processing_state SET process_metadata = json_set(process_metadata, ?, ?) "
               "WHERE session_id = ?", (path, value, sid))
    with pytest.raises(StateError) as caught:
        sessions.get(db, sid)
    assert "process_metadata" in str(caught.value) and words in str(caught.value)
    with pytest.raises(StateError, match=words.replace("+", "\\+")):
        Runner(db).resume(sid)


def test_a_scale_filter_given_refused_text_never_reaches_ffmpeg():
    settings = VideoSettings()
    with pytest.raises(ValueError, match="metadata"):
        encode.scale_filter(640, 360, settings, 25.0, "metadata=mode=print:file=x")
    with pytest.raises(InputError):
        to_preset('{"id": "x", "name": "X", "advanced": {"extra_video_filters": 5}}')
