// Breakout rooms on the meeting page (docs/protocol.md "Breakout rooms"), in #breakout-view:
// where you are, the rooms and who is in them, the countdown, choosing a room when peers
// may, asking for help from inside one; for facilitators also creating, assigning, moving,
// the timer, a broadcast and closing. The grid shows only the people in your own room.
import { $, el } from "../dom.js";
import { addParticipantActions, addTileFilter, meeting, onError, onMessage } from "../plugins.js";

const EXPLAINED_ERRORS = ["invalid_name", "too_many_breakouts", "no_breakouts", "breakout_not_found", "breakout_closed", "self_select_off", "not_in_breakout"];

function button(label, onclick, cls = "small") {
  return el("button", { type: "button", class: cls, onclick }, label);
}

function field(id, label, input) {
  return [el("label", { for: id }, label), input];
}

export function mountBreakouts() {
  const view = meeting.view;
  const send = (m) => meeting.send(m);
  const notify = (text, options) => meeting.notify(text, options);
  let state = { rooms: [], self_select: false };
  const helpWanted = new Set(); // rooms that asked for help, until a facilitator visits

  const roomOf = (id) => state.rooms.find((r) => r.members.includes(id)) || null;
  const myRoom = () => roomOf(view.you);
  const nameOf = (id) => view.participants.get(id)?.name || "Someone";

  // --- the view everyone sees -----------------------------------------------------------
  const where = el("p", { id: "my-breakout", class: "where" });
  const clock = el("p", { id: "breakout-time-left", class: "clock", role: "timer" });
  const list = el("ul", { id: "breakout-list", class: "people" });
  const mine = el("div", { class: "actions", id: "breakout-actions" });
  const manage = el("details", { id: "breakout-manage" }, el("summary", {}, "Manage breakout rooms"));
  // Not a landmark of its own: it fills the room's "Breakout rooms" drawer, which is one.
  const section = el(
    "div",
    { id: "breakouts", class: "panel breakouts" },
    where,
    clock,
    list,
    mine,
    manage,
  );
  $("breakout-view").append(section);

  // --- facilitators' tools ---------------------------------------------------------------
  const create = el(
    "form",
    { id: "breakout-create", class: "stack" },
    ...field("breakout-count", "Number of rooms", el("input", { id: "breakout-count", type: "number", min: "1", max: "50", value: "2" })),
    ...field("breakout-names", "Or their names, one per line", el("textarea", { id: "breakout-names", rows: "2" })),
    el("label", { class: "check", for: "breakout-self-select" }, el("input", { type: "checkbox", id: "breakout-self-select" }), " Let people choose their room"),
    el("button", { type: "submit" }, "Create rooms"),
  );
  create.addEventListener("submit", (event) => {
    event.preventDefault();
    const names = $("breakout-names").value.split("\n").map((n) => n.trim()).filter(Boolean);
    const self_select = $("breakout-self-select").checked;
    send(names.length ? { type: "breakout.create", names, self_select } : { type: "breakout.create", count: Number($("breakout-count").value), self_select });
    $("breakout-names").value = "";
  });

  const timer = el(
    "form",
    { id: "breakout-timer", class: "stack" },
    ...field("breakout-minutes", "Close all rooms after (minutes)", el("input", { id: "breakout-minutes", type: "number", min: "0.1", step: "any", value: "10" })),
    ...field("breakout-warn", "Warn everyone (seconds before)", el("input", { id: "breakout-warn", type: "number", min: "0", value: "60" })),
    el("button", { type: "submit" }, "Start timer"),
  );
  timer.addEventListener("submit", (event) => {
    event.preventDefault();
    const seconds = Math.max(5, Math.round(Number($("breakout-minutes").value) * 60));
    send({ type: "breakout.timer", seconds, warn_seconds: Number($("breakout-warn").value) });
  });

  const broadcast = el(
    "form",
    { id: "breakout-broadcast", class: "stack" },
    ...field("breakout-broadcast-text", "Broadcast to all rooms", el("input", { id: "breakout-broadcast-text", maxlength: "2000" })),
    el("button", { type: "submit" }, "Send to all rooms"),
  );
  broadcast.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("breakout-broadcast-text").value.trim();
    if (text) send({ type: "breakout.broadcast", text });
    $("breakout-broadcast-text").value = "";
  });

  const running = el(
    "div",
    { id: "breakout-running", class: "actions" },
    button("Assign automatically", () => send({ type: "breakout.assign", include_facilitators: $("breakout-include-facilitators").checked }), ""),
    el("label", { class: "check", for: "breakout-include-facilitators" }, el("input", { type: "checkbox", id: "breakout-include-facilitators" }), " Include facilitators"),
    button("Close all rooms", () => send({ type: "breakout.close_all" }), "danger"),
  );
  manage.append(running, el("div", { class: "manage-forms" }, timer, broadcast, create));

  // --- drawing ----------------------------------------------------------------------------
  function timeLeft() {
    const seconds = Math.max(0, Math.round((new Date(state.ends_at) - Date.now()) / 1000));
    return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  }

  function tick() {
    clock.textContent = state.ends_at && state.rooms.length ? `Time left: ${timeLeft()}` : "";
    clock.hidden = !clock.textContent;
  }

  function render() {
    const facilitates = meeting.facilitates();
    const open = state.rooms;
    const here = myRoom();
    section.hidden = !facilitates && !open.length;
    where.textContent = here ? `You are in ${here.name}.` : open.length ? "You are in the main room." : "No breakout rooms are open.";
    const mayChoose = facilitates || state.self_select;
    list.replaceChildren(
      ...open.map((r) => {
        const people = r.members.filter((id) => view.participants.has(id)).map(nameOf);
        const item = el("li", { dataset: { breakoutId: r.id } }, el("span", { class: "name" }, r.name), " ", el("span", { class: "badge" }, people.join(", ") || "nobody yet"));
        if (facilitates && helpWanted.has(r.id)) item.append(" ", el("strong", { class: "help-flag" }, "asked for help"));
        if (mayChoose && here?.id !== r.id) item.append(" ", button(facilitates ? `Visit ${r.name}` : `Join ${r.name}`, () => send({ type: "breakout.join", breakout_id: r.id })));
        if (facilitates) item.append(" ", button(`Close ${r.name}`, () => send({ type: "breakout.close", breakout_id: r.id }), "small danger"));
        return item;
      }),
    );
    list.hidden = !open.length;
    mine.replaceChildren();
    if (here && !facilitates) mine.append(button(`Ask a facilitator to come to ${here.name}`, () => send({ type: "breakout.help" }), "secondary"));
    if (here && mayChoose) mine.append(button("Return to the main room", () => send({ type: "breakout.join", breakout_id: null }), "secondary"));
    mine.hidden = !mine.children.length;
    manage.hidden = !facilitates;
    running.hidden = timer.hidden = broadcast.hidden = !open.length;
    $("chat-heading").textContent = here ? `Chat in ${here.name}` : "Chat";
    tick();
  }

  // A breakout sees and hears only itself (the relay enforces it); its grid shows only its people.
  addTileFilter((p) => roomOf(p.id)?.id === myRoom()?.id);

  addParticipantActions((p) => {
    const room = roomOf(p.id);
    const nodes = room ? [el("span", { class: "badge breakout" }, `in ${room.name}`)] : [];
    if (!state.rooms.length) return nodes;
    const select = el("select", { "aria-label": `Move ${p.name} to` }, el("option", { value: "" }, "Main room"));
    for (const r of state.rooms) select.append(el("option", { value: r.id }, r.name));
    select.value = room ? room.id : "";
    select.addEventListener("change", () => send({ type: "breakout.move", participant_id: p.id, breakout_id: select.value || null }));
    return [...nodes, select];
  });

  // Inside a breakout, "Ask for help" calls a facilitator to the room; in the main room
  // the page's own help.request to the facilitators does (controls.js).
  meeting.requestHelp = () => {
    if (!myRoom() || meeting.facilitates()) return false;
    send({ type: "breakout.help" });
    return true;
  };

  // --- messages ---------------------------------------------------------------------------
  function update(next) {
    const before = myRoom();
    state = next;
    const after = myRoom();
    if (after) helpWanted.delete(after.id);
    for (const id of helpWanted) if (!state.rooms.some((r) => r.id === id)) helpWanted.delete(id);
    if (after && before?.id !== after.id) notify(`You are now in ${after.name}.`);
    else if (!after && before && state.rooms.length) notify("You are back in the main room.");
    meeting.refresh();
    render();
  }

  onMessage("room.state", (m) => update(m.breakouts));
  onMessage("breakouts.updated", (m) => update({ rooms: m.rooms, self_select: m.self_select, ends_at: m.ends_at, warn_at: m.warn_at }));
  onMessage("participant.joined", render);
  onMessage("participant.left", render);
  onMessage("participant.updated", render);
  let warning = null; // the "close in …" notice, stale once the rooms have closed
  onMessage("breakouts.closed", (m) => {
    warning?.remove?.();
    notify(m.reason === "timer" ? "Time is up: breakout rooms have closed. Welcome back to the main room." : "Breakout rooms have closed. Welcome back to the main room.");
  });
  onMessage("breakout.warning", (m) => {
    const minutes = Math.round(m.seconds_left / 60);
    const left = m.seconds_left >= 60 ? `${minutes} minute${minutes === 1 ? "" : "s"}` : `${m.seconds_left} seconds`;
    warning = notify(`Breakout rooms close in ${left}. Everyone will come back to the main room.`, { seconds: 30 });
  });
  onMessage("breakout.broadcast", (m) => notify(`${m.sender_name} to all rooms: ${m.text}`, { seconds: 60 }));
  onMessage("breakout.help_requested", (m) => {
    if (m.participant_id === view.you) {
      notify("The facilitators have been told you would like help. Someone will come to your room.");
      return;
    }
    helpWanted.add(m.breakout_id);
    notify(`${m.name} in ${m.breakout_name} asks for help.`, {
      safety: true,
      action: { label: `Go to ${m.breakout_name}`, run: () => send({ type: "breakout.join", breakout_id: m.breakout_id }) },
    });
    render();
  });
  onError(EXPLAINED_ERRORS, (error) => notify(error.message));
  setInterval(tick, 1000);
  render();
}
