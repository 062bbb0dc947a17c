// The screens around the editor: start (new project, unfinished sessions, recent projects),
// ingest progress, export, history and statistics, presets, settings. Each renders from what the
// bridge answers and shows the bridge's own words when it says no.

import { banner, fill, h, todayYYMMDD } from "./dom.js";
import { formatBytes, formatDuration } from "./timecode.js";

const FIELDS = [
  ["master", "Master video", "file"], ["artwork", "Artwork name", "text"], ["date", "Project date", "text"],
  ["rd", "R&D folder", "folder"], ["out", "Output folder", "folder"], ["preset", "Preset", "select"], ["encoder", "Encoder", "select"],
];

function fieldError(form, field, message) {
  const box = form.querySelector(`[data-field="${field}"]`);
  if (!box) return false;
  box.classList.add("invalid");
  box.querySelector(".error").textContent = message;
  box.querySelector("input, select")?.focus();
  return true;
}

function clearErrors(form) {
  for (const b of form.querySelectorAll(".field")) { b.classList.remove("invalid"); b.querySelector(".error").textContent = ""; }
  form.querySelector(".form-error").textContent = "";
}

// --- start --------------------------------------------------------------------------------------
export async function renderStart(root, bridge, { openSession, master = "" }) {
  const form = h("form", { class: "form", id: "new-project", novalidate: true });
  for (const [name, label, kind] of FIELDS) {
    const input = kind === "select" ? h("select", { name, id: `f-${name}` })
      : h("input", { type: "text", name, id: `f-${name}`, autocomplete: "off", spellcheck: false });
    const box = h("div", { class: "field", dataset: { field: name } }, input);
    if ((kind === "file" || kind === "folder") && bridge.pickFile) {
      box.append(h("button", { type: "button", onclick: async () => {
        const path = kind === "file" ? await bridge.pickFile("Choose the master video") : await bridge.pickFolder(label);
        if (path) input.value = path;
      } }, "Browse…"));
    }
    box.append(h("span", { class: "error" }));
    form.append(h("label", { for: `f-${name}` }, label), box);
  }
  form.querySelector("#f-date").value = todayYYMMDD();
  if (master) form.querySelector("#f-master").value = master;
  form.querySelector("#f-date").placeholder = "YY-MM-DD";
  form.querySelector("#f-artwork").placeholder = "e.g. Northern Lights";
  form.querySelector("#f-master").placeholder = bridge.pickFile ? "Browse… or type a path" : "/path/to/master.mov";
  form.querySelector("#f-rd").placeholder = "optional";
  form.querySelector("[data-field=rd]").append(h("span", { class: "hint" }, "Images and videos from research and development, compressed into rd/."));
  form.append(h("div", { class: "form-error" }),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary", id: "create" }, "Create project"), h("span", { class: "muted", id: "create-note" })));

  const sessions = h("div", { id: "unfinished" }, h("p", { class: "empty" }, "Loading…"));
  const recent = h("div", { id: "recent" }, h("p", { class: "empty" }, "Loading…"));
  fill(root, h("div", { class: "cols" },
    h("div", { class: "panel" }, h("h2", {}, "New project"), form),
    h("div", { class: "stack" },
      h("div", { class: "panel" }, h("h2", {}, "Unfinished sessions"), sessions),
      h("div", { class: "panel" }, h("h2", {}, "Recent projects"), recent))));

  form.addEventListener("input", (e) => { const box = e.target.closest(".field"); if (box) { box.classList.remove("invalid"); box.querySelector(".error").textContent = ""; } });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const v = Object.fromEntries(new FormData(form));
    const params = { master: v.master.trim(), artwork: v.artwork.trim(), date: v.date.trim(), out: v.out.trim() };
    if (v.rd.trim()) params.rd = v.rd.trim();
    if (v.preset) params.preset = v.preset;
    if (v.encoder && v.encoder !== "auto") params.encoder = v.encoder;
    const button = form.querySelector("#create");
    button.disabled = true;
    form.querySelector("#create-note").textContent = "Checking…";
    try {
      const r = await bridge.call("project.create", params);
      // what the checks changed or noticed (a name made safe, an encoder fallback, hidden R&D
      // files left out): said once, not lost
      if (r.warnings?.length) banner(r.warnings.join(" · "), { kind: "info", timeoutMs: 15000 });
      openSession(r.session_id);
    } catch (err) {
      if (!(err.field && fieldError(form, err.field, err.message))) form.querySelector(".form-error").textContent = err.message;
    } finally {
      button.disabled = false;
      form.querySelector("#create-note").textContent = "";
    }
  });

  const loadInto = async (what, fn) => { try { await fn(); } catch (err) { fill(what, h("p", { class: "empty" }, `Unavailable: ${err.message}`)); } };
  await Promise.all([
    loadInto(form, async () => {
      const [presets, doctor] = await Promise.all([bridge.call("presets.list"), bridge.call("system.doctor").catch(() => null)]);
      const sel = form.querySelector("#f-preset");
      fill(sel, ...presets.map((p) => h("option", { value: p.id, selected: p.is_default }, `${p.name}${p.is_default ? " (default)" : ""}`)));
      const enc = form.querySelector("#f-encoder");
      const proven = encodersProven(doctor);
      fill(enc, h("option", { value: "auto" }, `Auto${proven.best ? ` (${proven.best})` : ""}`),
        h("option", { value: "x264" }, `x264 (CPU)${proven.x264 === false ? " – not working here" : ""}`),
        h("option", { value: "nvenc" }, `NVENC (NVIDIA)${proven.nvenc ? " – proven here" : " – not available here"}`));
    }),
    loadInto(sessions, async () => {
      const list = await bridge.call("project.list");
      if (!list.length) { fill(sessions, h("p", { class: "empty" }, "None: every project was finished or discarded.")); return; }
      fill(sessions, h("table", { class: "list" },
        h("tr", {}, h("th", {}, "Project"), h("th", {}, "State"), h("th", {}, "Updated"), h("th", {})),
        ...list.map((s) => h("tr", { dataset: { session: s.session_id } },
          h("td", { title: s.archive_path }, `${s.artwork} · ${s.date}`),
          h("td", {}, `${s.stage === "analyse" ? "reading the master" : s.stage === "edit" ? "editing" : "exporting"} · ${s.status}${s.total ? ` (${s.completed}/${s.total})` : ""}${s.error ? ` · ${s.error}` : ""}`),
          h("td", { class: "muted num" }, s.updated_at ?? ""),
          h("td", { class: "actions" },
            h("button", { class: "primary", onclick: () => openSession(s.session_id) }, "Resume"), " ",
            h("button", { class: "danger", onclick: async () => {
              if (!confirm(`Discard ${s.artwork}? Its edits are lost; an archive folder is removed only if it is empty.`)) return;
              try { await bridge.call("project.discard", { session_id: s.session_id }); renderStart(root, bridge, { openSession }); } catch (err) { banner(err.message); }
            } }, "Discard"))))));
    }),
    loadInto(recent, async () => {
      const list = await bridge.call("history.list", { limit: 10 });
      if (!list.length) { fill(recent, h("p", { class: "empty" }, "No finished projects yet.")); return; }
      fill(recent, historyTable(list));
    }),
  ]);
}

function encodersProven(doctor) {
  const out = { best: null, x264: null, nvenc: false };
  const list = doctor?.encoders ?? doctor?.encoder_checks ?? [];
  for (const e of Array.isArray(list) ? list : []) {
    const name = String(e.name ?? e.encoder ?? "");
    const ok = e.ok ?? e.works ?? e.available ?? false;
    if (/nvenc/.test(name) && ok) out.nvenc = true;
    if (/x264/.test(name)) out.x264 = !!ok;
  }
  out.best = doctor?.selected_encoder ?? doctor?.encoder ?? (out.nvenc ? "NVENC" : "x264");
  return out;
}

function historyTable(list) {
  return h("table", { class: "list" },
    h("tr", {}, h("th", {}, "Artwork"), h("th", {}, "Date"), h("th", {}, "Result"), h("th", {}, "Finished"),
      h("th", {}, "Scenes"), h("th", {}, "Files"), h("th", {}, "Size"), h("th", {}, "Time")),
    ...list.map((r) => h("tr", { dataset: { session: r.session_id } },
      h("td", { title: r.output_path ?? "" }, r.artwork_name ?? r.session_id),
      h("td", { class: "num" }, r.project_date ?? ""),
      h("td", {}, r.completed_successfully === false ? "failed" : "archived"),
      h("td", { class: "muted num" }, r.completed_at ?? ""),
      h("td", { class: "num" }, r.scenes_exported != null ? `${r.scenes_exported} of ${r.scenes_detected ?? "?"}` : ""),
      h("td", { class: "num" }, r.total_files_created ?? ""),
      h("td", { class: "num" }, r.total_output_size_mb != null ? formatBytes(r.total_output_size_mb * 1e6) : ""),
      h("td", { class: "num" }, r.total_processing_time_seconds != null ? formatDuration(r.total_processing_time_seconds) : ""))));
}

// --- ingest -------------------------------------------------------------------------------------
export function renderIngest(root, bridge, sessionId, { onCancel }) {
  const bar = h("div", { class: "progress" }, h("div", { id: "ingest-bar" }));
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
      root.querySelector("#ingest-bar").style.width = `${(fraction * 100).toFixed(1)}%`;
      const eta = p.eta_s ?? (fps > 0 && total > done ? (total - done) / fps : null);
      const left = eta != null ? formatDuration(eta) : "–";
      line.textContent = `${done.toLocaleString()} of ${total ? total.toLocaleString() : "?"} frames · ${fps.toFixed(0)} fps · ${left} left`;
    },
  };
}

// --- export -------------------------------------------------------------------------------------
export function renderExport(root, bridge, sessionId, { summary, onBack }) {
  const progress = h("div", { class: "progress" }, h("div", { id: "export-bar" }));
  const line = h("p", { id: "export-line", class: "num" }, "Not started.");
  const ops = h("div", { id: "export-ops" });
  const report = h("div", { id: "export-report" });
  const btn = (id, text, cls, fn) => h("button", { id, class: cls, onclick: fn }, text);
  const call = (method) => async () => { try { await bridge.call(method, { session_id: sessionId }); view.refresh(); } catch (err) { banner(err.message); } };
  const controls = h("div", { class: "row" },
    btn("export-start", "Start export", "primary", async () => { try { await bridge.call("export.start", { session_id: sessionId }); view.started(); view.refresh(); } catch (err) { banner(err.message); } }),
    btn("export-pause", "Pause", "", call("export.pause")),
    btn("export-resume", "Resume", "", call("export.resume")),
    btn("export-cancel", "Cancel", "danger", async () => { if (confirm("Cancel the export? Finished files stay; you can start again.")) await call("export.cancel")(); }),
    onBack ? btn("export-back", "Back to the timeline", "", onBack) : null);
  fill(root, h("div", { class: "panel narrow", style: "max-width:720px" },
    h("h2", {}, "Export"),
    h("div", { class: "stats", id: "export-summary" },
      ...summary.filter(([, , wide]) => !wide).map(([label, value]) => h("div", { class: "stat" }, h("b", {}, value), h("span", {}, label)))),
    ...summary.filter(([, , wide]) => wide).map(([label, value]) => h("p", { class: "muted" }, `${label}: `, h("code", {}, value))),
    progress, line, ops, controls, report));
  const units = new Map();
  let started = 0;
  const view = {
    started() { started = performance.now(); line.textContent = "Started…"; },
    async refresh() {
      try {
        const st = await bridge.call("export.status", { session_id: sessionId });
        if (root.querySelector("#archive-path")) return;  // finished: the report stays as it is
        const running = st.job?.state === "running";
        line.textContent = `${st.status}${st.total ? ` · ${st.completed} of ${st.total} operations` : ""}${st.current_operation ? ` · ${st.current_operation}` : ""}`;
        if (st.total) root.querySelector("#export-bar").style.width = `${(100 * st.completed) / st.total}%`;
        root.querySelector("#export-start").disabled = st.stage === "export";
        root.querySelector("#export-pause").disabled = !running;
        root.querySelector("#export-cancel").disabled = !running;
        root.querySelector("#export-resume").disabled = running || st.stage !== "export" || st.status === "completed";
        if (st.failed?.length) fill(report, h("h3", {}, "Failed"), ...st.failed.map((f) => h("p", { class: "muted" }, f)), h("p", {}, "Resume retries what failed; what is done stays."));
        if (st.status === "completed") view.finished({ status: "completed", archive_path: st.archive_path });
      } catch (err) { banner(err.message); }
    },
    event(e) {
      if (e.session_id !== sessionId || root.querySelector("#archive-path")) return;
      const unitProgress = e.unit_progress ?? e.progress;
      if (e.unit) units.set(e.unit, { op: e.op, progress: e.type === "unit_finished" ? 1 : (typeof unitProgress === "number" ? unitProgress : 0), failed: e.type === "unit_failed" ? e.message : null });
      if (e.total) {
        const fraction = e.fraction ?? Math.min(1, (e.completed ?? 0) / e.total);
        root.querySelector("#export-bar").style.width = `${(fraction * 100).toFixed(1)}%`;
        const elapsed = started ? (performance.now() - started) / 1000 : 0;
        const eta = e.eta_s ?? (fraction > 0.02 && elapsed ? (elapsed / fraction) * (1 - fraction) : null);
        line.textContent = `${e.completed ?? 0} of ${e.total} operations · ${eta != null ? formatDuration(eta) : "–"} left`;
      }
      const byOp = new Map();
      for (const u of units.values()) { const o = byOp.get(u.op) ?? { done: 0, n: 0, failed: 0 }; o.n++; o.done += u.progress; if (u.failed) o.failed++; byOp.set(u.op, o); }
      fill(ops, ...[...byOp].map(([op, o]) => h("div", { class: "row" }, h("span", { style: "width:140px" }, op ?? "–"),
        h("div", { class: "progress", style: "flex:1" }, h("div", { style: `width:${(100 * o.done) / o.n}%` })),
        h("span", { class: "num muted" }, `${Math.round(o.done)}/${o.n}${o.failed ? ` · ${o.failed} failed` : ""}`))));
      if (e.type === "unit_failed") banner(`${e.op ?? "An operation"} failed on ${e.unit}: ${e.message ?? "no reason given"}. Resume retries it.`);
      if (e.type === "export_failed") banner(`The export failed: ${e.message}. Resume goes on from what is done.`);
      if (e.type === "session_finished" || e.type === "job_finished") view.refresh();
    },
    finished(e) {
      if (root.querySelector("#archive-path")) return;
      const ok = e.status === "completed";
      fill(report, h("h3", {}, ok ? "Archive written" : `Export ${e.status}`),
        e.archive_path ? h("p", {}, "Folder: ", h("code", { id: "archive-path" }, e.archive_path)) : null,
        e.message ? h("p", { class: "muted" }, e.message) : null);
      if (ok) {
        root.querySelector("#export-bar").style.width = "100%";
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
      stat("written", stats.total_output_size_mb != null ? formatBytes(stats.total_output_size_mb * 1e6) : null),
      stat("compression", stats.avg_compression_ratio != null ? `${stats.avg_compression_ratio.toFixed(2)}×` : null))),
    h("div", { class: "panel" }, h("h2", {}, "Projects"), list.length ? historyTable(list) : h("p", { class: "empty" }, "No finished projects yet."))));
}

// --- presets ------------------------------------------------------------------------------------
export async function renderPresets(root, bridge) {
  const list = await bridge.call("presets.list");
  const editor = h("div", { class: "panel", id: "preset-editor" }, h("p", { class: "muted" }, "Pick a preset to see or edit its fields."));
  const rows = list.map((p) => h("tr", { dataset: { preset: p.id } },
    h("td", {}, p.name, p.is_default ? h("span", { class: "muted" }, " · default") : null),
    h("td", { class: "muted" }, p.source === "builtin" ? "built-in" : `yours${p.base_preset ? `, from ${p.base_preset}` : ""}`),
    h("td", { class: "actions" },
      h("button", { onclick: () => openPreset(p) }, p.source === "builtin" ? "View" : "Edit"), " ",
      h("button", { disabled: p.is_default, onclick: () => act("presets.set_default", { id: p.id }) }, "Make default"), " ",
      h("button", { onclick: () => exportPreset(p.id) }, "Export"), " ",
      p.source === "builtin" ? null : h("button", { class: "danger", onclick: () => { if (confirm(`Delete preset ${p.name}?`)) act("presets.delete", { id: p.id }); } }, "Delete"))));
  const create = h("form", { class: "form", id: "preset-create" },
    h("label", {}, "Based on"), h("div", { class: "field", dataset: { field: "base" } }, h("select", { name: "base" }, ...list.map((p) => h("option", { value: p.id }, p.name))), h("span", { class: "error" })),
    h("label", {}, "Id"), h("div", { class: "field", dataset: { field: "id" } }, h("input", { type: "text", name: "id", placeholder: "studio-web" }), h("span", { class: "error" })),
    h("label", {}, "Name"), h("div", { class: "field", dataset: { field: "name" } }, h("input", { type: "text", name: "name", placeholder: "Studio web" }), h("span", { class: "error" })),
    h("div", { class: "form-error" }),
    h("div", { class: "form-actions" }, h("button", { class: "primary", type: "submit" }, "Create"),
      h("label", { class: "muted" }, "Import ", h("input", { type: "file", accept: ".json,application/json", id: "preset-import", onchange: (e) => importPreset(e.target.files[0]) }))));
  create.addEventListener("submit", async (e) => {
    e.preventDefault(); clearErrors(create);
    const v = Object.fromEntries(new FormData(create));
    try { await bridge.call("presets.create", { id: v.id.trim(), name: v.name.trim(), base: v.base }); renderPresets(root, bridge); }
    catch (err) { if (!(err.field && fieldError(create, err.field, err.message))) create.querySelector(".form-error").textContent = err.message; }
  });
  fill(root, h("div", { class: "cols" },
    h("div", { class: "stack" }, h("div", { class: "panel" }, h("h2", {}, "Presets"), h("table", { class: "list" }, ...rows)),
      h("div", { class: "panel" }, h("h2", {}, "New preset"), create)),
    editor));

  async function act(method, params) { try { await bridge.call(method, params); renderPresets(root, bridge); } catch (err) { banner(err.message); } }
  async function exportPreset(id) {
    try {
      const r = await bridge.call("presets.export", { id });
      const url = URL.createObjectURL(new Blob([JSON.stringify(r.preset, null, 2)], { type: "application/json" }));
      h("a", { href: url, download: `${id}.json` }).click();
      setTimeout(() => URL.revokeObjectURL(url), 5000);
    } catch (err) { banner(err.message); }
  }
  async function importPreset(file) {
    if (!file) return;
    try { const preset = JSON.parse(await file.text()); await bridge.call("presets.import", { preset }); renderPresets(root, bridge); }
    catch (err) { banner(`Import failed: ${err.message}`); }
  }
  async function openPreset(info) {
    let preset;
    try { preset = await bridge.call("presets.get", { id: info.id }); } catch (err) { banner(err.message); return; }
    const readOnly = info.source === "builtin";
    const form = h("form", { class: "form", novalidate: true });
    const inputs = [];
    const walk = (obj, path) => {
      for (const [k, v] of Object.entries(obj)) {
        if (["id", "name", "description", "base_preset"].includes(k) && !path.length) continue;
        const key = [...path, k];
        if (v && typeof v === "object" && !Array.isArray(v)) { form.append(h("h3", { style: "grid-column:1/-1;margin-top:8px" }, key.join(" › "))); walk(v, key); continue; }
        const input = typeof v === "boolean" ? h("input", { type: "checkbox", checked: v, disabled: readOnly })
          : h("input", { type: typeof v === "number" ? "number" : "text", value: v == null ? "" : Array.isArray(v) ? JSON.stringify(v) : String(v), disabled: readOnly, step: "any" });
        inputs.push({ key, input, original: v });
        form.append(h("label", {}, k.replaceAll("_", " ")), h("div", { class: "field", dataset: { field: key.join(".") } }, input, h("span", { class: "error" })));
      }
    };
    walk(preset, []);
    form.append(h("div", { class: "form-error" }));
    if (!readOnly) form.append(h("div", { class: "form-actions" }, h("button", { class: "primary", type: "submit" }, "Save")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault(); clearErrors(form);
      const overrides = {};
      for (const { key, input, original } of inputs) {
        let value = input.type === "checkbox" ? input.checked : input.value;
        if (typeof original === "number") value = input.value === "" ? null : Number(input.value);
        else if (Array.isArray(original)) { try { value = JSON.parse(input.value); } catch { fieldError(form, key.join("."), "not a JSON list"); return; } }
        else if (original == null && value === "") value = null;
        if (JSON.stringify(value) === JSON.stringify(original)) continue;
        let o = overrides;
        for (const part of key.slice(0, -1)) o = o[part] ??= {};
        o[key.at(-1)] = value;
      }
      try { await bridge.call("presets.update", { id: info.id, overrides }); banner(`Saved ${info.name}.`, { kind: "info", timeoutMs: 2000 }); openPreset(info); }
      catch (err) { if (!(err.field && fieldError(form, err.field, err.message))) form.querySelector(".form-error").textContent = err.message; }
    });
    fill(editor, h("h2", {}, `${preset.name}${readOnly ? " (built-in: create a preset from it to change fields)" : ""}`),
      preset.description ? h("p", { class: "muted" }, preset.description) : null, form);
  }
}

// --- settings -----------------------------------------------------------------------------------
export async function renderSettings(root, bridge) {
  const list = await bridge.call("settings.list");
  const byCategory = new Map();
  for (const s of list) { const c = s.category ?? "general"; if (!byCategory.has(c)) byCategory.set(c, []); byCategory.get(c).push(s); }
  const panels = [...byCategory].map(([cat, items]) => {
    const form = h("div", { class: "form" });
    for (const s of items) {
      const input = s.value_type === "boolean" || typeof s.value === "boolean" ? h("input", { type: "checkbox", checked: !!s.value })
        : h("input", { type: s.value_type === "integer" || s.value_type === "number" || typeof s.value === "number" ? "number" : "text", step: "any",
                       value: s.value == null ? "" : typeof s.value === "object" ? JSON.stringify(s.value) : String(s.value) });
      const box = h("div", { class: "field", dataset: { field: s.key } }, input, h("span", { class: "error" }), s.description ? h("span", { class: "hint" }, s.description) : null);
      input.addEventListener("change", async () => {
        box.classList.remove("invalid"); box.querySelector(".error").textContent = "";
        let value = input.type === "checkbox" ? input.checked : input.type === "number" ? Number(input.value) : input.value;
        if (typeof s.value === "object" && s.value !== null) { try { value = JSON.parse(input.value); } catch { box.classList.add("invalid"); box.querySelector(".error").textContent = "not valid JSON"; return; } }
        try { await bridge.call("settings.set", { key: s.key, value }); banner(`${s.key} saved.`, { kind: "info", timeoutMs: 1500 }); }
        catch (err) { box.classList.add("invalid"); box.querySelector(".error").textContent = err.message; }
      });
      form.append(h("label", { title: s.key }, s.key.replaceAll("_", " ")), box);
    }
    return h("div", { class: "panel" }, h("h2", {}, cat), form);
  });
  fill(root, h("div", { class: "stack", style: "max-width:760px" }, ...panels));
}
