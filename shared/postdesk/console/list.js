// The ticket list: the search box, the filters, the rows and "More".
//
// The address is the list's state (url-state.js): a control that changes writes the address, and
// the list is always loaded from the address, so a reload or a shared link shows the same rows.
// With words in the search box (or a creation date) the API searches its index: the tickets come
// ranked, each with the passage that matched, and "Sort" gives way to "Sort results".
// Two lists share the search and filters: the tickets (by the Status filter) and the quarantine
// (view=quarantine: mail held as spam, a virus or a forged sender, with why).
// The keyboard moves a selection over the rows: j and k, Enter opens (shortcuts.js), x ticks the
// row for a bulk action (bulk.js: the checkboxes, "Select all on this page" and the bar).

import { api, isAbandoned } from "./api.js";
import { fillAgents, rowsShown, selectCell, setUpBulk, showResult, toggleSelected } from "./bulk.js";
import { agents, queues } from "./directory.js";
import { byId, chooseOption, el, highlighted } from "./dom.js";
import { person, quarantineReason, statusBadge, when } from "./format.js";
import { flash, showView, shownView } from "./page.js";
import { reportError } from "./session.js";
import { isActionable, onKey } from "./shortcuts.js";
import {
  LIST_DEFAULTS,
  LIST_HREF,
  goToListView,
  readListState,
  ticketHref,
  writeListState,
} from "./url-state.js";

const PAGE_SIZE = 25;
// Long enough not to search on every letter of a word typed at speed, short enough to feel live.
const TYPING_PAUSE_MS = 250;
// "All" in the address is "status=all"; the API takes the statuses themselves.
const ALL_STATUSES = "new,open,pending,on-hold,resolved,closed";
const FILTERS = ["status", "assignee", "queue", "priority", "language"];
// Where app.css stops showing the list as cards.
const WIDE_SCREEN = "(min-width: 761px)";

let nextCursor = null;
// The tickets on the page, as the API gave them (bulk.js sends their versions).
let shownTickets = [];
// The list request under way: a newer one (the next letter typed) abandons it, so an older answer
// arriving late can never replace a newer one.
let listRequest = null;
let typingTimer = 0;
let focusSearchWhenShown = false;
// The ticket the keyboard selection is on (kept across reloads of the list and a visit to it).
let selectedRef = null;

// The API refuses a query without a letter or a digit ("q holds no word"): such a box is no search.
function hasWords(text) {
  return /[\p{L}\p{N}]/u.test(text || "");
}

function isSearch(state) {
  return hasWords(state.q) || Boolean(state.created_from || state.created_to);
}

function inQuarantine(state) {
  return state.view === "quarantine";
}

function apiQuery(state, cursor) {
  const query = new URLSearchParams();
  if (hasWords(state.q)) {
    query.set("q", state.q);
    query.set("order", state.order);
  }
  for (const name of FILTERS) {
    // The quarantine has no statuses: it is a list of its own.
    if (name === "status" && inQuarantine(state)) continue;
    if (state[name]) query.set(name, name === "status" && state[name] === "all" ? ALL_STATUSES : state[name]);
  }
  if (inQuarantine(state)) query.set("quarantined", "true");
  if (state.follow_up) query.set("follow_up", "true");
  if (state.created_from) query.set("created_from", state.created_from);
  if (state.created_to) query.set("created_to", state.created_to);
  // The index ranks a search itself; sort orders the plain list.
  if (!isSearch(state)) query.set("sort", state.sort);
  query.set("limit", String(PAGE_SIZE));
  if (cursor) query.set("cursor", cursor);
  return query;
}

// ---- the form and the address ----

function formState() {
  const controls = byId("filters").elements;
  const state = {};
  for (const name of Object.keys(LIST_DEFAULTS)) {
    const control = controls.namedItem(name);
    if (!control) continue;
    state[name] = control.type === "checkbox" ? (control.checked ? "true" : "") : control.value.trim();
  }
  return state;
}

function fillForm(state) {
  const controls = byId("filters").elements;
  for (const [name, value] of Object.entries(state)) {
    const control = controls.namedItem(name);
    if (!control) continue;
    if (control.type === "checkbox") control.checked = value === "true";
    else if (control instanceof HTMLSelectElement) chooseOption(control, value);
    else control.value = value;
  }
}

// The desk's agents join "Anyone", "Me" and "Unassigned"; an agent the address named before the
// list of agents came (an option with the bare address) gets their name.
function fillAssignees(known) {
  const filter = byId("filter-assignee");
  for (const agent of known) {
    const listed = [...filter.options].find((option) => option.value === agent.email);
    if (listed) listed.textContent = agent.name || agent.email;
    else filter.append(el("option", { value: agent.email }, agent.name || agent.email));
  }
}

// The desk's queues, chosen rather than typed; a queue the address named that the desk does not
// list (a ticket moved to a new one) stays chosen.
function fillQueues(known) {
  const filter = byId("filter-queue");
  const chosen = filter.value;
  for (const queue of known) {
    if (![...filter.options].some((option) => option.value === queue.name)) {
      filter.append(el("option", { value: queue.name }, queue.name));
    }
  }
  if (chosen) chooseOption(filter, chosen);
}

// Sort orders the plain list, "Sort results" a search; the folded panel (a phone) says how many
// filters are on.
function showControls(state) {
  const quarantine = inQuarantine(state);
  byId("field-sort").hidden = isSearch(state);
  byId("field-order").hidden = !hasWords(state.q);
  byId("field-status").hidden = quarantine;
  const counted = [...FILTERS, "follow_up", "created_from", "created_to"].filter(
    (name) => state[name] && !(quarantine && name === "status"),
  );
  byId("filter-count").textContent = counted.length ? `(${counted.length} on)` : "";
  // The tabs: which list this is.
  for (const tab of document.querySelectorAll("#list-tabs a")) {
    if (tab.dataset.view === state.view) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  byId("queue-title").textContent = quarantine ? "Quarantine" : "Tickets";
  byId("quarantine-hint").hidden = !quarantine;
}

function showTitle(state) {
  const list = inQuarantine(state) ? "Quarantine" : "Tickets";
  document.title = hasWords(state.q) ? `“${state.q}” · ${list} · Postdesk` : `${list} · Postdesk`;
}

// What the form says becomes the address, then the list.
function applyForm({ replace }) {
  clearTimeout(typingTimer);
  const state = formState();
  writeListState(state, { replace });
  showControls(state);
  showTitle(state);
  showResult("");
  loadList(false).catch(reportError);
}

// ---- the rows ----

// The earliest SLA due time: overdue and broken promises stand out.
function dueBadge(sla) {
  if (!sla) return "";
  if (sla.breached && sla.breached.length) {
    return el("span", { className: "badge warning", title: `Broken: ${sla.breached.join(", ").replaceAll("_", " ")}` }, "SLA broken");
  }
  if (!sla.next_due) return "—";
  const overdue = new Date(sla.next_due).getTime() < Date.now();
  return el("span", { className: overdue ? "badge warning" : "due" }, when(sla.next_due));
}

// data-label names the column where a narrow screen shows each row as a card (app.css).
function cell(label, attributes, ...content) {
  return el("td", { ...attributes, dataset: { label } }, ...content);
}

function passage(match) {
  const parts = match && match.snippet;
  if (!parts || !parts.length) return null;
  return el("p", { className: "passage" }, highlighted(parts));
}

function ticketRow(ticket) {
  return el(
    "tr",
    { dataset: { ref: ticket.ref } },
    selectCell(ticket),
    cell("Ticket", { className: "ref-cell" }, el("a", { href: ticketHref(ticket.ref) }, ticket.ref)),
    cell(
      "Subject",
      { className: "subject" },
      el("span", { className: "subject-text" }, ticket.subject || "(no subject)"),
      passage(ticket.match),
    ),
    cell("Requester", {}, ticket.requester ? ticket.requester.name || ticket.requester.email : ""),
    cell(
      "Status",
      {},
      statusBadge(ticket.status),
      ...(ticket.follow_up ? [" ", el("span", { className: "badge warning", title: ticket.follow_up }, "Follow up")] : []),
    ),
    cell("Priority", {}, el("span", { className: `badge priority-${ticket.priority}` }, ticket.priority || "")),
    cell("Queue", {}, ticket.queue || ""),
    cell("Assignee", {}, ticket.assignee || "—"),
    cell("Waiting since", {}, when(ticket.waiting_since || ticket.updated_at)),
    cell("Due", {}, dueBadge(ticket.sla)),
  );
}

// A held mail: who sent it, why it was held, when it came.
function quarantineRow(ticket) {
  const { headline, reason } = quarantineReason(ticket.quarantine);
  return el(
    "tr",
    { dataset: { ref: ticket.ref } },
    cell("Ticket", { className: "ref-cell" }, el("a", { href: ticketHref(ticket.ref) }, ticket.ref)),
    cell(
      "Subject",
      { className: "subject" },
      el("span", { className: "subject-text" }, ticket.subject || "(no subject)"),
      passage(ticket.match),
    ),
    cell("Sender", { className: "sender" }, person(ticket.requester)),
    cell(
      "Held because",
      { className: "held-reason" },
      el("span", { className: "badge warning" }, headline),
      " ",
      reason,
    ),
    cell("Received", {}, when(ticket.created_at)),
  );
}

function showSummary(state, count, more) {
  const summary = byId("queue-summary");
  const widen = byId("search-all-statuses");
  if (inQuarantine(state)) {
    // The quarantine says how many mails it holds (or found), since each is one to look at.
    widen.hidden = true;
    byId("queue-empty").hidden = count > 0;
    const what = isSearch(state) ? "found in quarantine" : "held";
    summary.textContent = count ? `${count} ${count === 1 ? "mail" : "mails"} ${what}${more ? ", more below" : ""}.` : "";
    byId("queue-empty").textContent = isSearch(state) ? "No held mail matches." : "Nothing is held in quarantine.";
    return;
  }
  byId("queue-empty").textContent = "No tickets match.";
  if (!isSearch(state)) {
    summary.textContent = "";
    widen.hidden = true;
    byId("queue-empty").hidden = count > 0;
    return;
  }
  // A search keeps the Status filter, which is open work unless chosen: say so, since an old
  // conversation is often what is looked for.
  const openWorkOnly = !state.status;
  const found = count === 0 ? "No ticket found" : `${count} ${count === 1 ? "ticket" : "tickets"} found`;
  summary.textContent = `${found}${openWorkOnly ? " in open work" : ""}${more ? ", more below" : ""}.`;
  widen.hidden = !openWorkOnly;
  byId("queue-empty").hidden = true;
}

// The table of the list shown: the tickets' or the quarantine's (each has its own columns).
function shownTable(state) {
  const quarantine = inQuarantine(state);
  byId(quarantine ? "queue-table" : "quarantine-table").hidden = true;
  return quarantine
    ? { table: byId("quarantine-table"), rows: byId("quarantine-rows"), row: quarantineRow }
    : { table: byId("queue-table"), rows: byId("queue-rows"), row: ticketRow };
}

async function loadList(append) {
  const state = readListState();
  if (listRequest) listRequest.abort();
  const request = new AbortController();
  listRequest = request;
  const { table, rows, row } = shownTable(state);
  if (!append) byId("queue-more").hidden = true;
  table.setAttribute("aria-busy", "true");
  let page;
  try {
    page = await api(`tickets?${apiQuery(state, append ? nextCursor : null)}`, { signal: request.signal });
  } catch (error) {
    if (isAbandoned(error)) return;
    throw error;
  } finally {
    if (listRequest === request) {
      listRequest = null;
      table.removeAttribute("aria-busy");
    }
  }
  // A row's link that had the focus keeps it across the re-render (the keyboard goes on from it).
  const focusedRef = rows.contains(document.activeElement)
    ? document.activeElement.closest("tr")?.dataset.ref || null
    : null;
  if (!append) {
    rows.replaceChildren();
    shownTickets = [];
  }
  shownTickets.push(...(page.tickets || []));
  rows.append(...(page.tickets || []).map(row));
  nextCursor = page.next_cursor || null;
  const count = rows.children.length;
  table.hidden = count === 0;
  markSelected(false);
  if (focusedRef) [...rows.children].find((each) => each.dataset.ref === focusedRef)?.querySelector("a")?.focus();
  rowsShown(!inQuarantine(state));
  byId("queue-more").hidden = !nextCursor;
  // A message left by a refused search (a bad date typed in the address) goes once one works.
  flash("");
  showSummary(state, count, Boolean(nextCursor));
}

export async function showList() {
  showView("queue-view");
  // The form shows the address at once, before anything is awaited: what the agent types from
  // the moment the list shows is never overwritten.
  const state = readListState();
  showResult("");
  fillForm(state);
  showControls(state);
  showTitle(state);
  if (focusSearchWhenShown) {
    focusSearchWhenShown = false;
    byId("search-q").focus();
  }
  const loading = loadList(false);
  const known = await agents();
  fillAssignees(known);
  fillAgents(known);
  fillQueues(await queues());
  await loading;
}

// ---- the keyboard: a selection over the rows ----

function shownRows() {
  const rows = inQuarantine(readListState()) ? byId("quarantine-rows") : byId("queue-rows");
  return [...rows.children];
}

// Mark the selected ticket's row; with `focus`, move the focus to its link (which scrolls it into
// view, and which Enter follows).
function markSelected(focus) {
  let marked = null;
  for (const row of shownRows()) {
    const selected = row.dataset.ref === selectedRef;
    row.classList.toggle("selected", selected);
    if (selected) marked = row;
  }
  if (marked && focus) marked.querySelector("a").focus();
}

function moveSelection(step) {
  const rows = shownRows();
  if (!rows.length) return false;
  const at = rows.findIndex((row) => row.dataset.ref === selectedRef);
  const next = at === -1 ? (step > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, at + step));
  selectedRef = rows[next].dataset.ref;
  markSelected(true);
  return true;
}

function openSelected(event) {
  // Enter on a link, a button or the filters' fold does what it does anyway.
  if (isActionable(event.target)) return false;
  const row = shownRows().find((candidate) => candidate.dataset.ref === selectedRef);
  if (!row) return false;
  location.hash = ticketHref(row.dataset.ref);
  return true;
}

// "/" searches, as in most web apps an agent knows; from a ticket it goes back to the list first.
function searchKey() {
  const view = shownView();
  if (view === "queue-view") {
    byId("search-q").focus();
    byId("search-q").select();
    return true;
  }
  if (view === "ticket-view" || view === "outbox-view") {
    focusSearchWhenShown = true;
    location.hash = LIST_HREF;
    return true;
  }
  return false;
}

function setUpKeys() {
  onKey("/", { what: "Search tickets (from a ticket: back to the list, then search)", group: "Anywhere" }, searchKey);
  const list = { view: "queue-view", group: "The list" };
  onKey("j", { ...list, what: "Select the next ticket" }, () => moveSelection(1));
  onKey("k", { ...list, what: "Select the previous ticket" }, () => moveSelection(-1));
  onKey("Enter", { ...list, what: "Open the selected ticket" }, openSelected);
  onKey("x", { ...list, what: "Tick or untick the selected ticket for a bulk action" }, () =>
    selectedRef ? toggleSelected(selectedRef) : false,
  );
  // The rows' links remember the selection when clicked or focused with Tab, so j goes on from there.
  for (const rows of [byId("queue-rows"), byId("quarantine-rows")]) {
    rows.addEventListener("focusin", (event) => {
      const row = event.target instanceof Element ? event.target.closest("tr") : null;
      if (!row) return;
      selectedRef = row.dataset.ref;
      markSelected(false);
    });
  }
}

// ---- the tabs: the tickets and the quarantine ----

function setUpTabs() {
  for (const tab of document.querySelectorAll("#list-tabs a")) {
    tab.addEventListener("click", (event) => {
      // A new tab or window (Ctrl, Shift, the middle button) opens the link as it is.
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      clearTimeout(typingTimer);
      goToListView(tab.dataset.view);
      showList().catch(reportError);
    });
  }
}

export function setUpList() {
  const form = byId("filters");
  const search = byId("search-q");
  search.addEventListener("input", () => {
    clearTimeout(typingTimer);
    // Not once the agent opened a ticket meanwhile: the ticket keeps its title and the address its list.
    typingTimer = setTimeout(() => {
      if (shownView() === "queue-view") applyForm({ replace: true });
    }, TYPING_PAUSE_MS);
  });
  search.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    // Esc clears the box; in an empty box it leaves it, so that j and k move over the rows.
    if (!search.value) {
      search.blur();
      return;
    }
    search.value = "";
    applyForm({ replace: true });
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    applyForm({ replace: true });
  });
  // A chosen filter is a new history entry (Back undoes it); the search box writes as one types.
  form.addEventListener("change", (event) => {
    if (event.target !== search) applyForm({ replace: false });
  });
  byId("filters-clear").addEventListener("click", () => {
    // Clears the filters of the list shown, not which list it is.
    fillForm({ ...LIST_DEFAULTS, view: readListState().view });
    applyForm({ replace: false });
    search.focus();
  });
  byId("search-all-statuses").addEventListener("click", () => {
    chooseOption(byId("filter-status"), "all");
    applyForm({ replace: false });
  });
  byId("queue-more").addEventListener("click", () => loadList(true).catch(reportError));
  setUpKeys();
  setUpTabs();
  setUpBulk({ tickets: () => shownTickets, reload: () => loadList(false) });
  // A wide screen shows the filters; a phone folds them under "Filters" so the tickets come first.
  const wide = matchMedia(WIDE_SCREEN);
  const unfold = () => {
    if (wide.matches) byId("filter-panel").open = true;
  };
  wide.addEventListener("change", unfold);
  unfold();
}
