// Snoozing a ticket from its page: "Snooze…" opens a small panel with the usual moments (later
// today, tomorrow at 9:00, next Monday at 9:00, in the agent's own time zone), a date and time of
// the agent's choosing, and "Until the customer answers". A snoozed ticket is on hold; the panel's
// place then says "Snoozed until …" with "Unsnooze". When the snooze ends the desk opens the ticket
// again and tells its assignee (workflows/lifecycle.py).
//
// Each change is one PATCH (`snooze_until`, `snooze_until_answer`, `unsnooze`) over the version on
// screen, as properties.js saves: a colleague's change meanwhile (409) reloads the ticket and says
// so; a refusal (a time in the past, a resolved ticket) is said in the API's words.
//
// The ticket view hands in the shown ticket and how to reload it (setUpSnooze).

import { ApiError, api } from "./api.js";
import { byId, el, showMessage } from "./dom.js";
import { when } from "./format.js";

const LATER_TODAY_HOURS = 3;
const MORNING_HOUR = 9;

let view = null;

// ---- the moments offered, in the agent's time zone ----

function atMorning(date, daysAhead) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + daysAhead, MORNING_HOUR, 0, 0, 0);
}

// The next Monday strictly after today (a week on when today is Monday).
function nextMonday(now) {
  const daysAhead = ((8 - now.getDay()) % 7) || 7;
  return atMorning(now, daysAhead);
}

function clock(date) {
  return date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

function day(date) {
  return date.toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "short" });
}

export function snoozePresets(now = new Date()) {
  const later = new Date(now.getTime() + LATER_TODAY_HOURS * 3600 * 1000);
  const sameDay = later.toDateString() === now.toDateString();
  const monday = nextMonday(now);
  const tomorrow = atMorning(now, 1);
  const presets = [
    {
      id: "later",
      label: sameDay ? `Later today, ${clock(later)}` : `In ${LATER_TODAY_HOURS} hours, ${day(later)} ${clock(later)}`,
      at: later,
    },
    { id: "tomorrow", label: `Tomorrow, ${day(tomorrow)} ${clock(tomorrow)}`, at: tomorrow },
  ];
  // On a Sunday, next Monday is tomorrow: offered once.
  if (monday.getTime() !== tomorrow.getTime()) {
    presets.push({ id: "monday", label: `Next Monday, ${day(monday)} ${clock(monday)}`, at: monday });
  }
  return presets;
}

// The value a datetime-local input takes for `date` in the agent's time zone ("2026-12-07T09:00").
function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function zoneName() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "your time zone";
}

// ---- what the box shows ----

function say(message) {
  showMessage("snooze-message", message);
}

// "Snoozed until 7 Dec 2026, 09:00", or until the customer answers.
export function snoozeWords(snooze) {
  if (!snooze) return "";
  return snooze.until ? `Snoozed until ${when(snooze.until)}` : "Snoozed until the customer answers";
}

function fillPresets() {
  byId("snooze-presets").replaceChildren(
    ...snoozePresets().map((preset) =>
      el("button", { type: "button", dataset: { at: preset.at.toISOString() } }, preset.label),
    ),
  );
  const input = byId("snooze-until");
  const now = new Date();
  input.min = localInputValue(now);
  if (!input.value) input.value = localInputValue(atMorning(now, 1));
  byId("snooze-zone").textContent = `In your time zone (${zoneName()}).`;
}

function openPanel(open) {
  byId("snooze-panel").hidden = !open;
  byId("snooze-open").setAttribute("aria-expanded", String(open));
  if (open) {
    fillPresets();
    say("");
    byId("snooze-presets").querySelector("button")?.focus();
  }
}

// The ticket's snooze, and what may be done with it: `readOnly` for a merged or held ticket, and a
// resolved or closed ticket is not snoozed (it is not waiting on anyone).
export function showSnooze(ticket, readOnly) {
  const box = byId("snooze-box");
  const snoozed = Boolean(ticket.snooze);
  const offered = !readOnly && !["resolved", "closed"].includes(ticket.status);
  box.hidden = !snoozed && !offered;
  byId("snooze-state").hidden = !snoozed;
  byId("snooze-words").textContent = snoozeWords(ticket.snooze);
  byId("unsnooze").hidden = readOnly;
  byId("snooze-open").hidden = !offered;
  byId("snooze-open").textContent = snoozed ? "Change the snooze…" : "Snooze…";
  // Only an assignee is told when it ends (workflows/lifecycle.py): an unassigned ticket just opens.
  byId("snooze-hint").textContent = ticket.assignee
    ? "The ticket waits on hold; when the snooze ends it opens again and its assignee is told. An answer from the customer opens it sooner."
    : "The ticket waits on hold; when the snooze ends it opens again in its queue. Nobody is told, as it has no assignee: assign it first if someone should hear. An answer from the customer opens it sooner.";
  openPanel(false);
}

export function hideSnooze() {
  byId("snooze-box").hidden = true;
  openPanel(false);
  say("");
}

// ---- changing it ----

async function change(body, done) {
  const shown = view.document();
  if (!shown) return;
  const ticket = shown.ticket;
  const controls = byId("snooze-box").querySelectorAll("button, input");
  for (const control of controls) control.disabled = true;
  say("");
  try {
    await api(`tickets/${encodeURIComponent(ticket.ref)}`, { method: "PATCH", body: { version: ticket.version, ...body } });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401) throw error;
    const conflict = error.status === 409 && error.kind === "ConcurrentUpdate";
    // A colleague's change, or a move the status cannot make: the ticket as it is now, and why.
    if (error.status === 409) await view.reload(ticket.ref);
    if (view.isShown(ticket.ref)) {
      if (conflict) openPanel(false);
      say(conflict ? "A colleague changed this ticket meanwhile: it is shown as it is now. Snooze it again if it should still wait." : error.message);
    }
    return;
  } finally {
    for (const control of controls) control.disabled = false;
  }
  await view.reload(ticket.ref);
  if (view.isShown(ticket.ref)) {
    say(done);
    byId("snooze-message").focus();
  }
}

function snoozeUntil(at) {
  const moment = new Date(at);
  return change({ snooze_until: moment.toISOString() }, "Snoozed: the ticket is on hold until then.");
}

function snoozeToTypedTime(event) {
  event.preventDefault();
  const typed = byId("snooze-until").value;
  // A datetime-local value is a time in the agent's time zone.
  const moment = typed ? new Date(typed) : null;
  if (!moment || Number.isNaN(moment.getTime())) {
    say("Choose a date and a time to snooze until.");
    byId("snooze-until").focus();
    return Promise.resolve();
  }
  if (moment.getTime() <= Date.now()) {
    say("That time has passed: choose a later one.");
    byId("snooze-until").focus();
    return Promise.resolve();
  }
  return snoozeUntil(moment.toISOString());
}

export function setUpSnooze(ticketView) {
  view = ticketView;
  const report = (promise) => promise.catch(view.reportError);
  byId("snooze-open").addEventListener("click", () => openPanel(byId("snooze-panel").hidden));
  byId("snooze-presets").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-at]");
    if (button) report(snoozeUntil(button.dataset.at));
  });
  byId("snooze-until-form").addEventListener("submit", (event) => report(snoozeToTypedTime(event)));
  byId("snooze-answer").addEventListener("click", () =>
    report(change({ snooze_until_answer: true }, "Snoozed: the ticket is on hold until the customer answers.")),
  );
  byId("unsnooze").addEventListener("click", () => report(change({ unsnooze: true }, "Snooze ended: the ticket is open again.")));
  byId("snooze-panel").addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    openPanel(false);
    byId("snooze-open").focus();
  });
}
