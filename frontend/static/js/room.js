// The meeting page's composition root: it makes the parts and plugs them together, then
// joins. The protocol client is protocol.js; the room's own view roomview.js; the features
// (features/facilitation.js, breakouts.js, checkins.js) plug in through plugins.js; the
// screens are screens.js, the buttons controls.js, the mode switch modes.js.
import { afterSend, chatChoice, mountChatCompose } from "./chatcompose.js";
import { ChatOutbox } from "./chatoutbox.js";
import { setupControls } from "./controls.js";
import { LevelMeter, LocalMedia } from "./devices.js";
import { $, el } from "./dom.js";
import { mountAgreement } from "./features/agreement.js";
import { mountBandwidth } from "./features/bandwidth.js";
import { mountBreakouts } from "./features/breakouts.js";
import { mountCheckins } from "./features/checkins.js";
import { mountFacilitation } from "./features/facilitation.js";
import { mountAttention } from "./features/attention.js";
import { mountSupport } from "./features/support.js";
import { mountGoround } from "./features/goround.js";
import { mountScreenshare } from "./features/screenshare.js";
import { mountVoice } from "./features/voice.js";
import { VideoGrid } from "./grid.js";
import { setupLeaving } from "./leaving.js";
import { MediaSession, plugMedia } from "./media.js";
import { mountLayout } from "./layout.js";
import { decorateTile } from "./personmenu.js";
import { modeSwitcher } from "./modes.js";
import { meeting } from "./plugins.js";
import { setupPrejoin } from "./prejoin.js";
import { CLOSE, ProtocolClient } from "./protocol.js";
import { rememberChoices } from "./rejoin.js";
import { page, renderAll, renderConnection, renderGrid, setupRoomView, view } from "./roomview.js";
import { notify, setStatus, show, showEnded, showGoodbye } from "./screens.js";
import { SelfMedia } from "./selfmedia.js";
import { startStatsPoller } from "./stats.js";
import { TileReporter } from "./tiles.js";

const app = $("app");
const meetingId = app.dataset.meetingId;
const tokenKey = `peer-meetings:${meetingId}`;

let client = null;
const sendQuietly = ({ type, ...fields }) => Boolean(client && client.send(type, fields));

function reported(ok) {
  if (!ok) setStatus("Not connected right now; trying again shortly.");
  return ok;
}

const send = (message) => reported(sendQuietly(message));

// --- the parts ----------------------------------------------------------------------

const local = new LocalMedia({
  onChange: (kind, track) => {
    media.replaceLocal(kind, track);
    selfMedia.render(); // the mic and camera buttons follow the server's state of you
  },
});
const meter = new LevelMeter($("mic-level"));
const grid = new VideoGrid($("grid"));
grid.onStale = () => renderGrid();
grid.decorate = decorateTile(send);
const tileSizes = new TileReporter({ grid, list: $("grid"), send: sendQuietly });
const media = new MediaSession({
  send: sendQuietly,
  local,
  onRemote: (remote) => {
    view.remote = remote;
    renderGrid();
    tileSizes.schedule();
  },
  onState: (state) => {
    if (state === "connected") page.mediaWasConnected = true;
    if (state === "connected") tileSizes.resend();
    if (state === "off") page.mediaWasConnected = false;
    renderConnection();
  },
  onNotice: notify,
});

// The order of these is the order in which modules get each message: the room's view first.
const roomView = { local, media, grid, send, applyMode: null, onDenied: () => sessionStorage.removeItem(tokenKey) };
setupRoomView(roomView);
const outbox = new ChatOutbox({ send: sendQuietly, meetingId, view }); // after the room view: it redraws the list first
plugMedia(media);
const selfMedia = new SelfMedia({ local, view, send, notify, announce: setStatus, onChange: () => renderGrid() });
const modes = modeSwitcher({ view, local, meter, media, selfMedia, send, notify, onChange: renderConnection });
roomView.applyMode = modes.apply;
selfMedia.chooseMode = modes.choose; // the mic and camera buttons while on text only
Object.assign(meeting, { view, send, notify, refresh: renderAll, facilitates: view.facilitates });
mountChatCompose();
mountFacilitation();
mountScreenshare({ media });
mountAgreement();
mountGoround();
mountVoice();
mountBandwidth();
mountBreakouts();
mountCheckins({ container: $("checkins-body") });
mountSupport();
mountAttention();
const lastChoices = rememberChoices({ meetingId, view });
const leaving = setupLeaving({ view, send });
mountLayout({ view, grid });
// A new network (Wi-Fi to mobile, back online) breaks the media path: start a new one.
window.addEventListener("online", () => media.networkChanged("back online"));
// (Chromium on phones says which kind; its other "change"s are new speed estimates only)
let networkType = navigator.connection?.type;
navigator.connection?.addEventListener("change", () => {
  if (navigator.connection.type === networkType) return;
  networkType = navigator.connection.type;
  media.networkChanged("a new kind of network");
});
window.peerMeeting = { view, media, local, selfMedia, modes, tileSizes }; // for tests and curious facilitators' devtools

// --- the socket, and what its close means ------------------------------------------------

function onConnectionState(stateName, code) {
  if (stateName === "reconnecting") {
    page.socketDropped = true;
    setStatus("Connection lost. Reconnecting…");
  } else if (stateName === "connected") {
    if (!page.socketDropped && $("room").hidden) setStatus("Connected.");
  } else if (stateName === "closed") {
    goodbye(code);
  }
  renderConnection();
}

function goodbye(code) {
  media.leave();
  local.stop();
  meter.detach();
  page.entered = false;
  sessionStorage.removeItem(tokenKey);
  outbox.forget();
  if (code === CLOSE.expired) {
    // Back on the pre-join form as the same person, camera on again if it was.
    view.participants = new Map(); // that participant is gone; the next join is a new one
    selfMedia.forget();
    const lobby = app.dataset.lobby === "true" && app.dataset.role === "peer"; // as the server decides a join
    setStatus(
      "Your place in this meeting has expired. You can join again below, as you were" +
        (lobby ? "; a facilitator will let you back in." : "."),
    );
    lastChoices.fillForm();
    show("join");
    prejoin.start();
    return;
  }
  if (code === CLOSE.ended) lastChoices.forget();
  showGoodbye(code, { denied: page.deniedMessage, farewell: page.farewell });
  leaving.onGoodbye();
}

function connect(token) {
  client = new ProtocolClient({ meetingId, token, onState: onConnectionState });
  window.peerMeeting.connection = client;
  client.open();
}

// --- joining ---------------------------------------------------------------------------

const prejoin = setupPrejoin({
  local,
  meter,
  onJoin: async function join({ displayName, media: mediaChoice, knock = false }) {
    $("join-error").textContent = "";
    const response = await fetch("/api/join/", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": app.dataset.csrf },
      // The join button is "I agree, join": pressing it accepts the group agreement shown above it.
      body: JSON.stringify({ meeting_id: meetingId, invite: app.dataset.invite, display_name: displayName, media: mediaChoice, knock, agreement_accepted: true }),
    });
    const body = await response.json();
    if (!response.ok) {
      $("join-error").textContent = body.error.message;
      // A locked meeting: a latecomer may knock, and a facilitator decides.
      if (body.error.can_knock) {
        $("join-error").append(
          " ",
          el("button", { type: "button", id: "knock-button", class: "small", onclick: () => join({ displayName, media: mediaChoice, knock: true }) }, "Knock: ask to be let in"),
        );
      }
      return;
    }
    if (mediaChoice === "text_only") local.stop();
    lastChoices.save({ name: displayName, media: mediaChoice, cameraOff: !local.videoTrack });
    prejoin.stop();
    sessionStorage.setItem(tokenKey, body.token);
    setStatus("Connecting…");
    connect(body.token);
  },
});

setupControls({
  view,
  selfMedia,
  send,
  sendQuietly,
  sendChat: (text) => {
    outbox.submit(text, chatChoice());
    afterSend();
  },
  askForHelp: (note) => reported(Boolean(client && client.askForHelp(note))),
  notify,
  applyMode: modes.choose,
  leftLobby: () => goodbye(CLOSE.left),
  confirmLeave: leaving.open,
});
startStatsPoller({ media, view, onChange: renderGrid });

const saved = sessionStorage.getItem(tokenKey);
if (app.dataset.ended === "true") {
  showEnded();
  leaving.onGoodbye();
} else if (saved) {
  show("room");
  $("room").hidden = true;
  $("join").hidden = true;
  setStatus("Connecting…");
  connect(saved);
} else {
  lastChoices.fillForm();
  prejoin.start();
}
