// Media with the relay, exactly as docs/protocol.md "Media" describes it:
// media.join -> media.ready -> our offer (our tracks) -> media.answer; then we answer every
// server media.offer (its `tracks` name whose media each MID carries). Messages are applied
// strictly one after another on a promise chain.
import { onError, onMessage } from "./plugins.js";

const RETRY_LIMIT = 5;
const LOST_OFFER_MS = 4000;
// ICE "disconnected" this long (no packets through): the path is gone, e.g. Wi-Fi to mobile.
const DISCONNECTED_MS = 3000;
// The media errors (signaling/protocol/media.py), and those after which we start again.
const MEDIA_ERRORS = [
  "media_not_started", "bad_sdp", "bad_candidate", "negotiation_in_progress", "unexpected_answer",
  "connection_closed", "negotiation_failed", "media_unavailable",
];
const REJOIN_CODES = new Set(["bad_sdp", "connection_closed", "negotiation_failed", "media_not_started", "unexpected_answer"]);
const MEDIA_MESSAGES = ["media.ready", "media.answer", "media.offer", "media.state", "media.stopped", "media.restart", "media.ice"];

// Simulcast: the camera in layers (1/4, 1/2, full size); the relay forwards each viewer
// the one that fits how large they show it (media.tiles). VP8 only: the relay renumbers
// VP8 picture ids when it switches a viewer between layers. Chromium sends at most two
// layers below 720p and drops the top one, so a 640x480 camera gets two (1/2 and full).
const SIMULCAST_LAYERS = [
  { rid: "q", scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: "h", scaleResolutionDownBy: 2, maxBitrate: 450_000 },
  { rid: "f", scaleResolutionDownBy: 1, maxBitrate: 1_200_000 },
];

function simulcastLayers(track) {
  const height = track?.getSettings?.().height || 480;
  const layers = height >= 720 ? SIMULCAST_LAYERS : SIMULCAST_LAYERS.slice(1);
  return layers.map((layer) => ({ ...layer }));
}

function vp8First() {
  const codecs = globalThis.RTCRtpSender?.getCapabilities?.("video")?.codecs || [];
  if (!codecs.some((c) => c.mimeType.toLowerCase() === "video/vp8")) return null;
  const isVp8 = (c) => c.mimeType.toLowerCase() === "video/vp8";
  return [...codecs.filter(isVp8), ...codecs.filter((c) => !isVp8(c))];
}

// The session's server messages and errors reach it through plugins.js, like every module's.
export function plugMedia(session) {
  for (const type of MEDIA_MESSAGES) onMessage(type, (m) => session.handle(m));
  onError(MEDIA_ERRORS, (m) => session.handle(m));
}

export class MediaSession {
  constructor({ send, local, onRemote, onState, onNotice }) {
    this.send = send; // (message) => bool
    this.local = local; // LocalMedia
    this.onRemote = onRemote; // (Map participant id -> {audio, video}) after every change
    this.onState = onState; // ("off" | "starting" | "connecting" | "connected" | "failed" | "unavailable")
    this.onNotice = onNotice; // (text)
    this.wanted = null; // null (no media) or { receiveVideo }
    this.wantedWhenBack = null; // what we wanted when no relay was available
    this.pc = null;
    this.tracks = {}; // mid -> { participant_id, kind, source } from the latest server offer
    this.senders = {};
    this.screenTrack = null; // your shared screen, sent on the third m-line while the server allows
    this.publish = false;
    this.joinsInFlight = 0;
    this.staleOfferReplies = 0; // replies still due for our offers that a server offer rolled back
    this.reofferAfterAnswer = false;
    this.lostOfferTimer = null;
    this.attempts = 0;
    this.chain = Promise.resolve();
    this.state = "off";
  }

  // --- what the page asks for --------------------------------------------------------

  join({ receiveVideo = true } = {}) {
    this.wanted = { receiveVideo };
    this.wantedWhenBack = null;
    this._closePc();
    this._setState("starting");
    this.joinsInFlight += 1;
    if (!this.send({ type: "media.join", receive_video: receiveVideo })) this.joinsInFlight -= 1;
  }

  leave() {
    this.wanted = null;
    this.wantedWhenBack = null;
    this._closePc();
    this.send({ type: "media.leave" });
    this._setState("off");
  }

  // The socket came back. The peer connection may well have carried on without it; a
  // fresh offer checks that no server offer was lost while we were away.
  socketReconnected() {
    if (!this.wanted) return;
    const pc = this.pc;
    if (!pc || ["failed", "closed"].includes(pc.connectionState) || this.state === "starting") {
      this.join(this.wanted);
      return;
    }
    this.chain = this.chain.then(() => this._offer()).catch((e) => this._broken(e));
  }

  // The network under us changed (the browser went back online, or to another kind of
  // connection), or ICE has heard nothing for DISCONNECTED_MS: a new peer connection at
  // once, with the same tracks. The relay cannot restart ICE (aiortc), and an ICE restart
  // would wait for the old path to fail; the person stays in the meeting all along.
  networkChanged(reason) {
    const wanted = this.wanted || this.wantedWhenBack;
    if (!wanted || this.joinsInFlight > 0) return;
    console.warn("media: new connection:", reason);
    this.attempts = 0;
    this.join(wanted);
  }

  async replaceLocal(kind, track) {
    const sender = this.senders[kind];
    if (sender && this.pc && this.pc.connectionState !== "closed") {
      await sender.replaceTrack(this.publish ? track : null);
    }
  }

  // A shared screen (or null): its own video m-line, set up with every connection, so starting
  // or stopping a share needs no new offer. The relay forwards it only while the server agrees.
  async setScreen(track) {
    this.screenTrack = track;
    const sender = this.senders.screen;
    if (sender && this.pc && this.pc.connectionState !== "closed") await sender.replaceTrack(this.publish ? track : null);
  }

  handle(message) {
    this.chain = this.chain.then(() => this._apply(message)).catch((e) => this._broken(e));
  }

  // --- applying server messages, in order ------------------------------------------

  async _apply(m) {
    switch (m.type) {
      case "media.ready":
        return this._ready(m);
      case "media.ice":
        if (this.pc) this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers: m.ice_servers });
        return this._renewIceLater(m.ice_ttl_seconds);
      case "media.answer":
        return this._answer(m);
      case "media.offer":
        return this._serverOffer(m);
      case "media.state":
        // A "closed" for the connection a new media.join replaced arrives after media.ready:
        // only a connection that got going can have dropped (ours reports its own failures).
        if ((m.state === "failed" || m.state === "closed") && this.pc?.wasConnected) {
          this._rejoin("the connection to the server dropped");
        }
        return;
      case "media.restart": {
        // Our relay is gone and the meeting lives on another one: start over there now
        // (also if we had given up because no relay was available).
        const wanted = this.wanted || this.wantedWhenBack;
        if (wanted) {
          this.attempts = 0;
          this.join(wanted);
        }
        return;
      }
      case "media.stopped":
        if (this.wanted && this.joinsInFlight === 0) {
          this.wanted = null;
          this._closePc();
          this._setState("off");
        }
        return;
      case "error":
        return this._error(m);
    }
  }

  async _ready(m) {
    this.joinsInFlight = Math.max(0, this.joinsInFlight - 1);
    if (!this.wanted || this.joinsInFlight > 0) return; // a newer join is on its way
    this._closePc();
    const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle", iceServers: m.ice_servers });
    this.pc = pc;
    this._renewIceLater(m.ice_ttl_seconds);
    this.tracks = {};
    this.staleOfferReplies = 0;
    this.reofferAfterAnswer = false;
    this.publish = m.publish_audio || m.publish_video;
    const pendingCandidates = [];
    pc.offered = false;
    pc.wasConnected = false;
    pc.addEventListener("icecandidate", (event) => {
      if (this.pc !== pc) return;
      const c = event.candidate;
      const message = {
        type: "media.candidate",
        candidate: c && c.candidate ? { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex } : null,
      };
      if (pc.offered) this.send(message);
      else pendingCandidates.push(message);
    });
    pc.addEventListener("connectionstatechange", () => {
      if (this.pc !== pc) return;
      const s = pc.connectionState;
      if (s === "connected") {
        pc.wasConnected = true;
        this.attempts = 0;
        this._setState("connected");
      } else if (s === "failed") this._rejoin("the media connection failed");
      else if (s === "disconnected" || s === "connecting") this._setState("connecting");
    });
    pc.addEventListener("iceconnectionstatechange", () => {
      if (this.pc !== pc) return;
      clearTimeout(this.disconnectedTimer);
      if (pc.iceConnectionState !== "disconnected" || !pc.wasConnected) return;
      this.disconnectedTimer = setTimeout(() => {
        if (this.pc === pc && pc.iceConnectionState === "disconnected") {
          this.networkChanged(`no media for ${DISCONNECTED_MS / 1000} s`);
        }
      }, DISCONNECTED_MS);
    });
    pc.addEventListener("track", () => this._emitRemote());
    for (const kind of ["audio", "video"]) {
      const track = kind === "audio" ? this.local.audioTrack : this.local.videoTrack;
      const publishKind = kind === "audio" ? m.publish_audio : m.publish_video;
      const codecs = kind === "video" ? vp8First() : null;
      const transceiver = pc.addTransceiver(publishKind && track ? track : kind, {
        direction: "sendonly",
        streams: [this.local.stream],
        ...(codecs ? { sendEncodings: simulcastLayers(track) } : {}),
      });
      if (codecs && transceiver.setCodecPreferences) transceiver.setCodecPreferences(codecs);
      this.senders[kind] = transceiver.sender;
    }
    // The second video m-line is the screen (docs/protocol.md "Screen sharing").
    const screen = pc.addTransceiver(this.publish && this.screenTrack ? this.screenTrack : "video", { direction: "sendonly" });
    this.senders.screen = screen.sender;
    this._setState("connecting");
    await this._offer();
    pc.offered = true;
    pendingCandidates.forEach((c) => this.send(c));
  }

  async _offer() {
    const pc = this.pc;
    if (!pc || pc.signalingState !== "stable") return;
    await pc.setLocalDescription(await pc.createOffer());
    this.send({ type: "media.offer", sdp: pc.localDescription.sdp });
  }

  async _answer(m) {
    if (this.staleOfferReplies > 0) {
      this.staleOfferReplies -= 1;
      return;
    }
    if (this.pc?.signalingState === "have-local-offer") {
      await this.pc.setRemoteDescription({ type: "answer", sdp: m.sdp });
    }
  }

  async _serverOffer(m) {
    const pc = this.pc;
    if (!pc || this.joinsInFlight > 0) return;
    clearTimeout(this.lostOfferTimer);
    if (pc.signalingState === "have-local-offer") {
      // Both sides offered at once: the server's offer wins, ours goes again afterwards.
      await pc.setLocalDescription({ type: "rollback" });
      this.staleOfferReplies += 1;
      this.reofferAfterAnswer = true;
    }
    await pc.setRemoteDescription({ type: "offer", sdp: m.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    this.tracks = m.tracks;
    this.send({ type: "media.answer", sdp: pc.localDescription.sdp });
    this._emitRemote();
    if (this.reofferAfterAnswer) {
      this.reofferAfterAnswer = false;
      await this._offer();
    }
  }

  async _error(m) {
    if (m.code === "negotiation_in_progress") {
      if (this.staleOfferReplies > 0) {
        this.staleOfferReplies -= 1;
        return;
      }
      // The server has an offer out that has not reached us yet (or was lost with a socket).
      if (this.pc?.signalingState === "have-local-offer") await this.pc.setLocalDescription({ type: "rollback" });
      this.reofferAfterAnswer = true;
      clearTimeout(this.lostOfferTimer);
      this.lostOfferTimer = setTimeout(() => this._rejoin("an update was lost"), LOST_OFFER_MS);
    } else if (m.code === "media_unavailable") {
      this.wantedWhenBack = this.wanted;
      this.wanted = null;
      this._closePc();
      this._setState("unavailable");
      this.onNotice(m.message);
    } else if (REJOIN_CODES.has(m.code) && this.wanted) {
      this._rejoin(m.message);
    }
  }

  _rejoin(reason) {
    if (!this.wanted) return;
    console.warn("media: starting again:", reason);
    this.attempts += 1;
    if (this.attempts > RETRY_LIMIT) {
      this._closePc();
      this._setState("failed");
      this.onNotice(`Audio and video stopped (${reason}). Chat still works; try "Video" again later.`);
      return;
    }
    this._closePc();
    this._setState("starting");
    const wanted = this.wanted;
    setTimeout(() => this.wanted === wanted && this.join(wanted), Math.min(500 * this.attempts, 3000));
  }

  _broken(error) {
    console.error("media:", error);
    this._rejoin(String(error?.message || error));
  }

  // TURN credentials are short-lived: ask for fresh ones well before they run out.
  _renewIceLater(ttlSeconds) {
    clearTimeout(this.iceRenewTimer);
    if (!ttlSeconds || !this.pc) return;
    this.iceRenewTimer = setTimeout(() => this.pc && this.send({ type: "media.ice" }), ttlSeconds * 800);
  }

  _closePc() {
    clearTimeout(this.lostOfferTimer);
    clearTimeout(this.disconnectedTimer);
    clearTimeout(this.iceRenewTimer);
    if (this.pc) {
      this.pc.close();
      this.pc = null;
      this.senders = {};
      this.tracks = {};
      this._emitRemote();
    }
  }

  _setState(state) {
    this.state = state;
    this.onState(state);
  }

  // Whose audio and video we receive now, from the server's MID map.
  _emitRemote() {
    const remote = new Map();
    for (const t of this.pc ? this.pc.getTransceivers() : []) {
      const info = t.mid !== null ? this.tracks[t.mid] : undefined;
      if (!info || !["recvonly", "sendrecv"].includes(t.currentDirection)) continue;
      if (!remote.has(info.participant_id)) remote.set(info.participant_id, { audio: null, video: null, screen: null, mids: {} });
      const entry = remote.get(info.participant_id);
      const slot = info.source === "screen" ? "screen" : info.kind;
      entry[slot] = t.receiver.track;
      entry.mids[slot] = t.mid;
    }
    this.onRemote(remote);
  }

  // Inbound statistics per participant: { pid: { audio: {...}, video: {...} } }.
  async inboundStats() {
    const result = {};
    if (!this.pc) return result;
    const report = await this.pc.getStats();
    report.forEach((s) => {
      if (s.type !== "inbound-rtp") return;
      const info = this.tracks[s.mid];
      if (!info) return;
      result[info.participant_id] ??= {};
      result[info.participant_id][info.source === "screen" ? "screen" : info.kind] = {
        packetsReceived: s.packetsReceived || 0,
        packetsLost: s.packetsLost || 0,
        framesDecoded: s.framesDecoded || 0,
        jitter: s.jitter || 0,
      };
    });
    return result;
  }
}
