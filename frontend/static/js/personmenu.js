// The "…" menu per person, on their row in the people drawer and on their tile: only the
// actions this viewer may take (the role change here, the rest from features through
// plugins.js), everyday ones first and destructive ones (marked data-destructive, and
// confirmed by their feature) apart at the end. One menu element serves every button.
import { el } from "./dom.js";
import { icon } from "./icons.js";
import { pluginActions, pluginPeerActions } from "./plugins.js";

let menu = null;
let openFor = null; // { id, anchor, build }

function actionsFor(view, p, send) {
  if (p.id === view.you) return [];
  if (!view.facilitates()) return pluginPeerActions(p); // e.g. report someone to the facilitators
  const nodes = [];
  if (p.role !== "facilitator") {
    const promote = p.role === "peer";
    nodes.push(
      el(
        "button",
        { type: "button", class: "small", onclick: () => send({ type: "role.set", participant_id: p.id, role: promote ? "cofacilitator" : "peer" }) },
        promote ? `Make ${p.name} co-facilitator` : `Make ${p.name} a peer`,
      ),
    );
  }
  return [...nodes, ...pluginActions(p)];
}

// What features say about a person rather than offer to do ("in Room 1") goes on the row.
const isInfo = (node) => node.matches?.(".badge");

export function infoFor(view, p, send) {
  return actionsFor(view, p, send).filter(isInfo);
}

function fill(given) {
  const nodes = given.filter((n) => !isInfo(n));
  const everyday = nodes.filter((n) => !n.hasAttribute?.("data-destructive"));
  const destructive = nodes.filter((n) => n.hasAttribute?.("data-destructive"));
  const items = everyday.map((n) => el("div", { class: "person-menu-item" }, n));
  if (destructive.length) items.push(el("hr", { class: "person-menu-separator" }), ...destructive.map((n) => el("div", { class: "person-menu-item" }, n)));
  menu.replaceChildren(...items);
  // An action done (a button pressed, a choice made), the menu closes.
  for (const button of menu.querySelectorAll("button")) button.addEventListener("click", closeMenu);
  for (const select of menu.querySelectorAll("select")) select.addEventListener("change", closeMenu);
}

// The menu hidden and its button told so at once: the "toggle" event comes a task later, and
// until then the button still said "expanded" (to a screen reader, or a click that read it).
function closeMenu() {
  openFor?.anchor.setAttribute("aria-expanded", "false");
  openFor = null;
  if (menu.matches(":popover-open")) menu.hidePopover();
}

function place(anchor) {
  const r = anchor.getBoundingClientRect();
  const width = Math.min(320, window.innerWidth - 16);
  menu.style.setProperty("--menu-left", `${Math.max(8, Math.min(r.right - width, window.innerWidth - width - 8))}px`);
  const below = r.bottom + 4;
  const height = menu.offsetHeight;
  menu.style.setProperty("--menu-top", `${below + height > window.innerHeight - 8 ? Math.max(8, r.top - height - 4) : below}px`);
}

function ensureMenu() {
  if (menu) return;
  menu = el("div", { id: "person-menu", class: "person-menu", popover: "auto", role: "group" });
  menu.addEventListener("toggle", (event) => {
    if (event.newState === "closed") {
      openFor?.anchor.setAttribute("aria-expanded", "false");
      openFor = null;
    }
  });
  document.getElementById("room").append(menu);
}

// The "…" button for p, or null when this viewer may do nothing to p. `where` ("row" or
// "tile") lets a redrawn row take over the open menu of the row it replaces.
export function personMenuButton(view, p, send, where = "row") {
  if (!actionsFor(view, p, send).filter((n) => !isInfo(n)).length) return null;
  ensureMenu();
  const button = el(
    "button",
    { type: "button", class: "person-menu-button", "aria-label": `Actions for ${p.name}`, "aria-haspopup": "true", "aria-expanded": "false", "aria-controls": "person-menu" },
    icon("ellipsis"),
  );
  button.addEventListener("click", () => {
    if (openFor?.anchor === button) {
      closeMenu();
      return;
    }
    const build = () => actionsFor(view, view.participants.get(p.id) || p, send);
    fill(build());
    menu.setAttribute("aria-label", `Actions for ${p.name}`);
    closeMenu(); // open for someone else: their button is told at once too
    menu.showPopover();
    openFor = { id: p.id, anchor: button, build, where };
    button.setAttribute("aria-expanded", "true");
    place(button);
    menu.querySelector("button, select")?.focus();
  });
  if (openFor?.id === p.id && openFor.where === where) {
    openFor.anchor = button;
    button.setAttribute("aria-expanded", "true");
  }
  return button;
}

// After the people change: an open menu shows what may be done now (a mute becomes "ask").
export function refreshPersonMenu(view) {
  if (!openFor) return;
  if (!view.participants.has(openFor.id) || !openFor.anchor.isConnected) {
    closeMenu();
    return;
  }
  const focused = menu.contains(document.activeElement);
  fill(openFor.build());
  if (focused) menu.querySelector("button, select")?.focus();
}

// grid.decorate: a facilitator's "…" on each tile they may act on.
export function decorateTile(send) {
  return (node, p, view) => {
    const current = node.querySelector(":scope > .person-menu-button");
    const wanted = actionsFor(view, p, send).some((n) => !isInfo(n));
    if (wanted && !current) node.append(personMenuButton(view, p, send, "tile"));
    else if (!wanted && current) current.remove();
  };
}
