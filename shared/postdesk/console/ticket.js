// One ticket: its thread, the customer's original HTML (sandboxed), its properties and history.

import { ApiError, api } from "./api.js";
import { agents, savedReplies } from "./directory.js";
import { byId, el } from "./dom.js";
import { person, safeLink, statusBadge, when } from "./format.js";
import { flash, showView } from "./page.js";
import { prepareCompose, setUpCompose } from "./reply.js";
import { currentAgent, reportError } from "./session.js";
import { ticketHref } from "./url-state.js";

const FRAME_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";
const FRAME_POLICY_WITH_IMAGES = "default-src 'none'; img-src data: https:; style-src 'unsafe-inline'";
const FRAME_BODY_STYLE =
  "margin:0;padding:12px;font:14px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2328;" +
  "background:#fff;overflow-wrap:anywhere";
const KIND_LABELS = {
  customer: "Customer", auto_reply: "Automatic reply", bounce: "Bounce", quarantined: "Quarantined",
  acknowledgement: "Acknowledgement", agent_reply: "Reply", note: "Internal note", survey: "Survey",
};

// The ticket document as the API gave it (ticket, thread, events, requester_tickets, …).
let shown = null;
// Which opening of a ticket is the latest: a slow answer for the ticket left behind is dropped.
let opening = 0;

// ---- the customer's original HTML ----

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
  const path = `tickets/${encodeURIComponent(shown.ticket.ref)}/messages/${encodeURIComponent(message.id)}/html${images}`;
  const original = await api(path);
  const parts = [originalFrame(original.html, withImages)];
  if (!withImages && original.remote_images > 0) {
    const button = el(
      "button",
      { type: "button", className: "quiet" },
      `Show remote images (${original.remote_images})`,
    );
    button.addEventListener("click", () => {
      showOriginal(message, container, true).catch(reportError);
    });
    parts.unshift(el("p", { className: "hint" }, "Remote images are blocked: loading them tells the sender you read the mail. ", button));
  }
  container.replaceChildren(...parts);
}

// ---- the thread ----

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
        reportError(error);
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

// ---- the side: properties, facts, the requester's other tickets ----

function fillAssignees(select, known, current) {
  const options = [el("option", { value: "" }, "Unassigned")];
  const listed = new Set();
  for (const agent of known) {
    listed.add(agent.email);
    options.push(el("option", { value: agent.email }, agent.name ? `${agent.name} (${agent.email})` : agent.email));
  }
  const me = currentAgent();
  if (me && !listed.has(me.email)) {
    listed.add(me.email);
    options.push(el("option", { value: me.email }, `Me (${me.email})`));
  }
  if (current && !listed.has(current)) options.push(el("option", { value: current }, current));
  select.replaceChildren(...options);
  select.value = current || "";
}

function otherTicketItem(other) {
  return el(
    "li",
    {},
    el("a", { href: ticketHref(other.ref) }, other.ref),
    ` ${other.subject || "(no subject)"} `,
    statusBadge(other.status),
  );
}

function renderTicket(data, known) {
  const ticket = data.ticket;
  byId("ticket-subject").textContent = ticket.subject || "(no subject)";
  byId("ticket-meta").replaceChildren(
    el("span", { className: "ref" }, ticket.ref),
    " · ",
    person(ticket.requester),
    " · ",
    statusBadge(ticket.status),
    ...(ticket.quarantine ? [el("span", { className: "badge warning" }, `Quarantined: ${ticket.quarantine}`)] : []),
    ...(ticket.follow_up ? [" ", el("span", { className: "badge warning" }, "Needs follow-up")] : []),
  );
  const suppressed = data.requester_suppressed;
  byId("suppressed-box").hidden = !suppressed;
  byId("suppressed-box").textContent = suppressed ? `No mail can reach the customer: ${suppressed.message}.` : "";
  byId("follow-up-box").hidden = !ticket.follow_up;
  byId("follow-up-reason").textContent = ticket.follow_up ? `Needs a follow-up: ${ticket.follow_up}.` : "";
  document.title = `${ticket.ref} · Postdesk`;
  byId("thread").replaceChildren(...data.thread.map(threadItem));
  byId("events").replaceChildren(...(data.events || []).map(eventItem));
  const others = data.requester_tickets || [];
  byId("requester-tickets").replaceChildren(
    ...(others.length ? others.map(otherTicketItem) : [el("li", { className: "hint" }, "None")]),
  );
  byId("ticket-status").value = ticket.status;
  byId("ticket-priority").value = ticket.priority;
  fillAssignees(byId("ticket-assignee"), known, ticket.assignee || "");
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
  byId("ticket-facts").replaceChildren(...facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
}

async function loadTicket(ref) {
  const [data, known] = await Promise.all([api(`tickets/${encodeURIComponent(ref)}`), agents()]);
  shown = data;
  renderTicket(data, known);
  return data;
}

export async function showTicket(ref) {
  const visit = ++opening;
  showView("ticket-view");
  const [, replies] = await Promise.all([agents(), savedReplies()]);
  if (visit !== opening) return;
  prepareCompose(replies);
  const data = await api(`tickets/${encodeURIComponent(ref)}`);
  if (visit !== opening) return;
  shown = data;
  renderTicket(data, await agents());
  byId("ticket-subject").focus({ preventScroll: true });
}

// ---- changes ----

async function saveProperties(event) {
  event.preventDefault();
  const ticket = shown.ticket;
  const change = { version: ticket.version };
  const status = byId("ticket-status").value;
  const priority = byId("ticket-priority").value;
  const assignee = byId("ticket-assignee").value || null;
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
  const ticket = shown.ticket;
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

export function setUpTicket() {
  setUpCompose({ ref: () => shown.ticket.ref, reload: () => loadTicket(shown.ticket.ref) });
  byId("properties-form").addEventListener("submit", (event) => saveProperties(event).catch(reportError));
  byId("follow-up-done").addEventListener("click", () => followUpDone().catch(reportError));
}
