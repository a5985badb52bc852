// The video grid: one tile per admitted participant (text-only people too), kept in place
// between updates so playing video elements are never rebuilt.
import { el } from "./dom.js";
import { icon } from "./icons.js";
import { pluginIcons, pluginShows } from "./plugins.js";

const ROLE_BADGES = { facilitator: "Facilitator · verified", cofacilitator: "Co-facilitator (invited)", peer: "" };
const STALL_MS = 2500;
const PILL_ICONS = { muted: "mic-off", "camera-off": "video-off", hand: "hand", "text-only": "message-square-text" };
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
    people.forEach((p, index) => {
      const tile = this.tiles.get(p.id) || this._create(p);
      this._update(tile, p, view);
      if (this.list.children[index] !== tile.node) this.list.insertBefore(tile.node, this.list.children[index] || null);
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
    };
    tile.node = el(
      "li",
      { class: "tile", dataset: { participantId: p.id } },
      video,
      tile.placeholder,
      audio,
      tile.badge,
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

    const icons = [];
    if (p.media === "text_only") icons.push({ key: "text-only", label: "Text only" });
    if (isYou && view.self.muted && view.mode !== "text") icons.push({ key: "muted", label: "Muted" });
    if (p.media !== "text_only" && (isYou || view.mode === "video") && !this._showsVideo(tile)) icons.push({ key: "camera-off", label: "Camera off" });
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
      [p.name + (isYou ? " (you)" : ""), tile.badge.textContent, ...icons.map((i) => i.label), QUALITY_LABELS[quality]]
        .filter(Boolean)
        .join(", "),
    );
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
