// Facilitation on the meeting page: room controls (mute everyone, lock, self-unmute, end),
// per-person actions (mute, stop video, ask to turn back on, remove), tile markers from
// the server's `audio`/`video` state, notices, and the "please unmute" question.
// Every power is decided on the server; this only asks and shows. Breakout rooms are in
// breakouts.js; your own microphone and camera in selfmedia.js.
import { $, el } from "../dom.js";
import { addParticipantActions, addTileIcons, meeting, onError, onMessage } from "../plugins.js";

const KIND_WORDS = { audio: "microphone", video: "camera" };
const ROLE_WORDS = { facilitator: "the facilitator", cofacilitator: "a co-facilitator" };
const EXPLAINED_ERRORS = ["protected_participant", "cannot_target_self", "not_muted", "no_request", "not_in_room", "meeting_ended"];

function byWhom(m) {
  return m.by_name ? `${m.by_name} (${ROLE_WORDS[m.by_role]})` : ROLE_WORDS[m.by_role];
}

function button(label, onclick, cls = "small") {
  return el("button", { type: "button", class: cls, onclick }, label);
}

function checkbox(id, label, onchange) {
  const input = el("input", { type: "checkbox", id });
  input.addEventListener("change", () => onchange(input.checked));
  return el("label", { class: "check", for: id }, input, " ", label);
}

function loadStyles() {
  if ($("facilitation-css")) return;
  document.head.append(el("link", { id: "facilitation-css", rel: "stylesheet", href: new URL("../../css/facilitation.css", import.meta.url).href }));
}

export function mountFacilitation() {
  loadStyles();
  const view = meeting.view;
  const send = (m) => meeting.send(m);
  const notify = (text, options) => meeting.notify(text, options);
  let roleOnly = false; // "when I mute someone, show only my role"

  // --- room controls, in the facilitator panel -----------------------------------------
  const endButton = button("End meeting for everyone", () => {
    if (confirm("End this meeting for everyone? Everyone's audio, video and chat stop.")) send({ type: "meeting.end" });
  }, "danger");
  $("facilitator-tools").append(
    el(
      "section",
      { id: "room-controls", "aria-labelledby": "room-controls-heading" },
      el("h3", { id: "room-controls-heading" }, "Room controls"),
      checkbox("setting-locked", "Lock the meeting (no new participants; the lobby keeps its queue)", (on) => send({ type: "room.configure", locked: on })),
      checkbox("setting-self-unmute", "Let people unmute themselves", (on) => send({ type: "room.configure", allow_self_unmute: on })),
      checkbox("setting-muted-on-entry", "Peers join muted (they can unmute themselves)", (on) => send({ type: "room.configure", muted_on_entry: on })),
      checkbox("setting-role-only", "When I mute someone, show only my role", (on) => (roleOnly = on)),
      el("div", { class: "actions" }, button("Mute everyone", () => send({ type: "mute.all", show_name: !roleOnly }), "secondary"), endButton),
    ),
  );

  function renderControls() {
    $("setting-locked").checked = view.settings.locked;
    $("setting-self-unmute").checked = view.settings.allow_self_unmute;
    $("setting-muted-on-entry").checked = view.settings.muted_on_entry;
  }

  // --- per person, in the participant list (facilitators only) -------------------------
  addParticipantActions((p) => {
    if (p.role === "facilitator") return []; // the meeting's own facilitator is protected
    const show_name = !roleOnly;
    const nodes = [];
    if (p.media === "camera_mic") {
      for (const kind of ["audio", "video"]) {
        const [off, ask] = kind === "audio" ? ["Mute", "Ask to unmute"] : ["Stop video of", "Ask to start video of"];
        if (p[kind] !== "off_by_facilitator") nodes.push(button(`${off} ${p.name}`, () => send({ type: "mute", kind, participant_id: p.id, show_name })));
        if (p[kind] !== "on") nodes.push(button(`${ask} ${p.name}`, () => send({ type: "unmute.ask", kind, participant_id: p.id })));
      }
    }
    const removals = [
      button(`Remove ${p.name}`, () => confirm(`Remove ${p.name} from the meeting?`) && send({ type: "participant.remove", participant_id: p.id }), "small danger"),
      button(`Remove ${p.name} (may not rejoin)`, () => confirm(`Remove ${p.name} and ask that they not rejoin?`) && send({ type: "participant.remove", participant_id: p.id, ban: true }), "small danger"),
    ];
    for (const removal of removals) removal.dataset.destructive = ""; // set apart in the person's menu
    nodes.push(...removals);
    return nodes;
  });

  // --- markers on everyone's tile, from the server's state -----------------------------
  addTileIcons((p) => {
    if (p.media !== "camera_mic") return [];
    const icons = [];
    if (p.audio !== "on") icons.push({ key: "muted", label: p.audio === "off_by_facilitator" ? "Muted by a facilitator" : "Muted" });
    if (p.video !== "on") icons.push({ key: "camera-off", label: p.video === "off_by_facilitator" ? "Video stopped by a facilitator" : "Camera off" });
    return icons;
  });

  // --- "please turn it back on": a question, never a switch ----------------------------
  const request = el("dialog", { id: "unmute-request", role: "alertdialog", "aria-labelledby": "unmute-request-heading", "aria-describedby": "unmute-request-text", class: "request" });
  $("prompt-mount").append(request);
  let asked = null; // the kind of the open question

  function answer(accept) {
    if (asked) send({ type: "unmute.answer", kind: asked, accept });
    asked = null;
    if (request.open) request.close();
  }
  request.addEventListener("cancel", (event) => {
    event.preventDefault(); // Escape is "keep it off", and the facilitator hears so
    answer(false);
  });

  function showRequest(m) {
    asked = m.kind;
    const who = byWhom(m).replace(/^./, (c) => c.toUpperCase());
    const word = KIND_WORDS[m.kind];
    request.replaceChildren(
      el("h2", { id: "unmute-request-heading" }, `Turn your ${word} on?`),
      el("p", { id: "unmute-request-text" }, `${who} asks you to turn your ${word} on. It stays off unless you say yes.`),
      el("div", { class: "actions" }, button(`Turn my ${word} on`, () => answer(true), ""), button("Keep it off", () => answer(false), "secondary")),
    );
    if (!request.open) request.showModal();
    request.querySelector("button").focus();
  }

  // --- messages --------------------------------------------------------------------------
  onMessage("room.state", renderControls);
  onMessage("room.settings", (m) => {
    const changedEntry = view.settings && view.settings.muted_on_entry !== m.muted_on_entry;
    view.settings = { locked: m.locked, allow_self_unmute: m.allow_self_unmute, muted_on_entry: m.muted_on_entry };
    renderControls();
    notify(
      `${m.locked ? "The meeting is locked: no new participants." : "The meeting is open to new participants."} ` +
        (m.allow_self_unmute ? "People can unmute themselves." : "Only a facilitator's request can unmute someone they muted.") +
        (changedEntry && meeting.facilitates() ? (m.muted_on_entry ? " Peers now join muted." : " Peers now join with their microphone on.") : ""),
    );
    meeting.refresh();
  });
  onMessage("muted", (m) => {
    const then = view.settings.allow_self_unmute ? "You can turn it back on when you are ready." : "They can ask you to turn it back on.";
    notify(`${m.kind === "audio" ? "You were muted" : "Your video was stopped"} by ${byWhom(m)}. ${then}`, { seconds: 30 });
  });
  onMessage("unmute.requested", showRequest);
  onMessage("unmute.answered", (m) => {
    const name = view.participants.get(m.participant_id)?.name || "Someone";
    notify(`${name} ${m.accepted ? "turned their" : "kept their"} ${KIND_WORDS[m.kind]} ${m.accepted ? "on" : "off"}.`);
  });
  onMessage("participant.updated", (m) => {
    // Turned back on by other means (a facilitator's own unmute, a lifted mute): nothing left to answer.
    if (m.participant.id === view.you && asked && m.participant[asked] === "on") {
      asked = null;
      request.close();
    }
  });
  onError(EXPLAINED_ERRORS, (error) => notify(error.message));
}
