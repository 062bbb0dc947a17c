// Cuts from per-frame content scores, exactly as PySceneDetect's ContentDetector makes them at a
// threshold and minimum scene length (its FlashFilter in MERGE mode), so the page can recut live
// while the threshold line is dragged, with no decode. backend/media/scene_cuts.py is the
// reference; tests/test_frontend_state.py checks both agree on real stored scores.
//
// Frame vocabulary as in backend/media/ingest_result.py: an *index* is a decoded frame's place in
// decode order; a *frame number* is PySceneDetect's round(seconds x fps). They are equal on a
// constant-frame-rate file. Positions carry OpenCV-style microseconds (frame_us.npy); a
// non-positive time means "no timestamp", and the position is then index / fps, as OpenCV's
// stream reports it.

const US = 1_000_000;

// Python's round(): halves go to the even neighbour. x - floor(x) is exact for doubles.
export function roundHalfEven(x) {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

// Rational a*b/c rounded half-even, for integers small enough to stay exact (< 2^53).
function roundRatio(a, c) {
  const q = Math.floor(a / c);
  const r = a - q * c;
  if (2 * r > c) return q + 1;
  if (2 * r < c) return q;
  return q % 2 === 0 ? q : q + 1;
}

// Microseconds for a constant-rate film when the real table is not at hand: on such a file every
// frame-number and distance computed below equals the one from the real timestamps.
export function constantRateMicroseconds(frameCount, rate) {
  const us = new Float64Array(frameCount);
  for (let i = 0; i < frameCount; i++) us[i] = roundRatio(i * rate.den * US, rate.num);
  return us;
}

// A position: {pts, base} with base the time-base denominator (1e6 for microseconds, rate.num
// for "index / fps" positions), as scene_cuts.position builds it.
function position(index, us, rate) {
  return us > 0 ? { pts: us, base: US } : { pts: index * rate.den, base: rate.num };
}

function positionSeconds(p) {
  return p.pts / p.base;
}

// FrameTimecode.frame_num of a Timecode-backed position.
function frameNumberOf(p, rate) {
  return roundHalfEven(positionSeconds(p) * (rate.num / rate.den));
}

// PySceneDetect frame number of every decoded frame (scene_cuts.frame_table's first column).
export function frameNumbers(us, rate) {
  const out = new Int32Array(us.length);
  for (let i = 0; i < us.length; i++) out[i] = frameNumberOf(position(i, us[i], rate), rate);
  return out;
}

// Positions of every frame in one time base, computed once per table: the finer of microseconds
// and 1/rate.num, which is the base FrameTimecode subtraction converts a mixed pair to. A pair of
// frames that both lack a timestamp subtracts in 1/rate.num exactly, as Python does.
const prepared = new WeakMap();

function prepare(us, rate) {
  let p = prepared.get(us);
  if (p && p.num === rate.num && p.den === rate.den) return p;
  const n = us.length;
  const base = Math.max(US, rate.num);
  const times = new Float64Array(n);
  let untimed = null;
  for (let i = 0; i < n; i++) {
    if (us[i] > 0) times[i] = base === US ? us[i] : roundRatio(us[i] * base, US);
    else {
      (untimed ??= new Uint8Array(n))[i] = 1;
      times[i] = base === rate.num ? i * rate.den : roundRatio(i * rate.den * base, rate.num);
    }
  }
  p = { num: rate.num, den: rate.den, base, times, untimed, fps: rate.num / rate.den };
  prepared.set(us, p);
  return p;
}

function distance(p, i, j) {
  if (p.untimed && p.untimed[i] && p.untimed[j]) {
    return roundHalfEven((Math.max(0, j - i) * p.den / p.num) * p.fps);
  }
  return roundHalfEven((Math.max(0, p.times[j] - p.times[i]) / p.base) * p.fps);
}

// The cuts ContentDetector emits: [{index, frame}] sorted, no duplicates. `scores` and `us` are
// indexable by decoded index; rate is {num, den}. No allocation per frame: a 2-hour film's
// scores replay in a few milliseconds, so the threshold line recuts as it is dragged.
export function replayCuts(scores, us, rate, threshold, minSceneLen) {
  const out = [];
  const n = Math.min(scores.length, us.length);
  if (minSceneLen <= 0) {
    for (let i = 0; i < n; i++) if (scores[i] >= threshold) out.push(i);
    return finish(out, us, rate);
  }
  const p = prepare(us, rate);
  let lastAbove = -1, mergeEnabled = false, mergeTriggered = false, mergeStart = -1;
  for (let i = 0; i < n; i++) {
    const above = scores[i] >= threshold;
    if (lastAbove < 0) lastAbove = i;
    // only read below: while merging or on a frame above the threshold (most frames are neither)
    const lengthMet = (mergeTriggered || above) && distance(p, lastAbove, i) >= minSceneLen;
    if (above) lastAbove = i;
    if (mergeTriggered) {
      if (lengthMet && !above && distance(p, mergeStart, lastAbove) >= minSceneLen) {
        mergeTriggered = false;
        out.push(lastAbove);
      }
      continue;
    }
    if (!above) continue;
    if (lengthMet) {
      mergeEnabled = true;
      out.push(i);
      continue;
    }
    if (mergeEnabled) {
      mergeTriggered = true;
      mergeStart = i;
    }
  }
  return finish(out, us, rate);
}

// Sorted by time without repeats of one exact time (SceneManager keeps its cuts in a set).
function finish(indices, us, rate) {
  const seen = new Set();
  const cuts = [];
  for (const i of [...indices].sort((a, b) => a - b)) {
    const p = position(i, us[i], rate);
    const key = `${p.pts}/${p.base}`;
    if (seen.has(key)) continue;
    seen.add(key);
    cuts.push({ index: i, frame: frameNumberOf(p, rate) });
  }
  return cuts;
}

// First and one-past-last frame numbers of the film, as scene_cuts.scene_bounds takes them: the
// end is one nominal frame after the last decoded frame's place at the nominal rate.
export function filmBounds(us, rate) {
  const n = us.length;
  const first = frameNumberOf(position(0, us[0], rate), rate);
  const last = frameNumberOf(position(n - 1, 0, rate), rate);
  return { first, end: last + 1 };
}

// Scenes [{number, start_frame, end_frame}] (end inclusive) from sorted cut frame numbers.
export function scenesFromCuts(cuts, first, end) {
  const scenes = [];
  let start = first;
  for (const cut of cuts) {
    if (cut <= start || cut >= end) continue;
    scenes.push({ number: scenes.length + 1, start_frame: start, end_frame: cut - 1 });
    start = cut;
  }
  scenes.push({ number: scenes.length + 1, start_frame: start, end_frame: end - 1 });
  return scenes;
}

// The nearest local maximum of the scores within `radius` frames of `index` whose score is at
// least `minScore`; `index` itself when there is none. Ties go to the earlier frame.
export function snapToPeak(scores, index, radius, minScore) {
  let best = index, bestDistance = Infinity;
  const lo = Math.max(1, index - radius), hi = Math.min(scores.length - 1, index + radius);
  for (let i = lo; i <= hi; i++) {
    const s = scores[i];
    if (s < minScore) continue;
    const left = scores[i - 1], right = i + 1 < scores.length ? scores[i + 1] : -Infinity;
    if (s < left || s <= right) continue;
    const d = Math.abs(i - index);
    if (d < bestDistance) { best = i; bestDistance = d; }
  }
  return best;
}

// Of cuts closer than `minGap` frames to each other keep only the strongest (highest score),
// strongest first, so a kept cut never loses to a weaker neighbour. `scoreOf(cut)` gives a cut's
// score. Returns the kept cuts, sorted.
export function pruneCuts(cuts, minGap, scoreOf) {
  const byStrength = [...cuts].sort((a, b) => scoreOf(b) - scoreOf(a) || a - b);
  const kept = [];
  for (const cut of byStrength) {
    if (kept.every((k) => Math.abs(k - cut) >= minGap)) kept.push(cut);
  }
  return kept.sort((a, b) => a - b);
}
