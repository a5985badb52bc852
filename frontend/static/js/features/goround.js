// The go-round (docs/protocol.md "Go-round"): a banner on the stage for everyone (whose turn,
// who is next, the time left as a gentle cue, "Pass" for the speaker), markers on the
// speaker's and the next person's tiles, the text-only speaker's turn in the chat, and the
// facilitators' tools (order by hand or shuffled, turn length, next, previous, pass, add a
// latecomer, end). The server decides everything; this asks and shows.
import { $, el } from "../dom.js";
import { openDrawer } from "../layout.js";
import { addTileIcons, meeting, onError, onMessage } from "../plugins.js";

const EXPLAINED_ERRORS = ["no_goround", "goround_running", "invalid_goround", "goround_at_start", "not_your_turn"];
const OUTCOME_WORDS = { waiting: "waiting", speaking: "speaking now", spoke: "shared", passed: "passed", skipped: "skipped (not here)" };
const LENGTHS = [["", "No timer"], ["60", "1 minute"], ["120", "2 minutes"], ["180", "3 minutes"], ["300", "5 minutes"]];

function button(label, onclick, cls = "small") {
  return el("button", { type: "button", class: cls, onclick }, label);
}

function loadStyles() {
  if ($("goround-css")) return;
  document.head.append(el("link", { id: "goround-css", rel: "stylesheet", href: new URL("../../css/goround.css", import.meta.url).href }));
}

function clock(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

// A soft two-note chime, quiet and short: a cue for the speaker, never a cut-off.
function chime() {
  try {
    const audio = new AudioContext();
    const gain = audio.createGain();
    gain.connect(audio.destination);
    gain.gain.setValueAtTime(0.0001, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.06, audio.currentTime + 0.05);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 1.2);
    for (const [freq, at] of [[660, 0], [880, 0.25]]) {
      const tone = audio.createOscillator();
      tone.type = "sine";
      tone.frequency.value = freq;
      tone.connect(gain);
      tone.start(audio.currentTime + at);
      tone.stop(audio.currentTime + 1.2);
    }
    setTimeout(() => audio.close(), 1500);
  } catch {
    // no audio output: the visual cue is there anyway
  }
}

export function mountGoround() {
  loadStyles();
  const view = meeting.view;
  const send = (m) => meeting.send(m);
  let go = null; // the latest go-round from the server, or null
  let cuedTurn = null; // the turn whose time-up cue has played
  const chat = new Map(); // chat message id -> { sender_id, sent_at, audience }
  let draft = []; // the facilitator's order before starting
  const leftOut = new Set(); // people the facilitator took out of that order

  const nameOf = (id) => go?.turns.find((t) => t.participant_id === id)?.name || view.participants.get(id)?.name || "Someone";
  const turnOf = (id) => go?.turns.find((t) => t.participant_id === id);

  // --- the banner on the stage, for everyone -------------------------------------------
  const announcer = el("p", { class: "visually-hidden", role: "status", "aria-live": "polite", id: "goround-announcer" });
  const now = el("p", { id: "goround-now", class: "goround-now" });
  const time = el("p", { id: "goround-time", class: "goround-time", role: "timer", "aria-live": "off" });
  const upNext = el("p", { id: "goround-next", class: "goround-next-line" });
  const mine = el("div", { id: "goround-mine", class: "actions" });
  const order = el("ol", { id: "goround-order", class: "goround-order" });
  const orderBox = el("details", { class: "goround-order-box" }, el("summary", {}, "Order"), order);
  const banner = el(
    "section",
    { id: "goround-banner", class: "goround-banner", "aria-label": "Go-round", hidden: true },
    el("div", { class: "goround-lines" }, now, upNext),
    time,
    mine,
    orderBox,
  );
  $("stage").insertBefore(banner, $("grid"));
  $("stage").append(announcer);

  // --- the facilitators' tools -----------------------------------------------------------
  const length = el("select", { id: "goround-length" }, ...LENGTHS.map(([value, label]) => el("option", { value }, label)));
  length.value = "120";
  const draftList = el("ol", { id: "goround-draft", class: "people goround-draft" });
  const setup = el(
    "div",
    { id: "goround-setup", class: "stack" },
    el("p", { class: "hint" }, "Everyone in the room, in this order. Move people, take someone out, or shuffle."),
    draftList,
    el("div", { class: "actions" }, button("Shuffle", () => {
      for (let i = draft.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [draft[i], draft[j]] = [draft[j], draft[i]];
      }
      renderTools();
    }, "secondary")),
    el("label", { for: "goround-length" }, "Time for each person (a gentle cue, nobody is cut off)"),
    length,
    el("div", { class: "actions" }, button("Start go-round", () => {
      const order = draft.filter((id) => view.participants.has(id));
      send({ type: "goround.start", order, seconds: length.value ? Number(length.value) : null });
    }, "")),
  );
  const comingList = el("ol", { id: "goround-coming", class: "people goround-draft" });
  const addSelect = el("select", { id: "goround-add-select", "aria-label": "Person to add to the go-round" });
  const nextButton = button("Next speaker", () => send({ type: "goround.next" }), "");
  const passButton = button("Mark as passed", () => send({ type: "goround.pass" }), "secondary");
  const nobodyComing = el("p", { class: "hint" }, "Nobody else is waiting for a turn.");
  const running = el(
    "div",
    { id: "goround-running", class: "stack" },
    el("div", { class: "actions" }, button("Previous", () => send({ type: "goround.previous" }), "secondary"), nextButton, passButton),
    el("h4", {}, "Still to come"),
    comingList,
    nobodyComing,
    el("div", { class: "actions" }, addSelect, button("Add to the go-round", () => {
      if (addSelect.value) send({ type: "goround.reorder", order: [...coming(), addSelect.value] });
    }, "small")),
    el("div", { class: "actions" }, button("End go-round", () => send({ type: "goround.end" }), "danger")),
  );
  const tools = el("section", { id: "goround-tools", "aria-labelledby": "goround-tools-heading" }, el("h3", { id: "goround-tools-heading" }, "Go-round"), setup, running);
  $("facilitator-tools").append(tools);

  const coming = () => (go ? go.turns.filter((t) => t.outcome === "waiting").map((t) => t.participant_id) : []);

  function moveIn(list, index, by) {
    const next = [...list];
    const [item] = next.splice(index, 1);
    next.splice(Math.min(Math.max(index + by, 0), next.length), 0, item);
    return next;
  }

  function orderRow(id, index, list, apply) {
    const name = nameOf(id);
    return el(
      "li",
      { dataset: { participantId: id } },
      el("span", { class: "name" }, name),
      " ",
      button("↑", () => apply(moveIn(list, index, -1)), "small"),
      button("↓", () => apply(moveIn(list, index, 1)), "small"),
      button("Take out", () => apply(list.filter((x) => x !== id)), "small"),
    );
  }
  // the arrows' names, for screen readers and tests
  function labelRows(list) {
    for (const li of list.children) {
      const name = li.querySelector(".name").textContent;
      const [up, down, out] = li.querySelectorAll("button");
      up.setAttribute("aria-label", `Move ${name} earlier`);
      down.setAttribute("aria-label", `Move ${name} later`);
      out.setAttribute("aria-label", `Take ${name} out of the go-round`);
    }
  }

  function renderTools() {
    tools.hidden = !meeting.facilitates();
    setup.hidden = Boolean(go);
    running.hidden = !go;
    if (!go) {
      const present = [...view.participants.keys()];
      draft = [...draft.filter((id) => view.participants.has(id)), ...present.filter((id) => !draft.includes(id) && !leftOut.has(id))];
      const apply = (next) => {
        for (const id of draft) if (!next.includes(id)) leftOut.add(id);
        draft = next;
        renderTools();
      };
      draftList.replaceChildren(...draft.map((id, i) => orderRow(id, i, draft, apply)));
      labelRows(draftList);
      return;
    }
    const list = coming();
    const apply = (next) => send({ type: "goround.reorder", order: next });
    comingList.replaceChildren(...list.map((id, i) => orderRow(id, i, list, apply)));
    labelRows(comingList);
    nobodyComing.hidden = list.length > 0;
    nextButton.hidden = passButton.hidden = go.finished;
    const inRound = new Set(go.turns.map((t) => t.participant_id));
    const others = [...view.participants.values()].filter((p) => !inRound.has(p.id));
    addSelect.replaceChildren(...others.map((p) => el("option", { value: p.id }, p.name)));
    addSelect.disabled = !others.length;
  }

  // --- drawing ------------------------------------------------------------------------------
  function secondsLeft() {
    if (!go?.seconds || !go.turn_started_at) return null;
    return go.seconds - (Date.now() - new Date(go.turn_started_at)) / 1000;
  }

  function tick() {
    const left = secondsLeft();
    const over = left !== null && left <= 0;
    time.hidden = left === null;
    time.textContent = left === null ? "" : over ? "Time is up. Take a moment to finish; there is no rush." : `${clock(left)} left`;
    banner.classList.toggle("time-up", over);
    if (over && cuedTurn !== go.turn_started_at) {
      cuedTurn = go.turn_started_at;
      if (go.current === view.you || meeting.facilitates()) chime();
    }
  }

  function render() {
    banner.hidden = !go;
    renderTools();
    markShares();
    if (!go) return;
    const current = turnOf(go.current);
    const yours = go.current === view.you;
    if (go.finished) now.textContent = "Go-round: everyone has had their turn.";
    else if (yours) now.textContent = current.text_only ? "Go-round: your turn. Write your share in the chat, or pass." : "Go-round: your turn. Share if you like, or pass.";
    else now.textContent = `Go-round: ${current.name}'s turn${current.text_only ? " (in the chat)" : ""}.`;
    if (!go.finished && !current.present) now.textContent += ` ${current.name} is not in the room right now.`;
    upNext.textContent = go.finished ? "" : go.next ? (go.next === view.you ? "You are next." : `Next: ${nameOf(go.next)}.`) : "This is the last turn.";
    mine.replaceChildren();
    if (yours) mine.append(button("Pass my turn", () => send({ type: "goround.pass" }), "secondary"));
    if (yours && current.text_only) mine.append(button("Open the chat", () => openDrawer("chat-panel", { focus: true }), "secondary"));
    if (meeting.facilitates() && !go.finished) mine.append(button("Next speaker", () => send({ type: "goround.next" }), "small"));
    if (meeting.facilitates() && go.finished) mine.append(button("End go-round", () => send({ type: "goround.end" }), "small"));
    mine.hidden = !mine.children.length;
    order.replaceChildren(
      ...go.turns.map((t) =>
        el("li", { class: `turn-${t.outcome}`, dataset: { participantId: t.participant_id } }, `${t.name} · ${OUTCOME_WORDS[t.outcome]}${t.text_only ? " (text)" : ""}`),
      ),
    );
    orderBox.querySelector("summary").textContent = `Order (${go.turns.length})`;
    tick();
  }

  // --- the chat: a text-only speaker's turn shows there; what they write in it is their share
  function chatLine(text) {
    const log = $("chat-log");
    log.append(el("li", { class: "chat-item system goround-line" }, el("p", { class: "text" }, text)));
    log.scrollTop = log.scrollHeight;
  }

  function markShares() {
    for (const [id, m] of chat) {
      const turn = turnOf(m.sender_id);
      const during = turn?.started_at && m.audience === "room" && m.sent_at >= turn.started_at && (!turn.ended_at || m.sent_at <= turn.ended_at);
      const item = $("chat-log").querySelector(`li[data-message-id="${id}"]`);
      if (!item || !during || item.classList.contains("goround-share")) continue;
      item.classList.add("goround-share");
      const label = el("p", { class: "share-label" }, "Go-round share");
      (item.querySelector(".chat-head") || item.querySelector(".sender"))?.after(label);
    }
  }

  function remember(m) {
    chat.set(String(m.id), { sender_id: m.sender_id, sent_at: new Date(m.sent_at).toISOString(), audience: m.audience });
  }

  function update(next, announce) {
    const before = go?.current;
    go = next ? { ...next, turns: next.turns.map((t) => ({ ...t, started_at: t.started_at && new Date(t.started_at).toISOString(), ended_at: t.ended_at && new Date(t.ended_at).toISOString() })) } : null;
    if (announce && go?.current && go.current !== before) {
      const current = turnOf(go.current);
      const who = go.current === view.you ? "your" : `${current.name}'s`;
      announcer.textContent = `Go-round: ${who} turn.${go.next ? ` Next: ${nameOf(go.next)}.` : ""}`;
      if (current.text_only) chatLine(`Go-round: it's ${current.name}'s turn. ${current.name} takes part in text, so their share comes here in the chat.`);
    } else if (announce && !go && before !== undefined) {
      announcer.textContent = "The go-round has ended.";
    } else if (announce && go?.finished) {
      announcer.textContent = "Go-round: everyone has had their turn.";
    }
    render();
    meeting.refresh(); // the tiles' markers, and the stage's room for the banner
  }

  addTileIcons((p) => {
    if (!go || go.finished) return [];
    const you = p.id === view.you;
    if (go.current === p.id) return [{ key: "goround-turn", label: you ? "Your turn" : "Their turn" }];
    if (go.next === p.id) return [{ key: "goround-next", label: you ? "You're next" : "Next" }];
    return [];
  });

  onMessage("room.state", (m) => {
    chat.clear();
    m.chat.forEach(remember);
    update(m.goround || null, false);
  });
  onMessage("goround.updated", (m) => update(m.goround || null, true));
  onMessage("chat.message", (m) => {
    remember(m.message);
    markShares();
  });
  onMessage("participant.joined", renderTools);
  onMessage("participant.left", renderTools);
  onMessage("participant.updated", renderTools);
  onError(EXPLAINED_ERRORS, (error) => meeting.notify(error.message));
  setInterval(() => go && tick(), 1000);
  renderTools();
}
