// The facilitators' attention queue (docs/protocol.md "Attention queue"): help requests,
// "I need support", reports and knocks (everyone waiting in the lobby), oldest first, kept
// for the meeting. A new item chimes, shows a notice and counts in the tab title until it is
// handled; a knock does not, since the lobby already chimes, shows its notice and counts in
// the title (layout.js): one alert per arrival. "Reply privately" asks the private threads
// to open (the `open-private-thread` event).
import { $, el } from "../dom.js";
import { chime, openDrawer, setTitleCue } from "../layout.js";
import { meeting, onError, onMessage } from "../plugins.js";

const LABELS = { support: "Needs support", help: "Asked for help", report: "Report", knock: "In the lobby" };
const REASONS = {
  harassment: "Harassment or bullying",
  hurtful: "Hurtful or unkind",
  unsafe: "Someone may be unsafe",
  privacy: "Shares someone's private information",
  spam: "Spam or advertising",
  other: "Something else",
};

export function openPrivateThread(participantId) {
  document.dispatchEvent(new CustomEvent("open-private-thread", { detail: { participantId } }));
}

export function mountAttention() {
  const view = meeting.view;
  const send = (m) => meeting.send(m);
  let items = new Map(); // id -> item, in arrival order
  const notices = new Map(); // id -> its notice, removed once handled
  let openRooms = new Set(); // breakout ids, to offer "Go to" only while a room is open

  const openCount = () => [...items.values()].filter((i) => i.state === "open").length;
  // the title already counts the lobby (layout.js)
  const openBesidesLobby = () => [...items.values()].filter((i) => i.state === "open" && i.kind !== "knock").length;
  const time = (i) => (i.created_at ? new Date(i.created_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "");
  const button = (label, onclick, cls = "small") => el("button", { type: "button", class: cls, onclick }, label);

  function actions(i) {
    if (i.state !== "open") return [];
    const nodes = [];
    if (i.kind === "knock") {
      // Admit or turn away settles the knock; while they wait there is nothing else to mark.
      if (!view.lobby.some((p) => p.id === i.participant_id)) return [];
      const admit = i.cofacilitator_link ? `Confirm ${i.name} as co-facilitator` : `Admit ${i.name}`;
      if (!i.cofacilitator_link || view.role === "facilitator") nodes.push(button(admit, () => send({ type: "lobby.admit", participant_id: i.participant_id })));
      nodes.push(button("Turn away", () => send({ type: "lobby.deny", participant_id: i.participant_id }), "small secondary"));
      return nodes;
    } else if (view.participants.has(i.participant_id)) {
      nodes.push(button(i.kind === "report" ? `Reply to ${i.name} privately` : "Reply privately", () => openPrivateThread(i.participant_id)));
    }
    if (i.breakout_id && openRooms.has(i.breakout_id)) {
      nodes.push(button(`Go to ${i.breakout_name}`, () => send({ type: "breakout.join", breakout_id: i.breakout_id }), "small secondary"));
    }
    nodes.push(button("Mark handled", () => send({ type: "attention.handle", item_id: i.id }), "small secondary"));
    return nodes;
  }

  const KNOCK_OUTCOMES = { admitted: "Admitted", turned_away: "Turned away" };

  function outcome(i) {
    if (i.state === "handled") {
      const done = KNOCK_OUTCOMES[i.outcome] || "Handled";
      return i.handled_by_name ? `${done} by ${i.handled_by_name}` : done;
    }
    if (i.state === "cancelled") return i.kind === "knock" ? "Left the lobby" : "Withdrawn by the person";
    return null;
  }

  function report(i) {
    if (i.kind !== "report") return null;
    return el(
      "details",
      { class: "attention-report" },
      el("summary", {}, "Open the report"),
      el("p", {}, `${REASONS[i.reason] || i.reason}, about ${i.subject_name || "someone"}.`),
      i.message_text ? el("blockquote", {}, i.message_text) : null,
      el("p", { class: "hint" }, `Reported by ${i.name}. ${i.subject_name || "They"} ${i.subject_name ? "is" : "are"} not told.`),
    );
  }

  function knockMarks(i) {
    if (i.kind !== "knock") return null;
    const marks = [];
    if (i.latecomer) marks.push(el("span", { class: "badge latecomer" }, "latecomer: knocked after the meeting was locked"));
    if (i.cofacilitator_link) {
      const text = view.role === "facilitator" ? "came with the co-facilitator link: waits for your confirmation as the meeting's owner" : "came with the co-facilitator link: waits for the owner's confirmation; only the owner can admit them";
      marks.push(el("span", { class: "badge" }, text));
    }
    return marks.length ? el("p", { class: "attention-marks" }, ...marks) : null;
  }

  function card(i) {
    const who = i.kind === "report" ? `${i.name} reports ${i.subject_name || "someone"}` : i.name;
    return el(
      "li",
      { class: "attention-item", dataset: { kind: i.kind, state: i.state, itemId: i.id } },
      el("p", { class: "attention-head" }, el("strong", { class: `attention-kind kind-${i.kind}` }, LABELS[i.kind]), " ", el("span", { class: "name" }, who), " ", el("time", {}, time(i))),
      i.breakout_name ? el("p", { class: "hint" }, `In ${i.breakout_name}`) : null,
      knockMarks(i),
      i.note ? el("p", { class: "attention-note" }, `“${i.note}”`) : null,
      report(i),
      outcome(i) ? el("p", { class: "attention-outcome" }, outcome(i)) : el("div", { class: "actions" }, ...actions(i)),
    );
  }

  function render() {
    const facilitates = view.facilitates();
    const open = facilitates ? openCount() : 0;
    $("attention-toggle").hidden = !facilitates;
    $("attention-count").textContent = String(open);
    $("attention-count").dataset.open = String(open);
    $("attention-toggle").setAttribute("aria-label", `Attention queue, ${open} open`);
    const cue = facilitates ? openBesidesLobby() : 0;
    setTitleCue("attention", cue ? `${cue} need${cue === 1 ? "s" : ""} attention` : "");
    // arrival order, the open ones first: what is done moves out of the way
    const all = [...items.values()];
    const ordered = [...all.filter((i) => i.state === "open"), ...all.filter((i) => i.state !== "open")];
    $("attention-list").replaceChildren(...ordered.map(card));
    $("attention-empty").hidden = items.size > 0;
    for (const [id, notice] of notices) {
      if (items.get(id)?.state !== "open") {
        notice.remove();
        notices.delete(id);
      }
    }
  }

  function alert(i) {
    if (i.kind === "knock") return; // the lobby's own notice, chime and title cue say it
    chime(i.kind === "support" ? 523 : 660);
    // A breakout's call for help has its own notice, with "Go to" (features/breakouts.js).
    if (i.kind === "help" && i.breakout_id) return;
    const text = {
      support: `${i.name} needs support.`,
      help: i.breakout_name ? `${i.name} in ${i.breakout_name} asks for help.` : `${i.name} is asking for help.`,
      report: `${i.name} sent a report.`,
    }[i.kind];
    const notice = meeting.notify(text, { safety: true, action: { label: "Show the queue", run: () => openDrawer("attention-panel", { focus: true }) } });
    notices.set(i.id, notice);
  }

  // Opening the queue is seeing it: the alerts have done their work.
  $("attention-toggle").addEventListener("click", () => {
    for (const notice of notices.values()) notice.remove();
    notices.clear();
  });

  onMessage("room.state", (m) => {
    items = new Map((m.attention || []).map((i) => [i.id, i]));
    openRooms = new Set(m.breakouts.rooms.map((r) => r.id));
    render();
  });
  onMessage("breakouts.updated", (m) => {
    openRooms = new Set(m.rooms.map((r) => r.id));
    render();
  });
  onMessage("attention.item", (m) => {
    const isNew = !items.has(m.item.id);
    items.set(m.item.id, m.item);
    items = new Map([...items.values()].sort((a, b) => a.seq - b.seq).map((i) => [i.id, i]));
    render();
    if (isNew && m.item.state === "open") alert(m.item);
  });
  // The lobby and the rooms change which actions fit.
  for (const type of ["lobby.updated", "participant.joined", "participant.left"]) onMessage(type, render);
  onError(["attention_not_found"], (error) => meeting.notify(error.message));
}
