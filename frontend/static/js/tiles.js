// Tells the server how large each participant's video is shown (media.tiles, in device
// pixels), so the relay sends a thumbnail a small simulcast layer and the speaker view the
// full one. Sent after layout changes settle, and again on every new media connection.
const SETTLE_MS = 400;
const MAX_TILES = 64;
const MAX_PIXELS = 8192;

export class TileReporter {
  constructor({ grid, list, send }) {
    this.grid = grid; // VideoGrid: its tiles Map (participant id -> tile)
    this.send = send; // (message) => bool
    this.last = "";
    this.timer = null;
    this.observed = new WeakSet();
    const schedule = () => this.schedule();
    this.resizes = typeof ResizeObserver === "function" ? new ResizeObserver(schedule) : null;
    if (typeof MutationObserver === "function") new MutationObserver(schedule).observe(list, { childList: true });
    window.addEventListener("resize", schedule);
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.report();
    }, SETTLE_MS);
  }

  // A new connection to the relay knows no tiles yet.
  resend() {
    this.last = "";
    this.schedule();
  }

  report() {
    const scale = window.devicePixelRatio || 1;
    const tiles = {};
    for (const [id, tile] of this.grid.tiles) {
      if (this.resizes && !this.observed.has(tile.node)) {
        this.resizes.observe(tile.node);
        this.observed.add(tile.node);
      }
      if (!tile.videoTrack || tile.node.classList.contains("self")) continue;
      if (Object.keys(tiles).length >= MAX_TILES) break;
      const box = tile.node.getBoundingClientRect();
      const size = (n) => Math.max(0, Math.min(MAX_PIXELS, Math.round(n * scale)));
      tiles[id] = { width: size(box.width), height: size(box.height) };
    }
    this.say(tiles);
  }

  // Tells the relay these sizes unless they are what it was told last.
  say(tiles) {
    const said = JSON.stringify(tiles);
    if (said === this.last) return;
    if (this.send({ type: "media.tiles", tiles })) this.last = said;
  }
}
