"""Output names: byte limits (UTF-8, not characters), shortening that never splits a character,
temporary names that always fit, and the plan check that refuses two outputs on one path."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from backend.errors import InputError
from backend.jobs.inputs import ARTWORK_MAX_BYTES, check_groups, safe_name
from backend.media.atomic import atomic_output, is_partial, partial_name
from backend.media.file_names import NAME_MAX_BYTES, byte_len, cut_to_bytes, fit_name
from backend.ops.base import Unit
from backend.ops.output_paths import UniqueNames, check_plan, path_key


def unit(name: str, *outputs: str) -> Unit:
    return Unit(op="test", name=name, stage=1, outputs=list(outputs))


@pytest.mark.parametrize("text", ["漢字" * 200, "é" * 300, "e\u0301" * 150, "😀" * 100,
                                  "a-" * 200, "ab" * 200 + "é", "x" * 1000])
@pytest.mark.parametrize("limit", [1, 2, 3, 10, 100, 254, 255])
def test_cut_to_bytes_keeps_whole_characters(text, limit):
    cut = cut_to_bytes(text, limit)
    assert byte_len(cut) <= limit
    assert text.startswith(cut)
    assert not cut.endswith(("-", "_", ".", " "))
    # never a letter without the accents that follow it in the text
    assert not (len(cut) < len(text) and unicodedata.combining(text[len(cut)])) or cut == ""


@pytest.mark.parametrize("name", ["漢" * 120 + ".tif", "x" * 300 + ".jpg", "é" * 200,
                                  "a." + "b" * 300, "e\u0301" * 100 + ".png"])
def test_fit_name_keeps_the_extension_and_fits(name):
    fitted = fit_name(name)
    assert byte_len(fitted) <= NAME_MAX_BYTES
    if name.endswith((".tif", ".jpg", ".png")):
        assert fitted.endswith(name[-4:])
    assert "~" in fitted  # a shortened name says so, with a hash of the whole name
    assert fit_name(name) == fitted  # deterministic


def test_shortened_names_that_begin_alike_stay_distinct():
    names = {fit_name("漢" * 100 + suffix + ".jpg") for suffix in ("a", "b", "c", "漢")}
    assert len(names) == 4


@pytest.mark.parametrize("stem_bytes", [200, 236, 240, 250, 251])
@pytest.mark.parametrize("char", ["x", "é", "漢"])
def test_temporary_names_fit_whenever_the_final_name_fits(tmp_path, stem_bytes, char):
    stem = cut_to_bytes(char * stem_bytes, stem_bytes)
    final = tmp_path / f"{stem}.jpg"
    assert byte_len(final.name) <= NAME_MAX_BYTES
    temp = partial_name(final)
    assert byte_len(temp.name) <= NAME_MAX_BYTES and is_partial(temp) and temp.suffix == ".jpg"
    with atomic_output(final) as t:  # the file system agrees
        t.write_bytes(b"data")
    assert final.read_bytes() == b"data"


def test_temporary_name_of_a_255_byte_name_without_extension(tmp_path):
    final = tmp_path / ("n" * 255)
    with atomic_output(final) as t:
        assert byte_len(t.name) <= NAME_MAX_BYTES
        t.write_bytes(b"x")
    assert final.is_file()


@pytest.mark.parametrize("artwork", ["漢" * 300, "漢" * 75, "é" * 130, "Ünïcödé " * 40,
                                     "a" * 119 + "漢", "-" * 5 + "漢" * 60 + "-" * 5])
def test_artwork_names_are_limited_in_bytes(artwork):
    name, warning = safe_name(artwork)
    assert byte_len(name) <= ARTWORK_MAX_BYTES
    assert not name.endswith("-") and not name.startswith("-")
    assert warning and repr(name) in warning


def test_long_artwork_names_that_begin_alike_get_two_folders():
    assert safe_name("漢" * 100 + "A")[0] != safe_name("漢" * 100 + "B")[0]


@pytest.mark.parametrize("groups", [{"Intro": [1], "intro": [2]}, {"Été": [1], "ÉTÉ": [2]},
                                    {"e\u0301t": [1], "ét": [2]}, {"a b": [1], "A-B": [2]}])
def test_groups_whose_folders_differ_only_by_case_are_refused(groups):
    with pytest.raises(InputError, match="same folder name"):
        check_groups(groups)


# --- UniqueNames ---------------------------------------------------------------------------------

def test_unique_names_by_case_and_normalisation():
    names = UniqueNames()
    first = names.claim("rd/originals", "a.jpg", "a.jpg")
    twins = [names.claim("rd/originals", n, n) for n in ("A.jpg", "A.JPG", unicodedata.normalize("NFD", "á.jpg"))]
    twins.append(names.claim("rd/originals", "á.jpg", "other/á.jpg"))
    assert first == "rd/originals/a.jpg"
    keys = {path_key(p) for p in [first, *twins]}
    assert len(keys) == 5
    assert "~" in twins[0] and "~" in twins[1] and "~" not in twins[2] and "~" in twins[3]


def test_unique_names_alternatives_come_first():
    names = UniqueNames()
    assert names.claim("rd/compressed", "a.jpg", "a.jpg") == "rd/compressed/a.jpg"
    assert names.claim("rd/compressed", "a.jpg", "a.png", alternatives=("a.png.jpg",)) \
        == "rd/compressed/a.png.jpg"


def test_a_file_never_takes_a_folder_name():
    names = UniqueNames()
    names.reserve_folder("rd/originals/sub/deeper")
    file_ = names.claim("rd/originals", "Sub", "Sub")  # 'Sub' and 'sub/' are one name on macOS
    assert file_ != "rd/originals/Sub" and "~" in file_
    assert names.claim("rd/originals/sub", "x", "sub/x") == "rd/originals/sub/x"
    assert not names.take("rd/originals/Sub/deeper")  # a folder already


# --- check_plan ----------------------------------------------------------------------------------

@pytest.mark.parametrize("outputs,message", [
    ((("a", "x/f.jpg"), ("b", "x/f.jpg")), "would both write"),
    ((("a", "x/F.JPG"), ("b", "x/f.jpg")), "differ only by case"),
    ((("a", "x/\u00e9.jpg"), ("b", "x/e\u0301.jpg")), "would both write"),
    ((("a", "clips/s1.mp4"), ("b", "clips/s1.mp4/x.mp4")), "needs a folder"),
    ((("a", "Clips/G"), ("b", "clips/g/x.mp4")), "needs a folder"),
    ((("a", "x/" + "n" * 256),), "more than the file system's 255"),
    ((("a", "x/" + "漢" * 86 + ".jpg"),), "more than the file system's 255"),
    ((("a", "../escape.jpg"),), "not a path inside the archive"),
    ((("a", "/abs.jpg"),), "not a path inside the archive"),
    ((("a", "x//y.jpg"),), "not a path inside the archive"),
    ((("a", "x/\udcff.jpg"),), "not valid UTF-8"),
], ids=["same", "case", "normalisation", "file-folder", "file-folder-case", "long", "long-cjk",
        "dotdot", "absolute", "empty-part", "not-utf8"])
def test_check_plan_refuses(tmp_path, outputs, message):
    with pytest.raises(InputError, match=message) as err:
        check_plan([unit(n, p) for n, p in outputs], tmp_path / "archive")
    assert "\n" not in str(err.value)


def test_check_plan_refuses_a_path_longer_than_the_file_system_takes(tmp_path):
    deep = "/".join(["d" * 200] * 25) + "/f.jpg"  # 5,000 bytes
    with pytest.raises(InputError, match="the full path is"):
        check_plan([unit("a", deep)], tmp_path)


def test_check_plan_accepts_distinct_paths(tmp_path):
    check_plan([unit("a", "x/a.jpg", "x/b.jpg"), unit("b", "y/a.jpg"), unit("c", "x/" + "漢" * 80 + ".jpg")],
               tmp_path)
