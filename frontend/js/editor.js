// The editor screen: viewer (or scene grid), timeline, cut review and groups, wired to the state
// functions, the undo history and the bridge. Every edit goes through commit(): new state ->
// history -> redraw -> autosave.

import * as S from "./state.js";
import * as H from "./history.js";
import { constantRateMicroseconds, pruneCuts, replayCuts, snapToPeak } from "./cuts.js";
import { TimelineView } from "./timeline.js";
import { Viewer } from "./viewer.js";
import { audioOnsets, loadWaveform, onsetFloor } from "./waveform.js";
import { SharpFrame } from "./sharp.js";
import { frameMap, valuesByNumber } from "./frames.js";
import { formatClock, formatTimecode } from "./timecode.js";
import { banner, fill, h } from "./dom.js";

const SAVE_DELAY_MS = 150;
const PROXY_POLL_MS = 1500;   // how often to ask whether the sharp proxy is ready

export class Editor {
  constructor(root, bridge, { onExport }) {
    this.root = root;
    this.bridge = bridge;
    this.onExport = onExport;
    this.sessionId = null;
    this.history = null;
    this.saved = null;          // what the bridge last accepted (bridge shapes)
    this.saving = false;
    this.saveTimer = null;
    this.nameDrafts = new Map(); // group id -> a name being typed, not yet committed
    this.dragging = null;       // threshold drag in progress
    this.gridVisible = false;
    this.reviewToken = 0;
    this.dirty = new Set();
    this.renderPending = false;
    this.build();
  }

  get state() { return this.history.present; }

  build() {
    const num = (id, attrs) => h("input", { id, type: "number", class: "num", ...attrs });
    fill(this.root, 
      h("div", { class: "toolbar" },
        h("label", { title: "Content score a frame needs to start a new scene (ContentDetector)" }, "Threshold", num("threshold", { min: 0, step: 0.5 })),
        h("label", { title: "Scenes shorter than this merge (frames)" }, "Min length", num("min-len", { min: 0, step: 1 })),
        h("span", { id: "scene-count", class: "num" }),
        h("span", { class: "sep" }),
        h("label", { title: "Keep only the strongest of cuts closer than this many frames" }, "Prune <", num("prune-gap", { min: 1, step: 1, value: 12 }), "frames"),
        h("button", { id: "prune", title: "Keep only the strongest of cuts that are too close" }, "Prune"),
        h("button", { id: "import-cuts", title: "Replace the cuts with those of an edit list: CMX 3600 EDL (Resolve, Premiere), OpenTimelineIO, LosslessCut CSV" }, "Import cuts…"),
        h("span", { class: "sep" }),
        h("button", { id: "undo", title: "Undo (Ctrl+Z)" }, "Undo"),
        h("button", { id: "redo", title: "Redo (Ctrl+Shift+Z)" }, "Redo"),
        h("span", { class: "sep" }),
        h("button", { id: "toggle-grid", title: "Scene grid (G)" }, "Scene grid"),
        h("span", { class: "spacer" }),
        h("span", { id: "save-state", class: "muted" }),
        h("button", { id: "export", class: "primary" }, "Export…")),
      h("div", { class: "stage" },
        h("div", { class: "viewer", id: "viewer" },
          h("video", { id: "proxy", playsinline: true, disablepictureinpicture: true }),
          h("img", { class: "still", id: "still", hidden: true, alt: "" }),
          h("div", { class: "hud", id: "hud" }),
          h("div", { class: "badge", id: "badge", hidden: true }),
          h("div", { class: "source-badge", id: "source", title: "The frame on screen: the proxy's, or the master's own once the playhead rests" }, "proxy")),
        h("div", { class: "grid", id: "grid", hidden: true })),
      h("div", { class: "timeline" }, h("canvas", { id: "timeline", tabindex: 0 })),
      h("aside", { class: "side" },
        h("section", { class: "review", id: "review" }),
        h("section", { class: "groups", id: "groups" })),
      h("div", { class: "statusbar", id: "statusbar" }));
    const $ = (id) => this.root.querySelector(`#${id}`);
    this.el = { threshold: $("threshold"), minLen: $("min-len"), sceneCount: $("scene-count"), pruneGap: $("prune-gap"),
                undo: $("undo"), redo: $("redo"), save: $("save-state"), hud: $("hud"), badge: $("badge"), source: $("source"),
                grid: $("grid"), viewer: $("viewer"), review: $("review"), groups: $("groups"), status: $("statusbar") };
    this.el.threshold.addEventListener("change", () => this.typedThreshold());
    this.el.minLen.addEventListener("change", () => this.typedThreshold());
    $("prune").addEventListener("click", () => this.prune());
    $("import-cuts").addEventListener("click", () => this.importCuts());
    this.el.undo.addEventListener("click", () => this.undo());
    this.el.redo.addEventListener("click", () => this.redo());
    $("toggle-grid").addEventListener("click", () => this.toggleGrid());
    $("export").addEventListener("click", () => this.flush().then(() => this.onExport(this.sessionId)).catch((e) => this.fail(e)));
    this.viewer = new Viewer($("proxy"), $("still"), {
      onFrame: (f) => this.commit(S.setPlayhead(this.state, f), { follow: true, fromVideo: true }),
      onPlayState: (speed, err) => { if (speed === 0) this.sharp.rest(this.state.playhead); else this.sharp.cancel(); this.el.badge.hidden = speed === 0; this.el.badge.textContent = speed > 0 ? `▶ ${speed}×` : `◀ ${-speed}×`; if (err) banner(`Playback failed: ${err.message}`); },
    });
    this.sharp = new SharpFrame({
      fetchUrl: async (frame) => (await this.bridge.call("frame.get", { session_id: this.sessionId, frame, format: "jpeg", ...this.viewerPixels() })).url,
      show: (frame, url) => { if (this.state.playhead === frame) { this.viewer.showStill(url); this.renderHud(); } },
      isStill: () => !this.viewer.playing,
    });
    this.timeline = new TimelineView($("timeline"), this.timelineHost());
  }

  // --- opening -------------------------------------------------------------------------------
  async open(sessionId, timeline) {
    const t0 = performance.now();
    this.sessionId = sessionId;
    this.meta = timeline;
    this.rate = timeline.fps;
    this.history = H.createHistory(S.fromTimeline(timeline));
    this.saved = { ...S.toBridge(this.state), groups: bridgeGroups(timeline.groups) };
    // thumbnails the ingest made for its own scenes, by their frame span
    this.ingestThumbs = new Map();
    // (one base URL; a scene's is its midpoint's decoded index after it)
    for (const sc of timeline.scenes) if (sc.midpoint_index != null) this.ingestThumbs.set(`${sc.start_frame}-${sc.end_frame}`, `${timeline.thumbs_url}/${sc.midpoint_index}`);
    const sprites = (timeline.sprites ?? []).map((s) => ({ ...s, img: Object.assign(new Image(), { src: s.url, decoding: "async" }) }));
    this.sprites = sprites;
    const [scores, times, wave] = await Promise.all([this.fetchFloats(timeline.scores_url, Float32Array),
      timeline.frame_us_url ? this.fetchFloats(timeline.frame_us_url, Float64Array) : null,
      loadWaveform(timeline.waveform).catch((err) => { banner(`The audio lane cannot be drawn: ${err.message}`); return null; })]);
    this.scores = scores;
    this.wave = wave;
    this.onsets = audioOnsets(wave, scores.length, this.rate);
    this.onsetMin = onsetFloor(this.onsets);
    this.viewer.sound.hasAudio = timeline.waveform != null;
    this.microseconds = times ?? constantRateMicroseconds(scores.length, this.rate);
    // scores are per decoded frame; the graph, snapping, prune and the review read them by frame
    // number, which a variable-rate master repeats and skips (frames.js)
    this.frames = frameMap(this.microseconds, this.rate, this.state.end);
    this.frameScores = valuesByNumber(scores, this.frames);
    this.timeline.fitted = true;
    this.root.classList.toggle("has-sound", wave != null);
    this.timeline.setMedia({ scores: this.frameScores, sprites, rate: this.rate, wave });
    this.timeline.fit();
    this.viewer.load(timeline.proxy_url, this.rate, timeline.frame_count, times ? Array.from(times, (us) => Math.max(0, us) / 1e6) : null, this.frames)
      .then(() => { this.viewer.show(this.state.playhead); this.sharp.rest(this.state.playhead); })
      .catch((err) => banner(`The viewer cannot play the proxy: ${err.message}`));
    this.proxyPending = !!timeline.proxy_pending;
    if (this.proxyPending) this.followSharpProxy(sessionId);
    this.recutLocally(this.state.threshold, this.state.minSceneLen);  // prepares the positions once
    this.render();
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    this.readyMs = performance.now() - t0;   // opening to a drawn, usable timeline
    this.readyAt = performance.now();        // since the page's navigation started
    return this.readyMs;
  }

  // The sharp proxy is made after the ingest (backend/media/sharp_proxy.py): the small one plays
  // until it is ready, then it is swapped in while paused.
  async followSharpProxy(sid) {
    try {
      while (this.sessionId === sid) {
        await new Promise((resolve) => setTimeout(resolve, PROXY_POLL_MS));
        const p = await this.bridge.call("timeline.proxy", { session_id: sid });
        if (this.sessionId !== sid) return;
        if (p.sharp) {
          await this.viewer.swap(p.url, () => this.state.playhead);
          this.meta = { ...this.meta, proxy_url: p.url, proxy_width: p.width, proxy_height: p.height };
          return;
        }
        if (!p.pending) return;   // it failed: the small proxy stays
      }
    } catch (err) {
      banner(`The sharp proxy could not be loaded: ${err.message}`, { kind: "info", timeoutMs: 4000 });
    } finally {
      this.proxyPending = false;
    }
  }

  async fetchFloats(url, Type) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`could not load ${url} (HTTP ${response.status})`);
    const buffer = await response.arrayBuffer();
    return new Type(buffer);
  }

  // --- the one path every edit takes ---------------------------------------------------------
  commit(next, { coalesce = false, follow = false, fromVideo = false, save = true } = {}) {
    if (next === this.state) return;
    const before = this.state;
    this.history = H.commit(this.history, next, { coalesce });
    this.afterChange(before, { follow, fromVideo, save });
  }

  afterChange(before, { follow = false, fromVideo = false, save = true } = {}) {
    const s = this.state;
    if (s.playhead !== before.playhead) {
      if (!fromVideo) { if (this.viewer.playing) this.viewer.stop(); this.viewer.show(s.playhead); this.sharp.rest(s.playhead); }
      if (follow || fromVideo) this.timeline.reveal(s.playhead);
    }
    // the page's HTML follows once per display frame, with the timeline, however many edits came
    if (s.selectedCut !== before.selectedCut) this.dirty.add("review");
    // the panel is redrawn only when the groups change, so a selection never replaces the drop targets
    if (s.groups !== before.groups) this.dirty.add("groups");
    if (s.groups !== before.groups || s.selection !== before.selection || s.cuts !== before.cuts) this.dirty.add("grid");
    this.renderSoon();
    this.timeline.requestDraw();
    if (save && !this.dragging) this.scheduleSave();
  }

  renderSoon() {
    if (this.renderPending) return;
    this.renderPending = true;
    requestAnimationFrame(() => {
      this.renderPending = false;
      if (this.dirty.has("review")) this.renderReview();
      if (this.dirty.has("groups")) this.renderGroups();
      if (this.dirty.has("grid")) this.renderGridSoon();
      this.dirty.clear();
      this.renderToolbar();
      this.renderHud();
    });
  }

  undo() { const before = this.state; this.history = H.undo(this.history); this.afterChange(before); }
  redo() { const before = this.state; this.history = H.redo(this.history); this.afterChange(before); }

  // --- autosave ------------------------------------------------------------------------------
  scheduleSave() {
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.save(), SAVE_DELAY_MS);
    this.setSaveState("saving", "Saving…");
  }

  // Sends what differs from what the bridge has, in the order scene numbers depend on.
  async save() {
    if (this.saving) { this.saveAgain = true; return this.savingPromise; }
    this.saving = true;
    this.savingPromise = (async () => {
      try {
        do {
          this.saveAgain = false;
          const want = S.toBridge(this.state), have = this.saved;
          const id = this.sessionId;
          // each answer is the session as the bridge now holds it (it carries selection and groups
          // over new cuts itself), so what is left to send is measured against that
          const accept = (r, extra = {}) => { this.saved = { ...this.saved, ...extra, cuts: r.cuts, selection: r.selection, groups: bridgeGroups(r.groups) }; };
          if (want.threshold !== have.threshold || want.min_scene_len !== have.min_scene_len) {
            accept(await this.bridge.call("edit.recut", { session_id: id, threshold: want.threshold, min_scene_len: want.min_scene_len }),
                   { threshold: want.threshold, min_scene_len: want.min_scene_len });
          }
          if (!sameJSON(want.cuts, this.saved.cuts)) accept(await this.bridge.call("edit.set_cuts", { session_id: id, cuts: want.cuts }));
          if (!sameJSON(want.groups, this.saved.groups)) accept(await this.bridge.call("edit.set_groups", { session_id: id, groups: want.groups }));
          if (!sameJSON(want.selection, this.saved.selection)) accept(await this.bridge.call("edit.set_selection", { session_id: id, scenes: want.selection }));
        } while (this.saveAgain);
        this.setSaveState("", "All changes saved");
      } catch (err) {
        this.setSaveState("failed", "Not saved");
        banner(`Your last edit was not saved: ${err.message}`);
        throw err;
      } finally {
        this.saving = false;
      }
    })();
    return this.savingPromise.catch(() => {});
  }

  async flush() {
    clearTimeout(this.saveTimer);
    await this.save();
    if (this.el.save.classList.contains("failed")) throw new Error("the edits could not be saved, so export would not use them");
  }

  setSaveState(cls, text) {
    this.el.save.className = cls || "muted";
    this.el.save.textContent = text;
  }

  fail(err) { banner(err.message ?? String(err)); }

  // --- threshold -----------------------------------------------------------------------------
  recutLocally(threshold, minLen) {
    return replayCuts(this.scores, this.microseconds, this.rate, threshold, minLen).map((c) => c.frame);
  }

  threshold(value, phase) {
    const s = this.state;
    const t = Math.round(value * 10) / 10;
    if (phase === "start") { this.dragging = { from: s.threshold, steps: 0 }; return; }
    if (phase === "cancel") { this.dragging = null; return; }
    const next = S.setThreshold(s, t, s.minSceneLen, this.recutLocally(t, s.minSceneLen));
    const first = this.dragging && this.dragging.steps === 0;
    if (this.dragging) this.dragging.steps++;
    this.commit(next, { coalesce: !first && !!this.dragging });
    if (phase === "end") { this.dragging = null; this.confirmRecut(); }
  }

  typedThreshold() {
    const t = Number(this.el.threshold.value), m = Number(this.el.minLen.value);
    if (!(t >= 0) || !Number.isInteger(m) || m < 0) { banner("Threshold must be a number ≥ 0 and minimum length a whole number of frames ≥ 0."); this.renderToolbar(); return; }
    this.commit(S.setThreshold(this.state, t, m, this.recutLocally(t, m)));
    this.confirmRecut();
  }

  // The bridge recuts from its own (float64) scores; its cuts are the ones kept. They differ from
  // the page's (float32) only where a score sits on the threshold to within float32 precision.
  async confirmRecut() {
    clearTimeout(this.saveTimer);
    const s = this.state;
    try {
      const r = await this.bridge.call("edit.recut", { session_id: this.sessionId, threshold: s.threshold, min_scene_len: s.minSceneLen });
      this.saved = { ...this.saved, threshold: s.threshold, min_scene_len: s.minSceneLen, cuts: r.cuts, selection: r.selection, groups: bridgeGroups(r.groups) };
      if (this.state.threshold === s.threshold && !sameJSON(r.cuts, this.state.cuts)) {
        this.history = { ...this.history, present: S.setCuts(this.state, r.cuts) };
        this.afterChange(s, { save: false });
      }
    } catch (err) {
      this.fail(err);
    }
    this.scheduleSave();
  }

  // --- cuts ----------------------------------------------------------------------------------
  addCutAtPlayhead() { this.commit(S.addCut(this.state, this.state.playhead)); }

  deleteSelectedCut() {
    const c = this.state.selectedCut;
    if (c == null) { banner("Select a cut first (click its marker in the timeline).", { kind: "info", timeoutMs: 2500 }); return; }
    this.commit(S.deleteCut(this.state, c));
  }

  moveCut(from, to, snapFrames, phase) {
    if (phase === "end") return from;
    const index = Math.max(1, Math.min(this.state.end - 1, to));
    const target = snapFrames > 0 ? this.snapTarget(index, snapFrames) : index;
    const next = S.moveCut(this.state, from, target);
    if (next === this.state) return from;
    const moved = next.selectedCut;
    this.commit(next);
    return moved;
  }

  // The nearer of the score peak and the audio onset (a music hit) within `radius` frames.
  snapTarget(index, radius) {
    const peak = snapToPeak(this.frameScores, index, radius, this.state.threshold * 0.5);
    const onset = snapToPeak(this.onsets, index, radius, this.onsetMin);
    if (peak === index) return onset;
    if (onset === index) return peak;
    return Math.abs(onset - index) < Math.abs(peak - index) ? onset : peak;
  }

  nudgeSelectedCut(delta) {
    const c = this.state.selectedCut;
    if (c != null) this.commit(S.moveCut(this.state, c, c + delta));
  }

  prune() {
    const gap = Number(this.el.pruneGap.value);
    if (!Number.isInteger(gap) || gap < 1) { banner("Prune needs a whole number of frames ≥ 1."); return; }
    const kept = pruneCuts(this.state.cuts, gap, (c) => this.frameScores[c] ?? 0);
    const removed = this.state.cuts.length - kept.length;
    this.commit(S.setCuts(this.state, kept));
    banner(removed ? `Pruned ${removed} cut${removed === 1 ? "" : "s"} closer than ${gap} frames to a stronger one.` : `No two cuts are closer than ${gap} frames.`, { kind: "info", timeoutMs: 3000 });
  }

  async importCuts() {
    const path = this.bridge.pickCutsFile ? await this.bridge.pickCutsFile()
      : window.prompt("Import cuts: the path of a CMX 3600 EDL (.edl), an OpenTimelineIO file (.otio) or a LosslessCut CSV (.csv)");
    if (!path?.trim()) return;
    try {
      // the core reads and checks the file; the cuts come back into the history, so Ctrl+Z undoes them
      const r = await this.bridge.call("edit.import_cuts", { session_id: this.sessionId, path: path.trim() });
      this.commit(S.setCuts(this.state, r.cuts));
      banner(`Imported ${r.cuts.length} cut${r.cuts.length === 1 ? "" : "s"}: ${r.scenes.length} scene${r.scenes.length === 1 ? "" : "s"}.`, { kind: "info", timeoutMs: 4000 });
    } catch (err) { this.fail(err); }
  }

  // --- scenes and groups ---------------------------------------------------------------------
  groupDrag(starts, x, y, phase) {
    for (const el of this.root.querySelectorAll(".group.drop")) el.classList.remove("drop");
    this.ghost?.remove();
    this.ghost = null;
    const target = document.elementFromPoint(x, y)?.closest?.("[data-group]");
    if (phase === "move") {
      target?.classList.add("drop");
      this.ghost = h("div", { class: "drag-ghost", style: `left:${x + 12}px;top:${y + 8}px` }, `${starts.length} scene${starts.length === 1 ? "" : "s"}`);
      document.body.append(this.ghost);
      return;
    }
    if (phase === "drop" && target) {
      const id = target.dataset.group === "none" ? null : Number(target.dataset.group);
      this.commit(S.assignScenes(this.state, starts, id));
    }
  }

  newGroup() {
    try {
      let k = this.state.groups.length + 1;
      while (this.state.groups.some((g) => g.name === `Group ${k}`)) k++;
      const next = S.createGroup(this.state, `Group ${k}`);
      this.commit(this.state.selection.length ? S.assignScenes(next, next.selection, next.groups.at(-1).id) : next);
    } catch (err) { this.fail(err); }
  }

  editGroup(fn) {
    try { this.commit(fn(this.state)); } catch (err) { banner(err.message); this.renderGroups(); }
  }

  // --- keys ----------------------------------------------------------------------------------
  key(e) {
    if (e.target.closest?.("input, select, textarea") && e.key !== "Escape") return false;
    const s = this.state, fps = this.rate.num / this.rate.den;
    const ctrl = e.ctrlKey || e.metaKey;
    const k = e.key;
    const go = (f) => this.commit(S.setPlayhead(this.state, f), { follow: true });
    if (ctrl && (k === "z" || k === "Z")) { e.shiftKey ? this.redo() : this.undo(); return true; }
    if (ctrl && (k === "y")) { this.redo(); return true; }
    if (ctrl && (k === "a" || k === "A")) { this.commit(S.selectAll(s)); return true; }
    if (ctrl) return false;
    switch (k) {
      case " ": this.viewer.togglePlay(); return true;
      case "k": case "K": this.viewer.stop(); return true;
      case "l": case "L": this.viewer.shuttleStep(1); return true;
      case "j": case "J": this.viewer.shuttleStep(-1); return true;
      case "ArrowLeft": go(s.playhead - (e.shiftKey ? Math.round(fps) : 1)); return true;
      case "ArrowRight": go(s.playhead + (e.shiftKey ? Math.round(fps) : 1)); return true;
      case "ArrowUp": case "[": go(S.neighbourCut(s, -1)); return true;
      case "ArrowDown": case "]": go(S.neighbourCut(s, 1)); return true;
      case "Home": go(s.first); return true;
      case "End": go(s.end - 1); return true;
      case "c": case "C": this.addCutAtPlayhead(); return true;
      case "m":
        if (!this.viewer.toggleMute()) banner("This master has no sound.", { kind: "info", timeoutMs: 2000 });
        this.renderHud();
        return true;
      case "M":
        if (s.selection.length < 2) { banner("Select two or more scenes to merge them (Shift+click a range).", { kind: "info", timeoutMs: 2500 }); return true; }
        this.commit(S.mergeScenes(s, s.selection));
        return true;
      case "Delete": case "Backspace": this.deleteSelectedCut(); return true;
      case "f": case "F": this.showMasterFrame(); return true;
      case "g": case "G": this.toggleGrid(); return true;
      case "Escape": this.commit(S.selectCut(S.selectNone(s), null)); return true;
      case "+": case "=": this.timeline.zoomAt(this.timeline.xOf(s.playhead), 0.5); return true;
      case "-": case "_": this.timeline.zoomAt(this.timeline.xOf(s.playhead), 2); return true;
      case "\\": this.timeline.fit(); return true;
      case ",": this.nudgeSelectedCut(-1); return true;
      case ".": this.nudgeSelectedCut(1); return true;
      default:
        if (/^[1-9]$/.test(k)) {
          if (!s.selection.length) { banner("Select scenes first (click, Shift+click, Ctrl+click or Ctrl+A).", { kind: "info", timeoutMs: 2500 }); return true; }
          this.commit(S.selectionToGroup(s, Number(k)));
          return true;
        }
    }
    return false;
  }

  // The viewer's size in device pixels: the sharp frame is made at that size, not larger.
  viewerPixels() {
    const dpr = window.devicePixelRatio || 1, r = this.el.viewer.getBoundingClientRect();
    return { max_width: Math.max(16, Math.round(r.width * dpr)), max_height: Math.max(16, Math.round(r.height * dpr)) };
  }

  async showMasterFrame() {
    if (this.viewer.playing) { banner("Pause first: the full-quality frame is shown for a still playhead.", { kind: "info", timeoutMs: 2500 }); return; }
    const frame = this.state.playhead;
    this.sharp.cancel();   // F's full-size frame is not replaced by the viewer-sized one on its way
    try {
      const r = await this.bridge.call("frame.get", { session_id: this.sessionId, frame, format: "jpeg" });
      if (this.state.playhead === frame) { this.viewer.showStill(r.url); this.renderHud(); }
    } catch (err) { this.fail(err); }
  }

  toggleGrid() {
    this.gridVisible = !this.gridVisible;
    this.el.grid.hidden = !this.gridVisible;
    this.el.viewer.hidden = this.gridVisible;
    if (this.gridVisible) this.renderGrid();
  }

  // --- rendering the HTML parts ---------------------------------------------------------------
  render() {
    this.renderToolbar(); this.renderHud(); this.renderReview(); this.renderGroups(); this.renderStatus();
    if (this.gridVisible) this.renderGrid();
    this.timeline.requestDraw();
  }

  renderToolbar() {
    const s = this.state;
    if (document.activeElement !== this.el.threshold) this.el.threshold.value = s.threshold;
    if (document.activeElement !== this.el.minLen) this.el.minLen.value = s.minSceneLen;
    this.el.sceneCount.textContent = `${s.cuts.length + 1} scenes · ${s.selection.length} selected`;
    this.el.undo.disabled = !H.canUndo(this.history);
    this.el.redo.disabled = !H.canRedo(this.history);
  }

  renderHud() {
    const s = this.state;
    const still = !this.root.querySelector("#still").hidden;
    fill(this.el.hud, 
      h("span", { id: "hud-timecode" }, formatTimecode(s.playhead, this.rate)), "  ",
      h("span", { id: "hud-frame" }, `frame ${s.playhead}`), " ",
      h("span", { class: "small" }, `/ ${s.end - 1} · ${formatClock(s.playhead, this.rate)}${still ? " · master frame" : " · proxy"}`));
    this.el.hud.dataset.frame = String(s.playhead);
    const sound = !this.viewer.sound.hasAudio ? "none" : this.viewer.sound.userMuted ? "muted" : "on";
    this.el.source.textContent = `${still ? "master" : "proxy"}${sound === "muted" ? " · muted" : ""}`;
    this.el.source.dataset.source = still ? "master" : "proxy";
    this.el.source.dataset.sound = sound;
    this.el.source.title = `The frame on screen is the ${still ? "master's own" : "proxy's"}${this.viewer.sound.hasAudio ? (this.viewer.sound.userMuted ? " · sound muted (M)" : " · sound on (M mutes)") : ""}`;
  }

  renderStatus() {
    const m = this.meta;
    fill(this.el.status, 
      h("span", {}, h("b", {}, `${m.frame_count}`), " frames at ", h("b", {}, (m.fps.num / m.fps.den).toFixed(3)), " fps"),
      h("span", {}, "Press ", h("b", {}, "?"), " for keys"),
      h("span", { id: "perf", class: "num" }));
  }

  async renderReview() {
    const s = this.state, el = this.el.review;
    const cut = s.selectedCut;
    if (cut == null) {
      fill(el, h("h3", {}, "Cut"), h("p", { class: "muted" }, "Click a cut marker to see the frames on either side, with their scores. C adds a cut at the playhead."));
      return;
    }
    const token = ++this.reviewToken;
    const score = (f) => (this.frameScores?.[f] ?? 0).toFixed(1);
    const body = h("div", { class: "pair" },
      h("figure", {}, h("img", { id: "review-before", alt: `frame ${cut - 1}` }), h("figcaption", {}, `last before · frame ${cut - 1} · score ${score(cut - 1)}`)),
      h("figure", {}, h("img", { id: "review-after", alt: `frame ${cut}` }), h("figcaption", {}, `first after · frame ${cut} · score ${score(cut)}`)));
    fill(el, h("h3", {}, `Cut at frame ${cut} · ${formatTimecode(cut, this.rate)}`), body,
      h("div", { class: "row" },
        h("button", { title: "Move the cut one frame earlier (,)", onclick: () => this.nudgeSelectedCut(-1) }, "◀ 1"),
        h("button", { title: "Move the cut one frame later (.)", onclick: () => this.nudgeSelectedCut(1) }, "1 ▶"),
        h("button", { onclick: () => this.commit(S.setPlayhead(this.state, cut), { follow: true }) }, "Go to"),
        h("button", { class: "danger", title: "Remove this cut, merging its scenes (Delete)", onclick: () => this.deleteSelectedCut() }, "Remove")));
    try {
      const r = await this.bridge.call("frame.around_cut", { session_id: this.sessionId, cut });
      if (token !== this.reviewToken) return;
      el.querySelector("#review-before").src = r.before_url;
      el.querySelector("#review-after").src = r.after_url;
      const caps = el.querySelectorAll("figcaption");
      caps[0].textContent = `last before · frame ${cut - 1} · score ${Number(r.before_score).toFixed(1)}`;
      caps[1].textContent = `first after · frame ${cut} · score ${Number(r.after_score).toFixed(1)}`;
    } catch (err) {
      if (token === this.reviewToken) el.append(h("p", { class: "muted" }, `Frames unavailable: ${err.message}`));
    }
  }

  // A name being typed is kept as a draft until Enter or leaving the field, so a redraw of the
  // panel (a drag, a save's answer) while typing loses neither the text nor the focus.
  commitName(id, name) {
    this.nameDrafts.delete(id);
    const group = this.state.groups.find((g) => g.id === id);
    if (group && group.name !== name) this.editGroup((st) => S.renameGroup(st, id, name));
  }

  renderGroups() {
    const s = this.state, el = this.el.groups;
    const active = document.activeElement;
    const typing = active && active.matches?.("input.name") && el.contains(active)
      ? { id: active.closest("[data-group]").dataset.group, start: active.selectionStart, end: active.selectionEnd } : null;
    const rows = s.groups.map((g, i) => h("div", { class: "group", dataset: { group: String(g.id) } },
      h("span", { class: "key", title: `Key ${i + 1}` }, i < 9 ? String(i + 1) : ""),
      h("input", { type: "color", value: g.color, title: "Colour", onchange: (e) => this.editGroup((st) => S.recolorGroup(st, g.id, e.target.value)) }),
      h("input", { class: "name", type: "text", value: this.nameDrafts.get(g.id) ?? g.name, title: "Rename",
                   oninput: (e) => this.nameDrafts.set(g.id, e.target.value),
                   onchange: (e) => this.commitName(g.id, e.target.value),
                   onkeydown: (e) => { if (e.key === "Enter") this.commitName(g.id, e.target.value); } }),
      h("span", { class: "count", title: "Scenes in this group" }, String(g.scenes.length)),
      h("button", { class: "icon", title: "Select this group's scenes", onclick: () => this.commit({ ...this.state, selection: [...g.scenes] }) }, "⊙"),
      h("button", { class: "icon", title: "Move up", disabled: i === 0, onclick: () => this.editGroup((st) => S.moveGroup(st, g.id, i - 1)) }, "↑"),
      h("button", { class: "icon", title: "Move down", disabled: i === s.groups.length - 1, onclick: () => this.editGroup((st) => S.moveGroup(st, g.id, i + 1)) }, "↓"),
      h("button", { class: "icon danger", title: "Remove the group (its scenes stay)", onclick: () => this.editGroup((st) => S.removeGroup(st, g.id)) }, "×")));
    fill(el, h("h3", {}, "Groups"),
      ...rows,
      h("div", { class: "group none", dataset: { group: "none" }, title: "Drop scenes here to take them out of their group" }, "No group"),
      h("div", { class: "row" }, h("button", { id: "new-group", onclick: () => this.newGroup(), title: "A new group (with the selected scenes)" }, "+ New group")),
      h("p", { class: "muted" }, "Drag selected scenes from the timeline or the grid onto a group, or press 1–9."));
    const input = typing && el.querySelector(`[data-group="${CSS.escape(typing.id)}"] input.name`);
    if (input) { input.focus(); input.setSelectionRange(typing.start, typing.end); }
  }

  renderGridSoon() {
    if (!this.gridVisible) return;
    cancelAnimationFrame(this.gridFrame);
    this.gridFrame = requestAnimationFrame(() => this.renderGrid());
  }

  renderGrid() {
    const s = this.state;
    const selected = new Set(s.selection);
    const color = new Map();
    for (const g of s.groups) for (const st of g.scenes) color.set(st, g.color);
    const cells = S.scenes(s).map((sc) => {
      const start = sc.start_frame;
      const pic = h("span", { class: "pic" });
      const url = this.ingestThumbs.get(`${sc.start_frame}-${sc.end_frame}`);
      if (url) pic.style.backgroundImage = `url("${url}")`;
      else this.spriteBackground(pic, sc.start_frame + Math.floor((sc.end_frame - sc.start_frame + 1) / 2));
      const cell = h("div", { class: `cell${selected.has(start) ? " selected" : ""}`, dataset: { start: String(start) }, title: `Scene ${sc.number}: frames ${sc.start_frame}–${sc.end_frame}` },
        pic, color.has(start) ? h("span", { class: "chip", style: `background:${color.get(start)}` }) : null,
        h("span", { class: "cap" }, h("span", {}, `#${sc.number}`), h("span", { class: "num" }, `${sc.end_frame - sc.start_frame + 1} f`)));
      return cell;
    });
    fill(this.el.grid, ...cells);
    if (!this.gridWired) { this.wireGrid(); this.gridWired = true; }
  }

  spriteBackground(el, frame) {
    const sheets = this.sprites;
    if (!sheets.length) return;
    let k = sheets.length - 1;
    while (k > 0 && sheets[k].first_frame > frame) k--;
    const sh = sheets[k];
    const n = Math.max(0, Math.min(sh.columns * sh.rows - 1, Math.floor((frame - sh.first_frame) / sh.frame_step)));
    const col = n % sh.columns, row = Math.floor(n / sh.columns);
    el.style.backgroundImage = `url("${sh.url}")`;
    el.style.backgroundSize = `${sh.columns * 100}% ${sh.rows * 100}%`;
    el.style.backgroundPosition = `${sh.columns > 1 ? (col / (sh.columns - 1)) * 100 : 0}% ${sh.rows > 1 ? (row / (sh.rows - 1)) * 100 : 0}%`;
  }

  wireGrid() {
    const grid = this.el.grid;
    let press = null;
    grid.addEventListener("pointerdown", (e) => {
      const cell = e.target.closest(".cell");
      if (!cell || e.button !== 0) return;
      press = { start: Number(cell.dataset.start), x: e.clientX, y: e.clientY, moved: false, mode: e.shiftKey ? "shift" : (e.ctrlKey || e.metaKey) ? "ctrl" : "click" };
      grid.setPointerCapture(e.pointerId);
    });
    grid.addEventListener("pointermove", (e) => {
      if (!press) return;
      if (!press.moved && Math.hypot(e.clientX - press.x, e.clientY - press.y) < 5) return;
      if (!press.moved && !this.state.selection.includes(press.start)) this.commit(S.select(this.state, press.start, press.mode));
      press.moved = true;
      this.groupDrag(this.state.selection, e.clientX, e.clientY, "move");
    });
    grid.addEventListener("pointerup", (e) => {
      if (!press) return;
      if (press.moved) this.groupDrag(this.state.selection, e.clientX, e.clientY, "drop");
      else this.commit(S.select(this.state, press.start, press.mode));
      press = null;
    });
    grid.addEventListener("dblclick", (e) => {
      const cell = e.target.closest(".cell");
      if (cell) { this.toggleGrid(); this.commit(S.setPlayhead(this.state, Number(cell.dataset.start)), { follow: true }); }
    });
  }

  timelineHost() {
    return {
      state: () => this.history?.present ?? S.initialState({ end: 1 }),
      onScrub: (frame) => this.commit(S.setPlayhead(this.state, frame)),
      onSelectScene: (start, mode) => this.commit(S.select(this.state, start, mode)),
      onSelectCut: (cut) => this.commit(S.selectCut(this.state, cut)),
      onCutMove: (from, to, snap, phase) => this.moveCut(from, to, snap, phase),
      onThreshold: (value, phase) => this.threshold(value, phase),
      onGroupDrag: (starts, x, y, phase) => this.groupDrag(starts, x, y, phase),
      onViewChange: () => {},
    };
  }
}

// Groups as the bridge returns them, in the shape toBridge makes (for comparing).
function bridgeGroups(groups) {
  return (groups ?? []).map((g) => ({ name: g.name, color: g.color ?? null, scenes: [...g.scenes] }));
}

function sameJSON(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}
