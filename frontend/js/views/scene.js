// The scene panel: the label and note of the scene under the playhead. Mixed into the Editor.

import * as S from "../state.js";
import { banner, fill, h } from "../dom.js";

export const scenePanel = {
  // The scene under the playhead: its label (on the timeline and in the contact sheet) and note.
  renderScenePanel() {
    const s = this.state, el = this.el.scene;
    const start = S.sceneStartAt(s, s.playhead);
    const number = S.sceneStarts(s).indexOf(start) + 1;
    // being typed in: kept, for the scene it was opened on, until Enter or leaving the field saves
    // it (the playhead may cross into another scene meanwhile, playing; the words are not lost)
    if (el.contains(document.activeElement)) return;
    const note = S.noteOf(s, start);
    const save = () => {
      try { this.commit(S.setNote(this.state, start, el.querySelector("#scene-label").value, el.querySelector("#scene-note").value)); }
      catch (err) { banner(err.message); }
    };
    el.dataset.start = String(start);
    fill(el, h("h3", {}, `Scene ${number}`),
      h("label", { class: "muted", for: "scene-label" }, "Label"),
      h("input", { id: "scene-label", type: "text", maxlength: S.LABEL_CHARS, value: note?.label ?? "", placeholder: "e.g. Title card", onchange: save,
                   onkeydown: (e) => { if (e.key === "Enter") { save(); this.timeline.canvas.focus(); } } }),
      h("label", { class: "muted", for: "scene-note" }, "Note"),
      h("textarea", { id: "scene-note", rows: 2, maxlength: S.NOTE_CHARS, onchange: save }, note?.note ?? ""));
  },
};
