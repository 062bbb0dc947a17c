"""Child process of tests/test_app_window.py: opens the real desktop window (App/shell.py on Qt
WebEngine, under the Xvfb display in DISPLAY), starts an export, then closes the window while the
export runs (the parent gives it an ffmpeg that encodes at a few times real time: a lasting
export). The close asks first (the page's own dialog, naming the artwork);
the person presses "Pause and close"; the export must then pause, not die. Prints one JSON line
with what it saw. Usage: app_close_child.py DB MASTER OUT [finish|edit]

With `finish`, the preset is the default one and nobody answers: the export finishes behind the
question, which must close itself (saying the window can be closed now); the window is then
closed again and closes without asking.

With `edit`, no export: a cut is made and the window closed at once, before the autosave's timer
sends it; the window must send it before it goes."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from App.shell import exit_process, run  # noqa: E402
from window_driver import wait  # noqa: E402

DB, MASTER, OUT = sys.argv[1:4]
FINISH = sys.argv[4:5] == ["finish"]
EDIT = sys.argv[4:5] == ["edit"]
result: dict = {"asked": []}
ASKING = "!document.getElementById('close-ask').hidden"


def drive(window) -> None:
    try:
        wait(window, "!!document.querySelector('#new-project') && document.querySelector('#f-preset').options.length > 0", 60, "the start screen")
        window.evaluate_js(f"""(() => {{ const set = (id, v) => {{ document.getElementById(id).value = v; }};
            set('f-master', {json.dumps(MASTER)}); set('f-artwork', 'Close Test'); set('f-date', '26-11-25');
            set('f-out', {json.dumps(OUT)});
            document.getElementById('create').click(); return true; }})()""")
        wait(window, "!!(window.videoArchive.editor && window.videoArchive.editor.scores && !document.getElementById('screen-editor').hidden)", 180, "the editor after ingest")
        result["session_id"] = window.evaluate_js("window.videoArchive.editor.sessionId")
        if EDIT:
            result["cuts"] = window.evaluate_js("""(() => { const e = window.videoArchive.editor;
                e.commit({...e.state, cuts: [...e.state.cuts, 7].sort((a, b) => a - b)}); return e.state.cuts; })()""")
            window.destroy()  # as the window's close button, within the autosave's 150 ms
            return
        window.evaluate_js("document.getElementById('export').click()")
        wait(window, "!!document.querySelector('#screen-export:not([hidden]) #export-start')", 30, "the export screen")
        window.evaluate_js("document.getElementById('export-start').click()")
        wait(window, "!!document.querySelector('#export-pause') && !document.querySelector('#export-pause').disabled", 60, "the running export")
        if not FINISH:
            time.sleep(3)  # well inside the paced web-master encode
        result["closing"] = time.time()
        window.destroy()  # as the window's close button: the shell has the page ask
        wait(window, ASKING, 30, "the close question")
        result["asked"].append(window.evaluate_js("document.getElementById('close-text').textContent"))
        if FINISH:  # nobody answers: the export finishes behind the question, which goes
            wait(window, "document.getElementById('close-ask').hidden", 600, "the question taking itself back")
            result["banner"] = wait(window, "[...document.querySelectorAll('#banner-text')].map((b) => b.textContent).join(' | ')", 10, "the note")
            result["archive"] = wait(window, "document.querySelector('#archive-path')?.textContent", 60, "the archive report")
            window.destroy()   # nothing runs now: it closes without asking
            return
        window.evaluate_js("document.getElementById('close-pause').click()")  # pauses, then closes the window
    except Exception as exc:  # reported to the parent
        result["error"] = f"{type(exc).__name__}: {exc}"
        window.destroy()


run(DB, on_started=drive, open_folder=lambda folder: None)
result["closed"] = time.time()
print("APP-RESULT " + json.dumps(result), flush=True)
exit_process(0)
