// Frame numbers and decoded indices. The state, the timeline, cuts and the bridge speak frame
// numbers (PySceneDetect's: round(time x fps)); the scores and the proxy's frames are per decoded
// frame. On a constant-rate master the two are equal; on a variable-rate one numbers repeat and
// skip (goldeneye-vfr-drop3.mp4 from index 120), so everything indexed by number goes through
// this map, built once from the frame times (cuts.js frameNumbers, the core's own numbering).

import { frameNumbers } from "./cuts.js";

// { numbers: Int32Array per decoded index, indexOf: Int32Array per frame number 0..end-1 (the
// first decoded frame numbered n or later, as backend/media/timeline.py's index()), same: bool }
export function frameMap(us, rate, end) {
  const numbers = frameNumbers(us, rate);
  const size = Math.max(end, numbers.length ? numbers[numbers.length - 1] + 1 : 0);
  const indexOf = new Int32Array(size);
  let same = numbers.length === size;
  let i = 0;
  for (let n = 0; n < size; n++) {
    while (i < numbers.length - 1 && numbers[i] < n) i++;
    indexOf[n] = i;
    if (numbers[n] !== n) same = false;
  }
  return { numbers, indexOf, same };
}

// The decoded frames' values by frame number: a number no frame has (dropped) gets 0.
export function valuesByNumber(values, map) {
  if (map.same) return values;
  const out = new values.constructor(map.indexOf.length);
  for (let n = 0; n < out.length; n++) { const i = map.indexOf[n]; if (map.numbers[i] === n) out[n] = values[i]; }
  return out;
}
