// The editor's keys as data, in one place: the handler looks actions up here and the keys box
// (?) and the context menus are drawn from here, so a key is never handled without being listed.
// A row: keys (as keyOf names them), the editor action it runs (with an optional argument), the
// words the box shows, and the context menus (cut, scene) that offer it.

const digits = [1, 2, 3, 4, 5, 6, 7, 8, 9];

export const KEYMAP = [
  { keys: ["Space"], action: "togglePlay", what: "Play / pause (on a focused button: press it)" },
  { keys: ["J"], action: "shuttle", arg: -1, what: "Shuttle backwards (again: faster)" },
  { keys: ["K"], action: "stop", what: "Stop" },
  { keys: ["L"], action: "shuttle", arg: 1, what: "Shuttle forwards (again: faster)" },
  { keys: ["ArrowLeft", "ArrowRight"], action: "step", arg: [-1, 1], what: "One frame back / on" },
  { keys: ["Shift+ArrowLeft", "Shift+ArrowRight"], action: "stepSecond", arg: [-1, 1], what: "One second back / on" },
  { keys: ["Home", "End"], action: "ends", arg: [-1, 1], what: "First / last frame" },
  { keys: ["T"], action: "focusGoto", what: "Go to a timecode (00:01:02:03), a frame (1234) or a scene (#12)" },
  { keys: ["[", "]"], action: "selectNeighbourCut", arg: [-1, 1], what: "Previous / next cut: go there and select it", menu: ["cut"] },
  { keys: ["ArrowUp", "ArrowDown"], action: "selectNeighbourCut", arg: [-1, 1], what: "Previous / next cut (as [ / ])" },
  { keys: ["X"], action: "selectNearestCut", what: "Select the cut at or nearest the playhead", menu: ["cut"] },
  { keys: ["C"], action: "addCut", what: "Add a cut at the playhead", menu: ["scene"] },
  { keys: ["Delete", "Backspace"], action: "deleteSelected", what: "Remove the selected cut, or the cuts that start the selected scenes (they join the scene before)", menu: ["cut", "scene"] },
  { keys: [",", "."], action: "nudge", arg: [-1, 1], what: "Move the selected cut one frame earlier / later", menu: ["cut"] },
  { keys: ["S"], action: "selectSceneAtPlayhead", arg: "click", what: "Select the scene under the playhead", menu: ["scene"] },
  { keys: ["Shift+S"], action: "selectSceneAtPlayhead", arg: "shift", what: "Extend the selection to the scene under the playhead", menu: ["scene"] },
  { keys: ["I"], action: "markIn", what: "The scene under the playhead starts here (its in point)", menu: ["scene"] },
  { keys: ["O"], action: "markOut", what: "The scene under the playhead ends here (its out point)", menu: ["scene"] },
  { keys: ["Shift+M"], action: "merge", what: "Merge the selected scenes (and any between them) into one", menu: ["scene"] },
  { keys: ["M"], action: "toggleMute", what: "Mute / unmute the sound (played at 1× and in shuttle up to 2×)" },
  { keys: digits.map(String), action: "toGroup", arg: digits, what: "Put the selected scenes in group N", menu: ["scene"] },
  { keys: ["Ctrl+A"], action: "selectAll", what: "Select all scenes", menu: ["scene"] },
  { keys: ["Escape"], action: "selectNone", what: "Select no scene and no cut" },
  { keys: ["F"], action: "masterFrame", what: "Show the master's own frame at full quality now (it also comes by itself once the playhead rests)" },
  { keys: ["Ctrl+Z"], action: "undo", what: "Undo (cuts, groups, threshold)" },
  { keys: ["Ctrl+Shift+Z", "Ctrl+Y"], action: "redo", what: "Redo" },
  { keys: ["+", "="], action: "zoom", arg: 0.5, what: "Zoom in" },
  { keys: ["-", "_"], action: "zoom", arg: 2, what: "Zoom out" },
  { keys: ["\\"], action: "fit", what: "Whole film" },
  { keys: ["G"], action: "toggleGrid", what: "Scene grid / viewer (in the grid: arrows move, Enter goes there, Space selects)" },
  { keys: ["ContextMenu", "Shift+F10"], action: "contextMenu", what: "The actions for the cut or scene at the playhead, with their keys" },
  { keys: ["?"], action: "help", what: "This list" },
];

// How a key press is named in the table: "Ctrl+Shift+Z", "Shift+ArrowLeft", "S", "[", "?".
// Shift is part of a printed symbol ("?" is Shift+/ on most layouts), a modifier otherwise.
export function keyOf(e) {
  let key = e.key === " " ? "Space" : e.key;
  if (key.length === 1) key = key.toUpperCase();
  const mods = [];
  if (e.ctrlKey || e.metaKey) mods.push("Ctrl");
  if (e.altKey) mods.push("Alt");
  if (e.shiftKey && (key.length > 1 || /\p{L}/u.test(key))) mods.push("Shift");
  return [...mods, key].join("+");
}

const byKey = new Map();
for (const row of KEYMAP) {
  row.keys.forEach((key, i) => byKey.set(key, { row, arg: Array.isArray(row.arg) ? row.arg[i] : row.arg }));
}

// The row and argument for a key press, or null.
export function lookup(e) {
  return byKey.get(keyOf(e)) ?? null;
}

const NAMES = { ArrowLeft: "←", ArrowRight: "→", ArrowUp: "↑", ArrowDown: "↓", Escape: "Esc", ContextMenu: "Menu" };

// Keys as people read them: "Ctrl + Shift + Z", "← / →", "1 – 9".
export function keysLabel(row) {
  if (row.keys.length === 9 && row.keys[0] === "1") return "1 – 9";
  return row.keys.map((k) => k.split("+").map((p) => NAMES[p] ?? p).join(" + ").replace(/^ \+ $/, "+")).join(" / ");
}
