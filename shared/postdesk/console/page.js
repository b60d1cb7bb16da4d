// The page's frame: which view shows, and the one message line above it.

import { byId } from "./dom.js";

const VIEWS = ["sign-in-view", "queue-view", "ticket-view", "outbox-view"];

export function showView(id) {
  for (const view of VIEWS) byId(view).hidden = view !== id;
}

export function shownView() {
  return VIEWS.find((view) => !byId(view).hidden) || null;
}

export function flash(message) {
  const box = byId("flash");
  box.textContent = message || "";
  box.hidden = !message;
}
