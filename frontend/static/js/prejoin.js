// The screen before the meeting: camera preview, microphone meter, device pickers, name, mode.
import { $, el } from "./dom.js";
import { DEVICE_PROBLEMS } from "./devices.js";

export function showPreview(video, local) {
  const tracks = local.stream.getVideoTracks();
  video.srcObject = tracks.length ? new MediaStream(tracks) : null;
}

export function setupPrejoin({ local, meter, onJoin }) {
  const preview = $("preview");
  const mediaChoice = () => document.querySelector("input[name=media]:checked").value;

  function refresh() {
    showPreview(preview, local);
    const cameraShown = Boolean(local.videoTrack);
    $("preview-off").hidden = cameraShown;
    $("preview-off").textContent = mediaChoice() === "text_only" ? "Text only: no camera or microphone" : "Your camera is off";
    meter.attach(local.audioTrack);
    $("camera-off").disabled = mediaChoice() === "text_only";
  }

  function problem(key) {
    $("device-problem").hidden = !key;
    $("device-problem").textContent = key ? DEVICE_PROBLEMS[key] : "";
    $("device-retry").hidden = !key;
    if (key) document.querySelector("input[name=media][value=text_only]").checked = true;
  }

  async function fillPickers() {
    const { audio, video } = await local.devices();
    for (const [select, devices, fallback, current] of [
      [$("mic-select"), audio, "Microphone", local.audioTrack],
      [$("camera-select"), video, "Camera", local.videoTrack],
    ]) {
      const selected = current?.getSettings().deviceId;
      select.replaceChildren(
        ...devices.map((d, i) => el("option", { value: d.deviceId, selected: d.deviceId === selected }, d.label || `${fallback} ${i + 1}`)),
      );
      select.disabled = devices.length === 0;
    }
  }

  let opening = Promise.resolve();

  function start() {
    if (mediaChoice() !== "camera_mic") return opening;
    opening = (async () => {
      const key = await local.open({ camera: !$("camera-off").checked });
      problem(key);
      if (!key) await fillPickers();
      refresh();
    })();
    return opening;
  }

  for (const radio of document.querySelectorAll("input[name=media]")) {
    radio.addEventListener("change", async () => {
      if (mediaChoice() === "text_only") {
        local.stop();
        refresh();
      } else {
        await start();
      }
    });
  }
  $("camera-off").addEventListener("change", async () => {
    if (mediaChoice() !== "camera_mic" || !local.audioTrack) return;
    const key = await local.setCamera(!$("camera-off").checked);
    if (key) $("camera-off").checked = true;
    refresh();
  });
  $("mic-select").addEventListener("change", async (event) => {
    problem(await local.useDevice("audio", event.target.value));
    refresh();
  });
  $("camera-select").addEventListener("change", async (event) => {
    problem(await local.useDevice("video", event.target.value));
    refresh();
  });
  $("device-retry").addEventListener("click", async () => {
    document.querySelector("input[name=media][value=camera_mic]").checked = true;
    await start();
  });
  $("join-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    await opening; // someone quick to click Join still gets their camera
    const media = mediaChoice() === "camera_mic" && local.audioTrack ? "camera_mic" : "text_only";
    onJoin({ displayName: form.get("display_name"), media });
  });

  return {
    start,
    stop() {
      meter.detach();
      preview.srcObject = null;
    },
  };
}
