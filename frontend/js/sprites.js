// The sprite sheets the ingest made (a grid of small frames each): which tile shows a frame. The
// timeline draws from it and the scene grid takes its pictures from it.

import { floorIndex } from "./state.js";

// The sprite tile showing `frame`: the last tile at or before it (sheets list the exact frame
// under each tile; a variable-rate master skips numbers).
export function tileOf(sprites, frame) {
  let k = sprites.length - 1;
  while (k > 0 && sprites[k].first_frame > frame) k--;
  const sheet = sprites[k];
  let n;
  if (sheet.frames?.length) {
    n = Math.max(0, floorIndex(sheet.frames, frame));
  } else {
    n = Math.max(0, Math.floor((frame - sheet.first_frame) / sheet.frame_step));
  }
  n = Math.min(n, (sheet.count ?? sheet.columns * sheet.rows) - 1, sheet.columns * sheet.rows - 1);
  if (n < 0) return null;
  return { sheet, sx: (n % sheet.columns) * sheet.tile_width, sy: Math.floor(n / sheet.columns) * sheet.tile_height };
}

// The tile as a CSS background of `el` (sized to the tile's aspect ratio).
export function tileBackground(el, sprites, frame) {
  if (!sprites.length) return;
  const tile = tileOf(sprites, frame);
  if (!tile) return;
  const { sheet } = tile;
  const col = tile.sx / sheet.tile_width, row = tile.sy / sheet.tile_height;
  el.style.backgroundImage = `url("${sheet.url}")`;
  el.style.backgroundSize = `${sheet.columns * 100}% ${sheet.rows * 100}%`;
  el.style.backgroundPosition = `${sheet.columns > 1 ? (col / (sheet.columns - 1)) * 100 : 0}% ${sheet.rows > 1 ? (row / (sheet.rows - 1)) * 100 : 0}%`;
}
