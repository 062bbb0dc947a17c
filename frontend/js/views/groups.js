// The groups panel: rename, recolour, reorder, remove, drop scenes onto a group. Mixed into the
// Editor.

import * as S from "../state.js";
import { banner, fill, h } from "../dom.js";

export const groups = {
  groupDrag(starts, x, y, phase) {
    for (const el of this.root.querySelectorAll(".group.drop")) el.classList.remove("drop");
    this.ghost?.remove();
    this.ghost = null;
    const target = document.elementFromPoint(x, y)?.closest?.("[data-group]");
    if (phase === "move") {
      target?.classList.add("drop");
      this.ghost = h("div", { class: "drag-ghost", style: `left:${x + 12}px;top:${y + 8}px` }, `${starts.length} scene${starts.length === 1 ? "" : "s"}`);
      document.body.append(this.ghost);
      return;
    }
    if (phase === "drop" && target) {
      const id = target.dataset.group === "none" ? null : Number(target.dataset.group);
      this.commit(S.assignScenes(this.state, starts, id));
    }
  },

  newGroup() {
    try {
      let k = this.state.groups.length + 1;
      while (this.state.groups.some((g) => g.name === `Group ${k}`)) k++;
      const next = S.createGroup(this.state, `Group ${k}`);
      this.commit(this.state.selection.length ? S.assignScenes(next, next.selection, next.groups.at(-1).id) : next);
    } catch (err) { this.fail(err); }
  },

  editGroup(fn) {
    try { this.commit(fn(this.state)); } catch (err) { banner(err.message); this.renderGroups(); }
  },

  // A name being typed is kept as a draft until Enter or leaving the field, so a redraw of the
  // panel (a drag, a save's answer) while typing loses neither the text nor the focus.
  commitName(id, name) {
    this.nameDrafts.delete(id);
    const group = this.state.groups.find((g) => g.id === id);
    if (group && group.name !== name) this.editGroup((st) => S.renameGroup(st, id, name));
  },

  renderGroups() {
    const s = this.state, el = this.el.groups;
    const active = document.activeElement;
    const typing = active && active.matches?.("input.name") && el.contains(active)
      ? { id: active.closest("[data-group]").dataset.group, start: active.selectionStart, end: active.selectionEnd } : null;
    const rows = s.groups.map((g, i) => h("div", { class: "group", dataset: { group: String(g.id) } },
      h("span", { class: "key", title: `Key ${i + 1}` }, i < 9 ? String(i + 1) : ""),
      h("input", { type: "color", value: g.color, title: "Colour", onchange: (e) => this.editGroup((st) => S.recolorGroup(st, g.id, e.target.value)) }),
      h("input", { class: "name", type: "text", value: this.nameDrafts.get(g.id) ?? g.name, title: "Rename",
                   oninput: (e) => this.nameDrafts.set(g.id, e.target.value),
                   onchange: (e) => this.commitName(g.id, e.target.value),
                   onkeydown: (e) => { if (e.key === "Enter") this.commitName(g.id, e.target.value); } }),
      h("span", { class: "count", title: "Scenes in this group" }, String(g.scenes.length)),
      h("button", { class: "icon", title: "Select this group's scenes", onclick: () => this.commit({ ...this.state, selection: [...g.scenes] }) }, "⊙"),
      h("button", { class: "icon", title: "Move up", disabled: i === 0, onclick: () => this.editGroup((st) => S.moveGroup(st, g.id, i - 1)) }, "↑"),
      h("button", { class: "icon", title: "Move down", disabled: i === s.groups.length - 1, onclick: () => this.editGroup((st) => S.moveGroup(st, g.id, i + 1)) }, "↓"),
      h("button", { class: "icon danger", title: "Remove the group (its scenes stay)", onclick: () => this.editGroup((st) => S.removeGroup(st, g.id)) }, "×")));
    fill(el, h("h3", {}, "Groups"),
      ...rows,
      h("div", { class: "group none", dataset: { group: "none" }, title: "Drop scenes here to take them out of their group" }, "No group"),
      h("div", { class: "row" }, h("button", { id: "new-group", onclick: () => this.newGroup(), title: "A new group (with the selected scenes)" }, "+ New group")),
      h("p", { class: "muted" }, "Drag selected scenes from the timeline or the grid onto a group, or press 1–9."));
    const input = typing && el.querySelector(`[data-group="${CSS.escape(typing.id)}"] input.name`);
    if (input) { input.focus(); input.setSelectionRange(typing.start, typing.end); }
  },
};
