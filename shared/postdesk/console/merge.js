// "Merge into…": the dialog that joins the shown ticket to another one. The agent picks one of the
// requester's other tickets or types the other ticket's reference; once it is a reference, the ticket is looked up and shown (subject, requester,
// status) so that the agent sees which ticket keeps the conversation before confirming. The merge
// is made over the version of the ticket on screen: had someone changed it since, the API refuses
// in words and the ticket behind the dialog is reloaded.
//
// The ticket view hands in the shown ticket, how to reload it and what to do after (setUpMerge),
// as it does for reply.js.

import { ApiError, api, isAbandoned } from "./api.js";
import { wireDialog } from "./dialogs.js";
import { byId, el, showMessage } from "./dom.js";
import { person, statusBadge } from "./format.js";
import { reportError } from "./session.js";

// A reference as the desk writes it, in any case, with or without the hyphen (docs/openapi.yaml).
const REF = /^([2-9A-HJ-NP-Z]{4})-?([2-9A-HJ-NP-Z]{4})$/;
const TYPING_PAUSE_MS = 250;

let shownTicket = null;
// The ticket the typed reference names, once looked up and fit to merge into; null until then.
let target = null;
let lookup = null;
let typingTimer = 0;

// "k7q2m9xd", "#K7Q2-M9XD", "[#K7Q2-M9XD]" (as in a mail's subject) -> "K7Q2-M9XD"; else null.
export function typedRef(text) {
  const bare = (text || "").trim().replace(/^\[?#?/, "").replace(/\]$/, "").toUpperCase();
  const parts = REF.exec(bare);
  return parts ? `${parts[1]}-${parts[2]}` : null;
}

function showError(message) {
  showMessage("merge-error", message);
}

function showTarget(...content) {
  byId("merge-target").replaceChildren(...content.filter(Boolean));
}

function setTarget(ticket) {
  target = ticket;
  const button = byId("merge-confirm");
  button.disabled = ticket === null;
  button.textContent = ticket ? `Merge into ${ticket.ref}` : "Merge";
}

function targetCard(ticket, source) {
  const joining =
    ticket.requester.email.toLowerCase() !== source.requester.email.toLowerCase()
      ? el(
          "p",
          { className: "hint" },
          `${person(source.requester)} is another customer: they will be copied (Cc) on the replies of ${ticket.ref}.`,
        )
      : null;
  return el(
    "div",
    { className: "merge-card" },
    el("p", { className: "merge-card-title" }, el("span", { className: "ref" }, ticket.ref), " ", statusBadge(ticket.status)),
    el("p", { className: "merge-card-subject" }, ticket.subject || "(no subject)"),
    el("p", { className: "meta" }, `From ${person(ticket.requester)}`),
    joining,
  );
}

// Why a looked-up ticket cannot take this one, in words; null when it can.
function refusal(ticket, source) {
  if (source.quarantine) return `${source.ref} is in quarantine: release it with Not spam first, then merge it.`;
  if (ticket.ref === source.ref) return "That is this ticket: give the reference of the one to keep.";
  if (ticket.merged_into) return `${ticket.ref} was merged into ${ticket.merged_into}: merge into that one instead.`;
  if (ticket.quarantine) return `${ticket.ref} is in quarantine: release it first, or merge into another ticket.`;
  return null;
}

async function lookUp() {
  clearTimeout(typingTimer);
  if (lookup) lookup.abort();
  lookup = null;
  setTarget(null);
  showError("");
  const typed = byId("merge-into").value;
  const ref = typedRef(typed);
  if (!ref) {
    showTarget(
      el("p", { className: "hint" }, typed.trim() ? "A reference has eight letters and digits, such as K7Q2-M9XD." : ""),
    );
    return;
  }
  const source = shownTicket.ticket();
  if (ref === source.ref) {
    showTarget(el("p", { className: "error" }, refusal(source, source)));
    return;
  }
  const request = new AbortController();
  lookup = request;
  showTarget(el("p", { className: "hint" }, `Looking up ${ref}…`));
  let found;
  try {
    found = await api(`tickets/${encodeURIComponent(ref)}`, { signal: request.signal });
  } catch (error) {
    if (isAbandoned(error) || lookup !== request) return;
    lookup = null;
    if (error instanceof ApiError && error.status === 404) {
      showTarget(el("p", { className: "error" }, `No ticket ${ref}: check the reference.`));
      return;
    }
    showTarget();
    if (error instanceof ApiError && error.status === 401) {
      byId("merge-dialog").close();
      reportError(error);
      return;
    }
    showError(error.message);
    return;
  }
  if (lookup !== request) return;
  lookup = null;
  const why = refusal(found.ticket, source);
  showTarget(targetCard(found.ticket, source), why ? el("p", { className: "error" }, why) : null);
  if (!why) setTarget(found.ticket);
}

async function merge() {
  if (!target) {
    // Enter before the lookup finished: look up now; confirming is a second, deliberate step.
    await lookUp();
    return;
  }
  const source = shownTicket.ticket();
  const into = target.ref;
  const button = byId("merge-confirm");
  button.disabled = true;
  showError("");
  let result;
  try {
    result = await api(`tickets/${encodeURIComponent(source.ref)}/merge`, {
      method: "POST",
      body: { into, version: source.version },
    });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401) {
      button.disabled = false;
      byId("merge-dialog").close();
      throw error;
    }
    showError(error.message);
    // Changed since it was opened (or merged meanwhile): show the ticket as it is now behind, and
    // take a second confirmation only once it is (else it would go over the old version again).
    try {
      if (error.status === 409) await shownTicket.reload();
    } finally {
      button.disabled = false;
    }
    return;
  }
  byId("merge-dialog").close();
  shownTicket.merged(result);
}

// The requester's other tickets that could keep this one (not merged away, not held), newest
// first as the API gives them: a click chooses one and looks it up, as typing its reference does.
const MAX_SUGGESTIONS = 5;

function showSuggestions(source) {
  const fit = shownTicket.others().filter((other) => other.ref !== source.ref && !other.merged_into && !other.quarantine);
  byId("merge-suggestions").hidden = fit.length === 0 || Boolean(source.quarantine);
  byId("merge-suggestion-list").replaceChildren(
    ...fit.slice(0, MAX_SUGGESTIONS).map((other) =>
      el(
        "li",
        {},
        el(
          "button",
          { type: "button", dataset: { ref: other.ref } },
          el("span", { className: "ref" }, other.ref),
          ` ${other.subject || "(no subject)"} `,
          statusBadge(other.status),
        ),
      ),
    ),
  );
}

function chooseSuggestion(event) {
  const button = event.target instanceof Element ? event.target.closest("button[data-ref]") : null;
  if (!button) return;
  byId("merge-into").value = button.dataset.ref;
  lookUp().catch(reportError);
}

export function openMerge() {
  const source = shownTicket.ticket();
  byId("merge-source").textContent = source.ref;
  showSuggestions(source);
  byId("merge-into").value = "";
  showTarget();
  showError("");
  setTarget(null);
  byId("merge-dialog").showModal();
  byId("merge-into").focus();
}

// `ticket`: { ticket() -> the shown ticket's summary, others() -> the requester's other tickets,
// reload() -> Promise, merged(result) }.
export function setUpMerge(ticket) {
  shownTicket = ticket;
  byId("merge-open").addEventListener("click", openMerge);
  byId("merge-suggestion-list").addEventListener("click", chooseSuggestion);
  byId("merge-into").addEventListener("input", () => {
    clearTimeout(typingTimer);
    setTarget(null);
    typingTimer = setTimeout(() => lookUp().catch(reportError), TYPING_PAUSE_MS);
  });
  wireDialog("merge", {
    submit: merge,
    closed: () => {
      clearTimeout(typingTimer);
      if (lookup) lookup.abort();
      lookup = null;
      const opener = byId("merge-open");
      if (!opener.hidden && opener.offsetParent !== null) opener.focus();
    },
  });
}
