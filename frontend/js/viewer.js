import { audible } from "./sound.js";

// The viewer: two <video>s of the same frames, stacked. The playing one (`video`) holds the sharp
// proxy with the master's sound (sound.js); the scrubbing one (`scrub`) holds the ingest's small
// proxy and shows every paused frame (a scrub, a step, reverse shuttle): a seek decodes from the
// keyframe before, up to proxy_gop - 1 frames, and the small proxy's have a sixth of the pixels,
// so a seek lands within a display frame on a long film too. Whichever last presented the frame
// under the playhead is on top. A seek goes to the exact frame (decoded index i is the proxy's
// frame i at the master's own timestamp minus the first's) and aims at the middle of the frame so
// rounding never shows its neighbour. The frame it reports while playing comes from the frame the
// compositor presented (requestVideoFrameCallback), not from currentTime. The master's own frame
// (a still over both) is shown on request, and J/K/L shuttle.

export class Viewer {
  constructor(video, scrub, still, { onFrame, onPlayState }) {
    this.video = video;           // plays: the sharp proxy once made, with the sound
    this.scrub = scrub;           // paused frames: the small proxy, always muted
    this.onScreen = video;        // the one on top
    this.still = still;           // <img> for the master's own frame
    this.stillFrame = null;       // the frame that still is of, while it is on screen
    this.onFrame = onFrame;       // frame presented while playing
    this.onPlayState = onPlayState;
    this.rate = { num: 25, den: 1 };
    this.times = null;            // seconds of each frame from the first (VFR); null: frame / fps
    this.frameCount = 0;
    this.target = null;           // frame a seek of the scrubbing proxy is on its way to
    this.queued = null;           // frame to seek to once that seek lands
    this.shuttle = 0;             // 0 stopped, >0 forward speed, <0 backward speed
    this.reverseTimer = null;
    this.presented = null;        // frame on screen (from the seek that landed, or the frame callback)
    this.seekStartedAt = 0;
    this.lastSeekMs = null;
    this.sound = { hasAudio: false, userMuted: false };
    for (const v of [video, scrub]) { v.muted = true; v.preload = "auto"; }
    scrub.addEventListener("seeked", () => this.seeked());
    video.addEventListener("pause", () => this.onPlayState?.(this.shuttle));
    video.addEventListener("ended", () => this.stop());
    this.front(video);
    this.watchFrames();
  }

  get ready() { return this.video.readyState >= 2 && this.scrub.readyState >= 2; }

  // Puts `el` on top (the other stays under it, decoding, so either swaps in at once).
  front(el) {
    this.onScreen = el;
    el.classList.add("front");
    (el === this.video ? this.scrub : this.video).classList.remove("front");
  }

  // `frames` (frames.js): frame numbers <-> decoded indices; the proxies have one frame per index.
  // `scrubUrl`: the small proxy (the same as `url` until the sharp one is made).
  load(url, rate, frameCount, times = null, frames = null, scrubUrl = url) {
    this.rate = rate; this.frameCount = frameCount; this.times = times;
    this.frames = frames && !frames.same ? frames : null;
    return Promise.all([loadInto(this.video, url), loadInto(this.scrub, scrubUrl)]);
  }

  // The sharp proxy (made after the ingest; null: none) replaces the playing one and the scrub
  // copy (the small one without sound) the scrubbing one, while paused. Each is loaded while the
  // other shows the frame under the playhead (`frameNow()`).
  async swap(url, scrubUrl, frameNow) {
    while (this.playing) await new Promise((resolve) => setTimeout(resolve, 200));
    if (scrubUrl && this.scrub.src !== new URL(scrubUrl, location.href).href) {
      if (this.onScreen === this.scrub) {
        this.video.currentTime = this.timeOf(frameNow());
        await new Promise((resolve) => this.video.addEventListener("seeked", resolve, { once: true }));
        this.front(this.video);
      }
      this.target = null; this.queued = null;
      await loadInto(this.scrub, scrubUrl);
    }
    if (!url) return;
    this.presented = null;
    this.show(frameNow());
    for (let waited = 0; (this.target != null || this.onScreen !== this.scrub) && waited < 3000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    await loadInto(this.video, url);
  }

  timeOf(frame) {
    const n = Math.max(0, Math.round(frame));
    const f = Math.max(0, Math.min(this.frameCount - 1, this.frames ? this.frames.indexOf[Math.min(n, this.frames.indexOf.length - 1)] : frame));
    if (this.times) {
      const t = this.times[f], next = f + 1 < this.times.length ? this.times[f + 1] : t + this.rate.den / this.rate.num;
      return (t + next) / 2;
    }
    return ((f + 0.5) * this.rate.den) / this.rate.num;
  }

  // The frame a presented picture belongs to. WebM keeps whole milliseconds, so a frame's time
  // may be stored up to half a millisecond early: the nearest frame, not the one before.
  frameOf(seconds) {
    if (this.times) {
      let lo = 0, hi = this.times.length - 1;
      while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (this.times[mid] <= seconds) lo = mid; else hi = mid - 1; }
      if (lo + 1 < this.times.length && this.times[lo + 1] - seconds < seconds - this.times[lo]) lo++;
      return this.frames ? this.frames.numbers[lo] : lo;
    }
    return Math.max(0, Math.min(this.frameCount - 1, Math.round((seconds * this.rate.num) / this.rate.den)));
  }

  // Shows `frame` (paused) on the scrubbing proxy. Seeks do not pile up: while one is in flight
  // only the latest wish is kept. The master's still of this same frame stays on top: a seek that
  // lands late, or a proxy swapped in beneath it, must not take the sharp picture away.
  show(frame) {
    if (this.stillFrame !== frame) this.hideStill();
    if (!this.scrub.src) return;
    if (this.target != null) { this.queued = frame; return; }
    if (this.presented === frame && !this.scrub.seeking) return;
    this.target = frame;
    this.seekStartedAt = performance.now();
    this.scrub.currentTime = this.timeOf(frame);
  }

  seeked() {
    this.lastSeekMs = performance.now() - this.seekStartedAt;
    this.presented = this.target;
    this.target = null;
    if (this.onScreen !== this.scrub && !this.playing) this.front(this.scrub);
    if (this.queued != null) { const f = this.queued; this.queued = null; if (f !== this.presented) this.show(f); }
  }

  // While playing, the playing proxy goes on top with its first presented frame (not before: until
  // its seek lands it still holds the frame it stopped at).
  watchFrames() {
    if (!this.video.requestVideoFrameCallback) return;
    const tick = (_now, meta) => {
      if (!this.video.paused) {
        if (this.onScreen !== this.video) this.front(this.video);
        const f = this.frameOf(meta.mediaTime);
        this.presented = f;
        this.onFrame?.(f);
      }
      this.video.requestVideoFrameCallback(tick);
    };
    this.video.requestVideoFrameCallback(tick);
  }

  get playing() { return this.shuttle !== 0; }

  togglePlay() { if (this.playing) this.stop(); else this.play(1); }

  play(speed) {
    this.hideStill();
    clearInterval(this.reverseTimer);
    this.reverseTimer = null;
    this.shuttle = speed;
    this.video.muted = !audible(this.sound, speed);
    if (speed > 0) {
      // from the frame on screen, which the scrubbing proxy may have moved to
      const at = this.timeOf(this.presented ?? 0);
      if (this.video.paused && Math.abs(this.video.currentTime - at) > (0.5 * this.rate.den) / this.rate.num) this.video.currentTime = at;
      this.video.playbackRate = speed;
      // a play that our own pause interrupts (K or J before the video has started) is no failure
      this.video.play().catch((err) => { if (err.name !== "AbortError") { this.shuttle = 0; this.onPlayState?.(0, err); } });
    } else {
      // media elements do not play backwards smoothly: step back on a timer at the shuttle speed
      this.video.pause();
      const fps = this.rate.num / this.rate.den;
      let frame = this.presented ?? 0;
      const every = 1000 / Math.min(fps * -speed, 30);
      const per = Math.max(1, Math.round((fps * -speed) / 30));
      this.reverseTimer = setInterval(() => {
        frame = Math.max(0, frame - per);
        this.show(frame);
        this.onFrame?.(frame);
        if (frame === 0) this.stop();
      }, every);
    }
    this.onPlayState?.(speed);
  }

  // J/L: each press in the same direction doubles the speed (1, 2, 4, 8), the other way starts at 1.
  shuttleStep(direction) {
    const current = this.shuttle;
    const speed = Math.sign(current) === direction ? Math.min(8, Math.abs(current) * 2) : 1;
    this.play(direction * speed);
  }

  // M: mute or unmute, at once if playing. False when there is no sound to mute.
  toggleMute() {
    if (!this.sound.hasAudio) return false;
    this.sound.userMuted = !this.sound.userMuted;
    this.video.muted = !audible(this.sound, this.shuttle);
    return true;
  }

  stop() {
    clearInterval(this.reverseTimer);
    this.reverseTimer = null;
    this.shuttle = 0;
    this.video.pause();
    this.onPlayState?.(0);
  }

  showStill(url, frame) {
    this.still.src = url;
    this.still.hidden = false;
    this.stillFrame = frame;
  }

  hideStill() {
    if (!this.still.hidden) { this.still.hidden = true; this.still.removeAttribute("src"); }
    this.stillFrame = null;
  }
}

function loadInto(video, url) {
  video.src = url;
  return new Promise((resolve, reject) => {
    video.addEventListener("loadeddata", () => resolve(), { once: true });
    video.addEventListener("error", () => reject(new Error(`the proxy ${url} cannot be played (${video.error?.message || "no decoder"})`)), { once: true });
  });
}
