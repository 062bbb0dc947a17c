// The page's entry: connect to the bridge, route between screens by the address's #hash (so a
// reload lands where the user was), forward bridge events, route keys to the editor, and put
// every failure on screen.

import { connect } from "./rpc.js";
import { formatBytes } from "./sizes.js";
import { Editor } from "./editor.js";
import { KEYMAP, keysLabel, lookup } from "./keymap.js";
import { banner, clearBanner, h, showScreen } from "./dom.js";
import { renderExport } from "./screens/export.js";
import { renderHistory } from "./screens/history.js";
import { renderIngest } from "./screens/ingest.js";
import { renderPresets } from "./screens/presets.js";
import { renderSettings } from "./screens/settings.js";
import { renderStart } from "./screens/start.js";

const app = { bridge: null, editor: null, ingest: null, exportView: null, sessionId: null, route: null };
window.videoArchive = app;   // for tests and benchmarks: the live editor and its state

window.addEventListener("error", (e) => banner(`Something in the page failed: ${e.message}`));
window.addEventListener("unhandledrejection", (e) => banner(`Something in the page failed: ${e.reason?.message ?? e.reason}`));

async function start() {
  showScreen("loading");
  fillKeys();
  document.getElementById("help-button").addEventListener("click", () => toggleOverlay("help"));
  document.getElementById("about-button").addEventListener("click", () => toggleOverlay("about"));
  document.getElementById("close-keep").addEventListener("click", () => toggleOverlay("close-ask"));
  document.getElementById("close-pause").addEventListener("click", () => window.pywebview?.api?.pause_and_close?.());
  document.getElementById("banner-close").addEventListener("click", clearBanner);
  document.getElementById("fatal-retry").addEventListener("click", () => location.reload());
  try {
    app.bridge = await connect();
    const info = await app.bridge.call("system.info");
    document.getElementById("connection").textContent = `${info.transport === "webview" ? "desktop" : "browser"} · v${info.version}`;
    fillAbout(info);
  } catch (err) {
    document.getElementById("fatal-text").textContent = err.message;
    showScreen("fatal");
    return;
  }
  app.bridge.onEvent(onEvent);
  window.addEventListener("hashchange", route);
  window.addEventListener("pagehide", () => app.editor?.saveOnLeave());
  document.addEventListener("keydown", onKey);
  route();
}

function onEvent(e) {
  if (e.type === "connection") {
    if (!e.ok) banner("Lost the connection to the archive tool; retrying… (edits made now are not saved)");
    else if (app.lostConnection) { clearBanner(); if (app.editor?.sessionId) app.editor.scheduleSave(); }
    app.lostConnection = !e.ok;
    return;
  }
  if (e.session_id && e.session_id !== app.sessionId) return;
  if (e.type === "ingest_progress") app.ingest?.update(e);
  else if (e.type === "ingest_done") { if (app.route === "ingest") route(); }
  else if (e.type === "ingest_failed") { banner(`Reading the master failed: ${e.message ?? "no reason given"}. Fix the cause, then open the project again (it starts over) or discard it.`); app.route = "ingest-failed"; }
  else app.exportView?.event(e);
}

function onKey(e) {
  if (lookup(e)?.row.action === "help" && !e.target.closest?.("input, select, textarea")) { toggleOverlay("help"); e.preventDefault(); return; }
  const open = document.querySelector(".overlay:not([hidden])");
  if (open && e.key === "Escape") { toggleOverlay(open.id); e.preventDefault(); return; }
  if (open) return;  // a dialog is open: keys are its own
  if (app.route === "editor" && app.editor && app.editor.key(e)) e.preventDefault();
}

// the About box: the release and the ffmpeg in use, as `video-archive --version` prints them
function fillAbout(info) {
  const rows = [["Version", info.version],
    ["ffmpeg", info.ffmpeg_error ? `not usable: ${info.ffmpeg_error}` : `${info.ffmpeg_version ?? "unknown version"}`],
    ["ffmpeg binary", info.ffmpeg ? `${info.ffmpeg} (${info.ffmpeg_source})` : "none found"],
    ["Database", info.database],
    ["Connection", info.transport === "webview" ? "desktop window (js_api)" : "browser (loopback HTTP)"]];
  document.getElementById("about-table").replaceChildren(...rows.map(([k, v]) => h("tr", {}, h("td", {}, k), h("td", { id: `about-${k.toLowerCase().replace(/\W+/g, "-")}` }, v))));
}

// the keys (?) and the About box: dialogs, one open at a time; the focus goes into the open one
// and back to where it was when it closes (Esc, the same key, or the button again)
let focusBefore = null;
function toggleOverlay(id) {
  const overlay = document.getElementById(id);
  const show = overlay.hidden;
  const wasOpen = document.querySelector(".overlay:not([hidden])");
  for (const o of document.querySelectorAll(".overlay")) o.hidden = true;
  overlay.hidden = !show;
  if (show) {
    if (!wasOpen) focusBefore = document.activeElement;
    overlay.querySelector("[role=dialog], [role=alertdialog]").focus();
  } else {
    focusBefore?.focus?.();
    focusBefore = null;
  }
}

// the keys box is drawn from the keymap, the same table the editor's handler reads
function fillKeys() {
  document.getElementById("keys-table").replaceChildren(...KEYMAP.map((row) =>
    h("tr", { dataset: { action: row.action } }, h("td", {}, h("kbd", {}, keysLabel(row))), h("td", {}, row.what))));
}

// The desktop window's close button while exports run (App/shell.py calls these): the question
// names the artworks; the shell takes it back, with a note, when the exports finish behind it.
app.askClose = (names) => {
  document.getElementById("close-text").textContent = `Close Video Archive and pause the export of ${names}? It is offered for resuming at the next start.`;
  if (document.getElementById("close-ask").hidden) toggleOverlay("close-ask");
  document.getElementById("close-keep").focus();
};
// The window's close button (App/shell.py): the last edit is sent before the window goes; always a
// promise (the shell waits for its value): true once nothing is left unsaved.
app.saveEdits = () => (app.editor?.sessionId ? app.editor.flush() : Promise.resolve()).then(() => true, () => false);
app.closeUnsaved = () => banner("Your last edit could not be saved, so the window stayed open. Close it again to close without that edit.");
app.closeAskDone = (names) => {
  if (!document.getElementById("close-ask").hidden) toggleOverlay("close-ask");
  banner(`The export of ${names} finished: the window can be closed now.`, { kind: "info", timeoutMs: 15000 });
};

export function openSession(id) { location.hash = `#/session/${encodeURIComponent(id)}`; }

async function route() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [name, arg, sub] = hash.split("/");
  const screen = (n) => document.getElementById(`screen-${n}`);
  app.ingest = null; app.exportView = null;
  document.getElementById("project-title").textContent = "";
  try {
    if (name === "session" && arg) {
      app.sessionId = decodeURIComponent(arg);
      await openProject(app.sessionId, sub === "export");
    } else if (name === "history") { app.route = "history"; showScreen("history"); await renderHistory(screen("history"), app.bridge); }
    else if (name === "presets") { app.route = "presets"; showScreen("presets"); await renderPresets(screen("presets"), app.bridge); }
    else if (name === "settings") { app.route = "settings"; showScreen("settings"); await renderSettings(screen("settings"), app.bridge); }
    else {
      // #/new/PATH: `video-archive app FILE` (a desktop's "Open with") fills in the master
      app.route = "start"; app.sessionId = null; showScreen("start");
      await renderStart(screen("start"), app.bridge, { openSession, master: name === "new" && arg ? decodeURIComponent(arg) : "" });
    }
  } catch (err) {
    banner(err.message);
    if (err.kind === "gone") { document.getElementById("fatal-text").textContent = err.message; showScreen("fatal"); }
  }
}

async function openProject(id, toExport) {
  let opened;
  try {
    opened = await app.bridge.call("project.open", { session_id: id });
  } catch (err) {
    if (err.field === "session_id") { banner(err.message); location.hash = "#/"; return; }
    throw err;
  }
  document.getElementById("project-title").textContent = opened.artwork ?? "";
  if (opened.stage === "analyse") {
    app.route = "ingest";
    showScreen("ingest");
    app.ingest = renderIngest(document.getElementById("screen-ingest"), app.bridge, id, { onCancel: () => { location.hash = "#/"; } });
    // events can be missed (a reconnect, an ingest that ended before the page listened): ask too
    const poll = setInterval(async () => {
      if (app.route !== "ingest" || app.sessionId !== id) { clearInterval(poll); return; }
      try {
        const now = await app.bridge.call("project.open", { session_id: id });
        if (now.stage !== "analyse") { clearInterval(poll); route(); }
      } catch (err) { clearInterval(poll); banner(err.message); }
    }, 2000);
    return;
  }
  const timeline = await app.bridge.call("timeline.get", { session_id: id });
  if (!app.editor) app.editor = new Editor(document.getElementById("screen-editor"), app.bridge, { onExport: (sid) => { location.hash = `#/session/${encodeURIComponent(sid)}/export`; } });
  if (toExport || opened.stage === "export") {
    if (app.editor.sessionId !== id) await app.editor.open(id, timeline);
    app.route = "export";
    showScreen("export");
    const { rows, selected } = await exportSummary(app.bridge, app.editor, opened);
    app.exportView = renderExport(document.getElementById("screen-export"), app.bridge, id, {
      summary: rows, scenesSelected: selected, onBack: opened.stage === "export" ? null : () => { location.hash = `#/session/${encodeURIComponent(id)}`; },
    });
    // the size is measured on the master's own frames (seconds on a long film): it follows
    if (opened.stage !== "export") fillEstimate(app.bridge, id);
    return;
  }
  app.route = "editor";
  showScreen("editor");
  if (app.editor.sessionId !== id || !app.editor.history) await app.editor.open(id, timeline);
  else app.editor.timeline.resize();
}

// The counts and the estimated size come from the core's plan (export.plan); if it cannot be
// had, the counts the page can derive are shown and the size is left out, with the reason.
async function exportSummary(bridge, editor, opened) {
  const s = editor.state;
  let plan = null;
  try { plan = await bridge.call("export.plan", { session_id: opened.session_id, estimate: false }); }
  catch (err) { banner(`The export summary is not available: ${err.message}`); }
  const selected = plan?.scenes_selected ?? s.selection.length;
  const grouped = s.groups.filter((g) => g.scenes.some((st) => s.selection.includes(st))).length;
  return { selected, rows: [
    ["scenes selected", `${selected} of ${s.cuts.length + 1}`],
    ["clips", plan?.clips ?? selected + grouped],
    ["stills (HQ + web)", plan?.stills ?? selected * 2],
    ["groups", plan?.groups ?? grouped],
    ["estimated size", opened.stage === "export" || !plan ? "–" : "measuring…"],
    ["Archive folder", opened.archive_path ?? "–", true],
  ] };
}

async function fillEstimate(bridge, sessionId) {
  const cell = () => document.querySelector('#export-summary [data-stat="estimated size"] b');
  try {
    const plan = await bridge.call("export.plan", { session_id: sessionId });
    if (cell()) cell().textContent = formatBytes(plan.estimated_bytes);
  } catch (err) { if (cell()) cell().textContent = "–"; banner(`The export summary's size estimate is not available: ${err.message}`); }
}

start();
export { h };
