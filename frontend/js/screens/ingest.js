// Reading the master: its progress, and Cancel.

import { banner, fill, h, progressBar, setProgress } from "../dom.js";
import { formatDuration } from "../timecode.js";

// --- ingest -------------------------------------------------------------------------------------
export function renderIngest(root, bridge, sessionId, { onCancel }) {
  const bar = progressBar("ingest-bar", "Reading the master");
  const line = h("p", { id: "ingest-line", class: "num" }, "Starting…");
  fill(root, h("div", { class: "panel narrow" },
    h("h2", {}, "Reading the master"),
    h("p", { class: "muted" }, "One pass finds the scenes, scores every frame and makes the thumbnails and the scrubbing proxy. The timeline opens as soon as it is done."),
    bar, line,
    h("div", { class: "row" }, h("button", { id: "ingest-cancel", class: "danger", onclick: async () => {
      if (!confirm("Cancel reading the master? The project is discarded.")) return;
      try { await bridge.call("project.discard", { session_id: sessionId }); onCancel(); } catch (err) { banner(err.message); }
    } }, "Cancel"))));
  return {
    update(p) {
      const done = p.frames ?? p.frames_done ?? 0, total = p.frames_total ?? 0, fps = p.fps ?? 0;
      const fraction = p.fraction ?? (total ? Math.min(1, done / total) : 0);
      setProgress(bar, fraction);
      const eta = p.eta_s ?? (fps > 0 && total > done ? (total - done) / fps : null);
      const left = eta != null ? formatDuration(eta) : "–";
      line.textContent = `${done.toLocaleString()} of ${total ? total.toLocaleString() : "?"} frames · ${fps.toFixed(0)} fps · ${left} left`;
    },
  };
}
