"""Generated preset files, hostile and random (issue 9, point 2, property-based): importing one
either refuses it in one line naming the field, or gives a preset whose ffmpeg command - run for
real on a tiny input - writes its output and touches nothing else: no file outside the output
folder appears or changes, whatever the preset's text says."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from backend.db import open_db
from backend.errors import InputError
from backend.media import encode
from backend.media.metadata import ArchiveMetadata, ffmpeg_metadata_args
from backend.jobs import preset_catalog as registry
from backend.presets import video_filters
from backend.presets.builtin import get_builtin
from backend.presets.model import GROUPS, PresetFieldError, to_dict

BASE = to_dict(get_builtin("webflow_standard"))


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    db = open_db(root / "state.db")
    victim = root / "victim.txt"
    victim.write_text("precious\n")
    yield root, db, victim
    db.close()


def _fragments(victim: Path) -> list[str]:
    names = [*video_filters.ALLOWED, "metadata", "movie", "amovie", "sendcmd", "lut3d", "zmq",
             "drawtext", "testsrc", "color", "nullsrc", "scale", "split", "format", "select"]
    options = [o.name for spec in video_filters.ALLOWED.values() for o in spec] + [
        "file", "f", "filename", "psfile", "textfile", "mode", "enable"]
    values = ["1", "0", "-1", "0.5", "3", "5", "1e3", "nan", "inf", "0x10", "'1'", "print",
              str(victim), "/dev/zero", "vintage", "if(1\\,2\\,3)", "1[out]"]
    return names + options + values + ["=", ":", ",", ";", "[in]", "@", " ", "\\", "\n", "\x1b"]


@st.composite
def allowed_chain(draw) -> str:
    """Mostly valid chains: allowlisted filters with their own options, values in or near range."""
    parts = []
    for name in draw(st.lists(st.sampled_from(list(video_filters.ALLOWED)), min_size=1, max_size=4)):
        spec = video_filters.ALLOWED[name]
        chosen = draw(st.lists(st.sampled_from(spec), max_size=3, unique=True)) if spec else []
        values = []
        for option in chosen:
            if option.words:
                value = draw(st.sampled_from(option.words))
            elif option.integer:
                value = str(draw(st.integers(int(option.low) - 1, int(option.high) + 1)))
            else:
                value = repr(draw(st.floats(option.low, option.high)))
            values.append(f"{option.name}={value}")
        parts.append(name + ("=" + ":".join(values) if values else ""))
    return ",".join(parts)


def filter_text(victim: Path):
    fragments = st.lists(st.sampled_from(_fragments(victim)), max_size=12).map("".join)
    return st.one_of(allowed_chain(), allowed_chain(), allowed_chain(), fragments,
                     st.text(max_size=40))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6)


@st.composite
def preset_files(draw, victim: Path):
    data = json.loads(json.dumps(BASE))
    data["id"], data["name"] = "fuzzed", "Fuzzed"
    data["advanced"]["extra_video_filters"] = draw(filter_text(victim))
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2, 3]))):  # random values in random places
        group = draw(st.sampled_from([*GROUPS, "name", "description", "id", "base_preset"]))
        if group in GROUPS and isinstance(data[group], dict):
            key = draw(st.sampled_from([*data[group], "extra", "file"]))
            data[group][key] = draw(JSON_VALUES | filter_text(victim))
        else:
            data[group] = draw(JSON_VALUES)
    return data


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file() and not p.name.startswith("state.db")}


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_a_generated_preset_is_refused_clearly_or_touches_nothing_outside(data, sandbox, ffmpeg_bin):
    root, db, victim = sandbox
    preset_data = data.draw(preset_files(victim))
    file = root / "incoming.json"
    file.write_text(json.dumps(preset_data))
    before = _tree(root)
    try:
        preset = registry.import_file(db, file, replace=True)
    except PresetFieldError as exc:
        event(f"refused: {exc.field.split('.')[0]}")
        assert exc.field and exc.field.split(".")[0] in (*GROUPS, "id", "name", "description",
                                                          "base_preset", "(whole preset)")
        assert f"bad preset field {exc.field} in preset file {file}" in str(exc)
        assert "\n" not in str(exc).replace(repr("\n")[1:-1], "")
        return
    except InputError as exc:  # not a preset at all (e.g. the id is a built-in's)
        assert "\n" not in str(exc)
        return
    event("accepted" + (" with filters" if preset.advanced.extra_video_filters.strip() else ""))
    # accepted: run the web-master encode this preset asks for, into its own output folder
    out = root / "out"
    out.mkdir(exist_ok=True)
    chain, _ = encode.scale_filter(64, 48, preset.video, 5.0, preset.advanced.extra_video_filters)
    for token in chain.split(","):
        assert token.split("=")[0] in {*video_filters.ALLOWED, "scale", "setsar", "fps", "format"}
    meta = ArchiveMetadata(title="T", copyright="© C", artist="A")
    argv = [str(ffmpeg_bin), "-hide_banner", "-loglevel", "error", "-nostdin", "-f", "lavfi", "-i",
            "testsrc2=size=64x48:rate=5:duration=0.4", "-vf", chain,
            *encode.video_codec_args(preset.video, "x264", keyframe_times=[0.2]),
            *encode.audio_args(preset.video, False), *ffmpeg_metadata_args(meta, movflags=False),
            *encode.movflags(preset.video), "-y", str(out / "web.mp4")]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=out, timeout=60)
    assert done.returncode == 0, (chain, done.stderr)
    after = _tree(root)
    assert after.pop("out/web.mp4")
    after.pop("incoming.json", None)
    before.pop("incoming.json", None)
    before.pop("out/web.mp4", None)
    assert after == before
    assert victim.read_text() == "precious\n"
