// The one client of the meeting protocol (docs/protocol.md), like Galène's static/protocol.js:
// the only module that knows message types, error codes and close codes. It owns the socket:
// hello first, pong to every ping, reconnect with the same token, and every server message
// goes through one path, plugins.js `dispatch`, to the modules that asked for it.
//
// The server's own lists come embedded in room.html (meetings/client_constants.py), so
// nothing here copies them: the message types, error codes, close codes, the goodbye texts
// the server also sends and the check-in results step.
import { dispatch } from "./plugins.js";

const embedded = document.getElementById("client-constants");
const server = embedded ? JSON.parse(embedded.textContent) : {};

export const PROTOCOL_VERSION = server.protocol_version ?? 1;
export const CLIENT_TYPES = new Set(server.client_types || []);
export const SERVER_TYPES = new Set(server.server_types || []);
export const ERROR_CODES = server.error_codes || {}; // code -> the server's text
export const CLOSE_CODES = Object.fromEntries(Object.entries(server.close_codes || {}).map(([code, text]) => [Number(code), text]));
export const SERVER_GOODBYES = Object.fromEntries(Object.entries(server.goodbyes || {}).map(([code, text]) => [Number(code), text]));
export const CHECKIN_LIVE_STEP = server.checkin_live_step ?? 3;

// The close codes the page acts on, by name (their meanings are in CLOSE_CODES).
export const CLOSE = {
  handshake: 4400,
  expired: 4401,
  denied: 4403,
  noMeeting: 4404,
  silent: 4408,
  replaced: 4409,
  left: 4410,
  removed: 4411,
  ended: 4412,
  retrySoon: 4500,
  retryNow: 4503,
};
// A silent socket (no frame for 45 s) and the server's two retry codes are worth opening
// again; every other close the server names is final. Anything else (a network drop) is retried.
const FINAL_CLOSES = new Set([...Object.keys(CLOSE_CODES).map(Number), ...Object.values(CLOSE)]);
for (const code of [CLOSE.silent, CLOSE.retrySoon, CLOSE.retryNow]) FINAL_CLOSES.delete(code);

for (const code of Object.values(CLOSE)) if (embedded && !(code in CLOSE_CODES)) console.error(`protocol: the server has no close code ${code}`);

export class ProtocolClient {
  constructor({ meetingId, token, onState }) {
    this.meetingId = meetingId;
    this.token = token;
    this.onState = onState; // ("connected" | "reconnecting" | "closed", closeCode)
    this.attempt = 0;
    this.closedByUs = false;
    this.socket = null;
  }

  open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/meetings/${this.meetingId}/`);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this._write({ type: "hello", version: PROTOCOL_VERSION, token: this.token, batch: true });
      this.onState("connected");
    });
    socket.addEventListener("message", (event) => this._receive(event.data));
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      if (this.closedByUs || FINAL_CLOSES.has(event.code)) {
        this.onState("closed", event.code);
        return;
      }
      this.onState("reconnecting");
      // A process going away (4503) hands its sockets to the others at once, spread over a
      // moment so they do not all land together; anything else backs off, and only a
      // welcome (not a bare open: the hello may still fail) counts as a good connection.
      const delay = event.code === CLOSE.retryNow && this.attempt === 0
        ? Math.random() * 250
        : Math.min(1000 * 2 ** this.attempt, 8000);
      this.attempt += 1;
      setTimeout(() => this.open(), delay);
    });
  }

  // Sends one client message; false when the socket is not open. An unknown type is a bug.
  send(type, fields = {}) {
    if (embedded && !CLIENT_TYPES.has(type)) throw new Error(`protocol: "${type}" is not a client message type`);
    return this._write({ type, ...fields });
  }

  // Main-room help: the facilitators (and you) get it as a chat.message of kind "help".
  askForHelp(note) {
    return this.send("help.request", { note });
  }

  close() {
    this.closedByUs = true;
    if (this.socket) this.socket.close(1000);
  }

  _write(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  _receive(data) {
    let parsed;
    try {
      parsed = JSON.parse(data);
    } catch {
      return;
    }
    // hello says `batch`: a frame may hold several messages, in order
    for (const message of Array.isArray(parsed) ? parsed : [parsed]) this._handle(message);
  }

  _handle(message) {
    if (message.type === "ping") {
      this._write({ type: "pong" });
      return;
    }
    if (message.type === "welcome") this.attempt = 0;
    if (embedded && !SERVER_TYPES.has(message.type)) console.warn(`protocol: unknown server message "${message.type}"`);
    dispatch(message);
  }
}
