// A reply or a note is sent over the conversation the agent has on screen: each carries the `seen`
// marker of the ticket as shown, and the API refuses it (409 ConversationChanged) when someone wrote
// since — the customer, a colleague's reply or note. Then nothing was sent: the box keeps the text,
// the ticket is read again so the new messages show in the thread (marked "New"), and a box under
// the form says who wrote and offers "Send anyway" (send over what the box told of) and "Review
// first" (go to the first new message; the text waits in the box, and the next Send goes over the
// thread then shown).
//
// The ticket view hands in the marker of the ticket on screen and how to read it again
// (setUpCollision), so this module does not depend on the view that holds it.

import { ApiError, api } from "./api.js";
import { byId, el } from "./dom.js";
import { shortWhen, when } from "./format.js";
import { currentPage } from "./url-state.js";

const FORMS = {
  reply: { form: "reply-form", box: "reply-conflict", body: "reply-body", notDone: "Not sent", anyway: "Send anyway" },
  note: { form: "note-form", box: "note-conflict", body: "note-body", notDone: "Not added", anyway: "Add anyway" },
};
const SAID = {
  customer_message: "wrote",
  agent_reply: "replied",
  note: "added an internal note",
  forward: "forwarded the ticket",
  third_party: "answered a forward",
};

let view = null;
// The conflict each box shows: { ref, changes } by form.
const shownConflicts = new Map();

function changeLine(change) {
  const who = (change.by && (change.by.name || change.by.email)) || "Someone";
  return el(
    "li",
    {},
    `${who} ${SAID[change.kind] || "wrote"} · `,
    el("time", { datetime: change.at, title: when(change.at) }, shortWhen(change.at)),
  );
}

function hideConflict(which) {
  const box = byId(FORMS[which].box);
  box.hidden = true;
  box.replaceChildren();
  shownConflicts.delete(which);
}

// The thread's new messages, marked so the eye finds them (the marks go with the next drawing).
function markNewMessages(changes) {
  const items = [];
  for (const change of changes) {
    const item = document.querySelector(`#thread li[data-id="${CSS.escape(change.message)}"]`);
    if (!item) continue;
    item.classList.add("new-since");
    item.tabIndex = -1;
    const head = item.querySelector(".message-head");
    if (head && !head.querySelector(".badge.new")) head.append(el("span", { className: "badge new" }, "New"));
    items.push(item);
  }
  return items;
}

function reviewFirst(which) {
  const conflict = shownConflicts.get(which);
  hideConflict(which);
  const first = conflict ? markNewMessages(conflict.changes)[0] : null;
  if (first) {
    first.scrollIntoView({ block: "center" });
    first.focus({ preventScroll: true });
  } else {
    byId(FORMS[which].body).focus();
  }
}

// Sent over exactly what the box told of (the marker of the 409): anything written after it is
// news again, and stops this send too.
let anyway = null;

function sendAnyway(which) {
  const conflict = shownConflicts.get(which);
  hideConflict(which);
  if (conflict && conflict.seen) anyway = { which, ref: conflict.ref, seen: conflict.seen };
  byId(FORMS[which].form).requestSubmit();
}

function showConflict(which, ref, data) {
  const changes = (data && data.changes) || [];
  const words = FORMS[which];
  const box = byId(words.box);
  shownConflicts.set(which, { ref, changes, seen: data && data.seen });
  const anyway = el("button", { type: "button", className: "primary" }, words.anyway);
  anyway.addEventListener("click", () => sendAnyway(which));
  const review = el("button", { type: "button" }, "Review first");
  review.addEventListener("click", () => reviewFirst(which));
  box.replaceChildren(
    el(
      "p",
      { className: "conflict-title", id: `${words.box}-title` },
      el("strong", {}, `${words.notDone}: the conversation changed while you were writing.`),
    ),
    el("ul", { className: "conflict-changes" }, changes.map(changeLine)),
    el("p", { className: "hint" }, "Your text is kept. The new messages are in the thread above, marked “New”."),
    el("div", { className: "row" }, anyway, review),
  );
  box.hidden = false;
  box.focus();
}

// Posts a reply or note (`which`) for ticket `ref` with the marker of the ticket on screen. The
// API's answer, or null when someone wrote since: then the conflict box says so and the ticket is
// read again. Any other refusal is thrown as it came.
export async function sendChecked(which, ref, path, { body, headers = {} }) {
  const agreed = anyway && anyway.which === which && anyway.ref === ref ? anyway.seen : null;
  anyway = null;
  const seen = agreed || (view ? view.seen(ref) : null);
  hideConflict(which);
  try {
    return await api(path, { method: "POST", body: seen ? { ...body, seen } : body, headers });
  } catch (error) {
    if (!(error instanceof ApiError && error.kind === "ConversationChanged")) throw error;
    // The new messages show in the thread before the box that tells of them.
    await view.reload(ref);
    const page = currentPage();
    if (page.name !== "ticket" || page.ref !== ref) return null;
    showConflict(which, ref, error.data);
    markNewMessages((error.data && error.data.changes) || []);
    return null;
  }
}

// `ticketView`: { seen(ref) -> the marker of ticket `ref` as shown, or null; reload(ref) -> Promise }.
export function setUpCollision(ticketView) {
  view = ticketView;
  for (const which of Object.keys(FORMS)) {
    const box = byId(FORMS[which].box);
    box.tabIndex = -1;
    box.hidden = true;
    // Focused when it shows: a screen reader says its first line, the rest follows in reading order.
    box.setAttribute("role", "group");
    box.setAttribute("aria-labelledby", `${FORMS[which].box}-title`);
  }
  // Another ticket opened: what was said about this one goes.
  window.addEventListener("hashchange", () => {
    const page = currentPage();
    for (const [which, conflict] of [...shownConflicts]) {
      if (page.name !== "ticket" || page.ref !== conflict.ref) hideConflict(which);
    }
  });
}
