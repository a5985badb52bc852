// Videos the relay paused for your connection (docs/protocol.md `media.paused`): when it
// cannot carry everyone's video next to the audio, the least important ones stop (the
// speaker and a shared screen are kept first). Each paused tile says so in words, and a
// screen reader hears it once when videos pause and once when they are all back.
import { $, el } from "../dom.js";
import { addTileNotes, meeting, onMessage } from "../plugins.js";

export const PAUSED_NOTE = "Video paused to keep audio clear";

export function mountBandwidth() {
  let paused = new Set(); // whose cameras
  let screens = new Set(); // whose shared screens
  const announcer = el("p", { class: "visually-hidden", role: "status", "aria-live": "polite", id: "bandwidth-announcer" });
  $("stage").append(announcer);
  addTileNotes((p, { screen }) => ((screen ? screens : paused).has(p.id) ? [PAUSED_NOTE] : []));

  function apply(cameras, shared) {
    const before = paused.size + screens.size;
    paused = new Set(cameras);
    screens = new Set(shared);
    const now = paused.size + screens.size;
    if (!before && now) announcer.textContent = "Your connection is slow: some videos are paused to keep audio clear.";
    else if (before && !now) announcer.textContent = "All videos are back.";
    meeting.refresh();
  }

  onMessage("media.paused", (m) => apply(m.participant_ids, m.screens));
  // A new media connection starts with nothing paused; a stopped one pauses nothing.
  const clear = () => paused.size + screens.size && apply([], []);
  onMessage("media.ready", clear);
  onMessage("media.stopped", clear);
}
