import { audible } from "./sound.js";

// The viewer: the VP9 scrubbing proxy (with the master's sound, sound.js) in a <video>, seeked to the exact frame under the playhead
// (decoded index i is the proxy's frame i at the master's own timestamp minus the first's; a seek
// aims at the middle of the frame so rounding never shows its neighbour), the master's own frame at
// full quality on request, and J/K/L shuttle. The frame it reports while playing comes from the
// frame the compositor presented (requestVideoFrameCallback), not from currentTime.

export class Viewer {
  constructor(video, still, { onFrame, onPlayState }) {
    this.video = video;
    this.still = still;           // <img> for the master's own frame
    this.onFrame = onFrame;       // frame presented while playing
    this.onPlayState = onPlayState;
    this.rate = { num: 25, den: 1 };
    this.times = null;            // seconds of each frame from the first (VFR); null: frame / fps
    this.frameCount = 0;
    this.target = null;           // frame a seek is on its way to
    this.queued = null;           // frame to seek to once that seek lands
    this.shuttle = 0;             // 0 stopped, >0 forward speed, <0 backward speed
    this.reverseTimer = null;
    this.presented = null;        // frame last presented (known from the video frame callback)
    this.seekStartedAt = 0;
    this.lastSeekMs = null;
    this.sound = { hasAudio: false, userMuted: false };
    video.muted = true;
    video.preload = "auto";
    video.addEventListener("seeked", () => this.seeked());
    video.addEventListener("pause", () => this.onPlayState?.(this.shuttle));
    video.addEventListener("ended", () => this.stop());
    this.watchFrames();
  }

  // `frames` (frames.js): frame numbers <-> decoded indices; the proxy has one frame per index.
  load(url, rate, frameCount, times = null, frames = null) {
    this.rate = rate; this.frameCount = frameCount; this.times = times;
    this.frames = frames && !frames.same ? frames : null;
    this.video.src = url;
    return new Promise((resolve, reject) => {
      this.video.addEventListener("loadeddata", () => resolve(), { once: true });
      this.video.addEventListener("error", () => reject(new Error(`the proxy ${url} cannot be played (${this.video.error?.message || "no decoder"})`)), { once: true });
    });
  }

  // Another proxy of the same frames (the sharp one, made after the ingest), swapped in while
  // paused; `frameNow()` says which frame to show once it is loaded.
  async swap(url, frameNow) {
    while (this.playing) await new Promise((resolve) => setTimeout(resolve, 200));
    this.target = null; this.queued = null; this.presented = null;
    await this.load(url, this.rate, this.frameCount, this.times, this.frames);
    this.show(frameNow());
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

  // Shows `frame`. Seeks do not pile up: while one is in flight only the latest wish is kept.
  show(frame) {
    this.hideStill();
    if (!this.video.src) return;
    if (this.target != null) { this.queued = frame; return; }
    if (this.presented === frame && !this.video.seeking) return;
    this.target = frame;
    this.seekStartedAt = performance.now();
    this.video.currentTime = this.timeOf(frame);
  }

  seeked() {
    this.lastSeekMs = performance.now() - this.seekStartedAt;
    this.presented = this.target;
    this.target = null;
    if (this.queued != null) { const f = this.queued; this.queued = null; if (f !== this.presented) this.show(f); }
  }

  watchFrames() {
    if (!this.video.requestVideoFrameCallback) return;
    const tick = (_now, meta) => {
      if (!this.video.paused) {
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
      this.video.playbackRate = speed;
      this.video.play().catch((err) => this.onPlayState?.(0, err));
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

  showStill(url) {
    this.still.src = url;
    this.still.hidden = false;
  }

  hideStill() {
    if (!this.still.hidden) { this.still.hidden = true; this.still.removeAttribute("src"); }
  }
}
