// How the console writes the API's values for people: statuses, times, people, links.

import { el } from "./dom.js";

const STATUS_LABELS = {
  new: "New", open: "Open", pending: "Pending", "on-hold": "On hold", resolved: "Resolved", closed: "Closed",
};

export function statusBadge(status) {
  return el("span", { className: `badge status-${status}` }, STATUS_LABELS[status] || status);
}

// In the agent's own locale and time zone; a value that is not a time shows as it came.
export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function person(who) {
  if (!who) return "";
  return who.name ? `${who.name} <${who.email}>` : who.email;
}

// Only web links become links: a javascript: or data: URL from the API never reaches an href.
export function safeLink(url) {
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}
