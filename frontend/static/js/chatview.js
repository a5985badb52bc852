// The chat's messages as the page shows them: who wrote to whom (everyone, the facilitators,
// one person's private thread with the facilitators), a content note that keeps the text
// hidden until this reader chooses "Show", the tombstone of a message a facilitator removed,
// and each message's "…" menu. Features add items to that menu through plugins.js
// (addChatActions; support adds "Report"); this module adds "Reply privately" and "Remove for everyone".
import { $, el } from "./dom.js";
import { icon } from "./icons.js";
import { meeting, pluginChatActions } from "./plugins.js";

// A help.request reaches the facilitators (and the asker) as a chat message of kind "help".
const HELP_PREFIX = "Asking for help:";
export const REMOVED_TEXT = "Removed by a facilitator";

let menu = null;
let menuAnchor = null;

const viewer = () => meeting.view;
const facilitates = () => Boolean(viewer()?.facilitates());

function nameOf(id) {
  const p = viewer()?.participants.get(id);
  return p ? p.name : "someone who left";
}

// Who a message was for, from this viewer's side: "to facilitators", "private to you", ...
export function audienceLabel(m) {
  if (m.audience !== "facilitators") return "";
  const you = viewer()?.you;
  if (!m.thread_id) return "to facilitators";
  if (m.thread_id === you) return m.sender_id === you ? "private to facilitators" : "private to you";
  if (m.thread_id === m.sender_id) return "private to facilitators";
  return `private to ${nameOf(m.thread_id)}`;
}

function senderLabel(m) {
  const you = viewer()?.you;
  const who = m.sender_id === you ? "You" : m.sender_name;
  const to = audienceLabel(m);
  return to ? `${who} (${to})` : who;
}

let noteCount = 0;

// The note in place of the text; "Show" reveals it for this reader only.
function noted(note, textNode) {
  noteCount += 1;
  textNode.id = `chat-noted-${noteCount}`;
  textNode.hidden = true;
  const show = el(
    "button",
    { type: "button", class: "small secondary show-noted", "aria-expanded": "false", "aria-controls": textNode.id },
    "Show",
  );
  show.addEventListener("click", () => {
    const open = textNode.hidden;
    textNode.hidden = !open;
    show.setAttribute("aria-expanded", String(open));
    show.textContent = open ? "Hide" : "Show";
  });
  return el("p", { class: "content-note" }, el("span", { class: "note-label" }, `Content note: ${note}`), " ", show);
}

// The text part of a message (or its tombstone), with its content note.
export function messageBody(m, text) {
  if (m.removed) return [el("p", { class: "text removed-text" }, REMOVED_TEXT)];
  const textNode = el("p", { class: "text" }, text);
  return m.content_note ? [noted(m.content_note, textNode), textNode] : [textNode];
}

function classes(m) {
  return ["chat-item", m.audience === "facilitators" ? "private" : "", m.thread_id ? "thread" : "", m.kind === "help" ? "help" : "", m.removed ? "removed" : ""]
    .filter(Boolean)
    .join(" ");
}

// --- the "…" menu: one element serves every message -------------------------------------

function ownActions(m) {
  if (!facilitates() || m.removed) return [];
  const nodes = [];
  const peer = m.thread_id && m.thread_id !== viewer().you ? m.thread_id : null;
  if (peer && viewer().participants.has(peer)) {
    nodes.push(
      el("button", { type: "button", onclick: () => document.dispatchEvent(new CustomEvent("open-private-thread", { detail: { participantId: peer } })) }, `Reply privately to ${nameOf(peer)}`),
    );
  } else if (m.audience === "room" && m.sender_id !== viewer().you && viewer().participants.get(m.sender_id)?.role === "peer") {
    nodes.push(
      el("button", { type: "button", onclick: () => document.dispatchEvent(new CustomEvent("open-private-thread", { detail: { participantId: m.sender_id } })) }, `Reply privately to ${m.sender_name}`),
    );
  }
  const remove = el(
    "button",
    {
      type: "button",
      class: "danger",
      "data-destructive": true,
      onclick: () => {
        if (confirm("Remove this message for everyone? Its text is deleted and cannot be brought back.")) meeting.send({ type: "chat.remove", message_id: m.id });
      },
    },
    "Remove for everyone",
  );
  return [...nodes, remove];
}

function actionsFor(m) {
  if (m.removed) return []; // nothing left to act on
  return [...ownActions(m), ...pluginChatActions(m)];
}

function ensureMenu() {
  if (menu) return;
  menu = el("div", { id: "chat-message-menu", class: "person-menu", popover: "auto", role: "group", "aria-label": "Actions on this post" });
  menu.addEventListener("toggle", (event) => {
    if (event.newState === "closed") {
      menuAnchor?.setAttribute("aria-expanded", "false");
      // back to the "…" it came from (Escape, or an action done), if it is still there
      if ((menu.contains(document.activeElement) || document.activeElement === document.body) && menuAnchor?.isConnected) menuAnchor.focus();
      menuAnchor = null;
    }
  });
  document.getElementById("room").append(menu);
}

function openMenu(button, m) {
  ensureMenu();
  const nodes = actionsFor(m);
  const everyday = nodes.filter((n) => !n.hasAttribute("data-destructive"));
  const destructive = nodes.filter((n) => n.hasAttribute("data-destructive"));
  const items = everyday.map((n) => el("div", { class: "person-menu-item" }, n));
  if (destructive.length) items.push(el("hr", { class: "person-menu-separator" }), ...destructive.map((n) => el("div", { class: "person-menu-item" }, n)));
  menu.replaceChildren(...items);
  for (const b of menu.querySelectorAll("button")) b.addEventListener("click", () => menu.hidePopover());
  menu.showPopover();
  const r = button.getBoundingClientRect();
  const width = menu.offsetWidth;
  menu.style.setProperty("--menu-left", `${Math.max(8, Math.min(r.right - width, window.innerWidth - width - 8))}px`);
  const below = r.bottom + 4;
  menu.style.setProperty("--menu-top", `${below + menu.offsetHeight > window.innerHeight - 8 ? Math.max(8, r.top - menu.offsetHeight - 4) : below}px`);
  menuAnchor = button;
  button.setAttribute("aria-expanded", "true");
  menu.querySelector("button")?.focus();
}

function menuButton(m) {
  if (!actionsFor(m).length) return null;
  ensureMenu();
  const button = el(
    "button",
    { type: "button", class: "message-menu-button", "aria-label": `Actions: ${m.sender_name}, ${new Date(m.sent_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`, "aria-haspopup": "true", "aria-expanded": "false", "aria-controls": "chat-message-menu" },
    icon("ellipsis"),
  );
  button.addEventListener("click", () => {
    if (menuAnchor === button) menu.hidePopover();
    else openMenu(button, m);
  });
  return button;
}

// --- the list --------------------------------------------------------------------------

export function messageItem(m) {
  const time = new Date(m.sent_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const text = m.kind === "help" ? `${HELP_PREFIX} ${m.text || "(no message)"}` : m.text;
  const item = el(
    "li",
    { class: classes(m), dataset: { audience: m.audience, messageId: String(m.id), threadId: m.thread_id || "", senderId: m.sender_id } },
    el("div", { class: "chat-head" }, el("span", { class: "sender" }, senderLabel(m)), el("time", { datetime: m.sent_at }, time), menuButton(m)),
    ...messageBody(m, text),
  );
  item.chatMessage = m;
  return item;
}

// Adds m to the list, or redraws it where it already is (each message id once: a resend's
// redelivery, or the message an acknowledged outbox entry stands for, takes its place).
export function addChat(m) {
  const isHelp = m.kind === "help";
  const item = messageItem(m);
  const shown = $("chat-log").querySelector(`li[data-message-id="${m.id}"]`);
  if (shown) {
    shown.replaceWith(item);
    return { isHelp, again: true };
  }
  $("chat-log").append(item);
  $("chat-log").scrollTop = $("chat-log").scrollHeight;
  return { isHelp };
}

// chat.removed: the tombstone in place of the message, wherever it is shown.
export function removeChat(messageId) {
  const shown = $("chat-log").querySelector(`li[data-message-id="${messageId}"]`);
  if (!shown?.chatMessage) return;
  shown.replaceWith(messageItem({ ...shown.chatMessage, text: "", content_note: null, removed: true }));
}
