// The timeline's data as one plain object, and every edit as a pure function state -> state.
// Nothing here touches the DOM, the canvas or the bridge: views draw from the state, the
// transport saves it. A scene is known by its start frame while editing, so selection and groups
// follow their scenes through added, moved and removed cuts; scene numbers (what the bridge
// speaks) are derived at the boundary (toBridge / fromTimeline).
//
// state = {
//   first, end,            film's frame numbers: scenes cover [first, end)
//   cuts,                  sorted frame numbers, first < cut < end
//   selection,             start frames of the selected scenes, sorted
//   anchor,                start frame Shift+click extends from (null: none)
//   groups,                [{id, name, color, scenes: [start frames]}] in display order
//   nextGroupId,
//   threshold, minSceneLen,
//   playhead,              frame number under the playhead
//   selectedCut,           frame number of the cut under review, or null
//   notes,                 [{start, label, note}]: a person's words on scenes, by start frame, sorted
// }

import { scenesFromCuts } from "./cuts.js";
import { checkGroupName, textProblem } from "./rules.js";

export const GROUP_COLORS = ["#c4694f", "#c9a24a", "#7fa35a", "#4f9a94", "#4f7cc4",
                             "#8a6cc4", "#c45f9a", "#8c8c8c", "#b58a5c"];

export function initialState({ first = 0, end, cuts = [], threshold = 30, minSceneLen = 15 }) {
  if (!(Number.isInteger(end) && end > first)) throw new RangeError(`film end ${end} must follow its first frame ${first}`);
  return {
    first, end, cuts: normalCuts(cuts, first, end), selection: [], anchor: null, groups: [],
    nextGroupId: 1, threshold, minSceneLen, playhead: first, selectedCut: null, notes: [],
  };
}

function normalCuts(cuts, first, end) {
  const out = Float64Array.from(cuts, Number).sort();
  const kept = [];
  for (const c of out) if (Number.isInteger(c) && c > first && c < end && c !== kept[kept.length - 1]) kept.push(c);
  return kept;
}

// --- reading ---------------------------------------------------------------------------------

export function scenes(state) {
  return scenesFromCuts(state.cuts, state.first, state.end);
}

// Start frames of all scenes, in order.
export function sceneStarts(state) {
  return [state.first, ...state.cuts];
}

// Largest i with sorted[i] <= value (-1 when none).
export function floorIndex(sorted, value) {
  let lo = 0, hi = sorted.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= value) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return found;
}

// Start frame of the scene holding `frame`.
export function sceneStartAt(state, frame) {
  const i = floorIndex(state.cuts, frame);
  return i < 0 ? state.first : state.cuts[i];
}

export function groupOf(state, start) {
  return state.groups.find((g) => g.scenes.includes(start)) ?? null;
}

export function isSelected(state, start) {
  const i = floorIndex(state.selection, start);
  return i >= 0 && state.selection[i] === start;
}

export function clampFrame(state, frame) {
  return Math.min(state.end - 1, Math.max(state.first, Math.round(frame)));
}

// --- cuts ------------------------------------------------------------------------------------

// New cuts with selection and groups carried over: a new scene takes after the old scene its
// first frame was in (a split scene's halves both keep its choice; merged scenes keep the
// first's), as the core does (carry_choices; tests/data/editor_rules.json).
export function setCuts(state, cuts) {
  const next = normalCuts(cuts, state.first, state.end);
  if (sameArray(next, state.cuts)) return state;
  const oldStarts = sceneStarts(state);
  const newStarts = [state.first, ...next];
  const selected = new Set(state.selection);
  const groupOfOld = new Map();
  for (const g of state.groups) for (const s of g.scenes) groupOfOld.set(s, g.id);
  const members = new Map(state.groups.map((g) => [g.id, []]));
  const selection = [];
  let j = 0;  // one pass over both sorted lists: old scene j holds new scene i's first frame
  for (const start of newStarts) {
    while (j + 1 < oldStarts.length && oldStarts[j + 1] <= start) j++;
    if (selected.has(oldStarts[j])) selection.push(start);
    const gid = groupOfOld.get(oldStarts[j]);
    if (gid != null) members.get(gid).push(start);
  }
  const groups = state.groups.map((g) => ({ ...g, scenes: members.get(g.id) }));
  const anchor = state.anchor == null ? null : newStarts[floorIndex(newStarts, state.anchor)];
  const selectedCut = state.selectedCut != null && next.includes(state.selectedCut) ? state.selectedCut : null;
  return { ...state, cuts: next, selection, groups, anchor, selectedCut, notes: carryNotes(state.notes, newStarts) };
}

// Notes over new scenes (`starts` sorted): a note stays with the scene its frame is in now; two
// that land on one scene are joined, so no words are lost (the core's carry_notes).
export function carryNotes(notes, starts) {
  const out = [];
  for (const n of notes) {
    const start = starts[Math.max(0, floorIndex(starts, n.start))];
    const last = out[out.length - 1];
    if (last && last.start === start) {
      out[out.length - 1] = { start, label: [last.label, n.label].filter(Boolean).join(" / "), note: [last.note, n.note].filter(Boolean).join("\n") };
    } else out.push(n.start === start ? n : { ...n, start });
  }
  return out;
}

export const LABEL_CHARS = 80, NOTE_CHARS = 2000;

// The label and note of the scene starting at `start` (both empty: none).
export function setNote(state, start, label, note) {
  if (!sceneStarts(state).includes(start)) throw new RangeError(`no scene starts at frame ${start}`);
  const l = String(label ?? "").trim(), n = String(note ?? "").trim();
  const bad = textProblem(l) ?? textProblem(n, { multiline: true });
  if (bad) throw new RangeError(`The label or note ${bad}.`);
  if (l.length > LABEL_CHARS || n.length > NOTE_CHARS) throw new RangeError(`A label is at most ${LABEL_CHARS} characters and a note at most ${NOTE_CHARS}.`);
  const others = state.notes.filter((x) => x.start !== start);
  const was = state.notes.find((x) => x.start === start);
  if ((was?.label ?? "") === l && (was?.note ?? "") === n) return state;
  const notes = l || n ? [...others, { start, label: l, note: n }].sort((a, b) => a.start - b.start) : others;
  return { ...state, notes };
}

export function noteOf(state, start) {
  return state.notes.find((x) => x.start === start) ?? null;
}

function sameArray(a, b) {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export function addCut(state, frame) {
  const f = Math.round(frame);
  if (f <= state.first || f >= state.end || state.cuts.includes(f)) return state;
  return { ...setCuts(state, [...state.cuts, f]), selectedCut: f };
}

// Removing a cut merges the two scenes it separates.
export function deleteCut(state, frame) {
  if (!state.cuts.includes(frame)) return state;
  const next = setCuts(state, state.cuts.filter((c) => c !== frame));
  return { ...next, selectedCut: null };
}

// Moves a cut to `to`, kept strictly between its neighbours; its scene keeps its selection and
// group under the new start frame.
export function moveCut(state, from, to) {
  const i = state.cuts.indexOf(from);
  if (i < 0) return state;
  const lo = (i > 0 ? state.cuts[i - 1] : state.first) + 1;
  const hi = (i + 1 < state.cuts.length ? state.cuts[i + 1] : state.end) - 1;
  const target = Math.min(hi, Math.max(lo, Math.round(to)));
  if (target === from) return state;
  const rename = (s) => (s === from ? target : s);
  const cuts = state.cuts.map(rename);
  return {
    ...state, cuts,
    selection: state.selection.map(rename).sort((a, b) => a - b),
    groups: state.groups.map((g) => ({ ...g, scenes: g.scenes.map(rename).sort((a, b) => a - b) })),
    anchor: state.anchor === from ? target : state.anchor,
    selectedCut: state.selectedCut === from ? target : state.selectedCut,
    notes: state.notes.map((n) => (n.start === from ? { ...n, start: target } : n)),
  };
}

// I: the scene under `frame` starts there (its starting cut moves to it; in the first scene a cut
// is added, so what came before becomes a scene of its own).
export function markIn(state, frame) {
  const f = clampFrame(state, frame), start = sceneStartAt(state, f);
  if (f === start) return state;
  return start === state.first ? addCut(state, f) : { ...moveCut(state, start, f), selectedCut: f };
}

// O: the scene under `frame` ends there (the cut after it moves to the next frame; in the last
// scene a cut is added there).
export function markOut(state, frame) {
  const f = clampFrame(state, frame), next = state.cuts.find((c) => c > f);
  if (next == null) return addCut(state, f + 1);
  return next === f + 1 ? state : { ...moveCut(state, next, f + 1), selectedCut: f + 1 };
}

// Merges the scenes whose start frames are given (and any between them) into one.
export function mergeScenes(state, starts) {
  if (starts.length < 2) return state;
  const lo = Math.min(...starts), hi = Math.max(...starts);
  return setCuts(state, state.cuts.filter((c) => c <= lo || c > hi));
}

export function selectCut(state, frame) {
  if (frame != null && !state.cuts.includes(frame)) return state;
  return state.selectedCut === frame ? state : { ...state, selectedCut: frame };
}

// --- threshold -------------------------------------------------------------------------------

// New threshold and minimum scene length with the cuts they give (computed by the caller from
// the stored scores: cuts.replayCuts, or the bridge's edit.recut).
export function setThreshold(state, threshold, minSceneLen, cuts) {
  const next = setCuts(state, cuts);
  if (next === state && threshold === state.threshold && minSceneLen === state.minSceneLen) return state;
  return { ...next, threshold, minSceneLen };
}

// --- playhead --------------------------------------------------------------------------------

export function setPlayhead(state, frame) {
  const f = clampFrame(state, frame);
  return f === state.playhead ? state : { ...state, playhead: f };
}

// The cut after (direction 1) or before (-1) the playhead; the film's ends past the last/first.
export function neighbourCut(state, direction) {
  const p = state.playhead;
  if (direction > 0) return state.cuts.find((c) => c > p) ?? state.end - 1;
  for (let i = state.cuts.length - 1; i >= 0; i--) if (state.cuts[i] < p) return state.cuts[i];
  return state.first;
}

// --- selection -------------------------------------------------------------------------------

// mode: "click" selects only this scene, "ctrl" toggles it, "shift" selects the range from the
// anchor (the last click) to it.
export function select(state, start, mode = "click") {
  const starts = sceneStarts(state);
  if (!starts.includes(start)) return state;
  if (mode === "ctrl") {
    const selection = state.selection.includes(start)
      ? state.selection.filter((s) => s !== start)
      : [...state.selection, start].sort((a, b) => a - b);
    return { ...state, selection, anchor: start };
  }
  if (mode === "shift" && state.anchor != null) {
    const lo = Math.min(state.anchor, start), hi = Math.max(state.anchor, start);
    return { ...state, selection: starts.filter((s) => s >= lo && s <= hi) };
  }
  return { ...state, selection: [start], anchor: start };
}

export function selectAll(state) {
  return { ...state, selection: sceneStarts(state) };
}

export function selectNone(state) {
  return state.selection.length ? { ...state, selection: [], anchor: null } : state;
}

// --- groups ----------------------------------------------------------------------------------

export function createGroup(state, name, color) {
  const clean = checkName(state, name, null);
  const id = state.nextGroupId;
  const colour = color ?? GROUP_COLORS[state.groups.length % GROUP_COLORS.length];
  return {
    ...state, nextGroupId: id + 1,
    groups: [...state.groups, { id, name: clean, color: checkColor(colour), scenes: [] }],
  };
}

function checkName(state, name, exceptId) {
  return checkGroupName(name, state.groups.filter((g) => g.id !== exceptId).map((g) => g.name));
}

function checkColor(color) {
  if (!/^#[0-9a-fA-F]{6}$/.test(color)) throw new RangeError(`colour ${color} is not #rrggbb`);
  return color.toLowerCase();
}

function updateGroup(state, id, change) {
  if (!state.groups.some((g) => g.id === id)) throw new RangeError(`no group ${id}`);
  return { ...state, groups: state.groups.map((g) => (g.id === id ? { ...g, ...change } : g)) };
}

export function renameGroup(state, id, name) {
  return updateGroup(state, id, { name: checkName(state, name, id) });
}

export function recolorGroup(state, id, color) {
  return updateGroup(state, id, { color: checkColor(color) });
}

export function moveGroup(state, id, toIndex) {
  const from = state.groups.findIndex((g) => g.id === id);
  if (from < 0) throw new RangeError(`no group ${id}`);
  const to = Math.max(0, Math.min(state.groups.length - 1, toIndex));
  if (to === from) return state;
  const groups = [...state.groups];
  const [g] = groups.splice(from, 1);
  groups.splice(to, 0, g);
  return { ...state, groups };
}

// Removing a group leaves its scenes ungrouped (they are not deleted).
export function removeGroup(state, id) {
  if (!state.groups.some((g) => g.id === id)) throw new RangeError(`no group ${id}`);
  return { ...state, groups: state.groups.filter((g) => g.id !== id) };
}

// Puts scenes into group `id` (null: into no group), taking them out of any other: a scene is in
// at most one group.
export function assignScenes(state, starts, id) {
  if (id != null && !state.groups.some((g) => g.id === id)) throw new RangeError(`no group ${id}`);
  const valid = new Set(sceneStarts(state));
  const moving = new Set(starts.filter((s) => valid.has(s)));
  if (!moving.size) return state;
  const groups = state.groups.map((g) => {
    const kept = g.scenes.filter((s) => !moving.has(s));
    const scenesOut = g.id === id ? [...kept, ...moving].sort((a, b) => a - b) : kept;
    return { ...g, scenes: scenesOut };
  });
  return { ...state, groups };
}

// Key 1-9: the selected scenes into the n-th group, creating "Group n" (and any before it) when
// there are fewer groups.
export function selectionToGroup(state, n) {
  if (!Number.isInteger(n) || n < 1 || n > 9) throw new RangeError(`group key ${n} is not 1-9`);
  if (!state.selection.length) return state;
  let next = state;
  while (next.groups.length < n) next = createGroup(next, freeName(next, next.groups.length + 1));
  return assignScenes(next, next.selection, next.groups[n - 1].id);
}

function freeName(state, k) {
  let name = `Group ${k}`;
  for (let i = 2; state.groups.some((g) => g.name.toLowerCase() === name.toLowerCase()); i++) name = `Group ${k}.${i}`;
  return name;
}

// --- the bridge's shapes -----------------------------------------------------------------------

// What edit.set_cuts / set_selection / set_groups take: scene numbers, 1-based.
export function toBridge(state) {
  const starts = sceneStarts(state);
  const numberOf = new Map(starts.map((s, i) => [s, i + 1]));
  return {
    cuts: [...state.cuts],
    selection: state.selection.map((s) => numberOf.get(s)),
    // every group, empty ones too: the core keeps them (name, colour, order), they export nothing
    groups: state.groups.map((g) => ({ name: g.name, color: g.color, scenes: g.scenes.map((s) => numberOf.get(s)) })),
    threshold: state.threshold,
    min_scene_len: state.minSceneLen,
    scene_notes: state.notes.map((n) => ({ start_frame: n.start, label: n.label, note: n.note })),
  };
}

// A state from timeline.get's answer.
export function fromTimeline(t) {
  const first = t.scenes.length ? t.scenes[0].start_frame : 0;
  const end = t.scenes.length ? t.scenes[t.scenes.length - 1].end_frame + 1 : t.frame_count;
  let state = initialState({ first, end, cuts: t.cuts, threshold: t.threshold, minSceneLen: t.min_scene_len });
  const starts = sceneStarts(state);
  const startOf = (n) => starts[n - 1];
  const valid = (n) => Number.isInteger(n) && n >= 1 && n <= starts.length;
  state = { ...state, selection: (t.selection ?? []).filter(valid).map(startOf).sort((a, b) => a - b),
            notes: (t.scene_notes ?? []).map((n) => ({ start: n.start_frame, label: n.label ?? "", note: n.note ?? "" })) };
  for (const g of t.groups ?? []) {
    state = createGroup(state, g.name, g.color);
    state = assignScenes(state, (g.scenes ?? []).filter(valid).map(startOf), state.groups.at(-1).id);
  }
  return state;
}
