import { test } from "node:test";
import assert from "node:assert/strict";
import { frameMap, valuesByNumber } from "../js/frames.js";
import { frameNumbers } from "../js/cuts.js";

// Random variable-rate timelines: frames dropped and doubled at random. indexOf[n] must be the
// first decoded frame numbered n or later (backend/media/timeline.py's index), and a value by
// number the value of the frame that carries that number.
test("frame numbers map to decoded indices as the core maps them", () => {
  let seed = 11;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const rate = { num: 25, den: 1 };
  for (let round = 0; round < 200; round++) {
    const us = [];
    let t = 0;
    const count = 1 + Math.floor(rnd() * 80);
    for (let i = 0; i < count; i++) { us.push(t); t += 40000 * (rnd() < 0.2 ? 2 : rnd() < 0.2 ? 0.5 : 1); }
    const times = Float64Array.from(us);
    const numbers = frameNumbers(times, rate);
    const end = numbers[numbers.length - 1] + 1;
    const map = frameMap(times, rate, end);
    assert.deepEqual(Array.from(map.numbers), Array.from(numbers));
    const values = Float32Array.from(us, (_, i) => i + 0.5);
    const byNumber = valuesByNumber(values, map);
    for (let n = 0; n < end; n++) {
      let first = numbers.findIndex((x) => x >= n);
      if (first < 0) first = numbers.length - 1;
      assert.equal(map.indexOf[n], first, `round ${round}, number ${n}`);
      assert.equal(byNumber[n], numbers[first] === n ? values[first] : 0);
    }
    assert.equal(map.same, numbers.every((x, i) => x === i) && numbers.length === end);
  }
});
