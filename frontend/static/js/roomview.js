// The room's own view of the meeting: who is here, hands, lobby, chat, the speaker, and
// the connection pill. It keeps `view` up to date from the server's messages, which reach
// it through plugins.js like any feature's, and draws the panels and the grid.
import { $ } from "./dom.js";
import { closeDrawer, enterLayout } from "./layout.js";
import { addChat, removeChat } from "./chatview.js";
import { nameOf, renderHands, renderLobby, renderParticipants } from "./panels.js";
import { onMessage, onOtherError } from "./plugins.js";
import { showPreview } from "./prejoin.js";
import { setStatus, show } from "./screens.js";

export const view = {
  you: null,
  role: $("app").dataset.role,
  participants: new Map(),
  hands: [],
  lobby: [],
  speaker: null,
  remote: new Map(),
  quality: {},
  mode: "video",
  settings: { locked: false, allow_self_unmute: true },
  self: { videoTrack: null, muted: false, quality: "good" },
  facilitates: () => view.role === "facilitator" || view.role === "cofacilitator",
};

// Where this page is: the socket's and the media's ups and downs, and the server's last words.
export const page = {
  entered: false, // the first room.state of this page has arrived
  socketDropped: false,
  mediaWasConnected: false,
  deniedMessage: null, // lobby.denied's words, for the goodbye after it
  farewell: null, // removed's or meeting.ended's words, for the goodbye after them
};

let parts = null; // { local, media, grid, send, applyMode, onDenied }

export const me = () => view.participants.get(view.you);

export function renderGrid() {
  view.self.videoTrack = view.mode === "text" ? null : parts.local.videoTrack;
  view.self.muted = !parts.local.audioTrack || !parts.local.micOn;
  parts.grid.render(view);
}

export function renderConnection() {
  const { media } = parts;
  const pill = $("self-connection");
  const mediaState = media.state;
  let text = "Connected";
  let state = "good";
  if (page.socketDropped) [text, state] = ["Reconnecting…", "lost"];
  else if (media.wanted && mediaState !== "connected") [text, state] = ["Connecting audio and video…", "weak"];
  else if (mediaState === "failed") [text, state] = ["Audio and video stopped", "lost"];
  else if (!media.wanted) text = view.mode === "text" ? "Connected (text only)" : "Connected";
  pill.hidden = !page.entered;
  pill.textContent = text;
  pill.dataset.state = state;
  view.self.quality = state;
  const mediaReconnecting = media.wanted && page.mediaWasConnected && ["starting", "connecting"].includes(mediaState);
  $("reconnect-banner").hidden = !(page.socketDropped || mediaReconnecting);
  $("reconnect-banner").textContent = page.socketDropped ? "Connection lost. Reconnecting…" : "Reconnecting audio and video…";
  if (page.entered) renderGrid();
}

export function renderAll() {
  const { send } = parts;
  renderParticipants(view, send);
  renderHands(view, send);
  renderLobby(view, send);
  const facilitates = view.facilitates();
  $("facilitator-toggle").hidden = $("facilitator-item").hidden = !facilitates;
  $("lobby-panel").hidden = !facilitates;
  if (!facilitates) closeDrawer("facilitator-panel", { restoreFocus: false });
  $("help-request-button").hidden = facilitates;
  renderGrid();
}

function enterRoom(m) {
  view.you = m.you;
  view.participants = new Map(m.participants.map((p) => [p.id, p]));
  view.hands = m.hands;
  view.lobby = m.lobby || [];
  view.settings = m.settings;
  if (me()) view.role = me().role;
  $("chat-log").replaceChildren();
  m.chat.forEach(addChat);
  if (!page.entered) {
    page.entered = true;
    show("room");
    enterLayout();
    parts.applyMode(me()?.media === "text_only" ? "text" : "video");
  } else if (page.socketDropped) {
    parts.media.socketReconnected();
  }
  page.socketDropped = false;
  renderAll();
  renderConnection();
}

function listen() {
  const { local, send } = parts;
  onMessage("welcome", (m) => {
    view.you = m.participant_id;
    view.role = m.role;
  });
  onMessage("lobby.waiting", (m) => {
    setStatus(m.message);
    $("lobby-message").textContent = m.message;
    showPreview($("lobby-preview"), local);
    $("lobby-preview").hidden = !local.videoTrack;
    show("lobby-screen");
    $("lobby-screen-heading").focus?.();
  });
  onMessage("lobby.admitted", () => setStatus("You're in. Welcome."));
  onMessage("lobby.denied", (m) => {
    parts.onDenied();
    page.deniedMessage = m.message;
    setStatus(m.message);
  });
  onMessage("room.state", enterRoom);
  onMessage("participant.joined", (m) => {
    view.participants.set(m.participant.id, m.participant);
    renderAll();
    if (m.participant.id !== view.you) setStatus(`${m.participant.name} joined.`);
  });
  onMessage("participant.updated", (m) => {
    view.participants.set(m.participant.id, m.participant);
    if (m.participant.id === view.you) view.role = m.participant.role;
    renderAll();
  });
  onMessage("participant.left", (m) => {
    const name = nameOf(view, m.participant_id);
    view.participants.delete(m.participant_id);
    view.hands = view.hands.filter((id) => id !== m.participant_id);
    renderAll();
    setStatus(`${name} left the meeting.`);
  });
  onMessage("hands.updated", (m) => {
    view.hands = m.queue;
    renderParticipants(view, send);
    renderHands(view, send);
    renderGrid();
  });
  onMessage("lobby.updated", (m) => {
    const before = view.lobby.length;
    view.lobby = m.lobby;
    renderLobby(view, send);
    if (view.lobby.length > before) setStatus(`${view.lobby.length} waiting in the lobby.`);
  });
  // A help request also comes as an item of the attention queue (features/attention.js),
  // which alerts the facilitators; the chat only shows it.
  onMessage("chat.message", (m) => addChat(m.message));
  onMessage("chat.removed", (m) => removeChat(m.message_id));
  onMessage("media.speaker", (m) => {
    view.speaker = m.participant_id;
    renderGrid();
  });
  onMessage("media.track", () => renderGrid());
  onMessage("removed", (m) => (page.farewell = m.message));
  onMessage("meeting.ended", (m) => (page.farewell = m.message));
  // Errors no module explains: under the join form before the room, else under the chat.
  onOtherError((m) => {
    ($("room").hidden ? $("join-error") : $("chat-error")).textContent = m.message;
  });
}

// Registers the room's own handlers; call before any feature mounts, so the view is
// up to date when theirs run. `applyMode` may be given later (it needs selfmedia.js).
export function setupRoomView(given) {
  parts = given;
  listen();
}
