// Chat that is neither lost nor doubled (docs/protocol.md, chat.send and chat.ack).
// Each message gets a client id and waits in the outbox, shown in the chat list as
// "sending…", until the server's chat.ack. What has no ack is sent again, with the same id,
// after the next room.state (a new socket) and when an ack is overdue; the server stores one
// message per client id, and the list shows each message id once (panels.addChat).
import { audienceLabel, messageBody } from "./chatview.js";
import { $, el } from "./dom.js";
import { meeting, onError, onMessage } from "./plugins.js";

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

export class ChatOutbox {
  constructor({ send }) {
    this.send = send; // (message) -> false when the socket is down
    this.pending = new Map(); // client id -> { text, choice, item, sentAt }, in typing order
    onMessage("room.state", () => this.resendAll()); // runs after the room view redrew the list
    onMessage("chat.ack", (m) => this.acknowledged(m.client_id, m.message_id));
    onError(CHAT_REFUSALS, (error) => this.refused(error));
    setInterval(() => this.resendOverdue(), 1000);
  }

  // choice: { audience, thread_id?, content_note? } (chatcompose.js)
  submit(text, choice) {
    const clientId = newClientId();
    const { audience } = choice;
    const you = meeting.view?.you;
    // a peer's private message is in their own thread
    const threadId = choice.thread_id || (audience === "facilitators" && !meeting.view?.facilitates() ? you : "");
    const to = audienceLabel({ audience, thread_id: threadId, sender_id: you });
    const item = el(
      "li",
      { class: `chat-item pending sending${audience === "facilitators" ? " private" : ""}`, dataset: { clientId, audience, threadId: threadId || "" } },
      el("div", { class: "chat-head" }, el("span", { class: "sender" }, to ? `You (${to})` : "You"), el("span", { class: "sending" }, "sending…")),
      ...messageBody({ content_note: choice.content_note }, text),
    );
    const entry = { text, choice, item, sentAt: 0 };
    this.pending.set(clientId, entry);
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
    entry.item.classList.remove("pending", "sending");
    entry.item.classList.add("failed");
    entry.item.querySelector(".sending").textContent = "not sent";
    return false; // the page's error line still says why
  }

  // A new socket: the room view has just redrawn the list from the history.
  resendAll() {
    for (const [clientId, entry] of this.pending) {
      this.show(entry.item);
      this.transmit(clientId, entry);
    }
  }

  resendOverdue() {
    const now = Date.now();
    for (const [clientId, entry] of this.pending) {
      if (entry.sentAt && now - entry.sentAt > RESEND_AFTER_MS) this.transmit(clientId, entry);
    }
  }
}
