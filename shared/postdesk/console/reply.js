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
import { ApiError, api, isAbandoned, outcomeUnknown, requestKeys, unconfirmedWords } from "./api.js";
import { sendChecked } from "./collision.js";
import { savedReply } from "./directory.js";
import { byId, el, showMessage } from "./dom.js";
import { dropDraft, dropStaleDrafts, keepDraft, readDraft } from "./drafts.js";
import { person, shortWhen } from "./format.js";
import { previewParts, previewReply } from "./reply-preview.js";
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
// The Idempotency-Key of each box's send: the same content sent again (its answer was lost) keeps
// its key, so the desk sends it once (api.js requestKeys).
const sendKeys = { reply: requestKeys(), note: requestKeys() };
// A send whose outcome is unknown, by box: { ref, text, key }. Kept in the draft (`unconfirmed`), so
// the same text sent again, after a reload too, carries the same key.
const unconfirmed = new Map();
const WORDS = {
  reply: { notDone: "Reply not sent", done: "your reply was sent", again: "Send it again as it is" },
  note: { notDone: "Note not added", done: "your note was added", again: "Add it again as it is" },
};
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
  const open = unconfirmed.get(which);
  if (open && open.ref === composeRef && open.text === pending.text) extra.unconfirmed = open.key;
  // The Cc and Bcc the agent chose for this reply are part of its draft.
  if (which === "reply" && copies.ref === composeRef && copies.edited) {
    extra.cc = copyFields.cc.current();
    extra.bcc = copyFields.bcc.current();
  }
  pending.timer = setTimeout(() => writeDraft(which), DRAFT_DELAY_MS);
  unwritten.set(which, pending);
}

function writeAllDrafts() {
  for (const which of [...unwritten.keys()]) writeDraft(which);
}

function restoreDraft(which, ref) {
  const draft = readDraft(agentAddress(), ref, which);
  byId(BOXES[which].box).value = draft ? draft.text : "";
  if (draft && draft.unconfirmed) unconfirmed.set(which, { ref, text: draft.text, key: draft.unconfirmed });
  showDraftState(which, draft ? `Draft restored (saved ${shortWhen(draft.saved_at)})` : "");
  return draft;
}

// ---- the preview ----

// While the preview is open it follows the text, this long after the last key.
const PREVIEW_DELAY_MS = 600;
let previewing = null;
let previewTimer = null;

function hideReplyPreview() {
  clearTimeout(previewTimer);
  if (previewing) previewing.abort();
  previewing = null;
  byId("reply-preview").hidden = true;
  byId("reply-preview-body").replaceChildren();
}

// The reply box's text as the customer will read it: the API renders it as it renders the mail
// (variables filled in, Markdown, the sign-off), shown in a sandboxed frame (reply-preview.js).
async function showReplyPreview() {
  const ref = composeRef;
  const shown = byId("reply-preview-body");
  const body = byId("reply-body").value;
  if (previewing) previewing.abort();
  byId("reply-preview").hidden = false;
  if (!body.trim()) {
    previewing = null;
    shown.replaceChildren(el("p", { className: "hint" }, "Write the reply: it shows here as the customer will read it."));
    return;
  }
  const request = new AbortController();
  previewing = request;
  if (!shown.childElementCount) shown.replaceChildren(el("p", { className: "hint" }, "Filling in this ticket's details…"));
  let preview;
  try {
    preview = await previewReply(body, ref, request.signal);
  } catch (error) {
    if (isAbandoned(error) || previewing !== request) return;
    previewing = null;
    if (!(error instanceof ApiError) || error.status === 401) throw error;
    shown.replaceChildren(el("p", { className: "error" }, `This reply cannot be previewed: ${error.message}`));
    return;
  }
  if (previewing !== request || composeRef !== ref) return;
  previewing = null;
  const customer = preview.variables["customer.name"] || preview.variables["customer.email"];
  shown.replaceChildren(
    el("p", { className: "hint" }, `As ${customer} will read it, with the sign-off the reply carries. It follows what you type.`),
    ...previewParts(preview, `Preview of your reply on ${preview.ref}`),
  );
}

function previewTyped() {
  if (byId("reply-preview").hidden) return;
  clearTimeout(previewTimer);
  previewTimer = setTimeout(() => showReplyPreview().catch(reportError), PREVIEW_DELAY_MS);
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
  if (ref !== composeRef) {
    replyFiles.clear();
    hideReplyPreview();
  }
  composeRef = ref;
  showMessage("reply-message", "");
  showMessage("note-message", "");
  const reply = restoreDraft("reply", ref);
  insertedSavedReply = reply && reply.saved_reply_id ? reply.saved_reply_id : null;
  if (reply && (Array.isArray(reply.cc) || Array.isArray(reply.bcc))) {
    // The draft's Cc and Bcc, over the ticket's (showRecipients keeps them when the ticket is drawn).
    copies = { ref, cc: [], bcc: [], edited: true };
    copyFields.cc.set(reply.cc || []);
    copyFields.bcc.set(reply.bcc || []);
  }
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
  if (copies.ref === ticket.ref && copies.edited) {
    // What the agent chose stays; what it is compared with is the ticket as it is now.
    copies.cc = cc;
    copies.bcc = bcc;
    countRecipients();
    return;
  }
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
  draftTyped("reply");
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
  previewTyped();
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

// The message an earlier send of this very content (`key`) left in the thread, when `error` leaves
// it open whether there is one: the desk's repeat of a request names it, and after an answer that
// was lost (or a 5xx) the thread is read to look for it. { message (or null), looked: whether the
// thread was read }.
async function firstAttempt(which, ref, key, error) {
  if (error instanceof ApiError && error.kind === "DuplicateRequest") {
    return { message: (error.data && error.data.recorded) || null, looked: false };
  }
  if (!outcomeUnknown(error)) return { message: null, looked: false };
  try {
    const shown = await api(`tickets/${encodeURIComponent(ref)}`);
    const message = (shown.thread || []).find((entry) => (entry.key || "").endsWith(`#${which}-${key}`));
    return { message: message || null, looked: true };
  } catch {
    return { message: null, looked: false };
  }
}

// Sends what the reply or note box holds, its button disabled meanwhile, under the Idempotency-Key
// of its content. Should the send fail, the draft is kept to try again, even after a reload. The
// desk's answer ({ message, lost: true } when the answer was lost but the thread holds the message),
// or none when nothing is known to have gone (said beside the button), or when someone wrote since
// the ticket was shown: nothing went, the text waits (collision.js).
async function sendTyped(which, ref, path, content) {
  writeDraft(which);
  const button = byId(which === "reply" ? "send-reply" : "add-note");
  button.disabled = true;
  const open = unconfirmed.get(which);
  const carried = open && open.ref === ref && open.text === content.body ? open.key : null;
  const key = carried || sendKeys[which].for({ ref, ...content });
  try {
    const answer = await sendChecked(which, ref, path, { body: content, headers: { "Idempotency-Key": key } });
    if (answer) confirmed(which, ref);
    return answer;
  } catch (error) {
    // An ended session is for the sign-in form; any other refusal is said in the box's message
    // line, beside its button, where the agent is looking (the page's flash may be far above).
    if ((error instanceof ApiError && error.status === 401) || composeRef !== ref) throw error;
    const earlier = await firstAttempt(which, ref, key, error);
    if (earlier.message) {
      confirmed(which, ref);
      return { message: earlier.message, lost: true };
    }
    if (outcomeUnknown(error)) {
      unconfirmed.set(which, { ref, text: content.body, key });
      draftTyped(which);
      writeDraft(which);
    }
    showMessage(`${which}-message`, failureWords(which, error, earlier.looked));
    byId(`${which}-message`).scrollIntoView({ block: "nearest" });
    showDraftState(which, "");
    return null;
  } finally {
    button.disabled = false;
  }
}

function confirmed(which, ref) {
  sendKeys[which].done();
  const open = unconfirmed.get(which);
  if (open && open.ref === ref) unconfirmed.delete(which);
}

// Why the send did not go, or that the desk did not say whether it went, and what to do next.
// `looked`: the thread was read and does not hold it.
function failureWords(which, error, looked) {
  const words = WORDS[which];
  if (outcomeUnknown(error)) {
    const thread = looked ? " It is not in the thread yet." : "";
    return `${unconfirmedWords(error, words.done)}${thread} ${words.again}: that is safe, the desk will not do it twice. Your text is kept as a draft.`;
  }
  if (error instanceof ApiError && error.kind === "DuplicateRequest") return `${error.message} Your text is kept as a draft.`;
  const refusedFile = which === "reply" && error instanceof ApiError && error.status === 400 && replyFiles.markRefused(error.message);
  const nextStep = refusedFile ? "Remove the marked file and send again" : "Try again";
  return `${words.notDone}: ${error.message} ${nextStep}; your text is kept as a draft.`;
}

// After a send whose answer was lost, found in the thread: said beside the button.
function sentAfterAll(which, answer, ref) {
  if (answer.lost && composeRef === ref) {
    showDraftState(which, `Done: ${WORDS[which].done} (its answer was lost on the way; the thread shows it).`);
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
  const answer = await sendTyped("reply", ref, `tickets/${encodeURIComponent(ref)}/replies`, reply);
  if (!answer) return;
  sent("reply", agent, ref, body);
  // The next reply starts from the ticket's Cc and Bcc as the desk has them after this one.
  if (copies.ref === ref) copies.edited = false;
  if (composeRef === ref) {
    replyFiles.clear();
    hideReplyPreview();
  }
  await view.reload(ref);
  sentAfterAll("reply", answer, ref);
}

async function addNote(event) {
  event.preventDefault();
  const ref = composeRef;
  const agent = agentAddress();
  const body = typedBody("note", "Write the note first.");
  if (body === null) return;
  showMessage("note-message", "");
  const answer = await sendTyped("note", ref, `tickets/${encodeURIComponent(ref)}/notes`, { body });
  if (!answer) return;
  sent("note", agent, ref, body);
  await view.reload(ref);
  sentAfterAll("note", answer, ref);
}

// Ctrl+Enter (Command+Enter on a Mac) in a box sends it, as in mail programs; not while it is sending.
function sendOnControlEnter(which) {
  const button = byId(which === "reply" ? "send-reply" : "add-note");
  byId(BOXES[which].box).addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.isComposing) return;
    event.preventDefault();
    if (!button.disabled) button.form.requestSubmit(button);
  });
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
  byId("reply-body").addEventListener("input", () => {
    draftTyped("reply");
    previewTyped();
  });
  byId("preview-reply").addEventListener("click", () => showReplyPreview().catch(reportError));
  byId("reply-preview-close").addEventListener("click", () => {
    hideReplyPreview();
    byId("preview-reply").focus();
  });
  byId("note-body").addEventListener("input", () => draftTyped("note"));
  sendOnControlEnter("reply");
  sendOnControlEnter("note");
  byId("reply-form").addEventListener("submit", (event) => sendReply(event).catch(reportError));
  byId("note-form").addEventListener("submit", (event) => addNote(event).catch(reportError));
  // A reload or a closed tab: what was typed in the last moment is kept too.
  window.addEventListener("pagehide", writeAllDrafts);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") writeAllDrafts();
  });
}
