// A quarantined ticket's box: why it was held, "Not spam" (release it into the queue, trust the
// sender, send the acknowledgement the mail would have had) and "Delete" (remove it for good, after
// a dialog that says what goes). Only mail held as spam may be acknowledged: a forged sender, a virus
// or an automatic mail is never answered automatically, and the API refuses it too.
//
// The ticket view hands in the shown ticket, how to reload it and how to say what happened
// (setUpHeld), as it does for merge.js and split.js.

import { ApiError, api } from "./api.js";
import { wireDialog } from "./dialogs.js";
import { byId, el, showMessage } from "./dom.js";
import { quarantineReason } from "./format.js";
import { flashAfterMove } from "./page.js";
import { reportError } from "./session.js";

let shownTicket = null;

function showDeleteError(message) {
  showMessage("delete-error", message);
}

// The box above the thread; hidden unless the ticket is held.
export function showHeld(ticket) {
  const box = byId("quarantine-box");
  box.hidden = !ticket.quarantine;
  if (!ticket.quarantine) return;
  const { headline, reason, verdict } = quarantineReason(ticket.quarantine);
  byId("quarantine-reason").replaceChildren(el("span", { className: "badge warning" }, headline), " ", reason);
  // A virus or a forged sender is a risk even if the mail is real: say so next to the button.
  byId("quarantine-risk").hidden = !(verdict === "virus" || verdict === "forged");
  byId("quarantine-risk").textContent =
    verdict === "virus"
      ? "A virus scanner flagged this mail: open its attachments only if you are sure of them."
      : "The sender's domain did not vouch for this mail: it may not come from the sender it names.";
  byId("trust-sender").checked = true;
  const acknowledgeable = verdict === "spam";
  byId("acknowledge-field").hidden = !acknowledgeable;
  byId("acknowledge-release").checked = false;
  byId("acknowledge-release").disabled = !acknowledgeable;
  byId("release").disabled = false;
  byId("delete-open").disabled = false;
}

function releasedNotice(ref, acknowledgement) {
  const released = `Released from quarantine: ${ref} is in the queue as a new ticket.`;
  if (!acknowledgement) return released;
  if (acknowledgement.outcome === "sent" || acknowledgement.outcome === "already sent") {
    return `${released} The sender got the acknowledgement.`;
  }
  return `${released} No acknowledgement was sent: ${acknowledgement.reason || acknowledgement.outcome}.`;
}

async function release(event) {
  event.preventDefault();
  const ticket = shownTicket.ticket();
  const button = byId("release");
  button.disabled = true;
  let result;
  try {
    result = await api(`tickets/${encodeURIComponent(ticket.ref)}/release`, {
      method: "POST",
      body: {
        trust_sender: byId("trust-sender").checked,
        acknowledge: byId("acknowledge-release").checked && !byId("acknowledge-field").hidden,
      },
    });
  } catch (error) {
    button.disabled = false;
    if (!(error instanceof ApiError && (error.status === 409 || error.status === 400))) throw error;
    // Released (or merged) by someone else meanwhile, or not to be acknowledged: show what is true
    // now, and why.
    await shownTicket.reload();
    shownTicket.notice(error.message);
    return;
  }
  await shownTicket.reload();
  shownTicket.notice(releasedNotice(ticket.ref, result.acknowledgement));
}

function openDelete() {
  const ticket = shownTicket.ticket();
  byId("delete-ref").textContent = ticket.ref;
  showDeleteError("");
  byId("delete-confirm").disabled = false;
  byId("delete-dialog").showModal();
  // The safe choice has the focus: Enter on an opened dialog deletes nothing.
  byId("delete-cancel").focus();
}

async function deleteHeld() {
  const ticket = shownTicket.ticket();
  const button = byId("delete-confirm");
  button.disabled = true;
  showDeleteError("");
  try {
    await api(`tickets/${encodeURIComponent(ticket.ref)}`, { method: "DELETE" });
  } catch (error) {
    button.disabled = false;
    if (!(error instanceof ApiError) || error.status === 401) {
      byId("delete-dialog").close();
      throw error;
    }
    if (error.status === 404) {
      // Deleted by someone else meanwhile: gone all the same.
      byId("delete-dialog").close();
      flashAfterMove(`${ticket.ref} was already deleted.`, { done: true });
      location.hash = "#/";
      return;
    }
    showDeleteError(error.message);
    if (error.status === 409) await shownTicket.reload();
    return;
  }
  byId("delete-dialog").close();
  flashAfterMove(`Deleted ${ticket.ref}: the mail, its attachments and its history are gone.`, { done: true });
  // Back to the list it was opened from (the quarantine, in the address's list state).
  location.hash = "#/";
}

// `ticket`: { ticket() -> the shown ticket's summary, reload() -> Promise, notice(message) }.
export function setUpHeld(ticket) {
  shownTicket = ticket;
  byId("release-form").addEventListener("submit", (event) => release(event).catch(reportError));
  byId("delete-open").addEventListener("click", openDelete);
  wireDialog("delete", {
    submit: deleteHeld,
    closed: () => {
      const opener = byId("delete-open");
      if (opener.isConnected && !byId("quarantine-box").hidden) opener.focus();
    },
    backdropCloses: true,
  });
}
