// The audio lane: peaks the ingest made (timeline.get's `waveform`, docs/bridge.md) at four
// resolutions, all fetched once, so zooming from the whole film to single frames never waits on
// the bridge; and the audio onsets cuts snap to. Frame f spans f/fps to (f+1)/fps seconds from
// the first frame, the peaks' own origin.

export const WAVE_LANE = 40;   // px, under the scenes lane

// { sampleRate, channels, levels: [{ spb, bins, data: Int8Array }] } finest first, or null
export async function loadWaveform(meta) {
  if (!meta) return null;
  const levels = await Promise.all(meta.levels.map(async (lv) => {
    const response = await fetch(lv.url);
    if (!response.ok) throw new Error(`could not load the waveform ${lv.url} (HTTP ${response.status})`);
    const data = new Int8Array(await response.arrayBuffer());
    if (data.length !== lv.bins * meta.channels * 2) throw new Error(`the waveform ${lv.url} holds ${data.length} bytes, not ${lv.bins * meta.channels * 2}`);
    return { spb: lv.samples_per_bin, bins: lv.bins, data };
  }));
  return { sampleRate: meta.sample_rate, channels: meta.channels, levels };
}

// The coarsest level that still has at least one bin per pixel.
function levelFor(wave, samplesPerPx) {
  let pick = wave.levels[0];
  for (const lv of wave.levels) if (lv.spb <= samplesPerPx) pick = lv;
  return pick;
}

// Draws the lane: one band per channel, min to max of every pixel's span of time.
export function drawWaveLane(ctx, view, wave, [top, bottom], colors) {
  ctx.fillStyle = colors.lane;
  ctx.fillRect(0, top, view.width, bottom - top);
  if (!wave) return;
  const fps = view.rate.num / view.rate.den;
  const samplesPerPx = (view.fpp / fps) * wave.sampleRate;
  const lv = levelFor(wave, samplesPerPx);
  const binsPerFrame = wave.sampleRate / fps / lv.spb, stride = wave.channels * 2;
  const band = (bottom - top) / wave.channels;
  // one path for all the columns: a fill per column cost more than finding the peaks
  const path = new Path2D();
  for (let c = 0; c < wave.channels; c++) {
    const mid = top + band * (c + 0.5), scale = (band / 2 - 1) / 128;
    for (let x = 0; x < view.width; x++) {
      const b0 = Math.floor((view.start + x * view.fpp) * binsPerFrame);
      const b1 = Math.max(b0 + 1, Math.floor((view.start + (x + 1) * view.fpp) * binsPerFrame));
      if (b0 >= lv.bins || b1 <= 0) continue;
      let low = 127, high = -128;
      for (let b = Math.max(0, b0); b < Math.min(b1, lv.bins); b++) {
        const i = b * stride + c * 2;
        if (lv.data[i] < low) low = lv.data[i];
        if (lv.data[i + 1] > high) high = lv.data[i + 1];
      }
      if (high < low) continue;
      const y0 = mid - high * scale, y1 = mid - low * scale;
      path.rect(x, y0, 1, Math.max(1, y1 - y0));
    }
  }
  ctx.fillStyle = colors.wave;
  ctx.fill(path);
}

// Onset strength of each frame: how much louder (peak amplitude over all channels, from the
// finest level) the frame is than the loudest of the two before it; 0 where it is not louder.
export function audioOnsets(wave, frameCount, rate) {
  const out = new Float32Array(frameCount);
  if (!wave) return out;
  const lv = wave.levels[0], stride = wave.channels * 2;
  const binsPerFrame = wave.sampleRate * rate.den / rate.num / lv.spb;
  const level = new Float32Array(frameCount);
  for (let f = 0; f < frameCount; f++) {
    const b0 = Math.floor(f * binsPerFrame), b1 = Math.min(lv.bins, Math.max(b0 + 1, Math.floor((f + 1) * binsPerFrame)));
    let peak = 0;
    for (let i = b0 * stride; i < b1 * stride; i++) { const v = Math.abs(lv.data[i]); if (v > peak) peak = v; }
    level[f] = peak;
  }
  for (let f = 1; f < frameCount; f++) out[f] = Math.max(0, level[f] - Math.max(level[f - 1], f > 1 ? level[f - 2] : 0));
  return out;
}

// The strength an onset needs to be snapped to: a quarter of the film's strongest, so the
// drone under a track never pulls a cut, its hits do.
export function onsetFloor(onsets) {
  let max = 0;
  for (const v of onsets) if (v > max) max = v;
  return max > 0 ? Math.max(1, max / 4) : Infinity;
}
