// Facilitation on the meeting page: mute and video controls, room settings, remove, end,
// and breakout rooms. Every power is decided on the server; this only asks and shows.
//
// mountFacilitation() builds its own panels inside the room and returns
//   handle(message)           call with every server message (after the page's own handler)
//   participantControls(p)    nodes to add to a participant's list item
// When the server turns this person's audio or video off (or they accept turning it back
// on) a "facilitation:media" event { kind: "audio"|"video", on: bool } is dispatched on
// document, so the page's media code can stop or restart its own track.

const KIND_WORDS = { audio: "microphone", video: "camera" };
const ROLE_WORDS = { facilitator: "the facilitator", cofacilitator: "a co-facilitator" };

export function mountFacilitation({ app, view, send, el, facilitates, rerender }) {
  const $ = (id) => document.getElementById(id);
  const local = { settings: { locked: false, allow_self_unmute: true }, breakouts: { rooms: [], self_select: false }, timer: null };

  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = new URL("../css/facilitation.css", import.meta.url).href;
  document.head.append(css);

  if (app.dataset.ended === "true") {
    $("join").hidden = true;
    $("status").textContent = "This meeting has ended. Thank you for being here, and take care.";
  }

  // --- panels ----------------------------------------------------------------------------
  const notice = el("p", { id: "facilitation-notice", role: "status", "aria-live": "polite", class: "notice" });
  const request = el("div", { id: "unmute-request", role: "alertdialog", "aria-labelledby": "unmute-request-text", class: "request", hidden: "" });
  const mine = el("div", { id: "my-media", class: "actions" });
  const controls = el("section", { id: "facilitation-panel", "aria-labelledby": "facilitation-heading", hidden: "" });
  const rooms = el("section", { id: "breakouts-panel", "aria-labelledby": "breakouts-heading" });
  const side = document.querySelector("#room .side");
  side.prepend(notice, request);
  side.append(mine, controls, rooms);

  function say(text) {
    notice.textContent = text;
  }

  function me() {
    return view.participants.get(view.you);
  }

  function nameOf(id) {
    const p = view.participants.get(id);
    return p ? p.name : "Someone";
  }

  function myRoom() {
    return local.breakouts.rooms.find((r) => r.members.includes(view.you)) || null;
  }

  function button(label, onclick, cls = "small") {
    return el("button", { type: "button", class: cls, onclick }, label);
  }

  // --- my own microphone and camera -------------------------------------------------------
  function renderMine() {
    mine.replaceChildren();
    const self = me();
    if (!self || self.media !== "camera_mic") return;
    for (const kind of ["audio", "video"]) {
      const state = self[kind];
      const off = state !== "on";
      const locked = state === "off_by_facilitator" && !local.settings.allow_self_unmute && !facilitates();
      const label = kind === "audio" ? (off ? "Unmute me" : "Mute me") : off ? "Start my video" : "Stop my video";
      const b = button(label, () => send({ type: off ? "unmute" : "mute", kind }), "");
      b.setAttribute("aria-pressed", String(off));
      if (locked) {
        b.disabled = true;
        b.title = `A facilitator turned your ${KIND_WORDS[kind]} off. They can ask you to turn it back on.`;
      }
      mine.append(b);
      if (locked) mine.append(el("span", { class: "hint" }, b.title));
    }
  }

  function showRequest(m) {
    const who = m.by_name ? `${m.by_name} (${ROLE_WORDS[m.by_role]})` : ROLE_WORDS[m.by_role].replace(/^./, (c) => c.toUpperCase());
    const answer = (accept) => () => {
      send({ type: "unmute.answer", kind: m.kind, accept });
      request.hidden = true;
      if (accept) document.dispatchEvent(new CustomEvent("facilitation:media", { detail: { kind: m.kind, on: true } }));
    };
    request.replaceChildren(
      el("p", { id: "unmute-request-text" }, `${who} asks you to turn your ${KIND_WORDS[m.kind]} on. It stays off unless you say yes.`),
      button(`Turn my ${KIND_WORDS[m.kind]} on`, answer(true), ""),
      " ",
      button("Keep it off", answer(false), ""),
    );
    request.hidden = false;
    request.querySelector("button").focus();
  }

  // --- facilitator panel ------------------------------------------------------------------
  function checkbox(id, label, checked, onchange) {
    const input = el("input", { type: "checkbox", id });
    input.checked = checked;
    input.addEventListener("change", () => onchange(input.checked));
    return el("label", { class: "check", for: id }, input, " ", label);
  }

  // Built once, so nothing typed or ticked is lost when the room changes.
  const endButton = button("End meeting for everyone", () => {
    if (confirm("End this meeting for everyone? Everyone's audio, video and chat stop.")) send({ type: "meeting.end" });
  }, "danger");
  controls.append(
    el("h2", { id: "facilitation-heading" }, "Room controls"),
    checkbox("setting-locked", "Lock the meeting (no new participants; the lobby keeps its queue)", false, (on) => send({ type: "room.configure", locked: on })),
    checkbox("setting-self-unmute", "Let people unmute themselves", true, (on) => send({ type: "room.configure", allow_self_unmute: on })),
    checkbox("setting-role-only", "When I mute someone, show only my role", false, (on) => (local.roleOnly = on)),
    el("div", { class: "actions" }, button("Mute everyone", () => send({ type: "mute.all", show_name: !local.roleOnly }), ""), endButton),
  );

  function renderControls() {
    controls.hidden = !facilitates();
    $("setting-locked").checked = local.settings.locked;
    $("setting-self-unmute").checked = local.settings.allow_self_unmute;
  }

  function participantControls(p) {
    const nodes = [];
    const room = local.breakouts.rooms.find((r) => r.members.includes(p.id));
    if (room) nodes.push(" ", el("span", { class: "badge breakout" }, `in ${room.name}`));
    if (p.audio !== "on") nodes.push(" ", el("span", { class: "badge muted" }, p.audio === "off_by_self" ? "muted" : "muted by a facilitator"));
    if (p.video !== "on") nodes.push(" ", el("span", { class: "badge muted" }, "video off"));
    if (!facilitates() || p.id === view.you) return nodes;
    const show_name = !local.roleOnly;
    const buttons = el("span", { class: "person-controls" });
    if (p.role !== "facilitator" && p.media === "camera_mic") {
      for (const kind of ["audio", "video"]) {
        const verb = kind === "audio" ? ["Mute", "Ask to unmute"] : ["Stop video of", "Ask to start video of"];
        if (p[kind] === "off_by_facilitator") {
          buttons.append(button(`${verb[1]} ${p.name}`, () => send({ type: "unmute.ask", kind, participant_id: p.id })));
        } else {
          buttons.append(button(`${verb[0]} ${p.name}`, () => send({ type: "mute", kind, participant_id: p.id, show_name })));
          if (p[kind] === "off_by_self") buttons.append(button(`${verb[1]} ${p.name}`, () => send({ type: "unmute.ask", kind, participant_id: p.id })));
        }
      }
    }
    if (p.role !== "facilitator") {
      buttons.append(
        button(`Remove ${p.name}`, () => confirm(`Remove ${p.name} from the meeting?`) && send({ type: "participant.remove", participant_id: p.id })),
        button(`Remove ${p.name} (may not rejoin)`, () => confirm(`Remove ${p.name} and ask that they not rejoin?`) && send({ type: "participant.remove", participant_id: p.id, ban: true }), "small danger"),
      );
    }
    if (local.breakouts.rooms.length) {
      const select = el("select", { "aria-label": `Move ${p.name} to` });
      select.append(el("option", { value: "" }, "Main room"));
      for (const r of local.breakouts.rooms) select.append(el("option", { value: r.id }, r.name));
      select.value = room ? room.id : "";
      select.addEventListener("change", () => send({ type: "breakout.move", participant_id: p.id, breakout_id: select.value || null }));
      buttons.append(select);
    }
    nodes.push(" ", buttons);
    return nodes;
  }

  // --- breakout rooms -----------------------------------------------------------------------
  function timeLeft() {
    if (!local.breakouts.ends_at) return "";
    const seconds = Math.max(0, Math.round((new Date(local.breakouts.ends_at) - Date.now()) / 1000));
    return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  }

  function tickTimer() {
    const clock = $("breakout-time-left");
    if (clock) clock.textContent = local.breakouts.ends_at ? `Time left: ${timeLeft()}` : "";
  }

  function renderCreateForm() {
    const form = el("form", { id: "breakout-create", class: "stack" });
    form.append(
      el("label", { for: "breakout-count" }, "Number of rooms"),
      el("input", { id: "breakout-count", type: "number", min: "1", max: "50", value: "2" }),
      el("label", { for: "breakout-names" }, "Or their names, one per line"),
      el("textarea", { id: "breakout-names", rows: "2" }),
      checkbox("breakout-self-select", "Let people choose their room", false, () => {}),
      el("button", { type: "submit" }, "Create rooms"),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const names = $("breakout-names").value.split("\n").map((n) => n.trim()).filter(Boolean);
      const self_select = $("breakout-self-select").checked;
      send(names.length ? { type: "breakout.create", names, self_select } : { type: "breakout.create", count: Number($("breakout-count").value), self_select });
    });
    return form;
  }

  function renderRunning() {
    const timer = el("form", { id: "breakout-timer", class: "stack" });
    timer.append(
      el("label", { for: "breakout-minutes" }, "Close all rooms after (minutes)"),
      el("input", { id: "breakout-minutes", type: "number", min: "0.1", step: "any", value: "10" }),
      el("label", { for: "breakout-warn" }, "Warn everyone (seconds before)"),
      el("input", { id: "breakout-warn", type: "number", min: "0", value: "60" }),
      el("button", { type: "submit" }, "Start timer"),
    );
    timer.addEventListener("submit", (event) => {
      event.preventDefault();
      const seconds = Math.max(5, Math.round(Number($("breakout-minutes").value) * 60));
      send({ type: "breakout.timer", seconds, warn_seconds: Number($("breakout-warn").value) });
    });
    const broadcast = el("form", { id: "breakout-broadcast", class: "stack" });
    broadcast.append(
      el("label", { for: "breakout-broadcast-text" }, "Broadcast to all rooms"),
      el("input", { id: "breakout-broadcast-text", maxlength: "2000" }),
      el("button", { type: "submit" }, "Send to all rooms"),
    );
    broadcast.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = $("breakout-broadcast-text").value.trim();
      if (text) send({ type: "breakout.broadcast", text });
      $("breakout-broadcast-text").value = "";
    });
    const include = checkbox("breakout-include-facilitators", "Include facilitators", false, () => {});
    return [
      el("div", { class: "actions" },
        button("Assign automatically", () => send({ type: "breakout.assign", include_facilitators: $("breakout-include-facilitators").checked }), ""),
        include,
        button("Close all rooms", () => send({ type: "breakout.close_all" }), "danger"),
      ),
      timer,
      broadcast,
    ];
  }

  const live = el("div", { id: "breakouts-live" });
  const running = el("div", { id: "breakout-running" }, ...renderRunning());
  const tools = el("div", { id: "breakout-tools" }, running, renderCreateForm());
  rooms.append(el("h2", { id: "breakouts-heading" }, "Breakout rooms"), live, tools);

  function renderBreakouts() {
    const open = local.breakouts.rooms;
    const here = myRoom();
    const parts = [el("p", { id: "my-breakout", class: "where" }, here ? `You are in ${here.name}.` : open.length ? "You are in the main room." : "No breakout rooms are open.")];
    parts.push(el("p", { id: "breakout-time-left", class: "hint" }));
    if (here) parts.push(button("Ask for help", () => send({ type: "breakout.help" }), ""));
    const list = el("ul", { id: "breakout-list", class: "people" });
    for (const r of open) {
      const item = el("li", { dataset: { breakoutId: r.id } }, el("span", { class: "name" }, r.name), " ", el("span", { class: "badge" }, r.members.filter((id) => view.participants.has(id)).map(nameOf).join(", ") || "nobody yet"));
      const mayGo = facilitates() || local.breakouts.self_select;
      if (mayGo && (!here || here.id !== r.id)) item.append(" ", button(facilitates() ? `Visit ${r.name}` : `Join ${r.name}`, () => send({ type: "breakout.join", breakout_id: r.id })));
      if (facilitates()) item.append(" ", button(`Close ${r.name}`, () => send({ type: "breakout.close", breakout_id: r.id }), "small danger"));
      list.append(item);
    }
    if (open.length) parts.push(list);
    if (here && (facilitates() || local.breakouts.self_select)) parts.push(button("Return to the main room", () => send({ type: "breakout.join", breakout_id: null }), ""));
    live.replaceChildren(...parts);
    tools.hidden = !facilitates();
    running.hidden = !open.length;
    const heading = $("chat-heading");
    if (heading) heading.textContent = here ? `Chat in ${here.name}` : "Chat";
    tickTimer();
  }

  function renderAll() {
    renderMine();
    renderControls();
    renderBreakouts();
  }

  // --- messages -------------------------------------------------------------------------------
  const handlers = {
    "room.state"(m) {
      local.settings = m.settings;
      local.breakouts = m.breakouts;
      rerender();
      renderAll();
    },
    "participant.updated"(m) {
      if (m.participant.id === view.you) renderAll();
    },
    "participant.joined": () => renderBreakouts(),
    "participant.left": () => renderBreakouts(),
    "room.settings"(m) {
      local.settings = { locked: m.locked, allow_self_unmute: m.allow_self_unmute };
      say(`${m.locked ? "The meeting is locked: no new participants." : "The meeting is open to new participants."} ${m.allow_self_unmute ? "People can unmute themselves." : "Only a facilitator's request can unmute someone they muted."}`);
      renderAll();
    },
    muted(m) {
      const who = m.by_name ? `${m.by_name} (${ROLE_WORDS[m.by_role]})` : ROLE_WORDS[m.by_role];
      say(m.kind === "audio" ? `You were muted by ${who}.` : `Your video was stopped by ${who}.`);
      document.dispatchEvent(new CustomEvent("facilitation:media", { detail: { kind: m.kind, on: false } }));
    },
    "unmute.requested": showRequest,
    "unmute.answered"(m) {
      say(`${nameOf(m.participant_id)} ${m.accepted ? "turned their" : "kept their"} ${KIND_WORDS[m.kind]} ${m.accepted ? "on" : "off"}.`);
    },
    removed(m) {
      say(m.message);
      $("status").textContent = m.message;
    },
    "meeting.ended"(m) {
      say(m.message);
      $("status").textContent = m.message;
    },
    "breakouts.updated"(m) {
      const before = myRoom();
      local.breakouts = m;
      const after = myRoom();
      if (after && (!before || before.id !== after.id)) say(`You are now in ${after.name}.`);
      rerender();
      renderAll();
    },
    "breakouts.closed"(m) {
      say(m.reason === "timer" ? "Time is up: breakout rooms have closed. Welcome back to the main room." : "Breakout rooms have closed. Welcome back to the main room.");
    },
    "breakout.warning"(m) {
      const minutes = Math.round(m.seconds_left / 60);
      say(`Breakout rooms close in ${m.seconds_left >= 60 ? `${minutes} minute${minutes === 1 ? "" : "s"}` : `${m.seconds_left} seconds`}.`);
    },
    "breakout.broadcast"(m) {
      say(`${m.sender_name} to all rooms: ${m.text}`);
    },
    "breakout.help_requested"(m) {
      say(m.participant_id === view.you ? "The facilitators have been told you would like help." : `${m.name} in ${m.breakout_name} asks for help.`);
    },
  };

  setInterval(tickTimer, 1000);

  return {
    handle(message) {
      handlers[message.type]?.(message);
    },
    participantControls,
  };
}
