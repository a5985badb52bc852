// Times on the groups pages: the server writes UTC (<time datetime="…Z">) and a fallback text;
// this module rewrites them in the visitor's own time zone, and opens a meeting's join link
// when its doors open. No inline script: the pages load this file as a module.

const FORMATS = {
  full: { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZoneName: "short" },
  day: { weekday: "long", day: "numeric", month: "long" },
  time: { hour: "2-digit", minute: "2-digit", timeZoneName: "short" },
};

function localise(root) {
  for (const node of root.querySelectorAll("time[data-local]")) {
    const when = new Date(node.getAttribute("datetime"));
    if (Number.isNaN(when.getTime())) continue;
    const format = FORMATS[node.dataset.local] || FORMATS.full;
    node.textContent = new Intl.DateTimeFormat(undefined, format).format(when);
    node.title = when.toISOString();
  }
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  for (const node of root.querySelectorAll("[data-visitor-zone]")) {
    node.textContent = zone;
    node.closest("[hidden]")?.removeAttribute("hidden");
  }
}

// At most a day ahead: setTimeout is not meant for longer, and a page is rarely open that long.
const LONGEST_WAIT_MS = 24 * 3600 * 1000;

function openWhenDoorsOpen(root) {
  for (const link of root.querySelectorAll("[data-opens-at]")) {
    const wait = new Date(link.dataset.opensAt).getTime() - Date.now();
    const waiting = root.querySelector(link.dataset.waiting || "#waiting");
    const open = () => {
      link.hidden = false;
      if (waiting) waiting.hidden = true;
    };
    if (wait <= 0) open();
    else if (wait < LONGEST_WAIT_MS) setTimeout(open, wait);
  }
}

localise(document);
openWhenDoorsOpen(document);
