// A context menu: a list of actions with their keys, at a point. Arrow keys move, Enter or Space
// runs one, Esc or a click elsewhere closes it and gives the focus back to where it was.

import { h } from "./dom.js";

let open = null;

export function closeMenu() {
  if (!open) return;
  const { el, back } = open;
  open = null;
  el.remove();
  back?.focus?.();
}

// items: [{label, keys, run}]
export function openMenu(x, y, items) {
  closeMenu();
  const back = document.activeElement;
  const buttons = items.map((item) => h("button", { type: "button", role: "menuitem", tabindex: -1,
    onclick: () => { closeMenu(); item.run(); } }, h("span", {}, item.label), h("kbd", {}, item.keys)));
  const el = h("div", { class: "menu", role: "menu", "aria-label": "Actions", style: `left:${x}px;top:${y}px` }, ...buttons);
  el.addEventListener("keydown", (e) => {
    const i = buttons.indexOf(document.activeElement);
    if (e.key === "ArrowDown" || e.key === "ArrowUp") buttons[(i + (e.key === "ArrowDown" ? 1 : buttons.length - 1)) % buttons.length].focus();
    else if (e.key === "Escape" || e.key === "Tab") closeMenu();
    else if (e.key === "Home" || e.key === "End") buttons[e.key === "Home" ? 0 : buttons.length - 1].focus();
    else return;
    e.preventDefault();
    e.stopPropagation();
  });
  document.body.append(el);
  // kept on screen
  const r = el.getBoundingClientRect();
  el.style.left = `${Math.max(0, Math.min(x, innerWidth - r.width - 4))}px`;
  el.style.top = `${Math.max(0, Math.min(y, innerHeight - r.height - 4))}px`;
  open = { el, back };
  buttons[0]?.focus();
  setTimeout(() => document.addEventListener("pointerdown", (e) => { if (!el.contains(e.target)) closeMenu(); }, { once: true }));
  return el;
}
