// The reply box's saved replies: those in the ticket's language first, then those for any language,
// then the others under their language's name; a search box narrows them by title as the agent types
// once there are many; choosing one previews it with this ticket's details filled in (reply-preview.js)
// before "Insert" puts its text in the message box (reply.js does the inserting).
//
// reply.js holds this module (setUpSavedReplyPicker, showSavedReplies), so it never imports reply.js.

import { ApiError, isAbandoned } from "./api.js";
import { byId, el } from "./dom.js";
import { languageName } from "./format.js";
import { previewParts, previewReply } from "./reply-preview.js";
import { reportError } from "./session.js";

// From this many saved replies on, the search box shows (a short list is read at a glance).
const SEARCH_FROM = 8;

let allReplies = [];
// The ticket the list is for: { ref, language }.
let forTicket = null;
let previewing = null;

// Titles compared without case or accents: "resume" finds "Résumé".
function folded(text) {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

// The groups of the list, in order: [label, replies].
function grouped(replies, language) {
  const own = replies.filter((reply) => language && reply.language === language);
  const any = replies.filter((reply) => !reply.language);
  const others = new Map();
  for (const reply of replies) {
    if (reply.language && reply.language !== language) {
      if (!others.has(reply.language)) others.set(reply.language, []);
      others.get(reply.language).push(reply);
    }
  }
  const otherGroups = [...others.entries()]
    .map(([code, members]) => [`${languageName(code)} (${code})`, members])
    .sort(([a], [b]) => a.localeCompare(b));
  return [
    [`${language ? languageName(language) : "This ticket's language"} (this ticket's language)`, own],
    ["Any language", any],
    ...otherGroups,
  ].filter(([, members]) => members.length);
}

function drawOptions() {
  const select = byId("saved-reply");
  const chosen = select.value;
  const words = folded(byId("saved-reply-search").value.trim());
  const matching = words ? allReplies.filter((reply) => folded(reply.title).includes(words)) : allReplies;
  const groups = grouped(matching, forTicket ? forTicket.language : "");
  const first = allReplies.length
    ? (matching.length ? "Choose a saved reply…" : "No saved reply has those words in its title")
    : "No saved replies";
  select.replaceChildren(
    el("option", { value: "" }, first),
    ...groups.map(([label, members]) => el(
      "optgroup",
      { label },
      members.map((reply) => el("option", { value: reply.id }, reply.title)),
    )),
  );
  if (matching.some((reply) => reply.id === chosen)) select.value = chosen;
  else if (chosen) hidePreview();
  select.disabled = allReplies.length === 0;
  byId("insert-saved-reply").disabled = !select.value;
  byId("saved-reply-count").textContent = words
    ? `${matching.length} of ${allReplies.length} saved replies have those words in their title.`
    : "";
}

// The saved replies to offer on ticket `ticket` (its reference and language).
export function showSavedReplies(replies, ticket) {
  allReplies = replies;
  const ref = ticket ? ticket.ref : null;
  if (!forTicket || forTicket.ref !== ref) {
    byId("saved-reply-search").value = "";
    byId("saved-reply").value = "";
    hidePreview();
  }
  forTicket = ticket ? { ref: ticket.ref, language: ticket.language || "" } : null;
  byId("saved-reply-search-field").hidden = replies.length < SEARCH_FROM;
  drawOptions();
}

export function hidePreview() {
  if (previewing) previewing.abort();
  previewing = null;
  const box = byId("saved-reply-preview");
  box.hidden = true;
  box.removeAttribute("aria-busy");
  byId("saved-reply-preview-body").replaceChildren();
}

async function showPreview() {
  const reply = allReplies.find((candidate) => candidate.id === byId("saved-reply").value);
  byId("insert-saved-reply").disabled = !reply;
  if (!reply || !forTicket) {
    hidePreview();
    return;
  }
  if (previewing) previewing.abort();
  const request = new AbortController();
  previewing = request;
  const box = byId("saved-reply-preview");
  box.hidden = false;
  box.setAttribute("aria-busy", "true");
  byId("saved-reply-preview-title").textContent = `Preview: ${reply.title}`;
  byId("saved-reply-preview-body").replaceChildren(el("p", { className: "hint" }, "Filling in this ticket's details…"));
  let preview;
  try {
    preview = await previewReply(reply.body, forTicket.ref, request.signal);
  } catch (error) {
    if (isAbandoned(error) || previewing !== request) return;
    box.removeAttribute("aria-busy");
    if (error instanceof ApiError && error.status !== 401) {
      byId("saved-reply-preview-body").replaceChildren(
        el("p", { className: "error" }, `This saved reply cannot be previewed: ${error.message}.`),
      );
      return;
    }
    throw error;
  }
  if (previewing !== request) return;
  previewing = null;
  box.removeAttribute("aria-busy");
  const customer = preview.variables["customer.name"] || preview.variables["customer.email"];
  byId("saved-reply-preview-body").replaceChildren(
    el("p", { className: "hint" }, `With the details of ${preview.ref} filled in, as ${customer} will read it, with the sign-off the reply will carry.`),
    ...previewParts(preview, `Preview of ${reply.title} for ${preview.ref}`),
  );
}

// Enter in the search box chooses the first saved reply that matches (and never sends the reply).
function chooseFirstMatch(event) {
  if (event.key !== "Enter") return;
  event.preventDefault();
  const first = byId("saved-reply").querySelector("optgroup option");
  if (!first) return;
  byId("saved-reply").value = first.value;
  showPreview().catch(reportError);
  byId("saved-reply").focus();
}

export function setUpSavedReplyPicker() {
  byId("saved-reply-search").addEventListener("input", drawOptions);
  byId("saved-reply-search").addEventListener("keydown", chooseFirstMatch);
  byId("saved-reply").addEventListener("change", () => showPreview().catch(reportError));
  byId("saved-reply-preview-close").addEventListener("click", () => {
    byId("saved-reply").value = "";
    byId("insert-saved-reply").disabled = true;
    hidePreview();
    byId("saved-reply").focus();
  });
}
