// Coming back as the same person: after the reconnect grace has passed, or a reload after
// it, the pre-join form holds the name and the way of taking part this browser last used in
// this meeting (localStorage, this meeting only), and the camera opens again. Joining is
// still a new join: the server decides about the lobby as for anyone else.
import { $ } from "./dom.js";
import { onMessage } from "./plugins.js";

export function rememberChoices({ meetingId, view }) {
  const key = `peer-meetings:last:${meetingId}`;

  function read() {
    try {
      const saved = JSON.parse(localStorage.getItem(key) || "null");
      return saved && typeof saved.name === "string" ? saved : null;
    } catch {
      return null;
    }
  }

  function save(changes) {
    try {
      localStorage.setItem(key, JSON.stringify({ ...read(), ...changes }));
    } catch {
      // storage refused (private mode, quota): the form keeps its suggestion
    }
  }

  // How you take part now, as the server says it, so a rejoin starts the same way.
  onMessage("participant.updated", ({ participant }) => {
    if (participant.id !== view.you) return;
    save({ media: participant.media, cameraOff: participant.video !== "on" });
  });
  onMessage("room.state", (m) => {
    const me = m.participants.find((p) => p.id === m.you);
    if (me) save({ name: me.name, media: me.media, cameraOff: me.video !== "on" });
  });

  return {
    save,
    forget() {
      try {
        localStorage.removeItem(key);
      } catch {
        // nothing to forget
      }
    },
    // Puts the last choices back on the pre-join form; true when there were some.
    fillForm() {
      const saved = read();
      if (!saved) return false;
      $("display-name").value = saved.name;
      const media = saved.media === "text_only" ? "text_only" : "camera_mic";
      document.querySelector(`input[name=media][value=${media}]`).checked = true;
      $("camera-off").checked = Boolean(saved.cameraOff);
      $("camera-off").disabled = media === "text_only";
      return true;
    },
  };
}
