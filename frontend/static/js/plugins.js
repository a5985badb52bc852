// Where feature modules (mute, breakouts, check-ins, ...) plug into the meeting page.
//
//   import { onMessage, addParticipantActions, addTileIcons, meeting } from "./plugins.js";
//   onMessage("breakout.opened", (message) => ...);            // any server message type
//   addParticipantActions((p) => [buttonNode, ...]);            // per person, facilitator list
//   addTileIcons((p) => [{ key: "muted", label: "Muted" }]);    // icons on video tiles
//   meeting.send({...}); meeting.view; meeting.notify(text); meeting.refresh();
// Mount points in room.html: #facilitator-tools, #breakout-view, #prompt-mount, #notices.
// Participant objects are passed through whole, so new server fields reach plugins as is.

const messageHandlers = new Map();
const participantActions = [];
const tileIcons = [];

export const meeting = {
  view: null, // set by room.js: { you, role, participants, hands, lobby, speaker }
  send: () => false,
  notify: () => {},
  refresh: () => {},
  facilitates: () => false,
};

export function onMessage(type, handler) {
  if (!messageHandlers.has(type)) messageHandlers.set(type, []);
  messageHandlers.get(type).push(handler);
}

export function addParticipantActions(builder) {
  participantActions.push(builder);
}

export function addTileIcons(builder) {
  tileIcons.push(builder);
}

export function dispatch(message) {
  for (const handler of messageHandlers.get(message.type) || []) handler(message);
}

export function hasHandler(type) {
  return messageHandlers.has(type);
}

export function pluginActions(participant) {
  return participantActions.flatMap((build) => build(participant) || []);
}

export function pluginIcons(participant) {
  return tileIcons.flatMap((build) => build(participant) || []);
}
