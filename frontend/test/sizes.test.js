import { test } from "node:test";
import assert from "node:assert/strict";
import { formatBytes } from "../js/sizes.js";

test("sizes read in decimal units, approximate", () => {
  assert.equal(formatBytes(0), "~0 B");
  assert.equal(formatBytes(999), "~999 B");
  assert.equal(formatBytes(1500), "~1.5 KB");
  assert.equal(formatBytes(19_866_467), "~19.9 MB");
  assert.equal(formatBytes(250_000_000), "~250 MB");
  assert.equal(formatBytes(3.2e9), "~3.2 GB");
  assert.equal(formatBytes(5e15), "~5000 TB");
});
test("a measured size is not marked approximate", () => { assert.equal(formatBytes(68_400_000, { approximate: false }), "68.4 MB"); });
