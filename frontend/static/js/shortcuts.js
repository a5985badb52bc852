// Single-key shortcuts (only while not typing; can be switched off) and the page's dialogs.
import { $ } from "./dom.js";

const STORAGE_KEY = "peer-meetings:shortcuts";

function typing(target) {
  return target.closest?.("input, textarea, select, [contenteditable=true], dialog");
}

export function setupShortcuts(actions) {
  const enabled = $("shortcuts-enabled");
  enabled.checked = localStorage.getItem(STORAGE_KEY) !== "off";
  enabled.addEventListener("change", () => localStorage.setItem(STORAGE_KEY, enabled.checked ? "on" : "off"));
  document.addEventListener("keydown", (event) => {
    if (!enabled.checked || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if ($("room").hidden) return;
    const action = actions[event.key.toLowerCase()] || actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });
  for (const dialog of document.querySelectorAll("dialog")) {
    for (const button of dialog.querySelectorAll("[data-close]")) button.addEventListener("click", () => dialog.close());
  }
}

// Dialogs give focus back to whatever opened them. Chromium already has when "close" fires,
// a task later: by then the person may have moved on (clicked into the chat and typed), and
// taking focus back would turn their next letter into a shortcut.
export function openDialog(dialog) {
  const opener = document.activeElement;
  dialog.addEventListener(
    "close",
    () => {
      const now = document.activeElement;
      if (!now || now === document.body || dialog.contains(now)) opener?.focus?.();
    },
    { once: true },
  );
  dialog.showModal();
}
