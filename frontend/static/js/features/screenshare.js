// Screen sharing on the meeting page: the "Share screen" button for those the server lets
// share, the facilitator's allow / take back / stop in each person's menu, the share on the
// stage (grid.js draws it, layout.js makes it large) and what everyone is told, in words.
// The server decides (rooms/screenshare.py); the relay sends a screen only while it agrees.
import { $, el } from "../dom.js";
import { icon, setControl } from "../icons.js";
import { addParticipantActions, addTileIcons, meeting, onError, onMessage } from "../plugins.js";

const ROLE_WORDS = { facilitator: "the facilitator", cofacilitator: "a co-facilitator" };
const EXPLAINED_ERRORS = ["share_not_permitted", "share_busy", "share_needs_media"];

function loadStyles() {
  if ($("screenshare-css")) return;
  document.head.append(el("link", { id: "screenshare-css", rel: "stylesheet", href: new URL("../../css/screenshare.css", import.meta.url).href }));
}

export function mountScreenshare({ media }) {
  loadStyles();
  const view = meeting.view;
  view.screenshare = { sharer: null, allowed: [], ownTrack: null };
  const share = view.screenshare;
  let capture = null; // the screen the browser gave us, until the share ends
  let starting = false;
  let watching = false; // a text-only person receiving the meeting's media to see the share

  // Text only means no media at all; to see a share, a text-only person receives (never sends).
  share.watch = () => {
    if (view.mode !== "text" || media.wanted) return;
    watching = true;
    media.join({ receiveVideo: true });
    meeting.refresh();
  };
  function stopWatching() {
    if (!watching) return;
    watching = false;
    if (view.mode === "text" && media.wanted) media.leave();
  }

  const nameOf = (id) => (id === view.you ? "You" : view.participants.get(id)?.name || "Someone");
  const me = () => view.participants.get(view.you);
  const mayShare = () => {
    const you = me();
    return Boolean(you) && you.media === "camera_mic" && view.mode !== "text" && (view.facilitates() || share.allowed.includes(view.you));
  };

  // --- the button ------------------------------------------------------------------------
  // Phones' browsers cannot capture a screen: there the share is only watched.
  const canCapture = Boolean(navigator.mediaDevices?.getDisplayMedia);
  const buttonNode = el("button", { id: "share-button", type: "button", class: "ctl wide-only", "aria-pressed": "false", hidden: true }, icon("monitor-up"), el("span", { class: "ctl-label" }, "Share screen"));
  $("hand-button").before(buttonNode);

  function renderButton() {
    const sharing = share.sharer === view.you;
    buttonNode.hidden = !canCapture || (!mayShare() && !sharing);
    buttonNode.setAttribute("aria-pressed", String(sharing));
    setControl(buttonNode, sharing ? "Stop sharing" : "Share screen", sharing ? "monitor-x" : "monitor-up");
    buttonNode.disabled = starting;
  }

  function stopCapture() {
    if (!capture) return;
    const track = capture;
    capture = null;
    share.ownTrack = null;
    track.onended = null;
    track.stop();
    media.setScreen(null);
  }

  async function startSharing() {
    starting = true;
    renderButton();
    try {
      // Asked for in the click itself: browsers give a screen only to a user's gesture.
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
      stopCapture();
      capture = stream.getVideoTracks()[0];
      capture.contentHint = "detail"; // text on a worksheet stays sharp rather than smooth
      // The browser's own "Stop sharing" bar ends the track: the share stops on the server too.
      capture.onended = () => {
        stopCapture();
        meeting.send({ type: "screen.stop" });
      };
      meeting.send({ type: "screen.start" });
    } catch (error) {
      if (error?.name !== "NotAllowedError" && error?.name !== "AbortError") meeting.notify("Your screen could not be shared on this device.");
    } finally {
      starting = false;
      renderButton();
    }
  }

  buttonNode.addEventListener("click", () => {
    if (share.sharer === view.you || capture) {
      stopCapture();
      meeting.send({ type: "screen.stop" });
    } else {
      startSharing();
    }
  });

  // --- what the server says ---------------------------------------------------------------
  function apply(state, { announce }) {
    const before = share.sharer;
    share.sharer = state?.sharer || null;
    share.allowed = state?.allowed || [];
    if (share.sharer === view.you && capture) {
      share.ownTrack = capture;
      media.setScreen(capture); // sent only now that the server agrees
    } else if (share.sharer !== view.you && capture && !starting) {
      stopCapture();
    } else if (share.sharer === view.you && !capture && !starting) {
      meeting.send({ type: "screen.stop" }); // a reloaded page has no screen left to send
    }
    if (!share.sharer || view.mode !== "text") stopWatching();
    if (announce && before !== share.sharer) {
      if (share.sharer === view.you) meeting.notify("You are sharing your screen. Everyone in the room can see it.");
      else if (share.sharer) meeting.notify(`${nameOf(share.sharer)} is sharing their screen.`);
      else if (before && before !== view.you) meeting.notify(`${nameOf(before)} stopped sharing their screen.`);
    }
    renderButton();
    meeting.refresh();
  }

  onMessage("room.state", (m) => apply(m.screenshare, { announce: false }));
  onMessage("screenshare.updated", (m) => {
    const wasAllowed = share.allowed.includes(view.you);
    apply(m, { announce: true });
    const allowed = share.allowed.includes(view.you);
    if (allowed !== wasAllowed && !view.facilitates()) {
      meeting.notify(allowed ? "A facilitator has allowed you to share your screen (Share screen, in the controls)." : "You can no longer share your screen.");
    }
  });
  onMessage("screenshare.stopped", (m) => {
    stopCapture();
    const who = m.by_name ? `${m.by_name} (${ROLE_WORDS[m.by_role]})` : "The meeting's rules";
    const why = {
      facilitator: `${who} stopped your screen share.`,
      replaced: `${who} started sharing their screen, so yours stopped.`,
      revoked: `${who} stopped your screen share and took back your permission to share.`,
      no_longer_allowed: "Your screen share stopped: you can no longer share in this meeting.",
    }[m.reason];
    meeting.notify(why, { seconds: 30 });
  });
  onMessage("participant.updated", () => renderButton());
  onError(EXPLAINED_ERRORS, (error) => {
    stopCapture();
    meeting.notify(error.message);
    renderButton();
  });

  // --- facilitators: allow, take back, stop, in the person's menu ------------------------
  addParticipantActions((p) => {
    const nodes = [];
    if (share.sharer === p.id && p.id !== view.you) {
      nodes.push(el("button", { type: "button", class: "small", onclick: () => meeting.send({ type: "screen.stop", participant_id: p.id }) }, `Stop ${p.name}'s screen share`));
    }
    if (p.role === "peer" && p.media === "camera_mic") {
      const allowed = share.allowed.includes(p.id);
      const label = allowed ? `Take back ${p.name}'s permission to share their screen` : `Let ${p.name} share their screen`;
      nodes.push(el("button", { type: "button", class: "small", onclick: () => meeting.send({ type: "screen.allow", participant_id: p.id, allowed: !allowed }) }, label));
    }
    return nodes;
  });

  addTileIcons((p) => (share.sharer === p.id ? [{ key: "sharing", label: "Sharing their screen" }] : []));
  renderButton();
  return { renderButton };
}
