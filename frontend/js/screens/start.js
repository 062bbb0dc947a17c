// The start screen: a new project (its errors next to their fields, all at once), the unfinished
// sessions and the recent projects.

import { banner, fill, h, todayYYMMDD } from "../dom.js";
import { checkDate } from "../rules.js";
import { clearErrors, fieldError } from "./forms.js";
import { historyTable } from "./history.js";

const FIELDS = [
  ["master", "Master video", "file"], ["artwork", "Artwork name", "text"], ["date", "Project date", "text"],
  ["rd", "R&D folder", "folder"], ["out", "Output folder", "folder"], ["preset", "Preset", "select"], ["encoder", "Encoder", "select"],
];

// What a new project needs before anything is asked of the core, said for every field at once.
const REQUIRED = { master: "Choose the master video.", artwork: "Give the artwork a name.", date: "Give the project's date (YY-MM-DD, or YYYY-MM-DD).", out: "Choose the folder the archive goes into." };

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
  if (master) form.querySelector("#f-master").value = master;  // `video-archive app FILE` ("Open with")
  form.querySelector("#f-date").placeholder = "YY-MM-DD or YYYY-MM-DD";
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
    // the date by the core's own rule (rules.js, same cases): an ISO date is taken and shown
    // shortened, a date that is no day is said at once with the others
    const problems = Object.keys(REQUIRED).filter((k) => !params[k]).map((k) => [k, REQUIRED[k]]);
    if (params.date) {
      try { params.date = checkDate(params.date); form.querySelector("#f-date").value = params.date; } catch (err) { problems.push(["date", err.message]); }
    }
    if (problems.length) {
      problems.forEach(([k, text], i) => fieldError(form, k, text, { focus: i === 0 }));
      return;
    }
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
      const [presets, doctor, lastOut] = await Promise.all([bridge.call("presets.list"), bridge.call("system.doctor").catch(() => null),
        bridge.call("settings.get", { key: "last_output_directory" }).catch(() => null)]);
      // the output folder of the last project, remembered (the desktop dialogs start in the remembered folders too)
      const out = form.querySelector("#f-out");
      if (!out.value && lastOut?.value) out.value = lastOut.value;
      const sel = form.querySelector("#f-preset");
      fill(sel, ...presets.map((p) => h("option", { value: p.id, selected: p.is_default }, `${p.name}${p.is_default ? " (default)" : ""}`)));
      const enc = form.querySelector("#f-encoder");
      const proven = encodersProven(doctor);
      fill(enc, h("option", { value: "auto" }, `Auto${proven.best ? ` (${proven.best})` : ""}`),
        h("option", { value: "x264" }, encoderWords("x264 (CPU)", proven.x264)),
        h("option", { value: "nvenc" }, encoderWords("NVENC (NVIDIA)", proven.nvenc)));
    }),
    loadInto(sessions, async () => {
      const list = await bridge.call("project.list");
      if (!list.length) { fill(sessions, h("p", { class: "empty" }, "None: every project was finished or discarded.")); return; }
      fill(sessions, h("table", { class: "list" },
        h("tr", {}, h("th", {}, "Project"), h("th", {}, "State"), h("th", {}, "Updated"), h("th", {}, h("span", { class: "sr-only" }, "Actions"))),
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
      fill(recent, historyTable(list, { onReopen: async (r) => {
        try {
          const started = await bridge.call("project.reopen", { session_id: r.session_id });
          banner(`A new version of ${r.artwork_name}: ${started.archive_path} (the first stays as it is).`, { kind: "info", timeoutMs: 6000 });
          openSession(started.session_id);
        } catch (err) { banner(err.message); }
      } }));
    }),
  ]);
}

// What `system.doctor` proved by a real test encode: per family (x264, nvenc), whether an encoder
// of it is usable and why not; and the encoder Auto picks now (encoder_choice).
function encodersProven(doctor) {
  const out = { best: doctor?.encoder_choice?.encoder ?? null, x264: null, nvenc: null };
  for (const e of doctor?.encoders ?? []) {
    const family = out[e.family];
    if (family === undefined) continue;
    if (!family || (e.usable && !family.usable)) out[e.family] = { usable: !!e.usable, reason: e.reason ?? null };
  }
  return out;
}

function encoderWords(name, proven) {
  if (!proven) return `${name} – not checked`;
  return proven.usable ? `${name} – proven here` : `${name} – not available here${proven.reason ? ` (${proven.reason})` : ""}`;
}
