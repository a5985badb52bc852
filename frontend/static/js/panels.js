// Side panels: participants (each with a menu of actions, personmenu.js), raised hands, lobby queue.
// The chat's messages are chatview.js.
import { $, el } from "./dom.js";
import { setControl } from "./icons.js";
import { infoFor, personMenuButton, refreshPersonMenu } from "./personmenu.js";

// What the server verified: the owner signed in with an account; a co-facilitator came with a
// link (or was promoted) and was confirmed by a facilitator.
const ROLE_LABELS = { facilitator: "Facilitator · verified", cofacilitator: "Co-facilitator (invited)", peer: "Peer" };

export function nameOf(view, id) {
  const p = view.participants.get(id);
  return p ? p.name : "Someone";
}

function describe(view, p) {
  const parts = [ROLE_LABELS[p.role]];
  if (p.media === "text_only") parts.push("text only");
  if (p.media === "camera_mic" && p.audio !== "on") parts.push(p.audio === "off_by_facilitator" ? "muted by a facilitator" : "muted");
  if (p.media === "camera_mic" && p.video !== "on") parts.push(p.video === "off_by_facilitator" ? "video stopped by a facilitator" : "camera off");
  if (view.hands.includes(p.id)) parts.push("hand raised");
  if (p.connection === "reconnecting") parts.push("reconnecting…");
  return parts.join(", ");
}

export function renderParticipants(view, send) {
  const items = [...view.participants.values()].map((p) => {
    const you = p.id === view.you ? " (you)" : "";
    return el(
      "li",
      { class: "person", dataset: { participantId: p.id, role: p.role, media: p.media, connection: p.connection } },
      el("span", { class: "person-text" }, el("span", { class: "name" }, p.name + you), " ", el("span", { class: `badge role-${p.role}` }, describe(view, p)), ...infoFor(view, p, send)),
      personMenuButton(view, p, send),
    );
  });
  $("participants").replaceChildren(...items);
  $("people-count").textContent = String(view.participants.size);
  refreshPersonMenu(view);
}

export function renderHands(view, send) {
  const items = view.hands.map((id) => {
    const item = el("li", { dataset: { participantId: id } }, el("span", { class: "name" }, nameOf(view, id)));
    if (view.facilitates() && id !== view.you) {
      item.append(" ", el("button", { type: "button", class: "small", onclick: () => send({ type: "hand.lower", participant_id: id }) }, `Lower ${nameOf(view, id)}'s hand`));
    }
    return item;
  });
  $("hands").replaceChildren(...items);
  $("no-hands").hidden = view.hands.length > 0;
  const mine = view.hands.includes(view.you);
  setControl($("hand-button"), mine ? "Lower hand" : "Raise hand");
  $("hand-button").setAttribute("aria-pressed", String(mine));
}

let admitAllWired = false;

// Someone waiting with the co-facilitator role came with the co-facilitator link: the server
// lets only the meeting's owner (role "facilitator") confirm them.
function admitControls(view, p, send) {
  const admit = (label) => el("button", { type: "button", class: "small", onclick: () => send({ type: "lobby.admit", participant_id: p.id }) }, label);
  if (p.role !== "cofacilitator") return [admit(`Admit ${p.name}`), " "];
  const note = el("span", { class: "badge" }, "· came with the co-facilitator link");
  if (view.role !== "facilitator") return [note, " ", el("span", { class: "badge" }, "the meeting's owner confirms them"), " "];
  return [note, " ", admit(`Confirm ${p.name} as co-facilitator`), " "];
}

export function renderLobby(view, send) {
  if (!admitAllWired) {
    admitAllWired = true;
    $("lobby-admit-all").addEventListener("click", () => {
      send({ type: "lobby.admit_all" });
    });
  }
  const items = view.lobby.map((p) =>
    el(
      "li",
      { dataset: { participantId: p.id } },
      el("span", { class: "name" }, p.name),
      " ",
      el("span", { class: "badge" }, p.media === "text_only" ? "text only" : "camera & mic"),
      " ",
      p.latecomer ? el("span", { class: "badge latecomer" }, "latecomer: knocked after the meeting was locked") : null,
      p.latecomer ? " " : null,
      ...admitControls(view, p, send),
      el("button", { type: "button", class: "small danger", onclick: () => send({ type: "lobby.deny", participant_id: p.id }) }, `Turn ${p.name} away`),
    ),
  );
  $("lobby").replaceChildren(...items);
  $("lobby-admit-all").hidden = view.lobby.filter((p) => p.role !== "cofacilitator").length < 2; // the owner confirms those one by one
  $("lobby-empty").hidden = view.lobby.length > 0;
  $("lobby-count").textContent = String(view.lobby.length);
}
