// Presets: the list, a new preset from another, import/export, and a preset's fields.

import { banner, fill, h } from "../dom.js";
import { clearErrors, fieldError } from "./forms.js";

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
    h("label", { for: "preset-base" }, "Based on"), h("div", { class: "field", dataset: { field: "base" } }, h("select", { name: "base", id: "preset-base" }, ...list.map((p) => h("option", { value: p.id }, p.name))), h("span", { class: "error" })),
    h("label", { for: "preset-id" }, "Id"), h("div", { class: "field", dataset: { field: "id" } }, h("input", { type: "text", name: "id", id: "preset-id", placeholder: "studio-web" }), h("span", { class: "error" })),
    h("label", { for: "preset-name" }, "Name"), h("div", { class: "field", dataset: { field: "name" } }, h("input", { type: "text", name: "name", id: "preset-name", placeholder: "Studio web" }), h("span", { class: "error" })),
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
        const id = `preset-field-${key.join("-")}`;
        const input = typeof v === "boolean" ? h("input", { type: "checkbox", checked: v, disabled: readOnly, id })
          : h("input", { type: typeof v === "number" ? "number" : "text", value: v == null ? "" : Array.isArray(v) ? JSON.stringify(v) : String(v), disabled: readOnly, step: "any", id });
        inputs.push({ key, input, original: v });
        form.append(h("label", { for: id }, k.replaceAll("_", " ")), h("div", { class: "field", dataset: { field: key.join(".") } }, input, h("span", { class: "error" })));
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
