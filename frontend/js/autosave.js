// Autosave: every edit is saved as it happens (150 ms after the last change), sending only what
// differs from what the bridge last accepted, in the order scene numbers depend on. Mixed into
// the Editor (methods use its state, bridge and status field).

import * as S from "./state.js";
import { banner } from "./dom.js";

const SAVE_DELAY_MS = 150;

export const autosave = {
  scheduleSave() {
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.save(), SAVE_DELAY_MS);
    this.setSaveState("saving", "Saving…");
  },

  // Sends what differs from what the bridge has, in the order scene numbers depend on.
  async save() {
    if (this.saving) { this.saveAgain = true; return this.savingPromise; }
    this.saving = true;
    this.savingPromise = (async () => {
      try {
        do {
          this.saveAgain = false;
          const want = S.toBridge(this.state), have = this.saved;
          const id = this.sessionId;
          // each answer is the session as the bridge now holds it (it carries selection and groups
          // over new cuts itself), so what is left to send is measured against that
          const accept = (r, extra = {}) => { this.learnThumbs(r); this.saved = { ...this.saved, ...extra, cuts: r.cuts, selection: r.selection, groups: bridgeGroups(r.groups), scene_notes: bridgeNotes(r.scene_notes) }; };
          if (want.threshold !== have.threshold || want.min_scene_len !== have.min_scene_len) {
            accept(await this.bridge.call("edit.recut", { session_id: id, threshold: want.threshold, min_scene_len: want.min_scene_len }),
                   { threshold: want.threshold, min_scene_len: want.min_scene_len });
          }
          if (!sameJSON(want.cuts, this.saved.cuts)) accept(await this.bridge.call("edit.set_cuts", { session_id: id, cuts: want.cuts }));
          if (!sameJSON(want.groups, this.saved.groups)) accept(await this.bridge.call("edit.set_groups", { session_id: id, groups: want.groups }));
          if (!sameJSON(want.selection, this.saved.selection)) accept(await this.bridge.call("edit.set_selection", { session_id: id, scenes: want.selection }));
          if (!sameJSON(want.scene_notes, this.saved.scene_notes)) accept(await this.bridge.call("edit.set_scene_notes", { session_id: id, notes: want.scene_notes }));
        } while (this.saveAgain);
        this.setSaveState("", "All changes saved");
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

  async flush() {
    clearTimeout(this.saveTimer);
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
