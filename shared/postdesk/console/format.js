// How the console writes the API's values for people: statuses, times, people, links.

import { el } from "./dom.js";

const STATUS_LABELS = {
  new: "New", open: "Open", pending: "Pending", "on-hold": "On hold", resolved: "Resolved", closed: "Closed",
};

export function statusBadge(status) {
  return el("span", { className: `badge status-${status}` }, STATUS_LABELS[status] || status);
}

// In the agent's own locale and time zone, to the minute; a value that is not a time shows as it came.
export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

// "24 Nov, 10:31" (in the agent's locale): for one-line summaries where the year is clear.
export function shortWhen(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

// For a list's columns, as short as is still clear, so that a row stays one line: the time alone
// today, the day and time this year, the date with its year before; the full time as its tooltip.
export function listTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const now = new Date();
  let text;
  if (date.toDateString() === now.toDateString()) text = date.toLocaleTimeString(undefined, { timeStyle: "short" });
  else if (date.getFullYear() === now.getFullYear()) {
    text = date.toLocaleString(undefined, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
  }
  else text = date.toLocaleDateString(undefined, { dateStyle: "medium" });
  return el("time", { datetime: iso, title: when(iso) }, text);
}

// What kept a ticket out of the queues ("spam: SES spam verdict FAIL"): a headline and the reason.
const HELD_AS = {
  spam: "Spam",
  virus: "Virus",
  forged: "Forged sender",
  auto_reply: "Automatic reply",
  bounce: "Bounce",
  own_mail: "The desk's own mail",
};

export function quarantineReason(text) {
  const [verdict, ...rest] = (text || "").split(": ");
  if (!rest.length || !HELD_AS[verdict]) return { headline: "Held", reason: text || "" };
  return { headline: HELD_AS[verdict], reason: rest.join(": "), verdict };
}

// Text on one line, cut to `chars` with an ellipsis: a glimpse of a message where a line is all there is.
export function oneLine(text, chars) {
  const flat = (text || "").replace(/\s+/g, " ").trim();
  return flat.length > chars ? `${flat.slice(0, chars - 1)}…` : flat;
}

// A file's size for people, in decimal units as the desk's limits are said: "125 B", "48 KB",
// "2.5 MB". Never rounded up past a unit: 125 bytes is "125 B", not "1 KB".
export function fileSize(bytes) {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1000 * 1000) return `${Math.max(1, Math.round(bytes / 1000))} KB`;
  const megabytes = bytes / (1000 * 1000);
  return `${megabytes >= 10 ? Math.round(megabytes) : megabytes.toFixed(1).replace(/\.0$/, "")} MB`;
}

// "1 resolution", "3 resolutions": a count with its noun, singular for exactly one.
export function counted(n, one, many = `${one}s`) {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
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

// "de" -> "German", in the agent's own language; the code itself when the browser cannot name it.
export function languageName(code) {
  try {
    return new Intl.DisplayNames([navigator.language || "en"], { type: "language" }).of(code) || code;
  } catch {
    return code;
  }
}
