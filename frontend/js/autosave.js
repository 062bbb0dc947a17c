// Autosave: every edit is saved as it happens (150 ms after the last change), sending only what
// differs from what the bridge last accepted, as one edit.apply. Mixed into
// the Editor (methods use its state, bridge and status field).

import * as S from "./state.js";
import { banner } from "./dom.js";

const SAVE_DELAY_MS = 150;

export const autosave = {
  scheduleSave() {
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => { this.saveTimer = null; this.save(); }, SAVE_DELAY_MS);
    this.setSaveState("saving", "Saving…");
  },

  // Sends what differs from what the bridge has, in one call.
  async save() {
    if (this.saving) { this.saveAgain = true; return this.savingPromise; }
    this.saving = true;
    this.savingPromise = (async () => {
      try {
        do {
          this.saveAgain = false;
          const want = S.toBridge(this.state), change = this.unsavedChange(want);
          if (!change) continue;
          const r = await this.bridge.call("edit.apply", { session_id: this.sessionId, ...change });
          // the answer is the session as the bridge now holds it (selection and groups carried
          // over new cuts), so the next save is measured against that
          this.learnThumbs(r);
          this.saved = { ...this.saved, threshold: want.threshold, min_scene_len: want.min_scene_len, cuts: r.cuts, selection: r.selection, groups: bridgeGroups(r.groups), scene_notes: bridgeNotes(r.scene_notes) };
        } while (this.saveAgain);
        // an edit made while this save was out is still waiting for its timer: not saved yet
        if (this.saveTimer == null) this.setSaveState("", "All changes saved");
      } catch (err) {
        this.setSaveState("failed", "Not saved");
        banner(`Your last edit was not saved: ${err.message}`);
        throw err;
      } finally {
        this.saving = false;
      }
    })();
    return this.savingPromise.catch(() => {});
  },

  // One edit.apply's parts: each that differs from what the bridge holds, saved in one
  // transaction or not at all (the core orders the parts as scene numbers need); null: none.
  unsavedChange(want = S.toBridge(this.state)) {
    const have = this.saved, change = {};
    if (want.threshold !== have.threshold || want.min_scene_len !== have.min_scene_len) Object.assign(change, { threshold: want.threshold, min_scene_len: want.min_scene_len });
    for (const key of ["cuts", "groups", "selection", "scene_notes"]) if (!sameJSON(want[key], have[key])) change[key] = want[key];
    return Object.keys(change).length ? change : null;
  },

  // The tab closing or reloading: an edit still waiting for its timer (or behind the save out
  // now) is sent at once, in a request the browser finishes after the page has gone.
  saveOnLeave() {
    if (!this.sessionId || (this.saveTimer == null && !this.saveAgain)) return;
    clearTimeout(this.saveTimer);
    this.saveTimer = null;
    const change = this.unsavedChange();
    if (change) this.bridge.call("edit.apply", { session_id: this.sessionId, ...change }, { keepalive: true }).catch(() => {});
  },

  async flush() {
    clearTimeout(this.saveTimer);
    this.saveTimer = null;
    await this.save();
    if (this.el.save.classList.contains("failed")) throw new Error("the edits could not be saved, so export would not use them");
  },

  setSaveState(cls, text) {
    this.el.save.className = cls || "muted";
    this.el.save.textContent = text;
  },
};

// Groups as the bridge returns them, in the shape toBridge makes (for comparing).
export function bridgeGroups(groups) {
  return (groups ?? []).map((g) => ({ name: g.name, color: g.color ?? null, scenes: [...g.scenes] }));
}

// Scene notes as the bridge returns them, in the shape toBridge makes (for comparing).
export function bridgeNotes(notes) {
  return (notes ?? []).map((n) => ({ start_frame: n.start_frame, label: n.label ?? "", note: n.note ?? "" }));
}

export function sameJSON(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}
