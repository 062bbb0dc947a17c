"""One rule for a project's date everywhere (backend.jobs.inputs.check_date): YY-MM-DD, or an ISO
YYYY-MM-DD of the same day, kept as YY-MM-DD; anything else refused with the format hint. The page
runs the same cases (tests/data/editor_rules.json, "dates")."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from backend.errors import InputError
from backend.jobs import project
from backend.jobs.inputs import check_date
from backend.jobs.request import ProcessRequest

# the days YY-MM-DD can name (strptime's %y: 69-99 are 19xx, 00-68 are 20xx)
days = st.dates(min_value=dt.date(1969, 1, 1), max_value=dt.date(2068, 12, 31))


@given(days)
def test_an_iso_date_is_the_same_day_as_yy_mm_dd(day):
    short = day.strftime("%y-%m-%d")
    assert check_date(day.isoformat()) == short
    assert check_date(short) == short
    assert check_date(f" {short}\t") == short            # idempotent, blanks around ignored


@given(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_every_real_iso_day_is_taken_as_a_real_yy_day(day):
    short = check_date(day.isoformat())
    assert short.endswith(day.strftime("-%m-%d")) and short[:2] == f"{day.year % 100:02d}"
    assert check_date(short) == short   # Feb 29 of a leap year lands on a leap year again


@given(st.integers(1000, 9999), st.integers(1, 12), st.integers(1, 31))
def test_a_day_that_does_not_exist_is_refused(year, month, day):
    try:
        dt.date(year, month, day)
    except ValueError:
        with pytest.raises(InputError, match="use YY-MM-DD or YYYY-MM-DD") as err:
            check_date(f"{year}-{month:02d}-{day:02d}")
        assert err.value.field == "date"


@given(st.text(max_size=12))
def test_other_text_is_refused_or_read_as_one_of_the_two_forms(text):
    try:
        short = check_date(text)
    except InputError as exc:
        assert exc.field == "date" and "e.g. 24-03-15" in str(exc)
    else:
        assert check_date(short) == short and len(short) == 8


def test_the_core_names_the_archive_with_the_short_date(db, media_dir, tmp_path):
    """What the CLI, the bridge's project.create and the add-on (through the CLI) all call."""
    created = project.create(db, ProcessRequest(
        master=str(media_dir / "counter.mp4"), artwork="Iso Day", date="2026-12-04",
        out=str(tmp_path / "out")))
    assert created.archive_path.endswith("26-12-04_Iso-Day")
