"""The HTTP transport in headless Chromium: the proxy plays and seeks frame-exactly through the
bridge's media URLs (byte ranges, under the secret prefix), the page calls /rpc and opens its
event stream, and a page on another origin in the same browser, even one that knows the token and
the URLs, can neither call /rpc nor read media nor listen to events."""

import json
import re
from pathlib import Path

import pytest

import browser
from bridge.http import Handler
from bridge_client import running
from test_proxy_playback import LUMA_TOLERANCE, PAGE, Reference, seek_targets
from archive_checks import FAST_OVERRIDES

ENGINE_TIMEOUT = 180


@pytest.fixture(scope="module")
def ingested(media_dir, tmp_path_factory):
    from backend.media.ingest import ingest

    return ingest(media_dir / "testvideo.mp4", cache_root=tmp_path_factory.mktemp("cache"),
                  want_proxy=True)


@pytest.fixture
def frontend(tmp_path) -> Path:
    """The proxy check page, its script moved to a file: the bridge's CSP allows no inline script."""
    root = tmp_path / "frontend"
    root.mkdir()
    html = PAGE.read_text()
    script = re.search(r"<script>(.*?)</script>", html, re.S)
    (root / "player.js").write_text(script.group(1))
    (root / "index.html").write_text(html[:script.start()] + '<script src="player.js"></script>'
                                     + html[script.end():])
    return root


@pytest.fixture
def served(db_path, frontend, monkeypatch):
    statuses = []
    original = Handler._headers

    def record(self, status, *args, **kwargs):
        statuses.append((self.path, int(status)))
        return original(self, status, *args, **kwargs)

    monkeypatch.setattr(Handler, "_headers", record)
    with running(db_path, frontend) as client:
        client.statuses = statuses
        yield client


def test_proxy_plays_and_seeks_through_the_bridge(served, ingested):
    browser.require_system_deps()
    reference = Reference(ingested.proxy)
    proxy_url = served.server.bridge.media_url(ingested.proxy, "s1")
    targets = seek_targets(reference)
    check = "checkProxy(%s)" % json.dumps({"src": proxy_url, "targets": targets,
                                            "playFrom": round(reference.duration / 3, 3)})
    # the page's own calls: /rpc with the token it was opened with, and the event stream
    script = """(async () => {
      const token = new URLSearchParams(location.search).get("token");
      history.replaceState(null, "", "/");
      const rpc = await (await fetch("/rpc", {method: "POST", headers: {"Content-Type":
        "application/json", "Authorization": "Bearer " + token},
        body: JSON.stringify({jsonrpc: "2.0", method: "system.info", id: 1})})).json();
      const events = await new Promise((res) => { const es = new EventSource(%s);
        es.onopen = () => { es.close(); res("open"); }; es.onerror = () => { es.close(); res("error"); }; });
      return {rpc, events, href: location.href, proxy: await %s};
    })()""" % (json.dumps(served.events), check)
    result = browser.evaluate_in_chromium(f"{served.base}/?token={served.token}", script,
                                          timeout=ENGINE_TIMEOUT)
    assert result["rpc"]["result"]["transport"] == "http"
    assert result["events"] == "open"
    assert "token" not in result["href"]
    proxy = result["proxy"]
    assert "error" not in proxy, proxy["error"]
    assert abs(proxy["duration"] - reference.duration) <= reference.frame_s
    for seek in proxy["seeks"]:
        want = reference.frame_at(seek["target"])
        assert seek["mediaTime"] is not None
        assert reference.frame_at(seek["mediaTime"]) == want, seek
        assert abs(seek["meanLuma"] - reference.lumas[want]) <= LUMA_TOLERANCE, seek
    played = proxy["played"]
    assert "error" not in played and played["to"] > played["from"], played
    media_path = proxy_url[len(served.base):]
    answers = [status for path, status in served.statuses if path == media_path]
    assert 206 in answers, answers  # Chromium seeked by byte ranges


FOREIGN = """(async () => {
  const out = {};
  const ping = JSON.stringify({jsonrpc: "2.0", method: "settings.set",
                               params: {key: "parallel_workers", value: 7}, id: 1});
  try {
    const r = await fetch(%(rpc)s, {method: "POST", body: ping, headers: {
      "Content-Type": "application/json", "Authorization": "Bearer " + %(token)s}});
    out.rpc = "read " + r.status + " " + await r.text();
  } catch (e) { out.rpc = "blocked"; }
  try {  // a "simple" request needs no preflight: it must still change nothing
    const r = await fetch(%(rpc)s, {method: "POST", mode: "no-cors", credentials: "include",
                                     body: ping});
    out.simple = r.type;
  } catch (e) { out.simple = "blocked"; }
  try {
    const r = await fetch(%(media)s, {credentials: "include"});
    out.media = "read " + r.status + " " + (await r.arrayBuffer()).byteLength;
  } catch (e) { out.media = "blocked"; }
  out.video = await new Promise((res) => {
    const v = document.createElement("video"); v.muted = true;
    v.onloadedmetadata = () => res("loaded " + v.duration); v.onerror = () => res("error");
    setTimeout(() => res("timeout"), 15000); v.src = %(media)s; document.body.append(v); });
  out.events = await new Promise((res) => {
    const es = new EventSource(%(events)s, {withCredentials: true});
    es.onopen = () => { es.close(); res("open"); }; es.onerror = () => { es.close(); res("error"); };
    setTimeout(() => res("timeout"), 15000); });
  return out;
})()"""


def test_a_page_on_another_origin_gets_nothing(served, ingested, tmp_path):
    browser.require_system_deps()
    media_url = served.server.bridge.media_url(ingested.proxy, "s1")
    (tmp_path / "evil").mkdir()
    (tmp_path / "evil" / "index.html").write_text("<!doctype html><title>elsewhere</title>")
    with browser.serve(tmp_path / "evil") as evil:
        script = FOREIGN % {"rpc": json.dumps(f"{served.base}/rpc"), "token": json.dumps(served.token),
                            "media": json.dumps(media_url), "events": json.dumps(f"{served.base}{served.events}")}
        # the user opened the editor first, so the browser holds its cookie
        result = browser.evaluate_in_chromium(evil, script, timeout=ENGINE_TIMEOUT,
                                              visit_first=(f"{served.base}/?token={served.token}",))
    simple = result.pop("simple")  # the browser may send it (opaque answer) or not: either way
    assert simple in ("opaque", "blocked")  # it must change nothing, checked below
    assert result == {"rpc": "blocked", "media": "blocked", "video": "error", "events": "error"}, result
    refused = {status for path, status in served.statuses if path == "/rpc"
               or path.startswith("/s/")}
    assert refused <= {401, 403, 415}, served.statuses
    assert served.call("settings.get", {"key": "parallel_workers"})["value"] != 7


EVENTS_PAGE = """(async () => {
  const token = new URLSearchParams(location.search).get("token");
  const call = async (method, params) => {
    const r = await fetch("/rpc", {method: "POST", body: JSON.stringify({jsonrpc: "2.0", method,
      params, id: 1}), headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token}});
    const answer = await r.json();
    if (answer.error) throw new Error(method + ": " + answer.error.message);
    return answer.result;
  };
  const got = [];
  const es = new EventSource(%(events)s);
  es.onmessage = (m) => got.push(JSON.parse(m.data));
  await new Promise((resolve) => { es.onopen = resolve; });
  const seen = (match) => new Promise((resolve) => {
    const check = () => { const e = got.find(match); if (e) resolve(e); };
    es.addEventListener("message", check); check(); });
  const started = await call("project.create", %(create)s);
  await seen((e) => e.type === "ingest_done" && e.job_id === started.job_id);
  const exported = await call("export.start", {session_id: started.session_id});
  const finished = await seen((e) => e.type === "session_finished" && e.job_id === exported.job_id);
  es.close();
  const kind = (e) => e.job_id === started.job_id ? "ingest" : e.job_id === exported.job_id ? "export" : "other";
  return {events: got.map((e) => [kind(e), e.type]), finished};
})()"""


def test_events_of_a_real_ingest_and_export_reach_the_page(served, media_dir, tmp_path):
    browser.require_system_deps()
    create = {"master": str(media_dir / "counter.mp4"), "artwork": "Events", "date": "26-12-01",
              "out": str(tmp_path / "out"), "overrides": FAST_OVERRIDES}
    result = browser.evaluate_in_chromium(f"{served.base}/?token={served.token}",
                                          EVENTS_PAGE % {"create": json.dumps(create),
                                                         "events": json.dumps(served.events)},
                                          timeout=ENGINE_TIMEOUT)
    events = [tuple(e) for e in result["events"]]
    ingest = [t for k, t in events if k == "ingest"]
    export = [t for k, t in events if k == "export"]
    assert "ingest_progress" in ingest and ingest[-3:] == ["session_finished", "ingest_done",
                                                           "job_finished"]
    assert {"unit_started", "unit_finished", "session_started"} <= set(export)
    assert result["finished"]["status"] == "completed" and result["finished"]["fraction"] == 1.0
    assert ("other", "ingest_done") not in events
