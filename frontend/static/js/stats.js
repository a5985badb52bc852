// Connection quality from the relay's packets to us: loss or jitter mark a tile "weak".
const STATS_EVERY_MS = 2000;

export function startStatsPoller({ media, view, onChange }) {
  let lastStats = {};
  setInterval(async () => {
    if (!media.pc || document.hidden) return;
    const stats = await media.inboundStats();
    const quality = {};
    for (const [pid, kinds] of Object.entries(stats)) {
      const now = kinds.video || kinds.audio;
      const before = lastStats[pid]?.video || lastStats[pid]?.audio;
      if (!now || !before) continue;
      const received = now.packetsReceived - before.packetsReceived;
      const lost = now.packetsLost - before.packetsLost;
      quality[pid] = lost > 0.05 * (received + lost) || now.jitter > 0.1 ? "weak" : "good";
    }
    lastStats = stats;
    view.quality = quality;
    onChange();
  }, STATS_EVERY_MS);
}
