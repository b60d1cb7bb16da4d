// The Postdesk agent console: plain browser JavaScript, no build step.
// Everything that comes from the API reaches the page as text (textContent, attribute values),
// never as markup; a customer's original HTML is shown only inside a sandboxed frame.

const TOKEN_KEY = "postdesk.token";
const PAGE_SIZE = 25;
const STATUS_LABELS = {
  new: "New", open: "Open", pending: "Pending", "on-hold": "On hold", resolved: "Resolved", closed: "Closed",
};
const FRAME_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";
const FRAME_POLICY_WITH_IMAGES = "default-src 'none'; img-src data: https:; style-src 'unsafe-inline'";
const FRAME_BODY_STYLE =
  "margin:0;padding:12px;font:14px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2328;" +
  "background:#fff;overflow-wrap:anywhere";

// The API lives beside the console: /console -> /, /api/console -> /api/ (API Gateway's stage).
const API_ROOT = new URL(location.pathname.replace(/console\/?$/, ""), location.origin);

const state = {
  me: null,
  agents: null,
  savedReplies: null,
  queueCursor: null,
  ticket: null,
  insertedSavedReply: null,
};

const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, kind, message) {
    super(message);
    this.status = status;
    this.kind = kind;
  }
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

async function api(path, { method = "GET", body, headers = {}, asToken } = {}) {
  const request = {
    method,
    cache: "no-store",
    headers: { Accept: "application/json", Authorization: `Bearer ${asToken ?? token()}`, ...headers },
  };
  if (body !== undefined) {
    request.headers["Content-Type"] = "application/json";
    request.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(new URL(path, API_ROOT), request);
  } catch {
    throw new ApiError(0, "NetworkError", "The desk cannot be reached. Check your connection and try again.");
  }
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const message = (data && (data.message || data.Message)) || `The desk answered ${response.status}.`;
    throw new ApiError(response.status, (data && data.error) || "HttpError", message);
  }
  return data;
}

// DOM building: every string child becomes a text node.
function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "className") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function person(who) {
  if (!who) return "";
  return who.name ? `${who.name} <${who.email}>` : who.email;
}

function safeLink(url) {
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function flash(message) {
  const box = $("flash");
  box.textContent = message || "";
  box.hidden = !message;
}

function showView(id) {
  for (const view of ["sign-in-view", "queue-view", "ticket-view", "outbox-view"]) {
    $(view).hidden = view !== id;
  }
}

function handleError(error) {
  if (error instanceof ApiError && error.status === 401) {
    signOut(error.message);
    return;
  }
  flash(error instanceof Error ? error.message : String(error));
}

// ---- sign in ----

async function signIn(candidate) {
  const me = await api("me", { asToken: candidate });
  sessionStorage.setItem(TOKEN_KEY, candidate);
  state.me = me;
  $("who").textContent = `${me.name || me.email} (${me.role})`;
  $("account").hidden = false;
  // Only the local stack has an outbox (a deployed desk's mail goes out through SES).
  api("outbox").then(
    () => { $("outbox-link").hidden = false; },
    () => { $("outbox-link").hidden = true; },
  );
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  Object.assign(state, { me: null, agents: null, savedReplies: null, ticket: null });
  $("account").hidden = true;
  $("token").value = "";
  const error = $("sign-in-error");
  error.textContent = message || "";
  error.hidden = !message;
  flash("");
  showView("sign-in-view");
  if (location.hash && location.hash !== "#/") history.replaceState(null, "", "#/");
  $("token").focus();
}

async function onSignIn(event) {
  event.preventDefault();
  const candidate = $("token").value.trim();
  const error = $("sign-in-error");
  if (!candidate) {
    error.textContent = "Enter your API token.";
    error.hidden = false;
    return;
  }
  try {
    await signIn(candidate);
  } catch (failure) {
    error.textContent = failure.message;
    error.hidden = false;
    $("token").focus();
    return;
  }
  error.hidden = true;
  route().catch(handleError);
}

// ---- reference data, loaded once per sign-in ----

async function agents() {
  if (state.agents === null) {
    try {
      state.agents = (await api("agents")).agents || [];
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) throw error;
      state.agents = [];
    }
    const filter = $("filter-assignee");
    for (const agent of state.agents) {
      if (![...filter.options].some((option) => option.value === agent.email)) {
        filter.append(el("option", { value: agent.email }, agent.name || agent.email));
      }
    }
  }
  return state.agents;
}

async function savedReplies() {
  if (state.savedReplies === null) {
    try {
      state.savedReplies = (await api("saved-replies")).saved_replies || [];
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) throw error;
      state.savedReplies = [];
    }
  }
  return state.savedReplies;
}

// ---- queue ----

function queueQuery(cursor) {
  const form = $("filters");
  const query = new URLSearchParams();
  for (const name of ["status", "assignee", "queue", "priority", "sort"]) {
    const value = form.elements[name].value.trim();
    if (value) query.set(name, value);
  }
  // Bad survey answers: every status, unless one is chosen.
  if (form.elements.follow_up.checked) query.set("follow_up", "true");
  query.set("limit", String(PAGE_SIZE));
  if (cursor) query.set("cursor", cursor);
  return query;
}

function queueRow(ticket) {
  const link = el("a", { href: `#/tickets/${encodeURIComponent(ticket.ref)}` }, ticket.ref);
  return el(
    "tr",
    { dataset: { ref: ticket.ref } },
    el("td", {}, link),
    el("td", { className: "subject" }, ticket.subject || "(no subject)"),
    el("td", {}, ticket.requester ? ticket.requester.name || ticket.requester.email : ""),
    el(
      "td",
      {},
      el("span", { className: `badge status-${ticket.status}` }, STATUS_LABELS[ticket.status] || ticket.status),
      ...(ticket.follow_up ? [" ", el("span", { className: "badge warning", title: ticket.follow_up }, "Follow up")] : []),
    ),
    el("td", {}, el("span", { className: `badge priority-${ticket.priority}` }, ticket.priority || "")),
    el("td", {}, ticket.queue || ""),
    el("td", {}, ticket.assignee || "—"),
    el("td", {}, when(ticket.waiting_since || ticket.updated_at)),
    el("td", {}, dueBadge(ticket.sla)),
  );
}

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

async function loadQueue(append = false) {
  const query = queueQuery(append ? state.queueCursor : null);
  const page = await api(`tickets?${query}`);
  const rows = $("queue-rows");
  if (!append) rows.replaceChildren();
  rows.append(...(page.tickets || []).map(queueRow));
  state.queueCursor = page.next_cursor || null;
  const empty = rows.children.length === 0;
  $("queue-table").hidden = empty;
  $("queue-empty").hidden = !empty;
  $("queue-more").hidden = !state.queueCursor;
}

async function showQueue() {
  showView("queue-view");
  document.title = "Tickets · Postdesk";
  await agents();
  await loadQueue(false);
}

// ---- ticket ----

function originalFrame(html, withImages) {
  const policy = withImages ? FRAME_POLICY_WITH_IMAGES : FRAME_POLICY;
  const frame = el("iframe", {
    sandbox: "allow-popups allow-popups-to-escape-sandbox",
    referrerpolicy: "no-referrer",
    title: "Original message (sanitized)",
    className: "original",
  });
  // The sanitized HTML goes into the frame's own document, never into the console's.
  frame.srcdoc =
    `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${policy}">` +
    `<meta charset="utf-8"></head><body style="${FRAME_BODY_STYLE}">${html}</body></html>`;
  return frame;
}

async function showOriginal(message, container, withImages) {
  const images = withImages ? "?images=true" : "";
  const path = `tickets/${encodeURIComponent(state.ticket.ticket.ref)}/messages/${encodeURIComponent(message.id)}/html${images}`;
  const original = await api(path);
  const parts = [originalFrame(original.html, withImages)];
  if (!withImages && original.remote_images > 0) {
    const button = el(
      "button",
      { type: "button", className: "quiet" },
      `Show remote images (${original.remote_images})`,
    );
    button.addEventListener("click", () => {
      showOriginal(message, container, true).catch(handleError);
    });
    parts.unshift(el("p", { className: "hint" }, "Remote images are blocked: loading them tells the sender you read the mail. ", button));
  }
  container.replaceChildren(...parts);
}

function attachmentList(attachments) {
  if (!attachments || attachments.length === 0) return null;
  return el(
    "ul",
    { className: "attachments", "aria-label": "Attachments" },
    attachments.map((attachment) => {
      const href = safeLink(attachment.url);
      const label = `${attachment.filename || "attachment"} (${attachment.content_type}, ${Math.ceil((attachment.size || 0) / 1024)} KB)`;
      return el("li", {}, href ? el("a", { href, rel: "noopener noreferrer", target: "_blank", download: attachment.filename || true }, label) : label);
    }),
  );
}

const KIND_LABELS = {
  customer: "Customer", auto_reply: "Automatic reply", bounce: "Bounce", quarantined: "Quarantined",
  acknowledgement: "Acknowledgement", agent_reply: "Reply", note: "Internal note", survey: "Survey",
};

function surveyFact(survey) {
  if (!survey) return "";
  const comment = survey.comment ? ` “${survey.comment}”` : "";
  return `${survey.rating} of 5${comment}`;
}

function threadItem(message) {
  const original = el("div", { className: "original-box" });
  const actions = [];
  if (message.direction === "inbound" && message.has_html) {
    const button = el("button", { type: "button", className: "quiet" }, "Show original");
    button.addEventListener("click", () => {
      button.disabled = true;
      showOriginal(message, original, false).catch((error) => {
        button.disabled = false;
        handleError(error);
      });
    });
    actions.push(button);
  }
  if (message.raw_url) {
    actions.push(el("a", { href: message.raw_url, className: "quiet", rel: "noopener" }, "Download raw mail"));
  }
  const notExtracted = message.attachments_not_extracted
    ? el(
        "p",
        { className: "notice not-extracted", role: "note" },
        `${message.attachments_not_extracted.toLocaleString("en")} attachments not extracted; the raw mail holds them. `,
        message.raw_url ? el("a", { href: message.raw_url, rel: "noopener" }, "Download the raw mail") : null,
      )
    : null;
  return el(
    "li",
    { className: `message ${message.direction} kind-${message.kind}`, dataset: { id: message.id } },
    el(
      "header",
      { className: "message-head" },
      el("strong", {}, person(message.from)),
      el("span", { className: "badge" }, KIND_LABELS[message.kind] || message.kind),
      el("time", { datetime: message.at }, when(message.at)),
    ),
    message.screening ? el("p", { className: "hint" }, `Screening: ${message.screening}`) : null,
    el("div", { className: "message-body" }, message.visible_reply || ""),
    notExtracted,
    attachmentList(message.attachments),
    actions.length ? el("div", { className: "message-actions" }, actions) : null,
    original,
  );
}

function eventItem(event) {
  const detail = Object.entries(event.detail || {})
    .map(([key, value]) => `${key}: ${value}`)
    .join(", ");
  return el(
    "li",
    {},
    el("time", { datetime: event.at }, when(event.at)),
    " ",
    el("strong", {}, event.kind.replaceAll("_", " ")),
    event.actor && event.actor !== "system" ? ` by ${event.actor}` : "",
    detail ? el("span", { className: "detail" }, ` (${detail})`) : null,
  );
}

function fillAssignees(select, current) {
  const options = [el("option", { value: "" }, "Unassigned")];
  const known = new Set();
  for (const agent of state.agents || []) {
    known.add(agent.email);
    options.push(el("option", { value: agent.email }, agent.name ? `${agent.name} (${agent.email})` : agent.email));
  }
  if (state.me && !known.has(state.me.email)) {
    known.add(state.me.email);
    options.push(el("option", { value: state.me.email }, `Me (${state.me.email})`));
  }
  if (current && !known.has(current)) options.push(el("option", { value: current }, current));
  select.replaceChildren(...options);
  select.value = current || "";
}

function fillSavedReplies(replies) {
  const select = $("saved-reply");
  select.replaceChildren(
    el("option", { value: "" }, replies.length ? "Choose a saved reply…" : "No saved replies"),
    ...replies.map((reply) => el("option", { value: reply.id }, reply.language ? `${reply.title} (${reply.language})` : reply.title)),
  );
  select.disabled = replies.length === 0;
  $("insert-saved-reply").disabled = replies.length === 0;
}

function renderTicket(data) {
  const ticket = data.ticket;
  $("ticket-subject").textContent = ticket.subject || "(no subject)";
  $("ticket-meta").replaceChildren(
    el("span", { className: "ref" }, ticket.ref),
    " · ",
    person(ticket.requester),
    " · ",
    el("span", { className: `badge status-${ticket.status}` }, STATUS_LABELS[ticket.status] || ticket.status),
    ...(ticket.quarantine ? [el("span", { className: "badge warning" }, `Quarantined: ${ticket.quarantine}`)] : []),
    ...(ticket.follow_up ? [" ", el("span", { className: "badge warning" }, "Needs follow-up")] : []),
  );
  const suppressed = data.requester_suppressed;
  $("suppressed-box").hidden = !suppressed;
  $("suppressed-box").textContent = suppressed ? `No mail can reach the customer: ${suppressed.message}.` : "";
  $("follow-up-box").hidden = !ticket.follow_up;
  $("follow-up-reason").textContent = ticket.follow_up ? `Needs a follow-up: ${ticket.follow_up}.` : "";
  document.title = `${ticket.ref} · Postdesk`;
  $("thread").replaceChildren(...data.thread.map(threadItem));
  $("events").replaceChildren(...(data.events || []).map(eventItem));
  const others = data.requester_tickets || [];
  $("requester-tickets").replaceChildren(
    ...(others.length
      ? others.map((other) =>
          el(
            "li",
            {},
            el("a", { href: `#/tickets/${encodeURIComponent(other.ref)}` }, other.ref),
            ` ${other.subject || "(no subject)"} `,
            el("span", { className: `badge status-${other.status}` }, STATUS_LABELS[other.status] || other.status),
          ),
        )
      : [el("li", { className: "hint" }, "None")]),
  );
  $("ticket-status").value = ticket.status;
  $("ticket-priority").value = ticket.priority;
  fillAssignees($("ticket-assignee"), ticket.assignee || "");
  const facts = [
    ["Queue", ticket.queue],
    ["Category", ticket.category],
    ["Language", ticket.language],
    ["Sentiment", ticket.sentiment],
    ["Tags", (ticket.tags || []).join(", ")],
    ["Triage", ticket.triage ? `${ticket.triage.explanation} (${Math.round((ticket.triage.confidence || 0) * 100)} %)` : ""],
    ["Created", when(ticket.created_at)],
    ["First response", when(ticket.first_response_at)],
    ["First response due", when(ticket.sla && ticket.sla.first_response_due)],
    ["Next response due", when(ticket.sla && ticket.sla.next_response_due)],
    ["Resolution due", when(ticket.sla && ticket.sla.resolution_due)],
    ["SLA broken", ticket.sla && ticket.sla.breached.length ? ticket.sla.breached.join(", ").replaceAll("_", " ") : ""],
    ["Resolved", when(ticket.resolved_at)],
    ["Survey", surveyFact(ticket.survey)],
  ].filter(([, value]) => value);
  $("ticket-facts").replaceChildren(...facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
}

async function loadTicket(ref) {
  const data = await api(`tickets/${encodeURIComponent(ref)}`);
  state.ticket = data;
  renderTicket(data);
  return data;
}

async function showTicket(ref) {
  showView("ticket-view");
  const [, replies] = await Promise.all([agents(), savedReplies()]);
  fillSavedReplies(replies);
  state.insertedSavedReply = null;
  $("reply-body").value = "";
  $("note-body").value = "";
  await loadTicket(ref);
  $("ticket-subject").focus({ preventScroll: true });
}

function insertSavedReply() {
  const id = $("saved-reply").value;
  const reply = (state.savedReplies || []).find((candidate) => candidate.id === id);
  if (!reply) return;
  const box = $("reply-body");
  const start = box.selectionStart ?? box.value.length;
  const end = box.selectionEnd ?? box.value.length;
  box.value = box.value.slice(0, start) + reply.body + box.value.slice(end);
  box.selectionStart = box.selectionEnd = start + reply.body.length;
  state.insertedSavedReply = reply.id;
  box.focus();
}

async function sendReply(event) {
  event.preventDefault();
  const body = $("reply-body").value;
  if (!body.trim()) {
    flash("Write a reply first.");
    $("reply-body").focus();
    return;
  }
  const document_ = { body, status: $("reply-status").value };
  if (state.insertedSavedReply) document_.saved_reply_id = state.insertedSavedReply;
  const button = $("send-reply");
  button.disabled = true;
  try {
    await api(`tickets/${encodeURIComponent(state.ticket.ticket.ref)}/replies`, {
      method: "POST",
      body: document_,
      headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    $("reply-body").value = "";
    state.insertedSavedReply = null;
    flash("");
    await loadTicket(state.ticket.ticket.ref);
  } finally {
    button.disabled = false;
  }
}

async function addNote(event) {
  event.preventDefault();
  const body = $("note-body").value;
  if (!body.trim()) {
    flash("Write the note first.");
    $("note-body").focus();
    return;
  }
  await api(`tickets/${encodeURIComponent(state.ticket.ticket.ref)}/notes`, { method: "POST", body: { body } });
  $("note-body").value = "";
  flash("");
  await loadTicket(state.ticket.ticket.ref);
}

async function saveProperties(event) {
  event.preventDefault();
  const ticket = state.ticket.ticket;
  const change = { version: ticket.version };
  const status = $("ticket-status").value;
  const priority = $("ticket-priority").value;
  const assignee = $("ticket-assignee").value || null;
  if (status !== ticket.status) change.status = status;
  if (priority !== ticket.priority) change.priority = priority;
  if (assignee !== (ticket.assignee || null)) change.assignee = assignee;
  if (Object.keys(change).length === 1) {
    flash("Nothing to save.");
    return;
  }
  try {
    await api(`tickets/${encodeURIComponent(ticket.ref)}`, { method: "PATCH", body: change });
    flash("");
    await loadTicket(ticket.ref);
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      // Someone else changed the ticket (or the move is not allowed): show why, then what is true now.
      await loadTicket(ticket.ref);
      flash(error.message);
      return;
    }
    throw error;
  }
}

async function followUpDone() {
  const ticket = state.ticket.ticket;
  try {
    await api(`tickets/${encodeURIComponent(ticket.ref)}`, {
      method: "PATCH",
      body: { version: ticket.version, follow_up: false },
    });
    flash("");
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 409)) throw error;
    flash(error.message);
  }
  await loadTicket(ticket.ref);
}

// ---- outbox (the local stack) ----

function outboxItem(mail) {
  return el(
    "li",
    { className: "message kind-outbox" },
    el(
      "p",
      { className: "meta" },
      el("strong", {}, mail.subject || "(no subject)"),
      ` · to ${mail.to.join(", ")} · ${when(mail.date)}`,
      mail.automatic !== "no" ? ` · automatic (${mail.automatic})` : "",
    ),
    el("pre", { className: "message-body" }, mail.text || ""),
  );
}

async function showOutbox() {
  showView("outbox-view");
  document.title = "Outbox · Postdesk";
  const page = await api("outbox");
  $("outbox-mails").replaceChildren(...page.mails.map(outboxItem));
  $("outbox-empty").hidden = page.mails.length > 0;
}

// ---- navigation ----

async function route() {
  flash("");
  if (!token()) {
    signOut();
    return;
  }
  if (!state.me) await signIn(token());
  const match = /^#\/tickets\/([^/?#]+)$/.exec(location.hash);
  if (match) await showTicket(decodeURIComponent(match[1]));
  else if (location.hash === "#/outbox") await showOutbox();
  else await showQueue();
}

function start() {
  $("sign-in-form").addEventListener("submit", onSignIn);
  $("sign-out").addEventListener("click", () => signOut());
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadQueue(false).catch(handleError);
  });
  $("queue-more").addEventListener("click", () => loadQueue(true).catch(handleError));
  $("insert-saved-reply").addEventListener("click", insertSavedReply);
  $("reply-form").addEventListener("submit", (event) => sendReply(event).catch(handleError));
  $("note-form").addEventListener("submit", (event) => addNote(event).catch(handleError));
  $("properties-form").addEventListener("submit", (event) => saveProperties(event).catch(handleError));
  $("follow-up-done").addEventListener("click", () => followUpDone().catch(handleError));
  window.addEventListener("hashchange", () => route().catch(handleError));
  route().catch(handleError);
}

start();
