// How you take part, changed both ways during the meeting: video (your microphone and camera,
// everyone's video), audio (your microphone, no video either way) or text only (no devices,
// no media). The server decides (media.set, docs/protocol.md "Media"): going down takes
// effect here at once, since turning a camera off needs nobody's yes; going up from text
// only waits for the server's participant.updated, then opens the devices and joins media.
// A choice made while the socket is down is kept and sent after the next room.state (the
// server's state of you when you are back); going down to text only still happens at once.
import { DEVICE_PROBLEMS } from "./devices.js";
import { $ } from "./dom.js";
import { onMessage } from "./plugins.js";

const SERVER_MODE = { video: "video", audio: "audio", text: "text_only" };
const MODE_WORDS = { video: "video", audio: "audio only", text: "text only" };

export function modeSwitcher({ view, local, meter, media, selfMedia, send, notify, onChange }) {
  const me = () => view.participants.get(view.you);
  let wanted = null; // the mode last sent to the server, until its answer arrives
  let offline = null; // a mode chosen while the socket was down, sent once it is back

  // Makes this page take part as `mode`, as far as the server's state of you allows.
  async function apply(mode) {
    view.mode = mode;
    $("mode-select").value = mode;
    $("grid").classList.toggle("audio-only", mode !== "video"); // others' video is not received
    if (mode === "text" || me()?.media !== "camera_mic") {
      if (media.wanted) media.leave();
      local.stop();
      meter.detach();
    } else {
      if (!local.audioTrack) {
        const problem = await local.open({ camera: mode === "video" && me().video === "on" });
        if (problem) {
          notify(DEVICE_PROBLEMS[problem]);
          wanted = "text";
          send({ type: "media.set", mode: "text_only" }); // a voice we cannot open stays text
          return apply("text");
        }
      }
      media.join({ receiveVideo: mode === "video" });
    }
    await selfMedia.sync();
    onChange();
  }

  // The person's choice in the Mode menu (or a mic or camera button while on text only).
  async function choose(mode) {
    if (mode === view.mode && !wanted && !offline) return;
    return request(mode);
  }

  async function request(mode) {
    if (!send({ type: "media.set", mode: SERVER_MODE[mode] })) {
      offline = mode;
      $("mode-select").value = mode;
      notify(`You'll switch to ${MODE_WORDS[mode]} when the connection is back.`);
      if (mode === "text" && view.mode !== "text") return apply("text"); // needs nobody's yes
      return;
    }
    offline = null;
    const onServer = me()?.media;
    wanted = mode === "text" && onServer === "text_only" && !wanted ? null : mode;
    if (mode === "text") return apply("text");
    if (onServer !== "camera_mic") return; // the devices open when the server has said yes
    if (mode === "audio" && local.videoTrack) {
      selfMedia.pendingOff.video = true; // the camera goes off now; the server confirms
      await local.setCamera(false);
    }
    return apply(mode);
  }

  // The server's state of you changed. While a choice of ours is on its way, only its
  // answer counts; otherwise follow the server (a facilitator's "please start your video"
  // accepted while on audio, or a change made from another tab).
  onMessage("participant.updated", ({ participant }) => {
    if (participant.id !== view.you) return;
    const text = participant.media === "text_only";
    if (wanted) {
      if (text !== (wanted === "text")) return; // not the answer to our choice yet
      const mode = wanted;
      wanted = null;
      if (view.mode !== mode) apply(mode);
    } else if (text) {
      if (view.mode !== "text") apply("text");
    } else if (view.mode === "text") {
      apply(participant.video === "on" ? "video" : "audio");
    } else if (view.mode === "audio" && participant.video === "on") {
      apply("video");
    }
  });

  // Back online: the room view has just taken the server's state of you; a choice made
  // meanwhile is sent now.
  onMessage("room.state", () => {
    if (offline) request(offline);
  });

  return { apply, choose };
}
