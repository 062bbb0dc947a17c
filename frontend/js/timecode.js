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

export function formatBytes(n) {
  if (!Number.isFinite(n)) return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${n.toFixed(n < 10 && i ? 1 : 0)} ${units[i]}`;
}
