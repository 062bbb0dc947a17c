// The timeline on one canvas, drawn from the state only and only over the visible frames, so a
// 2-hour film with 1,500 scenes pans and zooms smoothly. Lanes from the top: ruler (scrub), the
// thumbnail strip (sprites), scenes coloured by group, the per-frame score graph with the
// threshold line; cut markers and the playhead run through all of them. Pointer gestures are
// reported to the host as intentions (scrub, select, move a cut, drag the threshold, drag scenes
// to a group); the host turns them into state edits and calls draw() again.

import { tileOf } from "./sprites.js";
import { floorIndex, groupOf, sceneStarts } from "./state.js";
import { formatTimecode } from "./timecode.js";
import { WAVE_LANE, drawWaveLane } from "./waveform.js";

const RULER = 20, THUMBS = 46, SCENES = 26, GRAPH_MIN = 60, PAD = 2;
const HIT = 5;                 // px: how near a cut or the threshold line a press grabs it
const DRAG_START = 5;          // px a press moves before it becomes a drag
const MAX_PX_PER_FRAME = 48;   // the closest zoom: single frames, wide enough to click
const COLORS = {
  bg: "#18181a", ruler: "#202023", rulerText: "#8b8b90", tick: "#3a3a3f", lane: "#1e1e21",
  sceneA: "#34343a", sceneB: "#3c3c43", sceneText: "#a9a9ae", selected: "#4f86d9",
  cut: "rgba(235,235,240,0.75)", cutSelected: "#f0a030", playhead: "#e5484d",
  graph: "#5b8a72", graphAbove: "#c8d47a", threshold: "#f0a030", grid: "#2a2a2e", wave: "#6d9fd6",
};

export class TimelineView {
  constructor(canvas, host) {
    this.canvas = canvas;
    this.host = host;            // {state(), onScrub, onSelectScene, onSelectCut, onCutMove, onThreshold, onGroupDrag, onViewChange}
    this.ctx = canvas.getContext("2d", { alpha: false });
    this.scores = null;          // Float32Array by frame number
    this.sprites = [];           // [{img, columns, rows, tile_width, tile_height, first_frame, frame_step}]
    this.rate = { num: 25, den: 1 };
    this.start = 0;              // first visible frame (fractional)
    this.fpp = 1;                // frames per CSS pixel
    this.scoreScale = 60;
    this.pending = false;
    this.gesture = null;
    this.hover = null;
    this.lastDrawMs = 0;
    this.draws = 0;
    this.layer = null;           // everything but the playhead (draw())
    this.layerKey = null;
    canvas.addEventListener("pointerdown", (e) => this.pointerDown(e));
    canvas.addEventListener("pointermove", (e) => this.pointerMove(e));
    canvas.addEventListener("pointerup", (e) => this.pointerUp(e));
    canvas.addEventListener("pointercancel", () => { this.gesture = null; });
    canvas.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
    canvas.addEventListener("dblclick", (e) => this.doubleClick(e));
    new ResizeObserver(() => { this.resize(); }).observe(canvas);
    this.resize();
  }

  // --- data --------------------------------------------------------------------------------
  setMedia({ scores, sprites, rate, wave = null }) {
    this.scores = scores;
    this.wave = wave;            // audio peaks (waveform.js); null: no lane
    this.sprites = sprites ?? [];
    this.rate = rate ?? this.rate;
    this.scoreScale = scoreScaleOf(scores, this.host.state().threshold);
    for (const s of this.sprites) if (s.img && !s.img.complete) s.img.addEventListener("load", () => this.invalidate(), { once: true });
    this.requestDraw();
  }

  // --- geometry ----------------------------------------------------------------------------
  get width() { return this.canvas.clientWidth; }
  get height() { return this.canvas.clientHeight; }
  get lanes() {
    const scenesEnd = RULER + THUMBS + PAD + SCENES, wave = this.wave ? WAVE_LANE + PAD : 0;
    const graphTop = scenesEnd + PAD + wave;
    return { ruler: [0, RULER], thumbs: [RULER, RULER + THUMBS], scenes: [RULER + THUMBS + PAD, scenesEnd],
             wave: [scenesEnd + PAD, scenesEnd + PAD + wave - (wave && PAD)],
             graph: [graphTop, Math.max(graphTop + GRAPH_MIN, this.height)] };
  }
  xOf(frame) { return (frame - this.start) / this.fpp; }
  frameAt(x) {
    const s = this.host.state();
    return Math.min(s.end - 1, Math.max(s.first, Math.floor(this.start + x * this.fpp)));
  }
  laneAt(y) {
    const l = this.lanes;
    for (const name of ["ruler", "thumbs", "scenes", "wave", "graph"]) if (y >= l[name][0] && y < l[name][1]) return name;
    return "graph";
  }
  thresholdY(t) {
    const [top, bottom] = this.lanes.graph;
    return bottom - 4 - (Math.min(t, this.scoreScale) / this.scoreScale) * (bottom - top - 8);
  }
  thresholdAt(y) {
    const [top, bottom] = this.lanes.graph;
    return Math.max(0, Math.min(this.scoreScale, ((bottom - 4 - y) / (bottom - top - 8)) * this.scoreScale));
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.width * dpr)), h = Math.max(1, Math.round(this.height * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) { this.canvas.width = w; this.canvas.height = h; }
    if (this.fitted !== false) this.fit(); else this.clampView();
    this.requestDraw();
  }

  // --- view --------------------------------------------------------------------------------
  fit() {
    const s = this.host.state();
    this.start = s.first;
    this.fpp = (s.end - s.first) / Math.max(1, this.width);
    this.fitted = true;
    this.viewChanged();
  }
  minFpp() { return 1 / MAX_PX_PER_FRAME; }
  maxFpp() { const s = this.host.state(); return (s.end - s.first) / Math.max(1, this.width); }
  clampView() {
    const s = this.host.state();
    this.fpp = Math.min(this.maxFpp(), Math.max(this.minFpp(), this.fpp));
    const visible = this.width * this.fpp;
    this.start = Math.min(Math.max(s.first, s.end - visible), Math.max(s.first, this.start));
  }
  zoomAt(x, factor) {
    const anchor = this.start + x * this.fpp;
    this.fpp *= factor;
    this.clampView();
    this.start = anchor - x * this.fpp;
    this.fitted = false;
    this.clampView();
    this.viewChanged();
  }
  zoomToFrames() { this.zoomAt(this.xOf(this.host.state().playhead), this.minFpp() / this.fpp); }
  pan(dx) { this.start += dx * this.fpp; this.fitted = false; this.clampView(); this.viewChanged(); }
  // keeps the frame in view (scrolls by a page when it leaves, as editors do during playback)
  reveal(frame) {
    const x = this.xOf(frame);
    if (x >= 0 && x <= this.width - 8) return;
    this.start = frame - this.width * this.fpp * (x < 0 ? 0.1 : 0.1);
    this.fitted = false;
    this.clampView();
    this.viewChanged();
  }
  viewChanged() { this.host.onViewChange?.(); this.requestDraw(); }

  // Draws everything again at the next display frame (a sprite sheet has loaded).
  invalidate() { this.layerKey = null; this.requestDraw(); }

  requestDraw() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.draw(); });
  }

  // --- drawing -----------------------------------------------------------------------------
  // Everything but the playhead is drawn into a layer kept while nothing it shows changes, so a
  // scrub or a step (the playhead alone moving) costs one copy of it: the main thread is free
  // sooner for the viewer's seek. The state is immutable, so its parts compare by identity.
  draw() {
    const t0 = performance.now();
    const s = this.host.state();
    const ctx = this.ctx, dpr = window.devicePixelRatio || 1;
    const key = [this.canvas.width, this.canvas.height, dpr, this.start, this.fpp, s.first, s.end, s.cuts, s.selection,
                 s.groups, s.notes, s.threshold, s.selectedCut, this.hover, this.gesture?.kind === "threshold",
                 this.scores, this.wave, this.sprites, this.scoreScale];
    if (!this.layerKey || key.some((v, i) => v !== this.layerKey[i])) {
      this.drawLayer(s, dpr);
      this.layerKey = key;
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(this.layer, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.drawPlayhead(ctx, s);
    if (this.gesture?.kind === "group-drag") this.drawDragCount(ctx);
    this.lastDrawMs = performance.now() - t0;
    this.draws++;
  }

  drawLayer(s, dpr) {
    if (!this.layer) this.layer = document.createElement("canvas");
    if (this.layer.width !== this.canvas.width || this.layer.height !== this.canvas.height) {
      this.layer.width = this.canvas.width; this.layer.height = this.canvas.height;
      this.layerCtx = this.layer.getContext("2d", { alpha: false });
    }
    const ctx = this.layerCtx, W = this.width, H = this.height;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = COLORS.bg;
    ctx.fillRect(0, 0, W, H);
    const first = Math.max(s.first, Math.floor(this.start)), last = Math.min(s.end - 1, Math.ceil(this.start + W * this.fpp));
    this.drawThumbs(ctx, first, last);
    this.drawScenes(ctx, s, first, last);
    if (this.wave) drawWaveLane(ctx, this, this.wave, this.lanes.wave, COLORS);
    this.drawGraph(ctx, s, first, last);
    this.drawRuler(ctx, first, last);
    this.drawCuts(ctx, s, first, last);
  }

  drawRuler(ctx, first, last) {
    const [top, bottom] = this.lanes.ruler;
    ctx.fillStyle = COLORS.ruler;
    ctx.fillRect(0, top, this.width, bottom - top);
    const fps = this.rate.num / this.rate.den;
    const step = rulerStep(this.fpp, fps);
    ctx.font = "10px system-ui, sans-serif";
    ctx.textBaseline = "top";
    ctx.fillStyle = COLORS.rulerText;
    ctx.strokeStyle = COLORS.tick;
    ctx.beginPath();
    for (let f = Math.floor(first / step) * step; f <= last; f += step) {
      const x = Math.round(this.xOf(f)) + 0.5;
      ctx.moveTo(x, bottom - 6); ctx.lineTo(x, bottom);
      ctx.fillText(step < fps ? `${formatTimecode(f, this.rate, false)}+${Math.round(f % fps)}` : formatTimecode(f, this.rate, false), x + 3, top + 3);
      const minor = step / 5;
      if (minor >= 1) for (let k = 1; k < 5; k++) { const mx = Math.round(this.xOf(f + k * minor)) + 0.5; ctx.moveTo(mx, bottom - 3); ctx.lineTo(mx, bottom); }
    }
    ctx.stroke();
  }

  drawThumbs(ctx, first, last) {
    const [top, bottom] = this.lanes.thumbs;
    const h = bottom - top;
    ctx.fillStyle = COLORS.lane;
    ctx.fillRect(0, top, this.width, h);
    if (!this.sprites.length) return;
    const sheet0 = this.sprites[0];
    const dw = Math.max(8, Math.round(sheet0.tile_width * (h / sheet0.tile_height)));
    const framesPerSlot = dw * this.fpp;
    const firstSlot = Math.floor(first / framesPerSlot);
    for (let i = firstSlot; i * framesPerSlot <= last; i++) {
      const frame = Math.floor(i * framesPerSlot + framesPerSlot / 2);
      const tile = tileOf(this.sprites, frame);
      if (!tile) continue;
      const x = Math.round(this.xOf(i * framesPerSlot));
      if (tile.sheet.img?.complete && tile.sheet.img.naturalWidth) {
        ctx.drawImage(tile.sheet.img, tile.sx, tile.sy, tile.sheet.tile_width, tile.sheet.tile_height, x, top, dw, h);
      }
    }
  }

  drawScenes(ctx, s, first, last) {
    const [top, bottom] = this.lanes.scenes;
    const starts = sceneStarts(s);
    const from = Math.max(0, floorIndex(starts, first));
    const selected = new Set(s.selection);
    const groupColor = new Map(), groupName = new Map();
    for (const g of s.groups) for (const start of g.scenes) { groupColor.set(start, g.color); groupName.set(start, g.name); }
    const notes = new Map((s.notes ?? []).filter((n) => n.label).map((n) => [n.start, n.label]));
    ctx.font = "10px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    for (let k = from; k < starts.length && starts[k] <= last; k++) {
      const start = starts[k], stop = k + 1 < starts.length ? starts[k + 1] : s.end;
      const x0 = Math.max(-1, this.xOf(start)), x1 = Math.min(this.width + 1, this.xOf(stop));
      const color = groupColor.get(start);
      ctx.fillStyle = color ?? (k % 2 ? COLORS.sceneB : COLORS.sceneA);
      ctx.globalAlpha = color ? 0.85 : 1;
      ctx.fillRect(x0, top, Math.max(1, x1 - x0), bottom - top);
      ctx.globalAlpha = 1;
      if (selected.has(start)) {
        ctx.fillStyle = "rgba(79,134,217,0.30)";
        ctx.fillRect(x0, top, Math.max(1, x1 - x0), bottom - top);
        ctx.strokeStyle = COLORS.selected;
        ctx.lineWidth = 2;
        ctx.strokeRect(x0 + 1, top + 1, Math.max(1, x1 - x0 - 2), bottom - top - 2);
        ctx.lineWidth = 1;
      }
      if (x1 - x0 > 22) {
        // the scene's number, and its group's name where the scene is wide enough to hold it
        ctx.fillStyle = color ? "#111" : COLORS.sceneText;
        const name = groupName.get(start), label = notes.get(start);
        const full = [String(k + 1), label, name].filter(Boolean).join(" · ");
        const room = x1 - Math.max(x0, 0) - 8;
        ctx.fillText(ctx.measureText(full).width <= room ? full : String(k + 1), Math.max(x0, 0) + 4, (top + bottom) / 2);
      }
    }
  }

  drawGraph(ctx, s, first, last) {
    const [top, bottom] = this.lanes.graph;
    ctx.fillStyle = COLORS.lane;
    ctx.fillRect(0, top, this.width, bottom - top);
    ctx.strokeStyle = COLORS.grid;
    ctx.beginPath();
    for (let v = 10; v < this.scoreScale; v += 10) { const y = Math.round(this.thresholdY(v)) + 0.5; ctx.moveTo(0, y); ctx.lineTo(this.width, y); }
    ctx.stroke();
    if (!this.scores) return;
    const sc = this.scores, base = this.thresholdY(0), t = s.threshold;
    const below = new Path2D(), above = new Path2D();
    if (this.fpp <= 1) {
      const w = Math.max(1, 1 / this.fpp - (this.fpp < 0.25 ? 1 : 0));
      for (let f = first; f <= last && f < sc.length; f++) {
        const v = sc[f], y = this.thresholdY(v);
        (v >= t ? above : below).rect(this.xOf(f), y, w, base - y);
      }
    } else {
      for (let x = 0; x < this.width; x++) {
        const f0 = Math.max(first, Math.floor(this.start + x * this.fpp)), f1 = Math.min(last + 1, sc.length, Math.floor(this.start + (x + 1) * this.fpp));
        let m = 0;
        for (let f = f0; f < f1; f++) if (sc[f] > m) m = sc[f];
        if (f1 <= f0) continue;
        const y = this.thresholdY(m);
        (m >= t ? above : below).rect(x, y, 1, base - y);
      }
    }
    ctx.fillStyle = COLORS.graph; ctx.fill(below);
    ctx.fillStyle = COLORS.graphAbove; ctx.fill(above);
    // the threshold line with its value and the scene count it gives
    const y = Math.round(this.thresholdY(t)) + 0.5;
    ctx.strokeStyle = COLORS.threshold;
    ctx.lineWidth = this.hover === "threshold" || this.gesture?.kind === "threshold" ? 2 : 1;
    ctx.setLineDash([6, 3]);
    ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(this.width, y); ctx.stroke();
    ctx.setLineDash([]);
    ctx.lineWidth = 1;
    const label = `threshold ${t.toFixed(1)} · ${s.cuts.length + 1} scenes`;
    ctx.font = "11px system-ui, sans-serif";
    const w = ctx.measureText(label).width + 10;
    ctx.fillStyle = "rgba(24,24,26,0.85)";
    ctx.fillRect(this.width - w - 6, y - 17, w, 15);
    ctx.fillStyle = COLORS.threshold;
    ctx.textBaseline = "middle";
    ctx.fillText(label, this.width - w - 1, y - 9.5);
  }

  drawCuts(ctx, s, first, last) {
    const top = this.lanes.thumbs[0], bottom = this.lanes.graph[1];
    const from = Math.max(0, floorIndex(s.cuts, first));
    ctx.strokeStyle = COLORS.cut;
    ctx.beginPath();
    let previousX = -2;
    for (let k = from; k < s.cuts.length && s.cuts[k] <= last + 1; k++) {
      const x = Math.round(this.xOf(s.cuts[k])) + 0.5;
      if (x === previousX) continue;  // many cuts in one pixel: one line
      previousX = x;
      ctx.moveTo(x, top); ctx.lineTo(x, bottom);
    }
    ctx.stroke();
    if (s.selectedCut != null) {
      const x = Math.round(this.xOf(s.selectedCut)) + 0.5;
      ctx.strokeStyle = COLORS.cutSelected;
      ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, bottom); ctx.stroke();
      ctx.lineWidth = 1;
      ctx.fillStyle = COLORS.cutSelected;
      ctx.beginPath(); ctx.moveTo(x - 5, top); ctx.lineTo(x + 5, top); ctx.lineTo(x, top + 6); ctx.fill();
    }
  }

  drawPlayhead(ctx, s) {
    const x = this.xOf(s.playhead), w = Math.max(1, 1 / this.fpp);
    if (x + w < 0 || x > this.width) return;
    const bottom = this.lanes.graph[1];
    if (w > 3) { ctx.fillStyle = "rgba(229,72,77,0.18)"; ctx.fillRect(x, 0, w, bottom); }
    const px = Math.round(x) + 0.5;
    ctx.strokeStyle = COLORS.playhead;
    ctx.beginPath(); ctx.moveTo(px, 0); ctx.lineTo(px, bottom); ctx.stroke();
    ctx.fillStyle = COLORS.playhead;
    ctx.beginPath(); ctx.moveTo(px - 6, 0); ctx.lineTo(px + 6, 0); ctx.lineTo(px + 6, 8); ctx.lineTo(px, 14); ctx.lineTo(px - 6, 8); ctx.fill();
  }

  drawDragCount(ctx) {
    const g = this.gesture;
    const label = `${g.starts.length} scene${g.starts.length === 1 ? "" : "s"} → drop on a group`;
    ctx.font = "11px system-ui, sans-serif";
    const w = ctx.measureText(label).width + 12;
    const rect = this.canvas.getBoundingClientRect();
    const x = Math.min(this.width - w, g.clientX - rect.left + 10), y = Math.max(0, g.clientY - rect.top - 24);
    ctx.fillStyle = COLORS.selected; ctx.fillRect(x, y, w, 18);
    ctx.fillStyle = "#fff"; ctx.textBaseline = "middle"; ctx.fillText(label, x + 6, y + 9);
  }

  // --- pointer -----------------------------------------------------------------------------
  local(e) { const r = this.canvas.getBoundingClientRect(); return { x: e.clientX - r.left, y: e.clientY - r.top }; }

  cutNear(x) {
    const s = this.host.state();
    const f = this.start + x * this.fpp;
    const i = floorIndex(s.cuts, f);
    let best = null, bestD = HIT + 1;
    for (const k of [i, i + 1]) {
      if (k < 0 || k >= s.cuts.length) continue;
      const d = Math.abs(this.xOf(s.cuts[k]) - x);
      if (d < bestD) { best = s.cuts[k]; bestD = d; }
    }
    return best;
  }

  hitTest(x, y) {
    const lane = this.laneAt(y);
    const s = this.host.state();
    if (lane === "graph" && Math.abs(y - this.thresholdY(s.threshold)) <= HIT) return { kind: "threshold" };
    if (lane === "ruler") return { kind: "scrub" };
    const cut = lane !== "ruler" ? this.cutNear(x) : null;
    if (cut != null && lane !== "thumbs") return { kind: "cut", cut };
    if (lane === "scenes") return { kind: "scene", start: sceneStartOf(s, this.frameAt(x)) };
    return { kind: "scrub" };
  }

  pointerDown(e) {
    if (e.button !== 0) return;
    const { x, y } = this.local(e);
    const hit = this.hitTest(x, y);
    this.canvas.setPointerCapture(e.pointerId);
    this.gesture = { ...hit, x0: x, y0: y, moved: false, shift: e.shiftKey, ctrl: e.ctrlKey || e.metaKey, alt: e.altKey };
    if (hit.kind === "scrub") this.host.onScrub(this.frameAt(x), "start");
    else if (hit.kind === "cut") { this.host.onSelectCut(hit.cut); this.host.onCutMove(hit.cut, hit.cut, 0, "start"); }
    else if (hit.kind === "threshold") this.host.onThreshold(this.host.state().threshold, "start");
    this.requestDraw();
  }

  pointerMove(e) {
    const { x, y } = this.local(e);
    const g = this.gesture;
    if (!g) {
      const hit = this.hitTest(x, y);
      const hover = hit.kind === "threshold" ? "threshold" : hit.kind === "cut" ? "cut" : null;
      this.canvas.style.cursor = hover === "threshold" ? "ns-resize" : hover === "cut" ? "ew-resize" : hit.kind === "scene" ? "pointer" : "text";
      if (hover !== this.hover) { this.hover = hover; this.requestDraw(); }
      return;
    }
    if (!g.moved && Math.hypot(x - g.x0, y - g.y0) < DRAG_START && g.kind !== "scrub") return;
    g.moved = true;
    if (g.kind === "scrub") this.host.onScrub(this.frameAt(x), "move");
    else if (g.kind === "threshold") this.host.onThreshold(this.thresholdAt(y), "move");
    else if (g.kind === "cut") {
      const to = Math.round(this.start + x * this.fpp);
      const snapFrames = e.altKey ? 0 : Math.round(8 * this.fpp);
      g.cut = this.host.onCutMove(g.cut, to, snapFrames, "move") ?? g.cut;
    } else if (g.kind === "scene") {
      const s = this.host.state();
      if (!s.selection.includes(g.start)) this.host.onSelectScene(g.start, g.shift ? "shift" : g.ctrl ? "ctrl" : "click");
      g.kind = "group-drag";
      g.starts = this.host.state().selection;
    }
    if (g.kind === "group-drag") {
      g.clientX = e.clientX; g.clientY = e.clientY;
      this.host.onGroupDrag(g.starts, e.clientX, e.clientY, "move");
      this.requestDraw();
    }
  }

  pointerUp(e) {
    const g = this.gesture;
    this.gesture = null;
    if (!g) return;
    if (g.kind === "scene" && !g.moved) this.host.onSelectScene(g.start, g.shift ? "shift" : g.ctrl ? "ctrl" : "click");
    else if (g.kind === "group-drag") this.host.onGroupDrag(g.starts, e.clientX, e.clientY, "drop");
    else if (g.kind === "threshold") this.host.onThreshold(this.thresholdAt(this.local(e).y), g.moved ? "end" : "cancel");
    else if (g.kind === "cut" && g.moved) this.host.onCutMove(g.cut, g.cut, 0, "end");
    else if (g.kind === "scrub") this.host.onScrub(this.frameAt(this.local(e).x), "end");
    this.requestDraw();
  }

  doubleClick(e) {
    const { x, y } = this.local(e);
    if (this.laneAt(y) === "scenes") this.host.onScrub(sceneStartOf(this.host.state(), this.frameAt(x)), "end");
  }

  wheel(e) {
    e.preventDefault();
    const { x } = this.local(e);
    if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) this.pan((e.shiftKey ? e.deltaY : e.deltaX) || 0);
    else this.zoomAt(x, Math.exp(e.deltaY * 0.0015));
  }
}

function sceneStartOf(s, frame) {
  const i = floorIndex(s.cuts, frame);
  return i < 0 ? s.first : s.cuts[i];
}

// A scale that shows most scores and the threshold with room above it.
export function scoreScaleOf(scores, threshold) {
  if (!scores || !scores.length) return Math.max(60, threshold * 1.5);
  const sample = [];
  const step = Math.max(1, Math.floor(scores.length / 20000));
  for (let i = 0; i < scores.length; i += step) sample.push(scores[i]);
  sample.sort((a, b) => a - b);
  const high = sample[Math.floor(sample.length * 0.998)] ?? 0;
  return Math.max(threshold * 1.6, high * 1.1, 10);
}

// Ruler label spacing in frames: at least ~90 px apart, on whole frames, seconds or minutes.
export function rulerStep(fpp, fps) {
  const minFrames = 90 * fpp;
  const f = Math.round(fps);
  const steps = [1, 2, 5, 10, f, 2 * f, 5 * f, 10 * f, 30 * f, 60 * f, 120 * f, 300 * f, 600 * f, 1800 * f, 3600 * f];
  return steps.find((s) => s >= minFrames) ?? steps[steps.length - 1];
}

export { groupOf };
