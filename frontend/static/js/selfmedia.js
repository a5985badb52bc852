// Your own microphone and camera follow the server's state of you (docs/protocol.md
// "Facilitation"): a mute is server state that everyone sees and the relay enforces.
// Turning something off takes effect here at once; turning it back on waits for the
// server's yes (participant.updated), which a facilitator's mute may withhold.
import { DEVICE_PROBLEMS } from "./devices.js";
import { $ } from "./dom.js";
import { setControl } from "./icons.js";
import { onError, onMessage } from "./plugins.js";

const WORDS = { audio: "microphone", video: "camera" };

export class SelfMedia {
  constructor({ local, view, send, notify, announce, onChange }) {
    this.local = local;
    this.view = view;
    this.send = send;
    this.notify = notify;
    this.announce = announce; // (text) to the page's status line
    this.shown = null; // what the buttons said last time: { micOn, camOn }
    this.onChange = onChange; // redraw the buttons and your tile
    this.pendingOff = { audio: false, video: false }; // sent "mute", the server has not confirmed
    this.lastAsked = "audio"; // the kind of the last "unmute" we sent, to explain a refusal
    this.told = false; // the server knows whether we came in with the camera off
    this.switching = false;
    this.chooseMode = null; // (mode) => ..., set by room.js from modes.js
    onMessage("room.state", () => this.sync({ fresh: true }));
    onMessage("participant.updated", (m) => m.participant.id === view.you && this.sync());
    onMessage("room.settings", () => this.render());
    onError(["self_unmute_disabled"], () => this.explainRefusal());
  }

  // A new participant comes next (a rejoin after the grace): nothing said before holds.
  forget() {
    this.told = false;
    this.shown = null;
    this.pendingOff = { audio: false, video: false };
  }

  me() {
    return this.view.participants.get(this.view.you);
  }

  state(kind) {
    return this.me()?.[kind] || "on";
  }

  // Your devices are in play: camera and microphone chosen, not in text-only mode.
  active() {
    return this.me()?.media === "camera_mic" && this.view.mode !== "text" && Boolean(this.local.audioTrack);
  }

  isOn(kind) {
    if (kind === "audio") return this.state("audio") === "on" && this.local.micOn;
    return this.state("video") === "on" && Boolean(this.local.videoTrack);
  }

  blocked(kind) {
    return this.state(kind) === "off_by_facilitator" && this.view.settings?.allow_self_unmute === false && !this.view.facilitates();
  }

  // `fromKey`: a single-key shortcut, which never leaves text only (a stray key must not
  // switch on the microphone of someone who chose to take part by text).
  async toggle(kind, { fromKey = false } = {}) {
    if (!this.active()) {
      // On text only, the microphone asks for audio and the camera for video (modes.js).
      if (this.view.mode === "text" && !fromKey) this.chooseMode?.(kind === "audio" ? "audio" : "video");
      return;
    }
    if (this.isOn(kind)) {
      if (!this.send({ type: "mute", kind })) return;
      this.pendingOff[kind] = true;
      await this._apply(kind, false);
    } else if (this.state(kind) === "on" && !this.pendingOff[kind]) {
      await this._apply(kind, true); // the server already agrees (a camera that had not opened)
    } else {
      // Our "mute" may still be on its way: the socket keeps order, so "unmute" lands after it.
      this.pendingOff[kind] = false;
      this.lastAsked = kind;
      this.send({ type: "unmute", kind });
    }
  }

  // Make the local tracks say what the server says about you.
  async sync({ fresh = false } = {}) {
    const me = this.me();
    if (!me || !this.active()) return this.render();
    if (!this.told) {
      this.told = true;
      if (me.video === "on" && !this.local.videoTrack) {
        this.pendingOff.video = true; // came in with the camera off: let everyone see it
        this.send({ type: "mute", kind: "video" });
        fresh = false;
      }
    }
    for (const kind of ["audio", "video"]) {
      if (me[kind] !== "on") this.pendingOff[kind] = false;
      else if (this.pendingOff[kind] && fresh) this.send({ type: "mute", kind }); // lost with a socket
    }
    if (!this.pendingOff.audio) this.local.setMic(me.audio === "on");
    if (!this.pendingOff.video && (me.video === "on") !== Boolean(this.local.videoTrack)) {
      await this._apply("video", me.video === "on");
    }
    this.render();
  }

  async _apply(kind, on) {
    if (kind === "audio") {
      this.local.setMic(on);
    } else if (!this.switching) {
      this.switching = true;
      const problem = await this.local.setCamera(on);
      this.switching = false;
      if (problem) {
        this.notify(DEVICE_PROBLEMS[problem]);
        this.pendingOff.video = true;
        this.send({ type: "mute", kind: "video" });
      } else {
        return this.sync(); // the server may have changed its mind while the camera switched
      }
    }
    this.render();
  }

  explainRefusal() {
    const what = WORDS[this.lastAsked];
    this.notify(
      `A facilitator turned your ${what} off, and only they can turn it back on right now. ` +
        `They can ask you, and nothing is switched on unless you say yes.`,
    );
    this.render();
  }

  // The mic and camera buttons, and a line saying why something is off.
  render() {
    const usable = this.active();
    const micOn = usable && this.isOn("audio");
    const camOn = usable && this.isOn("video");
    const mic = $("mic-button");
    const cam = $("camera-button");
    const textOnly = this.view.mode === "text";
    const shownOn = (on) => on || (!usable && !textOnly); // text only: "Unmute" invites you to join in
    const state = (on) => (usable ? (on ? "on" : "off") : "idle");
    setControl(mic, shownOn(micOn) ? "Mute" : "Unmute", shownOn(micOn) ? "mic" : "mic-off", state(micOn));
    setControl(cam, shownOn(camOn) ? "Stop video" : "Start video", shownOn(camOn) ? "video" : "video-off", state(camOn));
    mic.disabled = cam.disabled = !usable && !textOnly;
    const reasons = [];
    if (textOnly) reasons.push("You are taking part by text. Unmute or Start video to join in by voice or camera.");
    for (const [kind, button] of [["audio", mic], ["video", cam]]) {
      const blocked = usable && this.blocked(kind);
      button.setAttribute("aria-disabled", String(blocked));
      button.classList.toggle("blocked", blocked);
      if (usable && this.state(kind) === "off_by_facilitator") {
        reasons.push(
          `A facilitator turned your ${WORDS[kind]} off. ` +
            (blocked ? "They can ask you to turn it back on." : "You can turn it back on when you are ready."),
        );
      }
    }
    if (usable && this.shown && this.shown.micOn !== micOn) this.announce(micOn ? "Microphone on." : "Microphone muted.");
    if (usable && this.shown && this.shown.camOn !== camOn) this.announce(camOn ? "Your video is on." : "Your video is off.");
    this.shown = usable ? { micOn, camOn } : null;
    const hint = $("self-media-hint");
    hint.textContent = reasons.join(" ");
    hint.hidden = reasons.length === 0;
    this.onChange();
  }
}
