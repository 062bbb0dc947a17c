// A small element builder and the page-wide message banner.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v == null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

let bannerTimer = null;

// Shows a message over every screen: errors stay until dismissed, notes go after a while.
export function banner(message, { kind = "error", timeoutMs = 0 } = {}) {
  const el = document.getElementById("banner");
  document.getElementById("banner-text").textContent = message;
  el.classList.toggle("info", kind !== "error");
  el.hidden = false;
  clearTimeout(bannerTimer);
  if (timeoutMs) bannerTimer = setTimeout(() => { el.hidden = true; }, timeoutMs);
}

export function clearBanner() {
  document.getElementById("banner").hidden = true;
}

export function showScreen(name) {
  for (const s of document.querySelectorAll(".screen")) s.hidden = s.id !== `screen-${name}`;
  for (const a of document.querySelectorAll("#topbar nav a")) a.classList.toggle("active", a.dataset.nav === name);
}

export function todayYYMMDD(d = new Date()) {
  const p = (n) => String(n).padStart(2, "0");
  return `${p(d.getFullYear() % 100)}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

// replaceChildren without the null/false placeholders of conditional parts (the DOM would
// print them as text).
export function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c != null && c !== false));
  return el;
}

// A progress bar people and screen readers can read: role progressbar, its name, its value.
export function progressBar(id, label, attrs = {}) {
  return h("div", { class: "progress", role: "progressbar", id, "aria-label": label, "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0", ...attrs },
    h("div", { class: "fill" }));
}

export function setProgress(bar, fraction) {
  const pct = Math.max(0, Math.min(100, fraction * 100));
  bar.firstChild.style.width = `${pct.toFixed(1)}%`;
  bar.setAttribute("aria-valuenow", pct.toFixed(0));
}
