// The room's layout: the drawers beside (or, on a phone, over) the stage, the "More" menu,
// the chat's unread badge, the lobby's knock cue, and tiles placed to fit the stage in grid
// or speaker view. Only layout lives here; what the panels show is panels.js and features/.
import { $, el } from "./dom.js";
import { onMessage } from "./plugins.js";
import { notify } from "./screens.js";

const TOGGLES = {
  "chat-panel": ["chat-toggle"],
  "people-panel": ["people-toggle", "people-item"],
  "facilitator-panel": ["facilitator-toggle", "facilitator-item"],
  "breakouts-panel": ["breakouts-toggle"],
  "checkins-panel": ["checkins-toggle"],
  "attention-panel": ["attention-toggle"],
};
const MAX_BESIDE = 2; // drawers stacked beside the stage on a wide screen
const GAP = 8;
const VIEW_KEY = "peer-meetings:view";
const phone = window.matchMedia("(max-width: 40rem)");

let view = null;
const opened = []; // drawer ids, oldest first
let unread = 0;
let featuredId = null;
let lobbyNotice = null;
const baseTitle = document.title;

export const isOpen = (id) => !$(id).hidden;

function mark(id) {
  for (const toggle of TOGGLES[id]) $(toggle)?.setAttribute("aria-expanded", String(isOpen(id)));
  document.body.classList.toggle("drawer-open", opened.length > 0);
}

// Opens a drawer; `focus` moves the keyboard into it (its heading, or the chat box on a desk).
export function openDrawer(id, { focus = false } = {}) {
  if (!isOpen(id)) {
    const limit = phone.matches ? 1 : MAX_BESIDE;
    while (opened.length >= limit) closeDrawer(opened[0], { restoreFocus: false });
    $(id).hidden = false;
    opened.push(id);
    mark(id);
    if (id === "chat-panel") clearUnread();
  }
  if (focus) {
    const target = id === "chat-panel" && !phone.matches ? $("chat-text") : $(id).querySelector("h2");
    target.focus();
  }
}

export function closeDrawer(id, { restoreFocus = true } = {}) {
  if (!isOpen(id)) return;
  const hadFocus = $(id).contains(document.activeElement);
  $(id).hidden = true;
  opened.splice(opened.indexOf(id), 1);
  mark(id);
  if (restoreFocus && hadFocus) {
    const toggle = TOGGLES[id].map($).find((b) => b && b.offsetParent !== null);
    (toggle || $("more-button")).focus();
  }
}

export function toggleDrawer(id) {
  const toggles = TOGGLES[id].map($);
  if (toggles.every((b) => !b || b.hidden)) return;
  if (isOpen(id)) closeDrawer(id, { restoreFocus: false });
  else openDrawer(id, { focus: true });
}

// --- the chat's unread count ------------------------------------------------------------

function renderUnread() {
  const button = $("chat-toggle");
  button.querySelector(".unread")?.remove();
  if (unread) button.append(el("span", { class: "unread" }, String(unread > 99 ? "99+" : unread), el("span", { class: "visually-hidden" }, " unread")));
}

function clearUnread() {
  unread = 0;
  renderUnread();
}

// --- the lobby: a notice that stays until it is dealt with, a chime and the tab's title ----

// The tab title carries what a facilitator must not miss in another tab: each cue (the
// lobby, the attention queue) is set by its owner and shown before the meeting's title.
const titleCues = new Map();
export function setTitleCue(key, text) {
  if (text) titleCues.set(key, text);
  else titleCues.delete(key);
  document.title = [...[...titleCues.values()].map((t) => `(${t})`), baseTitle].join(" ");
}

export function chime(frequency = 660) {
  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = frequency;
    gain.gain.setValueAtTime(0.08, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.5);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.5);
    tone.onended = () => audio.close();
  } catch {
    // No audio output: the notice and the title still say it.
  }
}

function lobbyChanged(before) {
  const waiting = view.lobby.length;
  setTitleCue("lobby", waiting && view.facilitates() ? `${waiting} waiting` : "");
  if (!view.facilitates()) return;
  if (!waiting) {
    lobbyNotice?.remove();
    lobbyNotice = null;
    return;
  }
  if (waiting <= before) return;
  const newest = view.lobby[view.lobby.length - 1];
  // the one notice for an arrival: the attention queue's knock item adds none (attention.js)
  const alone = newest.latecomer ? `${newest.name} knocked: they came late and wait in the lobby.` : `${newest.name} is waiting in the lobby.`;
  const text = waiting === 1 ? alone : `${waiting} people are waiting in the lobby.`;
  lobbyNotice?.remove();
  lobbyNotice = notify(text, { safety: true, action: { label: "Show the lobby", run: () => openDrawer("people-panel", { focus: true }) } });
  chime();
}

// --- tiles placed to fit the stage --------------------------------------------------------

function place(tile, x, y, w, h) {
  for (const [key, value] of Object.entries({ x, y, w, h })) tile.style.setProperty(`--${key}`, `${Math.floor(value)}px`);
}

// The columns and aspect that give n tiles the most area in w x h.
function bestGrid(n, width, height) {
  let best = { area: -1 };
  for (const aspect of [16 / 9, 4 / 3, 1]) {
    for (let cols = 1; cols <= n; cols++) {
      const rows = Math.ceil(n / cols);
      const w = Math.min((width - GAP * (cols - 1)) / cols, ((height - GAP * (rows - 1)) / rows) * aspect);
      if (w > 0 && (w * w) / aspect > best.area + 1) best = { area: (w * w) / aspect, cols, rows, w, h: w / aspect };
    }
  }
  return best;
}

function layoutGrid(tiles, width, height) {
  const { cols, rows, w, h } = bestGrid(tiles.length, width, height);
  const top = (height - rows * h - (rows - 1) * GAP) / 2;
  tiles.forEach((tile, i) => {
    const row = Math.floor(i / cols);
    const inRow = row === rows - 1 ? tiles.length - row * cols : cols; // the last row is centred
    const left = (width - inRow * w - (inRow - 1) * GAP) / 2;
    place(tile, left + (i % cols) * (w + GAP), top + row * (h + GAP), w, h);
  });
}

// The speaker (or the last one, or someone else than you) large; the others in a strip of
// up to three rows below, each thumbnail wide enough for a name where the stage allows it.
function layoutSpeaker(tiles, width, height) {
  const featured = tiles.find((t) => t.classList.contains("speaking")) || tiles.find((t) => t.dataset.participantId === featuredId) || tiles.find((t) => !t.classList.contains("self")) || tiles[0];
  featuredId = featured.dataset.participantId;
  const others = tiles.filter((t) => t !== featured);
  const widthFor = (cols) => (width - GAP * (cols - 1)) / cols;
  let rows = 1;
  while (rows < 3 && widthFor(Math.ceil(others.length / rows)) < 112) rows += 1;
  const cols = Math.ceil(others.length / rows);
  const stripMax = Math.min(150, Math.max(64, height * 0.2));
  const thumbH = Math.min(stripMax, widthFor(cols) * 0.75, (height * 0.35 - GAP * (rows - 1)) / rows);
  const thumbW = Math.min(widthFor(cols), thumbH * (16 / 9));
  const stripH = rows * thumbH + (rows - 1) * GAP;
  const main = bestGrid(1, width, height - stripH - GAP);
  place(featured, (width - main.w) / 2, (height - stripH - GAP - main.h) / 2, main.w, main.h);
  others.forEach((tile, i) => {
    const row = Math.floor(i / cols);
    const inRow = row === rows - 1 ? others.length - row * cols : cols;
    const left = (width - inRow * thumbW - (inRow - 1) * GAP) / 2;
    place(tile, left + (i % cols) * (thumbW + GAP), height - stripH + row * (thumbH + GAP), thumbW, thumbH);
  });
  for (const tile of tiles) tile.classList.toggle("featured", tile === featured);
}

// A shared screen takes the stage; the sharer's tile (first) and the others go beside it on
// a wide stage, below it on a tall one (a phone), as small as they need to be.
function layoutShare(screen, tiles, width, height) {
  for (const tile of tiles) tile.classList.remove("featured");
  if (!tiles.length) {
    place(screen, 0, 0, width, height);
    return;
  }
  const wide = width >= height;
  // On a tall stage the screen is as high as its picture needs (no black bands to spare),
  // and the people below get the rest.
  const video = screen.querySelector("video");
  const aspect = video?.videoWidth ? video.videoWidth / video.videoHeight : 16 / 9;
  const tallScreen = Math.min(Math.max(width / aspect, height * 0.35), height * 0.7);
  const side = wide ? Math.min(Math.max(width * 0.22, 160), 300) : height - tallScreen - GAP;
  const [sw, sh] = wide ? [width - side - GAP, height] : [width, tallScreen];
  place(screen, 0, 0, sw, sh);
  const [bw, bh] = wide ? [side, height] : [width, side];
  const fit = bestGrid(tiles.length, bw, bh);
  const cols = fit.cols;
  tiles.forEach((tile, i) => {
    const [col, row] = [i % cols, Math.floor(i / cols)];
    const x = (wide ? sw + GAP : (bw - cols * fit.w - (cols - 1) * GAP) / 2) + col * (fit.w + GAP);
    const y = (wide ? 0 : sh + GAP) + row * (fit.h + GAP);
    place(tile, x, y, fit.w, fit.h);
  });
}

export function fitStage() {
  const grid = $("grid");
  const tiles = [...grid.children];
  const { clientWidth: width, clientHeight: height } = grid;
  if (!tiles.length || !width || !height) return;
  const screen = tiles.find((t) => t.classList.contains("screen-tile"));
  grid.classList.toggle("sharing", Boolean(screen));
  if (screen) {
    grid.classList.remove("speaker-view");
    layoutShare(screen, tiles.filter((t) => t !== screen), width, height);
    return;
  }
  const speaker = localStorage.getItem(VIEW_KEY) === "speaker" && tiles.length > 1;
  grid.classList.toggle("speaker-view", speaker);
  if (!speaker) for (const tile of tiles) tile.classList.remove("featured");
  (speaker ? layoutSpeaker : layoutGrid)(tiles, width, height);
}

function renderViewToggle() {
  const speaker = localStorage.getItem(VIEW_KEY) === "speaker";
  $("view-toggle").querySelector(".ctl-label").textContent = speaker ? "Grid view" : "Speaker view";
}

// A peer has the breakouts drawer only while rooms are open; when they open it comes up
// beside the stage (a desk) so "You are in Room 1", the time left and "Return" are in view.
function followBreakouts() {
  const content = $("breakouts");
  if (!content) return;
  const sync = () => {
    const shown = !content.hidden;
    const was = !$("breakouts-toggle").hidden;
    $("breakouts-toggle").hidden = !shown;
    if (!shown) closeDrawer("breakouts-panel", { restoreFocus: false });
    else if (!was && view.you && !view.facilitates() && !phone.matches) openDrawer("breakouts-panel");
  };
  new MutationObserver(sync).observe(content, { attributes: true, attributeFilter: ["hidden"] });
  sync();
}

// --- wiring ---------------------------------------------------------------------------------

// Entering the room: the chat beside the stage on a wide screen (and the people for a
// facilitator); nothing takes the keyboard, so a phone does not open its keyboard.
export function enterLayout() {
  if (!phone.matches) {
    openDrawer("chat-panel");
    if (view.facilitates()) openDrawer("people-panel");
  }
  $("meeting-title").focus();
  fitStage();
}

export function mountLayout({ view: given, grid }) {
  view = given;
  grid.onRendered = fitStage;
  new ResizeObserver(fitStage).observe($("grid"));
  for (const [id, toggles] of Object.entries(TOGGLES)) {
    for (const toggle of toggles) {
      $(toggle)?.addEventListener("click", () => {
        if ($("more-menu").contains($(toggle))) $("more-menu").hidePopover();
        toggleDrawer(id);
      });
    }
    for (const close of $(id).querySelectorAll("[data-close-drawer]")) close.addEventListener("click", () => closeDrawer(id));
  }
  $("side-panels").addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.target.closest("select, dialog")) return;
    const drawer = event.target.closest(".drawer");
    if (drawer) closeDrawer(drawer.id);
  });
  // A window narrowed to a phone's width: drawers would cover the stage, so they close.
  phone.addEventListener("change", () => {
    while (phone.matches && opened.length) closeDrawer(opened[0], { restoreFocus: false });
  });
  $("view-toggle").addEventListener("click", () => {
    localStorage.setItem(VIEW_KEY, localStorage.getItem(VIEW_KEY) === "speaker" ? "grid" : "speaker");
    renderViewToggle();
    fitStage();
    $("more-menu").hidePopover();
  });
  for (const id of ["help-request-button", "shortcuts-button"]) $(id).addEventListener("click", () => $("more-menu").hidePopover());
  renderViewToggle();
  followBreakouts();

  onMessage("chat.message", (m) => {
    if (isOpen("chat-panel") || m.message.sender_id === view.you) return;
    unread += 1;
    renderUnread();
  });
  let lobbyBefore = 0;
  onMessage("room.state", () => {
    lobbyChanged(lobbyBefore);
    lobbyBefore = view.lobby.length;
  });
  onMessage("lobby.updated", () => {
    lobbyChanged(lobbyBefore);
    lobbyBefore = view.lobby.length;
  });
}
