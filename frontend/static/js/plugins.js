// Where the meeting page's modules plug in. protocol.js hands every server message to
// `dispatch`, the one path in: the room's own view (roomview.js), your microphone and camera
// (selfmedia.js), media (media.js), and the features in features/ (facilitation.js,
// breakouts.js, checkins.js) all receive messages here, in the order they registered.
//
//   import { onMessage, onError, addParticipantActions, addTileIcons, meeting } from "./plugins.js";
//   onMessage("breakouts.updated", (message) => ...);          // any server message type
//   onError(["not_muted", ...], (error) => ...);                // errors the module explains;
//                                                              // return false to pass one on
//   onOtherError((error) => ...);                               // what nobody explained
//   addParticipantActions((p) => [buttonNode, ...]);            // per person, facilitator list
//   addPeerActions((p) => [buttonNode, ...]);                   // per other person, anyone else's menu
//   addChatActions((message) => [buttonNode, ...]);             // a chat message's "…" menu
//                                                              // (chatview.js; message as in chat.message;
//                                                              // data-destructive nodes go last)
//   addTileIcons((p) => [{ key: "muted", label: "Muted" }]);    // icons on video tiles
//   addTileNotes((p, { screen }) => ["Video paused …"]);        // words on a tile, shown
//                                                              // instead of its picture (screen:
//                                                              // the tile of p's shared screen)
//   addTileFilter((p) => bool);                                 // whose tile the grid shows
//   meeting.send({ type, ...fields });  // through protocol.js, which knows the types
//   meeting.view; meeting.notify(text, {seconds}); meeting.refresh(); meeting.facilitates();
//   meeting.requestHelp = () => bool;  // true: the module handled "Ask for help"
// Mount points in room.html: #facilitator-tools, #breakout-view, #prompt-mount, #notices,
// #side-panels. Participant objects are passed through whole, so new server fields reach
// plugins as is. Message types and error codes a module names are checked against the
// server's by tests/meetings/test_client_constants.py.

const messageHandlers = new Map();
const participantActions = [];
const peerActions = [];
const chatActions = [];
const tileIcons = [];
const tileNotes = [];
const tileFilters = [];
const errorHandlers = new Map();
const otherErrorHandlers = [];

export const meeting = {
  view: null, // set by room.js: { you, role, participants, hands, lobby, speaker, ... }
  send: () => false,
  notify: () => {},
  refresh: () => {},
  facilitates: () => false,
  requestHelp: null,
};

export function onMessage(type, handler) {
  if (!messageHandlers.has(type)) messageHandlers.set(type, []);
  messageHandlers.get(type).push(handler);
}

export function onError(codes, handler) {
  for (const code of codes) {
    if (!errorHandlers.has(code)) errorHandlers.set(code, []);
    errorHandlers.get(code).push(handler);
  }
}

export function onOtherError(handler) {
  otherErrorHandlers.push(handler);
}

export function addParticipantActions(builder) {
  participantActions.push(builder);
}

export function addPeerActions(builder) {
  peerActions.push(builder);
}

export function addChatActions(builder) {
  chatActions.push(builder);
}

export function pluginPeerActions(participant) {
  return peerActions.flatMap((build) => build(participant) || []);
}

export function pluginChatActions(message) {
  return chatActions.flatMap((build) => build(message) || []);
}

export function addTileIcons(builder) {
  tileIcons.push(builder);
}

export function addTileNotes(builder) {
  tileNotes.push(builder);
}

export function addTileFilter(filter) {
  tileFilters.push(filter);
}

// Every server message, from protocol.js. An error goes to the first module that explains
// its code (and does not answer false), or else to the page's general error line.
export function dispatch(message) {
  if (message.type === "error") {
    for (const handler of [...(errorHandlers.get(message.code) || []), ...otherErrorHandlers]) {
      if (handler(message) !== false) return;
    }
    return;
  }
  for (const handler of messageHandlers.get(message.type) || []) handler(message);
}

export function pluginActions(participant) {
  return participantActions.flatMap((build) => build(participant) || []);
}

export function pluginIcons(participant) {
  return tileIcons.flatMap((build) => build(participant) || []);
}

export function pluginNotes(participant, { screen = false } = {}) {
  return tileNotes.flatMap((build) => build(participant, { screen }) || []);
}

export function pluginShows(participant) {
  return tileFilters.every((shows) => shows(participant));
}
