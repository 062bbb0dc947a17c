// The export screen: the summary, Start/Pause/Resume/Cancel, and the progress of the whole job
// as the operation log has it.

import { banner, fill, h, progressBar, setProgress } from "../dom.js";
import { formatDuration } from "../timecode.js";

// --- export -------------------------------------------------------------------------------------
export function renderExport(root, bridge, sessionId, { summary, scenesSelected, onBack }) {
  const progress = progressBar("export-bar", "Export");
  const line = h("p", { id: "export-line", class: "num", "aria-live": "polite" }, "Not started.");
  const ops = h("div", { id: "export-ops" });
  const report = h("div", { id: "export-report" });
  const btn = (id, text, cls, fn) => h("button", { id, class: cls, onclick: fn }, text);
  const call = (method) => async () => { try { await bridge.call(method, { session_id: sessionId }); view.refresh(); } catch (err) { banner(err.message); } };
  const start = async () => {
    // an export of no scenes writes an archive without clips: asked, never assumed
    if (scenesSelected === 0 && !confirm("No scenes are selected: the archive would have the masters and R&D files but no scene clips or stills. Export anyway?")) return;
    try { await bridge.call("export.start", { session_id: sessionId }); view.started(); view.refresh(); } catch (err) { banner(err.message); }
  };
  const controls = h("div", { class: "row" },
    btn("export-start", "Start export", "primary", start),
    btn("export-pause", "Pause", "", call("export.pause")),
    btn("export-resume", "Resume", "", async () => { view.started(); await call("export.resume")(); }),
    btn("export-cancel", "Cancel", "danger", async () => { if (confirm("Cancel the export? The files it has written so far are deleted from the archive folder and the project leaves Unfinished; your edits stay, and Start export begins again from the start. (Pause keeps them, to resume later.)")) await call("export.cancel")(); }),
    onBack ? btn("export-back", "Back to the timeline", "", onBack) : null);
  fill(root, h("div", { class: "panel narrow", style: "max-width:720px" },
    h("h2", {}, "Export"),
    h("div", { class: "stats", id: "export-summary" },
      ...summary.filter(([, , wide]) => !wide).map(([label, value]) => h("div", { class: "stat", dataset: { stat: label } }, h("b", {}, value), h("span", {}, label)))),
    ...summary.filter(([, , wide]) => wide).map(([label, value]) => h("p", { class: "muted" }, `${label}: `, h("code", {}, value))),
    progress, line, ops, controls, report));
  // The counts come from the operation log (export.status), never from one run's events: they
  // cover the whole job across pause and resume and never go backwards. Events only ask for them.
  let run = null;             // this run: {at, done} when it started, for the time left
  let shown = 0;
  let pending = null;
  const view = {
    started() { run = { at: performance.now(), done: null }; line.textContent = "Starting…"; },
    async refresh() {
      try {
        const st = await bridge.call("export.status", { session_id: sessionId });
        if (root.querySelector("#archive-path")) return;  // finished: the report stays as it is
        const running = st.job?.state === "running";
        const exporting = st.stage === "export";
        if (!exporting) line.textContent = "Not started: Start export writes the archive.";
        else {
          shown = Math.max(shown, st.completed);
          if (run && run.done == null) run.done = st.completed;
          const state = running ? "exporting" : st.status === "paused" ? "paused" : st.status;
          line.textContent = `${state} · ${shown} of ${st.total} operations done${st.current_operation && running ? ` · ${st.current_operation}` : ""}${running ? timeLeftOf(run, st, shown) : ""}`;
          setProgress(progress, st.total ? shown / st.total : 0);
        }
        fill(ops, ...(st.steps ?? []).map((step) => h("div", { class: "row step", dataset: { op: step.op } }, h("span", { style: "width:220px" }, step.label),
          progressBar(null, step.label, { style: "flex:1" }),
          h("span", { class: "num muted" }, `${step.done}/${step.total}${step.failed ? ` · ${step.failed} failed` : ""}`))));
        (st.steps ?? []).forEach((step, i) => setProgress(ops.children[i].querySelector("[role=progressbar]"), step.total ? step.done / step.total : 0));
        root.querySelector("#export-start").disabled = exporting;
        root.querySelector("#export-pause").disabled = !running;
        root.querySelector("#export-cancel").disabled = !exporting || st.status === "completed";   // a paused export can be cancelled too
        root.querySelector("#export-resume").disabled = running || !exporting || st.status === "completed";
        if (st.failed?.length) fill(report, h("h3", {}, "Failed"), ...st.failed.map((f) => h("p", { class: "muted" }, f)), h("p", {}, "Resume retries what failed; what is done stays."));
        if (st.status === "completed") view.finished({ status: "completed", archive_path: st.archive_path });
      } catch (err) { banner(err.message); }
    },
    event(e) {
      if (e.session_id !== sessionId || root.querySelector("#archive-path")) return;
      if (e.type === "unit_failed") banner(`${e.op ?? "An operation"} failed on ${e.unit}: ${e.message ?? "no reason given"}. Resume retries it.`);
      if (e.type === "export_failed") banner(`The export failed: ${e.message}. Resume goes on from what is done.`);
      // at most a few status reads a second, however many events come
      if (!pending) pending = setTimeout(() => { pending = null; view.refresh(); }, 250);
    },
    finished(e) {
      if (root.querySelector("#archive-path")) return;
      const ok = e.status === "completed";
      fill(report, h("h3", {}, ok ? "Archive written" : `Export ${e.status}`),
        e.archive_path ? h("p", {}, "Folder: ", h("code", { id: "archive-path" }, e.archive_path)) : null,
        e.message ? h("p", { class: "muted" }, e.message) : null);
      if (ok) {
        setProgress(progress, 1);
        line.textContent = "Completed: every operation is done and verified.";
        for (const id of ["export-start", "export-pause", "export-resume", "export-cancel"]) root.querySelector(`#${id}`).disabled = true;
        // a finished archive is never edited again: back to the projects, not the timeline
        root.querySelector("#export-back")?.replaceWith(h("a", { href: "#/", class: "button" }, "Back to projects"));
      }
    },
  };
  view.refresh();
  return view;
}

// The time left, once it means something: after a few operations of this run and half a minute,
// from this run's own pace (what ran before a pause says nothing about now).
function timeLeftOf(run, st, shown) {
  if (!run || run.done == null) return "";
  const doneNow = shown - run.done, elapsed = (performance.now() - run.at) / 1000;
  if (doneNow < 3 || elapsed < 30) return "";
  return ` · about ${formatDuration(((st.total - shown) * elapsed) / doneNow)} left`;
}
