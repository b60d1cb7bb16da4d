// "New ticket" (#/new): the desk writes first. The form names the desk's address it goes from (when
// the desk has several: it follows the queue unless the agent chooses), the customer, the Cc, the
// subject and the message (Markdown, with the reply's variables), the queue, category, priority,
// language and the status once the mail is out; "Send" posts it (POST /tickets) and opens the new ticket.
//
// One content is one request: the form sent again as it is keeps its Idempotency-Key until the desk
// answers with the ticket, so a double click, or sending again after the network failed, makes one
// ticket and one mail; a change makes it another request (api.js requestKeys). When the desk did not
// say whether it started the ticket, the form says so and that sending again is safe. A refusal is
// shown in the desk's words and the form keeps what was typed.

import { ApiError, api, outcomeUnknown, requestKeys, unconfirmedWords } from "./api.js";
import { attachmentBox } from "./attachments-upload.js";
import { categories, mailboxes, queues } from "./directory.js";
import { byId, el, showMessage } from "./dom.js";
import { languageName } from "./format.js";
import { flashAfterMove, showView } from "./page.js";
import { reportError } from "./session.js";
import { ticketHref } from "./url-state.js";

// One mail goes to at most 50 recipients (Amazon SES): the customer and 49 more.
const MAX_CC = 49;
// The languages the desk writes in (its mail templates); named in the agent's own language.
const DESK_LANGUAGES = ["de", "en", "es", "fr", "pt"];

const requestKey = requestKeys();
// Whether a form is being filled (left for a look at the queue, it is found as it was).
let filling = false;
// The desk's addresses (GET /mailboxes), and whether the agent chose the From (else it follows the queue).
let knownMailboxes = [];
let fromChosen = false;
// The files of the first mail (attachments-upload.js).
let files = null;

function showError(message) {
  showMessage("new-ticket-error", message);
}

function addressesIn(id) {
  return byId(id).value.split(/[,;\n]+/).map((address) => address.trim()).filter(Boolean);
}

function options(select, values, chosen) {
  select.replaceChildren(...values.map(([value, label]) => el("option", { value }, label)));
  if (chosen !== undefined) select.value = chosen;
}

export async function showNewTicket() {
  showView("new-ticket-view");
  document.title = "New ticket · Postdesk";
  const form = byId("new-ticket-form");
  // Back on a form being filled (after a look at the queue, say), what was typed stays.
  const fresh = !filling;
  if (fresh) {
    // A fresh form: a new request.
    form.reset();
    files.clear();
    showError("");
    requestKey.done();
    filling = true;
  }
  if (fresh) fromChosen = false;
  const [known, kinds, addresses] = await Promise.all([queues(), categories(), mailboxes()]);
  const queue = byId("new-ticket-queue");
  const defaultQueue = (known.find((q) => q.default) || known[0] || {}).name;
  options(queue, known.map((q) => [q.name, q.default ? `${q.name} (default)` : q.name]),
    fresh || !queue.value ? defaultQueue : queue.value);
  showFrom(addresses, fresh);
  const category = byId("new-ticket-category");
  options(category, kinds.map((c) => [c.name, c.name]), fresh || !category.value ? "general" : category.value);
  const language = byId("new-ticket-language");
  if (!language.options.length) {
    options(language, [["", "From the message"], ...DESK_LANGUAGES.map((code) => [code, languageName(code)])], "");
  }
  // The lists above may arrive after the agent has begun to type: never take the focus from them.
  if (!form.contains(document.activeElement)) byId("new-ticket-email").focus();
}

// "From": one of the desk's addresses, under its brand; shown only when the desk has several.
function showFrom(addresses, fresh) {
  knownMailboxes = addresses;
  const from = byId("new-ticket-from");
  const kept = fresh ? "" : from.value;
  options(from, addresses.map((mailbox) => [mailbox.address, `${mailbox.name} <${mailbox.address}>`]));
  byId("new-ticket-from-field").hidden = addresses.length < 2;
  if (fromChosen && kept) from.value = kept;
  else followQueue();
}

// The address of the chosen queue (as the desk would choose), else the main one.
function followQueue() {
  if (fromChosen || !knownMailboxes.length) return;
  const queue = byId("new-ticket-queue").value;
  const mailbox = knownMailboxes.find((m) => m.queue === queue) || knownMailboxes.find((m) => m.main) || knownMailboxes[0];
  byId("new-ticket-from").value = mailbox.address;
}

function formDocument() {
  const name = byId("new-ticket-name").value.trim();
  const body = {
    requester: { email: byId("new-ticket-email").value.trim(), ...(name ? { name } : {}) },
    subject: byId("new-ticket-subject").value.trim(),
    body: byId("new-ticket-body").value,
    cc: addressesIn("new-ticket-cc"),
    bcc: addressesIn("new-ticket-bcc"),
    keep_bcc: byId("new-ticket-keep-bcc").checked,
    queue: byId("new-ticket-queue").value,
    category: byId("new-ticket-category").value,
    priority: byId("new-ticket-priority").value,
    status: byId("new-ticket-status").value,
    attachments: files.ids(),
  };
  const language = byId("new-ticket-language").value;
  if (language) body.language = language;
  const from = byId("new-ticket-from").value;
  if (knownMailboxes.length > 1 && from) body.mailbox = from;
  return body;
}

// What the browser can say before asking the desk (the desk checks everything again).
function problem(body) {
  if (!body.requester.email) return ["new-ticket-email", "Who is it to? Enter the customer's email address."];
  if (!body.subject) return ["new-ticket-subject", "Give the ticket a subject."];
  if (!body.body.trim()) return ["new-ticket-body", "Write the message."];
  const waiting = files.problem();
  if (waiting) return ["new-ticket-files", waiting];
  if (body.cc.length > MAX_CC) {
    return ["new-ticket-cc", `At most ${MAX_CC} Cc addresses: one mail goes to at most 50 people (the limit of Amazon SES).`];
  }
  if (body.cc.length + body.bcc.length > MAX_CC) {
    return [
      "new-ticket-bcc",
      `At most ${MAX_CC} Cc and Bcc addresses together: with the customer, one mail goes to at most 50 people (the limit of Amazon SES).`,
    ];
  }
  return null;
}

async function send(event) {
  event.preventDefault();
  const body = formDocument();
  const found = problem(body);
  if (found) {
    showError(found[1]);
    byId(found[0]).focus();
    return;
  }
  showError("");
  const button = byId("new-ticket-send");
  button.disabled = true;
  let result;
  try {
    result = await api("tickets", { method: "POST", body, headers: { "Idempotency-Key": requestKey.for(body) } });
  } catch (error) {
    button.disabled = false;
    if (!(error instanceof ApiError) || error.status === 401) throw error;
    // The desk's words; the form keeps what was typed, and the same key makes one ticket on a retry.
    showError(
      outcomeUnknown(error)
        ? `${unconfirmedWords(error, "the ticket was started and its mail sent")} Send it again as it is: that is safe, the desk will not make a second ticket or send twice.`
        : error.message,
    );
    if (error.status === 400) files.markRefused(error.message);
    byId("new-ticket-error").focus();
    return;
  }
  button.disabled = false;
  filling = false;
  requestKey.done();
  flashAfterMove(`Ticket ${result.ticket.ref} started: the mail went to ${result.ticket.requester.email}.`, {
    done: true,
  });
  location.hash = ticketHref(result.ticket.ref);
}

export function setUpNewTicket() {
  files = attachmentBox(byId("new-ticket-attachments"), "new-ticket");
  byId("new-ticket-form").addEventListener("submit", (event) => send(event).catch(reportError));
  byId("new-ticket-queue").addEventListener("change", followQueue);
  byId("new-ticket-from").addEventListener("change", () => { fromChosen = true; });
  byId("new-ticket-cancel").addEventListener("click", () => {
    filling = false;
    files.clear();
    location.hash = "#/";
  });
}
