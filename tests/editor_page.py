"""Driving the editor page as a person does, for the browser tests and bench/ui: a real
`video-archive serve` in a child process, headless Chromium through Playwright, and helpers that
press keys, drag on the timeline canvas and read back what the page shows."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

import browser

REPO = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def serve(db_path: Path, *, env: dict | None = None) -> Iterator[str]:
    """`video-archive --db DB serve --no-browser`; yields the address it prints first."""
    script = Path(sys.executable).with_name("video-archive")
    argv = [str(script)] if script.is_file() else [sys.executable, "-m", "backend.cli.main"]
    proc = subprocess.Popen([*argv, "--db", str(db_path), "serve", "--no-browser"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, **(env or {})), start_new_session=True)
    try:
        line = proc.stdout.readline().strip()
        if not line.startswith("http://127.0.0.1:"):
            proc.kill()
            raise AssertionError(f"serve printed {line!r} first; stderr: {proc.stderr.read()[-2000:]}")
        yield line
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def chromium(viewport=(1280, 760), bypass_csp: bool = False) -> Iterator[object]:
    """A page in headless Chromium; `bypass_csp` lets a test add its own script (axe-core) to a
    page whose Content-Security-Policy allows only the page's own."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(browser.CHROMIUM), args=browser.CHROMIUM_FLAGS)
        try:
            page = b.new_page(viewport={"width": viewport[0], "height": viewport[1]}, bypass_csp=bypass_csp)
            page.errors = []
            page.on("pageerror", lambda e: page.errors.append(str(e)))
            yield page
        finally:
            b.close()


# --- reading the page ---------------------------------------------------------------------------

STATE_JS = """() => { const e = window.videoArchive.editor; const s = e.state;
  return {cuts: s.cuts, selection: s.selection, threshold: s.threshold, minSceneLen: s.minSceneLen,
          playhead: s.playhead, selectedCut: s.selectedCut,
          groups: s.groups.map((g) => ({name: g.name, color: g.color, scenes: g.scenes})),
          saved: document.querySelector('#save-state').textContent}; }"""


def state(page) -> dict:
    return page.evaluate(STATE_JS)


def wait_saved(page, timeout_s: float = 20) -> None:
    page.wait_for_function("() => document.querySelector('#save-state').textContent === 'All changes saved'"
                           " && !window.videoArchive.editor.saving", timeout=timeout_s * 1000)


def save_screenshot(page, folder: str | Path | None, name: str, width: int = 1024) -> None:
    """A small PNG of the page for docs/screens: scaled to `width`, 256 colours."""
    if not folder:
        return
    from io import BytesIO

    from PIL import Image

    Path(folder).mkdir(parents=True, exist_ok=True)
    image = Image.open(BytesIO(page.screenshot())).convert("RGB")
    image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    image.quantize(256, method=Image.Quantize.MEDIANCUT).save(Path(folder) / f"{name}.png", optimize=True)


def create_project(page, url: str, master: Path, artwork: str, out: Path, rd: Path | None = None,
                   on_ingest=None, preset: str | None = None, date: str = "26-11-25") -> str:
    page.goto(url)
    page.wait_for_selector("#new-project")
    page.wait_for_function("() => document.querySelector('#f-preset').options.length > 0")
    page.fill("#f-master", str(master))
    page.fill("#f-artwork", artwork)
    page.fill("#f-date", date)
    if rd:
        page.fill("#f-rd", str(rd))
    page.fill("#f-out", str(out))
    if preset:
        page.select_option("#f-preset", preset)
    page.click("#create")
    if on_ingest is not None:
        try:
            page.wait_for_selector("#screen-ingest:not([hidden]) #ingest-line", timeout=10_000)
            page.wait_for_function("() => /frames/.test(document.querySelector('#ingest-line').textContent)", timeout=10_000)
            on_ingest()
        except Exception:  # noqa: BLE001 - an ingest that finished first has no progress to show
            pass
    page.wait_for_selector("#screen-editor:not([hidden]) canvas#timeline", timeout=180_000)
    page.wait_for_function("() => window.videoArchive.editor && window.videoArchive.editor.scores", timeout=30_000)
    # the sharp proxy, made after the ingest, is in place: the frames on screen are its frames
    page.wait_for_function("() => !window.videoArchive.editor.proxyPending", timeout=180_000)
    return page.evaluate("() => window.videoArchive.editor.sessionId")


def wait_frame_shown(page, timeout_s: float = 10) -> None:
    """Until the viewer has no seek in flight, then two display frames more."""
    page.wait_for_function("""() => { const v = window.videoArchive.editor.viewer, el = v.onScreen;
        return el.readyState >= 2 && !el.seeking && v.target == null && v.queued == null
               && v.presented === window.videoArchive.editor.state.playhead; }""", timeout=timeout_s * 1000)
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def shown_luma(page, box: tuple[int, int, int, int]) -> np.ndarray:
    """Luma of the picture of the video element on top (viewer.js: the playing or the scrubbing
    proxy) at its own size, inside box (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    values = page.evaluate(f"""() => {{ const v = window.videoArchive.editor.viewer.onScreen;
        const c = document.createElement('canvas'); c.width = v.videoWidth; c.height = v.videoHeight;
        const x = c.getContext('2d', {{willReadFrequently: true}}); x.drawImage(v, 0, 0);
        const d = x.getImageData({x0}, {y0}, {x1 - x0}, {y1 - y0}).data; const out = new Array(d.length / 4);
        for (let i = 0; i < out.length; i++) out[i] = 0.2126 * d[4*i] + 0.7152 * d[4*i+1] + 0.0722 * d[4*i+2];
        return out; }}""")
    return np.asarray(values, dtype=np.float64).reshape(y1 - y0, x1 - x0)


class Reference:
    """Every frame of the proxy decoded here, and the part of the picture where frames differ
    (on counter.mp4: the number), so that telling frame 23 from 28 does not drown in the rest."""

    def __init__(self, proxy: Path):
        lumas = []
        with av.open(str(proxy)) as container:
            for frame in container.decode(video=0):
                rgb = frame.to_ndarray(format="rgb24").astype(np.float64)
                lumas.append(rgb @ np.array([0.2126, 0.7152, 0.0722]))
        stack = np.stack(lumas)
        changing = np.argwhere(stack.std(axis=0) > 8)
        (y0, x0), (y1, x1) = changing.min(axis=0), changing.max(axis=0) + 1
        self.box = (int(x0), int(y0), int(x1), int(y1))
        self.crops = [luma[y0:y1, x0:x1] for luma in lumas]

    def __len__(self) -> int:
        return len(self.crops)

    def frame_on_screen(self, page) -> int:
        shown = shown_luma(page, self.box)
        errors = [float(np.abs(shown - ref).mean()) for ref in self.crops]
        return int(np.argmin(errors))


# --- acting on the timeline ---------------------------------------------------------------------

def canvas_point(page, *, frame: float | None = None, lane: str, value: float | None = None) -> tuple[float, float]:
    """Page coordinates of `frame` (its middle) in `lane`, or of the threshold `value` in the graph."""
    return tuple(page.evaluate("""([frame, lane, value]) => {
        const t = window.videoArchive.editor.timeline; const r = t.canvas.getBoundingClientRect();
        const [top, bottom] = t.lanes[lane];
        const x = frame == null ? r.width / 2 : t.xOf(frame + 0.5);
        const y = value == null ? (top + bottom) / 2 : t.thresholdY(value);
        return [r.left + x, r.top + y]; }""", [frame, lane, value]))


def cut_point(page, cut: int, lane: str = "scenes") -> tuple[float, float]:
    return tuple(page.evaluate("""([cut, lane]) => {
        const t = window.videoArchive.editor.timeline; const r = t.canvas.getBoundingClientRect();
        const [top, bottom] = t.lanes[lane]; return [r.left + t.xOf(cut), r.top + (top + bottom) / 2]; }""",
        [cut, lane]))


def drag(page, start: tuple[float, float], end: tuple[float, float], steps: int = 12, modifiers=()) -> None:
    for key in modifiers:
        page.keyboard.down(key)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=steps)
    page.mouse.up()
    for key in modifiers:
        page.keyboard.up(key)


def box_of(locator, timeout_s: float = 10) -> dict:
    """The element's box once it is on screen: a panel redrawn between finding and measuring
    gives None for a moment, which a person's eye never sees."""
    return wait_until(locator.bounding_box, timeout_s, "an element on screen", every=0.05)


def press(page, key: str, times: int = 1) -> None:
    page.locator("canvas#timeline").focus()
    for _ in range(times):
        page.keyboard.press(key)


def wait_until(predicate, timeout_s: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(every)


# --- accessibility -------------------------------------------------------------------------------

def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2 A and AA violations on the page as it is now, one line each (rule: the
    elements). axe-core comes with the axe-playwright-python package (installed by
    scripts/bootstrap test), so it runs offline."""
    import axe_playwright_python

    script = Path(axe_playwright_python.__file__).with_name("axe.min.js")
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(path=str(script))
    found = page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})
        .then((r) => r.violations.map((v) => `${v.id}: ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(', ')}`))""")
    return list(found)
