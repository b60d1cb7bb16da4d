// "Notifications" (#/notifications, from the account bar): which mails the desk sends the agent
// (GET|PUT /me/notifications) — each kind on or off — and the queues whose new tickets they hear of.
// Every agent sets only their own. The desk gathers what happens within its window (the API says how
// many minutes) into one mail, and the mail links back here.

import { ApiError, api } from "./api.js";
import { byId, el, showMessage } from "./dom.js";
import { showView } from "./page.js";
import { currentAgent, reportError } from "./session.js";

// The kinds, in the order an agent reads them, each with what it means.
const KINDS = [
  ["assigned", "A ticket is assigned to me", "By a colleague, or by a queue's automatic assignment."],
  ["customer_replied", "The customer answers on a ticket of mine", "A new message from the customer on a ticket assigned to you."],
  ["mentioned", "I am mentioned in a note", ""],
  ["new_in_queue", "A new ticket comes into a queue I watch", "Choose the queues below."],
  ["sla_warning", "An SLA target of a ticket of mine is about to be missed", "When the SLA policy warns, before the target is due."],
  ["snooze_ended", "A snooze on a ticket of mine ends", "The ticket is open again."],
  ["rule", "A rule says to tell me", "A time rule of the desk's rules file names you."],
  ["article_flagged", "A help-center article I own needs a look", "Its review date passed, a translation is out of date, or tickets it was suggested on reopened or were rated low. You hear of each once, the morning it comes up."],
];

// The preferences as last saved (the API's document).
let saved = null;

// The names that surely mention the agent (workflows/notify.py: the address before the @, and the
// first and last names joined by a dot; a first name alone only while no colleague shares it).
function mentionHint() {
  const me = currentAgent();
  const local = me && me.email ? me.email.split("@")[0].toLowerCase() : "";
  const words = me && me.name ? me.name.trim().toLowerCase().split(/\s+/).filter(Boolean) : [];
  const full = words.length > 1 ? `${words[0]}.${words[words.length - 1]}` : "";
  const names = [...new Set([local, full].filter(Boolean))].map((name) => `@${name}`);
  return names.length ? `A colleague writes ${names.join(" or ")} in an internal note.` : "A colleague writes your name after an @ in an internal note.";
}

function kindField([kind, label, hint]) {
  const id = `notify-${kind}`;
  const hintId = `${id}-hint`;
  const text = kind === "mentioned" ? mentionHint() : hint;
  return el(
    "div",
    { className: "check-field" },
    el("input", { type: "checkbox", id, name: "kind", value: kind, "aria-describedby": text ? hintId : null }),
    el("label", { for: id }, label),
    text ? el("p", { id: hintId, className: "hint" }, text) : null,
  );
}

function queueField(queue) {
  const id = `watch-${queue}`;
  return el(
    "div",
    { className: "check-field" },
    el("input", { type: "checkbox", id, name: "queue", value: queue }),
    el("label", { for: id }, queue),
  );
}

// What the form holds, as the API takes it.
function typedPreferences() {
  const kinds = {};
  for (const box of byId("notifications-kinds").querySelectorAll("input[name=kind]")) kinds[box.value] = box.checked;
  const queues = [...byId("notifications-queues").querySelectorAll("input[name=queue]:checked")].map((box) => box.value);
  return { kinds, queues };
}

function fill(preferences) {
  for (const box of byId("notifications-kinds").querySelectorAll("input[name=kind]")) box.checked = Boolean(preferences.kinds[box.value]);
  const watched = new Set(preferences.queues);
  for (const box of byId("notifications-queues").querySelectorAll("input[name=queue]")) box.checked = watched.has(box.value);
  showQueueNote();
}

// Watching queues means nothing while new tickets are turned off: said beside the queues.
function showQueueNote() {
  const off = !byId("notify-new_in_queue").checked;
  const note = byId("notifications-queues-note");
  note.textContent = off ? "New tickets are turned off above: you hear of none, whatever you watch." : "";
  note.hidden = !off;
}

function sameAsSaved() {
  if (!saved) return true;
  const typed = typedPreferences();
  return JSON.stringify(typed.kinds) === JSON.stringify(saved.kinds) &&
    JSON.stringify([...typed.queues].sort()) === JSON.stringify([...saved.queues].sort());
}

function status(message) {
  byId("notifications-status").textContent = message;
}

function errorLine(message) {
  showMessage("notifications-error", message);
}

// "Saved. You get mail for 5 kinds and hear of new tickets in billing and orders."
function savedWords(preferences) {
  const on = KINDS.filter(([kind]) => preferences.kinds[kind]).length;
  const kinds = on === 0 ? "You get no notifications by mail" : on === KINDS.length ? "You get every kind of notification" : `You get ${on} of ${KINDS.length} kinds of notification`;
  const queues = preferences.queues.length && preferences.kinds.new_in_queue
    ? ` and hear of new tickets in ${preferences.queues.join(", ")}`
    : "";
  return `Saved. ${kinds}${queues}.`;
}

async function save(event) {
  event.preventDefault();
  errorLine("");
  const button = byId("notifications-save");
  button.disabled = true;
  try {
    saved = await api("me/notifications", { method: "PUT", body: typedPreferences() });
    fill(saved);
    status(savedWords(saved));
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401) throw error;
    status("Not saved.");
    errorLine(`Your notifications could not be saved: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

function windowWords(minutes) {
  const span = minutes === 1 ? "a minute" : `${minutes} minutes`;
  return `Notifications come by mail to your address. What happens within ${span} comes together in one mail, so a busy ticket never floods your inbox. You never get mail for what you did yourself.`;
}

export async function showNotifications() {
  showView("notifications-view");
  document.title = "Notifications · Postdesk";
  errorLine("");
  status("");
  saved = await api("me/notifications");
  const me = currentAgent();
  byId("notifications-hint").textContent = windowWords(saved.window_minutes);
  byId("notifications-address").textContent = me && me.email ? `They go to ${me.email}.` : "";
  byId("notifications-kinds").replaceChildren(el("legend", {}, "Tell me when"), ...KINDS.map(kindField));
  const queues = saved.available_queues;
  byId("notifications-queue-list").replaceChildren(
    ...(queues.length ? queues.map(queueField) : [el("p", { className: "hint" }, "The desk has no queues to watch.")]),
  );
  fill(saved);
  byId("notifications-title").focus();
}

export function setUpNotifications() {
  byId("notifications-form").addEventListener("submit", (event) => save(event).catch(reportError));
  byId("notifications-form").addEventListener("change", () => {
    showQueueNote();
    errorLine("");
    status(sameAsSaved() ? "" : "Not saved yet.");
  });
}
