// Writing in the chat: whom to (everyone; the facilitators; for a facilitator, one person's
// private thread with the facilitator team), an optional content note, and the thread view:
// choosing "Private with X" shows only that thread, with unread marks for threads not in view.
// Peers have no private messages with each other (docs/protocol.md, "Private threads").
// Anything on the page opens a thread with
//   document.dispatchEvent(new CustomEvent("open-private-thread", { detail: { participantId } }))
import { $, el } from "./dom.js";
import { isOpen, openDrawer } from "./layout.js";
import { addParticipantActions, meeting, onMessage } from "./plugins.js";

const THREAD = "thread:";
const unread = new Map(); // thread id (or "team") -> private messages not yet seen
let extraThread = null; // a thread opened with someone not (or no longer) in the list

const viewer = () => meeting.view;
const facilitates = () => Boolean(viewer()?.facilitates());

// The thread shown on its own, or null for the whole chat.
export function threadInView() {
  const value = $("chat-audience").value;
  return value.startsWith(THREAD) ? value.slice(THREAD.length) : null;
}

// What the next message is: { audience, thread_id?, content_note? } for chat.send.
export function chatChoice() {
  const value = $("chat-audience").value;
  const choice = value.startsWith(THREAD) ? { audience: "facilitators", thread_id: value.slice(THREAD.length) } : { audience: value };
  const note = $("chat-note").value === "other" ? $("chat-note-other").value.trim() : $("chat-note").value;
  if (note) choice.content_note = note;
  return choice;
}

export function afterSend() {
  $("chat-note").value = "";
  $("chat-note-other").value = "";
  $("chat-note-other").hidden = true;
  applyThreadView();
}

function countLabel(key) {
  const n = unread.get(key) || 0;
  return n ? ` (${n} new)` : "";
}

function peers() {
  const v = viewer();
  if (!v) return [];
  return [...v.participants.values()].filter((p) => p.id !== v.you && p.role === "peer");
}

export function renderAudience() {
  const select = $("chat-audience");
  const before = select.value;
  const options = [el("option", { value: "room" }, "Everyone")];
  if (facilitates()) {
    options.push(el("option", { value: "facilitators" }, `Facilitators only${countLabel("team")}`));
    const people = peers();
    if (extraThread && !people.some((p) => p.id === extraThread.id)) people.push(extraThread);
    for (const p of people) options.push(el("option", { value: THREAD + p.id }, `Private with ${p.name}${countLabel(p.id)}`));
  } else {
    options.push(el("option", { value: "facilitators" }, `Private to facilitators${countLabel(viewer()?.you)}`));
  }
  select.replaceChildren(...options);
  select.value = [...select.options].some((o) => o.value === before) ? before : "room";
  renderPrivateMark();
}

// Only that thread's messages while "Private with X" is chosen.
export function applyThreadView() {
  const thread = threadInView();
  for (const item of $("chat-log").children) {
    item.hidden = thread !== null && item.dataset.threadId !== thread;
  }
  const bar = $("chat-thread-bar");
  bar.hidden = thread === null;
  if (thread !== null) {
    const name = viewer()?.participants.get(thread)?.name || extraThread?.name || "this person";
    $("chat-thread-label").textContent = `Private thread with ${name} (only they and the facilitators see it)`;
  }
  if (isOpen("chat-panel")) seen();
}

// What is in view now is read.
function seen() {
  const thread = threadInView();
  let changed = false;
  const keys = facilitates() ? (thread ? [thread] : ["team"]) : [viewer()?.you];
  for (const key of keys) if (unread.delete(key)) changed = true;
  if (changed) renderAudience();
}

function renderPrivateMark() {
  const toggle = $("chat-toggle");
  toggle.querySelector(".private-unread")?.remove();
  const total = [...unread.values()].reduce((a, b) => a + b, 0);
  if (total) toggle.append(el("span", { class: "private-unread", title: "New private messages" }, el("span", { class: "visually-hidden" }, `${total} new private`)));
}

function arrived(m) {
  const v = viewer();
  if (m.audience !== "facilitators" || m.sender_id === v.you || m.removed) return;
  const key = m.thread_id || "team";
  const shown = threadInView();
  const inView = isOpen("chat-panel") && (!facilitates() || shown === null || shown === m.thread_id);
  if (inView) return;
  unread.set(key, (unread.get(key) || 0) + 1);
  renderAudience();
  // Said without the text: a screen may be shared. A help request has its own alert.
  if (m.kind === "help" || !m.thread_id) return;
  const mine = m.thread_id === v.you;
  const text = mine ? "A facilitator wrote to you privately." : `${m.sender_name} wrote to the facilitators privately.`;
  meeting.notify(text, { action: { label: "Open", run: () => openThread(m.thread_id) } });
}

export function openThread(participantId) {
  if (!facilitates()) {
    $("chat-audience").value = "facilitators";
  } else {
    const p = viewer().participants.get(participantId);
    if (!p) return;
    if (p.role !== "peer") return;
    extraThread = { id: p.id, name: p.name };
    renderAudience();
    $("chat-audience").value = THREAD + participantId;
  }
  openDrawer("chat-panel");
  applyThreadView();
  $("chat-text").focus();
}

export function mountChatCompose() {
  $("chat-audience").addEventListener("change", applyThreadView);
  $("chat-thread-all").addEventListener("click", () => {
    $("chat-audience").value = "room";
    applyThreadView();
    $("chat-audience").focus();
  });
  $("chat-note").addEventListener("change", () => {
    const other = $("chat-note").value === "other";
    $("chat-note-other").hidden = !other;
    if (other) $("chat-note-other").focus();
  });
  // the chat opened, however (button, shortcut, a notice's action): what it shows is read
  new MutationObserver(() => isOpen("chat-panel") && seen()).observe($("chat-panel"), { attributes: true, attributeFilter: ["hidden"] });
  document.addEventListener("open-private-thread", (event) => openThread(event.detail?.participantId));
  addParticipantActions((p) => {
    if (!facilitates() || p.role !== "peer" || p.id === viewer().you) return [];
    return [el("button", { type: "button", class: "small", onclick: () => openThread(p.id) }, `Write privately to ${p.name}`)];
  });
  for (const type of ["room.state", "participant.joined", "participant.updated", "participant.left"]) {
    onMessage(type, () => {
      renderAudience();
      applyThreadView();
    });
  }
  onMessage("chat.message", (m) => {
    arrived(m.message);
    applyThreadView();
  });
  onMessage("chat.removed", applyThreadView);
}
