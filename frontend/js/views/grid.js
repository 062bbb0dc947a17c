// The scene grid view: a tile per scene (the ingest's thumbnail or a sprite tile), selection and
// group colour, drag onto a group, the arrow keys, Enter and double-click to go there. Mixed into
// the Editor.

import * as S from "../state.js";
import { fill, h } from "../dom.js";
import { tileBackground } from "../sprites.js";

export const grid = {
  toggleGrid() {
    this.gridVisible = !this.gridVisible;
    this.el.grid.hidden = !this.gridVisible;
    this.el.viewer.hidden = this.gridVisible;
    if (this.gridVisible) {
      this.renderGrid();
      this.focusCell(this.el.grid.querySelector(".cell[tabindex='0']"));
    } else if (this.el.grid.contains(document.activeElement)) this.timeline.canvas.focus();
  },

  renderGridSoon() {
    if (!this.gridVisible) return;
    cancelAnimationFrame(this.gridFrame);
    this.gridFrame = requestAnimationFrame(() => this.renderGrid());
  },

  renderGrid() {
    const s = this.state;
    const selected = new Set(s.selection);
    const color = new Map();
    for (const g of s.groups) for (const st of g.scenes) color.set(st, g.color);
    const current = S.sceneStartAt(s, s.playhead);
    const cells = S.scenes(s).map((sc) => {
      const start = sc.start_frame;
      const pic = h("span", { class: "pic" });
      const url = this.sceneThumbs.get(`${sc.start_frame}-${sc.end_frame}`);
      if (url) pic.style.backgroundImage = `url("${url}")`;
      else tileBackground(pic, this.sprites, sc.start_frame + Math.floor((sc.end_frame - sc.start_frame + 1) / 2));
      const cell = h("div", { class: `cell${selected.has(start) ? " selected" : ""}`, dataset: { start: String(start) }, title: `Scene ${sc.number}: frames ${sc.start_frame}–${sc.end_frame}`,
                              role: "option", "aria-selected": String(selected.has(start)), "aria-label": `Scene ${sc.number}, ${sc.end_frame - sc.start_frame + 1} frames`,
                              tabindex: start === current ? 0 : -1 },
        pic, color.has(start) ? h("span", { class: "chip", style: `background:${color.get(start)}` }) : null,
        h("span", { class: "cap" }, h("span", { class: "label" }, `#${sc.number}${S.noteOf(s, start)?.label ? ` ${S.noteOf(s, start).label}` : ""}`), h("span", { class: "num" }, `${sc.end_frame - sc.start_frame + 1} f`)));
      return cell;
    });
    const focused = this.el.grid.contains(document.activeElement) ? Number(document.activeElement.dataset.start) : null;
    fill(this.el.grid, ...cells);
    if (focused != null) this.focusCell(this.el.grid.querySelector(`.cell[data-start="${focused}"]`));
    if (!this.gridWired) { this.wireGrid(); this.gridWired = true; }
  },

  wireGrid() {
    const grid = this.el.grid;
    let press = null;
    grid.addEventListener("pointerdown", (e) => {
      const cell = e.target.closest(".cell");
      if (!cell || e.button !== 0) return;
      press = { start: Number(cell.dataset.start), x: e.clientX, y: e.clientY, moved: false, mode: e.shiftKey ? "shift" : (e.ctrlKey || e.metaKey) ? "ctrl" : "click" };
      grid.setPointerCapture(e.pointerId);
    });
    grid.addEventListener("pointermove", (e) => {
      if (!press) return;
      if (!press.moved && Math.hypot(e.clientX - press.x, e.clientY - press.y) < 5) return;
      if (!press.moved && !this.state.selection.includes(press.start)) this.commit(S.select(this.state, press.start, press.mode));
      press.moved = true;
      this.groupDrag(this.state.selection, e.clientX, e.clientY, "move");
    });
    grid.addEventListener("pointerup", (e) => {
      if (!press) return;
      if (press.moved) this.groupDrag(this.state.selection, e.clientX, e.clientY, "drop");
      else this.commit(S.select(this.state, press.start, press.mode));
      press = null;
    });
    grid.addEventListener("dblclick", (e) => {
      const cell = e.target.closest(".cell");
      if (cell) this.gridGo(Number(cell.dataset.start));
    });
    grid.addEventListener("contextmenu", (e) => {
      const cell = e.target.closest(".cell");
      if (!cell) return;
      e.preventDefault();
      const start = Number(cell.dataset.start);
      if (!S.isSelected(this.state, start)) this.commit(S.select(this.state, start, "click"));
      this.commit(S.setPlayhead(this.state, start));
      this.openMenu("scene", e.clientX, e.clientY);
    });
  },

  // The grid cell's scene: the playhead goes to its first frame and the viewer comes back.
  gridGo(start) {
    this.toggleGrid();
    this.commit(S.setPlayhead(this.state, start), { follow: true });
    this.timeline.canvas.focus();
  },

  // Arrows move the focus through the grid (a row is the cells on one line), Enter goes to the
  // focused scene, Space selects it (Shift: extends, Ctrl: toggles). Other keys: the keymap's.
  gridKey(e) {
    const cells = [...this.el.grid.querySelectorAll(".cell")];
    const at = cells.indexOf(e.target.closest(".cell"));
    if (at < 0) return false;
    const perRow = Math.max(1, cells.filter((c) => c.offsetTop === cells[0].offsetTop).length);
    const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -perRow, ArrowDown: perRow }[e.key];
    const start = Number(cells[at].dataset.start);
    if (step != null && !e.ctrlKey && !e.metaKey) {
      this.focusCell(cells[Math.max(0, Math.min(cells.length - 1, at + step))]);
      return true;
    }
    if (e.key === "Enter") { this.gridGo(start); return true; }
    if (e.key === " ") { this.commit(S.select(this.state, start, e.shiftKey ? "shift" : (e.ctrlKey || e.metaKey) ? "ctrl" : "click")); return true; }
    return false;
  },

  focusCell(cell) {
    if (!cell) return;
    for (const c of this.el.grid.querySelectorAll(".cell[tabindex='0']")) c.tabIndex = -1;
    cell.tabIndex = 0;
    cell.focus();
  },
};
