// The rules the page must apply at once (while typing, before a save), written to give the same
// answers as the core's: a group's name (backend.jobs.inputs.check_groups: one folder per group,
// names compared as the file system compares them) and the scene detection parameters
// (backend.media.detection_params). tests/data/editor_rules.json holds the cases both the node
// tests and pytest run, so the two cannot drift apart.

export const MAX_THRESHOLD = 255;
export const MAX_MIN_SCENE_LEN = 10_000_000;

const RESERVED = new Set(["con", "prn", "aux", "nul", ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((i) => [`com${i}`, `lpt${i}`])]);
const BIDI = (c) => (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);

// Why `text` cannot go into names and metadata (backend.text_rules.problem), or null.
export function textProblem(text, { multiline = false } = {}) {
  let i = 0;
  for (const ch of text) {
    i++;
    const c = ch.codePointAt(0);
    if (multiline && (c === 0x09 || c === 0x0a)) continue;
    const control = c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || (c >= 0xd800 && c <= 0xdfff);
    const nonChar = (c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) === 0xfffe;
    if (control || nonChar || BIDI(c)) return `contains U+${c.toString(16).toUpperCase().padStart(4, "0")} at character ${i}, which cannot go into file metadata or names; remove it`;
  }
  return null;
}

// The folder a group's clips go into, as the file system compares it (case and normalisation
// ignored): backend.jobs.inputs.group_folder + path_key, less the shortening of very long names
// (which keeps distinct names distinct).
export function groupFolderKey(name) {
  let cleaned = String(name ?? "").normalize("NFC").trim().replaceAll(" ", "-")
    .replace(/[^\p{L}\p{N}_.\-]+/gu, "-").replace(/-{2,}/g, "-").replace(/^[._-]+|[._-]+$/g, "");
  if (RESERVED.has(cleaned.split(".")[0].toLowerCase())) cleaned += "_";
  // toUpperCase then toLowerCase folds as Python's casefold does for the cases that matter (ß -> ss)
  return cleaned.toUpperCase().toLowerCase().normalize("NFC");
}

// The name as kept, or a RangeError saying why it cannot be a group's name next to `others`.
export function checkGroupName(name, others = []) {
  const clean = String(name ?? "").normalize("NFC").trim();
  if (!clean) throw new RangeError("a group needs a name");
  const bad = textProblem(clean);
  if (bad) throw new RangeError(`the group name ${bad}`);
  const key = groupFolderKey(clean);
  if (!key) throw new RangeError(`the group name "${clean}" has no letters or digits usable in a folder name`);
  const clash = others.find((o) => groupFolderKey(o) === key);
  if (clash != null) throw new RangeError(`groups "${clash}" and "${clean}" would share the folder "${key}": choose another name`);
  return clean;
}

// Threshold and minimum scene length as typed (strings from fields, or numbers): the numbers, or
// a RangeError naming the field. An emptied field is an error, never 0.
export function checkDetection(threshold, minSceneLen) {
  const t = typeof threshold === "string" ? (threshold.trim() === "" ? NaN : Number(threshold)) : threshold;
  const m = typeof minSceneLen === "string" ? (minSceneLen.trim() === "" ? NaN : Number(minSceneLen)) : minSceneLen;
  if (typeof t !== "number" || !Number.isFinite(t) || !(t > 0 && t <= MAX_THRESHOLD)) {
    throw Object.assign(new RangeError(`the threshold must be a number above 0 and at most ${MAX_THRESHOLD} (usually 27–30)`), { field: "threshold" });
  }
  if (typeof m !== "number" || !Number.isInteger(m) || m < 1 || m > MAX_MIN_SCENE_LEN) {
    throw Object.assign(new RangeError(`the minimum scene length must be a whole number of frames, at least 1 and at most ${MAX_MIN_SCENE_LEN.toLocaleString("en")}`), { field: "min_scene_len" });
  }
  return { threshold: t, minSceneLen: m };
}

// A project date as the core keeps it (backend.jobs.inputs.check_date): YY-MM-DD, or an ISO
// YYYY-MM-DD checked against its own year and shortened (2026-12-04 is 26-12-04); otherwise a
// RangeError with the format hint.
export function checkDate(text) {
  const found = /^(\d{2}|\d{4})-(\d{1,2})-(\d{1,2})$/.exec(String(text ?? "").trim());
  const refuse = () => Object.assign(new RangeError(`invalid project date "${text}": use YY-MM-DD or YYYY-MM-DD, e.g. 24-03-15`), { field: "date" });
  if (!found) throw refuse();
  let [year, month, day] = found.slice(1).map(Number);
  if (found[1].length === 2) year += year >= 69 ? 1900 : 2000;   // as the core's %y reads YY
  const d = new Date(Date.UTC(2000, 0, 1));
  d.setUTCFullYear(year, month - 1, day);
  if (year < 1000 || d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) throw refuse();
  const two = (n) => String(n).padStart(2, "0");
  return `${two(year % 100)}-${two(month)}-${two(day)}`;
}
