// Check-in prompts: the answer dialog for everyone, the facilitators' panel (post, close,
// share, live results as bars with their numbers in text, mood), shared results for all.
// Self-contained: room.js mounts it and passes it every message (see mountCheckins).

const KIND_LABELS = { scale: "1–5 scale", single: "Single choice", multiple: "Multiple choice", text: "Short free text" };
const MOMENT_LABELS = { check_in: "check-in (start)", check_out: "check-out (end)" };
const ERROR_CODES = new Set([
  "invalid_prompt", "too_many_open_prompts", "prompt_not_found", "prompt_closed",
  "invalid_answer", "already_answered", "prompt_open", "too_few_answers",
]);
const LIVE_STEP = 3;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function loadStyles() {
  if (document.getElementById("checkins-css")) return;
  const href = new URL("../css/checkins.css", import.meta.url).href;
  document.head.append(el("link", { id: "checkins-css", rel: "stylesheet", href }));
}

function fmt(n) {
  return Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0$/, "");
}

function optionLabel(prompt, index) {
  return prompt.kind === "scale" ? `${index + 1} · ${prompt.options[index]}` : prompt.options[index];
}

// A result as bars: each row says its label, count and share in text, the bar only shows it.
function resultsView(prompt, results) {
  const box = el("div", { class: "checkin-results" });
  if (prompt.kind === "text") {
    const list = el("ul", { class: "checkin-texts", "aria-label": "Answers, in random order" });
    for (const text of results.texts) list.append(el("li", { text }));
    box.append(list);
  } else {
    const list = el("ul", { class: "checkin-bars" });
    results.counts.forEach((count, index) => {
      const share = results.answers ? Math.round((100 * count) / results.answers) : 0;
      list.append(
        el(
          "li",
          {},
          el("span", { class: "bar-label", text: optionLabel(prompt, index) }),
          el("span", { class: "bar", "aria-hidden": "true" }, el("span", { class: "bar-fill", style: `width: ${share}%` })),
          el("span", { class: "bar-value", text: `${count} (${share}%)` }),
        ),
      );
    });
    box.append(list);
  }
  const summary = [`${results.answers} ${results.answers === 1 ? "answer" : "answers"}`];
  if (results.mean !== undefined && results.mean !== null) summary.push(`mean ${fmt(results.mean)} of 5`);
  box.append(el("p", { class: "checkin-summary", text: summary.join(", ") }));
  return box;
}

function answerFields(prompt, idPrefix) {
  if (prompt.kind === "text") {
    const id = `${idPrefix}-text`;
    return el(
      "div",
      { class: "stack" },
      el("label", { for: id, text: prompt.question }),
      el("textarea", { id, name: "text", maxlength: "280", rows: "3", required: true }),
    );
  }
  const type = prompt.kind === "multiple" ? "checkbox" : "radio";
  const set = el("fieldset", {}, el("legend", { text: prompt.question }));
  prompt.options.forEach((_, index) => {
    set.append(
      el(
        "label",
        { class: "check" },
        el("input", { type, name: "choice", value: String(index), required: type === "radio" }),
        " ",
        optionLabel(prompt, index),
      ),
    );
  });
  if (prompt.kind === "multiple") set.append(el("p", { class: "hint", text: "Choose one or more." }));
  return set;
}

export function mountCheckins({ container, send, facilitates }) {
  loadStyles();
  const prompts = new Map(); // id -> the latest view of the prompt
  let mood = null;
  let pending = null; // "answer" or "panel": where a check-in error should be shown
  let dialogPromptId = null;

  const announcer = el("p", { class: "visually-hidden", role: "status", "aria-live": "polite", id: "checkin-announcer" });
  const openList = el("ul", { class: "checkin-open", id: "checkin-open" });
  const sharedList = el("div", { id: "checkin-shared" });
  const panel = el("section", { id: "checkin-panel", "aria-labelledby": "checkin-panel-heading", hidden: true });
  const section = el(
    "section",
    { id: "checkins", class: "checkins", "aria-labelledby": "checkins-heading" },
    el("h2", { id: "checkins-heading", text: "Check-ins" }),
    announcer,
    openList,
    sharedList,
    panel,
  );
  const dialog = el("dialog", { id: "checkin-dialog", "aria-labelledby": "checkin-dialog-title", class: "checkin-dialog" });
  container.append(section);
  document.body.append(dialog);

  function announce(text) {
    // Cleared first so the same words twice are still read out.
    announcer.textContent = "";
    setTimeout(() => (announcer.textContent = text), 50);
  }

  // --- the answer dialog --------------------------------------------------------

  function openDialog(prompt) {
    dialogPromptId = prompt.id;
    const error = el("p", { class: "error", role: "alert", id: "checkin-dialog-error" });
    const privacy = prompt.anonymous
      ? "Anonymous: your answer is stored without your name. Nobody, the facilitators included, can see which answer is yours."
      : "Named: the facilitators will see your name next to your answer.";
    const form = el(
      "form",
      { class: "stack", onsubmit: (event) => submitAnswer(event, prompt, error) },
      el("h2", { id: "checkin-dialog-title", text: "Check-in" }),
      el("p", { class: "hint", text: privacy }),
      answerFields(prompt, "checkin-answer"),
      error,
      el(
        "div",
        { class: "actions" },
        el("button", { type: "submit", text: "Send answer" }),
        el("button", { type: "button", class: "small", text: "Not now", onclick: () => dialog.close() }),
      ),
    );
    dialog.replaceChildren(form);
    if (!dialog.open) dialog.showModal();
    dialog.querySelector("input, textarea")?.focus();
  }

  function submitAnswer(event, prompt, error) {
    event.preventDefault();
    const data = new FormData(event.target);
    const message = { type: "checkin.answer", prompt_id: prompt.id };
    if (prompt.kind === "text") message.text = String(data.get("text") || "").trim();
    else if (prompt.kind === "scale") message.scale = Number(data.get("choice")) + 1;
    else message.choices = data.getAll("choice").map(Number);
    if ((message.choices && !message.choices.length) || message.text === "") {
      error.textContent = "Please choose or write an answer first.";
      return;
    }
    error.textContent = "";
    pending = "answer";
    send(message);
  }

  dialog.addEventListener("close", () => {
    dialogPromptId = null;
  });

  // --- the participants' list -------------------------------------------------------

  function renderOpen() {
    openList.replaceChildren();
    for (const prompt of prompts.values()) {
      if (prompt.status !== "open" || facilitates()) continue; // facilitators answer from their cards
      const item = el("li", {}, el("span", { class: "checkin-question", text: prompt.question }), " ");
      if (prompt.you_answered) item.append(el("span", { class: "badge", text: "answered, thank you" }));
      else item.append(el("button", { type: "button", class: "small", text: "Answer", "aria-label": `Answer check-in: ${prompt.question}`, onclick: () => openDialog(prompt) }));
      openList.append(item);
    }
    sharedList.replaceChildren();
    for (const prompt of prompts.values()) {
      if (!prompt.shared || !prompt.results || facilitates()) continue;
      sharedList.append(
        el("article", { class: "checkin-card" }, el("h3", { text: `Shared result: ${prompt.question}` }), resultsView(prompt, prompt.results)),
      );
    }
  }

  // --- the facilitators' panel ------------------------------------------------------

  function postForm() {
    const error = el("p", { class: "error", role: "alert", id: "checkin-post-error" });
    const kind = el("select", { id: "checkin-kind", name: "kind" });
    for (const [value, label] of Object.entries(KIND_LABELS)) kind.append(el("option", { value, text: label }));
    const optionsLabel = el("label", { for: "checkin-options" });
    const options = el("textarea", { id: "checkin-options", name: "options", rows: "3" });
    const moment = el(
      "select",
      { id: "checkin-moment", name: "moment" },
      el("option", { value: "", text: "Not for mood" }),
      el("option", { value: "check_in", text: "Check-in (start of the meeting)" }),
      el("option", { value: "check_out", text: "Check-out (end of the meeting)" }),
    );
    const momentRow = el("div", { class: "stack" }, el("label", { for: "checkin-moment", text: "Use for the mood change" }), moment);
    const fitKind = () => {
      const k = kind.value;
      optionsLabel.textContent =
        k === "scale" ? "Scale labels, one per line from 1 to 5 (empty: Struggling, Low, Okay, Good, Great)" : "Options, one per line";
      options.parentElement.hidden = k === "text";
      momentRow.hidden = k !== "scale";
    };
    kind.addEventListener("change", fitKind);
    const form = el(
      "form",
      {
        class: "stack checkin-post",
        onsubmit: (event) => {
          event.preventDefault();
          const data = new FormData(event.target);
          const lines = String(data.get("options") || "").split("\n").map((s) => s.trim()).filter(Boolean);
          const message = {
            type: "checkin.post",
            kind: data.get("kind"),
            question: String(data.get("question") || ""),
            options: data.get("kind") === "text" ? [] : lines,
            anonymous: data.get("anonymous") === "on",
          };
          if (message.kind === "scale" && data.get("moment")) message.moment = data.get("moment");
          error.textContent = "";
          pending = "panel";
          send(message);
          event.target.reset();
          fitKind();
        },
      },
      el("h3", { text: "Post a check-in" }),
      el("label", { for: "checkin-question", text: "Question" }),
      el("input", { id: "checkin-question", name: "question", maxlength: "200", required: true, placeholder: "How are you arriving today?" }),
      el("label", { for: "checkin-kind", text: "Kind" }),
      kind,
      el("div", { class: "stack" }, optionsLabel, options),
      el("label", { class: "check" }, el("input", { type: "checkbox", name: "anonymous", checked: true }), " Anonymous (nobody sees who gave which answer)"),
      momentRow,
      error,
      el("button", { type: "submit", text: "Post check-in" }),
    );
    fitKind();
    return form;
  }

  function facilitatorCard(prompt) {
    const badges = [KIND_LABELS[prompt.kind], prompt.anonymous ? "anonymous" : "named", prompt.status];
    if (prompt.moment) badges.push(MOMENT_LABELS[prompt.moment]);
    if (prompt.shared) badges.push("shared with the room");
    const card = el(
      "article",
      { class: "checkin-card", "data-prompt-id": prompt.id, "aria-label": `Check-in: ${prompt.question}` },
      el("h4", { text: prompt.question }),
      el("p", { class: "badge", text: badges.join(" · ") }),
      el("p", { class: "checkin-count", text: `${prompt.answered} answered` }),
    );
    if (prompt.results) card.append(resultsView(prompt, prompt.results));
    else if (prompt.anonymous && prompt.status === "open")
      card.append(el("p", { class: "hint", text: `Results appear once ${LIVE_STEP} people have answered and then update every ${LIVE_STEP} answers, so no one answer can be picked out. Closing shows everything.` }));
    else if (prompt.anonymous) card.append(el("p", { class: "hint", text: "Too few answers to show without revealing whose they are." }));
    if (prompt.answers && prompt.answers.length) {
      const list = el("ul", { class: "checkin-named", "aria-label": "Who answered what" });
      for (const a of prompt.answers) {
        const value = Array.isArray(a.value) ? a.value.map((i) => optionLabel(prompt, i)).join(", ") : prompt.kind === "scale" ? optionLabel(prompt, a.value - 1) : a.value;
        list.append(el("li", { text: `${a.name}: ${value}` }));
      }
      card.append(list);
    }
    const actions = el("div", { class: "actions" });
    const act = (type, label) =>
      el("button", { type: "button", class: "small", text: label, "aria-label": `${label} check-in: ${prompt.question}`, onclick: () => { pending = "panel"; send({ type, prompt_id: prompt.id }); } });
    if (prompt.status === "open") {
      actions.append(act("checkin.close", "Close"));
      if (!prompt.you_answered) actions.append(el("button", { type: "button", class: "small", text: "Answer", "aria-label": `Answer check-in: ${prompt.question}`, onclick: () => openDialog(prompt) }));
    } else if (!prompt.shared && prompt.results) actions.append(act("checkin.share", "Share with the room"));
    card.append(actions);
    return card;
  }

  function moodView() {
    const box = el("section", { class: "checkin-mood", "aria-labelledby": "checkin-mood-heading" }, el("h3", { id: "checkin-mood-heading", text: "Mood (facilitators only)" }));
    const m = mood || { trend: [] };
    const part = (v) => (v === undefined || v === null ? "–" : fmt(v));
    const change = m.change === undefined || m.change === null ? "not yet (needs a closed check-in and check-out)" : `${m.change > 0 ? "+" : ""}${fmt(m.change)}`;
    box.append(el("p", { id: "checkin-mood-now", text: `This meeting: check-in ${part(m.check_in)}, check-out ${part(m.check_out)}, change ${change}` }));
    if (m.trend.length) {
      const rows = m.trend.map((p) => el("tr", {}, el("td", { text: p.date }), el("td", { text: fmt(p.check_in) }), el("td", { text: fmt(p.check_out) }), el("td", { text: `${p.change > 0 ? "+" : ""}${fmt(p.change)}` })));
      box.append(
        el(
          "table",
          { class: "checkin-trend" },
          el("caption", { text: "Earlier meetings of this group" }),
          el("thead", {}, el("tr", {}, ...["Date", "Check-in", "Check-out", "Change"].map((h) => el("th", { scope: "col", text: h })))),
          el("tbody", {}, ...rows),
        ),
      );
    } else box.append(el("p", { class: "hint", text: "No earlier meetings of this group (same title) with a check-in and check-out yet." }));
    return box;
  }

  let form = null;
  function renderPanel() {
    panel.hidden = !facilitates();
    if (panel.hidden) return;
    if (!form) {
      form = postForm();
      panel.replaceChildren(el("h3", { id: "checkin-panel-heading", class: "visually-hidden", text: "Facilitator check-ins" }), form, el("div", { id: "checkin-cards" }), el("div", { id: "checkin-mood" }));
    }
    const cards = panel.querySelector("#checkin-cards");
    cards.replaceChildren(...[...prompts.values()].reverse().map(facilitatorCard));
    panel.querySelector("#checkin-mood").replaceChildren(moodView());
  }

  function render() {
    renderOpen();
    renderPanel();
  }

  function update(prompt) {
    const old = prompts.get(prompt.id) || {};
    prompts.set(prompt.id, { ...old, ...prompt });
  }

  // --- messages -----------------------------------------------------------------------

  const on = {
    "checkin.state"(m) {
      prompts.clear();
      m.prompts.forEach(update);
      mood = m.mood || null;
      render();
    },
    "checkin.posted"(m) {
      update(m.prompt);
      render();
      announce(`New check-in: ${m.prompt.question}`);
      if (pending === "panel") pending = null;
      if (!facilitates() && !dialog.open) openDialog(prompts.get(m.prompt.id));
    },
    "checkin.answered"(m) {
      update({ id: m.prompt_id, you_answered: true });
      pending = null;
      if (dialogPromptId === m.prompt_id) dialog.close();
      render();
      announce("Thank you, your answer was sent.");
    },
    "checkin.results"(m) {
      update(m.prompt);
      if (pending === "panel") pending = null;
      render();
    },
    "checkin.closed"(m) {
      const prompt = prompts.get(m.prompt_id);
      update({ id: m.prompt_id, status: "closed" });
      if (dialogPromptId === m.prompt_id) dialog.close();
      render();
      if (prompt) announce(`Check-in closed: ${prompt.question}`);
    },
    "checkin.shared"(m) {
      update(m.prompt);
      render();
      announce(`Check-in results shared: ${m.prompt.question}`);
    },
    "checkin.mood"(m) {
      mood = m.mood;
      render();
    },
  };

  // Returns true when the message was a check-in's (so room.js need not show it).
  function handle(m) {
    if (on[m.type]) {
      on[m.type](m);
      return true;
    }
    if (m.type === "error" && pending && ERROR_CODES.has(m.code)) {
      const target = pending === "answer" && dialog.open ? dialog.querySelector("#checkin-dialog-error") : panel.querySelector("#checkin-post-error");
      if (target) target.textContent = m.message;
      pending = null;
      return true;
    }
    return false;
  }

  return { handle, render };
}
