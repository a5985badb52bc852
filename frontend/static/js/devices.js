// The local camera and microphone: open, switch devices, turn on and off, level meter.
const VIDEO = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 15, max: 24 } };

export const DEVICE_PROBLEMS = {
  denied:
    "Your browser did not allow the camera or microphone. You can take part by text, and switch " +
    "on audio later from your browser's site settings.",
  missing: "No camera or microphone was found. You can take part by text.",
  busy: "The camera or microphone is in use by another program. You can take part by text.",
  unsupported: "This browser cannot share a camera or microphone here. You can take part by text.",
};

function problemOf(error) {
  if (!error) return "unsupported";
  if (error.name === "NotAllowedError" || error.name === "SecurityError") return "denied";
  if (error.name === "NotFoundError" || error.name === "OverconstrainedError") return "missing";
  if (error.name === "NotReadableError" || error.name === "AbortError") return "busy";
  return "unsupported";
}

export class LocalMedia {
  constructor({ onChange = () => {} } = {}) {
    this.stream = new MediaStream();
    this.onChange = onChange; // (kind, trackOrNull) whenever a local track appears or goes
    this.audioId = "";
    this.videoId = "";
    this.micOn = true;
    this.cameraOn = true;
  }

  get audioTrack() {
    return this.stream.getAudioTracks()[0] || null;
  }

  get videoTrack() {
    return this.stream.getVideoTracks()[0] || null;
  }

  // Returns null when it worked, or a key of DEVICE_PROBLEMS.
  async open({ camera = true } = {}) {
    if (!navigator.mediaDevices?.getUserMedia) return "unsupported";
    this.cameraOn = camera;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: this.audioId ? { deviceId: { exact: this.audioId } } : true,
        video: camera ? { ...VIDEO, ...(this.videoId ? { deviceId: { exact: this.videoId } } : {}) } : false,
      });
      this._replaceAll(stream);
      return null;
    } catch (error) {
      if (camera && error.name !== "NotAllowedError") {
        // A microphone alone is still a voice in the room.
        try {
          const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
          this.cameraOn = false;
          this._replaceAll(stream);
          return null;
        } catch (second) {
          return problemOf(second);
        }
      }
      return problemOf(error);
    }
  }

  _replaceAll(stream) {
    this.stop();
    for (const track of stream.getTracks()) this._set(track.kind, track);
    this.audioTrack && (this.audioTrack.enabled = this.micOn);
  }

  _set(kind, track) {
    const old = kind === "audio" ? this.audioTrack : this.videoTrack;
    if (old) {
      this.stream.removeTrack(old);
      old.stop();
    }
    if (track) this.stream.addTrack(track);
    this.onChange(kind, track);
  }

  setMic(on) {
    this.micOn = on;
    if (this.audioTrack) this.audioTrack.enabled = on;
  }

  // Camera off stops the camera itself (its light goes out), not only the picture.
  async setCamera(on) {
    this.cameraOn = on;
    if (!on) {
      this._set("video", null);
      return null;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { ...VIDEO, ...(this.videoId ? { deviceId: { exact: this.videoId } } : {}) },
      });
      this._set("video", stream.getVideoTracks()[0]);
      return null;
    } catch (error) {
      this.cameraOn = false;
      return problemOf(error);
    }
  }

  async useDevice(kind, deviceId) {
    if (kind === "audio") {
      this.audioId = deviceId;
      if (!this.audioTrack) return null;
      try {
        const stream = await navigator.mediaDevices.getUserMedia({ audio: { deviceId: { exact: deviceId } } });
        this._set("audio", stream.getAudioTracks()[0]);
        this.audioTrack.enabled = this.micOn;
        return null;
      } catch (error) {
        return problemOf(error);
      }
    }
    this.videoId = deviceId;
    return this.cameraOn ? this.setCamera(true) : null;
  }

  async devices() {
    const all = navigator.mediaDevices?.enumerateDevices ? await navigator.mediaDevices.enumerateDevices() : [];
    return {
      audio: all.filter((d) => d.kind === "audioinput"),
      video: all.filter((d) => d.kind === "videoinput"),
    };
  }

  stop() {
    for (const track of this.stream.getTracks()) {
      track.stop();
      this.stream.removeTrack(track);
    }
  }
}

// Drives a <meter> from the microphone's loudness, ten times a second.
export class LevelMeter {
  constructor(meterElement) {
    this.meter = meterElement;
    this.timer = null;
    this.context = null;
  }

  attach(track) {
    this.detach();
    if (!track) return;
    try {
      this.context = new AudioContext();
      const source = this.context.createMediaStreamSource(new MediaStream([track]));
      const analyser = this.context.createAnalyser();
      analyser.fftSize = 512;
      source.connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      this.timer = setInterval(() => {
        analyser.getFloatTimeDomainData(samples);
        let sum = 0;
        for (const s of samples) sum += s * s;
        const rms = Math.sqrt(sum / samples.length);
        this.meter.value = track.enabled ? Math.min(1, rms * 4) : 0;
      }, 100);
    } catch {
      this.detach();
    }
  }

  detach() {
    clearInterval(this.timer);
    this.timer = null;
    if (this.context) this.context.close();
    this.context = null;
    if (this.meter) this.meter.value = 0;
  }
}
