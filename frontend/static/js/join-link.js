// The invite secret arrives in the URL fragment, which the browser never sends to a server.
// Take it out of the address bar and history at once, then trade it for this browser's
// session with a POST; the server answers with the meeting's own URL, which holds no secret.
const form = document.getElementById("join-link");
const invite = decodeURIComponent(window.location.hash.slice(1));
history.replaceState(null, "", window.location.pathname);
if (invite) {
  form.elements.invite.value = invite;
  form.submit();
} else {
  document.getElementById("join-link-missing").hidden = false;
}
