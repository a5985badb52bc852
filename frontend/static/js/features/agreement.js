// The group agreement in the room: a facilitator shows it to everyone again
// (agreement.show); everyone gets it on screen until they dismiss it, and as a line in the
// chat, so text-only people and screen readers have it as text too. The server decides who
// may show it (a peer gets `forbidden`) and what the text is.
import { $, el } from "../dom.js";
import { meeting, onMessage } from "../plugins.js";


function linesOf(text) {
  return text.split("\n").map((line) => line.trim()).filter(Boolean);
}

export function mountAgreement() {
  const send = (m) => meeting.send(m);

  // The welcome's "see the crisis lines" opens the same dialog as the header's button.
  for (const link of document.querySelectorAll("[data-open-crisis]")) {
    link.addEventListener("click", () => $("crisis-button").click());
  }

  // --- the facilitator's button, in the facilitator tools -------------------------------
  $("facilitator-tools").append(
    el(
      "section",
      { id: "agreement-controls", "aria-labelledby": "agreement-controls-heading" },
      el("h3", { id: "agreement-controls-heading" }, "Group agreement"),
      el("p", { class: "hint" }, "Put the agreement on everyone's screen again, and in the chat."),
      el("button", { type: "button", id: "agreement-show", class: "secondary", onclick: () => send({ type: "agreement.show" }) }, "Show the agreement to everyone"),
    ),
  );

  // --- what everyone sees ----------------------------------------------------------------
  const card = el("dialog", { id: "agreement-shown", class: "agreement-shown", "aria-labelledby": "agreement-shown-heading" });
  $("prompt-mount").append(card);

  function showCard(m) {
    const who = m.by_role === "cofacilitator" ? `${m.by_name} (co-facilitator)` : m.by_name;
    const close = el("button", { type: "button", onclick: () => card.close() }, "Thanks, close");
    card.replaceChildren(
      el("h2", { id: "agreement-shown-heading" }, "Our group agreement"),
      el("p", { class: "hint" }, `${who} shared it again as a reminder for everyone.`),
      el("ul", { class: "agreement-text" }, ...linesOf(m.text).map((line) => el("li", {}, line))),
      el("div", { class: "actions" }, close),
    );
    if (card.open) card.close();
    card.show(); // not modal: the room goes on behind it
    close.focus();
  }

  function chatLine(m) {
    const item = el(
      "li",
      { class: "chat-item system agreement-line" },
      el("strong", {}, `${m.by_name} shared the group agreement: `),
      el("span", {}, linesOf(m.text).join(" ")),
    );
    $("chat-log").append(item);
    $("chat-log").scrollTop = $("chat-log").scrollHeight;
  }

  card.addEventListener("keydown", (event) => {
    if (event.key === "Escape") card.close();
  });
  onMessage("agreement.shown", (m) => {
    showCard(m);
    chatLine(m);
  });
}
