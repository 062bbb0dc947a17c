"""Child process of tests/test_app_window.py: opens the real desktop window (App/shell.py on Qt
WebEngine, under the Xvfb display in DISPLAY), does a short flow through the page as a person
would (create a project, wait for the ingest, add a cut, export), grabs the screen at each step
and prints one JSON line with what it saw. Usage: app_window_child.py DB MASTER OUT SHOTS"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from App.shell import exit_process, run  # noqa: E402
from window_driver import until_painted, wait  # noqa: E402
from backend.media.ffmpeg import command  # noqa: E402

DB, MASTER, OUT, SHOTS = sys.argv[1:5]
SIZE = (1440, 900)
result: dict = {"steps": []}


def grab(name: str, painted_bytes: int = 10_000, within_s: float = 15) -> None:
    """The screen as a PNG (small for docs/screens: 1024 wide, 256 colours), once the window has
    painted what the page holds; the parent asserts the size."""
    out = Path(SHOTS) / f"{name}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    import os
    from PIL import Image

    def take() -> None:
        subprocess.run(command(["-y", "-f", "x11grab", "-draw_mouse", "0", "-video_size", f"{SIZE[0]}x{SIZE[1]}",
                                "-i", f"{os.environ['DISPLAY']}+0,0", "-frames:v", "1", str(out)]),
                       check=True, timeout=30, capture_output=True)
        image = Image.open(out).convert("RGB")
        image = image.resize((1024, round(image.height * 1024 / image.width)), Image.LANCZOS)
        image.quantize(256, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)

    until_painted(take, lambda: out.stat().st_size > painted_bytes, within_s)


def key(window, name: str) -> None:
    window.evaluate_js(f"document.dispatchEvent(new KeyboardEvent('keydown', {{key: {json.dumps(name)}, bubbles: true}}))")


def check_sound(window) -> dict:
    """The waveform lane, the sound decoded at 1x (Qt WebEngine plays the proxy's Opus), M."""
    seen = {"lane": window.evaluate_js("(() => { const l = window.videoArchive.editor.timeline.lanes.wave; return l[1] - l[0]; })()")}
    key(window, " ")
    seen["audio_bytes"] = wait(window, "document.querySelector('#proxy').webkitAudioDecodedByteCount", 20, "decoded sound")
    seen["muted_playing"] = window.evaluate_js("document.querySelector('#proxy').muted")
    key(window, "m")
    seen["muted_after_m"] = window.evaluate_js("document.querySelector('#proxy').muted")
    key(window, "m")
    key(window, "k")
    return seen


def drive(window) -> None:
    try:
        wait(window, "!!document.querySelector('#new-project') && document.querySelector('#f-preset').options.length > 0", 60, "the start screen")
        result["transport"] = window.evaluate_js("document.getElementById('connection').textContent")
        result["dialogs"] = window.evaluate_js("typeof window.pywebview.api.pick_file === 'function'")
        grab("app-start")
        window.evaluate_js(f"""(() => {{ const set = (id, v) => {{ document.getElementById(id).value = v; }};
            set('f-master', {json.dumps(MASTER)}); set('f-artwork', 'Window Test'); set('f-date', '26-11-25');
            set('f-out', {json.dumps(OUT)}); document.getElementById('create').click(); return true; }})()""")
        result["steps"].append("created")
        wait(window, "!!(window.videoArchive.editor && window.videoArchive.editor.scores && !document.getElementById('screen-editor').hidden)", 180, "the editor after ingest")
        result["steps"].append("ingested")
        time.sleep(1.0)
        result["sound"] = check_sound(window)
        result["cuts_before"] = window.evaluate_js("window.videoArchive.editor.state.cuts")
        window.evaluate_js("""(() => {
            document.dispatchEvent(new KeyboardEvent('keydown', {key: 'End', bubbles: true}));
            for (let i = 0; i < 5; i++) document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowLeft', bubbles: true}));
            document.dispatchEvent(new KeyboardEvent('keydown', {key: 'c', bubbles: true})); return true; })()""")
        result["cuts_after"] = window.evaluate_js("window.videoArchive.editor.state.cuts")
        wait(window, "document.querySelector('#save-state').textContent === 'All changes saved'", 30, "the autosave")
        # the playhead rests after those keys: the master's own frame comes by itself
        result["sharp"] = wait(window, """(() => { const b = document.querySelector('#source'), i = document.querySelector('#still');
            return b.dataset.source === 'master' && !i.hidden && i.complete && i.naturalWidth > 0
              && {width: i.naturalWidth, height: i.naturalHeight, hud: document.querySelector('#hud').dataset.frame,
                  viewer: Object.values(window.videoArchive.editor.viewerPixels()),
                  playhead: window.videoArchive.editor.state.playhead}; })()""", 30, "the master's frame after a rest")
        wait(window, "['#review-before', '#review-after'].every((id) => { const i = document.querySelector(id); return i && i.complete && i.naturalWidth > 0; })", 60, "the cut review's frames")
        grab("app-editor")
        window.evaluate_js("document.getElementById('export').click()")
        wait(window, "!!document.querySelector('#screen-export:not([hidden]) #export-start')", 30, "the export screen")
        window.evaluate_js("document.getElementById('export-start').click()")
        result["archive"] = wait(window, "document.querySelector('#archive-path') && document.querySelector('#archive-path').textContent", 600, "the export")
        time.sleep(1)  # let the window paint the report before the screen is grabbed
        grab("app-export")
        result["errors"] = window.evaluate_js("(() => { const b = document.getElementById('banner'); return b.hidden || b.classList.contains('info') ? null : document.getElementById('banner-text').textContent; })()")  # an info banner (the name made safe) is no error
    except Exception as exc:  # reported to the parent
        result["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        window.destroy()


opened: list[str] = []  # auto_open_output is on by default: recorded, never a real file manager
run(DB, on_started=drive, open_folder=lambda folder: opened.append(str(folder)))
result["opened"] = opened
print("APP-RESULT " + json.dumps(result), flush=True)
exit_process(0)
