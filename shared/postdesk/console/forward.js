// "Forward…" on a ticket, and "Forward this message" on a message: the chosen messages go to a third
// party (a supplier, another team) with a note, POST /tickets/{ref}/forwards. The dialog names the
// third party (To, Cc), the note, the messages to include (ticked: the one chosen, or the
// customer's latest) and the files of those messages (ticked), and more files to attach. The
// customer is never copied: the API refuses the requester and the ticket's Cc in words, said here.
// The forward and the third party's answer show in the thread as internal (ticket.js).
//
// One content is one request: the same forward sent again (to the same people, the same note,
// messages and files) keeps its Idempotency-Key, so a Send clicked again after a lost answer never
// sends a second mail; a change makes it another forward (api.js requestKeys). When the desk did not
// say whether it went, the dialog says so and that sending again is safe.
//
// The ticket view hands in the shown ticket document and how to reload it (setUpForward), as it
// does for split.js and merge.js.

import { ApiError, api, outcomeUnknown, requestKeys, unconfirmedWords } from "./api.js";
import { addressField } from "./address-field.js";
import { attachmentBox } from "./attachments-upload.js";
import { dialogButton, wireDialog } from "./dialogs.js";
import { byId, el, showMessage } from "./dom.js";
import { fileSize, oneLine, person, shortWhen, when } from "./format.js";

// What a third party may be sent (the API's FORWARDABLE): what people wrote, never notes or
// automatic mail.
const FORWARDABLE = new Set(["customer", "agent_reply", "third_party"]);
const KIND_WORDS = { customer: "Customer", agent_reply: "Reply", third_party: "Third party" };
const EXCERPT_CHARS = 120;

let shownTicket = null;
let opener = null;
const requestKey = requestKeys();
let fields = null;
let uploads = null;

function showError(message) {
  showMessage("forward-error", message);
}

function excerpt(text) {
  return oneLine(text, EXCERPT_CHARS) || "(no text)";
}

export function isForwardable(message) {
  return FORWARDABLE.has(message.kind);
}

function forwardable() {
  const document = shownTicket.document();
  return document ? document.thread.filter(isForwardable) : [];
}

function checkedValues(container) {
  return [...container.querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value);
}

// The files of the ticked messages, each ticked unless the agent unticked it before.
function drawFiles(keepUnticked) {
  const ticked = new Set(checkedValues(byId("forward-messages-list")));
  const unticked = new Set(
    keepUnticked ? [...byId("forward-files-list").querySelectorAll("input:not(:checked)")].map((box) => box.value) : [],
  );
  const files = forwardable()
    .filter((message) => ticked.has(message.id))
    .flatMap((message) => (message.attachments || []).filter((file) => file.id));
  byId("forward-files").hidden = files.length === 0;
  byId("forward-files-list").replaceChildren(
    ...files.map((file) => {
      const id = `forward-file-${file.id}`;
      return el(
        "li",
        { className: "field check" },
        el("input", { type: "checkbox", id, value: file.id, checked: !unticked.has(file.id) }),
        el("label", { for: id }, `${file.filename || "attachment"} (${fileSize(file.size || 0)})`),
      );
    }),
  );
}

function drawMessages(chosen) {
  const messages = forwardable();
  byId("forward-messages-list").replaceChildren(
    ...messages.map((message) => {
      const id = `forward-message-${message.id}`;
      return el(
        "li",
        { className: "field check forward-message" },
        el("input", { type: "checkbox", id, value: message.id, checked: chosen.has(message.id) }),
        el(
          "label",
          { for: id },
          el("span", { className: "forward-message-head" }, `${KIND_WORDS[message.kind] || message.kind} · ${person(message.from)} · `,
            el("time", { datetime: message.at, title: when(message.at) }, shortWhen(message.at))),
          el("span", { className: "forward-excerpt" }, excerpt(message.visible_reply)),
        ),
      );
    }),
  );
  byId("forward-messages-none").hidden = messages.length > 0;
}

// `message`: the message whose "Forward this message" was used, or null for "Forward…" (the
// customer's latest message is ticked then).
export function openForward(message, button) {
  const document = shownTicket.document();
  if (!document) return;
  opener = button;
  const customer = document.thread.filter((entry) => entry.kind === "customer");
  const chosen = message || customer[customer.length - 1];
  byId("forward-source").textContent = document.ticket.ref;
  fields.to.set([]);
  fields.cc.set([]);
  byId("forward-note").value = "";
  // Made at the first opening, once the agent is signed in: it reads the desk's file limits.
  if (!uploads) uploads = attachmentBox(byId("forward-uploads"), "forward");
  uploads.clear();
  drawMessages(new Set(chosen ? [chosen.id] : []));
  drawFiles(false);
  showError("");
  byId("forward-send").disabled = false;
  byId("forward-dialog").showModal();
  fields.to.focus();
}

export function forwardButton(message) {
  return dialogButton("Forward this message", (button) => openForward(message, button));
}

async function send() {
  const document = shownTicket.document();
  if (!document) return;
  const to = fields.to.read();
  const cc = fields.cc.read();
  if (to === null || cc === null) {
    showError("Correct the address that is not one (under its field) before forwarding.");
    return;
  }
  if (to.length === 0) {
    showError("Name the third party the forward goes to (To).");
    fields.to.focus();
    return;
  }
  const problem = uploads.problem();
  if (problem) {
    showError(problem);
    return;
  }
  const ref = document.ticket.ref;
  const body = {
    to,
    cc,
    note: byId("forward-note").value,
    messages: checkedValues(byId("forward-messages-list")),
    // The files are the ones ticked, named one by one (those of the messages and the uploads).
    include_attachments: false,
    attachments: [...checkedValues(byId("forward-files-list")), ...uploads.ids()],
  };
  const button = byId("forward-send");
  button.disabled = true;
  showError("");
  let lost = false;
  try {
    await api(`tickets/${encodeURIComponent(ref)}/forwards`, {
      method: "POST",
      body,
      headers: { "Idempotency-Key": requestKey.for({ ref, ...body }) },
    });
  } catch (error) {
    button.disabled = false;
    if (!(error instanceof ApiError) || error.status === 401) {
      byId("forward-dialog").close();
      throw error;
    }
    // Sent again after an answer that was lost: the desk names the forward it sent the first time.
    lost = error.kind === "DuplicateRequest" && Boolean(error.data && error.data.recorded);
    if (!lost) {
      showError(forwardFailure(error));
      if (error.status === 400) uploads.markRefused(error.message);
      if (error.status === 404) await shownTicket.reload();
      return;
    }
  }
  requestKey.done();
  const names = [...to, ...cc].join(", ");
  byId("forward-dialog").close();
  const first = lost ? " (the first answer was lost on the way; it went once)" : "";
  shownTicket.forwarded(`Forwarded to ${names}${first}. Their answer comes back to this ticket as internal.`);
}

// The API's words for why not (the customer named, a file refused, a held ticket…), or, when the
// desk did not say whether it went, that sending again is safe.
function forwardFailure(error) {
  if (!outcomeUnknown(error)) return error.message;
  return `${unconfirmedWords(error, "the forward was sent")} Send it again as it is: that is safe, the desk will not send it twice.`;
}

// `ticket`: { document() -> the shown ticket document or null, reload() -> Promise,
// forwarded(words) }.
export function setUpForward(ticket) {
  shownTicket = ticket;
  fields = {
    // A refusal of the addresses is stale once they change.
    to: addressField({ id: "forward-to", label: "To", onChange: () => showError("") }),
    cc: addressField({ id: "forward-cc", label: "Cc", onChange: () => showError("") }),
  };
  byId("forward-addresses").replaceChildren(fields.to.element, fields.cc.element);
  byId("forward-messages-list").addEventListener("change", () => drawFiles(true));
  byId("forward-open").addEventListener("click", (event) => openForward(null, event.currentTarget));
  wireDialog("forward", {
    submit: send,
    closed: () => {
      if (opener && opener.isConnected) opener.focus();
      opener = null;
    },
  });
}
