// Chat that is neither lost nor doubled (docs/protocol.md, chat.send and chat.ack).
// Each message gets a client id and waits in the outbox, shown in the chat list as
// "sending…", until the server's chat.ack. What has no ack is sent again, with the same id,
// after the next room.state (a new socket) and when an ack is overdue; the server stores one
// message per client id, and the list shows each message id once (panels.addChat).
// The outbox also lives in sessionStorage (this tab only, gone when it closes; each entry
// removed once acknowledged), so a reload sends what was waiting, with the same ids, as the
// same participant (a different one would not be recognised as a resend: those are dropped).
import { audienceLabel, messageBody } from "./chatview.js";
import { $, el } from "./dom.js";
import { onError, onMessage } from "./plugins.js";

const RESEND_AFTER_MS = 5000;
// Refusals that say "not now" rather than "never": the message stays in the outbox.
const TRY_AGAIN = new Set(["rate_limited", "internal"]);
const CHAT_REFUSALS = [
  "rate_limited", "internal", "not_admitted", "not_found", "meeting_ended", "empty_message", "message_too_long",
  "content_note_too_long", "thread_is_private", "not_your_thread", "not_a_peer", "not_in_room",
];

function newClientId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

// choice: { audience, thread_id?, content_note? } (chatcompose.js); threadId: the thread the
// message goes to (a peer's private message is in their own thread), or "".
function pendingItem(clientId, text, choice, threadId, you) {
  const { audience } = choice;
  const to = audienceLabel({ audience, thread_id: threadId, sender_id: you });
  return el(
    "li",
    { class: `chat-item pending sending${audience === "facilitators" ? " private" : ""}`, dataset: { clientId, audience, threadId: threadId || "" } },
    el("div", { class: "chat-head" }, el("span", { class: "sender" }, to ? `You (${to})` : "You"), el("span", { class: "sending" }, "sending…")),
    ...messageBody({ content_note: choice.content_note }, text),
  );
}

// sessionStorage, one key per unsent message; storage refused (private mode, quota) leaves
// the outbox in page memory only.
class StoredOutbox {
  constructor(meetingId) {
    this.prefix = `peer-meetings:outbox:${meetingId}:`;
  }

  put(clientId, entry) {
    try {
      sessionStorage.setItem(this.prefix + clientId, JSON.stringify(entry));
    } catch {
      // kept in memory only
    }
  }

  remove(clientId) {
    try {
      sessionStorage.removeItem(this.prefix + clientId);
    } catch {
      // nothing stored
    }
  }

  // [clientId, { text, choice, threadId, sender, at }] in typing order
  load() {
    const entries = [];
    try {
      for (let i = 0; i < sessionStorage.length; i += 1) {
        const key = sessionStorage.key(i);
        if (!key.startsWith(this.prefix)) continue;
        const entry = JSON.parse(sessionStorage.getItem(key));
        if (entry && typeof entry.text === "string") entries.push([key.slice(this.prefix.length), entry]);
      }
    } catch {
      return [];
    }
    return entries.sort((a, b) => a[1].at - b[1].at);
  }
}

export class ChatOutbox {
  constructor({ send, meetingId, view }) {
    this.send = send; // (message) -> false when the socket is down
    this.view = view;
    this.stored = new StoredOutbox(meetingId);
    this.pending = new Map(); // client id -> { text, choice, threadId, sender, at, item, sentAt }, in typing order
    for (const [clientId, saved] of this.stored.load()) {
      if (!saved.choice) continue;
      const item = pendingItem(clientId, saved.text, saved.choice, saved.threadId, saved.sender);
      this.pending.set(clientId, { ...saved, item, sentAt: 0 });
    }
    onMessage("room.state", (m) => this.resendAll(m.you)); // runs after the room view redrew the list
    onMessage("chat.ack", (m) => this.acknowledged(m.client_id, m.message_id));
    onError(CHAT_REFUSALS, (error) => this.refused(error));
    setInterval(() => this.resendOverdue(), 1000);
  }

  submit(text, choice) {
    const clientId = newClientId();
    const you = this.view.you;
    const threadId = choice.thread_id || (choice.audience === "facilitators" && !this.view.facilitates() ? you : "");
    const item = pendingItem(clientId, text, choice, threadId, you);
    const saved = { text, choice, threadId, sender: you, at: Date.now() };
    const entry = { ...saved, item, sentAt: 0 };
    this.pending.set(clientId, entry);
    this.stored.put(clientId, saved);
    this.show(item);
    this.transmit(clientId, entry);
  }

  show(item) {
    $("chat-log").append(item);
    $("chat-log").scrollTop = $("chat-log").scrollHeight;
  }

  transmit(clientId, entry) {
    if (this.send({ type: "chat.send", text: entry.text, ...entry.choice, client_id: clientId })) entry.sentAt = Date.now();
  }

  acknowledged(clientId, messageId) {
    const entry = this.pending.get(clientId);
    if (!entry) return;
    this.pending.delete(clientId);
    this.stored.remove(clientId);
    if (document.querySelector(`#chat-log li[data-message-id="${messageId}"]`)) {
      entry.item.remove(); // already in the list (the history of a new socket)
      return;
    }
    // the chat.message that follows takes this place in the list (panels.addChat)
    entry.item.dataset.messageId = String(messageId);
    entry.item.classList.remove("pending", "sending");
    entry.item.querySelector(".sending")?.remove();
  }

  refused(error) {
    const entry = error.ref && this.pending.get(error.ref);
    if (!entry) return false;
    if (TRY_AGAIN.has(error.code)) return false; // stays pending; resent when overdue
    this.pending.delete(error.ref);
    this.stored.remove(error.ref);
    entry.item.classList.remove("pending", "sending");
    entry.item.classList.add("failed");
    entry.item.querySelector(".sending").textContent = "not sent";
    return false; // the page's error line still says why
  }

  // A new socket: the room view has just redrawn the list from the history. What was typed
  // as someone else (a reload after this tab's place expired) is not theirs to send.
  resendAll(you) {
    for (const [clientId, entry] of this.pending) {
      if (entry.sender && entry.sender !== you) {
        this.pending.delete(clientId);
        this.stored.remove(clientId);
        continue;
      }
      this.show(entry.item);
      this.transmit(clientId, entry);
    }
  }

  // The meeting is over for this page (left, removed, ended, expired): nothing waits to be sent.
  forget() {
    for (const clientId of this.pending.keys()) this.stored.remove(clientId);
    this.pending.clear();
  }

  resendOverdue() {
    const now = Date.now();
    for (const [clientId, entry] of this.pending) {
      if (entry.sentAt && now - entry.sentAt > RESEND_AFTER_MS) this.transmit(clientId, entry);
    }
  }
}
