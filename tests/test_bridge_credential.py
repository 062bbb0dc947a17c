"""The bridge's credential is scoped to this server and never leaks, checked in real Chromium:
another server on loopback, opened in the same browser after the editor, sees no credential and
cannot break the editor by setting cookies; `serve` hands the browser a private file, so neither
`ps` nor the browser's profile (history, session storage, cache) ever holds the token."""

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest

import browser
from bridge.http import FRONTEND
from bridge_client import running

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 120


@contextlib.contextmanager
def other_loopback_server(editor_port: int):
    """A dev server on another loopback port: records every header it is sent, and sets cookies
    named as the editor's would be, for 127.0.0.1 and every path."""
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the base class's name
            seen.append(dict(self.headers.items()))
            body = b"<!doctype html><title>dev server</title>"
            self.send_response(200)
            for name in (f"va_token_{editor_port}", "va_token", "token", "session"):
                self.send_header("Set-Cookie", f"{name}=garbage; Path=/")
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", seen
    finally:
        server.shutdown()
        server.server_close()


EDITOR_CHECK = """(async () => {
  const until = async (test) => { while (!test()) await new Promise((r) => setTimeout(r, 50)); };
  await until(() => window.videoArchive && window.videoArchive.bridge);
  const bridge = window.videoArchive.bridge;
  const out = {href: location.href, cookies: document.cookie};
  out.ping = (await bridge.call("system.ping")).time > 0;
  const media = await fetch(%(media)s);
  out.media = media.status + " " + (await media.arrayBuffer()).byteLength;
  // main.js records each connection event of the page's own event stream
  out.events = await Promise.race([
    until(() => window.videoArchive.lostConnection === false).then(() => "open"),
    new Promise((res) => setTimeout(() => res("timeout"), 15000))]);
  return out;
})()"""


def test_another_loopback_server_sees_no_credential_and_cannot_break_the_editor(db_path, tmp_path):
    browser.require_system_deps()
    clip = tmp_path / "clip.bin"
    clip.write_bytes(b"x" * 5000)
    with running(db_path, FRONTEND) as served:
        media_url = served.server.bridge.media_url(clip, "s1")
        with other_loopback_server(served.port) as (dev, seen):
            first = f"{served.base}/#code={served.server.new_code()}"
            again = f"{served.base}/#code={served.server.new_code()}"
            result = browser.evaluate_in_chromium(
                again, EDITOR_CHECK % {"media": json.dumps(media_url)}, timeout=TIMEOUT,
                visit_first=(first, dev))
    assert seen, "the browser never reached the other server"
    secrets = (served.token, served.server.secret)
    for headers in seen:
        for name, value in headers.items():
            assert not any(s in value for s in secrets), f"{name}: {value}"
    assert result["ping"] is True and result["media"] == "200 5000" and result["events"] == "open"
    assert "code=" not in result["href"]


def _fake_browser(tmp_path: Path) -> tuple[Path, Path]:
    """A BROWSER command that records what it was asked to open and that file's mode."""
    record = tmp_path / "browser-record.json"
    fake = tmp_path / "fake-browser"
    fake.write_text(f"#!{sys.executable}\n"
                    "import json, os, stat, sys, urllib.parse\n"
                    "path = urllib.parse.unquote(urllib.parse.urlsplit(sys.argv[-1]).path)\n"
                    f"json.dump({{'argv': sys.argv, 'path': path,\n"
                    "           'mode': stat.S_IMODE(os.stat(path).st_mode),\n"
                    "           'text': open(path).read()},\n"
                    f"          open({str(record)!r}, 'w'))\n")
    fake.chmod(0o755)
    return fake, record


def _wait_for(path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.1)
    time.sleep(0.2)  # written whole


def test_ps_and_the_browser_profile_never_hold_the_token(db_path, tmp_path):
    browser.require_system_deps()
    from playwright.sync_api import sync_playwright

    fake, record = _fake_browser(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "backend.cli.main", "--db", str(db_path),
                             "serve"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=dict(os.environ, BROWSER=str(fake)))
    try:
        token = re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=(\S+)",
                             proc.stdout.readline().strip()).group(1)
        _wait_for(record)
        opened = json.loads(record.read_text())
        assert token not in " ".join(opened["argv"]) and token not in opened["text"]
        assert opened["mode"] == 0o600 and "#code=" in opened["text"]
        profile = tmp_path / "profile"
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                str(profile), executable_path=str(browser.CHROMIUM), headless=True,
                args=browser.CHROMIUM_FLAGS)
            try:
                page = context.pages[0] if context.pages else context.new_page()
                page.goto(Path(opened["path"]).as_uri())
                page.wait_for_function("() => document.getElementById('connection')"
                                       "?.textContent.startsWith('browser')", timeout=60_000)
                assert "code=" not in page.url
                page.reload()  # the one-time resume code the page kept gets a new credential
                page.wait_for_function("() => document.getElementById('connection')"
                                       "?.textContent.startsWith('browser')", timeout=60_000)
                assert page.evaluate("window.videoArchive.bridge.call('system.ping')")["time"] > 0
                for p in psutil.process_iter(["cmdline"]):
                    with contextlib.suppress(psutil.Error, TypeError):
                        assert token not in " ".join(p.info["cmdline"] or []), p.info["cmdline"]
            finally:
                context.close()
        held = [f for f in profile.rglob("*") if f.is_file() and not f.is_symlink()
                and token.encode() in f.read_bytes()]
        assert not held, held
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_the_printed_address_keeps_its_route_and_drops_its_token(editor_server):
    """`serve`'s printed address with a route after it (…?token=T#/history) opens that screen; the
    token leaves the address bar, the route stays (a reload lands where the user was)."""
    from editor_page import chromium

    url, _ = editor_server
    with chromium() as page:
        page.goto(url + "#/history")
        page.wait_for_selector("#screen-history:not([hidden])")
        address = page.evaluate("() => location.href")
        assert "token=" not in address, address
        assert address.endswith("#/history"), address
