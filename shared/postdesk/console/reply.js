// Writing on a ticket: the reply to the customer (with saved replies) and the internal note.
// The ticket view hands in which ticket is shown and how to reload it (setUpCompose), so this
// module does not depend on the view that holds it.

import { api } from "./api.js";
import { savedReply } from "./directory.js";
import { byId, el } from "./dom.js";
import { flash } from "./page.js";
import { reportError } from "./session.js";

let shownTicket = null;
let insertedSavedReply = null;

// A fresh form for a newly opened ticket.
export function prepareCompose(replies) {
  const select = byId("saved-reply");
  select.replaceChildren(
    el("option", { value: "" }, replies.length ? "Choose a saved reply…" : "No saved replies"),
    ...replies.map((reply) => el("option", { value: reply.id }, reply.language ? `${reply.title} (${reply.language})` : reply.title)),
  );
  select.disabled = replies.length === 0;
  byId("insert-saved-reply").disabled = replies.length === 0;
  insertedSavedReply = null;
  byId("reply-body").value = "";
  byId("note-body").value = "";
}

function insertSavedReply() {
  const reply = savedReply(byId("saved-reply").value);
  if (!reply) return;
  const box = byId("reply-body");
  const start = box.selectionStart ?? box.value.length;
  const end = box.selectionEnd ?? box.value.length;
  box.value = box.value.slice(0, start) + reply.body + box.value.slice(end);
  box.selectionStart = box.selectionEnd = start + reply.body.length;
  insertedSavedReply = reply.id;
  box.focus();
}

async function sendReply(event) {
  event.preventDefault();
  const body = byId("reply-body").value;
  if (!body.trim()) {
    flash("Write a reply first.");
    byId("reply-body").focus();
    return;
  }
  const reply = { body, status: byId("reply-status").value };
  if (insertedSavedReply) reply.saved_reply_id = insertedSavedReply;
  const button = byId("send-reply");
  button.disabled = true;
  try {
    // One key per click: a retry of this very request (a lost answer) is not sent twice.
    await api(`tickets/${encodeURIComponent(shownTicket.ref())}/replies`, {
      method: "POST",
      body: reply,
      headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    byId("reply-body").value = "";
    insertedSavedReply = null;
    flash("");
    await shownTicket.reload();
  } finally {
    button.disabled = false;
  }
}

async function addNote(event) {
  event.preventDefault();
  const body = byId("note-body").value;
  if (!body.trim()) {
    flash("Write the note first.");
    byId("note-body").focus();
    return;
  }
  await api(`tickets/${encodeURIComponent(shownTicket.ref())}/notes`, { method: "POST", body: { body } });
  byId("note-body").value = "";
  flash("");
  await shownTicket.reload();
}

// `ticket`: { ref() -> the shown ticket's reference, reload() -> Promise }.
export function setUpCompose(ticket) {
  shownTicket = ticket;
  byId("insert-saved-reply").addEventListener("click", insertSavedReply);
  byId("reply-form").addEventListener("submit", (event) => sendReply(event).catch(reportError));
  byId("note-form").addEventListener("submit", (event) => addNote(event).catch(reportError));
}
