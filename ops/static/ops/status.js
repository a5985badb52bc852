// The status page's figures, fetched again every 10 seconds from /ops/status.json and
// written into the same tables the server rendered. Text only (textContent): a meeting
// title is someone's input. Without this script the page is plain and refreshes itself.
const EVERY_MS = 10_000;

const text = (value) => (value === "" || value === null || value === undefined ? "—" : String(value));

const cells = {
  meetings: {
    where: (m) => (m.organisation ? `${m.organisation} · ${m.group}` : "—"),
    worker: (m) => m.worker || "none yet",
  },
  workers: {
    state: (w) => {
      const badge = document.createElement("span");
      badge.className = `state state-${w.state.replace(" ", "-")}`;
      badge.textContent = w.state;
      return badge;
    },
    renewed: (w) => (w.renewed_seconds_ago === null ? "—" : `${w.renewed_seconds_ago} s ago`),
  },
  errors: {
    code: (e) => {
      const code = document.createElement("code");
      code.textContent = e.code;
      return code;
    },
  },
};

function fill(table, rows) {
  const section = table.dataset.section;
  const heads = [...table.querySelectorAll("thead th")];
  const body = document.createElement("tbody");
  for (const row of rows) {
    const tr = document.createElement("tr");
    heads.forEach((th, i) => {
      const cell = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) cell.scope = "row";
      cell.dataset.label = th.textContent;
      if (th.classList.contains("num")) cell.className = "num";
      const format = cells[section]?.[th.dataset.key];
      const value = format ? format(row) : text(row[th.dataset.key]);
      cell.append(value);
      tr.append(cell);
    });
    body.append(tr);
  }
  if (!rows.length) {
    const tr = document.createElement("tr");
    tr.className = "empty";
    const td = document.createElement("td");
    td.colSpan = heads.length;
    td.textContent = table.dataset.empty;
    tr.append(td);
    body.append(tr);
  }
  table.tBodies[0].replaceWith(body);
}

function show(figures) {
  fill(document.querySelector('[data-section="meetings"]'), figures.meetings);
  fill(document.querySelector('[data-section="workers"]'), figures.media.workers);
  fill(document.querySelector('[data-section="errors"]'), figures.errors);
  for (const total of document.querySelectorAll("[data-total]")) {
    total.textContent = figures.totals[total.dataset.total];
  }
  const mediaProblem = document.getElementById("media-problem");
  mediaProblem.textContent = figures.media.problem;
  mediaProblem.hidden = !figures.media.problem;
  const updated = document.getElementById("status-updated");
  updated.dateTime = figures.generated_at;
  updated.textContent = `${figures.generated_at.slice(11, 19)} UTC`;
}

async function refresh() {
  const problem = document.getElementById("status-problem");
  try {
    const response = await fetch("/ops/status.json", { headers: { Accept: "application/json" } });
    if (response.status === 403) {
      problem.textContent = "You are signed out or no longer allowed to see this page: sign in again.";
    } else if (!response.ok) {
      problem.textContent = `Could not refresh the figures (the server answered ${response.status}). Trying again shortly.`;
    } else {
      show(await response.json());
      problem.textContent = "";
    }
  } catch {
    problem.textContent = "Could not reach the server to refresh the figures. Trying again shortly.";
  }
  problem.hidden = !problem.textContent;
}

setInterval(() => {
  if (!document.hidden) refresh();
}, EVERY_MS);
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) refresh();
});
