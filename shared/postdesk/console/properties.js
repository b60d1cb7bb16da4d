// A ticket's properties and subject, edited on its page: status, priority, assignee, queue (one
// of the desk's), category (one of triage's), tags (an editor: typed, Enter or a comma adds, a
// button removes) and the subject (edited in place, Enter saves, Escape cancels).
//
// Each save is one PATCH over the version on screen. When a colleague changed the ticket
// meanwhile (409), the ticket is read again and shown as it is now, what they did is said in
// words, and what the agent changed stays in the form, unsaved, to look over and save again. A
// re-read of the same ticket (after a reply, say) also keeps the agent's unsaved changes.
//
// The ticket view hands in the shown ticket's document and how to reload it (setUpProperties), as
// it does for reply.js.

import { ApiError, api } from "./api.js";
import { byId, chooseOption, el, removableTag, showMessage } from "./dom.js";
import { eventSentence } from "./history.js";
import { reportError } from "./session.js";
import { MAX_TAGS, readTags, refusedWords } from "./tags.js";

const FIELD_WORDS = {
  status: "status", priority: "priority", assignee: "assignee", queue: "queue", category: "category", tags: "tags",
};

let view = null;
// The ticket the form was filled from (its values as the desk has them).
let base = null;
// The tags in the editor: the ticket's, with the agent's additions and removals.
let editedTags = [];

// ---- what the form holds ----

function formValues() {
  return {
    status: byId("ticket-status").value,
    priority: byId("ticket-priority").value,
    assignee: byId("ticket-assignee").value || null,
    queue: byId("ticket-queue").value,
    category: byId("ticket-category").value,
    tags: [...editedTags],
  };
}

function valuesOf(ticket) {
  return {
    status: ticket.status,
    priority: ticket.priority,
    assignee: ticket.assignee || null,
    queue: ticket.queue,
    category: ticket.category,
    tags: [...(ticket.tags || [])],
  };
}

function same(left, right) {
  return JSON.stringify(left) === JSON.stringify(right);
}

// The fields the agent changed and has not saved: { field: value }.
function unsavedEdits() {
  if (!base) return {};
  const shown = formValues();
  const known = valuesOf(base);
  return Object.fromEntries(Object.entries(shown).filter(([field, value]) => !same(value, known[field])));
}

function fieldList(fields) {
  const words = fields.map((field) => FIELD_WORDS[field] || field);
  return words.length === 1 ? words[0] : `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

function showUnsaved() {
  const fields = Object.keys(unsavedEdits());
  const line = byId("properties-unsaved");
  const words = fields.length ? `Not saved yet: ${fieldList(fields)}.` : "";
  if (line.textContent !== words) line.textContent = words;
  line.hidden = !words;
}

function say(message) {
  showMessage("properties-message", message);
}

// ---- the choices ----

function fillAssignees(select, known, me, current) {
  const options = [el("option", { value: "" }, "Unassigned")];
  const listed = new Set();
  for (const agent of known) {
    listed.add(agent.email);
    options.push(el("option", { value: agent.email }, agent.name ? `${agent.name} (${agent.email})` : agent.email));
  }
  if (me && !listed.has(me.email)) {
    listed.add(me.email);
    options.push(el("option", { value: me.email }, `Me (${me.email})`));
  }
  if (current && !listed.has(current)) options.push(el("option", { value: current }, current));
  select.replaceChildren(...options);
  select.value = current || "";
}

function categoryLabel(name) {
  return name ? `${name[0].toUpperCase()}${name.slice(1)}` : name;
}

// A list of the desk's names; the ticket's own value stays choosable even when the list lacks it
// (a queue the rules no longer route to, or a list that could not be read).
function fillNames(select, names, current, label = (name) => name) {
  select.replaceChildren(...names.map((name) => el("option", { value: name }, label(name))));
  if (current) chooseOption(select, current, label(current));
}

// ---- the tag editor ----

function showTags() {
  const list = byId("ticket-tags");
  list.replaceChildren(
    ...editedTags.map((tag) => removableTag(tag, `Remove tag ${tag}`, { tag })),
  );
  byId("ticket-tags-none").hidden = editedTags.length > 0;
  showUnsaved();
}

function tagError(message) {
  showMessage("ticket-tag-error", message);
}

// Adds what is typed in the tag box; true when nothing in it was refused.
function addTypedTags() {
  const input = byId("ticket-tag-input");
  const { tags, refused } = readTags(input.value);
  const fresh = tags.filter((tag) => !editedTags.includes(tag));
  const room = MAX_TAGS - editedTags.length;
  if (fresh.length > room) {
    tagError(`A ticket has at most ${MAX_TAGS} tags: remove one before adding ${fresh.length === 1 ? "another" : "more"}.`);
    return false;
  }
  editedTags.push(...fresh);
  if (fresh.length) showTags();
  if (refused.length) {
    tagError(refusedWords(refused));
    input.value = refused.join(" ");
    return false;
  }
  tagError("");
  input.value = "";
  return true;
}

function onTagKey(event) {
  if (event.key === "Enter" || event.key === ",") {
    // Enter adds the tag rather than saving the form; a comma ends a tag.
    event.preventDefault();
    addTypedTags();
  }
}

// A pasted "vip, refund, " adds the tags before the last comma; what was refused is said until
// the box changes.
function onTagInput(event) {
  const input = event.target;
  tagError("");
  const cut = input.value.lastIndexOf(",");
  if (cut < 0) return;
  const rest = input.value.slice(cut + 1);
  input.value = input.value.slice(0, cut);
  if (addTypedTags()) input.value = rest.trimStart();
}

function onTagRemove(event) {
  const button = event.target.closest("button.tag-remove");
  if (!button) return;
  const index = editedTags.indexOf(button.dataset.tag);
  if (index < 0) return;
  editedTags.splice(index, 1);
  showTags();
  // The focus goes to the next tag's button, or the box when none is left after it.
  const buttons = byId("ticket-tags").querySelectorAll("button.tag-remove");
  (buttons[index] || buttons[index - 1] || byId("ticket-tag-input")).focus();
}

// ---- showing a ticket ----

// Fills the form from `ticket`. `keepEdits`: the same ticket read again; what the agent changed and
// did not save stays in the form (a field the desk now has as the agent set it is no longer unsaved).
export function showProperties(ticket, choices, keepEdits) {
  const kept = keepEdits ? unsavedEdits() : {};
  base = ticket;
  const values = { ...valuesOf(ticket), ...kept };
  byId("ticket-status").value = values.status;
  byId("ticket-priority").value = values.priority;
  fillAssignees(byId("ticket-assignee"), choices.agents, choices.me, values.assignee || "");
  fillNames(byId("ticket-queue"), choices.queues.map((queue) => queue.name), ticket.queue);
  if (values.queue !== ticket.queue) chooseOption(byId("ticket-queue"), values.queue);
  fillNames(byId("ticket-category"), choices.categories.map((category) => category.name), ticket.category, categoryLabel);
  if (values.category !== ticket.category) chooseOption(byId("ticket-category"), values.category, categoryLabel(values.category));
  editedTags = [...values.tags];
  if (!keepEdits) {
    byId("ticket-tag-input").value = "";
    tagError("");
    say("");
  }
  showTags();
  showSubject(ticket, keepEdits);
  return Object.keys(kept);
}

// ---- saving ----

// What happened to the ticket since `before` was shown, in the history's words.
function changesSince(before, after) {
  const seen = new Set((before.events || []).map((event) => JSON.stringify(event)));
  const context = { ref: after.ticket.ref, names: view.names() };
  return (after.events || [])
    .filter((event) => !seen.has(JSON.stringify(event)))
    .map((event) => eventSentence(event, context))
    .filter(Boolean)
    .map((parts) => parts.map((part) => (typeof part === "string" ? part : part.textContent)).join(""));
}

// "A colleague changed this ticket while you were editing it: …" and what became of the agent's edit.
function conflictWords(before, after, edited, keptFields) {
  const done = changesSince(before, after);
  const what = done.length ? `: ${done.join("; ")}` : "";
  const theirs = Object.keys(edited).filter((field) => !same(valuesOf(before.ticket)[field], valuesOf(after.ticket)[field]));
  const both = theirs.length ? ` They changed the ${fieldList(theirs)} too: the form shows your choice.` : "";
  const yours = keptFields.length
    ? ` The ticket is shown as it is now, with your changes to the ${fieldList(keptFields)} kept in the form, not saved yet: check them and save again.${both}`
    : " The ticket is shown as it is now; it already has what you chose, nothing more to save.";
  return `A colleague changed this ticket while you were editing it${what}.${yours}`;
}

async function saveProperties(event) {
  event.preventDefault();
  const before = view.document();
  if (!before) return;
  // A tag typed but not added yet is part of what the agent means to save.
  if (byId("ticket-tag-input").value.trim() && !addTypedTags()) {
    byId("ticket-tag-input").focus();
    return;
  }
  const ticket = before.ticket;
  const edited = unsavedEdits();
  if (!Object.keys(edited).length) {
    say("Nothing to save: no property was changed.");
    return;
  }
  const button = byId("save-properties");
  button.disabled = true;
  say("");
  try {
    await api(`tickets/${encodeURIComponent(ticket.ref)}`, { method: "PATCH", body: { version: ticket.version, ...edited } });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401) throw error;
    if (error.status === 409 && error.kind === "ConcurrentUpdate") {
      const after = await view.reload(ticket.ref);
      if (after) say(conflictWords(before, after, edited, Object.keys(unsavedEdits())));
      return;
    }
    // A move the status cannot make (409), a value refused (400): said here, the form as it was.
    if (error.status === 409) await view.reload(ticket.ref);
    if (view.isShown(ticket.ref)) say(error.message);
    return;
  } finally {
    button.disabled = false;
  }
  const after = await view.reload(ticket.ref);
  if (after) say(`Saved: ${fieldList(Object.keys(edited))}.`);
}

// ---- the subject, edited in place ----

function subjectError(message) {
  showMessage("subject-error", message);
}

function subjectEditing() {
  return !byId("subject-form").hidden;
}

function openSubject(text) {
  const ticket = base;
  if (!ticket) return;
  byId("subject-form").hidden = false;
  byId("ticket-subject").classList.add("visually-hidden");
  byId("edit-subject").hidden = true;
  const input = byId("subject-input");
  input.value = text ?? ticket.subject ?? "";
  input.focus();
  input.select();
}

function closeSubject(focus) {
  byId("subject-form").hidden = true;
  byId("ticket-subject").classList.remove("visually-hidden");
  byId("edit-subject").hidden = false;
  subjectError("");
  if (focus) byId("edit-subject").focus();
}

// A new ticket closes the editor; the same one read again leaves what the agent typed.
function showSubject(ticket, keepEdits) {
  byId("edit-subject").disabled = Boolean(ticket.merged_into || ticket.quarantine);
  if (!keepEdits && subjectEditing()) closeSubject(false);
  // A merged ticket's subject stays as it is: no button at all (held mail's waits, greyed, for release).
  if (ticket.merged_into) byId("edit-subject").hidden = true;
  else if (!subjectEditing()) byId("edit-subject").hidden = false;
}

async function saveSubject(event) {
  event.preventDefault();
  const before = view.document();
  if (!before) return;
  const ticket = before.ticket;
  const typed = byId("subject-input").value.trim();
  if (!typed) {
    subjectError("A ticket needs a subject: type one, or press Escape to keep the one it has.");
    return;
  }
  if (typed === ticket.subject) {
    closeSubject(true);
    return;
  }
  const button = byId("save-subject");
  button.disabled = true;
  try {
    await api(`tickets/${encodeURIComponent(ticket.ref)}`, { method: "PATCH", body: { version: ticket.version, subject: typed } });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401) throw error;
    if (error.status === 409 && error.kind === "ConcurrentUpdate") {
      const after = await view.reload(ticket.ref);
      if (!after) return;
      const done = changesSince(before, after);
      subjectError(
        `A colleague changed this ticket while you were editing it${done.length ? `: ${done.join("; ")}` : ""}. ` +
          "Your subject is still in the box, not saved yet: check it and save again.",
      );
      byId("subject-input").focus();
      return;
    }
    if (view.isShown(ticket.ref)) subjectError(error.message);
    return;
  } finally {
    button.disabled = false;
  }
  const after = await view.reload(ticket.ref);
  if (after) closeSubject(true);
}

// `ticketView`: { document() -> the shown ticket's document or null, reload(ref) -> Promise of the
// document read again (null when the agent moved to another ticket), isShown(ref), names() -> the
// agents' names by address }.
export function setUpProperties(ticketView) {
  view = ticketView;
  const form = byId("properties-form");
  form.addEventListener("submit", (event) => saveProperties(event).catch(reportError));
  form.addEventListener("change", showUnsaved);
  byId("ticket-tag-input").addEventListener("keydown", onTagKey);
  byId("ticket-tag-input").addEventListener("input", onTagInput);
  byId("ticket-tags").addEventListener("click", onTagRemove);
  byId("edit-subject").addEventListener("click", () => openSubject());
  byId("subject-form").addEventListener("submit", (event) => saveSubject(event).catch(reportError));
  byId("cancel-subject").addEventListener("click", () => closeSubject(true));
  byId("subject-input").addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    closeSubject(true);
  });
}
