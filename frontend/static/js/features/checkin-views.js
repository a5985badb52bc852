// How check-ins look: results as bars with their numbers in text, the answer fields, the
// facilitators' post form, a prompt's card and the mood. Pure builders; the state and the
// messages are in checkins.js.
import { el } from "../dom.js";
import { CHECKIN_LIVE_STEP as LIVE_STEP } from "../protocol.js";

const KIND_LABELS = { scale: "1–5 scale", single: "Single choice", multiple: "Multiple choice", text: "Short free text" };
const MOMENT_LABELS = { check_in: "check-in (start)", check_out: "check-out (end)" };

export function fmt(n) {
  return Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0$/, "");
}

export function optionLabel(prompt, index) {
  return prompt.kind === "scale" ? `${index + 1} · ${prompt.options[index]}` : prompt.options[index];
}

// A result as bars: each row says its label, count and share in text, the bar only shows it.
export function resultsView(prompt, results) {
  const box = el("div", { class: "checkin-results" });
  if (prompt.kind === "text") {
    const list = el("ul", { class: "checkin-texts", "aria-label": "Answers, in random order" });
    for (const text of results.texts) list.append(el("li", { text }));
    box.append(list);
  } else {
    const list = el("ul", { class: "checkin-bars" });
    results.counts.forEach((count, index) => {
      const share = results.answers ? Math.round((100 * count) / results.answers) : 0;
      const fill = el("span", { class: "bar-fill" });
      fill.style.width = `${share}%`; // through the CSSOM: a style attribute breaks a strict CSP
      list.append(
        el(
          "li",
          {},
          el("span", { class: "bar-label", text: optionLabel(prompt, index) }),
          el("span", { class: "bar", "aria-hidden": "true" }, fill),
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

export function answerFields(prompt, idPrefix) {
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

// `post(message)` sends a new prompt.
export function postForm(post) {
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
        post(message);
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

// `onAction(type, prompt)` closes or shares it, `onAnswer(prompt)` opens the answer dialog.
export function facilitatorCard(prompt, { onAction, onAnswer }) {
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
    el("button", { type: "button", class: "small", text: label, "aria-label": `${label} check-in: ${prompt.question}`, onclick: () => onAction(type, prompt) });
  if (prompt.status === "open") {
    actions.append(act("checkin.close", "Close"));
    if (!prompt.you_answered) actions.append(el("button", { type: "button", class: "small", text: "Answer", "aria-label": `Answer check-in: ${prompt.question}`, onclick: () => onAnswer(prompt) }));
  } else if (!prompt.shared && prompt.results) actions.append(act("checkin.share", "Share with the room"));
  card.append(actions);
  return card;
}

export function moodView(mood) {
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
