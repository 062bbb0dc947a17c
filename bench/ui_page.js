// Measured inside the editor page by bench/ui, the same code in Chromium and in the desktop
// window (Qt WebEngine). An expression: an async function of the options, evaluated in a page
// whose editor has a finished ingest open. Returns milliseconds, never asserts.
(async ({ seeks = 200, steps = 200, rests = 15, scenes = 1500, filmFrames = 172800, drags = 60, fpsSeconds = 4 }) => {
  const app = window.videoArchive, e = app.editor;
  // absolute: code evaluated by the desktop shell has no base URL of its own
  const S = await import(`${location.origin}/js/state.js`);
  const { constantRateMicroseconds } = await import(`${location.origin}/js/cuts.js`);
  const out = {};
  const pct = (xs, p) => { const a = [...xs].sort((x, y) => x - y); return a.length ? a[Math.min(a.length - 1, Math.floor(p * a.length))] : null; };
  const summary = (xs) => ({ n: xs.length, median: pct(xs, 0.5), p95: pct(xs, 0.95), max: pct(xs, 1) });
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  let seed = 7;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;

  // --- scrub latency: input -> the scrubbing proxy (viewer.js: paused frames are its) has
  // presented the frame (its own callback) and is the one on top
  const v = e.viewer.scrub;
  const presented = (target, timeoutMs = 3000) => new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    const tick = (now, meta) => {
      if (e.viewer.frameOf(meta.mediaTime) === target && e.viewer.onScreen === v) { clearTimeout(timer); resolve(performance.now()); }
      else v.requestVideoFrameCallback(tick);
    };
    v.requestVideoFrameCallback(tick);
  });
  const canvas = e.timeline.canvas, rect = canvas.getBoundingClientRect();
  const ev = (type, x, y, extra = {}) => canvas.dispatchEvent(new PointerEvent(type, { bubbles: true, clientX: x, clientY: y, button: 0, buttons: 1, pointerId: 1, ...extra }));
  const last = e.state.end - 1;
  const seekMs = [], stepMs = [];
  let missed = 0;
  for (let i = 0; i < seeks; i++) {
    // a click on the ruler at a random place, as a person scrubs
    let x, target;
    do { x = rect.left + 1 + rnd() * (rect.width - 2); target = e.timeline.frameAt(x - rect.left); } while (target === e.state.playhead);
    const wait = presented(target);
    const t0 = performance.now();
    ev("pointerdown", x, rect.top + 8); ev("pointerup", x, rect.top + 8);
    const t1 = await wait;
    if (t1 == null) missed++; else seekMs.push(t1 - t0);
  }
  for (let i = 0; i < steps; i++) {
    const forward = e.state.playhead < last - 1 && (e.state.playhead < 2 || rnd() < 0.8);
    const target = e.state.playhead + (forward ? 1 : -1);
    const wait = presented(target);
    const t0 = performance.now();
    document.dispatchEvent(new KeyboardEvent("keydown", { key: forward ? "ArrowRight" : "ArrowLeft", bubbles: true }));
    const t1 = await wait;
    if (t1 == null) missed++; else stepMs.push(t1 - t0);
  }
  out.scrub = { randomSeeks: summary(seekMs), frameSteps: summary(stepMs), all: summary([...seekMs, ...stepMs]), missed };

  // --- the sharp picture: a click on the ruler, then rest -> the master's own frame on screen
  // (sharp.js's lastMs: from the last move, so its 150 ms wait included)
  const restMs = [];
  let restMissed = 0;
  for (let i = 0; i < rests; i++) {
    const x = rect.left + 1 + rnd() * (rect.width - 2), target = e.timeline.frameAt(x - rect.left);
    ev("pointerdown", x, rect.top + 8); ev("pointerup", x, rect.top + 8);
    const t0 = performance.now();
    while (e.sharp.shown !== target && performance.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 5));
    if (e.sharp.shown === target) restMs.push(e.sharp.lastMs); else restMissed++;
  }
  out.sharp = { restToMaster: summary(restMs), missed: restMissed };

  // --- a 2-hour film's timeline with 1,500 scenes (synthetic data, the real drawing code); the
  // bridge is left out so nothing synthetic is saved
  const realCall = app.bridge.call;
  app.bridge.call = async () => ({ cuts: e.state.cuts, scenes: [] });
  const saved = { history: e.history, scores: e.scores, us: e.microseconds, timelineScores: e.timeline.scores };
  try {
    const rate = e.rate;
    const scores = new Float32Array(filmFrames);
    const gap = Math.floor(filmFrames / scenes);
    for (let i = 1; i < filmFrames; i++) scores[i] = rnd() * 6 + (i % gap === 0 ? 35 + rnd() * 40 : 0) + (rnd() < 0.004 ? 20 + rnd() * 30 : 0);
    const us = constantRateMicroseconds(filmFrames, rate);
    let state = S.initialState({ first: 0, end: filmFrames, cuts: Array.from({ length: scenes - 1 }, (_, k) => (k + 1) * gap), threshold: 30 });
    for (let g = 0; g < 6; g++) state = S.createGroup(state, `G${g}`);
    const starts = S.sceneStarts(state);
    for (let g = 0; g < 6; g++) state = S.assignScenes(state, starts.filter((_, k) => k % 9 === g), state.groups[g].id);
    state = { ...state, selection: starts.filter((_, k) => k % 4 === 0) };
    e.scores = scores; e.microseconds = us;
    e.history = { past: [], present: state, future: [] };
    e.timeline.setMedia({ scores, sprites: e.sprites, rate, wave: e.wave });
    e.timeline.fit();
    e.recutLocally(30, 15);  // prepared once, as opening does
    await frame();

    // pan and zoom once per display frame; frames per second the timeline actually drew. From a
    // twentieth of the film in view: at the whole film a pan moves nothing (nothing to draw)
    e.timeline.zoomAt(e.timeline.width / 2, 0.05);
    await frame();
    const drawMs = [];
    const original = e.timeline.draw;
    e.timeline.draw = function () { const d0 = performance.now(); original.call(this); drawMs.push(performance.now() - d0); };
    const draws0 = e.timeline.draws;
    const t0 = performance.now();
    const w = e.timeline.width;
    try {
      while (performance.now() - t0 < fpsSeconds * 1000) {
        const phase = (performance.now() - t0) / 1000;
        if (Math.floor(phase) % 2 === 0) e.timeline.zoomAt(w / 2, phase % 1 < 0.5 ? 0.93 : 1 / 0.93);
        else e.timeline.pan(w * 0.02);
        await frame();
      }
    } finally { e.timeline.draw = original; }
    const drawn = e.timeline.draws - draws0;
    out.timeline = { scenes: S.sceneStarts(e.state).length, fps: drawn / ((performance.now() - t0) / 1000), drawMs: summary(drawMs) };

    // live threshold drag: pointer move -> recut from the scores -> timeline redrawn
    e.timeline.fit();
    await frame();
    const drawEnd = () => new Promise((resolve) => {
      const original = e.timeline.draw;
      e.timeline.draw = function () { original.call(this); e.timeline.draw = original; resolve(performance.now()); };
    });
    const [top, bottom] = e.timeline.lanes.graph;
    const lineY = rect.top + e.timeline.thresholdY(e.state.threshold);
    const x = rect.left + rect.width * 0.3;
    ev("pointerdown", x, lineY);
    const dragMs = [], counts = [];
    for (let i = 0; i < drags; i++) {
      const y = rect.top + top + 6 + ((i * 7) % Math.max(1, bottom - top - 12));
      const done = drawEnd();
      const t1 = performance.now();
      ev("pointermove", x, y);
      dragMs.push((await done) - t1);
      counts.push(e.state.cuts.length + 1);
    }
    ev("pointerup", x, lineY, { buttons: 0 });
    out.thresholdDrag = { filmFrames, latency: summary(dragMs), sceneCounts: [Math.min(...counts), Math.max(...counts)] };
  } finally {
    e.history = saved.history; e.scores = saved.scores; e.microseconds = saved.us;
    e.timeline.setMedia({ scores: saved.scores, sprites: e.sprites, rate: e.rate, wave: e.wave });
    e.timeline.fit();
    await new Promise((r) => setTimeout(r, 300));
    app.bridge.call = realCall;
  }
  out.openToUsableMs = e.readyAt ?? null;
  out.openMs = e.readyMs ?? null;
  return out;
})
