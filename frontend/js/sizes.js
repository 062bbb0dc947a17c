// Byte counts as people read them (decimal units, as file managers show sizes), marked as
// approximate: the export summary shows an estimate.
export function formatBytes(bytes) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = Math.max(0, bytes), i = 0;
  while (value >= 1000 && i < units.length - 1) { value /= 1000; i++; }
  return `~${value >= 100 || i === 0 ? Math.round(value) : value.toFixed(1)} ${units[i]}`;
}
