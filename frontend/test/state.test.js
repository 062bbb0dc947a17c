import { test } from "node:test";
import assert from "node:assert/strict";
import * as S from "../js/state.js";

const film = (cuts = [10, 20, 30]) => S.initialState({ first: 0, end: 40, cuts });

test("initial state keeps only valid cuts, sorted and once", () => {
  const s = S.initialState({ end: 40, cuts: [30, 10, 10, 0, 40, -3, 2.5] });
  assert.deepEqual(s.cuts, [10, 30]);
  assert.throws(() => S.initialState({ first: 5, end: 5 }), /film end/);
});

test("scenes are derived from cuts", () => {
  assert.deepEqual(S.scenes(film()).map((x) => [x.start_frame, x.end_frame]), [[0, 9], [10, 19], [20, 29], [30, 39]]);
});

test("adding a cut splits a scene, both halves keep its selection and group", () => {
  let s = S.select(film(), 10);
  s = S.selectionToGroup(s, 1);
  s = S.addCut(s, 15);
  assert.deepEqual(s.cuts, [10, 15, 20, 30]);
  assert.deepEqual(s.selection, [10, 15]);
  assert.deepEqual(s.groups[0].scenes, [10, 15]);
  assert.equal(s.selectedCut, 15);
});

test("adding a cut at an existing cut or the film's ends changes nothing", () => {
  const s = film();
  assert.equal(S.addCut(s, 10), s);
  assert.equal(S.addCut(s, 0), s);
  assert.equal(S.addCut(s, 40), s);
});

test("deleting a cut merges; the merged scene keeps the first's selection and group", () => {
  let s = S.select(film(), 20);
  s = S.selectionToGroup(s, 1);
  s = S.select(s, 10);
  s = S.selectionToGroup(s, 2);
  s = S.select(s, 20);
  s = S.deleteCut(s, 20);
  assert.deepEqual(s.cuts, [10, 30]);
  assert.deepEqual(s.selection, []);
  assert.deepEqual(s.groups.map((g) => g.scenes), [[], [10]]);
  assert.equal(S.deleteCut(s, 11), s);
});

test("a moved cut stays between its neighbours and carries its scene's selection and group", () => {
  let s = S.select(film(), 20);
  s = S.selectionToGroup(s, 3);
  s = S.moveCut(s, 20, 25);
  assert.deepEqual(s.cuts, [10, 25, 30]);
  assert.deepEqual(s.selection, [25]);
  assert.deepEqual(s.groups[2].scenes, [25]);
  assert.deepEqual(S.moveCut(s, 25, 99).cuts, [10, 29, 30]);
  assert.deepEqual(S.moveCut(s, 25, -5).cuts, [10, 11, 30]);
  assert.equal(S.moveCut(s, 24, 26), s);
});

test("merging scenes removes the cuts between them", () => {
  assert.deepEqual(S.mergeScenes(film(), [10, 30]).cuts, [10]);
  assert.deepEqual(S.mergeScenes(film(), [0, 10]).cuts, [20, 30]);
});

test("click, ctrl and shift selection", () => {
  let s = S.select(film(), 10);
  assert.deepEqual(s.selection, [10]);
  s = S.select(s, 30, "ctrl");
  assert.deepEqual(s.selection, [10, 30]);
  s = S.select(s, 10, "ctrl");
  assert.deepEqual(s.selection, [30]);
  s = S.select(s, 0, "shift"); // the anchor is the last clicked scene, 10
  assert.deepEqual(s.selection, [0, 10]);
  s = S.select(s, 30, "shift");
  assert.deepEqual(s.selection, [10, 20, 30]);
  assert.deepEqual(S.selectAll(film()).selection, [0, 10, 20, 30]);
  assert.deepEqual(S.selectNone(s).selection, []);
  assert.equal(S.select(s, 11), s);
});

test("a scene is in at most one group", () => {
  let s = S.createGroup(film(), "Hero");
  s = S.createGroup(s, "Cutdowns");
  const [a, b] = s.groups.map((g) => g.id);
  s = S.assignScenes(s, [0, 10], a);
  s = S.assignScenes(s, [10, 20], b);
  assert.deepEqual(s.groups.map((g) => g.scenes), [[0], [10, 20]]);
  s = S.assignScenes(s, [20], null);
  assert.deepEqual(s.groups.map((g) => g.scenes), [[0], [10]]);
  assert.throws(() => S.assignScenes(s, [0], 99), /no group/);
});

test("groups are created, renamed, recoloured, reordered and removed", () => {
  let s = S.createGroup(film(), "A");
  s = S.createGroup(s, "B", "#112233");
  const [a, b] = s.groups.map((g) => g.id);
  assert.throws(() => S.createGroup(s, " a "), /share the folder/);
  assert.throws(() => S.createGroup(s, "  "), /needs a name/);
  assert.throws(() => S.recolorGroup(s, a, "red"), /not #rrggbb/);
  s = S.renameGroup(s, a, "Titles");
  s = S.recolorGroup(s, a, "#AABBCC");
  assert.deepEqual(s.groups[0], { id: a, name: "Titles", color: "#aabbcc", scenes: [] });
  s = S.moveGroup(s, b, 0);
  assert.deepEqual(s.groups.map((g) => g.name), ["B", "Titles"]);
  s = S.assignScenes(s, [0], b);
  s = S.removeGroup(s, b);
  assert.deepEqual(s.groups.map((g) => g.name), ["Titles"]);
  assert.equal(S.groupOf(s, 0), null);
});

test("keys 1-9 create missing groups up to N", () => {
  let s = S.select(film(), 30);
  s = S.selectionToGroup(s, 3);
  assert.deepEqual(s.groups.map((g) => [g.name, g.scenes]), [["Group 1", []], ["Group 2", []], ["Group 3", [30]]]);
  assert.throws(() => S.selectionToGroup(s, 10), /1-9/);
  const none = S.selectNone(s);
  assert.equal(S.selectionToGroup(none, 1), none);
});

test("a new threshold's cuts keep selection and groups on the scenes they split or merge", () => {
  let s = S.select(film(), 10);
  s = S.selectionToGroup(s, 1);
  s = S.setThreshold(s, 20, 15, [5, 10, 15, 20, 30]);
  assert.equal(s.threshold, 20);
  assert.deepEqual(s.selection, [10, 15]);
  assert.deepEqual(s.groups[0].scenes, [10, 15]);
  s = S.setThreshold(s, 50, 15, [30]);
  assert.deepEqual(s.selection, [], "merged: the first part's choice, as the core keeps it");
  assert.deepEqual(s.groups[0].scenes, []);
});

test("playhead is clamped and finds neighbouring cuts", () => {
  let s = S.setPlayhead(film(), 99);
  assert.equal(s.playhead, 39);
  s = S.setPlayhead(s, 15);
  assert.equal(S.neighbourCut(s, 1), 20);
  assert.equal(S.neighbourCut(s, -1), 10);
  s = S.setPlayhead(s, 10);
  assert.equal(S.neighbourCut(s, -1), 0);
  assert.equal(S.neighbourCut(S.setPlayhead(s, 35), 1), 39);
});

test("bridge shapes round-trip through scene numbers", () => {
  let s = S.select(film(), 20);
  s = S.select(s, 30, "ctrl");
  s = S.selectionToGroup(s, 2);
  const b = S.toBridge(s);
  assert.deepEqual(b.selection, [3, 4]);
  // the empty Group 1 goes to the core too, which keeps it (it exports nothing)
  assert.deepEqual(b.groups, [{ name: "Group 1", color: S.GROUP_COLORS[0], scenes: [] },
                              { name: "Group 2", color: S.GROUP_COLORS[1], scenes: [3, 4] }]);
  const t = { frame_count: 40, cuts: b.cuts, threshold: 30, min_scene_len: 15, selection: b.selection, groups: b.groups,
              scenes: S.scenes(s) };
  const back = S.fromTimeline(t);
  assert.deepEqual(S.toBridge(back), b);
});

test("edits never mutate their input", () => {
  const s = S.selectionToGroup(S.select(film(), 10), 1);
  const frozen = JSON.stringify(s);
  S.addCut(s, 15); S.deleteCut(s, 10); S.moveCut(s, 10, 12); S.select(s, 20, "ctrl");
  S.assignScenes(s, [20], s.groups[0].id); S.renameGroup(s, s.groups[0].id, "x");
  S.setThreshold(s, 10, 5, [3]);
  assert.equal(JSON.stringify(s), frozen);
});
