// The meeting page: join form, lobby, participant list, hands, chat.
import { Connection } from "./connection.js";
import { mountCheckins } from "./checkins.js";
import { mountFacilitation } from "./facilitation.js";

const app = document.getElementById("app");
const meetingId = app.dataset.meetingId;
const tokenKey = `peer-meetings:${meetingId}`;
const $ = (id) => document.getElementById(id);

const ROLE_LABELS = { facilitator: "Facilitator", cofacilitator: "Co-facilitator", peer: "Peer" };
const CLOSE_MESSAGES = {
  4401: "Your place in this meeting has expired. You can join again below.",
  4403: null, // the lobby.denied message already explains
  4404: "This meeting does not exist or has ended.",
  4409: "You joined this meeting from another tab or device, so this one was disconnected.",
  4410: "You have left the meeting. Take care of yourself.",
  4411: null, // the removed message already explains
  4412: null, // so does meeting.ended
};

const view = { you: null, role: app.dataset.role, participants: new Map(), hands: [], lobby: [] };
let connection = null;

function setStatus(text) {
  $("status").textContent = text;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function facilitates() {
  return view.role === "facilitator" || view.role === "cofacilitator";
}

function nameOf(id) {
  const p = view.participants.get(id);
  return p ? p.name : "Someone";
}

function describe(p) {
  const parts = [ROLE_LABELS[p.role]];
  if (p.media === "text_only") parts.push("text only");
  if (view.hands.includes(p.id)) parts.push("hand raised");
  if (p.connection === "reconnecting") parts.push("reconnecting…");
  return parts.join(", ");
}

function renderParticipants() {
  const list = $("participants");
  list.replaceChildren();
  for (const p of view.participants.values()) {
    const you = p.id === view.you ? " (you)" : "";
    const item = el(
      "li",
      { dataset: { participantId: p.id, role: p.role, media: p.media, connection: p.connection } },
      el("span", { class: "name" }, p.name + you),
      " ",
      el("span", { class: `badge role-${p.role}` }, describe(p)),
    );
    item.append(...facilitation.participantControls(p));
    if (facilitates() && p.id !== view.you && p.role !== "facilitator") {
      const promote = p.role === "peer";
      item.append(
        " ",
        el(
          "button",
          {
            type: "button",
            class: "small",
            onclick: () => send({ type: "role.set", participant_id: p.id, role: promote ? "cofacilitator" : "peer" }),
          },
          promote ? `Make ${p.name} co-facilitator` : `Make ${p.name} a peer`,
        ),
      );
    }
    list.append(item);
  }
}

function renderHands() {
  const list = $("hands");
  list.replaceChildren();
  for (const id of view.hands) {
    const item = el("li", { dataset: { participantId: id } }, el("span", { class: "name" }, nameOf(id)));
    if (facilitates() && id !== view.you) {
      item.append(" ", el("button", { type: "button", class: "small", onclick: () => send({ type: "hand.lower", participant_id: id }) }, `Lower ${nameOf(id)}'s hand`));
    }
    list.append(item);
  }
  $("no-hands").hidden = view.hands.length > 0;
  const mine = view.hands.includes(view.you);
  $("hand-button").textContent = mine ? "Lower hand" : "Raise hand";
  $("hand-button").setAttribute("aria-pressed", String(mine));
}

function renderLobby() {
  $("lobby-panel").hidden = !facilitates();
  const list = $("lobby");
  list.replaceChildren();
  for (const p of view.lobby) {
    list.append(
      el(
        "li",
        { dataset: { participantId: p.id } },
        el("span", { class: "name" }, p.name),
        " ",
        el("span", { class: "badge" }, p.media === "text_only" ? "text only" : "camera & mic"),
        " ",
        el("button", { type: "button", class: "small", onclick: () => send({ type: "lobby.admit", participant_id: p.id }) }, `Admit ${p.name}`),
        " ",
        el("button", { type: "button", class: "small danger", onclick: () => send({ type: "lobby.deny", participant_id: p.id }) }, `Turn ${p.name} away`),
      ),
    );
  }
  $("lobby-empty").hidden = view.lobby.length > 0;
  if (!facilitates()) return;
  if (view.lobby.length) setStatus(`${view.lobby.length} waiting in the lobby.`);
  else if ($("status").textContent.endsWith("waiting in the lobby.")) setStatus("Nobody is waiting in the lobby.");
}

function renderAll() {
  renderParticipants();
  renderHands();
  renderLobby();
}

function addChat(m) {
  const time = new Date(m.sent_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const isPrivate = m.audience === "facilitators";
  const item = el(
    "li",
    { class: isPrivate ? "private" : "", dataset: { audience: m.audience, messageId: String(m.id) } },
    el("span", { class: "sender" }, m.sender_name + (isPrivate ? " (to facilitators)" : "")),
    el("time", { datetime: m.sent_at }, time),
    el("p", { class: "text" }, m.text),
  );
  $("chat-log").append(item);
  item.scrollIntoView({ block: "end" });
}

function send(message) {
  if (!connection || !connection.send(message)) setStatus("Not connected right now; trying again shortly.");
}

const checkins = mountCheckins({ container: $("room"), send: (m) => send(m), facilitates });

const handlers = {
  welcome(m) {
    view.you = m.participant_id;
    view.role = m.role;
  },
  "lobby.waiting"(m) {
    setStatus(m.message);
  },
  "lobby.admitted"() {
    setStatus("You're in. Welcome.");
  },
  "lobby.denied"(m) {
    sessionStorage.removeItem(tokenKey);
    setStatus(m.message);
  },
  "room.state"(m) {
    view.you = m.you;
    view.participants = new Map(m.participants.map((p) => [p.id, p]));
    view.hands = m.hands;
    view.lobby = m.lobby || [];
    const me = view.participants.get(view.you);
    if (me) view.role = me.role;
    $("join").hidden = true;
    const entering = $("room").hidden;
    $("room").hidden = false;
    if (entering) $("chat-text").focus();
    $("chat-log").replaceChildren();
    m.chat.forEach(addChat);
    renderAll();
  },
  "participant.joined"(m) {
    view.participants.set(m.participant.id, m.participant);
    renderAll();
    if (m.participant.id !== view.you) setStatus(`${m.participant.name} joined.`);
  },
  "participant.updated"(m) {
    view.participants.set(m.participant.id, m.participant);
    if (m.participant.id === view.you) view.role = m.participant.role;
    renderAll();
  },
  "participant.left"(m) {
    const name = nameOf(m.participant_id);
    view.participants.delete(m.participant_id);
    view.hands = view.hands.filter((id) => id !== m.participant_id);
    renderAll();
    setStatus(`${name} left the meeting.`);
  },
  "hands.updated"(m) {
    view.hands = m.queue;
    renderParticipants();
    renderHands();
  },
  "lobby.updated"(m) {
    view.lobby = m.lobby;
    renderLobby();
  },
  "chat.message"(m) {
    addChat(m.message);
  },
  error(m) {
    const target = $("room").hidden ? $("join-error") : $("chat-error");
    target.textContent = m.message;
  },
};

const facilitation = mountFacilitation({ app, view, send, el, facilitates, rerender: () => renderAll() });

function connect(token) {
  $("join").hidden = true;
  connection = new Connection({
    meetingId,
    token,
    onMessage: (m) => {
      if (checkins.handle(m)) return;
      handlers[m.type]?.(m);
      facilitation.handle(m);
    },
    onState: (stateName, code) => {
      if (stateName === "reconnecting") setStatus("Connection lost. Reconnecting…");
      else if (stateName === "connected") setStatus("Connected.");
      else if (stateName === "closed") {
        const text = CLOSE_MESSAGES[code];
        if (text) setStatus(text);
        if ([4401, 4403, 4409, 4410, 4411, 4412].includes(code)) {
          sessionStorage.removeItem(tokenKey);
          $("room").hidden = true;
          $("join").hidden = [4403, 4409, 4411, 4412].includes(code);
        }
      }
    },
  });
  connection.open();
}

$("join-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("join-error").textContent = "";
  const form = new FormData(event.target);
  const response = await fetch("/api/join/", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": app.dataset.csrf },
    body: JSON.stringify({
      meeting_id: meetingId,
      invite: app.dataset.invite,
      display_name: form.get("display_name"),
      media: form.get("media"),
    }),
  });
  const body = await response.json();
  if (!response.ok) {
    $("join-error").textContent = body.error.message;
    return;
  }
  sessionStorage.setItem(tokenKey, body.token);
  connect(body.token);
});

$("chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("chat-text").value.trim();
  if (!text) return;
  $("chat-error").textContent = "";
  send({ type: "chat.send", text, audience: $("chat-audience").value });
  $("chat-text").value = "";
});

$("chat-text").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    $("chat-form").requestSubmit();
  }
});

$("hand-button").addEventListener("click", () => {
  send({ type: view.hands.includes(view.you) ? "hand.lower" : "hand.raise" });
});

$("leave-button").addEventListener("click", () => {
  send({ type: "leave" });
});

const saved = sessionStorage.getItem(tokenKey);
if (saved) connect(saved);
