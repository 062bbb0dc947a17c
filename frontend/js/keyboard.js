// The keyboard handler: a key press is looked up in the keymap (keymap.js, the one table of keys)
// and runs the editor action of that name; the context menus offer the same actions. Mixed into
// the Editor.

import * as S from "./state.js";
import { banner } from "./dom.js";
import { KEYMAP, keysLabel, lookup } from "./keymap.js";
import { openMenu } from "./menu.js";
import { parseGoTo } from "./timecode.js";

export const keyboard = {
  key(e) {
    if (e.target.closest?.("input, select, textarea") && e.key !== "Escape") return false;
    // a focused button, link or menu item takes Space and Enter itself: it is pressed
    if ((e.key === " " || e.key === "Enter") && e.target.closest?.("button, a[href], [role=menuitem]")) return false;
    if (this.gridVisible && e.target.closest?.("#grid") && this.gridKey(e)) return true;
    const hit = lookup(e);
    const run = hit && this.keyActions()[hit.row.action];
    if (!run) return false;
    run(hit.arg, e);
    return true;
  },

  keyActions() {
    const go = (f) => this.commit(S.setPlayhead(this.state, f), { follow: true });
    const fps = () => Math.round(this.rate.num / this.rate.den);
    const info = (text) => banner(text, { kind: "info", timeoutMs: 2500 });
    return {
      togglePlay: () => this.viewer.togglePlay(),
      stop: () => this.viewer.stop(),
      shuttle: (d) => this.viewer.shuttleStep(d),
      step: (d) => go(this.state.playhead + d),
      stepSecond: (d) => go(this.state.playhead + d * fps()),
      ends: (d) => go(d < 0 ? this.state.first : this.state.end - 1),
      focusGoto: () => { this.el.goto.focus(); this.el.goto.select(); },
      selectNeighbourCut: (d) => {
        const s = this.state, f = S.neighbourCut(s, d);
        const at = S.setPlayhead(s, f);
        this.commit(s.cuts.includes(f) ? S.selectCut(at, f) : at, { follow: true });
      },
      selectNearestCut: () => {
        const s = this.state;
        if (!s.cuts.length) { info("There are no cuts: C adds one at the playhead."); return; }
        const nearest = s.cuts.reduce((a, c) => (Math.abs(c - s.playhead) < Math.abs(a - s.playhead) ? c : a));
        this.commit(S.selectCut(s, nearest));
      },
      addCut: () => this.addCutAtPlayhead(),
      deleteSelected: () => this.deleteSelected(),
      nudge: (d) => this.nudgeSelectedCut(d),
      selectSceneAtPlayhead: (mode) => this.commit(S.select(this.state, S.sceneStartAt(this.state, this.state.playhead), mode)),
      markIn: () => this.commit(S.markIn(this.state, this.state.playhead)),
      markOut: () => this.commit(S.markOut(this.state, this.state.playhead)),
      merge: () => {
        if (this.state.selection.length < 2) { info("Select two or more scenes to merge them (S, then Shift+S; or Shift+click)."); return; }
        this.commit(S.mergeScenes(this.state, this.state.selection));
      },
      toGroup: (n) => {
        if (!this.state.selection.length) { info("Select scenes first (S, Shift+S, click, Shift+click or Ctrl+A)."); return; }
        this.commit(S.selectionToGroup(this.state, n));
      },
      selectAll: () => this.commit(S.selectAll(this.state)),
      selectNone: () => this.commit(S.selectCut(S.selectNone(this.state), null)),
      masterFrame: () => this.showMasterFrame(),
      toggleMute: () => {
        if (!this.viewer.toggleMute()) banner("This master has no sound.", { kind: "info", timeoutMs: 2000 });
        this.renderHud();
      },
      undo: () => this.undo(),
      redo: () => this.redo(),
      zoom: (factor) => this.timeline.zoomAt(this.timeline.xOf(this.state.playhead), factor),
      fit: () => this.timeline.fit(),
      toggleGrid: () => this.toggleGrid(),
      contextMenu: () => {
        const s = this.state, r = this.timeline.canvas.getBoundingClientRect();
        const x = r.left + Math.max(0, Math.min(r.width - 1, this.timeline.xOf(s.playhead))), y = r.top + r.height / 2;
        if (s.selectedCut != null) this.openMenu("cut", x, y);
        else this.openMenu("scene", x, y);
      },
    };
  },

  // Go to: a timecode, a clock time, a frame number or a scene number (#12), as typed.
  goTo(text) {
    try {
      const frame = parseGoTo(text, this.rate, S.sceneStarts(this.state));
      const { first, end } = this.state;  // past either end is said, not silently clamped
      if (frame < first || frame >= end) throw new RangeError(`${String(text).trim()} is outside the film: its frames are ${first} to ${end - 1}.`);
      this.commit(S.setPlayhead(this.state, frame), { follow: true });
      this.el.goto.value = "";
      this.timeline.canvas.focus();
    } catch (err) { banner(err.message, { kind: "info", timeoutMs: 5000 }); }
  },

  // The actions of the keymap's rows for a cut or a scene, each with its keys, at (x, y).
  openMenu(kind, x, y) {
    const rows = KEYMAP.filter((row) => row.menu?.includes(kind));
    openMenu(x, y, rows.map((row) => ({ label: row.what, keys: keysLabel(row),
      run: () => this.keyActions()[row.action](Array.isArray(row.arg) ? row.arg[0] : row.arg) })));
  },
};
