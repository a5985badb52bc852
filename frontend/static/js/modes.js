// The three ways to take part: video, audio only (others' video is not received), text only.
import { DEVICE_PROBLEMS } from "./devices.js";
import { $ } from "./dom.js";

export function modeSwitcher({ view, local, meter, media, selfMedia, notify, onChange }) {
  const me = () => view.participants.get(view.you);
  return async function applyMode(mode) {
    view.mode = mode;
    $("mode-select").value = mode;
    $("grid").classList.toggle("audio-only", mode !== "video"); // others' video is not received
    if (mode === "text") {
      if (media.wanted) media.leave();
      local.stop();
      meter.detach();
    } else {
      if (me()?.media === "camera_mic" && !local.audioTrack) {
        const problem = await local.open({ camera: local.cameraOn && me().video === "on" });
        if (problem) notify(DEVICE_PROBLEMS[problem]);
      }
      media.join({ receiveVideo: mode === "video" });
    }
    await selfMedia.sync();
    onChange();
  };
}
