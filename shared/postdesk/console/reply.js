// Writing on a ticket: the reply to the customer (with saved replies) and the internal note.
// The ticket view hands in how to reload a ticket (setUpCompose), so this module does not depend on
// the view that holds it.
//
// What the agent writes is kept as a draft (drafts.js) for the ticket it was written on, under the
// signed-in agent's address: a reload or signing out and in again gives it back, sending it drops it.
// Each send remembers which ticket it was for: its answer never touches the boxes of a ticket the
// agent opened since.

import { setUpArticlePicker, showArticlePicker } from "./article-picker.js";
import { attachmentBox } from "./attachments-upload.js";
import { addressField } from "./address-field.js";
import { ApiError } from "./api.js";
import { sendChecked } from "./collision.js";
import { savedReply } from "./directory.js";
import { byId, el, showMessage } from "./dom.js";
import { dropDraft, dropStaleDrafts, keepDraft, readDraft } from "./drafts.js";
import { person, shortWhen } from "./format.js";
import { hidePreview, setUpSavedReplyPicker, showSavedReplies } from "./saved-reply-picker.js";
import { currentAgent, reportError } from "./session.js";

// A draft is written this long after the last key, and at once when the page goes away.
const DRAFT_DELAY_MS = 400;
const BOXES = {
  reply: { box: "reply-body", state: "reply-draft" },
  note: { box: "note-body", state: "note-draft" },
};

let view = null;
// The ticket the boxes are for (set as soon as a ticket is opened, before it has loaded).
let composeRef = null;
let insertedSavedReply = null;
// The files of the reply (attachments-upload.js): for the ticket they were attached on only.
let replyFiles = null;
// Who the reply goes to besides the requester (address-field.js), and what the ticket had when
// they were filled: `edited` once the agent changed them (a reload of the same ticket keeps them).
let copyFields = null;
let copies = { ref: null, cc: [], bcc: [], edited: false };
// SES sends one message to at most 50 recipients, To, Cc and Bcc together (mail/recipients.py).
const MAX_RECIPIENTS = 50;
// From here on the reply box counts the recipients aloud.
const NEAR_LIMIT = 40;
// Drafts typed but not written yet, by box: { agent, ref, text, extra, timer }.
const unwritten = new Map();
let staleDraftsDropped = false;

function agentAddress() {
  const me = currentAgent();
  return me ? me.email : null;
}

// ---- drafts ----

function showDraftState(which, words) {
  const state = byId(BOXES[which].state);
  if (state.textContent !== words) state.textContent = words;
}

function writeDraft(which) {
  const pending = unwritten.get(which);
  if (!pending) return;
  clearTimeout(pending.timer);
  unwritten.delete(which);
  const kept = keepDraft(pending.agent, pending.ref, which, pending.text, pending.extra);
  if (pending.ref === composeRef) showDraftState(which, kept ? "Draft saved" : "");
}

function draftTyped(which) {
  const agent = agentAddress();
  if (!agent || !composeRef) return;
  const before = unwritten.get(which);
  if (before) clearTimeout(before.timer);
  const extra = which === "reply" && insertedSavedReply ? { saved_reply_id: insertedSavedReply } : {};
  const pending = { agent, ref: composeRef, text: byId(BOXES[which].box).value, extra };
  pending.timer = setTimeout(() => writeDraft(which), DRAFT_DELAY_MS);
  unwritten.set(which, pending);
}

function writeAllDrafts() {
  for (const which of [...unwritten.keys()]) writeDraft(which);
}

function restoreDraft(which, ref) {
  const draft = readDraft(agentAddress(), ref, which);
  byId(BOXES[which].box).value = draft ? draft.text : "";
  showDraftState(which, draft ? `Draft restored (saved ${shortWhen(draft.saved_at)})` : "");
  return draft;
}

// ---- opening a ticket ----

// The boxes for ticket `ref`, with its drafts if the agent left any: called as soon as the ticket
// is asked for, so that nothing typed from then on is taken for another ticket's draft.
export function openCompose(ref) {
  writeAllDrafts();
  if (!staleDraftsDropped) {
    staleDraftsDropped = true;
    dropStaleDrafts();
  }
  if (ref !== composeRef) replyFiles.clear();
  composeRef = ref;
  showMessage("reply-message", "");
  showMessage("note-message", "");
  const reply = restoreDraft("reply", ref);
  insertedSavedReply = reply && reply.saved_reply_id ? reply.saved_reply_id : null;
  restoreDraft("note", ref);
}

// The saved replies offered on `ticket`, its language first (saved-reply-picker.js), and the help
// articles in its language (article-picker.js).
export function fillSavedReplies(replies, ticket) {
  showSavedReplies(replies, ticket);
  showArticlePicker(ticket);
}

// Where a reply goes: To the requester; Cc and Bcc filled with the ticket's, for the agent to change
// for this reply (the desk never copies the requester). The same ticket drawn again keeps what the
// agent changed; another ticket, or the same one after a send, starts from the ticket's.
export function showRecipients(ticket) {
  byId("reply-recipients").replaceChildren(
    el("span", { className: "recipient-line" }, el("span", { className: "recipient-label" }, "To"), " ", person(ticket.requester)),
  );
  const requester = (ticket.requester.email || "").toLowerCase();
  const cc = (ticket.cc || []).filter((address) => address.toLowerCase() !== requester);
  const bcc = ticket.bcc || [];
  if (copies.ref === ticket.ref && copies.edited) return;
  copies = { ref: ticket.ref, cc, bcc, edited: false };
  copyFields.cc.set(cc);
  copyFields.bcc.set(bcc);
  byId("reply-keep-bcc").checked = false;
  countRecipients();
}

function sameList(one, other) {
  return one.length === other.length && one.every((address, index) => address === other[index]);
}

// "46 of at most 50 recipients…" once the reply comes near SES's limit; over it, why it cannot go.
function countRecipients() {
  const count = 1 + copyFields.cc.count() + copyFields.bcc.count();
  const line = byId("reply-recipient-count");
  const over = count > MAX_RECIPIENTS;
  line.hidden = count < NEAR_LIMIT;
  line.classList.toggle("error", over);
  line.textContent = over
    ? `${count} recipients: a mail goes to at most ${MAX_RECIPIENTS} (To, Cc and Bcc together; the limit of Amazon SES). ` +
      `Remove ${count - MAX_RECIPIENTS} to send.`
    : `${count} of at most ${MAX_RECIPIENTS} recipients per mail (To, Cc and Bcc together; the limit of Amazon SES).`;
  byId("reply-keep-bcc-field").hidden = copyFields.bcc.count() === 0 && copies.bcc.length === 0;
  return count;
}

function copiesChanged() {
  copies.edited = true;
  countRecipients();
}

// The reply's `cc`, `bcc` and `keep_bcc`, where they differ from the ticket's; null (said in the box)
// when an address is not one or there are too many.
function replyCopies() {
  const cc = copyFields.cc.read();
  const bcc = copyFields.bcc.read();
  if (cc === null || bcc === null) {
    showMessage("reply-message", "Not sent: an address in Cc or Bcc is not an email address. Correct it or remove it.");
    (cc === null ? copyFields.cc : copyFields.bcc).focus();
    return null;
  }
  const count = countRecipients();
  if (count > MAX_RECIPIENTS) {
    showMessage("reply-message", `Not sent: a mail goes to at most ${MAX_RECIPIENTS} recipients (the limit of Amazon SES); this one would go to ${count}. Remove ${count - MAX_RECIPIENTS} from Cc or Bcc.`);
    copyFields.bcc.focus();
    return null;
  }
  const fields = {};
  if (!sameList(cc, copies.cc)) fields.cc = cc;
  if (!sameList(bcc, copies.bcc)) fields.bcc = bcc;
  if (byId("reply-keep-bcc").checked && bcc.length) fields.keep_bcc = true;
  return fields;
}

// ---- writing ----

// `text` at the reply box's cursor (over what is selected), kept in the draft at once.
function insertIntoReply(text) {
  const box = byId("reply-body");
  const start = box.selectionStart ?? box.value.length;
  const end = box.selectionEnd ?? box.value.length;
  box.value = box.value.slice(0, start) + text + box.value.slice(end);
  box.selectionStart = box.selectionEnd = start + text.length;
  draftTyped("reply");
  writeDraft("reply");
}

function insertSavedReply() {
  const reply = savedReply(byId("saved-reply").value);
  if (!reply) return;
  insertedSavedReply = reply.id;
  insertIntoReply(reply.body);
  const box = byId("reply-body");
  byId("saved-reply").value = "";
  byId("insert-saved-reply").disabled = true;
  hidePreview();
  box.focus();
}

// After a send went through: its draft goes, and the box empties if it still holds what was sent
// on that same ticket (what the agent typed since, or another ticket's draft, stays).
function sent(which, agent, ref, text) {
  const pending = unwritten.get(which);
  if (pending && pending.ref === ref) {
    clearTimeout(pending.timer);
    unwritten.delete(which);
  }
  dropDraft(agent, ref, which);
  if (composeRef !== ref) return;
  const box = byId(BOXES[which].box);
  if (box.value === text) {
    box.value = "";
    showDraftState(which, "");
    if (which === "reply") insertedSavedReply = null;
  } else {
    draftTyped(which);
  }
}

// The reply or note box's text; null when it holds none (the agent is told, the box focused).
function typedBody(which, missing) {
  const box = byId(`${which}-body`);
  if (box.value.trim()) return box.value;
  showMessage(`${which}-message`, missing);
  box.focus();
  return null;
}

// Sends what the reply or note box holds, its button disabled meanwhile. Should the send fail, the
// draft is kept to try again, even after a reload. The desk's answer, or none when someone wrote
// since the ticket was shown: nothing went, the text waits (collision.js).
async function sendTyped(which, ref, path, request) {
  writeDraft(which);
  const button = byId(which === "reply" ? "send-reply" : "add-note");
  button.disabled = true;
  try {
    return await sendChecked(which, ref, path, request);
  } catch (error) {
    // An ended session is for the sign-in form; any other refusal is said in the box's message
    // line, beside its button, where the agent is looking (the page's flash may be far above).
    if ((error instanceof ApiError && error.status === 401) || composeRef !== ref) throw error;
    const refusedFile = which === "reply" && error instanceof ApiError && error.status === 400 && replyFiles.markRefused(error.message);
    const nextStep = refusedFile ? "Remove the marked file and send again" : "Try again";
    const what = which === "reply" ? "Reply not sent" : "Note not added";
    showMessage(`${which}-message`, `${what}: ${error.message} ${nextStep}; your text is kept as a draft.`);
    byId(`${which}-message`).scrollIntoView({ block: "nearest" });
    showDraftState(which, "");
    return null;
  } finally {
    button.disabled = false;
  }
}

async function sendReply(event) {
  event.preventDefault();
  const ref = composeRef;
  const agent = agentAddress();
  const body = typedBody("reply", "Write a reply first.");
  if (body === null) return;
  const waiting = replyFiles.problem();
  if (waiting) {
    showMessage("reply-message", `Not sent: ${waiting}`);
    byId("reply-files").focus();
    return;
  }
  const chosen = replyCopies();
  if (!chosen) return;
  showMessage("reply-message", "");
  const reply = { body, status: byId("reply-status").value, ...chosen };
  if (insertedSavedReply) reply.saved_reply_id = insertedSavedReply;
  const attachments = replyFiles.ids();
  if (attachments.length) reply.attachments = attachments;
  const answer = await sendTyped("reply", ref, `tickets/${encodeURIComponent(ref)}/replies`, {
    body: reply,
    // One key per click: a retry of this very request (a lost answer) is not sent twice.
    headers: { "Idempotency-Key": crypto.randomUUID() },
  });
  if (!answer) return;
  sent("reply", agent, ref, body);
  // The next reply starts from the ticket's Cc and Bcc as the desk has them after this one.
  if (copies.ref === ref) copies.edited = false;
  if (composeRef === ref) replyFiles.clear();
  await view.reload(ref);
}

async function addNote(event) {
  event.preventDefault();
  const ref = composeRef;
  const agent = agentAddress();
  const body = typedBody("note", "Write the note first.");
  if (body === null) return;
  showMessage("note-message", "");
  const answer = await sendTyped("note", ref, `tickets/${encodeURIComponent(ref)}/notes`, { body: { body } });
  if (!answer) return;
  sent("note", agent, ref, body);
  await view.reload(ref);
}

// `ticketView`: { reload(ref) -> Promise (renders only if that ticket is still the one shown) }.
export function setUpCompose(ticketView) {
  view = ticketView;
  copyFields = {
    cc: addressField({ id: "reply-cc", label: "Cc", onChange: copiesChanged }),
    bcc: addressField({ id: "reply-bcc", label: "Bcc", onChange: copiesChanged }),
  };
  byId("reply-copies").prepend(copyFields.cc.element, copyFields.bcc.element);
  for (const field of [copyFields.cc, copyFields.bcc]) field.input.addEventListener("input", countRecipients);
  replyFiles = attachmentBox(byId("reply-attachments"), "reply");
  byId("insert-saved-reply").addEventListener("click", insertSavedReply);
  setUpSavedReplyPicker();
  setUpArticlePicker({
    insert: (text) => {
      insertIntoReply(text);
      byId("reply-body").focus();
    },
  });
  byId("reply-body").addEventListener("input", () => draftTyped("reply"));
  byId("note-body").addEventListener("input", () => draftTyped("note"));
  byId("reply-form").addEventListener("submit", (event) => sendReply(event).catch(reportError));
  byId("note-form").addEventListener("submit", (event) => addNote(event).catch(reportError));
  // A reload or a closed tab: what was typed in the last moment is kept too.
  window.addEventListener("pagehide", writeAllDrafts);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") writeAllDrafts();
  });
}
