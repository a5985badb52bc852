// The video grid: one tile per admitted participant (text-only people too), kept in place
// between updates so playing video elements are never rebuilt.
import { el } from "./dom.js";
import { icon } from "./icons.js";
import { pluginIcons, pluginNotes, pluginShows } from "./plugins.js";

const ROLE_BADGES = { facilitator: "Facilitator · verified", cofacilitator: "Co-facilitator (invited)", peer: "" };
const STALL_MS = 2500;
const PILL_ICONS = { muted: "mic-off", "camera-off": "video-off", hand: "hand", "text-only": "message-square-text", sharing: "monitor-up" };
const QUALITY_LABELS = { good: "Connection good", weak: "Connection weak", lost: "No connection", waiting: "Connecting" };

// The first letter or digit of the first two words ("Fern (facilitator)" is "FF", not "F(").
function initials(name) {
  return name
    .split(/\s+/)
    .map((w) => w.match(/[\p{L}\p{N}]/u)?.[0])
    .filter(Boolean)
    .slice(0, 2)
    .join("")
    .toUpperCase();
}

export class VideoGrid {
  constructor(list) {
    this.list = list;
    this.tiles = new Map();
    setInterval(() => this._checkFrames(), 1000);
  }

  // view: { you, participants (Map), hands, speaker, remote (Map), self: {...}, quality: {pid: level} }
  render(view) {
    // Modules may narrow the grid (a breakout shows only its own people).
    const people = [...view.participants.values()].filter(pluginShows);
    const shown = new Set(people.map((p) => p.id));
    for (const [id, tile] of this.tiles) {
      if (!shown.has(id)) {
        tile.node.remove();
        this.tiles.delete(id);
      }
    }
    // A shared screen comes first, large on the stage (layout.js), its sharer's tile next.
    const screen = this._renderScreen(view, shown);
    const sharer = screen ? people.findIndex((p) => p.id === view.screenshare.sharer) : -1;
    if (sharer > 0) people.unshift(...people.splice(sharer, 1));
    const first = screen ? 1 : 0;
    people.forEach((p, index) => {
      const tile = this.tiles.get(p.id) || this._create(p);
      this._update(tile, p, view);
      tile.node.classList.toggle("sharer", index === 0 && Boolean(screen));
      const at = this.list.children[index + first];
      if (at !== tile.node) this.list.insertBefore(tile.node, at || null);
    });
    this.list.dataset.count = String(people.length);
    this.onRendered?.(); // layout.js places the tiles to fit the stage
  }

  _create(p) {
    const video = el("video", { autoplay: true, playsinline: true, muted: true, "aria-hidden": "true" });
    video.muted = true;
    const audio = el("audio", { autoplay: true });
    const tile = {
      id: p.id,
      video,
      audio,
      videoTrack: null,
      audioTrack: null,
      lastFrame: 0,
      placeholder: el("div", { class: "placeholder", "aria-hidden": "true" }),
      name: el("span", { class: "tile-name" }),
      badge: el("span", { class: "role-badge" }),
      icons: el("span", { class: "tile-icons" }),
      conn: el("span", { class: "conn", role: "img" }),
      note: el("p", { class: "tile-note", hidden: true }),
    };
    tile.node = el(
      "li",
      { class: "tile", dataset: { participantId: p.id } },
      video,
      tile.placeholder,
      audio,
      tile.badge,
      tile.note,
      el("div", { class: "caption" }, tile.name, tile.icons, tile.conn),
    );
    const onFrame = () => {
      tile.lastFrame = performance.now();
      video.requestVideoFrameCallback(onFrame);
    };
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(onFrame);
    else video.addEventListener("timeupdate", () => (tile.lastFrame = performance.now()));
    this.tiles.set(p.id, tile);
    return tile;
  }

  _update(tile, p, view) {
    const isYou = p.id === view.you;
    const remote = view.remote.get(p.id) || {};
    const videoTrack = isYou ? view.self.videoTrack : remote.video || null;
    const audioTrack = isYou ? null : remote.audio || null;
    if (tile.videoTrack !== videoTrack) {
      tile.videoTrack = videoTrack;
      tile.lastFrame = 0;
      tile.video.srcObject = videoTrack ? new MediaStream([videoTrack]) : null;
    }
    if (tile.audioTrack !== audioTrack) {
      tile.audioTrack = audioTrack;
      tile.audio.srcObject = audioTrack ? new MediaStream([audioTrack]) : null;
    }
    tile.node.classList.toggle("self", isYou);
    tile.node.classList.toggle("speaking", view.speaker === p.id);
    tile.node.dataset.role = p.role;
    tile.node.dataset.media = p.media;
    tile.node.dataset.connection = p.connection;
    tile.name.textContent = p.name + (isYou ? " (you)" : "");
    tile.placeholder.textContent = initials(p.name);
    tile.badge.textContent = ROLE_BADGES[p.role] || "";
    tile.badge.hidden = !tile.badge.textContent;

    // A note says why there is no picture (e.g. paused for your bandwidth): not "Camera off".
    const notes = isYou ? [] : pluginNotes(p);
    tile.note.textContent = notes.join(" ");
    tile.note.hidden = !notes.length;
    tile.node.classList.toggle("noted", notes.length > 0); // the note instead of the picture
    const icons = [];
    if (p.media === "text_only") icons.push({ key: "text-only", label: "Text only" });
    if (isYou && view.self.muted && view.mode !== "text") icons.push({ key: "muted", label: "Muted" });
    if (p.media !== "text_only" && (isYou || view.mode === "video") && !this._showsVideo(tile) && !notes.length) icons.push({ key: "camera-off", label: "Camera off" });
    if (view.hands.includes(p.id)) icons.push({ key: "hand", label: "Hand raised" });
    icons.push(...pluginIcons(p));
    const seen = new Set();
    tile.icons.replaceChildren(
      ...icons
        .filter((i) => !seen.has(i.key) && seen.add(i.key))
        .map((i) =>
          el("span", { class: `pill pill-${i.key}`, dataset: { icon: i.key } }, PILL_ICONS[i.key] ? icon(PILL_ICONS[i.key]) : null, el("span", { class: "pill-text" }, i.label)),
        ),
    );
    const quality = p.connection === "reconnecting" ? "lost" : (isYou ? view.self.quality : view.quality[p.id]) || "good";
    tile.conn.dataset.quality = quality;
    tile.conn.setAttribute("aria-label", QUALITY_LABELS[quality]);
    tile.conn.title = QUALITY_LABELS[quality];
    tile.node.classList.toggle("no-video", !this._showsVideo(tile));
    this.decorate?.(tile.node, p, view); // the "…" menu of a facilitator (personmenu.js)
    tile.node.setAttribute(
      "aria-label",
      [p.name + (isYou ? " (you)" : ""), tile.badge.textContent, ...icons.map((i) => i.label), ...notes, QUALITY_LABELS[quality]]
        .filter(Boolean)
        .join(", "),
    );
  }

  // The shared screen as one more tile: your own capture when you share, else the screen
  // track the relay sends; without one (text only, audio only, still arriving) a card says who shares.
  _renderScreen(view, shown) {
    const sharerId = view.screenshare?.sharer;
    const sharer = sharerId && shown.has(sharerId) ? view.participants.get(sharerId) : null;
    if (!sharer) {
      this.screen?.node.remove();
      this.screen = null;
      return null;
    }
    if (!this.screen) {
      const video = el("video", { autoplay: true, playsinline: true, muted: true, "aria-hidden": "true" });
      video.muted = true;
      this.screen = { video, track: null, label: el("span", { class: "tile-name" }), placeholder: el("div", { class: "placeholder share-card" }), note: el("p", { class: "tile-note", hidden: true }) };
      this.screen.node = el("li", { class: "tile screen-tile", dataset: { screenOf: sharerId } }, video, this.screen.placeholder, this.screen.note, el("div", { class: "caption" }, this.screen.label));
      video.addEventListener("resize", () => this.onRendered?.()); // its shape is known: fit it
    }
    const screen = this.screen;
    const isYou = sharerId === view.you;
    const track = (isYou ? view.screenshare.ownTrack : view.remote.get(sharerId)?.screen) || null;
    if (screen.track !== track) {
      screen.track = track;
      screen.video.srcObject = track ? new MediaStream([track]) : null;
    }
    const whose = isYou ? "Your screen" : `${sharer.name}'s screen`;
    screen.node.dataset.screenOf = sharerId;
    screen.label.textContent = isYou ? "You are sharing your screen" : whose;
    const said = isYou ? "You are sharing your screen" : `${sharer.name} is sharing their screen`;
    // Without video you are told how to watch it; otherwise the picture is on its way. A
    // text-only person may watch (and listen) without a camera or microphone of their own.
    const watch = !isYou && !track && view.mode === "text" && view.screenshare.watch;
    const how = isYou || track ? "" : watch ? "You stay text only: nobody sees or hears you." : view.mode === "audio" ? "To see it, choose Video under More, Mode." : "";
    const button = watch ? el("button", { type: "button", class: "small", onclick: () => view.screenshare.watch() }, "Watch the screen") : "";
    if (screen.said !== said + how + Boolean(button)) {
      screen.said = said + how + Boolean(button); // not rebuilt on every render: a focused button stays
      screen.placeholder.replaceChildren(icon("monitor-up"), el("p", {}, said), button, how ? el("p", { class: "share-how" }, how) : "");
    }
    const notes = isYou ? [] : pluginNotes(sharer, { screen: true });
    screen.note.textContent = notes.join(" ");
    screen.note.hidden = !notes.length;
    screen.node.classList.toggle("noted", notes.length > 0);
    screen.node.classList.toggle("no-video", !track);
    screen.node.setAttribute("aria-label", [said, how, ...notes].filter(Boolean).join(". "));
    if (this.list.firstChild !== screen.node) this.list.prepend(screen.node);
    return screen;
  }

  _showsVideo(tile) {
    return Boolean(tile.videoTrack) && tile.videoTrack.readyState === "live" && performance.now() - tile.lastFrame < STALL_MS;
  }

  // A stopped camera or a stalled stream turns the tile back into a name card.
  _checkFrames() {
    for (const tile of this.tiles.values()) {
      const showing = this._showsVideo(tile);
      if (tile.node.classList.contains("no-video") === showing) this.onStale?.();
    }
  }
}
