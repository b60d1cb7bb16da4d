// Bulk actions on the ticket list: a checkbox on each row and "Select all on this page"; once a
// ticket is selected, a bar says how many and offers one change for all of them (assign, status,
// priority, queue, category, add or remove tags) or merging them into one of them. Each ticket is changed over the version shown
// on screen (POST /tickets/bulk), so a ticket someone changed meanwhile is left as it was; the
// answer is told ticket by ticket in words, and the list is read again.
//
// The list view hands in its shown tickets and how to reload them (setUpBulk), as ticket.js does
// for merge.js; the selection lives here.

import { ApiError, api } from "./api.js";
import { categories, queues } from "./directory.js";
import { byId, chooseOption, el, showMessage } from "./dom.js";
import { reportError } from "./session.js";
import { readTags, refusedWords } from "./tags.js";

// The refs ticked, in the order they were ticked.
const selected = new Set();
let list = null;
// The bulk actions are the tickets list's; the quarantine has none.
let available = true;

function shownTickets() {
  return available ? list.tickets() : [];
}

// The selected tickets as the list shows them (their versions are the ones the agent saw).
function selectedTickets() {
  return shownTickets().filter((ticket) => selected.has(ticket.ref));
}

function showError(message) {
  showMessage("bulk-error", message);
}

export function showResult(message) {
  showMessage("bulk-result", message);
}

// The checkbox of a row, first in it.
export function selectCell(ticket) {
  return el(
    "td",
    { className: "select-cell", dataset: { label: "Select" } },
    el("input", {
      type: "checkbox",
      className: "row-select",
      "aria-label": `Select ${ticket.ref}`,
      checked: selected.has(ticket.ref),
      dataset: { ref: ticket.ref },
    }),
  );
}

function ticketWord(count) {
  return count === 1 ? "ticket" : "tickets";
}

// The bar, the checkboxes and "Select all" say what the selection is.
function showSelection() {
  const tickets = selectedTickets();
  const count = tickets.length;
  for (const box of document.querySelectorAll("#queue-rows .row-select")) {
    box.checked = selected.has(box.dataset.ref);
    box.closest("tr").classList.toggle("ticked", box.checked);
  }
  const all = byId("select-all");
  const shown = shownTickets().length;
  byId("select-all-row").hidden = shown === 0;
  all.checked = shown > 0 && count === shown;
  all.indeterminate = count > 0 && count < shown;
  byId("bulk-bar").hidden = count === 0;
  byId("bulk-count").textContent = `${count} selected`;
  showAction();
}

// Which field the chosen action needs, and what the button will do.
function showAction() {
  const action = byId("bulk-action").value;
  for (const field of document.querySelectorAll("#bulk-bar [data-action]")) {
    field.hidden = field.dataset.action !== action;
  }
  const tickets = selectedTickets();
  const button = byId("bulk-apply");
  const hint = byId("bulk-merge-hint");
  if (action === "merge") {
    fillKeep(tickets);
    const keep = byId("bulk-keep").value;
    const others = tickets.length - 1;
    button.disabled = others < 1;
    button.textContent = others < 1 ? "Merge" : `Merge ${others} ${ticketWord(others)} into ${keep}`;
    hint.hidden = false;
    hint.textContent =
      others < 1
        ? "Select two tickets or more to merge them."
        : "Their messages, notes and history join the ticket kept; the others are closed and read-only. Nobody is mailed. A merge cannot be undone.";
    return;
  }
  hint.hidden = true;
  button.disabled = tickets.length === 0;
  button.textContent = `Apply to ${tickets.length} ${ticketWord(tickets.length)}`;
}

// "Ticket to keep": one of the selected, the choice kept while it stays selected.
function fillKeep(tickets) {
  const select = byId("bulk-keep");
  const before = select.value;
  select.replaceChildren(
    ...tickets.map((ticket) => el("option", { value: ticket.ref }, `${ticket.ref} · ${ticket.subject || "(no subject)"}`)),
  );
  if (tickets.some((ticket) => ticket.ref === before)) select.value = before;
}

export function toggleSelected(ref) {
  if (!available || !shownTickets().some((ticket) => ticket.ref === ref)) return false;
  if (selected.has(ref)) selected.delete(ref);
  else selected.add(ref);
  showResult("");
  showSelection();
  return true;
}

// After the rows were drawn again: only tickets still on the page stay selected.
export function rowsShown(isTicketsList) {
  available = isTicketsList;
  if (available) fillChoices().catch(reportError);
  const refs = new Set(shownTickets().map((ticket) => ticket.ref));
  for (const ref of [...selected]) if (!refs.has(ref)) selected.delete(ref);
  if (!available) {
    byId("bulk-bar").hidden = true;
    byId("select-all-row").hidden = true;
    return;
  }
  showSelection();
}

// "Assign to": nobody, or one of the desk's agents (list.js hands them in once they are read).
export function fillAgents(known) {
  const select = byId("bulk-assignee");
  const before = select.value;
  select.replaceChildren(
    el("option", { value: "" }, "Nobody (unassigned)"),
    ...known.filter((agent) => agent.active !== false).map((agent) =>
      el("option", { value: agent.email }, agent.name ? `${agent.name} (${agent.email})` : agent.email),
    ),
  );
  if ([...select.options].some((option) => option.value === before)) select.value = before;
}

// "Move to queue" and "New category": the desk's own lists (read once per sign-in), the choice kept.
function fillSelect(select, names, label = (name) => name) {
  const before = select.value;
  select.replaceChildren(...names.map((name) => el("option", { value: name }, label(name))));
  if (before) chooseOption(select, before, label(before));
}

async function fillChoices() {
  const [desksQueues, desksCategories] = await Promise.all([queues(), categories()]);
  fillSelect(byId("bulk-queue"), desksQueues.map((queue) => queue.name));
  fillSelect(byId("bulk-category"), desksCategories.map((category) => category.name), (name) => `${name[0].toUpperCase()}${name.slice(1)}`);
}

// The tags typed in `id`, as the desk will keep them; an Error in words for what it would refuse.
function typedTags(id, what) {
  const { tags, refused } = readTags(byId(id).value);
  if (refused.length) throw new Error(refusedWords(refused));
  if (!tags.length) throw new Error(`Type the tags to ${what}, separated by commas or spaces.`);
  return tags;
}

// The change the chosen action makes, one request for all the tickets (adding and removing tags
// keeps each ticket's other tags: the API applies them to each one's own).
function requests(action, tickets) {
  const versions = tickets.map((ticket) => ({ ref: ticket.ref, version: ticket.version }));
  if (action === "merge") return [{ tickets: versions, merge_into: byId("bulk-keep").value }];
  const change = {
    assignee: () => ({ assignee: byId("bulk-assignee").value || null }),
    status: () => ({ status: byId("bulk-status").value }),
    priority: () => ({ priority: byId("bulk-priority").value }),
    queue: () => ({ queue: chosen("bulk-queue", "queue") }),
    category: () => ({ category: chosen("bulk-category", "category") }),
    "add-tags": () => ({ add_tags: typedTags("bulk-tags", "add") }),
    "remove-tags": () => ({ remove_tags: typedTags("bulk-untags", "remove") }),
  }[action]();
  return [{ tickets: versions, change }];
}

function chosen(id, what) {
  const value = byId(id).value;
  if (!value) throw new Error(`Choose the ${what}: the desk's list could not be read. Reload the page to try again.`);
  return value;
}

function joined(refs) {
  return refs.length === 1 ? refs[0] : `${refs.slice(0, -1).join(", ")} and ${refs[refs.length - 1]}`;
}

// "3 changed; K7Q2-M9XD was changed by someone else meanwhile and was left as it was."
export function resultSentence(results, mergedInto) {
  const done = results.filter((result) => result.status === 200).length;
  const conflicts = results.filter((result) => result.error === "ConcurrentUpdate").map((result) => result.ref);
  const others = results.filter((result) => result.status !== 200 && result.error !== "ConcurrentUpdate");
  const parts = [];
  if (mergedInto) parts.push(done ? `${done} merged into ${mergedInto}` : `Nothing merged into ${mergedInto}`);
  else parts.push(done ? `${done} changed` : "Nothing changed");
  if (conflicts.length === 1) {
    parts.push(`${conflicts[0]} was changed by someone else meanwhile and was left as it was`);
  } else if (conflicts.length > 1) {
    parts.push(`${joined(conflicts)} were changed by someone else meanwhile and were left as they were`);
  }
  for (const result of others) {
    parts.push(`${result.ref} was left as it was: ${(result.message || "refused").replace(/\.$/, "")}`);
  }
  const failed = conflicts.length + others.length;
  const still = failed
    ? ` ${failed === 1 ? "It stays" : "They stay"} selected, as ${failed === 1 ? "it is" : "they are"} now, to try again.`
    : "";
  return `${parts.join("; ")}.${still}`;
}

async function apply(event) {
  event.preventDefault();
  showError("");
  const tickets = selectedTickets();
  if (!tickets.length) return;
  const action = byId("bulk-action").value;
  let asked;
  try {
    asked = requests(action, tickets);
  } catch (error) {
    showError(error.message);
    return;
  }
  const button = byId("bulk-apply");
  button.disabled = true;
  const results = [];
  try {
    for (const body of asked) {
      const answer = await api("tickets/bulk", { method: "POST", body });
      results.push(...(answer.results || []));
    }
  } catch (error) {
    button.disabled = false;
    if (!(error instanceof ApiError) || error.status === 401 || !results.length) {
      // A value no ticket could take (400) is said in the bar; nothing was changed.
      if (error instanceof ApiError && error.status !== 401) {
        showError(error.message);
        return;
      }
      throw error;
    }
    showError(error.message);
  }
  const mergedInto = action === "merge" ? asked[0].merge_into : null;
  // What went through leaves the selection; what was refused stays, to try again over what it is now.
  for (const result of results) if (result.status === 200) selected.delete(result.ref);
  if (mergedInto) selected.delete(mergedInto);
  await list.reload();
  showResult(resultSentence(results, mergedInto));
  byId("bulk-result").focus();
}

// `shownList`: { tickets() -> the tickets shown (as GET /tickets gave them), reload() -> Promise }.
export function setUpBulk(shownList) {
  list = shownList;
  byId("queue-rows").addEventListener("change", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.classList.contains("row-select")) return;
    if (box.checked) selected.add(box.dataset.ref);
    else selected.delete(box.dataset.ref);
    showResult("");
    showSelection();
  });
  byId("select-all").addEventListener("change", (event) => {
    for (const ticket of shownTickets()) {
      if (event.target.checked) selected.add(ticket.ref);
      else selected.delete(ticket.ref);
    }
    showResult("");
    showSelection();
  });
  byId("bulk-action").addEventListener("change", () => {
    showError("");
    showAction();
  });
  byId("bulk-keep").addEventListener("change", showAction);
  byId("bulk-bar").addEventListener("submit", (event) => apply(event).catch(reportError));
  byId("bulk-clear").addEventListener("click", () => {
    selected.clear();
    showError("");
    showSelection();
    byId("select-all").focus();
  });
}
