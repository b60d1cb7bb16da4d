// Who else is on a ticket's thread: its Cc and Bcc under the subject, "Edit Cc and Bcc" (the
// ticket's lists, saved with PATCH over the version shown), and the addresses a customer copied on a
// later mail, offered to the agent: "Add to Cc" or "Dismiss" (never offered again on this ticket).
// The ticket view hands in the shown ticket and how to reload it (setUpCopies), so this module does
// not depend on the view that holds it.

import { ApiError, api } from "./api.js";
import { addressField } from "./address-field.js";
import { byId, el, showMessage } from "./dom.js";
import { shortWhen, when } from "./format.js";
import { flash } from "./page.js";
import { reportError } from "./session.js";

const MAX_RECIPIENTS = 50;

let view = null;
let fields = null;

function addressLine(line, label, addresses) {
  line.hidden = addresses.length === 0;
  line.replaceChildren(
    el("span", { className: "recipient-label" }, label),
    " ",
    ...addresses.flatMap((address, index) => [index ? ", " : "", el("span", { className: "address" }, address)]),
  );
}

function editorError(message) {
  showMessage("copies-error", message);
}

function closeEditor(focus) {
  byId("copies-form").hidden = true;
  byId("copies-edit").setAttribute("aria-expanded", "false");
  editorError("");
  if (focus) byId("copies-edit").focus();
}

function openEditor() {
  const ticket = view.ticket();
  if (!ticket) return;
  fields.cc.set(ticket.cc || []);
  fields.bcc.set(ticket.bcc || []);
  editorError("");
  byId("copies-form").hidden = false;
  byId("copies-edit").setAttribute("aria-expanded", "true");
  fields.cc.focus();
}

// A PATCH of the shown ticket; a refusal (a colleague changed it, an address the desk will not
// copy, too many) is said where the agent is (`say`), the ticket read again on a conflict.
async function change(body, say) {
  const ticket = view.ticket();
  try {
    await api(`tickets/${encodeURIComponent(ticket.ref)}`, { method: "PATCH", body: { version: ticket.version, ...body } });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401 || error.status >= 500) throw error;
    if (!view.isShown(ticket.ref)) return false;
    say(error.status === 409 ? `${error.message} The ticket shows its current Cc and Bcc now.` : error.message);
    if (error.status === 409) await view.reload(ticket.ref);
    return false;
  }
  await view.reload(ticket.ref);
  return true;
}

async function save(event) {
  event.preventDefault();
  const cc = fields.cc.read();
  const bcc = fields.bcc.read();
  if (cc === null || bcc === null) {
    (cc === null ? fields.cc : fields.bcc).focus();
    return;
  }
  const count = 1 + cc.length + bcc.length;
  if (count > MAX_RECIPIENTS) {
    editorError(
      `At most ${MAX_RECIPIENTS - 1} Cc and Bcc addresses together: with the customer, one mail goes to at most ` +
        `${MAX_RECIPIENTS} recipients (the limit of Amazon SES). Remove ${count - MAX_RECIPIENTS}.`,
    );
    fields.bcc.focus();
    return;
  }
  byId("copies-save").disabled = true;
  try {
    if (await change({ cc, bcc }, editorError)) {
      closeEditor(true);
      flash("");
    }
  } finally {
    byId("copies-save").disabled = false;
  }
}

// "Jane Doe copied bob@x.example on a mail of 24 Nov, 10:31." with its two buttons.
function offerItem(offer, ticket) {
  const who = offer.by.name || offer.by.email;
  const add = el("button", { type: "button", className: "primary", dataset: { address: offer.address, act: "add" } }, "Add to Cc");
  const dismiss = el("button", { type: "button", dataset: { address: offer.address, act: "dismiss" } }, "Dismiss");
  // The visible words first, then whom they concern (WCAG 2.5.3: a spoken "Add to Cc" finds it).
  add.setAttribute("aria-label", `Add to Cc: ${offer.address}`);
  dismiss.setAttribute("aria-label", `Dismiss: ${offer.address}`);
  const disabled = Boolean(ticket.merged_into || ticket.quarantine);
  add.disabled = dismiss.disabled = disabled;
  return el(
    "li",
    { className: "cc-offer", dataset: { address: offer.address } },
    el(
      "p",
      {},
      `${who} copied `,
      el("strong", { className: "address" }, offer.address),
      " on a mail of ",
      el("time", { datetime: offer.at, title: when(offer.at) }, shortWhen(offer.at)),
      ". Replies do not go to them unless you add them.",
    ),
    el("div", { className: "row" }, add, dismiss),
  );
}

async function onOffer(event) {
  const button = event.target.closest("button[data-act]");
  if (!button) return;
  const ticket = view.ticket();
  if (!ticket) return;
  const address = button.dataset.address;
  button.disabled = true;
  const body = button.dataset.act === "add" ? { cc: [...(ticket.cc || []), address] } : { dismiss_cc_offered: [address] };
  const done = await change(body, flash).finally(() => {
    button.disabled = false;
  });
  if (!done || !view.isShown(ticket.ref)) return;
  flash(button.dataset.act === "add" ? `${address} is on the Cc: replies go to them from now on.` : `${address} will not be offered again on this ticket.`);
  // The list was drawn again without this offer: the focus goes to the next one, else the subject.
  const next = byId("cc-offers-list").querySelector("button[data-act]");
  (next || byId("ticket-subject")).focus();
}

// Draws the ticket's Cc, Bcc and offers; `readOnly`: a merged or held ticket (no edit).
export function showCopies(ticket, readOnly) {
  const requester = (ticket.requester.email || "").toLowerCase();
  addressLine(byId("ticket-cc"), "Cc", (ticket.cc || []).filter((address) => address.toLowerCase() !== requester));
  addressLine(byId("ticket-bcc"), "Bcc", ticket.bcc || []);
  const empty = !(ticket.cc || []).length && !(ticket.bcc || []).length;
  const edit = byId("copies-edit");
  edit.hidden = readOnly;
  edit.textContent = empty ? "Add Cc or Bcc" : "Edit Cc and Bcc";
  if (readOnly && !byId("copies-form").hidden) closeEditor(false);
  const offers = ticket.cc_offered || [];
  byId("cc-offers").hidden = offers.length === 0 || Boolean(ticket.merged_into);
  byId("cc-offers-list").replaceChildren(...offers.map((offer) => offerItem(offer, ticket)));
}

// While another ticket loads: nothing of the one before to act on.
export function hideCopies() {
  for (const id of ["ticket-cc", "ticket-bcc", "copies-edit", "cc-offers"]) byId(id).hidden = true;
  if (!byId("copies-form").hidden) closeEditor(false);
}

// `ticketView`: { ticket() (the shown ticket or null), isShown(ref), reload(ref) }.
export function setUpCopies(ticketView) {
  view = ticketView;
  fields = {
    cc: addressField({ id: "copies-cc", label: "Cc" }),
    bcc: addressField({ id: "copies-bcc", label: "Bcc" }),
  };
  byId("copies-fields").append(fields.cc.element, fields.bcc.element);
  byId("copies-edit").addEventListener("click", () => (byId("copies-form").hidden ? openEditor() : closeEditor(true)));
  byId("copies-cancel").addEventListener("click", () => closeEditor(true));
  byId("copies-form").addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeEditor(true);
  });
  byId("copies-form").addEventListener("submit", (event) => save(event).catch(reportError));
  byId("cc-offers-list").addEventListener("click", (event) => onOffer(event).catch(reportError));
}
