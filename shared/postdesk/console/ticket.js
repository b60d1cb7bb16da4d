// One ticket: its thread, the customer's original HTML (sandboxed), its properties and history.
// A merged ticket is read-only and points at the ticket it went to; a quarantined one says why it
// was held and can be released ("Not spam").

import { ApiError, api } from "./api.js";
import { agents, savedReplies } from "./directory.js";
import { byId, el } from "./dom.js";
import { person, quarantineReason, safeLink, shortWhen, statusBadge, when } from "./format.js";
import { historyItem } from "./history.js";
import { setUpMerge } from "./merge.js";
import { flash, showView } from "./page.js";
import { prepareCompose, setUpCompose } from "./reply.js";
import { currentAgent, reportError } from "./session.js";
import { onKey } from "./shortcuts.js";
import { setUpSplit, splitButton } from "./split.js";
import { readListState, ticketHref } from "./url-state.js";

const FRAME_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";
const FRAME_POLICY_WITH_IMAGES = "default-src 'none'; img-src data: https:; style-src 'unsafe-inline'";
const FRAME_BODY_STYLE =
  "margin:0;padding:12px;font:14px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2328;" +
  "background:#fff;overflow-wrap:anywhere";
const KIND_LABELS = {
  customer: "Customer", auto_reply: "Automatic reply", bounce: "Bounce", quarantined: "Quarantined",
  acknowledgement: "Acknowledgement", agent_reply: "Reply", note: "Internal note", survey: "Survey",
  team_notice: "Team notice",
};
// Mail the desk wrote by itself: one line each in the thread, opened on demand.
const AUTOMATIC_MAIL = {
  acknowledgement: "Automatic acknowledgement sent",
  survey: "Satisfaction survey sent",
  team_notice: "Notice sent to the team",
};

// The ticket document as the API gave it (ticket, thread, events, requester_tickets, …).
let shown = null;
// Which opening of a ticket is the latest: a slow answer for the ticket left behind is dropped.
let opening = 0;
// A line to show once the next ticket is rendered (after a merge, the ticket it went into).
let noticeForNext = "";

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

// `splittable`: a customer's later message of a ticket that takes changes (split.js).
function threadItem(message, splittable) {
  const original = el("div", { className: "original-box" });
  const actions = [];
  if (splittable) actions.push(splitButton(message));
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
  const content = [
    message.screening ? el("p", { className: "hint" }, `Screening: ${message.screening}`) : null,
    el("div", { className: "message-body" }, message.visible_reply || ""),
    notExtracted,
    attachmentList(message.attachments),
    actions.length ? el("div", { className: "message-actions" }, actions) : null,
    original,
  ];
  const classes = `message ${message.direction} kind-${message.kind}`;
  const automatic = AUTOMATIC_MAIL[message.kind];
  if (automatic) {
    // "Automatic acknowledgement sent · 24 Nov, 10:31": a click or Enter on the line opens it.
    return el(
      "li",
      { className: `${classes} automatic`, dataset: { id: message.id } },
      el(
        "details",
        {},
        el("summary", {}, `${automatic} · `, el("time", { datetime: message.at, title: when(message.at) }, shortWhen(message.at))),
        el("p", { className: "meta" }, `From ${person(message.from)}`, message.subject ? ` · ${message.subject}` : ""),
        content,
      ),
    );
  }
  return el(
    "li",
    { className: classes, dataset: { id: message.id } },
    el(
      "header",
      { className: "message-head" },
      el("strong", {}, person(message.from)),
      el("span", { className: "badge" }, KIND_LABELS[message.kind] || message.kind),
      el("time", { datetime: message.at }, when(message.at)),
    ),
    content,
  );
}

// The names of the desk's agents (and of the one signed in), for the history's sentences.
function agentNames(known) {
  const names = new Map();
  const me = currentAgent();
  for (const agent of [...known, ...(me ? [me] : [])]) {
    if (agent.email && agent.name) names.set(agent.email.toLowerCase(), agent.name);
  }
  return names;
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

// ---- merged, quarantined: what the page says above the thread ----

function showMerged(data) {
  const ticket = data.ticket;
  const banner = byId("merged-banner");
  banner.hidden = !ticket.merged_into;
  if (!ticket.merged_into) {
    banner.replaceChildren();
    return;
  }
  // The subject the target had when this one was merged into it (the merge's event says it).
  const merge = [...(data.events || [])].reverse().find((event) => event.kind === "merged");
  const subject = merge && merge.detail && merge.detail.into === ticket.merged_into ? merge.detail.subject : "";
  banner.replaceChildren(
    el("strong", {}, "Merged into ", el("a", { href: ticketHref(ticket.merged_into), className: "ref" }, ticket.merged_into)),
    subject ? ` (${subject})` : "",
    el("span", {}, ". This ticket is closed and read-only: its thread and notes are on that ticket, work on that one."),
  );
}

function showQuarantine(ticket) {
  const box = byId("quarantine-box");
  box.hidden = !ticket.quarantine;
  if (!ticket.quarantine) return;
  const { headline, reason, verdict } = quarantineReason(ticket.quarantine);
  byId("quarantine-reason").replaceChildren(el("span", { className: "badge warning" }, headline), " ", reason);
  // A virus or a forged sender is a risk even if the mail is real: say so next to the button.
  byId("quarantine-risk").hidden = !(verdict === "virus" || verdict === "forged");
  byId("quarantine-risk").textContent =
    verdict === "virus"
      ? "A virus scanner flagged this mail: open its attachments only if you are sure of them."
      : "The sender's domain did not vouch for this mail: it may not come from the sender it names.";
  byId("trust-sender").checked = true;
  byId("release").disabled = false;
}

// A merged ticket takes no reply, note or change: its controls are off (the API would refuse).
function setReadOnly(readOnly) {
  for (const id of ["reply-fields", "note-fields", "properties-fields"]) byId(id).disabled = readOnly;
  byId("follow-up-done").disabled = readOnly;
  // Nothing more to merge: the banner says where it went.
  byId("merge-open").hidden = readOnly;
}

function showNotice(message) {
  const notice = byId("ticket-notice");
  notice.textContent = message || "";
  notice.hidden = !message;
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
    ...(ticket.quarantine ? [" ", el("span", { className: "badge warning" }, "Quarantined")] : []),
    ...(ticket.follow_up ? [" ", el("span", { className: "badge warning" }, "Needs follow-up")] : []),
  );
  showMerged(data);
  showQuarantine(ticket);
  setReadOnly(Boolean(ticket.merged_into));
  const suppressed = data.requester_suppressed;
  byId("suppressed-box").hidden = !suppressed;
  byId("suppressed-box").textContent = suppressed ? `No mail can reach the customer: ${suppressed.message}.` : "";
  byId("follow-up-box").hidden = !ticket.follow_up;
  byId("follow-up-reason").textContent = ticket.follow_up ? `Needs a follow-up: ${ticket.follow_up}.` : "";
  document.title = `${ticket.ref} · Postdesk`;
  // The ticket's first message is the ticket: only a customer's later one can be split off, and
  // not from a merged (read-only) or held ticket.
  const first = data.thread[0];
  const canSplit = !ticket.merged_into && !ticket.quarantine;
  byId("thread").replaceChildren(
    ...data.thread.map((message) => threadItem(message, canSplit && message.kind === "customer" && message !== first)),
  );
  const context = { ref: ticket.ref, names: agentNames(known) };
  byId("events").replaceChildren(...(data.events || []).map((event) => historyItem(event, context)).filter(Boolean));
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
  // Back to the list it came from, named as that list.
  byId("ticket-back").textContent = readListState().view === "quarantine" ? "Back to the quarantine" : "Back to the queue";
  // A notice for this ticket shows with it, not over the ticket still shown while it loads.
  const notice = noticeForNext;
  noticeForNext = "";
  showNotice("");
  const [, replies] = await Promise.all([agents(), savedReplies()]);
  if (visit !== opening) return;
  prepareCompose(replies);
  const data = await api(`tickets/${encodeURIComponent(ref)}`);
  if (visit !== opening) return;
  shown = data;
  renderTicket(data, await agents());
  showNotice(notice);
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

// "Not spam": out of quarantine into the queue as a new ticket; the sender trusted if ticked.
async function release(event) {
  event.preventDefault();
  const ticket = shown.ticket;
  const button = byId("release");
  button.disabled = true;
  try {
    await api(`tickets/${encodeURIComponent(ticket.ref)}/release`, {
      method: "POST",
      body: { trust_sender: byId("trust-sender").checked },
    });
  } catch (error) {
    button.disabled = false;
    if (!(error instanceof ApiError && error.status === 409)) throw error;
    // Released (or merged) by someone else meanwhile: show what is true now, and why.
    await loadTicket(ticket.ref);
    flash(error.message);
    return;
  }
  flash("");
  await loadTicket(ticket.ref);
  showNotice(`Released from quarantine: ${ticket.ref} is in the queue as a new ticket.`);
  byId("ticket-notice").focus();
}

// After a merge: the ticket that kept the conversation, saying what joined it.
function merged(result) {
  const entries = result.copied === 1 ? "1 message or event" : `${result.copied} messages and events`;
  const copied = result.copied ? ` (${entries} joined its thread and history)` : "";
  noticeForNext = `${result.merged.ref} was merged into this ticket${copied}.`;
  location.hash = ticketHref(result.ticket.ref);
}

// After a split: the new ticket, saying where it came from.
function splitOff(result) {
  noticeForNext = `Split off from ${result.source.ref}: this message is now a ticket of its own.`;
  // The button was down the thread: the new ticket and its notice show from the top.
  window.scrollTo(0, 0);
  location.hash = ticketHref(result.ticket.ref);
}

// A shortcut that focuses a box of the ticket: none while the ticket is read-only.
function focusBox(id) {
  const box = byId(id);
  if (box.disabled || box.closest("fieldset:disabled")) return false;
  box.focus();
  return true;
}

export function setUpTicket() {
  setUpCompose({ ref: () => shown.ticket.ref, reload: () => loadTicket(shown.ticket.ref) });
  setUpMerge({ ticket: () => shown.ticket, reload: () => loadTicket(shown.ticket.ref), merged });
  setUpSplit({ ticket: () => shown.ticket, reload: () => loadTicket(shown.ticket.ref), split: splitOff });
  byId("properties-form").addEventListener("submit", (event) => saveProperties(event).catch(reportError));
  byId("follow-up-done").addEventListener("click", () => followUpDone().catch(reportError));
  byId("release-form").addEventListener("submit", (event) => release(event).catch(reportError));
  const onTicket = { view: "ticket-view", group: "A ticket" };
  onKey("r", { ...onTicket, what: "Write a reply" }, () => focusBox("reply-body"));
  onKey("n", { ...onTicket, what: "Write an internal note" }, () => focusBox("note-body"));
}
