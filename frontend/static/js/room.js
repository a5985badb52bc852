// The meeting page: pre-join, lobby, the room (video grid, panels, controls) and goodbyes.
import { mountCheckins } from "./checkins.js";
import { Connection } from "./connection.js";
import { LevelMeter, LocalMedia, DEVICE_PROBLEMS } from "./devices.js";
import { $, el } from "./dom.js";
import { VideoGrid } from "./grid.js";
import { MediaSession } from "./media.js";
import { addChat, HELP_PREFIX, nameOf, renderHands, renderLobby, renderParticipants } from "./panels.js";
import { dispatch, meeting } from "./plugins.js";
import { setupPrejoin, showPreview } from "./prejoin.js";
import { openDialog, setupShortcuts } from "./shortcuts.js";

const app = $("app");
const meetingId = app.dataset.meetingId;
const tokenKey = `peer-meetings:${meetingId}`;
const STATS_EVERY_MS = 2000;

const GOODBYES = {
  4400: "Something went wrong connecting to this meeting. Please reload the page to try again.",
  4404: "This meeting has ended, or the link is no longer valid. Thank you for being part of it.",
  4409: "You joined this meeting from another tab or device, so this one was disconnected.",
  4410: "You have left the meeting. Take care of yourself.",
};

const view = {
  you: null,
  role: app.dataset.role,
  participants: new Map(),
  hands: [],
  lobby: [],
  speaker: null,
  remote: new Map(),
  quality: {},
  mode: "video",
  self: { videoTrack: null, muted: false, quality: "good" },
  facilitates: () => view.role === "facilitator" || view.role === "cofacilitator",
};
let connection = null;
let entered = false; // the first room.state of this page has arrived
let socketDropped = false;
let mediaWasConnected = false;
let deniedMessage = null;

const local = new LocalMedia({
  onChange: (kind, track) => {
    media.replaceLocal(kind, track);
    renderSelf();
  },
});
const meter = new LevelMeter($("mic-level"));
const grid = new VideoGrid($("grid"));
grid.onStale = () => renderGrid();
const media = new MediaSession({
  send: (m) => Boolean(connection && connection.send(m)),
  local,
  onRemote: (remote) => {
    view.remote = remote;
    renderGrid();
  },
  onState: (state) => {
    if (state === "connected") mediaWasConnected = true;
    if (state === "off") mediaWasConnected = false;
    renderConnection();
  },
  onNotice: notify,
});
window.peerMeeting = { view, media, local }; // for tests and curious facilitators' devtools

// --- small view helpers --------------------------------------------------------------

function setStatus(text) {
  $("status").textContent = text;
}

function notify(text) {
  const item = el("p", { class: "notice" }, text);
  $("notices").append(item);
  while ($("notices").children.length > 3) $("notices").firstElementChild.remove();
  setTimeout(() => item.remove(), 15000);
}

function send(message) {
  const ok = Boolean(connection && connection.send(message));
  if (!ok) setStatus("Not connected right now; trying again shortly.");
  return ok;
}

function me() {
  return view.participants.get(view.you);
}

function show(screen) {
  for (const id of ["join", "lobby-screen", "end-screen", "room"]) $(id).hidden = id !== screen;
}

function renderGrid() {
  view.self.videoTrack = view.mode === "text" ? null : local.videoTrack;
  view.self.muted = !local.audioTrack || !local.micOn;
  grid.render(view);
}

function renderSelf() {
  const hasMic = Boolean(local.audioTrack);
  $("mic-button").textContent = hasMic && !local.micOn ? "Unmute" : "Mute";
  $("mic-button").disabled = !hasMic || view.mode === "text";
  $("camera-button").textContent = local.videoTrack ? "Stop video" : "Start video";
  $("camera-button").disabled = !hasMic || view.mode === "text";
  renderGrid();
}

function renderConnection() {
  const pill = $("self-connection");
  const socketUp = !socketDropped;
  const mediaState = media.state;
  let text = "Connected";
  let state = "good";
  if (!socketUp) [text, state] = ["Reconnecting…", "lost"];
  else if (media.wanted && mediaState !== "connected") [text, state] = ["Connecting audio and video…", "weak"];
  else if (mediaState === "failed") [text, state] = ["Audio and video stopped", "lost"];
  else if (!media.wanted) text = view.mode === "text" ? "Connected (text only)" : "Connected";
  pill.hidden = !entered;
  pill.textContent = text;
  pill.dataset.state = state;
  view.self.quality = state;
  const mediaReconnecting = media.wanted && mediaWasConnected && ["starting", "connecting"].includes(mediaState);
  $("reconnect-banner").hidden = !(socketDropped || mediaReconnecting);
  $("reconnect-banner").textContent = socketDropped ? "Connection lost. Reconnecting…" : "Reconnecting audio and video…";
  if (entered) renderGrid();
}

function renderAll() {
  renderParticipants(view, send);
  renderHands(view, send);
  renderLobby(view, send);
  const facilitates = view.facilitates();
  $("facilitator-toggle").hidden = !facilitates;
  if (!facilitates) $("facilitator-panel").hidden = true;
  else if ($("facilitator-toggle").getAttribute("aria-expanded") === "true") $("facilitator-panel").hidden = false;
  $("help-request-button").hidden = facilitates;
  renderGrid();
}

// --- modes: video, audio only, text only -------------------------------------------

async function applyMode(mode) {
  view.mode = mode;
  $("mode-select").value = mode;
  $("grid").classList.toggle("audio-only", mode !== "video"); // others' video is not received
  if (mode === "text") {
    if (media.wanted) media.leave();
    local.stop();
    meter.detach();
  } else {
    if (me()?.media === "camera_mic" && !local.audioTrack) {
      const problem = await local.open({ camera: local.cameraOn });
      if (problem) notify(DEVICE_PROBLEMS[problem]);
    }
    media.join({ receiveVideo: mode === "video" });
  }
  renderSelf();
  renderConnection();
}

// --- server messages -----------------------------------------------------------------

const handlers = {
  welcome(m) {
    view.you = m.participant_id;
    view.role = m.role;
  },
  "lobby.waiting"(m) {
    setStatus(m.message);
    $("lobby-message").textContent = m.message;
    showPreview($("lobby-preview"), local);
    $("lobby-preview").hidden = !local.videoTrack;
    show("lobby-screen");
    $("lobby-screen-heading").focus?.();
  },
  "lobby.admitted"() {
    setStatus("You're in. Welcome.");
  },
  "lobby.denied"(m) {
    sessionStorage.removeItem(tokenKey);
    deniedMessage = m.message;
    setStatus(m.message);
  },
  "room.state"(m) {
    view.you = m.you;
    view.participants = new Map(m.participants.map((p) => [p.id, p]));
    view.hands = m.hands;
    view.lobby = m.lobby || [];
    if (me()) view.role = me().role;
    $("chat-log").replaceChildren();
    m.chat.forEach(addChat);
    if (!entered) {
      entered = true;
      show("room");
      $("chat-text").focus();
      applyMode(me()?.media === "text_only" ? "text" : "video");
    } else if (socketDropped) {
      media.socketReconnected();
    }
    socketDropped = false;
    renderAll();
    renderConnection();
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
    const name = nameOf(view, m.participant_id);
    view.participants.delete(m.participant_id);
    view.hands = view.hands.filter((id) => id !== m.participant_id);
    renderAll();
    setStatus(`${name} left the meeting.`);
  },
  "hands.updated"(m) {
    view.hands = m.queue;
    renderParticipants(view, send);
    renderHands(view, send);
    renderGrid();
  },
  "lobby.updated"(m) {
    const before = view.lobby.length;
    view.lobby = m.lobby;
    renderLobby(view, send);
    if (view.lobby.length > before) setStatus(`${view.lobby.length} waiting in the lobby.`);
  },
  "chat.message"(m) {
    const { isHelp } = addChat(m.message);
    if (isHelp && view.facilitates() && m.message.sender_id !== view.you) notify(`${m.message.sender_name} is asking for help.`);
  },
  "media.speaker"(m) {
    view.speaker = m.participant_id;
    renderGrid();
  },
  "media.track"() {
    renderGrid();
  },
  error(m) {
    if (m.code in MEDIA_ERRORS) media.handle(m);
    else ($("room").hidden ? $("join-error") : $("chat-error")).textContent = m.message;
  },
};
const MEDIA_ERRORS = {
  media_not_started: 1, bad_sdp: 1, bad_candidate: 1, negotiation_in_progress: 1, unexpected_answer: 1,
  connection_closed: 1, negotiation_failed: 1, media_unavailable: 1,
};
for (const type of ["media.ready", "media.answer", "media.offer", "media.state", "media.stopped"]) {
  handlers[type] = (m) => media.handle(m);
}

const checkins = mountCheckins({ container: $("side-panels"), send, facilitates: view.facilitates });

function onMessage(message) {
  if (checkins.handle(message)) return;
  handlers[message.type]?.(message);
  dispatch(message);
}

function onConnectionState(stateName, code) {
  if (stateName === "reconnecting") {
    socketDropped = true;
    setStatus("Connection lost. Reconnecting…");
  } else if (stateName === "connected") {
    if (!socketDropped) setStatus("Connected.");
  } else if (stateName === "closed") {
    goodbye(code);
  }
  renderConnection();
}

function goodbye(code) {
  media.leave();
  local.stop();
  meter.detach();
  entered = false;
  if (code === 4401) {
    sessionStorage.removeItem(tokenKey);
    setStatus("Your place in this meeting has expired. You can join again below.");
    show("join");
    return;
  }
  sessionStorage.removeItem(tokenKey);
  const text = code === 4403 ? deniedMessage || "The facilitator couldn't let you in this time." : GOODBYES[code] || GOODBYES[4400];
  setStatus(text);
  $("end-heading").textContent = code === 4410 ? "You have left the meeting" : code === 4404 ? "The meeting has ended" : "Goodbye for now";
  $("end-message").textContent = text;
  $("rejoin-button").hidden = ![4410, 4409].includes(code);
  show("end-screen");
  $("end-heading").focus();
}

function connect(token) {
  connection = new Connection({ meetingId, token, onMessage, onState: onConnectionState });
  window.peerMeeting.connection = connection;
  connection.open();
}

// --- wiring ----------------------------------------------------------------------------

Object.assign(meeting, { view, send, notify, refresh: renderAll, facilitates: view.facilitates });

const prejoin = setupPrejoin({
  local,
  meter,
  onJoin: async ({ displayName, media: mediaChoice }) => {
    $("join-error").textContent = "";
    const response = await fetch("/api/join/", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": app.dataset.csrf },
      body: JSON.stringify({ meeting_id: meetingId, invite: app.dataset.invite, display_name: displayName, media: mediaChoice }),
    });
    const body = await response.json();
    if (!response.ok) {
      $("join-error").textContent = body.error.message;
      return;
    }
    if (mediaChoice === "text_only") local.stop();
    prejoin.stop();
    sessionStorage.setItem(tokenKey, body.token);
    setStatus("Connecting…");
    connect(body.token);
  },
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

function toggleMic() {
  if (!local.audioTrack) return;
  local.setMic(!local.micOn);
  setStatus(local.micOn ? "Microphone on." : "Microphone muted.");
  renderSelf();
}

async function toggleCamera() {
  if (!local.audioTrack || view.mode === "text") return;
  const problem = await local.setCamera(!local.videoTrack);
  if (problem) notify(DEVICE_PROBLEMS[problem]);
  setStatus(local.videoTrack ? "Your video is on." : "Your video is off.");
  renderSelf();
}

function toggleHand() {
  send({ type: view.hands.includes(view.you) ? "hand.lower" : "hand.raise" });
}

function togglePanel(buttonId, panelId, focusId) {
  const button = $(buttonId);
  if (button.hidden) return;
  const open = button.getAttribute("aria-expanded") !== "true";
  button.setAttribute("aria-expanded", String(open));
  $(panelId).hidden = !open;
  if (open && focusId) $(focusId).focus();
}

$("mic-button").addEventListener("click", toggleMic);
$("camera-button").addEventListener("click", toggleCamera);
$("hand-button").addEventListener("click", toggleHand);
$("mode-select").addEventListener("change", (event) => applyMode(event.target.value));
$("chat-toggle").addEventListener("click", () => togglePanel("chat-toggle", "chat-panel", "chat-text"));
$("people-toggle").addEventListener("click", () => togglePanel("people-toggle", "people-panel"));
$("facilitator-toggle").addEventListener("click", () => togglePanel("facilitator-toggle", "facilitator-panel"));
$("shortcuts-button").addEventListener("click", () => openDialog($("shortcuts-dialog")));
$("help-request-button").addEventListener("click", () => openDialog($("help-request-dialog")));
$("help-request-form").addEventListener("submit", (event) => {
  if (event.submitter?.value !== "send") return;
  const extra = $("help-request-text").value.trim();
  if (send({ type: "chat.send", audience: "facilitators", text: `${HELP_PREFIX} ${extra || "(no message)"}` })) {
    notify("The facilitators have been asked to help you. They will reply in the chat.");
  }
  $("help-request-text").value = "";
});
$("leave-button").addEventListener("click", () => send({ type: "leave" }));
$("lobby-leave").addEventListener("click", () => {
  if (!send({ type: "leave" })) goodbye(4410);
});
$("rejoin-button").addEventListener("click", () => location.reload());

setupShortcuts({
  m: toggleMic,
  v: toggleCamera,
  h: toggleHand,
  c: () => togglePanel("chat-toggle", "chat-panel", "chat-text"),
  p: () => togglePanel("people-toggle", "people-panel"),
  f: () => togglePanel("facilitator-toggle", "facilitator-panel"),
  "?": () => openDialog($("shortcuts-dialog")),
});

// Connection quality from the relay's packets to us: loss or jitter mark a tile "weak".
let lastStats = {};
setInterval(async () => {
  if (!media.pc || document.hidden) return;
  const stats = await media.inboundStats();
  const quality = {};
  for (const [pid, kinds] of Object.entries(stats)) {
    const now = kinds.video || kinds.audio;
    const before = lastStats[pid]?.video || lastStats[pid]?.audio;
    if (!now || !before) continue;
    const received = now.packetsReceived - before.packetsReceived;
    const lost = now.packetsLost - before.packetsLost;
    quality[pid] = lost > 0.05 * (received + lost) || now.jitter > 0.1 ? "weak" : "good";
  }
  lastStats = stats;
  view.quality = quality;
  renderGrid();
}, STATS_EVERY_MS);

const saved = sessionStorage.getItem(tokenKey);
if (saved) {
  show("room");
  $("room").hidden = true;
  $("join").hidden = true;
  setStatus("Connecting…");
  connect(saved);
} else {
  prejoin.start();
}
