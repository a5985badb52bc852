// The room's controls: mic, camera, hand, mode, drawers (layout.js), chat, "Ask for help", leave,
// and the single-key shortcuts for them.
import { $ } from "./dom.js";
import { setControl } from "./icons.js";
import { toggleDrawer } from "./layout.js";
import { meeting, onMessage } from "./plugins.js";
import { openDialog, setupShortcuts } from "./shortcuts.js";

export function setupControls({ view, selfMedia, send, sendQuietly, sendChat, askForHelp, notify, applyMode, leftLobby, confirmLeave }) {
  $("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("chat-text").value.trim();
    if (!text) return;
    $("chat-error").textContent = "";
    sendChat(text);
    $("chat-text").value = "";
  });
  $("chat-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("chat-form").requestSubmit();
    }
  });

  const toggleMic = () => selfMedia.toggle("audio");
  const toggleCamera = () => selfMedia.toggle("video");
  // A hand raised or lowered while the socket is down is kept and sent after the next
  // room.state (the server's state of you when you are back), unless it already says so.
  let handWhenBack = null; // true: raise, false: lower
  const handUp = () => view.hands.includes(view.you);
  const sendHand = (up) => sendQuietly({ type: up ? "hand.raise" : "hand.lower" });
  const toggleHand = () => {
    const up = !(handWhenBack ?? handUp());
    if (sendHand(up)) {
      handWhenBack = null;
      return;
    }
    handWhenBack = up;
    $("hand-button").setAttribute("aria-pressed", String(up));
    setControl($("hand-button"), up ? "Lower hand" : "Raise hand");
    notify(up ? "Your hand will go up when the connection is back." : "Your hand will go down when the connection is back.");
  };
  onMessage("room.state", () => {
    if (handWhenBack === null) return;
    const up = handWhenBack;
    handWhenBack = null;
    if (up !== handUp()) sendHand(up);
  });

  $("mic-button").addEventListener("click", toggleMic);
  $("camera-button").addEventListener("click", toggleCamera);
  $("hand-button").addEventListener("click", toggleHand);
  $("mode-select").addEventListener("change", (event) => applyMode(event.target.value));
  $("shortcuts-button").addEventListener("click", () => openDialog($("shortcuts-dialog")));
  // In a breakout a feature takes the request (meeting.requestHelp); in the main room the
  // dialog's note goes to the facilitators as help.request.
  $("help-request-button").addEventListener("click", () => meeting.requestHelp?.() || openDialog($("help-request-dialog")));
  $("help-request-form").addEventListener("submit", (event) => {
    if (event.submitter?.value !== "send") return;
    if (askForHelp($("help-request-text").value.trim())) {
      notify("The facilitators have been asked to help you. One of them will reply to you privately.");
    }
    $("help-request-text").value = "";
  });
  $("leave-button").addEventListener("click", () => confirmLeave());
  $("lobby-leave").addEventListener("click", () => {
    if (!send({ type: "leave" })) leftLobby();
  });
  $("rejoin-button").addEventListener("click", () => location.reload());

  setupShortcuts({
    m: () => selfMedia.toggle("audio", { fromKey: true }),
    v: () => selfMedia.toggle("video", { fromKey: true }),
    h: toggleHand,
    c: () => toggleDrawer("chat-panel"),
    p: () => toggleDrawer("people-panel"),
    f: () => toggleDrawer("facilitator-panel"),
    "?": () => openDialog($("shortcuts-dialog")),
  });
}
