// The sharp picture: once the playhead has rested REST_MS (after a scrub, a step or a seek), the
// master's own frame replaces the proxy's in the viewer, as F does, without a key. A newer move
// cancels a request on its way. `lastMs` is the time from the rest's start to the sharp frame on
// screen (bench/ui reports it).

export const REST_MS = 150;

export class SharpFrame {
  constructor({ fetchUrl, show, isStill }) {
    this.fetchUrl = fetchUrl;   // frame -> Promise of the master frame's URL
    this.show = show;           // (frame, url) -> void, once the image is decoded
    this.isStill = isStill;     // () -> whether the viewer may swap now (paused)
    this.timer = null;
    this.token = 0;
    this.lastMs = null;
    this.shown = null;          // frame whose master picture is on screen
  }

  rest(frame) {
    this.cancel();
    const token = this.token, since = performance.now();
    this.timer = setTimeout(() => this.load(frame, token, since), REST_MS);
  }

  cancel() { clearTimeout(this.timer); this.timer = null; this.token++; this.shown = null; }

  async load(frame, token, since) {
    if (!this.isStill()) return;
    try {
      const url = await this.fetchUrl(frame);
      if (token !== this.token) return;
      const img = new Image();
      img.src = url;
      await img.decode();           // swapped in whole, never drawn half-loaded
      if (token !== this.token || !this.isStill()) return;
      this.show(frame, url);
      this.shown = frame;
      this.lastMs = performance.now() - since;
    } catch {
      // the proxy frame stays; F still asks and reports a failure
    }
  }
}
