// The Webhooks page (admins, #/webhooks): the desk's events posted to other systems. The list says
// each webhook's address, events, format, whether it is on and how its last delivery went; "Add
// webhook" takes an address, the events (every one, or chosen from GET /webhooks/event-types) and a
// format, and shows the secret the desk made for it this once, with how a receiver checks the
// signature. Each webhook can be turned off and on, get other events, a new secret (shown once too)
// or be deleted (a dialog naming it), and shows its deliveries with "Replay".
//
// Agents see the page's refusal (the API refuses them too). Every value from the API (the address,
// the errors a receiver answered) reaches the page as text.

import { hideSecret, showAdminView, showSecretOnce, wireSecretBox } from "./admin.js";
import { ApiError, api } from "./api.js";
import { confirmDialog } from "./dialogs.js";
import { byId, el, redrawKeepingFocus, showMessage } from "./dom.js";
import { shortWhen, when } from "./format.js";
import { reportError } from "./session.js";

const EVERY_EVENT = "*";
// Deliveries shown per webhook (the API keeps 30 days, and gives at most 200).
const DELIVERIES_SHOWN = 50;

// The webhooks as the API last gave them, their last delivery (null: none yet) and which have their
// deliveries open.
let webhooks = [];
let lastDeliveries = new Map();
const openDeliveries = new Set();
let eventTypes = [];
// The webhook the form edits the events of (null: the form adds one).
let editing = null;
// What the dialog asks to confirm: { kind: "delete" | "roll", webhook, opener }.
let confirming = null;
// The dialog itself (dialogs.js), built when the view is set up.
let confirmation = null;
let loadNumber = 0;

function idPath(webhook) {
  return `webhooks/${encodeURIComponent(webhook.id)}`;
}

// The name a person knows a webhook by: its description, else its address.
function webhookName(webhook) {
  return webhook.description || webhook.url;
}

// "ticket.status_changed" → "Status changed": the words GET /webhooks/event-types gives for each type
// (the desk's one table, which Slack messages use too); a type it does not list, by the same rule.
let eventLabels = {};

function eventLabel(type) {
  if (eventLabels[type]) return eventLabels[type];
  const words = type.replace(/^ticket\./, "").replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

async function loadEventTypes() {
  if (eventTypes.length) return;
  const answer = await api("webhooks/event-types");
  eventTypes = answer.event_types;
  eventLabels = answer.labels || {};
}

function eventsText(events) {
  if (events.includes(EVERY_EVENT)) return "Every event";
  return events.map(eventLabel).join(", ");
}

const FORMATS = { json: "JSON", slack: "Slack" };

const STATUS_WORDS = {
  delivered: "Delivered",
  retrying: "Failed, trying again",
  dead_lettered: "Failed after every try",
  skipped: "Not sent: the webhook was off",
};

function deliveryStatus(delivery) {
  const words = STATUS_WORDS[delivery.status] || delivery.status;
  const code = delivery.status_code ? ` (HTTP ${delivery.status_code})` : "";
  // A delivery that failed says when it is tried again, so nobody replays what is about to go.
  const next = delivery.status === "retrying" && delivery.next_attempt_at ? `; next try ${shortWhen(delivery.next_attempt_at)}` : "";
  return el("span", { className: `delivery-status delivery-${delivery.status}` }, `${words}${code}${next}`);
}

// The API's refusal of an address, in the words an admin acts on; its own words otherwise.
function urlProblem(message) {
  if (/must start with https/.test(message)) {
    return "The address must start with https://: the desk sends events over encrypted connections only.";
  }
  if (/private or reserved|public host/.test(message)) {
    return "That address is private (this machine, a local network or a cloud's internal service): the desk delivers only to servers on the internet.";
  }
  if (/port/.test(message)) return "The address may name port 443 or 8443 only (or none).";
  if (/user name or password/.test(message)) {
    return "Leave the user name and password out of the address: the signature tells the receiver the delivery is the desk's.";
  }
  return `The desk cannot deliver there: ${message}.`;
}

// ---- the status line ----

// What an action did, above the list or (`line`) on the webhook's card; a refusal (`problem`) in the
// colours of an error.
function say(message, { problem = false, line = byId("webhooks-status") } = {}) {
  showMessage(line, message);
  line.className = problem ? "error" : "notice-ok";
}

// ---- the list ----

function lastDeliveryText(webhook) {
  if (!lastDeliveries.has(webhook.id)) return "Not known";
  const last = lastDeliveries.get(webhook.id);
  if (!last) return "None yet";
  return el("span", {}, deliveryStatus(last), ` · ${eventLabel(last.event_type)}, ${when(last.last_attempt_at || last.event_at)}`);
}

// A webhook whose delivery failed after every try (and none went through since) says so on its
// card, with the endpoint's last answer; the admins were told by mail.
function failingNotice(webhook) {
  if (!webhook.failing_since) return null;
  const answer = webhook.failing_error ? ` (last answer: ${webhook.failing_error})` : "";
  return el(
    "p",
    { className: "error webhook-failing", id: `webhook-${webhook.id}-failing` },
    `Failing since ${when(webhook.failing_since)}: a delivery failed after every try${answer}. Fix the endpoint, then replay the failed deliveries; the next one that goes through clears this.`,
  );
}

function fact(label, value, id = null) {
  return [el("dt", {}, label), el("dd", { id }, value)];
}

function webhookCard(webhook) {
  const name = webhookName(webhook);
  const headingId = `webhook-${webhook.id}-title`;
  const deliveriesId = `webhook-${webhook.id}-deliveries`;
  const open = openDeliveries.has(webhook.id);
  return el(
    "article",
    { className: `card webhook${webhook.enabled ? "" : " webhook-off"}`, "aria-labelledby": headingId, dataset: { id: webhook.id } },
    el("h2", { id: headingId, className: "webhook-url" }, name),
    failingNotice(webhook),
    el(
      "dl",
      { className: "facts webhook-facts" },
      webhook.description ? fact("Address", webhook.url) : null,
      fact("Events", eventsText(webhook.events)),
      fact("Format", FORMATS[webhook.format] || webhook.format),
      fact("State", el("span", { className: webhook.enabled ? "webhook-on-word" : "webhook-off-word" }, webhook.enabled ? "On" : "Off: nothing is sent")),
      fact("Last delivery", lastDeliveryText(webhook), `webhook-${webhook.id}-last`),
    ),
    el(
      "div",
      { className: "row-actions webhook-actions" },
      el("button", { type: "button", dataset: { action: "deliveries", id: webhook.id }, "aria-expanded": open ? "true" : "false", "aria-controls": deliveriesId, "aria-label": `Deliveries of ${name}` }, "Deliveries"),
      el("button", { type: "button", dataset: { action: "toggle", id: webhook.id }, "aria-label": `${webhook.enabled ? "Turn off" : "Turn on"} ${name}` }, webhook.enabled ? "Turn off" : "Turn on"),
      el("button", { type: "button", dataset: { action: "events", id: webhook.id }, "aria-controls": "webhook-form", "aria-label": `Change events of ${name}` }, "Change events"),
      el("button", { type: "button", dataset: { action: "roll", id: webhook.id }, "aria-haspopup": "dialog", "aria-label": `New secret for ${name}…` }, "New secret…"),
      el("button", { type: "button", className: "danger", dataset: { action: "delete", id: webhook.id }, "aria-haspopup": "dialog", "aria-label": `Delete ${name}…` }, "Delete…"),
    ),
    // What a replay did, beside the log it was chosen in (the line above the list may be out of sight).
    el("p", { id: `webhook-${webhook.id}-status`, role: "status", hidden: true }),
    el("div", { id: deliveriesId, className: "webhook-deliveries", hidden: !open }),
  );
}

function drawList() {
  const list = byId("webhooks-list");
  if (!webhooks.length) {
    list.replaceChildren(el("p", { className: "report-empty card" }, "No webhooks yet. Add one to send the desk's events to another system."));
    return;
  }
  list.replaceChildren(...webhooks.map(webhookCard));
  for (const id of openDeliveries) loadDeliveries(id).catch(reportError);
}

async function readLastDeliveries(shown) {
  const answers = await Promise.all(shown.map((webhook) => api(`${idPath(webhook)}/deliveries?limit=1`).then(
    (answer) => answer.deliveries[0] || null,
    (error) => {
      if (error instanceof ApiError && error.status === 401) throw error;
      return undefined;
    },
  )));
  const found = new Map();
  shown.forEach((webhook, index) => {
    if (answers[index] !== undefined) found.set(webhook.id, answers[index]);
  });
  return found;
}

async function loadList() {
  const load = ++loadNumber;
  const answer = await api("webhooks");
  await loadEventTypes();
  const last = await readLastDeliveries(answer.webhooks);
  if (load !== loadNumber) return;
  webhooks = answer.webhooks;
  lastDeliveries = last;
  for (const id of [...openDeliveries]) if (!webhooks.some((webhook) => webhook.id === id)) openDeliveries.delete(id);
  redrawKeepingFocus(byId("webhooks-list"), "id", drawList);
}

function findWebhook(id) {
  return webhooks.find((webhook) => webhook.id === id) || null;
}

// ---- deliveries ----

function deliveryRow(webhook, delivery) {
  return el(
    "tr",
    {},
    el("th", { scope: "row", dataset: { label: "Event" } }, eventLabel(delivery.event_type), el("span", { className: "hint event-type" }, ` ${delivery.event_type}`)),
    el("td", { dataset: { label: "Time" } }, when(delivery.event_at)),
    el("td", { className: "number", dataset: { label: "Tries" } }, String(delivery.attempts)),
    el("td", { dataset: { label: "Status" } }, deliveryStatus(delivery)),
    el("td", { className: "delivery-error", dataset: { label: "Last error" } }, delivery.last_error || "None"),
    el("td", { className: "delivery-replay" }, el("button", {
      type: "button",
      className: "quiet",
      dataset: { action: "replay", id: webhook.id, delivery: delivery.id },
      "aria-label": `Replay ${eventLabel(delivery.event_type)} of ${when(delivery.event_at)}`,
    }, "Replay")),
  );
}

async function loadDeliveries(id) {
  const webhook = findWebhook(id);
  const box = byId(`webhook-${id}-deliveries`);
  if (!webhook || !box) return;
  box.setAttribute("aria-busy", "true");
  let answer;
  try {
    answer = await api(`${idPath(webhook)}/deliveries?limit=${DELIVERIES_SHOWN}`);
  } catch (error) {
    box.removeAttribute("aria-busy");
    if (error instanceof ApiError && error.status === 404) {
      box.replaceChildren(el("p", { className: "error" }, "This webhook was deleted meanwhile."));
      return;
    }
    throw error;
  }
  box.removeAttribute("aria-busy");
  // The log read again (after a replay, say) brings the card's "Last delivery" up to date too.
  lastDeliveries.set(id, answer.deliveries[0] || null);
  byId(`webhook-${id}-last`)?.replaceChildren(lastDeliveryText(webhook));
  const name = webhookName(webhook);
  if (!answer.deliveries.length) {
    box.replaceChildren(el("p", { className: "hint" }, "No deliveries in the last 30 days. Events the webhook asks for show here once they happen."));
    return;
  }
  box.replaceChildren(
    el(
      "table",
      { className: "saved-replies-table deliveries-table" },
      el("caption", { className: "hint" }, `Deliveries of ${name}, newest first (the last 30 days)`),
      el("thead", {}, el("tr", {}, ["Event", "Time", "Tries", "Status", "Last error"].map((head) => el("th", { scope: "col", className: head === "Tries" ? "number" : null }, head)), el("th", { scope: "col" }, el("span", { className: "visually-hidden" }, "Actions")))),
      el("tbody", {}, answer.deliveries.map((delivery) => deliveryRow(webhook, delivery))),
    ),
  );
}

async function toggleDeliveries(button) {
  const id = button.dataset.id;
  const open = !openDeliveries.has(id);
  if (open) openDeliveries.add(id);
  else openDeliveries.delete(id);
  button.setAttribute("aria-expanded", open ? "true" : "false");
  const box = byId(`webhook-${id}-deliveries`);
  box.hidden = !open;
  if (open) await loadDeliveries(id);
}

async function replayDelivery(button) {
  const webhook = findWebhook(button.dataset.id);
  if (!webhook) return;
  const line = byId(`webhook-${webhook.id}-status`);
  button.disabled = true;
  try {
    await api(`${idPath(webhook)}/deliveries/${encodeURIComponent(button.dataset.delivery)}/replay`, { method: "POST", body: {} });
  } catch (error) {
    if (error instanceof ApiError && (error.status === 409 || error.status === 404)) {
      say(error.status === 409
        ? `Not sent again: ${webhookName(webhook)} is off. Turn it on first.`
        : "Not sent again: that delivery or its webhook is gone (deliveries are kept 30 days).", { problem: true, line });
      return;
    }
    throw error;
  } finally {
    button.disabled = false;
  }
  say(`Sent again to ${webhookName(webhook)}: the log below shows how it went in a moment.`, { line });
  // The replay is queued: the log has its outcome a moment later, and a replay that went through
  // ends the webhook's failing mark.
  setTimeout(() => {
    if (byId("webhooks-view").hidden) return;
    if (openDeliveries.has(webhook.id)) loadDeliveries(webhook.id).catch(reportError);
    refreshFailing(webhook.id).catch(reportError);
  }, 1500);
}

// The card's failing notice as the desk has it now (GET /webhooks), the rest of the card left as it is.
async function refreshFailing(id) {
  const answer = await api("webhooks");
  const fresh = answer.webhooks.find((webhook) => webhook.id === id);
  const webhook = findWebhook(id);
  if (!fresh || !webhook) return;
  webhook.failing_since = fresh.failing_since;
  webhook.failing_error = fresh.failing_error;
  const shown = byId(`webhook-${id}-failing`);
  const notice = failingNotice(webhook);
  if (shown && notice) shown.replaceWith(notice);
  else if (shown) shown.remove();
}

// ---- turning on and off ----

async function toggleEnabled(button) {
  const webhook = findWebhook(button.dataset.id);
  if (!webhook) return;
  button.disabled = true;
  let answer;
  try {
    answer = await api(idPath(webhook), { method: "PATCH", body: { enabled: !webhook.enabled } });
  } catch (error) {
    button.disabled = false;
    if (error instanceof ApiError && error.status === 404) {
      say("That webhook was deleted meanwhile.", { problem: true });
      await loadList();
      return;
    }
    throw error;
  }
  say(answer.webhook.enabled
    ? `${webhookName(answer.webhook)} is on: new events go to it again.`
    : `${webhookName(answer.webhook)} is off: nothing is sent to it until it is turned on.`);
  await loadList();
}

// ---- the secret, shown once ----

function showSecret(webhook, secret, rolled) {
  byId("webhook-secret-title").textContent = rolled ? `New secret of ${webhookName(webhook)}` : `Secret of ${webhookName(webhook)}`;
  showSecretOnce(
    "webhook-secret",
    secret,
    rolled
      ? "Copy it now and give it to the receiver: it is shown this once, and deliveries are signed with it from now on (the old secret no longer checks)."
      : "Copy it now and give it to the receiver: it is shown this once. The receiver checks with it that each delivery comes from the desk.",
  );
}

// ---- the form: add a webhook, or change one's events ----

function fieldError(id, message) {
  showMessage(id, message);
}

function clearFormErrors() {
  fieldError("webhook-url-error", "");
  fieldError("webhook-events-error", "");
  fieldError("webhook-form-error", "");
  byId("webhook-url").removeAttribute("aria-invalid");
}

function drawEventTypes(chosen) {
  byId("webhook-event-types").replaceChildren(...eventTypes.map((type) => {
    const id = `webhook-event-${type.replaceAll(".", "-")}`;
    return el(
      "div",
      { className: "choice" },
      el("input", { type: "checkbox", id, value: type, checked: chosen.includes(type) }),
      el("label", { for: id }, eventLabel(type), el("span", { className: "hint event-type" }, ` ${type}`)),
    );
  }));
}

function showEventScope() {
  byId("webhook-event-types").hidden = !byId("webhook-events-chosen").checked;
}

async function openForm(webhook) {
  await loadEventTypes();
  editing = webhook;
  clearFormErrors();
  const every = !webhook || webhook.events.includes(EVERY_EVENT);
  drawEventTypes(every ? [] : webhook.events);
  byId("webhook-events-all").checked = every;
  byId("webhook-events-chosen").checked = !every;
  showEventScope();
  byId("webhook-form-title").textContent = webhook ? `Change the events of ${webhookName(webhook)}` : "Add webhook";
  byId("webhook-save").textContent = webhook ? "Save events" : "Add webhook";
  for (const id of ["webhook-url-field", "webhook-format-field", "webhook-description-field"]) byId(id).hidden = Boolean(webhook);
  byId("webhook-editing").hidden = !webhook;
  byId("webhook-editing").textContent = webhook ? `Address: ${webhook.url}` : "";
  if (!webhook) {
    byId("webhook-url").value = "";
    byId("webhook-description").value = "";
    byId("webhook-format-json").checked = true;
  }
  byId("webhook-form").hidden = false;
  byId("webhook-add").setAttribute("aria-expanded", webhook ? "false" : "true");
  byId(webhook ? "webhook-events-all" : "webhook-url").focus();
  if (webhook && !every) byId("webhook-events-chosen").focus();
}

function closeForm() {
  const wasEditing = editing;
  editing = null;
  byId("webhook-form").hidden = true;
  byId("webhook-add").setAttribute("aria-expanded", "false");
  const opener = wasEditing
    ? byId("webhooks-list").querySelector(`button[data-action="events"][data-id="${CSS.escape(wasEditing.id)}"]`)
    : byId("webhook-add");
  if (opener) opener.focus();
}

function chosenEvents() {
  if (byId("webhook-events-all").checked) return [EVERY_EVENT];
  return [...byId("webhook-event-types").querySelectorAll("input:checked")].map((box) => box.value);
}

// What the form holds, checked as the desk checks it; null (the problems said) if it cannot go.
function formDocument() {
  clearFormErrors();
  const events = chosenEvents();
  let firstProblem = null;
  if (!events.length) {
    fieldError("webhook-events-error", "Tick at least one event, or choose every event.");
    firstProblem = byId("webhook-events-chosen");
  }
  if (editing) {
    if (!firstProblem) return { events };
    firstProblem.focus();
    return null;
  }
  const url = byId("webhook-url").value.trim();
  let urlError = "";
  if (!url) urlError = "Give the address the desk posts the events to.";
  else if (/^http:\/\//i.test(url) && !/^http:\/\/(127\.0\.0\.1|localhost)([:/]|$)/i.test(url)) {
    urlError = urlProblem("url must start with https://");
  } else if (!/^https?:\/\/[^\s]+$/i.test(url)) urlError = "That is not a web address: it starts with https:// and has no spaces.";
  if (urlError) {
    fieldError("webhook-url-error", urlError);
    byId("webhook-url").setAttribute("aria-invalid", "true");
    firstProblem = byId("webhook-url");
  }
  if (firstProblem) {
    firstProblem.focus();
    return null;
  }
  const format = byId("webhook-format-slack").checked ? "slack" : "json";
  const description = byId("webhook-description").value.trim();
  return { url, events, format, ...(description ? { description } : {}) };
}

async function saveForm(event) {
  event.preventDefault();
  const values = formDocument();
  if (!values) return;
  const button = byId("webhook-save");
  button.disabled = true;
  let answer;
  try {
    answer = editing
      ? await api(idPath(editing), { method: "PATCH", body: values })
      : await api("webhooks", { method: "POST", body: values });
  } catch (error) {
    if (error instanceof ApiError && (error.status === 400 || error.status === 422)) {
      if (/\burl\b/.test(error.message)) {
        fieldError("webhook-url-error", urlProblem(error.message));
        byId("webhook-url").setAttribute("aria-invalid", "true");
        byId("webhook-url").focus();
      } else if (/\bevent/.test(error.message)) {
        fieldError("webhook-events-error", `The desk cannot take these events: ${error.message}.`);
        byId("webhook-events-chosen").focus();
      } else {
        fieldError("webhook-form-error", `The desk cannot save this: ${error.message}.`);
      }
      return;
    }
    if (error instanceof ApiError && error.status === 409) {
      fieldError("webhook-form-error", `The desk cannot add it: ${error.message}.`);
      return;
    }
    if (error instanceof ApiError && error.status === 404) {
      fieldError("webhook-form-error", "This webhook was deleted meanwhile.");
      return;
    }
    throw error;
  } finally {
    button.disabled = false;
  }
  const added = !editing;
  editing = null;
  byId("webhook-form").hidden = true;
  byId("webhook-add").setAttribute("aria-expanded", "false");
  await loadList();
  if (added) {
    say(`Added ${webhookName(answer.webhook)}.`);
    showSecret(answer.webhook, answer.secret, false);
  } else {
    say(`${webhookName(answer.webhook)} now gets: ${eventsText(answer.webhook.events)}.`);
    const button = byId("webhooks-list").querySelector(`button[data-action="events"][data-id="${CSS.escape(answer.webhook.id)}"]`);
    if (button) button.focus();
  }
}

// ---- the dialog: delete, or a new secret ----

function askToConfirm(kind, button) {
  const webhook = findWebhook(button.dataset.id);
  if (!webhook) return;
  confirming = { kind, webhook, opener: button };
  const name = webhookName(webhook);
  if (kind === "delete") {
    confirmation.ask({
      heading: `Delete the webhook ${name}?`,
      words: `Nothing more is sent to ${webhook.url}, and its delivery log goes with it. Deliveries on their way may still arrive once.`,
    });
  } else {
    confirmation.ask({
      heading: `A new secret for ${name}?`,
      words: "The desk signs every delivery from now on with the new secret, shown once on the next screen; the receiver refuses them until it has it.",
      button: "Make a new secret",
      className: "primary",
    });
  }
}

async function confirmed() {
  if (!confirming) return;
  const { kind, webhook } = confirming;
  const button = confirmation.button;
  button.disabled = true;
  let answer = null;
  try {
    answer = kind === "delete"
      ? await api(idPath(webhook), { method: "DELETE" })
      : await api(idPath(webhook), { method: "PATCH", body: { roll_secret: true } });
  } catch (error) {
    const gone = error instanceof ApiError && error.status === 404;
    if (!(gone && kind === "delete")) {
      if (error instanceof ApiError && error.status !== 401) {
        confirmation.error(gone ? "This webhook was deleted meanwhile." : `Nothing changed: ${error.message}.`);
        return;
      }
      throw error;
    }
  } finally {
    button.disabled = false;
  }
  confirming = null;
  confirmation.close();
  openDeliveries.delete(webhook.id);
  await loadList();
  if (kind === "delete") {
    say(`Deleted the webhook ${webhookName(webhook)}.`);
    byId("webhooks-status").focus();
  } else {
    say(`${webhookName(webhook)} has a new secret.`);
    showSecret(answer.webhook, answer.secret, true);
  }
}

function dialogClosed() {
  if (!confirming) return;
  // Cancelled: the focus goes back to the button that opened it (the list may have been redrawn).
  const { kind, webhook } = confirming;
  confirming = null;
  const opener = byId("webhooks-list").querySelector(`button[data-action="${kind}"][data-id="${CSS.escape(webhook.id)}"]`);
  if (opener) opener.focus();
  else byId("webhooks-title").focus();
}

// ---- the view ----

export async function showWebhooks() {
  const admin = showAdminView("webhooks", "Webhooks · Postdesk");
  byId("webhook-add").hidden = !admin;
  hideSecret("webhook-secret");
  say("");
  byId("webhook-form").hidden = true;
  editing = null;
  if (!admin) return;
  const view = byId("webhooks-view");
  view.setAttribute("aria-busy", "true");
  try {
    await loadList();
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) {
      byId("webhooks-refused").hidden = false;
      byId("webhooks-body").hidden = true;
      byId("webhook-add").hidden = true;
      return;
    }
    throw error;
  } finally {
    view.removeAttribute("aria-busy");
  }
}

export function setUpWebhooks() {
  byId("webhook-add").addEventListener("click", () => {
    hideSecret("webhook-secret");
    openForm(null).catch(reportError);
  });
  byId("webhook-form").addEventListener("submit", (event) => saveForm(event).catch(reportError));
  byId("webhook-form-cancel").addEventListener("click", closeForm);
  byId("webhook-form").addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeForm();
  });
  for (const id of ["webhook-events-all", "webhook-events-chosen"]) {
    byId(id).addEventListener("change", () => {
      showEventScope();
      fieldError("webhook-events-error", "");
    });
  }
  byId("webhook-event-types").addEventListener("change", () => fieldError("webhook-events-error", ""));
  byId("webhook-url").addEventListener("input", () => {
    fieldError("webhook-url-error", "");
    byId("webhook-url").removeAttribute("aria-invalid");
  });
  wireSecretBox("webhook-secret", { what: "secret", back: "webhooks-title" });
  byId("webhooks-list").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const action = button.dataset.action;
    if (action === "deliveries") toggleDeliveries(button).catch(reportError);
    else if (action === "toggle") toggleEnabled(button).catch(reportError);
    else if (action === "events") {
      hideSecret("webhook-secret");
      openForm(findWebhook(button.dataset.id)).catch(reportError);
    } else if (action === "roll") askToConfirm("roll", button);
    else if (action === "delete") askToConfirm("delete", button);
    else if (action === "replay") replayDelivery(button).catch(reportError);
  });
  confirmation = confirmDialog("webhook-dialog", { id: "webhook-dialog", confirm: confirmed, closed: dialogClosed });
}
