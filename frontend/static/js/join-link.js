// The invite secret arrives in the URL fragment, which the browser never sends to a server.
// Take it out of the address bar and history at once, then trade it for this browser's
// session with a POST; the server answers with the meeting's own URL, which holds no secret.
const form = document.getElementById("join-link");

function exchange() {
  const invite = decodeURIComponent(window.location.hash.slice(1));
  history.replaceState(null, "", window.location.pathname);
  document.getElementById("join-link-missing").hidden = Boolean(invite);
  if (!invite) {
    document.getElementById("join-link-heading").textContent = "This link is incomplete";
    return;
  }
  form.elements.invite.value = invite;
  form.submit();
}

exchange();
// a link opened in a tab that already shows this page changes only the fragment
window.addEventListener("hashchange", exchange);
