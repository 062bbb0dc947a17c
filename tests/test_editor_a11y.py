"""Every screen of the page, checked by axe-core (WCAG 2 A and AA rules) in headless Chromium at
1024x640 (the editor's toolbar also at the desktop window's minimum, 960x600): the start screen with its forms and lists, the
editor (and its grid, keys box and About box), the export screen, history, presets with a preset
open, settings. The toolbar fits; the page loads without a console error (its icon is there)."""

from __future__ import annotations

import os

from App.geometry import MINIMUM as WINDOW_MINIMUM

from editor_page import axe_violations, chromium, create_project, save_screenshot, wait_saved


def check(page, where: str, found: dict) -> None:
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    violations = axe_violations(page)
    if violations:
        found[where] = violations


def test_every_screen_passes_axe_at_the_minimum_size(editor_server, media_dir, tmp_path):
    url, _ = editor_server
    found: dict[str, list[str]] = {}
    console: list[str] = []
    with chromium(viewport=(1024, 640), bypass_csp=True) as page:
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.on("response", lambda r: console.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto(url)
        page.wait_for_function("() => document.querySelector('#f-preset')?.options.length > 0")
        page.wait_for_selector("#recent .empty, #recent table")
        assert console == [], console
        # every field of the new-project form inside its panel (they ran under the next column)
        assert page.evaluate("""() => { const p = document.querySelector('#new-project').getBoundingClientRect();
            return [...document.querySelectorAll('#new-project input, #new-project select, #new-project button')]
              .every((e) => e.getBoundingClientRect().right <= p.right); }""")
        check(page, "start", found)
        # the encoder list says what doctor proved (x264 encodes on every machine the tests run on)
        page.wait_for_function("() => /proven here/.test(document.querySelector('#f-encoder option[value=x264]').textContent)")
        # the start form says everything missing at once, in words, next to each field
        page.fill("#f-date", "")
        page.click("#create")
        errors = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#new-project .field.invalid')]
            .map((b) => [b.dataset.field, b.querySelector('.error').textContent]))""")
        assert set(errors) == {"master", "artwork", "date", "out"}, errors
        assert not any("--" in e for e in errors.values()), errors
        check(page, "start with errors", found)
        save_screenshot(page, os.environ.get("VIDEO_ARCHIVE_SCREENSHOTS"), "start-errors")
        page.click("#about-button")
        check(page, "about", found)
        page.keyboard.press("Escape")
        # the desktop shell's close question (App/shell.py calls these): it opens with the focus
        # on "Keep working", and goes by itself when the export finishes behind it
        page.evaluate("() => window.videoArchive.askClose('\u201cReach\u201d')")
        assert page.evaluate("() => document.activeElement.id") == "close-keep"
        check(page, "close question", found)
        page.evaluate("() => window.videoArchive.closeAskDone('\u201cReach\u201d')")
        assert page.locator("#close-ask").is_hidden()

        # an ISO date is taken (the archive is named YY-MM-DD)
        create_project(page, url, media_dir / "counter.mp4", "Reach", tmp_path / "out", date="2026-11-25")
        assert (tmp_path / "out" / "26-11-25_Reach").is_dir()
        wait_saved(page) if page.text_content("#save-state") else None
        # the toolbar fits: Export… is on screen at 1024 px
        box = page.locator("#export").bounding_box()
        assert box and box["x"] + box["width"] <= 1024 and box["y"] + box["height"] <= 640, box
        # and at the desktop window's minimum size (its page area): every toolbar button on screen
        page.set_viewport_size({"width": WINDOW_MINIMUM[0], "height": WINDOW_MINIMUM[1]})
        off = page.evaluate("""([w, h]) => [...document.querySelectorAll('.toolbar button, .toolbar select, .toolbar input')]
            .filter((b) => b.offsetParent).map((b) => [b.id || b.textContent, b.getBoundingClientRect()])
            .filter(([, r]) => r.right > w || r.bottom > h || r.left < 0).map(([n]) => n)""", list(WINDOW_MINIMUM))
        assert off == [], off
        page.set_viewport_size({"width": 1024, "height": 640})
        check(page, "editor", found)
        # the timeline has a name and shows where the focus is
        page.locator("canvas#timeline").focus()
        ring = page.evaluate("() => getComputedStyle(document.querySelector('canvas#timeline')).outlineStyle")
        assert ring != "none"
        page.keyboard.press("?")
        check(page, "keys", found)
        page.keyboard.press("Escape")
        page.keyboard.press("g")
        page.wait_for_selector("#grid:not([hidden]) .cell")
        check(page, "grid", found)
        page.keyboard.press("g")

        page.click("#export")
        page.wait_for_selector("#screen-export:not([hidden]) #export-start")
        assert page.get_attribute("#export-bar", "role") == "progressbar"
        page.wait_for_function("() => /Not started/.test(document.querySelector('#export-line').textContent)")
        check(page, "export", found)

        for name, ready in (("history", "#screen-history:not([hidden]) .panel"), ("presets", "#screen-presets:not([hidden]) table"),
                            ("settings", "#screen-settings:not([hidden]) .panel")):
            page.click(f"[data-nav={name}]")
            page.wait_for_selector(ready)
            check(page, name, found)
        # settings with a fixed list of values are lists, not free text
        assert page.evaluate("() => document.querySelector('#setting-encoder_preference').tagName") == "SELECT"
        assert page.evaluate("() => document.querySelector('#setting-archive_layout').tagName") == "SELECT"
        # what the app remembers (the window's place, the last folders) is no typed setting: shown in
        # words with a Forget button that works
        assert page.locator("#setting-window_geometry").count() == 0
        page.evaluate("() => window.videoArchive.bridge.call('settings.set', {key: 'window_geometry', value: {width: 1200, height: 760, x: 10, y: 20}})")
        page.click("[data-nav=history]")
        page.click("[data-nav=settings]")
        page.wait_for_selector("#remembered-window_geometry")
        assert page.text_content("#remembered-window_geometry") == "1200 × 760 at 10, 20"
        page.click("#forget-window_geometry")
        page.wait_for_function("() => document.querySelector('#forget-window_geometry').disabled")
        assert page.evaluate("() => window.videoArchive.bridge.call('settings.get', {key: 'window_geometry'})")["value"] is None
        check(page, "settings, remembered", found)
        page.click("[data-nav=presets]")
        page.click("#screen-presets table button")
        page.wait_for_selector("#preset-editor form")
        check(page, "preset", found)
        assert not page.errors, page.errors
    assert found == {}, found
