// Where feature modules (mute, breakouts, check-ins, ...) plug into the meeting page.
//
//   import { onMessage, addParticipantActions, addTileIcons, meeting } from "./plugins.js";
//   onMessage("breakout.opened", (message) => ...);            // any server message type
//   addParticipantActions((p) => [buttonNode, ...]);            // per person, facilitator list
//   addTileIcons((p) => [{ key: "muted", label: "Muted" }]);    // icons on video tiles
//   addTileFilter((p) => bool);                                 // whose tile the grid shows
//   onError(["code", ...], (error) => ...);                     // errors the module explains
//   meeting.send({...}); meeting.view; meeting.notify(text, {seconds}); meeting.refresh();
//   meeting.requestHelp = () => bool;  // true: the module handled "Ask for help"
// Mount points in room.html: #facilitator-tools, #breakout-view, #prompt-mount, #notices.
// Participant objects are passed through whole, so new server fields reach plugins as is.

const messageHandlers = new Map();
const participantActions = [];
const tileIcons = [];
const tileFilters = [];
const errorHandlers = new Map();

export const meeting = {
  view: null, // set by room.js: { you, role, participants, hands, lobby, speaker }
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

export function addParticipantActions(builder) {
  participantActions.push(builder);
}

export function addTileIcons(builder) {
  tileIcons.push(builder);
}

export function addTileFilter(filter) {
  tileFilters.push(filter);
}

export function onError(codes, handler) {
  for (const code of codes) errorHandlers.set(code, handler);
}

// True when a module took care of explaining this error.
export function dispatchError(error) {
  const handler = errorHandlers.get(error.code);
  if (handler) handler(error);
  return Boolean(handler);
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

export function pluginShows(participant) {
  return tileFilters.every((shows) => shows(participant));
}
