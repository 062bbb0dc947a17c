// The editor screen: viewer (or scene grid), timeline, cut review and groups, wired to the state
// functions, the undo history and the bridge. Every edit goes through commit(): new state ->
// history -> redraw -> autosave. Its parts are in their own files, mixed in below: the keyboard
// handler (keyboard.js, driven by keymap.js), autosave (autosave.js) and the views (views/: grid,
// groups, scene, review); the player is viewer.js, the canvas timeline.js.

import * as S from "./state.js";
import * as H from "./history.js";
import { constantRateMicroseconds, pruneCuts, replayCuts, scenesFromCuts, snapToPeak } from "./cuts.js";
import { TimelineView } from "./timeline.js";
import { Viewer } from "./viewer.js";
import { banner, fill, h } from "./dom.js";
import { checkDetection, MAX_THRESHOLD } from "./rules.js";
import { formatClock, formatTimecode } from "./timecode.js";
import { autosave, bridgeGroups, bridgeNotes, sameJSON } from "./autosave.js";
import { keyboard } from "./keyboard.js";
import { grid } from "./views/grid.js";
import { groups } from "./views/groups.js";
import { review } from "./views/review.js";
import { scenePanel } from "./views/scene.js";
import { audioOnsets, loadWaveform, onsetFloor } from "./waveform.js";
import { SharpFrame } from "./sharp.js";
import { frameMap, valuesByNumber } from "./frames.js";

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
        h("label", { title: "Content score a frame needs to start a new scene (ContentDetector)" }, "Threshold", num("threshold", { min: 0.1, max: MAX_THRESHOLD, step: 0.5 })),
        h("label", { title: "Scenes shorter than this merge (frames)" }, "Min length", num("min-len", { min: 1, step: 1 })),
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
        h("input", { id: "goto", type: "text", class: "goto", placeholder: "Go to… (T)", "aria-label": "Go to a timecode, frame or scene (#12)",
                     title: "A frame (1234), a timecode (00:01:02:03), a time (1:02.5) or a scene (#12); Enter goes there" }),
        h("span", { class: "spacer" }),
        h("span", { id: "save-state", class: "muted" }),
        h("button", { id: "export", class: "primary" }, "Export…")),
      h("div", { class: "stage" },
        h("div", { class: "viewer", id: "viewer" },
          h("video", { id: "proxy", playsinline: true, disablepictureinpicture: true }),
          h("video", { id: "scrub", playsinline: true, disablepictureinpicture: true, "aria-hidden": "true" }),
          h("img", { class: "still", id: "still", hidden: true, alt: "" }),
          h("div", { class: "hud", id: "hud" }),
          h("div", { class: "badge", id: "badge", hidden: true }),
          h("div", { class: "source-badge", id: "source", title: "The frame on screen: the proxy's, or the master's own once the playhead rests" }, "proxy")),
        h("div", { class: "grid", id: "grid", hidden: true, role: "listbox", "aria-multiselectable": "true", "aria-label": "Scenes" })),
      h("div", { class: "timeline" }, h("canvas", { id: "timeline", tabindex: 0, role: "application", "aria-label": "Timeline: cuts, scenes and scores. Press ? for its keys.", "aria-roledescription": "timeline" })),
      h("aside", { class: "side" },
        h("section", { class: "scene", id: "scene-panel" }),
        h("section", { class: "review", id: "review" }),
        h("section", { class: "groups", id: "groups" })),
      h("div", { class: "statusbar", id: "statusbar" }));
    const $ = (id) => this.root.querySelector(`#${id}`);
    this.el = { threshold: $("threshold"), minLen: $("min-len"), sceneCount: $("scene-count"), pruneGap: $("prune-gap"),
                undo: $("undo"), redo: $("redo"), save: $("save-state"), hud: $("hud"), badge: $("badge"), source: $("source"),
                grid: $("grid"), viewer: $("viewer"), review: $("review"), scene: $("scene-panel"), groups: $("groups"), status: $("statusbar"), goto: $("goto") };
    this.el.goto.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); this.goTo(this.el.goto.value); } });
    $("timeline").addEventListener("contextmenu", (e) => {
      e.preventDefault();
      const r = e.currentTarget.getBoundingClientRect();
      const hit = this.timeline.hitTest(e.clientX - r.left, e.clientY - r.top);
      if (hit.kind === "cut") { this.commit(S.selectCut(this.state, hit.cut)); this.openMenu("cut", e.clientX, e.clientY); }
      else if (hit.kind === "scene") {
        if (!S.isSelected(this.state, hit.start)) this.commit(S.select(this.state, hit.start, "click"));
        this.commit(S.setPlayhead(this.state, hit.start));
        this.openMenu("scene", e.clientX, e.clientY);
      }
    });
    this.el.threshold.addEventListener("change", () => this.typedThreshold());
    this.el.minLen.addEventListener("change", () => this.typedThreshold());
    $("prune").addEventListener("click", () => this.prune());
    $("import-cuts").addEventListener("click", () => this.importCuts());
    this.el.undo.addEventListener("click", () => this.undo());
    this.el.redo.addEventListener("click", () => this.redo());
    $("toggle-grid").addEventListener("click", () => this.toggleGrid());
    $("export").addEventListener("click", () => this.flush().then(() => this.onExport(this.sessionId)).catch((e) => this.fail(e)));
    this.viewer = new Viewer($("proxy"), $("scrub"), $("still"), {
      onFrame: (f) => this.commit(S.setPlayhead(this.state, f), { follow: true, fromVideo: true }),
      onPlayState: (speed, err) => { if (speed === 0) this.sharp.rest(this.state.playhead); else this.sharp.cancel(); this.el.badge.hidden = speed === 0; this.el.badge.textContent = speed > 0 ? `▶ ${speed}×` : `◀ ${-speed}×`; if (err) banner(`Playback failed: ${err.message}`); },
    });
    this.sharp = new SharpFrame({
      fetchUrl: async (frame) => (await this.bridge.call("frame.get", { session_id: this.sessionId, frame, format: "jpeg", ...this.viewerPixels() })).url,
      show: (frame, url) => { if (this.state.playhead === frame) { this.viewer.showStill(url, frame); this.renderHud(); } },
      isStill: () => !this.viewer.playing,
    });
    this.timeline = new TimelineView($("timeline"), this.timelineHost());
  }

  // --- opening -------------------------------------------------------------------------------
  async open(sessionId, timeline) {
    const t0 = performance.now();
    // the last edit of the project open before is saved to that project first, not dropped
    if (this.sessionId && this.sessionId !== sessionId) await this.flush().catch(() => {});
    this.sessionId = sessionId;
    this.meta = timeline;
    this.rate = timeline.fps;
    this.history = H.createHistory(S.fromTimeline(timeline));
    this.saved = { ...S.toBridge(this.state), groups: bridgeGroups(timeline.groups), scene_notes: bridgeNotes(timeline.scene_notes) };
    // scene thumbnails by frame span: the stored scenes', then those of each edit's answer
    this.sceneThumbs = new Map();
    // (one base URL; a scene's is its midpoint's decoded index after it)
    for (const sc of timeline.scenes) if (sc.midpoint_index != null) this.sceneThumbs.set(`${sc.start_frame}-${sc.end_frame}`, `${timeline.thumbs_url}/${sc.midpoint_index}`);
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
    this.viewer.load(timeline.proxy_url, this.rate, timeline.frame_count, times ? Array.from(times, (us) => Math.max(0, us) / 1e6) : null, this.frames,
                     timeline.scrub_url ?? timeline.proxy_url)
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
        if (p.pending) continue;
        // the sharp one (unless it failed: the small one plays on), and the soundless scrub copy
        if (p.sharp || p.scrub_url !== this.meta.scrub_url) {
          await this.viewer.swap(p.sharp ? p.url : null, p.scrub_url, () => this.state.playhead);
          this.meta = { ...this.meta, scrub_url: p.scrub_url, ...(p.sharp ? { proxy_url: p.url, proxy_width: p.width, proxy_height: p.height } : {}) };
        }
        return;
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
    if (s.notes !== before.notes || S.sceneStartAt(s, s.playhead) !== S.sceneStartAt(before, before.playhead) || s.cuts !== before.cuts) this.dirty.add("scene");
    // the panel is redrawn only when the groups change, so a selection never replaces the drop targets
    if (s.groups !== before.groups) this.dirty.add("groups");
    if (s.groups !== before.groups || s.selection !== before.selection || s.cuts !== before.cuts || s.notes !== before.notes) this.dirty.add("grid");
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
      if (this.dirty.has("scene")) this.renderScenePanel();
      if (this.dirty.has("groups")) this.renderGroups();
      if (this.dirty.has("grid")) this.renderGridSoon();
      this.dirty.clear();
      this.renderToolbar();
      this.renderHud();
    });
  }

  fail(err) { banner(err.message ?? String(err)); }

  // An edit's answer sends its cuts and each scene's midpoint, not the scenes: the spans come
  // from the cuts by the rule the core shares (scenesFromCuts), so each gets its thumbnail.
  learnThumbs(r) {
    const spans = scenesFromCuts(r.cuts, this.state.first, this.state.end);
    if (spans.length !== r.midpoints.length) return;  // (never pair a span with another span's picture)
    spans.forEach((sc, k) => { if (r.midpoints[k] != null) this.sceneThumbs.set(`${sc.start_frame}-${sc.end_frame}`, `${r.thumbs_url}/${r.midpoints[k]}`); });
  }

  undo() { const before = this.state; this.history = H.undo(this.history); this.afterChange(before); }
  redo() { const before = this.state; this.history = H.redo(this.history); this.afterChange(before); }

  // --- threshold -----------------------------------------------------------------------------
  recutLocally(threshold, minLen) {
    return replayCuts(this.scores, this.microseconds, this.rate, threshold, minLen).map((c) => c.frame);
  }

  threshold(value, phase) {
    const s = this.state;
    const t = Math.min(MAX_THRESHOLD, Math.max(0.1, Math.round(value * 10) / 10));  // the core's range
    if (phase === "start") { this.dragging = { from: s.threshold, steps: 0 }; return; }
    if (phase === "cancel") { this.dragging = null; return; }
    const next = S.setThreshold(s, t, s.minSceneLen, this.recutLocally(t, s.minSceneLen));
    const first = this.dragging && this.dragging.steps === 0;
    if (this.dragging) this.dragging.steps++;
    this.commit(next, { coalesce: !first && !!this.dragging });
    if (phase === "end") { this.dragging = null; this.confirmRecut(); }
  }

  typedThreshold() {
    let t, m;
    try { ({ threshold: t, minSceneLen: m } = checkDetection(this.el.threshold.value, this.el.minLen.value)); }
    catch (err) {
      // the core would refuse it too: said, and the fields show what is still in force
      banner(`Not changed: ${err.message}.`);
      this.el.threshold.value = this.state.threshold; this.el.minLen.value = this.state.minSceneLen;
      return;
    }
    this.commit(S.setThreshold(this.state, t, m, this.recutLocally(t, m)));
    this.confirmRecut();
  }

  // The bridge recuts from its own (float64) scores; its cuts are the ones kept. They differ from
  // the page's (float32) only where a score sits on the threshold to within float32 precision.
  async confirmRecut() {
    clearTimeout(this.saveTimer);
    this.saveTimer = null;
    this.setSaveState("saving", "Saving…");  // (the recut is the save of the new threshold)
    const s = this.state;
    try {
      const r = await this.bridge.call("edit.recut", { session_id: this.sessionId, threshold: s.threshold, min_scene_len: s.minSceneLen });
      this.learnThumbs(r);
      this.saved = { ...this.saved, threshold: s.threshold, min_scene_len: s.minSceneLen, cuts: r.cuts, selection: r.selection, groups: bridgeGroups(r.groups), scene_notes: bridgeNotes(r.scene_notes) };
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

  // Delete: the selected cut, else the cuts that start the selected scenes (each joins the one before).
  deleteSelected() {
    const s = this.state;
    if (s.selectedCut != null) { this.commit(S.deleteCut(s, s.selectedCut)); return; }
    const starts = s.selection.filter((f) => f !== s.first);
    if (!starts.length) { banner("Select a cut (X, [ or ], or click its marker) or a scene after the first (S) first.", { kind: "info", timeoutMs: 3000 }); return; }
    this.commit(S.setCuts(s, s.cuts.filter((c) => !starts.includes(c))));
  }

  // A drag is one gesture and one undo step: its first move makes the step, the later ones
  // replace it (coalesce), until the pointer is released.
  moveCut(from, to, snapFrames, phase) {
    if (phase === "start" || phase === "end") { this.cutDragStarted = false; return from; }
    const index = Math.max(1, Math.min(this.state.end - 1, to));
    const target = snapFrames > 0 ? this.snapTarget(index, snapFrames) : index;
    const next = S.moveCut(this.state, from, target);
    if (next === this.state) return from;
    const moved = next.selectedCut;
    this.commit(next, { coalesce: !!this.cutDragStarted });
    this.cutDragStarted = true;
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
      this.learnThumbs(r);
      this.commit(S.setCuts(this.state, r.cuts));
      banner(`Imported ${r.cuts.length} cut${r.cuts.length === 1 ? "" : "s"}: ${r.midpoints.length} scene${r.midpoints.length === 1 ? "" : "s"}.`, { kind: "info", timeoutMs: 4000 });
    } catch (err) { this.fail(err); }
  }

  // --- scenes and groups ---------------------------------------------------------------------

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
      if (this.state.playhead === frame) { this.viewer.showStill(r.url, frame); this.renderHud(); }
    } catch (err) { this.fail(err); }
  }

  // --- rendering the HTML parts ---------------------------------------------------------------
  render() {
    this.renderToolbar(); this.renderHud(); this.renderScenePanel(); this.renderReview(); this.renderGroups(); this.renderStatus();
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

// The editor's parts, each in its own file, share its state and its one commit path.
Object.assign(Editor.prototype, autosave, keyboard, grid, groups, scenePanel, review);
