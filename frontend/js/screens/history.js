// History: the last 30 days' figures and the finished projects.

import { fill, h } from "../dom.js";
import { formatBytes } from "../sizes.js";
import { formatDuration } from "../timecode.js";

// --- history ------------------------------------------------------------------------------------
export async function renderHistory(root, bridge) {
  fill(root, h("p", { class: "muted" }, "Loading…"));
  const [stats, list] = await Promise.all([bridge.call("history.stats"), bridge.call("history.list", { limit: 200 })]);
  const stat = (label, value) => h("div", { class: "stat" }, h("b", {}, value ?? "–"), h("span", {}, label));
  fill(root, h("div", { class: "stack" },
    h("div", { class: "panel" }, h("h2", {}, "Last 30 days"), h("div", { class: "stats" },
      stat("projects", stats.total_projects), stat("successful", stats.successful_projects),
      stat("average time", stats.avg_processing_time != null ? formatDuration(stats.avg_processing_time) : null),
      stat("files created", stats.total_files_created),
      stat("written", stats.total_output_size_mb != null ? formatBytes(stats.total_output_size_mb * 1e6, { approximate: false }) : null),
      stat("compression", stats.avg_compression_ratio != null ? `${stats.avg_compression_ratio.toFixed(2)}×` : null))),
    h("div", { class: "panel" }, h("h2", {}, "Projects"), list.length ? historyTable(list) : h("p", { class: "empty" }, "No finished projects yet."))));
}

// The finished projects; with `onReopen`, each archived one can be opened again as a new version.
export function historyTable(list, { onReopen } = {}) {
  return h("table", { class: "list" },
    h("tr", {}, h("th", {}, "Artwork"), h("th", {}, "Date"), h("th", {}, "Result"), h("th", {}, "Finished"),
      h("th", {}, "Scenes"), h("th", {}, "Files"), h("th", {}, "Size"), h("th", {}, "Time"),
      onReopen ? h("th", {}, h("span", { class: "sr-only" }, "Actions")) : null),
    ...list.map((r) => h("tr", { dataset: { session: r.session_id } },
      h("td", { title: r.output_path ?? "" }, r.artwork_name ?? r.session_id),
      h("td", { class: "num" }, r.project_date ?? ""),
      h("td", {}, r.completed_successfully === false ? "failed" : "archived"),
      h("td", { class: "muted num" }, r.completed_at ?? ""),
      h("td", { class: "num" }, r.scenes_exported != null ? `${r.scenes_exported} of ${r.scenes_detected ?? "?"}` : ""),
      h("td", { class: "num" }, r.total_files_created ?? ""),
      h("td", { class: "num" }, r.total_output_size_mb != null ? formatBytes(r.total_output_size_mb * 1e6, { approximate: false }) : ""),
      h("td", { class: "num" }, r.total_processing_time_seconds != null ? formatDuration(r.total_processing_time_seconds) : ""),
      onReopen ? h("td", { class: "actions" }, r.completed_successfully === false ? null
        : h("button", { class: "reopen", title: "Edit again and export as a new version beside this one (which stays as it is)",
                        onclick: () => onReopen(r) }, "Reopen…")) : null)));
}
