// Settings: one control per setting, of the kind its value needs (a list, a checkbox, a number
// within its bounds, text); each change is saved at once and refused in words.

import { banner, fill, h } from "../dom.js";

// --- settings -----------------------------------------------------------------------------------
export async function renderSettings(root, bridge) {
  const list = await bridge.call("settings.list");
  // what the app remembers by itself (the window's size and place, the last folders) is no
  // preference to type: it is shown in words, with Forget to go back to the default
  const remembered = list.filter((s) => s.kept_by_app);
  const byCategory = new Map();
  for (const s of list.filter((s) => !s.kept_by_app)) { const c = s.category ?? "general"; if (!byCategory.has(c)) byCategory.set(c, []); byCategory.get(c).push(s); }
  const panels = [...byCategory].map(([cat, items]) => {
    const form = h("div", { class: "form" });
    for (const s of items) {
      // a control for the kind of value: a list of the allowed values, a checkbox, a number within its bounds, text
      const id = `setting-${s.key}`;
      const numeric = s.value_type === "integer" || s.value_type === "real" || s.value_type === "number";
      const input = s.choices ? h("select", { id }, ...s.choices.map((c) => h("option", { value: c, selected: c === s.value }, c)))
        : s.value_type === "boolean" || typeof s.value === "boolean" ? h("input", { type: "checkbox", checked: !!s.value, id })
        : h("input", { type: numeric ? "number" : "text", step: s.value_type === "integer" ? 1 : "any", id, min: s.minimum ?? undefined, max: s.maximum ?? undefined,
                       value: s.value == null ? "" : typeof s.value === "object" ? JSON.stringify(s.value) : String(s.value) });
      if (s.key === "db_version" || s.key === "app_version") input.readOnly = input.disabled = true;
      const box = h("div", { class: "field", dataset: { field: s.key } }, input, h("span", { class: "error" }), s.description ? h("span", { class: "hint" }, s.description) : null);
      input.addEventListener("change", async () => {
        box.classList.remove("invalid"); box.querySelector(".error").textContent = "";
        if (input.type === "number" && input.value.trim() === "") { box.classList.add("invalid"); box.querySelector(".error").textContent = "a number is needed"; return; }
        let value = input.type === "checkbox" ? input.checked : input.type === "number" ? Number(input.value) : input.value;
        if (typeof s.value === "object" && s.value !== null) { try { value = JSON.parse(input.value); } catch { box.classList.add("invalid"); box.querySelector(".error").textContent = "not valid JSON"; return; } }
        try { await bridge.call("settings.set", { key: s.key, value }); banner(`${s.key} saved.`, { kind: "info", timeoutMs: 1500 }); }
        catch (err) { box.classList.add("invalid"); box.querySelector(".error").textContent = err.message; }
      });
      form.append(h("label", { title: s.key, for: id }, s.key.replaceAll("_", " ")), box);
    }
    return h("div", { class: "panel" }, h("h2", {}, cat), form);
  });
  const rememberedPanel = h("div", { class: "panel", id: "remembered" }, h("h2", {}, "Remembered by the app"),
    h("p", { class: "muted" }, "Kept as you work, not typed: Forget goes back to the default (the window opens at its default size and place, the fields and file dialogs start empty)."),
    h("div", { class: "form" }, ...remembered.flatMap((s) => {
      const shown = h("span", { id: `remembered-${s.key}`, class: "num" }, rememberedWords(s));
      const forget = h("button", { type: "button", id: `forget-${s.key}`, "aria-label": `Forget ${s.key.replaceAll("_", " ")}`, disabled: !hasValue(s.value), onclick: async () => {
        try {
          await bridge.call("settings.set", { key: s.key, value: s.value_type === "json" ? null : "" });
          s.value = s.value_type === "json" ? null : ""; shown.textContent = rememberedWords(s); forget.disabled = true;
          banner(`${s.key.replaceAll("_", " ")} forgotten.`, { kind: "info", timeoutMs: 1500 });
        } catch (err) { banner(err.message); }
      } }, "Forget");
      return [h("span", { class: "label", title: s.key }, s.key.replaceAll("_", " ")), h("div", { class: "field", dataset: { field: s.key } }, shown, forget, h("span", { class: "hint" }, s.kept_by_app))];
    })));
  fill(root, h("div", { class: "stack", style: "max-width:760px" }, ...panels, remembered.length ? rememberedPanel : null));
}

const hasValue = (v) => v != null && v !== "";

// A remembered value in words: the window's size and place, or a folder.
function rememberedWords(s) {
  if (!hasValue(s.value)) return "nothing yet (the default)";
  const g = s.value;
  if (typeof g === "object" && g.width && g.height) return `${g.width} × ${g.height}${g.x != null && g.y != null ? ` at ${g.x}, ${g.y}` : ""}`;
  return String(s.value);
}
