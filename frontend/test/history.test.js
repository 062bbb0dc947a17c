import { test } from "node:test";
import assert from "node:assert/strict";
import * as S from "../js/state.js";
import * as H from "../js/history.js";

const film = () => S.initialState({ first: 0, end: 100, cuts: [20, 50] });

test("undo and redo every edit, in order", () => {
  let h = H.createHistory(film());
  h = H.commit(h, S.addCut(h.present, 70));
  h = H.commit(h, S.deleteCut(h.present, 20));
  h = H.commit(h, S.moveCut(h.present, 50, 55));
  assert.deepEqual(h.present.cuts, [55, 70]);
  h = H.undo(h);
  assert.deepEqual(h.present.cuts, [50, 70]);
  h = H.undo(h);
  assert.deepEqual(h.present.cuts, [20, 50, 70]);
  h = H.redo(h);
  assert.deepEqual(h.present.cuts, [50, 70]);
  h = H.commit(h, S.addCut(h.present, 90));
  assert.equal(H.canRedo(h), false, "a new edit drops the redo branch");
  h = H.undo(H.undo(H.undo(h)));
  assert.deepEqual(h.present.cuts, [20, 50]);
  assert.equal(H.canUndo(h), false);
  assert.equal(H.undo(h), h);
});

test("selection and playhead are not undo steps, and undo keeps the playhead", () => {
  let h = H.createHistory(film());
  h = H.commit(h, S.addCut(h.present, 70));
  h = H.commit(h, S.select(h.present, 70));
  h = H.commit(h, S.setPlayhead(h.present, 33));
  assert.equal(h.past.length, 1);
  h = H.undo(h);
  assert.deepEqual(h.present.cuts, [20, 50]);
  assert.equal(h.present.playhead, 33);
  assert.deepEqual(h.present.selection, [], "the merged scene takes the choice of the scene its first frame was in, as the core does");
});

test("a threshold drag is one step and undoes to the threshold before it", () => {
  let h = H.createHistory(film());
  h = H.commit(h, S.setThreshold(h.present, 25, 15, [20, 40, 50]));
  h = H.commit(h, S.setThreshold(h.present, 20, 15, [10, 20, 40, 50]), { coalesce: true });
  h = H.commit(h, S.setThreshold(h.present, 18, 15, [10, 20, 40, 50, 80]), { coalesce: true });
  assert.equal(h.past.length, 1);
  h = H.undo(h);
  assert.equal(h.present.threshold, 30);
  assert.deepEqual(h.present.cuts, [20, 50]);
  h = H.redo(h);
  assert.equal(h.present.threshold, 18);
  assert.deepEqual(h.present.cuts, [10, 20, 40, 50, 80]);
});

test("group edits undo, groups come back with their scenes", () => {
  let h = H.createHistory(S.select(film(), 20));
  h = H.commit(h, S.selectionToGroup(h.present, 1));
  h = H.commit(h, S.renameGroup(h.present, h.present.groups[0].id, "Hero"));
  h = H.commit(h, S.removeGroup(h.present, h.present.groups[0].id));
  assert.equal(h.present.groups.length, 0);
  h = H.undo(h);
  assert.deepEqual(h.present.groups.map((g) => [g.name, g.scenes]), [["Hero", [20]]]);
  h = H.undo(h);
  assert.equal(h.present.groups[0].name, "Group 1");
});

test("history is bounded", () => {
  let h = H.createHistory(film());
  for (let i = 0; i < H.LIMIT + 20; i++) h = H.commit(h, S.setThreshold(h.present, i, 15, h.present.cuts));
  assert.equal(h.past.length, H.LIMIT);
});
