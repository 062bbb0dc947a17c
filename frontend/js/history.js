// Undo/redo as a stack of snapshots of the edited fields (cuts, groups, threshold, minimum scene
// length). The playhead, zoom and the selection are not steps of their own: undo keeps the
// playhead where it is and carries the selection over to the restored cuts.

import { setCuts } from "./state.js";

const EDITED = ["cuts", "groups", "nextGroupId", "threshold", "minSceneLen", "notes"];
export const LIMIT = 500;

export function createHistory(state) {
  return { past: [], present: state, future: [] };
}

function edits(state) {
  return Object.fromEntries(EDITED.map((k) => [k, state[k]]));
}

function sameEdits(a, b) {
  return EDITED.every((k) => a[k] === b[k]);
}

// Records `next` as the present. An edit that changes none of the edited fields (a selection, a
// playhead move) replaces the present without a step. With `coalesce`, the step replaces the
// previous one (a threshold drag is one step from where it started).
export function commit(history, next, { coalesce = false } = {}) {
  if (next === history.present) return history;
  if (sameEdits(next, history.present)) return { ...history, present: next };
  const past = coalesce && history.past.length ? history.past : [...history.past, edits(history.present)].slice(-LIMIT);
  return { past, present: next, future: [] };
}

function restore(current, snapshot) {
  // selection follows the current scenes onto the restored cuts; then the groups come back as
  // they were in the snapshot
  const carried = setCuts(current, snapshot.cuts);
  return { ...carried, ...snapshot, selectedCut: snapshot.cuts.includes(current.selectedCut) ? current.selectedCut : null };
}

export function undo(history) {
  if (!history.past.length) return history;
  const snapshot = history.past[history.past.length - 1];
  return {
    past: history.past.slice(0, -1),
    present: restore(history.present, snapshot),
    future: [edits(history.present), ...history.future],
  };
}

export function redo(history) {
  if (!history.future.length) return history;
  const [snapshot, ...future] = history.future;
  return {
    past: [...history.past, edits(history.present)],
    present: restore(history.present, snapshot),
    future,
  };
}

export const canUndo = (h) => h.past.length > 0;
export const canRedo = (h) => h.future.length > 0;
