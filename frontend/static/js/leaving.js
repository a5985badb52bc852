// Leaving, confirmed. A peer (or a facilitator with others still facilitating) is asked
// once. The last facilitator present chooses: end the meeting for everyone, hand it over
// to someone present (leave's hand_over_to: the server makes them co-facilitator first),
// or leave anyway. And the goodbye screen: no dialog stays open over it, peers find a
// word of support there, facilitators their way back to the meetings.
import { $, el } from "./dom.js";
import { openDialog } from "./shortcuts.js";

const FACILITATING = new Set(["facilitator", "cofacilitator"]);

export function setupLeaving({ view, send }) {
  if (!$("leaving-css")) {
    const href = new URL("../css/leaving.css", import.meta.url).href;
    document.head.append(el("link", { id: "leaving-css", rel: "stylesheet", href }));
  }
  const dialog = el("dialog", { id: "leave-dialog", class: "leave-dialog", "aria-labelledby": "leave-heading" });
  document.body.append(dialog);

  let handedTo = null; // the name of whom we handed the meeting to, for the goodbye
  const others = () => [...view.participants.values()].filter((p) => p.id !== view.you && p.connection !== "offline");
  const lastFacilitator = () => view.facilitates() && !others().some((p) => FACILITATING.has(p.role));

  function act(message) {
    if (send(message)) dialog.close();
  }

  function button(text, onclick, className = "") {
    return el("button", { type: "button", class: className || null, text, onclick });
  }

  function handOver() {
    const people = others().filter((p) => p.connection === "online");
    if (people.length === 0) return null;
    const select = el(
      "select",
      { id: "hand-over-to" },
      ...people.map((p) => el("option", { value: p.id, text: p.name })),
    );
    return el(
      "div",
      { class: "leave-hand-over" },
      el("label", { for: "hand-over-to", text: "Hand the meeting over to" }),
      select,
      el("p", { class: "hint", text: "They become a co-facilitator, with every facilitator power, before you leave." }),
      button("Hand over and leave", () => {
        handedTo = select.selectedOptions[0]?.textContent || null;
        act({ type: "leave", hand_over_to: select.value });
      }),
    );
  }

  function open() {
    handedTo = null; // a refused hand-over (they had just left) leaves nobody handed to
    const last = lastFacilitator();
    const body = [el("h2", { id: "leave-heading", tabindex: "-1", text: "Leave the meeting?" })];
    if (last) {
      body.push(
        el("p", {
          text: "You are the last facilitator here. Without one, nobody can let people in from the lobby or answer a request for help.",
        }),
        button("End the meeting for everyone", () => act({ type: "meeting.end" }), "danger"),
        handOver(),
        el(
          "div",
          { class: "actions" },
          button("Leave anyway", () => act({ type: "leave" }), "secondary"),
          button("Stay", () => dialog.close(), "secondary"),
        ),
      );
    } else {
      const text = view.facilitates()
        ? "The other facilitators carry on with the group."
        : "You can come back with the same invite link while the meeting is on.";
      body.push(
        el("p", { text }),
        el(
          "div",
          { class: "actions" },
          button("Leave the meeting", () => act({ type: "leave" }), "danger"),
          button("Stay", () => dialog.close(), "secondary"),
        ),
      );
    }
    dialog.replaceChildren(...body.filter(Boolean));
    openDialog(dialog);
    dialog.querySelector("#leave-heading").focus();
  }

  // The goodbye screen: nothing that was open over the room stays open over it. The
  // meeting's owner gets the way back to their meetings, everyone else a word of support.
  function onGoodbye() {
    for (const open of document.querySelectorAll("dialog[open]")) open.close();
    if (handedTo) $("end-message").textContent = `You handed the meeting to ${handedTo}. Thank you for facilitating today.`;
    const owner = $("app").dataset.role === "facilitator";
    $("support-resources").hidden = owner;
    $("back-to-meetings").hidden = !owner;
  }

  return { open, onGoodbye };
}
