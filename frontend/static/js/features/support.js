// For everyone in the room (docs/protocol.md "Attention queue"): the crisis lines one step
// away on every screen, "I need support" (private: only the facilitators are told, and the
// person sees the crisis lines at once; they can withdraw it), and reporting a message or a
// person to the facilitators. The facilitators' side is features/attention.js.
import { $, el } from "../dom.js";
import { addChatActions, addPeerActions, meeting, onError, onMessage } from "../plugins.js";
import { openDialog } from "../shortcuts.js";

const EXPLAINED_ERRORS = ["note_too_long", "no_support_request", "invalid_reason", "nothing_to_report", "cannot_report_self", "message_not_found", "message_removed"];

export function mountSupport() {
  const view = meeting.view;
  const send = (m) => meeting.send(m);
  let support = { state: "none", note: "" };
  let inRoom = false;
  let reporting = null; // { message_id } or { participant_id }

  // --- crisis lines: the header's button, on every screen of the page ---------------------
  $("crisis-button").addEventListener("click", () => openDialog($("crisis-dialog")));

  // --- I need support ---------------------------------------------------------------------
  function render() {
    const button = $("need-support-button");
    button.hidden = !inRoom || view.facilitates();
    const open = support.state === "open";
    button.classList.toggle("requested", open);
    button.querySelector(".ctl-label").textContent = open ? "Support requested" : "I need support";
    $("support-ask").hidden = open;
    $("support-sent").hidden = !open;
  }

  $("need-support-button").addEventListener("click", () => {
    render();
    openDialog($("support-dialog"));
  });
  $("support-form").addEventListener("submit", (event) => {
    event.preventDefault(); // the dialog stays open: it shows the crisis lines
    if (event.submitter?.value !== "send") return;
    if (send({ type: "support.request", note: $("support-note").value.trim() })) $("support-note").value = "";
  });
  $("support-cancel").addEventListener("click", () => send({ type: "support.cancel" }));

  onMessage("room.state", (m) => {
    inRoom = true;
    support = m.support || { state: "none", note: "" };
    render();
  });
  onMessage("support.status", (m) => {
    const was = support.state;
    support = m.support;
    render();
    if (support.state === "open" && was !== "open") $("support-sent-text").focus?.();
    if (support.state === "handled" && was === "open") {
      meeting.notify("A facilitator has seen your request for support and will reach out to you privately.", { seconds: 60 });
    }
    if (support.state === "cancelled" && was === "open") {
      meeting.notify("Your request for support was withdrawn. You can ask again any time.");
      $("support-dialog").close();
    }
  });
  for (const type of ["removed", "meeting.ended", "lobby.denied"]) {
    onMessage(type, () => {
      inRoom = false;
      render();
    });
  }

  // --- reports ----------------------------------------------------------------------------
  function openReport(target, what) {
    reporting = target;
    $("report-what").textContent = what;
    $("report-note").value = "";
    openDialog($("report-dialog"));
  }
  $("report-form").addEventListener("submit", (event) => {
    if (event.submitter?.value !== "send" || !reporting) return;
    send({ type: "report.send", reason: $("report-reason").value, note: $("report-note").value.trim(), ...reporting });
    reporting = null;
  });
  onMessage("report.received", () => meeting.notify("Thank you. The facilitators have your report; only they see it."));

  const reportButton = (label, onclick) => el("button", { type: "button", class: "small link-button report-button", onclick }, label);
  addChatActions((m) => {
    if (m.audience !== "room" || m.sender_id === view.you || view.facilitates()) return [];
    return [reportButton("Report", () => openReport({ message_id: m.id }, `The message from ${m.sender_name}: “${m.text}”`))];
  });
  addPeerActions((p) => [
    el("button", { type: "button", class: "small", onclick: () => openReport({ participant_id: p.id }, `Reporting ${p.name}.`) }, `Report ${p.name} to the facilitators`),
  ]);

  onError(EXPLAINED_ERRORS, (error) => meeting.notify(error.message));
}
