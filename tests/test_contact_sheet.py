"""The offline contact sheet (index.html at the archive's root) in headless Chromium from a
file:// URL: every image loads, every link resolves to a file of the archive (or an anchor of
the page), no console errors, nothing fetched from outside the archive; in both layouts."""

from __future__ import annotations

import os
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

import browser
from backend.db import open_db
from backend.jobs.request import ProcessRequest
from backend.jobs import project
from archive_checks import FAST_OVERRIDES

REPO = Path(__file__).resolve().parent.parent
SCREENSHOT = REPO / "docs" / "contact-sheet.png"

# Waits for every image, then reports what the page shows and where its links point.
CHECK = """
(async () => {
  const images = [...document.images];
  await Promise.all(images.map((img) => img.complete ? null :
    new Promise((done) => { img.onload = done; img.onerror = done; })));
  return {
    images: images.map((img) => ({src: img.src, loaded: img.complete && img.naturalWidth > 0})),
    links: [...document.querySelectorAll("a[href]")].map((a) => a.href),
    sceneLinks: [...document.querySelectorAll("figure a[href]")].map((a) => a.href),
    ids: [...document.querySelectorAll("[id]")].map((el) => el.id),
    scenes: document.querySelectorAll("figure[id^=scene-]").length,
    scripts: document.scripts.length,
    text: document.body.innerText,
  };
})()
"""


class Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.refs += [value for name, value in attrs if name in ("href", "src") and value]


@pytest.fixture(scope="module")
def archives(tmp_path_factory, media_dir) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("sheets")
    db = open_db(root / "state.db")
    made = {}
    try:
        for layout in ("folder", "bagit"):
            outcome = project.process(db, ProcessRequest(
                master=str(media_dir / "testvideo.mp4"), artwork="Contact Sheet", date="26-11-25",
                out=str(root / layout), groups={"intro": [1, 2]}, scenes="1-3", layout=layout,
                rd=str(media_dir / "rd-sample"), overrides=FAST_OVERRIDES))
            assert outcome.status == "completed", outcome.error
            made[layout] = Path(outcome.archive_path)
    finally:
        db.close()
    return made


@pytest.mark.parametrize("layout", ["folder", "bagit"])
def test_the_page_is_self_contained_and_every_reference_is_in_the_archive(archives, layout):
    archive = archives[layout]
    page = archive / "index.html"
    parser = Refs()
    parser.feed(page.read_text("utf-8"))
    assert "script" not in parser.tags and "iframe" not in parser.tags
    assert not [t for t in parser.tags if t == "link"], "no external stylesheets or fonts"
    assert "@import" not in page.read_text() and "url(" not in page.read_text()
    ids = set()
    for ref in parser.refs:
        parts = urlsplit(ref)
        assert not parts.scheme and not parts.netloc, f"{ref}: not a relative link"
        if ref.startswith("#"):
            ids.add(ref[1:])
            continue
        target = (archive / unquote(parts.path)).resolve()
        assert target.is_relative_to(archive.resolve()) and target.is_file(), ref
    assert all(f'id="{i}"' in page.read_text() for i in ids)


@pytest.mark.parametrize("layout", ["folder", "bagit"])
def test_the_sheet_in_headless_chromium_from_file_url(archives, layout, tmp_path):
    browser.require_system_deps()
    archive = archives[layout]
    shot = tmp_path / "sheet.png"
    console: list[str] = []
    seen = browser.evaluate_in_chromium(archive.joinpath("index.html").as_uri(), CHECK, timeout=90,
                                        screenshot=shot, console=console)
    assert console == [], console  # no console errors, no failed loads
    assert seen["scripts"] == 0
    assert seen["images"] and all(img["loaded"] for img in seen["images"]), seen["images"]
    for url in [img["src"] for img in seen["images"]] + seen["links"]:
        parts = urlsplit(url)
        assert parts.scheme == "file", url
        if parts.fragment and Path(unquote(parts.path)) == archive / "index.html":
            assert parts.fragment in seen["ids"], url
            continue
        target = Path(unquote(parts.path))
        assert target.is_relative_to(archive) and target.is_file(), url

    # every scene: its still, number, timecode in and out, frames, group, clip and HQ still
    text = seen["text"]
    scenes = sorted((archive / ("data" if layout == "bagit" else "") / "clips").rglob("*_s0*.mp4"))
    assert seen["scenes"] >= len(scenes) == 3
    for number, tc_in, tc_out in ((1, "00:00:00:00", "00:00:00:29"), (2, "00:00:01:00", "00:00:05:29")):
        assert f"Scene {number:03d}" in text and f"{tc_in} – {tc_out}" in text
    assert "30 frames" in text and "intro" in text and "HQ still" in text
    clip_links = {u for u in seen["sceneLinks"] if "/clips/" in u}
    still_links = {u for u in seen["sceneLinks"] if "/stills/hq/" in u}
    assert len(clip_links) == len(still_links) == 3
    for section in ("Groups", "R&D files", "Metadata", "Checksums", "© Yambo Studio"):
        assert section in text
    assert shot.stat().st_size > 10_000
    if layout == "folder" and os.environ.get("UPDATE_DOCS_SCREENSHOTS"):
        shutil.copyfile(shot, SCREENSHOT)
