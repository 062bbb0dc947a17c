"""A bag manifest's paths (RFC 8493 2.1.3): every name reads back as itself under our decoding
(the RFC's: %25, %0A, %0D), and, unless it holds one of those sequences literally, under the
Library of Congress's bagit-python too, which decodes only %0A and %0D (its issue 157)."""

from __future__ import annotations

import re

import bagit
from hypothesis import given, settings, strategies as st

from backend.archive.bag import _encode_path, decode_path

names = st.text(alphabet=st.sampled_from(list("%a0AD25dx \t\r\n\x1c\x85\u2028é/")) | st.characters(
    blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=500, deadline=None)
@given(names)
def test_every_path_reads_back_as_itself(name):
    encoded = _encode_path(name)
    assert "\n" not in encoded and "\r" not in encoded
    assert decode_path(encoded) == name


@settings(max_examples=500, deadline=None)
@given(names)
def test_bagit_python_reads_every_path_without_a_literal_escape(name):
    if re.search(r"%(25|0A|0D)", name, re.IGNORECASE):
        assert bagit._decode_filename(_encode_path(name)) != name  # the RFC's way wins here
        return
    assert bagit._decode_filename(_encode_path(name)) == name


def test_examples():
    assert _encode_path("data/100% final.png") == "data/100% final.png"
    assert _encode_path("data/a\nb%.txt") == "data/a%0Ab%.txt"
    assert _encode_path("data/lit%0A.txt") == "data/lit%250A.txt"
    assert decode_path("data/lit%250A%0d.txt") == "data/lit%0A\r.txt"
