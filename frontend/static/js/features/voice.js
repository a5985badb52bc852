// Share of voice, for facilitators only (docs/protocol.md "Share of voice"): who has not
// spoken yet this meeting, and a bar per person, from the relay's `voice.share` (seconds
// counted from RTP audio levels; the server sends it to facilitators and nobody else).
import { $, el } from "../dom.js";
import { meeting, onMessage } from "../plugins.js";

// Under this many seconds someone has not really spoken yet (a cough, a "hi").
const SPOKEN_SECONDS = 3;

function duration(seconds) {
  const s = Math.round(seconds);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

export function mountVoice() {
  const view = meeting.view;
  let seconds = {};
  const quiet = el("p", { id: "voice-not-spoken", class: "voice-not-spoken" });
  const textOnlyLine = el("p", { id: "voice-text-only", class: "voice-text-only hint" });
  const bars = el("ul", { id: "voice-bars", class: "voice-bars" });
  const section = el(
    "section",
    { id: "voice-share", "aria-labelledby": "voice-share-heading" },
    el("h3", { id: "voice-share-heading" }, "Share of voice"),
    quiet,
    textOnlyLine,
    bars,
    el("p", { class: "hint" }, "Only facilitators see this. Seconds of speaking this meeting, from audio levels; nothing is recorded, and it is forgotten when the meeting ends."),
  );
  $("facilitator-tools").append(section);

  function render() {
    section.hidden = !meeting.facilitates();
    if (section.hidden) return;
    const people = [...view.participants.values()].filter((p) => p.id !== view.you);
    const voiced = people.filter((p) => p.media === "camera_mic");
    const notYet = voiced.filter((p) => (seconds[p.id] || 0) < SPOKEN_SECONDS).map((p) => p.name);
    const textOnly = people.filter((p) => p.media !== "camera_mic").map((p) => p.name);
    quiet.textContent = voiced.length ? (notYet.length ? `Not spoken yet: ${notYet.join(", ")}` : "Everyone has spoken.") : "Nobody else is here with a microphone.";
    textOnlyLine.textContent = textOnly.length ? `Text only (not counted; they share in the chat): ${textOnly.join(", ")}` : "";
    textOnlyLine.hidden = !textOnly.length;
    const most = Math.max(SPOKEN_SECONDS, ...voiced.map((p) => seconds[p.id] || 0));
    bars.replaceChildren(
      ...voiced
        .sort((a, b) => (seconds[b.id] || 0) - (seconds[a.id] || 0))
        .map((p) => {
          const s = seconds[p.id] || 0;
          const bar = el("span", { class: "voice-bar", style: `width: ${Math.round((100 * s) / most)}%` });
          return el(
            "li",
            { dataset: { participantId: p.id }, "aria-label": `${p.name}: ${duration(s)}` },
            el("span", { class: "voice-name" }, p.name),
            el("span", { class: "voice-track", "aria-hidden": "true" }, bar),
            el("span", { class: "voice-seconds" }, duration(s)),
          );
        }),
    );
  }

  onMessage("voice.share", (m) => {
    seconds = m.seconds;
    render();
  });
  for (const type of ["room.state", "participant.joined", "participant.left", "participant.updated"]) onMessage(type, render);
  render();
}
