// The shared rule cases (tests/data/editor_rules.json) against the page's rules; pytest runs the
// same cases against the core (tests/test_editor_rules.py).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { checkDate, checkDetection } from "../js/rules.js";
import * as S from "../js/state.js";

const CASES = JSON.parse(readFileSync(new URL("../../tests/data/editor_rules.json", import.meta.url)));

test("group names: the page takes what the core takes", () => {
  for (const c of CASES.group_names) {
    const make = () => c.names.reduce((s, name) => S.createGroup(s, name), S.initialState({ end: 10 }));
    if (c.ok) assert.doesNotThrow(make, JSON.stringify(c.names));
    else assert.throws(make, RangeError, JSON.stringify(c.names));
  }
});

test("threshold and minimum length: the same range as the core's", () => {
  for (const c of CASES.detection) {
    const check = () => checkDetection(c.threshold, c.min_scene_len);
    if (c.ok) assert.doesNotThrow(check, JSON.stringify(c));
    else assert.throws(check, RangeError, JSON.stringify(c));
  }
  // typed into the fields: an emptied field is refused, never read as 0
  assert.throws(() => checkDetection("", "15"), /threshold/);
  assert.throws(() => checkDetection("30", " "), /minimum scene length/);
  assert.deepEqual(checkDetection("27.5", "15"), { threshold: 27.5, minSceneLen: 15 });
});

test("new cuts carry selection and groups over as the core does", () => {
  for (const c of CASES.carry_over) {
    let s = S.initialState({ end: c.end, cuts: c.cuts });
    s = { ...s, selection: c.selection };
    c.groups.forEach((members, i) => { s = S.assignScenes(S.createGroup(s, `G${i}`), members, i + 1); });
    s = S.setCuts(s, c.new_cuts);
    assert.deepEqual(s.selection, c.want_selection, c.why);
    assert.deepEqual(s.groups.map((g) => g.scenes), c.want_groups, c.why);
  }
});

test("scene notes follow their frames as the core carries them", () => {
  for (const c of CASES.notes_carry) assert.deepEqual(S.carryNotes(c.notes, c.new_starts), c.want, c.why);
});

test("project dates: YY-MM-DD or an ISO date, kept as the core keeps them", () => {
  for (const c of CASES.dates) {
    if (c.want) assert.equal(checkDate(c.text), c.want, c.text);
    else assert.throws(() => checkDate(c.text), /use YY-MM-DD or YYYY-MM-DD/, c.text);
  }
});
