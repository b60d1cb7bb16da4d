// The ticket list: the views, the search box, the filters, the rows and "More".
//
// The address is the list's state (url-state.js): a control that changes writes the address, and
// the list is always loaded from the address, so a reload or a shared link shows the same rows.
// With words in the search box (or a creation date) the API searches its index: the tickets come
// ranked, each with the passage that matched, and "Sort" gives way to "Sort results".
// The lists above the rows are the tickets (by the Status filter) and the views of GET
// /tickets/views, each with its count: Mine, Unassigned, Due soon, Breached (ordered by due time),
// Needs follow-up and the quarantine (mail held as spam, a virus or a forged sender, with why).
// The headings of the columns the API can order by are buttons (aria-sort says the order shown).
// Every few seconds, while the tab is in sight, the list and the counts are read again: what only
// changes rows in place or adds rows after the last one shows at once; anything that would move
// rows under the agent waits in a bar above them until asked for ("Show the updated list").
// The keyboard moves a selection over the rows: j and k, Enter opens (shortcuts.js), x ticks the
// row for a bulk action (bulk.js: the checkboxes, "Select all on this page" and the bar). On a
// ticket, j and k (its Previous and Next) open the tickets before and after it in the list it was
// opened from, and u goes back to that list, where it was scrolled to.

import { ApiError, api, isAbandoned } from "./api.js";
import { fillAgents, rowsShown, selectCell, setUpBulk, showResult, toggleSelected } from "./bulk.js";
import { agents, queues } from "./directory.js";
import { byId, chooseOption, el, highlighted } from "./dom.js";
import { counted, listTime, person, quarantineReason, statusBadge } from "./format.js";
import { flash, showView, shownView } from "./page.js";
import { reportError } from "./session.js";
import { isActionable, onKey } from "./shortcuts.js";
import { snoozeWords } from "./snooze.js";
import {
  LIST_DEFAULTS,
  LIST_HREF,
  currentPage,
  goToListView,
  readListState,
  ticketHref,
  writeListState,
} from "./url-state.js";

const PAGE_SIZE = 25;
// The API's largest page: a refresh reads the rows shown in pages of this many.
const MAX_PAGE_SIZE = 100;
// Long enough not to search on every letter of a word typed at speed, short enough to feel live.
const TYPING_PAUSE_MS = 250;
// New mail shows within 15 seconds; a failing desk is asked again less and less often.
const REFRESH_MS = 10_000;
const REFRESH_MAX_MS = 5 * 60_000;
// How long a row that just arrived stays marked.
const ARRIVED_MS = 8_000;
// "All" in the address is "status=all"; the API takes the statuses themselves.
const ALL_STATUSES = "new,open,pending,on-hold,resolved,closed";
const FILTERS = ["status", "assignee", "queue", "priority", "language"];
// Where app.css stops showing the list as cards.
const WIDE_SCREEN = "(min-width: 761px)";
// The views ordered by due time: the search index knows no due times, so a search leaves them.
const SLA_VIEWS = ["due_soon", "breached"];
// The views in an order of their own (due time, wake time): no sort, no dates, and a search leaves them.
const OWN_ORDER_VIEWS = [...SLA_VIEWS, "snoozed"];
const LIST_TITLES = {
  "": "Tickets",
  mine: "Mine",
  unassigned: "Unassigned",
  due_soon: "Due soon",
  breached: "Breached",
  follow_up: "Needs follow-up",
  snoozed: "Snoozed",
  quarantine: "Quarantine",
};
// What a view holds, until GET /tickets/views says it in its own words (with Due soon's window).
const VIEW_DESCRIPTIONS = {
  mine: "Open tickets assigned to you",
  unassigned: "Open tickets nobody is assigned to",
  due_soon: "Open tickets whose next SLA target falls due soon, soonest first",
  breached: "Open tickets with an SLA target already past due, longest overdue first",
  follow_up: "Tickets of any status flagged for a follow-up after a bad survey answer",
  snoozed: "Tickets on hold until a time or until the customer answers, the soonest to wake first",
};
const EMPTY_VIEWS = {
  "": "No open work: every ticket is answered, waiting on the customer or resolved. New mail shows here within seconds.",
  mine: "Nothing open is assigned to you.",
  unassigned: "Every open ticket has someone.",
  due_soon: "Nothing falls due soon.",
  breached: "No open ticket is past its due time.",
  follow_up: "No ticket needs a follow-up.",
  snoozed: "No ticket is snoozed.",
};

let nextCursor = null;
// The list the rows were read from (its query without a cursor): a ticket's next and previous are
// only those of the list its address names.
let rowsQuery = null;
// Where the list was scrolled to, kept while it is in sight (a ticket's own scrolling is not the list's).
let listScrollY = 0;
// The tickets on the page, as the API gave them (bulk.js sends their versions).
let shownTickets = [];
// The list request under way: a newer one (the next letter typed) abandons it, so an older answer
// arriving late can never replace a newer one.
let listRequest = null;
let typingTimer = 0;
let focusSearchWhenShown = false;
// The ticket the keyboard selection is on (kept across reloads of the list and a visit to it).
let selectedRef = null;
// The views' words from the API (Due soon's says its window).
const viewDescriptions = { ...VIEW_DESCRIPTIONS };
// Bringing the list up to date: the next one, the one under way, the failures in a row, and a
// list read that would move rows, waiting for "Show the updated list".
let refreshTimer = 0;
let refreshing = null;
let refreshFailures = 0;
let heldUpdate = null;
// A button held down over the page: a click on its way, whose row must not change under it.
let pointerHeld = false;

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

function inSlaView(state) {
  return SLA_VIEWS.includes(state.view);
}

function inOwnOrderView(state) {
  return OWN_ORDER_VIEWS.includes(state.view);
}

// The address's state as the list shows it: words or dates in Due soon, Breached or Snoozed search
// all open work instead (the search index cannot order by due or wake time).
function listState() {
  const state = readListState();
  if (inOwnOrderView(state) && isSearch(state)) state.view = "";
  return state;
}

// The filters a list takes: a view sets some itself (Mine the assignee, the quarantine has no status).
function filtersOf(state) {
  return FILTERS.filter(
    (name) =>
      !(name === "status" && (inQuarantine(state) || state.view === "snoozed")) &&
      !(name === "assignee" && (state.view === "mine" || state.view === "unassigned")),
  );
}

function apiQuery(state, cursor, limit = PAGE_SIZE) {
  const query = new URLSearchParams();
  if (hasWords(state.q)) {
    query.set("q", state.q);
    query.set("order", state.order);
  }
  if (state.view) query.set("view", state.view);
  for (const name of filtersOf(state)) {
    if (state[name]) query.set(name, name === "status" && state[name] === "all" ? ALL_STATUSES : state[name]);
  }
  if (state.follow_up && state.view !== "follow_up") query.set("follow_up", "true");
  if (state.created_from) query.set("created_from", state.created_from);
  if (state.created_to) query.set("created_to", state.created_to);
  // The index ranks a search itself; Due soon and Breached come by due time; sort orders the rest.
  if (!isSearch(state) && !inOwnOrderView(state)) query.set("sort", state.sort);
  query.set("limit", String(limit));
  if (cursor) query.set("cursor", cursor);
  return query;
}

// Text that only changes when it does: a live region says nothing for the same words again.
function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
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

// ---- the columns the API can order by ----

// Per kind of list, the columns with an order: the control that holds it, its value, and which way
// it runs. One direction each: the API orders each column one way only.
function columnOrders(state) {
  if (inSlaView(state)) return { due: { direction: "ascending", what: "soonest first", active: true } };
  // Snoozed: by wake time, which no column shows.
  if (state.view === "snoozed") return {};
  // Words ranked by best match (the "Sort results" menu's default) follow no column: no heading
  // shows an arrow or aria-sort then. "Last activity" sorts the results by date instead.
  if (hasWords(state.q)) {
    return {
      waiting: { control: "filter-order", value: "date", direction: "descending", what: "latest first", active: state.order === "date" },
    };
  }
  // Dates without words: the latest activity first, the only order there is.
  if (isSearch(state)) return { waiting: { direction: "descending", what: "latest first", active: true } };
  return {
    waiting: { control: "filter-sort", value: "waiting", direction: "ascending", what: "oldest first", active: state.sort !== "priority" },
    priority: { control: "filter-sort", value: "priority", direction: "descending", what: "most urgent first", active: state.sort === "priority" },
  };
}

const SORT_ARROWS = { ascending: "▲", descending: "▼" };

function columnLabel(column, state) {
  if (column === "waiting") return isSearch(state) ? "Last activity" : "Waiting since";
  return { subject: "Subject", priority: "Priority", due: "Due" }[column];
}

// A sortable heading is a button (Enter and Space press it); the one the list is in says so with
// aria-sort and an arrow.
function showSortHeadings(state) {
  const orders = columnOrders(state);
  for (const heading of document.querySelectorAll("#queue-table th[data-column]")) {
    const column = heading.dataset.column;
    const label = columnLabel(column, state);
    const order = orders[column];
    if (order && order.active) heading.setAttribute("aria-sort", order.direction);
    else heading.removeAttribute("aria-sort");
    const arrow = order && order.active ? el("span", { className: "sort-arrow", "aria-hidden": "true" }, SORT_ARROWS[order.direction]) : null;
    const focused = heading.contains(document.activeElement);
    if (order && order.control) {
      const button = el(
        "button",
        {
          type: "button",
          className: "sort-button",
          title: `${order.active ? "Sorted" : "Sort"} by ${label.toLowerCase()}, ${order.what}`,
          dataset: { control: order.control, value: order.value },
        },
        label,
        arrow,
      );
      heading.replaceChildren(button);
      if (focused) button.focus();
    } else {
      heading.replaceChildren(...(arrow ? [label, " ", arrow] : [label]));
    }
  }
}

// ---- the views and their counts ----

function showViewHint(state) {
  const hint = byId("view-hint");
  const described = state.view && !inQuarantine(state) ? viewDescriptions[state.view] : "";
  const searchable = inOwnOrderView(state) ? " Words typed in the search box search all open work instead." : "";
  setText(hint, described ? `${described}.${searchable}` : "");
  hint.hidden = !described;
}

function showCounts(views) {
  const byName = new Map(views.map((view) => [view.name, view]));
  for (const tab of document.querySelectorAll("#list-tabs a[data-view]")) {
    const view = byName.get(tab.dataset.view);
    if (!view) continue;
    const count = tab.querySelector(".view-count");
    if (count) setText(count, view.capped ? `${view.count}+` : String(view.count));
    if (view.description) {
      viewDescriptions[view.name] = view.description;
      tab.title = view.description;
    }
  }
  showViewHint(listState());
}

// The counts of the views (GET /tickets/views), beside their names. Counts that cannot be read stay
// as they were: the list itself says when it cannot be brought up to date.
async function loadCounts(signal) {
  try {
    showCounts((await api("tickets/views", { signal })).views || []);
  } catch (error) {
    if (isAbandoned(error) || (error instanceof ApiError && error.status === 401)) throw error;
  }
}

// Sort orders the plain list, "Sort results" a search; the folded panel (a phone) says how many
// filters are on. A view leaves out the filters it sets itself.
function showControls(state) {
  const quarantine = inQuarantine(state);
  const sla = inOwnOrderView(state);
  byId("field-sort").hidden = isSearch(state) || sla;
  byId("field-order").hidden = !hasWords(state.q);
  byId("field-status").hidden = quarantine || state.view === "snoozed";
  byId("field-assignee").hidden = state.view === "mine" || state.view === "unassigned";
  byId("field-follow-up").hidden = state.view === "follow_up";
  byId("field-created-from").hidden = sla;
  byId("field-created-to").hidden = sla;
  const filtersOn = [
    ...filtersOf(state),
    ...(state.view === "follow_up" ? [] : ["follow_up"]),
    ...(sla ? [] : ["created_from", "created_to"]),
  ].filter((name) => state[name]);
  byId("filter-count").textContent = filtersOn.length ? `(${filtersOn.length} on)` : "";
  // The tabs: which list this is.
  for (const tab of document.querySelectorAll("#list-tabs a")) {
    if (tab.dataset.view === state.view) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  byId("list-view").value = state.view;
  byId("queue-title").textContent = LIST_TITLES[state.view] || LIST_TITLES[""];
  byId("quarantine-hint").hidden = !quarantine;
  showViewHint(state);
  showSortHeadings(state);
}

function showTitle(state) {
  const list = LIST_TITLES[state.view] || LIST_TITLES[""];
  document.title = hasWords(state.q) ? `“${state.q}” · ${list} · Postdesk` : `${list} · Postdesk`;
}

// What the form says becomes the address, then the list.
function applyForm({ replace }) {
  clearTimeout(typingTimer);
  const state = formState();
  // A search in Due soon or Breached searches all open work (listState() reads it so too).
  if (inOwnOrderView(state) && isSearch(state)) state.view = "";
  writeListState(state, { replace });
  showControls(state);
  showTitle(state);
  showResult("");
  loadList(false).catch(reportError);
}

// ---- the rows ----

// The earliest SLA due time (overdue stands out), and whether a promise was broken this cycle.
function dueBadge(sla) {
  if (!sla) return "—";
  const broken = sla.breached && sla.breached.length
    ? el("span", { className: "badge warning", title: `Broken: ${sla.breached.join(", ").replaceAll("_", " ")}` }, "SLA broken")
    : null;
  if (!sla.next_due) return broken || "—";
  const overdue = new Date(sla.next_due).getTime() < Date.now();
  const due = el("span", { className: overdue ? "badge warning" : "due" }, overdue ? ["Overdue · ", listTime(sla.next_due)] : listTime(sla.next_due));
  return broken ? [due, " ", broken] : due;
}

// A snoozed ticket says until when, so that on hold is told apart from snoozed at a glance.
function snoozedBadge(snooze) {
  return el(
    "span",
    { className: "badge snoozed", title: snoozeWords(snooze) },
    "Snoozed until ",
    snooze.until ? listTime(snooze.until) : "an answer",
  );
}

// Whose turn it is (the API's waiting_on): the customer's word is the last, or ours. New and
// Pending say it by themselves; a done ticket is nobody's turn.
function turnBadge(ticket) {
  if (ticket.waiting_on === "us" && ticket.status !== "new") {
    const words = ticket.first_response_at ? "Customer replied" : "Not answered yet";
    return el("span", { className: "badge turn-us", title: "The customer's message is the last: your turn" }, words);
  }
  if (ticket.waiting_on === "customer" && ticket.status !== "pending") {
    return el("span", { className: "badge turn-customer", title: "Our reply is the last: the customer's turn" }, "Waiting on customer");
  }
  return null;
}

// data-label names the column where a narrow screen shows each row as a card (app.css).
function cell(label, attributes, ...content) {
  return el("td", { ...attributes, dataset: { ...attributes.dataset, label } }, ...content);
}

function passage(match) {
  const parts = match && match.snippet;
  if (!parts || !parts.length) return null;
  return el("p", { className: "passage" }, highlighted(parts));
}

// The cells both lists start a row with: the ticket's reference as a link, then its subject with the
// passage a search matched.
// The reference is the row's one link and stop for Tab, read with its subject (aria-describedby);
// a click on the subject, or anywhere else on the row, opens the ticket too (setUpRowClicks).
function refAndSubject(ticket) {
  const subjectId = `subject-${ticket.ref}`;
  return [
    cell(
      "Ticket",
      { className: "ref-cell" },
      el("a", { href: ticketHref(ticket.ref), "aria-describedby": subjectId }, ticket.ref),
    ),
    cell(
      "Subject",
      { className: "subject" },
      el("span", { id: subjectId, className: "subject-text", title: ticket.subject || null }, ticket.subject || "(no subject)"),
      passage(ticket.match),
    ),
  ];
}

// A search orders by (and so shows) the latest activity; a list by how long the customer waits.
// Agents by their address, for the Assignee column: their names once the directory has answered.
let agentNames = new Map();

function assigneeName(email) {
  return email ? agentNames.get(email.toLowerCase()) || email : "—";
}

// The names arrive after the first rows may have been drawn: those rows get them now.
function nameAssignees(known) {
  agentNames = new Map(known.map((agent) => [agent.email.toLowerCase(), agent.name || agent.email]));
  for (const cellOf of document.querySelectorAll("td[data-assignee]")) {
    if (cellOf.dataset.assignee) cellOf.textContent = assigneeName(cellOf.dataset.assignee);
  }
}

function ticketRow(ticket, searched) {
  return el(
    "tr",
    { dataset: { ref: ticket.ref } },
    selectCell(ticket),
    ...refAndSubject(ticket),
    cell(
      "Requester",
      { className: "requester" },
      el(
        "span",
        { className: "requester-text", title: ticket.requester ? person(ticket.requester) : null },
        ticket.requester ? ticket.requester.name || ticket.requester.email : "",
      ),
    ),
    cell(
      "Status",
      {},
      statusBadge(ticket.status),
      ...(ticket.follow_up ? [" ", el("span", { className: "badge warning", title: ticket.follow_up }, "Follow up")] : []),
      ...(ticket.snooze ? [" ", snoozedBadge(ticket.snooze)] : []),
      ...(turnBadge(ticket) ? [" ", turnBadge(ticket)] : []),
    ),
    cell("Priority", {}, el("span", { className: `badge priority-${ticket.priority}` }, ticket.priority || "")),
    cell("Queue", { className: "queue-name" }, ticket.queue || ""),
    cell("Assignee", { className: "assignee", dataset: { assignee: ticket.assignee || "" } }, assigneeName(ticket.assignee)),
    searched
      ? cell("Last activity", { className: "time" }, listTime(ticket.updated_at))
      : cell("Waiting since", { className: "time" }, listTime(ticket.waiting_since || ticket.updated_at)),
    cell("Due", { className: "time" }, dueBadge(ticket.sla)),
  );
}

// A held mail: who sent it, why it was held, when it came.
function quarantineRow(ticket) {
  const { headline, reason } = quarantineReason(ticket.quarantine);
  return el(
    "tr",
    { dataset: { ref: ticket.ref } },
    ...refAndSubject(ticket),
    cell("Sender", { className: "sender" }, person(ticket.requester)),
    cell(
      "Held because",
      { className: "held-reason" },
      el("span", { className: "badge warning" }, headline),
      " ",
      reason,
    ),
    cell("Received", { className: "time" }, listTime(ticket.created_at)),
  );
}

function showSummary(state, count, more) {
  const summary = byId("queue-summary");
  const widen = byId("search-all-statuses");
  const empty = byId("queue-empty");
  if (inQuarantine(state)) {
    // The quarantine says how many mails it holds (or found), since each is one to look at.
    widen.hidden = true;
    empty.hidden = count > 0;
    const what = isSearch(state) ? "found in quarantine" : "held";
    setText(summary, count ? `${count} ${count === 1 ? "mail" : "mails"} ${what}${more ? ", more below" : ""}.` : "");
    setText(empty, isSearch(state) ? "No held mail matches." : "Nothing is held in quarantine.");
    return;
  }
  const filtered = filtersOf(state).some((name) => state[name]) || Boolean(state.follow_up);
  const view = state.view || "";
  setText(empty, EMPTY_VIEWS[view] && !filtered ? EMPTY_VIEWS[view] : "No tickets match. Clear all shows every ticket of this list.");
  if (!isSearch(state)) {
    setText(summary, "");
    widen.hidden = true;
    empty.hidden = count > 0;
    return;
  }
  // A search keeps the Status filter, which is open work unless chosen: say so, since an old
  // conversation is often what is looked for.
  const openWorkOnly = !state.status && state.view !== "follow_up";
  const found = count === 0 ? "No ticket found" : `${count} ${count === 1 ? "ticket" : "tickets"} found`;
  setText(summary, `${found}${openWorkOnly ? " in open work" : ""}${more ? ", more below" : ""}.`);
  widen.hidden = !openWorkOnly;
  empty.hidden = true;
}

// The table of the list shown: the tickets' or the quarantine's (each has its own columns).
function shownTable(state) {
  const quarantine = inQuarantine(state);
  byId(quarantine ? "queue-table" : "quarantine-table").hidden = true;
  const searched = isSearch(state);
  return quarantine
    ? { table: byId("quarantine-table"), rows: byId("quarantine-rows"), row: quarantineRow }
    : { table: byId("queue-table"), rows: byId("queue-rows"), row: (ticket) => ticketRow(ticket, searched) };
}

// The row's link or checkbox that has the focus, to give it back once the row is drawn again.
function focusedRowControl(rows) {
  if (!rows.contains(document.activeElement)) return null;
  const row = document.activeElement.closest("tr");
  if (!row) return null;
  return { ref: row.dataset.ref, selector: document.activeElement.classList.contains("row-select") ? ".row-select" : "a" };
}

function giveFocusBack(rows, focused) {
  if (!focused) return;
  const row = [...rows.children].find((each) => each.dataset.ref === focused.ref);
  row?.querySelector(focused.selector)?.focus({ preventScroll: true });
}

// After rows changed: the keyboard's mark, the checkboxes and bulk bar, More and the summary.
function rowsChanged(state, table, rows) {
  const count = rows.children.length;
  table.hidden = count === 0;
  markSelected(false);
  rowsShown(!inQuarantine(state));
  byId("queue-more").hidden = !nextCursor;
  showSummary(state, count, Boolean(nextCursor));
}

function markArrived(rowElements) {
  for (const row of rowElements) row.classList.add("arrived");
  setTimeout(() => {
    for (const row of rowElements) row.classList.remove("arrived");
  }, ARRIVED_MS);
}

// `wanted`: how many rows to read at once (Back to a list that had More pages read shows as many).
async function loadList(append, wanted = PAGE_SIZE) {
  const state = listState();
  if (listRequest) listRequest.abort();
  // What the agent asked for wins over bringing the old list up to date.
  if (refreshing) refreshing.abort();
  clearTimeout(refreshTimer);
  const request = new AbortController();
  listRequest = request;
  const { table, rows, row } = shownTable(state);
  if (!append) byId("queue-more").hidden = true;
  table.setAttribute("aria-busy", "true");
  let page;
  try {
    if (!append && wanted > PAGE_SIZE) {
      const read = await readRows(state, wanted, request.signal);
      page = { tickets: read.tickets, next_cursor: read.cursor };
    } else {
      page = await api(`tickets?${apiQuery(state, append ? nextCursor : null)}`, { signal: request.signal });
    }
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
  const focused = focusedRowControl(rows);
  if (!append) {
    rows.replaceChildren();
    shownTickets = [];
  }
  // Updates held for the rows shown before are of another list now.
  showUpdates(null);
  shownTickets.push(...(page.tickets || []));
  rows.append(...(page.tickets || []).map(row));
  nextCursor = page.next_cursor || null;
  rowsChanged(state, table, rows);
  giveFocusBack(rows, focused);
  rowsQuery = apiQuery(state, null).toString();
  // A message left by a refused search (a bad date typed in the address) goes once one works; not
  // the message of a ticket whose neighbours were read behind it.
  if (shownView() === "queue-view") flash("");
  refreshFailures = 0;
  scheduleRefresh();
}

// ---- bringing the list up to date ----

// The bar above the rows: updates that wait for the agent (with "Show"), or why the list could not
// be read again; null hides it. What it says is also said once to a screen reader.
function showUpdates(message, { canShow = false } = {}) {
  if (!message) heldUpdate = null;
  const bar = byId("list-updates");
  bar.hidden = !message;
  setText(byId("list-updates-text"), message || "");
  byId("list-updates-show").hidden = !canShow;
  if (message) announce(canShow ? `${message} Show them with the button above the rows.` : message);
}

function announce(sentence) {
  setText(byId("list-announcer"), sentence);
}

function scheduleRefresh(delay = REFRESH_MS) {
  clearTimeout(refreshTimer);
  refreshTimer = 0;
  if (document.hidden || shownView() !== "queue-view") return;
  refreshTimer = setTimeout(() => refresh().catch(reportError), delay);
}

// The rows from the top of the list, as many as `wanted`, in pages the API allows.
async function readRows(state, wanted, signal) {
  const tickets = [];
  let cursor = null;
  do {
    const limit = Math.min(MAX_PAGE_SIZE, wanted - tickets.length);
    const page = await api(`tickets?${apiQuery(state, cursor, limit)}`, { signal });
    tickets.push(...(page.tickets || []));
    cursor = page.next_cursor || null;
  } while (cursor && tickets.length < wanted);
  return { tickets, cursor };
}

// Read the rows shown (and, when all of the list is shown, what came after them) and the counts
// again. Never while a list is being read, a click is on its way or the tab is out of sight.
async function refresh() {
  refreshTimer = 0;
  if (document.hidden || shownView() !== "queue-view") return;
  if (listRequest || refreshing || pointerHeld) {
    scheduleRefresh(1_000);
    return;
  }
  const state = listState();
  const request = new AbortController();
  refreshing = request;
  const complete = !nextCursor;
  const shownCount = shownTickets.length;
  // All of the list shown: a page more, for what arrived after the last row. Else the rows shown.
  const wanted = complete ? shownCount + PAGE_SIZE : Math.max(shownCount, 1);
  let fresh;
  try {
    [fresh] = await Promise.all([readRows(state, wanted, request.signal), loadCounts(request.signal)]);
  } catch (error) {
    if (isAbandoned(error)) return;
    if (!(error instanceof ApiError) || error.status === 401) throw error;
    refreshFailures += 1;
    const delay = Math.min(REFRESH_MS * 2 ** refreshFailures, REFRESH_MAX_MS);
    showUpdates(`This list could not be brought up to date: ${error.message} It is tried again in ${Math.round(delay / 1000)} seconds.`);
    scheduleRefresh(delay);
    return;
  } finally {
    if (refreshing === request) refreshing = null;
  }
  refreshFailures = 0;
  bringUpToDate(state, fresh, complete);
  scheduleRefresh();
}

// What a refresh read, applied without moving a row: each row shown is drawn again where it is
// when its ticket changed; new tickets after the last row are added at the end. Anything else (a
// ticket that arrived above, one that left the list, an order that changed) waits for "Show".
function bringUpToDate(state, fresh, complete) {
  const { table, rows, row } = shownTable(state);
  const shownRefs = shownTickets.map((ticket) => ticket.ref);
  const shownSet = new Set(shownRefs);
  const freshRefs = fresh.tickets.map((ticket) => ticket.ref);
  const freshSet = new Set(freshRefs);
  const elements = new Map([...rows.children].map((element) => [element.dataset.ref, element]));
  const focused = focusedRowControl(rows);
  // Rows shown whose ticket changed: drawn again in their place.
  shownTickets = shownTickets.map((ticket) => {
    const now = fresh.tickets.find((candidate) => candidate.ref === ticket.ref);
    if (!now || JSON.stringify(now) === JSON.stringify(ticket)) return ticket;
    const old = elements.get(ticket.ref);
    if (old) {
      const redrawn = row(now);
      redrawn.className = old.className;
      old.replaceWith(redrawn);
    }
    return now;
  });
  const keepsPlaces = freshRefs.length >= shownRefs.length && shownRefs.every((ref, at) => freshRefs[at] === ref);
  if (keepsPlaces) {
    heldUpdate = null;
    byId("list-updates").hidden = true;
    if (complete) {
      const arrived = fresh.tickets.slice(shownRefs.length);
      const added = arrived.map(row);
      shownTickets.push(...arrived);
      rows.append(...added);
      nextCursor = fresh.cursor;
      markArrived(added);
      if (arrived.length) {
        announce(`${counted(arrived.length, "new ticket", "new tickets")} at the end of the list: ${arrived.map((ticket) => ticket.ref).join(", ")}.`);
      }
    }
  } else {
    const arrived = freshRefs.filter((ref) => !shownSet.has(ref)).length;
    const left = shownRefs.filter((ref) => !freshSet.has(ref)).length;
    const parts = [];
    if (arrived) parts.push(counted(arrived, "new ticket", "new tickets"));
    if (left) parts.push(`${counted(left, "ticket", "tickets")} left this part of the list`);
    if (!parts.length) parts.push("the order changed");
    heldUpdate = fresh;
    showUpdates(`Updates to this list: ${parts.join(", ")}.`, { canShow: true });
  }
  rowsChanged(state, table, rows);
  giveFocusBack(rows, focused);
}

// "Show the updated list": the rows as the last refresh read them, the new ones marked.
function showHeldUpdate() {
  if (!heldUpdate) return;
  const state = listState();
  const { table, rows, row } = shownTable(state);
  const focused = focusedRowControl(rows);
  const before = new Set(shownTickets.map((ticket) => ticket.ref));
  const update = heldUpdate;
  showUpdates(null);
  shownTickets = [...update.tickets];
  const drawn = shownTickets.map(row);
  rows.replaceChildren(...drawn);
  nextCursor = update.cursor;
  markArrived(drawn.filter((element) => !before.has(element.dataset.ref)));
  rowsChanged(state, table, rows);
  // The button is gone with the bar: the focus goes to the row it was on, else the first row.
  if (focused) giveFocusBack(rows, focused);
  else rows.querySelector("a")?.focus({ preventScroll: true });
  announce(`The list is up to date: ${counted(shownTickets.length, "ticket", "tickets")} shown.`);
}

function setUpRefresh() {
  window.addEventListener(
    "scroll",
    () => {
      if (shownView() === "queue-view") listScrollY = window.scrollY;
    },
    { passive: true },
  );
  // Out of sight, nothing is read; back in sight, the list is brought up to date at once.
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) clearTimeout(refreshTimer);
    else scheduleRefresh(0);
  });
  const queueView = byId("queue-view");
  queueView.addEventListener("pointerdown", () => {
    pointerHeld = true;
  });
  for (const ended of ["pointerup", "pointercancel"]) {
    window.addEventListener(ended, () => {
      pointerHeld = false;
    });
  }
  byId("list-updates-show").addEventListener("click", showHeldUpdate);
}

export async function showList() {
  // Back from a ticket to the list it was opened from: the list where it was scrolled to, the
  // ticket seen last (j and k may have moved on) in sight.
  const returning = shownView() === "ticket-view" && rowsQuery === apiQuery(listState(), null).toString();
  const scrolledTo = listScrollY;
  showView("queue-view");
  // The form shows the address at once, before anything is awaited: what the agent types from
  // the moment the list shows is never overwritten.
  const state = listState();
  showResult("");
  fillForm(state);
  showControls(state);
  showTitle(state);
  if (focusSearchWhenShown) {
    focusSearchWhenShown = false;
    byId("search-q").focus();
  }
  const loading = loadList(false, returning ? Math.max(shownTickets.length, PAGE_SIZE) : PAGE_SIZE).then(() => {
    if (returning) showPlace(scrolledTo);
  });
  const counting = loadCounts().catch((error) => {
    if (!isAbandoned(error)) throw error;
  });
  const known = await agents();
  nameAssignees(known);
  fillAssignees(known);
  fillAgents(known);
  fillQueues(await queues());
  await Promise.all([loading, counting]);
}

function showPlace(scrollY) {
  window.scrollTo(0, scrollY);
  shownRows()
    .find((row) => row.dataset.ref === selectedRef)
    ?.scrollIntoView({ block: "nearest" });
}

// ---- the keyboard: a selection over the rows ----

function shownRows() {
  const rows = inQuarantine(listState()) ? byId("quarantine-rows") : byId("queue-rows");
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

// ---- from a ticket: the next and previous ticket of the list it was opened from ----

// The rows of the list the address names, read first when those shown are of another list (a
// ticket opened from a link) or when the ticket is the last row read and the list goes on.
async function rowsAround(ref) {
  const state = listState();
  if (rowsQuery !== apiQuery(state, null).toString()) await loadList(false);
  let rows = shownRows();
  if (nextCursor && rows.at(-1)?.dataset.ref === ref) {
    await loadList(true);
    rows = shownRows();
  }
  return rows;
}

function neighbourLink(id, row) {
  const link = byId(id);
  link.hidden = !row;
  if (!row) return;
  const ticket = shownTickets.find((each) => each.ref === row.dataset.ref);
  link.href = ticketHref(row.dataset.ref);
  link.title = ticket ? `${ticket.ref}: ${ticket.subject || "(no subject)"}` : row.dataset.ref;
}

// The ticket page's Previous and Next (j and k): the rows before and after ticket `ref` in its list,
// which becomes the list's selected row, so Back to the queue shows where the agent is.
export async function showNeighbours(ref) {
  byId("ticket-neighbours").hidden = true;
  let rows;
  try {
    rows = await rowsAround(ref);
  } catch (error) {
    // Without its list the ticket still shows; only Previous and Next do not.
    if (isAbandoned(error) || error instanceof ApiError) return;
    throw error;
  }
  if (currentPage().ref !== ref) return;
  const at = rows.findIndex((row) => row.dataset.ref === ref);
  if (at === -1) return;
  selectedRef = ref;
  markSelected(false);
  neighbourLink("ticket-previous", rows[at - 1]);
  neighbourLink("ticket-next", rows[at + 1]);
  setText(byId("ticket-position"), `${at + 1} of ${rows.length}${nextCursor ? "+" : ""}`);
  byId("ticket-neighbours").hidden = false;
}

function openNeighbour(id) {
  const link = byId(id);
  if (byId("ticket-neighbours").hidden || link.hidden) return false;
  location.hash = link.getAttribute("href");
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
  const onTicket = { view: "ticket-view", group: "A ticket" };
  onKey("j", { ...onTicket, what: "Open the next ticket of the list" }, () => openNeighbour("ticket-next"));
  onKey("k", { ...onTicket, what: "Open the previous ticket of the list" }, () => openNeighbour("ticket-previous"));
  onKey("u", { ...onTicket, what: "Back to the list" }, () => {
    location.hash = LIST_HREF;
    return true;
  });
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

// A click on a row (its subject, its name, its times), off its link, box and buttons, opens its
// ticket, as in every helpdesk's list; Ctrl, Cmd or the middle button open it in a new tab, as a
// link would. Not when text was selected (copying a name), nor with Shift or Alt.
function rowClicked(event) {
  const row = event.target instanceof Element ? event.target.closest("tr[data-ref]") : null;
  if (!row || isActionable(event.target) || event.target.closest("label, .select-cell")) return;
  if (event.shiftKey || event.altKey || event.button > 1) return;
  if (String(window.getSelection() || "").trim()) return;
  const href = ticketHref(row.dataset.ref);
  if (event.ctrlKey || event.metaKey || event.button === 1) {
    window.open(new URL(href, location.href).href, "_blank", "noopener");
    return;
  }
  location.hash = href;
}

function setUpRowClicks() {
  for (const rows of [byId("queue-rows"), byId("quarantine-rows")]) {
    rows.addEventListener("click", rowClicked);
    rows.addEventListener("auxclick", (event) => {
      if (event.button === 1) rowClicked(event);
    });
  }
}

// ---- the column headings: a click orders the list as the API can ----

function setUpSorting() {
  byId("queue-table").tHead.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button.sort-button") : null;
    if (!button) return;
    const control = byId(button.dataset.control);
    if (control.value === button.dataset.value) return;
    chooseOption(control, button.dataset.value);
    applyForm({ replace: false });
  });
}

// ---- the tabs: the tickets, the views and the quarantine ----

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
  setUpRowClicks();
  setUpTabs();
  setUpBulk({ tickets: () => shownTickets, reload: () => Promise.all([loadList(false), loadCounts()]) });
  setUpSorting();
  setUpRefresh();
  // A wide screen shows the filters; a phone folds them under "Filters" so the tickets come first.
  const wide = matchMedia(WIDE_SCREEN);
  const unfold = () => {
    if (wide.matches) byId("filter-panel").open = true;
  };
  wide.addEventListener("change", unfold);
  unfold();
}
