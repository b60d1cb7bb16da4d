// What the console shows lives in its address, so that a reload, the back button or a link sent to
// a colleague shows the same thing:
//   the view in the hash:        #/  (the list), #/tickets/K7Q2-M9XD, #/outbox, #/reports,
//                                #/saved-replies, #/saved-replies/new, #/saved-replies/<id>,
//                                #/knowledge (its filters in the hash's query), #/knowledge/new,
//                                #/knowledge/<slug>/<language>,
//                                #/signature, #/two-step, and the admins' #/agents, #/tokens,
//                                #/audit (its filters in the hash's own query: #/audit?action=sign_in)
//   the reports' range in the hash's own query: #/reports?from=2026-11-01&to=2026-11-30
//   the list's state in the query: ?q=m%C3%BCller&status=all&order=date
//   which list:                  ?view=mine, unassigned, due_soon, breached, follow_up, snoozed, quarantine
//                                (the held mail); none for the tickets
// A ticket opened from a search keeps the search in its address: "Back to the queue" returns to it.
// Only values other than the defaults are written, so the plain list is just /console.

export const LIST_HREF = "#/";

export const LIST_DEFAULTS = Object.freeze({
  view: "",
  q: "",
  status: "",
  assignee: "",
  queue: "",
  priority: "",
  language: "",
  follow_up: "",
  sort: "waiting",
  order: "relevance",
  created_from: "",
  created_to: "",
});

const DAY = /^\d{4}-\d{2}-\d{2}$/;
// The lists besides the tickets of the Status filter: the views of GET /tickets/views.
export const LIST_VIEWS = Object.freeze(["mine", "unassigned", "due_soon", "breached", "follow_up", "snoozed", "quarantine"]);

// The list's state from the address; values the console could not have written are dropped.
export function readListState() {
  const query = new URLSearchParams(location.search);
  const state = { ...LIST_DEFAULTS };
  for (const name of Object.keys(LIST_DEFAULTS)) {
    const value = query.get(name);
    if (value !== null) state[name] = value.trim();
  }
  for (const name of ["created_from", "created_to"]) {
    if (!DAY.test(state[name])) state[name] = "";
  }
  if (state.follow_up !== "true") state.follow_up = "";
  if (!LIST_VIEWS.includes(state.view)) state.view = "";
  return state;
}

// The href seen last by the router or written here: popstate and hashchange both fire for one
// move, and an address written by the list itself is already shown.
let shownHref = null;

export function locationChanged() {
  if (location.href === shownHref) return false;
  shownHref = location.href;
  return true;
}

// Put the list's state into the address. `replace` while the agent types (one history entry per
// search, not per letter); a new entry when a filter is chosen, so Back undoes it.
export function writeListState(state, { replace = false } = {}) {
  const query = new URLSearchParams();
  for (const [name, fallback] of Object.entries(LIST_DEFAULTS)) {
    const value = (state[name] || "").trim();
    if (value && value !== fallback) query.set(name, value);
  }
  const address = new URL(location.href);
  address.search = query.toString();
  if (address.href === location.href) return;
  if (replace) history.replaceState(null, "", address);
  else history.pushState(null, "", address);
  shownHref = location.href;
}

export function currentPage() {
  const ticket = /^#\/tickets\/([^/?#]+)$/.exec(location.hash);
  if (ticket) {
    try {
      return { name: "ticket", ref: decodeURIComponent(ticket[1]) };
    } catch {
      return { name: "list" };
    }
  }
  if (location.hash === "#/outbox") return { name: "outbox" };
  if (location.hash === "#/signature") return { name: "signature" };
  if (location.hash === "#/notifications") return { name: "notifications" };
  const savedReply = /^#\/saved-replies(?:\/([A-Za-z0-9_-]{1,64}))?$/.exec(location.hash);
  if (savedReply) return { name: "saved-replies", id: savedReply[1] || null };
  const knowledge = /^#\/knowledge(?:\/(new|[a-z0-9]+(?:-[a-z0-9]+)*)(?:\/([a-z]{2}))?)?(?:\?[^#]*)?$/.exec(location.hash);
  if (knowledge) return { name: "knowledge", slug: knowledge[1] || null, language: knowledge[2] || null };
  if (location.hash === "#/new") return { name: "new-ticket" };
  if (location.hash === "#/webhooks") return { name: "webhooks" };
  if (location.hash === "#/agents") return { name: "agents" };
  if (location.hash === "#/tokens") return { name: "tokens" };
  if (/^#\/audit(\?[^#]*)?$/.test(location.hash)) return { name: "audit" };
  if (location.hash === "#/two-step") return { name: "two-step" };
  if (/^#\/reports(\?[^#]*)?$/.test(location.hash)) return { name: "reports" };
  return { name: "list" };
}

// The address of a list view's plain list (its tab): /console?view=quarantine#/, /console#/.
export function listViewHref(view) {
  const address = new URL(location.href);
  address.search = view ? new URLSearchParams({ view }).toString() : "";
  address.hash = LIST_HREF;
  return address.href;
}

// A view's tab moves to its plain list as a new history entry (Back returns).
export function goToListView(view) {
  history.pushState(null, "", listViewHref(view));
  shownHref = location.href;
}

// The saved replies page (saved-replies.js): the list, and one saved reply ("new" for a new one).
export const SAVED_REPLIES_HREF = "#/saved-replies";

export function savedReplyHref(id) {
  return `${SAVED_REPLIES_HREF}/${encodeURIComponent(id)}`;
}

// The knowledge base (knowledge.js): the list, and the editor of one article's translation.
export const KNOWLEDGE_HREF = "#/knowledge";

export function knowledgeHref(slug, language) {
  return `${KNOWLEDGE_HREF}/${encodeURIComponent(slug)}/${encodeURIComponent(language)}`;
}

const KNOWLEDGE_FILTERS = ["category", "status", "flag", "q", "mine"];

// The list's filters: a category, a status (published, draft), a flag reason, words of a title, and
// mine=yes for the articles the agent owns.
export function readKnowledgeFilters() {
  const query = new URLSearchParams(location.hash.split("?")[1] || "");
  return Object.fromEntries(KNOWLEDGE_FILTERS.map((name) => [name, (query.get(name) || "").trim()]));
}

// Filters chosen are a new history entry (Back returns to the ones before); words typed replace it.
export function writeKnowledgeFilters(filters, { replace = false } = {}) {
  const query = new URLSearchParams();
  for (const name of KNOWLEDGE_FILTERS) {
    if (filters[name]) query.set(name, filters[name]);
  }
  const address = new URL(location.href);
  address.hash = query.size ? `${KNOWLEDGE_HREF}?${query}` : KNOWLEDGE_HREF;
  if (address.href === location.href) return;
  if (replace) history.replaceState(null, "", address);
  else history.pushState(null, "", address);
  shownHref = location.href;
}

// Relative to the page: the list's query stays in the address of the ticket.
export function ticketHref(ref) {
  return `#/tickets/${encodeURIComponent(ref)}`;
}

// The reports' range (reports.js), its days as YYYY-MM-DD; a value that is not a day is dropped.
export function readReportRange() {
  const query = new URLSearchParams(location.hash.split("?")[1] || "");
  const day = (name) => {
    const value = (query.get(name) || "").trim();
    return DAY.test(value) ? value : "";
  };
  return { from: day("from"), to: day("to") };
}

// A chosen range is a new history entry: Back returns to the range before.
export function writeReportRange({ from, to }) {
  const query = new URLSearchParams();
  if (from) query.set("from", from);
  if (to) query.set("to", to);
  const address = new URL(location.href);
  address.hash = query.size ? `#/reports?${query}` : "#/reports";
  if (address.href === location.href) return;
  history.pushState(null, "", address);
  shownHref = location.href;
}

// The access audit's filters (audit.js): from and to as YYYY-MM-DD, an action, an actor.
export function readAuditFilters() {
  const query = new URLSearchParams(location.hash.split("?")[1] || "");
  const day = (name) => {
    const value = (query.get(name) || "").trim();
    return DAY.test(value) ? value : "";
  };
  return {
    from: day("from"),
    to: day("to"),
    action: (query.get("action") || "").trim(),
    actor: (query.get("actor") || "").trim(),
  };
}

// Filters chosen are a new history entry: Back returns to the ones before.
export function writeAuditFilters(filters) {
  const query = new URLSearchParams();
  for (const name of ["from", "to", "action", "actor"]) {
    if (filters[name]) query.set(name, filters[name]);
  }
  const address = new URL(location.href);
  address.hash = query.size ? `#/audit?${query}` : "#/audit";
  if (address.href === location.href) return;
  history.pushState(null, "", address);
  shownHref = location.href;
}
