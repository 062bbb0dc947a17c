"""The rules the editor page applies at once, decided by the core on the same cases
(tests/data/editor_rules.json; frontend/test/rules.test.js runs them against the page)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.errors import InputError
from backend.jobs.inputs import check_date, check_groups
from backend.jobs.project import carry_choices
from backend.model.detection_params import check_min_scene_len, check_threshold
from backend.media.scenes import Scene

CASES = json.loads((Path(__file__).parent / "data" / "editor_rules.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES["group_names"], ids=lambda c: "|".join(c["names"]))
def test_group_names(case):
    groups = [{"name": name, "scenes": []} for name in case["names"]]
    if case["ok"]:
        check_groups(groups)
    else:
        with pytest.raises(InputError):
            check_groups(groups)


@pytest.mark.parametrize("case", CASES["dates"], ids=lambda c: repr(c["text"]))
def test_dates(case):
    if case["want"]:
        assert check_date(case["text"]) == case["want"]
    else:
        with pytest.raises(InputError, match="use YY-MM-DD or YYYY-MM-DD"):
            check_date(case["text"])


@pytest.mark.parametrize("case", CASES["detection"], ids=lambda c: f"{c['threshold']}-{c['min_scene_len']}")
def test_detection_range(case):
    def check():
        check_threshold(case["threshold"])
        check_min_scene_len(case["min_scene_len"])

    if case["ok"]:
        check()
    else:
        with pytest.raises(InputError):
            check()


def _scenes(cuts: list[int], end: int) -> list[Scene]:
    bounds = [0, *cuts, end]
    return [Scene(number=i + 1, start_frame=a, end_frame=b - 1, start_time=a / 10, end_time=b / 10)
            for i, (a, b) in enumerate(zip(bounds, bounds[1:]))]


@pytest.mark.parametrize("case", CASES["carry_over"], ids=lambda c: c["why"])
def test_carry_over(case):
    old, new = _scenes(case["cuts"], case["end"]), _scenes(case["new_cuts"], case["end"])
    number_of = {s.start_frame: s.number for s in old}
    start_of = {s.number: s.start_frame for s in new}
    selection, groups = carry_choices(old, new, [number_of[f] for f in case["selection"]],
                                      [[number_of[f] for f in g] for g in case["groups"]])
    assert [start_of[n] for n in selection] == case["want_selection"]
    assert [[start_of[n] for n in g] for g in groups] == case["want_groups"]


@pytest.mark.parametrize("case", CASES["notes_carry"], ids=lambda c: c["why"])
def test_notes_carry_over(case):
    from backend.db.session_spec import SceneNote
    from backend.jobs.project import carry_notes

    notes = [SceneNote(start_frame=n["start"], label=n["label"], note=n["note"]) for n in case["notes"]]
    got = carry_notes(notes, case["new_starts"])
    assert [{"start": n.start_frame, "label": n.label, "note": n.note} for n in got] == case["want"]
