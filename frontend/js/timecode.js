// Timecodes from frame numbers at a rational rate: HH:MM:SS:FF (frames, for editors) or
// HH:MM:SS.mmm (clock time, as PySceneDetect prints). No drop-frame notation: an archive tool
// shows where a frame is, not a broadcast label.

export function formatTimecode(frame, rate, withFrames = true) {
  const fps = rate.num / rate.den;
  const nominal = Math.round(fps);
  if (withFrames) {
    const seconds = Math.floor(frame / nominal);
    return `${hms(seconds)}:${String(frame % nominal).padStart(2, "0")}`;
  }
  return hms(Math.floor((frame * rate.den) / rate.num));
}

export function formatClock(frame, rate) {
  const ms = Math.round((frame * rate.den * 1000) / rate.num);
  return `${hms(Math.floor(ms / 1000))}.${String(ms % 1000).padStart(3, "0")}`;
}

function hms(total) {
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}

export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
  if (m < 60) return `${m} min ${String(s).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

// Where "go to" sends the playhead: "#12" or "scene 12" (a scene's first frame), "00:01:02:03"
// (a timecode with frames), "00:01:02.500" or "1:02" (a clock time), "1234" (a frame number).
// Throws a RangeError that shows the forms it takes.
export function parseGoTo(text, rate, sceneStarts) {
  const t = String(text ?? "").trim();
  const hint = "Go to takes a frame (1234), a timecode (00:01:02:03), a time (1:02.5) or a scene (#12)";
  const scene = /^(?:#|s|scene\s*)(\d+)$/i.exec(t);
  if (scene) {
    const n = Number(scene[1]);
    if (n < 1 || n > sceneStarts.length) throw new RangeError(`There is no scene ${n}: the film has ${sceneStarts.length}.`);
    return sceneStarts[n - 1];
  }
  if (/^\d+$/.test(t)) return Number(t);
  const parts = t.split(":");
  if (parts.length >= 2 && parts.length <= 4 && parts.every((p) => /^\d+(\.\d+)?$/.test(p))) {
    const fps = rate.num / rate.den;
    if (parts.length === 4) {
      const [h, m, s, f] = parts.map(Number);
      if (!Number.isInteger(f) || f >= Math.round(fps)) throw new RangeError(`${t}: the frames part must be below ${Math.round(fps)}. ${hint}.`);
      return (h * 3600 + m * 60 + s) * Math.round(fps) + f;
    }
    const seconds = parts.map(Number).reduce((acc, v) => acc * 60 + v, 0);
    return Math.round((seconds * rate.num) / rate.den);
  }
  throw new RangeError(`"${t}" is not a place in the film. ${hint}.`);
}
