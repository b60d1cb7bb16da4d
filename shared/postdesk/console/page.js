// The page's frame: which view shows, and the one message line above it.

import { byId, showMessage } from "./dom.js";

const VIEWS = ["sign-in-view", "queue-view", "ticket-view", "outbox-view", "reports-view", "signature-view", "notifications-view", "saved-replies-view", "knowledge-view", "new-ticket-view", "webhooks-view", "agents-view", "tokens-view", "audit-view", "two-step-view"];

export function showView(id) {
  for (const view of VIEWS) byId(view).hidden = view !== id;
}

export function shownView() {
  return VIEWS.find((view) => !byId(view).hidden) || null;
}

// A message for the view the next move of the address shows (the router shows it there, once): what
// an action that leaves its view did ("Deleted …" after the ticket it was on is gone).
let forNextView = "";

export function flashAfterMove(message) {
  forNextView = message || "";
}

export function takeMessageForView() {
  const message = forNextView;
  forNextView = "";
  return message;
}

export function flash(message) {
  showMessage("flash", message);
}
