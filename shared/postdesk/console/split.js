// "Split into a new ticket": a customer's later message (never the ticket's first) becomes a ticket
// of its own. The button on the message opens a small dialog that shows which message it is and
// what the split does; confirming posts it and opens the new ticket. The source keeps the message,
// and its history says where it went (history.js tells the `split` and `split_from` events).
//
// The ticket view hands in the shown ticket, how to reload it and what to do after (setUpSplit),
// as it does for merge.js and reply.js.

import { ApiError, api } from "./api.js";
import { dialogButton, wireDialog } from "./dialogs.js";
import { byId, el, showMessage } from "./dom.js";
import { oneLine, person, when } from "./format.js";

// How much of the message the dialog quotes, so that the agent sees which one it is.
const QUOTE_CHARS = 280;

let shownTicket = null;
// The message the dialog is about, and the button that opened it (the focus goes back there).
let chosen = null;
let opener = null;

function showError(message) {
  showMessage("split-error", message);
}

function quote(text) {
  return oneLine(text, QUOTE_CHARS);
}

function openSplit(message, button) {
  chosen = message;
  opener = button;
  const source = shownTicket.ticket();
  byId("split-source").textContent = source.ref;
  byId("split-message").replaceChildren(
    el("p", { className: "meta" }, `From ${person(message.from)} · `, el("time", { datetime: message.at }, when(message.at))),
    el("p", { className: "split-quote" }, quote(message.visible_reply) || "(no text)"),
  );
  showError("");
  byId("split-confirm").disabled = false;
  byId("split-dialog").showModal();
  byId("split-confirm").focus();
}

// The button on a customer's message; ticket.js decides which messages may have one.
export function splitButton(message) {
  return dialogButton("Split into a new ticket", (button) => openSplit(message, button));
}

async function split() {
  if (!chosen) return;
  const source = shownTicket.ticket();
  const button = byId("split-confirm");
  button.disabled = true;
  showError("");
  let result;
  try {
    result = await api(
      `tickets/${encodeURIComponent(source.ref)}/messages/${encodeURIComponent(chosen.id)}/split`,
      { method: "POST" },
    );
  } catch (error) {
    button.disabled = false;
    if (!(error instanceof ApiError) || error.status === 401) {
      byId("split-dialog").close();
      throw error;
    }
    // The API says in words why not (the first message, not a customer's, a held ticket…).
    showError(error.message);
    if (error.status === 404 || error.status === 409) await shownTicket.reload();
    return;
  }
  opener = null;
  byId("split-dialog").close();
  shownTicket.split(result);
}

// `ticket`: { ticket() -> the shown ticket's summary, reload() -> Promise, split(result) }.
export function setUpSplit(ticket) {
  shownTicket = ticket;
  wireDialog("split", {
    submit: split,
    closed: () => {
      chosen = null;
      if (opener && opener.isConnected) opener.focus();
      opener = null;
    },
    backdropCloses: true,
  });
}
