// The meetings pages' small behaviours, in a file of their own (no inline script under a
// strict CSP): copy buttons (`data-copy` names the field) and a confirmation before a form
// with `data-confirm` is sent.
const status = document.getElementById("copy-status");

async function copy(field) {
  try {
    await navigator.clipboard.writeText(field.value);
    return true;
  } catch {
    field.select();
    return document.execCommand?.("copy") ?? false;
  }
}

for (const button of document.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", async () => {
    const ok = await copy(document.getElementById(button.dataset.copy));
    status.textContent = ok ? `${button.dataset.copied || "Copied"}.` : "Select the text and copy it with Ctrl+C (⌘C on a Mac).";
  });
}

for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}
