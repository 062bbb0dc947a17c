// For tests/test_frontend_state.py: replays cuts from raw little-endian float64 files (scores,
// OpenCV microseconds) at several (threshold, min scene length) pairs and prints
// [[[index, frame], ...], ...] as JSON. Usage: node replay_cuts.mjs SCORES US NUM DEN PAIRS_JSON
import { readFileSync } from "node:fs";
import { replayCuts } from "../../frontend/js/cuts.js";

const [scoresPath, usPath, num, den, pairs] = process.argv.slice(2);
const f64 = (p) => { const b = readFileSync(p); return new Float64Array(b.buffer, b.byteOffset, b.length / 8); };
const scores = f64(scoresPath), us = f64(usPath);
const rate = { num: Number(num), den: Number(den) };
const out = JSON.parse(pairs).map(([t, m]) => replayCuts(scores, us, rate, t, m).map((c) => [c.index, c.frame]));
process.stdout.write(JSON.stringify(out));
