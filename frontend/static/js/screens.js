// The page's screens (pre-join, lobby, room, goodbye), its status line and its notices.
import { $, el } from "./dom.js";
import { icon } from "./icons.js";
import { CLOSE, SERVER_GOODBYES } from "./protocol.js";

// What the page says after each close; a removal and the end use the server's own words.
const GOODBYES = {
  [CLOSE.handshake]: "Something went wrong connecting to this meeting. Please reload the page to try again.",
  [CLOSE.noMeeting]: "This meeting has ended, or the link is no longer valid. Thank you for being part of it.",
  [CLOSE.replaced]: "You joined this meeting from another tab or device, so this one was disconnected.",
  [CLOSE.left]: "You have left the meeting. Take care of yourself.",
  ...SERVER_GOODBYES,
};
const GOODBYE_HEADINGS = {
  [CLOSE.noMeeting]: "The meeting has ended",
  [CLOSE.left]: "You have left the meeting",
  [CLOSE.removed]: "You are no longer in this meeting",
  [CLOSE.ended]: "The meeting has ended",
};
const DENIED = "The facilitator couldn't let you in this time.";

export function setStatus(text) {
  $("status").textContent = text;
}

// One notice in the corner; it never moves the stage. A safety notice (a help request,
// someone in the lobby) stays until it is dismissed or dealt with; the others fade after
// `seconds`, and at most two of them are kept. Returns the notice, to remove it early.
export function notify(text, { seconds = 15, safety = false, action = null } = {}) {
  const item = el("div", { class: safety ? "notice safety" : "notice" }, el("p", {}, text));
  if (action) item.append(el("button", { type: "button", class: "small", onclick: () => (action.run(), item.remove()) }, action.label));
  item.append(el("button", { type: "button", class: "notice-close", "aria-label": "Dismiss", onclick: () => item.remove() }, icon("x")));
  // Safety notices stay on top; below them at most two others, the newest last.
  const firstOther = $("notices").querySelector(".notice:not(.safety)");
  if (safety && firstOther) firstOther.before(item);
  else $("notices").append(item);
  const fading = [...$("notices").querySelectorAll(".notice:not(.safety)")];
  while (fading.length > 2) fading.shift().remove();
  if (!safety) setTimeout(() => item.remove(), seconds * 1000);
  return item;
}

export function show(screen) {
  for (const id of ["join", "lobby-screen", "end-screen", "room"]) $(id).hidden = id !== screen;
  document.body.classList.toggle("in-room", screen === "room");
  document.body.classList.toggle("at-goodbye", screen === "end-screen"); // its words are on the page already
  document.body.classList.toggle("at-lobby", screen === "lobby-screen"); // so are the lobby's
  if (screen === "end-screen") $("notices").replaceChildren(); // nothing stale on the goodbye
}

// The goodbye screen after close `code`; `denied` and `farewell` are the server's words
// from lobby.denied, and from removed or meeting.ended.
export function showGoodbye(code, { denied = null, farewell = null } = {}) {
  let text = GOODBYES[code] || GOODBYES[CLOSE.handshake];
  if (code === CLOSE.denied) text = denied || DENIED;
  if ([CLOSE.removed, CLOSE.ended].includes(code) && farewell) text = farewell;
  setStatus(text);
  $("end-heading").textContent = GOODBYE_HEADINGS[code] || "Goodbye for now";
  $("end-message").textContent = text;
  $("rejoin-button").hidden = ![CLOSE.left, CLOSE.replaced].includes(code);
  show("end-screen");
  $("end-heading").focus();
}

// The page was opened after the meeting ended.
export function showEnded() {
  $("end-heading").textContent = GOODBYE_HEADINGS[CLOSE.ended];
  $("end-message").textContent = GOODBYES[CLOSE.ended];
  show("end-screen");
}
