// Byte counts as people read them (decimal units, as file managers show sizes); an estimate (the
// export summary's) is marked as approximate, a measured size (history) is not.
export function formatBytes(bytes, { approximate = true } = {}) {
  if (!Number.isFinite(bytes)) return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = Math.max(0, bytes), i = 0;
  while (value >= 1000 && i < units.length - 1) { value /= 1000; i++; }
  return `${approximate ? "~" : ""}${value >= 100 || i === 0 ? Math.round(value) : value.toFixed(1)} ${units[i]}`;
}
