// The access audit (admins, #/audit): who signed in, failed to, signed out, reset a password, was
// invited, had their role or queues changed, made or revoked an API token: when, and from where
// (GET /audit, newest first). The filters (from, to, what, who) live in the hash's own query
// (#/audit?action=sign_in_failed), so a reload or a link shows the same entries (no range: the API's
// last seven days); "Older entries" reads the next page of the same range.
//
// Agents see the page's refusal. Every value from the API reaches the page as text.

import { showAdminView } from "./admin.js";
import { api } from "./api.js";
import { drawAdminList, byId, el, labelledCell } from "./dom.js";
import { when } from "./format.js";
import { reportError } from "./session.js";
import { readAuditFilters, writeAuditFilters } from "./url-state.js";

const PAGE_SIZE = 50;

// The actions as people say them (the API's values are stored names).
export const ACTION_WORDS = {
  sign_in: "Signed in",
  sign_in_failed: "Sign-in failed",
  sign_in_throttled: "Sign-in refused: too many failures",
  sign_out: "Signed out",
  sign_out_everywhere: "Signed out everywhere",
  password_reset_requested: "Asked for a password reset",
  password_reset: "Reset the password",
  two_step_enabled: "Turned two-step sign-in on",
  two_step_disabled: "Turned two-step sign-in off",
  invited: "Invited",
  invitation_renewed: "Sent a new invitation",
  role_changed: "Changed the role",
  queues_changed: "Changed the queues",
  deactivated: "Deactivated",
  reactivated: "Reactivated",
  token_created: "Created an API token",
  token_revoked: "Revoked an API token",
};

let shown = [];
let cursor = null;
// The range the API read (its default is the last seven days): the next page asks for the same one.
let range = { from: "", to: "" };
let loadNumber = 0;

function actionText(action) {
  return ACTION_WORDS[action] || action;
}

// What the entry's detail says ("role: admin", "name: Order system"), keys as words and a moment
// (a token's expiry) as the rest of the page writes one, not as the API's ISO text.
const ISO_MOMENT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

function detailText(detail) {
  return Object.entries(detail || {})
    .map(([key, value]) => `${key.replaceAll("_", " ")}: ${ISO_MOMENT.test(String(value)) ? when(value) : value}`)
    .join(", ");
}

// A browser's User-Agent as people name it ("Chrome 150 on Linux", "curl 8.5"); the whole string
// stays in the title, for whoever needs it. What is not recognised is shown as it came.
const BROWSERS = [
  ["Edge", /\bEdg(?:e|A|iOS)?\/(\d+)/],
  ["Opera", /\bOPR\/(\d+)/],
  ["Firefox", /\bFirefox\/(\d+)/],
  ["Chrome", /\b(?:HeadlessChrome|Chrome|CriOS)\/(\d+)/],
  ["Safari", /\bVersion\/(\d+)[.\d]* (?:Mobile\/\S+ )?Safari\//],
];
const SYSTEMS = [
  ["Android", /\bAndroid\b/],
  ["iOS", /\b(?:iPhone|iPad|iPod)\b/],
  ["Windows", /\bWindows\b/],
  ["macOS", /\bMac OS X\b/],
  ["ChromeOS", /\bCrOS\b/],
  ["Linux", /\bLinux\b/],
];

export function browserName(userAgent) {
  const browser = BROWSERS.find(([, pattern]) => pattern.test(userAgent));
  if (!browser) {
    const program = /^([\w.-]+)\/(\d+(?:\.\d+)?)/.exec(userAgent);
    return program && !program[1].startsWith("Mozilla") ? `${program[1]} ${program[2]}` : userAgent;
  }
  const version = browser[1].exec(userAgent)[1];
  const system = SYSTEMS.find(([, pattern]) => pattern.test(userAgent));
  return `${browser[0]} ${version}${system ? ` on ${system[0]}` : ""}`;
}

function entryRow(entry) {
  const from = [entry.source_ip, entry.user_agent].filter(Boolean);
  return el(
    "tr",
    {},
    labelledCell("When", el("time", { datetime: entry.at }, when(entry.at))),
    labelledCell("Who", entry.actor || ""),
    labelledCell("What", actionText(entry.action), entry.subject ? el("span", { className: "audit-subject" }, ` · ${entry.subject}`) : null),
    labelledCell("Details", detailText(entry.detail)),
    labelledCell("From where", from.length ? el("span", {}, entry.source_ip || "", entry.user_agent ? el("span", { className: "hint audit-agent", title: entry.user_agent }, ` ${browserName(entry.user_agent)}`) : null) : "Not known"),
  );
}

function drawList() {
  const recorded = range.from && range.to ? ` between ${day(range.from)} and ${day(range.to)}` : "";
  drawAdminList(byId("audit-list"), {
    empty: `Nothing was recorded${recorded} with these filters.`,
    heads: ["When", "Who", "What", "Details", "From where"],
    rows: shown.map(entryRow),
    labelledBy: "audit-title",
    className: "admin-table audit-table",
  });
  byId("audit-more").hidden = !cursor;
  const between = range.from && range.to ? ` from ${day(range.from)} to ${day(range.to)}` : "";
  byId("audit-summary").textContent = shown.length
    ? `${shown.length} ${shown.length === 1 ? "entry" : "entries"}${between}, newest first${cursor ? "; older ones follow" : ""}.`
    : "";
}

function query(filters, after) {
  const parameters = new URLSearchParams();
  for (const name of ["from", "to", "action", "actor"]) {
    if (filters[name]) parameters.set(name, filters[name]);
  }
  parameters.set("limit", String(PAGE_SIZE));
  if (after) {
    parameters.set("from", range.from);
    parameters.set("to", range.to);
    parameters.set("cursor", after);
  }
  return `audit?${parameters}`;
}

async function load({ more = false } = {}) {
  const number = ++loadNumber;
  const filters = readAuditFilters();
  const answer = await api(query(filters, more ? cursor : null));
  if (number !== loadNumber) return;
  shown = more ? [...shown, ...(answer.entries || [])] : answer.entries || [];
  cursor = answer.next_cursor || null;
  range = { from: answer.from || "", to: answer.to || "" };
  drawList();
}

function day(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleDateString(undefined, { dateStyle: "medium" });
}

function fillFilters() {
  const filters = readAuditFilters();
  const actions = byId("audit-action");
  if (actions.options.length === 1) {
    actions.append(...Object.entries(ACTION_WORDS).map(([value, words]) => el("option", { value }, words)));
  }
  byId("audit-from").value = filters.from;
  byId("audit-to").value = filters.to;
  actions.value = Object.hasOwn(ACTION_WORDS, filters.action) ? filters.action : "";
  byId("audit-actor").value = filters.actor;
}

export async function showAudit() {
  const admin = showAdminView("audit", "Access audit · Postdesk");
  if (!admin) return;
  fillFilters();
  await load();
}

export function setUpAudit() {
  byId("audit-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    writeAuditFilters({
      from: byId("audit-from").value,
      to: byId("audit-to").value,
      action: byId("audit-action").value,
      actor: byId("audit-actor").value.trim(),
    });
    load().catch(reportError);
  });
  byId("audit-clear").addEventListener("click", () => {
    writeAuditFilters({});
    fillFilters();
    load().catch(reportError);
  });
  byId("audit-more").addEventListener("click", () => load({ more: true }).catch(reportError));
}
