import { test } from "node:test";
import assert from "node:assert/strict";
import { constantRateMicroseconds, filmBounds, frameNumbers, pruneCuts, replayCuts, roundHalfEven,
         scenesFromCuts, snapToPeak } from "../js/cuts.js";

const R25 = { num: 25, den: 1 };
const frames = (cuts) => cuts.map((c) => c.frame);

function scoresWith(n, peaks, base = 2) {
  const s = new Float64Array(n).fill(base);
  s[0] = 0;
  for (const [i, v] of Object.entries(peaks)) s[Number(i)] = v;
  return s;
}

test("round half even like Python", () => {
  assert.deepEqual([0.5, 1.5, 2.5, -1.5, 2.4999, 2.5001].map(roundHalfEven), [0, 2, 2, -2, 2, 3]);
});

test("a score at the threshold is a cut, one below is not", () => {
  const us = constantRateMicroseconds(100, R25);
  const s = scoresWith(100, { 40: 30, 70: 29.999 });
  assert.deepEqual(frames(replayCuts(s, us, R25, 30, 15)), [40]);
});

test("min scene length merges a flash into one cut after the run", () => {
  const us = constantRateMicroseconds(200, R25);
  // the cut at 20 enables merging; 25 comes too soon and starts a merge that lasts until 15 quiet
  // frames have passed after a cut 15 frames past the merge start: 28 is absorbed, 100 emitted
  // (scenedetect's FlashFilter gives the same: tests/test_frontend_state.py)
  const s = scoresWith(200, { 20: 50, 25: 50, 28: 50, 100: 50 });
  assert.deepEqual(frames(replayCuts(s, us, R25, 30, 15)), [20, 100]);
});

test("cuts before the first are suppressed, not merged, while too close to the start", () => {
  const us = constantRateMicroseconds(100, R25);
  const s = scoresWith(100, { 5: 50, 30: 50 });
  assert.deepEqual(frames(replayCuts(s, us, R25, 30, 15)), [30]);
});

test("min scene length 0 keeps every frame over the threshold", () => {
  const us = constantRateMicroseconds(10, R25);
  const s = scoresWith(10, { 3: 40, 4: 40 });
  assert.deepEqual(frames(replayCuts(s, us, R25, 30, 0)), [3, 4]);
});

test("NTSC microseconds number frames by index", () => {
  const rate = { num: 30000, den: 1001 };
  const us = constantRateMicroseconds(5000, rate);
  assert.deepEqual(Array.from(frameNumbers(us, rate)), Array.from({ length: 5000 }, (_, i) => i));
  assert.deepEqual(filmBounds(us, rate), { first: 0, end: 5000 });
});

test("a variable-rate gap skips frame numbers and counts in the distance", () => {
  const rate = { num: 25, den: 1 };
  // 10 frames, then a 2-second hole
  const us = Float64Array.from({ length: 40 }, (_, i) => (i < 10 ? i * 40000 : (i + 50) * 40000));
  const nums = frameNumbers(us, rate);
  assert.equal(nums[9], 9);
  assert.equal(nums[10], 60);
  const s = scoresWith(40, { 5: 50, 12: 50 });
  // index 5 is too close to the start; index 12 (frame 62) is far enough in time from index 5
  assert.deepEqual(replayCuts(s, us, rate, 30, 15), [{ index: 12, frame: 62 }]);
});

test("scenes from cuts cover the film without gaps", () => {
  assert.deepEqual(scenesFromCuts([10, 20], 0, 30), [
    { number: 1, start_frame: 0, end_frame: 9 },
    { number: 2, start_frame: 10, end_frame: 19 },
    { number: 3, start_frame: 20, end_frame: 29 },
  ]);
  assert.deepEqual(scenesFromCuts([], 0, 30), [{ number: 1, start_frame: 0, end_frame: 29 }]);
});

test("snap goes to the nearest peak over the floor, else stays", () => {
  const s = scoresWith(50, { 20: 40, 21: 10, 26: 60 });
  assert.equal(snapToPeak(s, 22, 3, 15), 20);
  assert.equal(snapToPeak(s, 24, 3, 15), 26);
  assert.equal(snapToPeak(s, 35, 3, 15), 35);
  assert.equal(snapToPeak(s, 22, 3, 100), 22);
});

test("prune keeps the strongest of close cuts", () => {
  const score = { 10: 40, 12: 90, 14: 35, 40: 31, 44: 31 };
  assert.deepEqual(pruneCuts([10, 12, 14, 40, 44], 5, (c) => score[c]), [12, 40]);
  assert.deepEqual(pruneCuts([10, 12, 14, 40, 44], 1, (c) => score[c]), [10, 12, 14, 40, 44]);
});
