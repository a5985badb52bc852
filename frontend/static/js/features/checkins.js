// Check-in prompts: a waiting card and the answer dialog it opens, for everyone; the facilitators' panel (post, close,
// share, live results, mood), shared results for all. Mounted like every feature, through
// plugins.js; how the parts look is in checkin-views.js.
import { $, el } from "../dom.js";
import { meeting, onError, onMessage } from "../plugins.js";
import { answerFields, facilitatorCard, moodView, postForm, resultsView } from "./checkin-views.js";

// The check-in errors shown next to the form that caused them (the rest go to the chat's error line).
const CHECKIN_ERRORS = [
  "invalid_prompt", "too_many_open_prompts", "prompt_not_found", "prompt_closed",
  "invalid_answer", "already_answered", "prompt_open", "too_few_answers",
];

const prompts = new Map(); // id -> the latest view of the prompt
let mood = null;
let pending = null; // "answer" or "panel": where a check-in error should be shown
let dialogPromptId = null;
let nodes = null; // { announcer, openList, sharedList, panel, dialog, form, card }
let cardPromptId = null; // the prompt the waiting card offers

function loadStyles() {
  if ($("checkins-css")) return;
  const href = new URL("../../css/checkins.css", import.meta.url).href;
  document.head.append(el("link", { id: "checkins-css", rel: "stylesheet", href }));
}

function build(container) {
  const announcer = el("p", { class: "visually-hidden", role: "status", "aria-live": "polite", id: "checkin-announcer" });
  const openList = el("ul", { class: "checkin-open", id: "checkin-open" });
  const sharedList = el("div", { id: "checkin-shared" });
  const panel = el("section", { id: "checkin-panel", "aria-labelledby": "checkin-panel-heading", hidden: true });
  // Not a landmark of its own: it fills the room's "Check-ins" drawer, which is one.
  const section = el(
    "div",
    { id: "checkins", class: "checkins" },
    announcer,
    openList,
    sharedList,
    panel,
  );
  const dialog = el("dialog", { id: "checkin-dialog", "aria-labelledby": "checkin-dialog-title", class: "checkin-dialog" });
  // A new prompt waits in a card on the stage until the person opens it (never a pop-up).
  const card = el("section", { id: "checkin-card", class: "checkin-invite", "aria-labelledby": "checkin-card-heading", hidden: true });
  container.append(section);
  ($("stage") || container).append(card);
  document.body.append(dialog);
  dialog.addEventListener("close", () => {
    dialogPromptId = null;
  });
  return { announcer, openList, sharedList, panel, dialog, form: null, card };
}

function send(message, where) {
  pending = where;
  meeting.send(message);
}

function announce(text) {
  // Cleared first so the same words twice are still read out.
  nodes.announcer.textContent = "";
  setTimeout(() => (nodes.announcer.textContent = text), 50);
}

// --- the answer dialog --------------------------------------------------------------

function openDialog(prompt) {
  const { dialog } = nodes;
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
  send(message, "answer");
}

// --- the waiting card: the newest prompt replaces an older one ------------------------

function showCard(prompt) {
  const { card } = nodes;
  cardPromptId = prompt.id;
  card.replaceChildren(
    el("h2", { id: "checkin-card-heading", text: "A check-in from the facilitators" }),
    el("p", { class: "checkin-question", text: prompt.question }),
    el(
      "div",
      { class: "actions" },
      el("button", { type: "button", text: "Answer", "aria-label": `Answer check-in: ${prompt.question}`, onclick: () => openDialog(prompts.get(prompt.id)) }),
      el("button", { type: "button", class: "secondary", text: "Later", onclick: () => hideCard() }),
    ),
  );
  card.hidden = false;
}

function hideCard(promptId = cardPromptId) {
  if (promptId !== cardPromptId) return;
  const hadFocus = nodes.card.contains(document.activeElement);
  nodes.card.hidden = true;
  cardPromptId = null;
  if (hadFocus) $("more-button")?.focus();
}

// --- what everyone sees -------------------------------------------------------------

function renderOpen() {
  const { openList, sharedList } = nodes;
  const facilitates = meeting.facilitates();
  openList.replaceChildren();
  for (const prompt of prompts.values()) {
    if (prompt.status !== "open" || facilitates) continue; // facilitators answer from their cards
    const item = el("li", {}, el("span", { class: "checkin-question", text: prompt.question }), " ");
    if (prompt.you_answered) item.append(el("span", { class: "badge", text: "answered, thank you" }));
    else item.append(el("button", { type: "button", class: "small", text: "Answer", "aria-label": `Answer check-in: ${prompt.question}`, onclick: () => openDialog(prompt) }));
    openList.append(item);
  }
  sharedList.replaceChildren();
  for (const prompt of prompts.values()) {
    if (!prompt.shared || !prompt.results || facilitates) continue;
    sharedList.append(
      el("article", { class: "checkin-card" }, el("h3", { text: `Shared result: ${prompt.question}` }), resultsView(prompt, prompt.results)),
    );
  }
}

// --- the facilitators' panel --------------------------------------------------------

function renderPanel() {
  const { panel } = nodes;
  panel.hidden = !meeting.facilitates();
  if (panel.hidden) return;
  if (!nodes.form) {
    nodes.form = postForm((message) => send(message, "panel"));
    panel.replaceChildren(el("h3", { id: "checkin-panel-heading", class: "visually-hidden", text: "Facilitator check-ins" }), nodes.form, el("div", { id: "checkin-cards" }), el("div", { id: "checkin-mood" }));
  }
  const actions = { onAction: (type, prompt) => send({ type, prompt_id: prompt.id }, "panel"), onAnswer: openDialog };
  panel.querySelector("#checkin-cards").replaceChildren(...[...prompts.values()].reverse().map((prompt) => facilitatorCard(prompt, actions)));
  panel.querySelector("#checkin-mood").replaceChildren(moodView(mood));
}

function render() {
  renderOpen();
  renderPanel();
}

function update(prompt) {
  const old = prompts.get(prompt.id) || {};
  prompts.set(prompt.id, { ...old, ...prompt });
}

// --- messages ---------------------------------------------------------------------

function closeDialogOf(promptId) {
  if (dialogPromptId === promptId) nodes.dialog.close();
}

function listen() {
  onMessage("checkin.state", (m) => {
    prompts.clear();
    m.prompts.forEach(update);
    mood = m.mood || null;
    render();
  });
  onMessage("checkin.posted", (m) => {
    update(m.prompt);
    render();
    announce(`New check-in: ${m.prompt.question}`);
    if (pending === "panel") pending = null;
    if (!meeting.facilitates()) showCard(prompts.get(m.prompt.id));
  });
  onMessage("checkin.answered", (m) => {
    update({ id: m.prompt_id, you_answered: true });
    pending = null;
    closeDialogOf(m.prompt_id);
    hideCard(m.prompt_id);
    render();
    announce("Thank you, your answer was sent.");
  });
  onMessage("checkin.results", (m) => {
    update(m.prompt);
    if (pending === "panel") pending = null;
    render();
  });
  onMessage("checkin.closed", (m) => {
    const prompt = prompts.get(m.prompt_id);
    update({ id: m.prompt_id, status: "closed" });
    closeDialogOf(m.prompt_id);
    hideCard(m.prompt_id);
    render();
    if (prompt) announce(`Check-in closed: ${prompt.question}`);
  });
  onMessage("checkin.shared", (m) => {
    update(m.prompt);
    render();
    announce(`Check-in results shared: ${m.prompt.question}`);
  });
  // The meeting is over for this page: nothing is left to answer.
  for (const type of ["meeting.ended", "removed"]) {
    onMessage(type, () => {
      hideCard();
      if (nodes.dialog.open) nodes.dialog.close();
    });
  }
  onMessage("checkin.mood", (m) => {
    mood = m.mood;
    render();
  });
  // A check-in error we asked for goes next to its form; any other is not ours to show.
  onError(CHECKIN_ERRORS, (m) => {
    if (!pending) return false;
    const { dialog, panel } = nodes;
    const target = pending === "answer" && dialog.open ? dialog.querySelector("#checkin-dialog-error") : panel.querySelector("#checkin-post-error");
    if (target) target.textContent = m.message;
    pending = null;
  });
}

export function mountCheckins({ container }) {
  loadStyles();
  nodes = build(container);
  listen();
  return { render };
}
