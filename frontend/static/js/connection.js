// One WebSocket per participant: hello first, answer pings, reconnect with the same token.
const PROTOCOL_VERSION = 1;
// Close codes after which reconnecting cannot help (see docs/protocol.md).
const FINAL_CLOSES = new Set([4400, 4401, 4403, 4404, 4409, 4410, 4411, 4412]);

export class Connection {
  constructor({ meetingId, token, onMessage, onState }) {
    this.meetingId = meetingId;
    this.token = token;
    this.onMessage = onMessage;
    this.onState = onState;
    this.attempt = 0;
    this.closedByUs = false;
  }

  open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/meetings/${this.meetingId}/`);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.attempt = 0;
      this.send({ type: "hello", version: PROTOCOL_VERSION, token: this.token });
      this.onState("connected");
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "ping") {
        this.send({ type: "pong" });
        return;
      }
      this.onMessage(message);
    });
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      if (this.closedByUs || FINAL_CLOSES.has(event.code)) {
        this.onState("closed", event.code);
        return;
      }
      this.onState("reconnecting");
      const delay = Math.min(1000 * 2 ** this.attempt, 8000);
      this.attempt += 1;
      setTimeout(() => this.open(), delay);
    });
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  close() {
    this.closedByUs = true;
    if (this.socket) this.socket.close(1000);
  }
}
