// One ticket: its thread, the customer's original HTML (sandboxed), its properties and history.
// A merged ticket is read-only and points at the ticket it went to; a quarantined one says why it
// was held (held.js: "Not spam", "Delete").

import { ApiError, api, isAbandoned } from "./api.js";
import { setUpCollision } from "./collision.js";
import { hideCopies, setUpCopies, showCopies } from "./copies.js";
import { agents, categories, queues, savedReplies } from "./directory.js";
import { byId, el, showMessage } from "./dom.js";
import { fileSize, person, safeLink, shortWhen, statusBadge, when } from "./format.js";
import { forwardButton, isForwardable, setUpForward } from "./forward.js";
import { historyItem } from "./history.js";
import { draftFromTicket } from "./knowledge.js";
import { setUpHeld, showHeld } from "./held.js";
import { showNeighbours } from "./list.js";
import { setUpMerge } from "./merge.js";
import { flash, showView } from "./page.js";
import { setUpPresence, showPresence } from "./presence.js";
import { setUpProperties, showProperties } from "./properties.js";
import { fillSavedReplies, openCompose, setUpCompose, showRecipients } from "./reply.js";
import { currentAgent, reportError } from "./session.js";
import { onKey } from "./shortcuts.js";
import { hideSnooze, setUpSnooze, showSnooze } from "./snooze.js";
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
  team_notice: "Team notice", forward: "Forwarded", third_party: "Third party's answer",
};
// Mail the desk wrote by itself: one line each in the thread, opened on demand.
const AUTOMATIC_MAIL = {
  acknowledgement: "Automatic acknowledgement sent",
  survey: "Satisfaction survey sent",
  team_notice: "Notice sent to the team",
};

// The ticket document as the API gave it (ticket, thread, events, requester_tickets, …), as last
// drawn on the page.
let shown = null;
// The ticket the address asks for: { ref, controller }. Opening another aborts the requests of
// this one, and an answer for a ticket that is no longer wanted is never drawn (a slow answer for
// the ticket left behind, or for an action on it, never replaces the ticket opened since).
let wanted = null;
// The agents, queues and categories the page was last drawn with (the history's names).
let choices = { agents: [], queues: [], categories: [], me: null };
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
  frame.srcdoc = frameDocument(html, policy, FRAME_BODY_STYLE);
  return frame;
}

// A frame's document: its own policy, the body's style (only where the policy allows styles: an
// inline style a policy forbids is refused, and the browser logs a CSP error), the API's HTML.
function frameDocument(html, policy, bodyStyle = "") {
  const body = bodyStyle ? `<body style="${bodyStyle}">` : "<body>";
  return (
    `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${policy}">` +
    `<meta charset="utf-8"></head>${body}${html}</body></html>`
  );
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

// ---- what an agent wrote, as its mail showed it ----

// The elements of the API's rendering of an agent's Markdown (`body_html`: replies/markdown.py,
// raw HTML escaped) that the thread keeps; any other element gives only its text.
const WRITTEN_ELEMENTS = new Set([
  "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "hr", "a", "img",
  "h1", "h2", "h3", "h4", "h5", "h6",
]);

// `node` of the parsed HTML built again with el(): text as text, the elements above with only the
// attributes they need (a link to http, https or mailto, an image from http or https).
function rebuilt(node) {
  if (node.nodeType === Node.TEXT_NODE) return [node.data];
  if (node.nodeType !== Node.ELEMENT_NODE) return [];
  const children = [...node.childNodes].flatMap(rebuilt);
  const tag = node.localName;
  if (!WRITTEN_ELEMENTS.has(tag)) return children;
  if (tag === "a") {
    const address = node.getAttribute("href") || "";
    const href = /^mailto:/i.test(address) ? address : safeLink(address);
    return href ? [el("a", { href, title: node.getAttribute("title"), rel: "noopener noreferrer", target: "_blank" }, children)] : children;
  }
  if (tag === "img") {
    const src = safeLink(node.getAttribute("src") || "");
    const alt = node.getAttribute("alt") || "";
    return src ? [el("img", { src, alt, referrerpolicy: "no-referrer" })] : [alt];
  }
  return [el(tag, { start: tag === "ol" ? node.getAttribute("start") : null }, children)];
}

// A reply, a new ticket's first mail or a forward's note as the customer (or third party) read it:
// bold, lists and links. `body` shows the text as typed until the HTML is parsed, in a frame that
// runs nothing and loads nothing (the console reads it: allow-same-origin, without allow-scripts);
// the console then builds what it holds into `body` with el(), never as markup.
function writtenParser(message, body) {
  const parser = el("iframe", { sandbox: "allow-same-origin", hidden: true, title: "", className: "written-parser" });
  // Hidden and only read: no style (its policy allows none).
  parser.srcdoc = frameDocument(message.body_html, "default-src 'none'");
  parser.addEventListener(
    "load",
    () => {
      const parsed = parser.contentDocument && parser.contentDocument.body;
      if (parsed) {
        body.replaceChildren(...[...parsed.childNodes].flatMap(rebuilt));
        body.classList.add("written");
      }
      parser.remove();
    },
    { once: true },
  );
  return parser;
}

// ---- the thread ----

function attachmentList(attachments) {
  if (!attachments || attachments.length === 0) return null;
  return el(
    "ul",
    { className: "attachments", "aria-label": "Attachments" },
    attachments.map((attachment) => {
      const href = safeLink(attachment.url);
      const label = `${attachment.filename || "attachment"} (${attachment.content_type}, ${fileSize(attachment.size || 0)})`;
      return el("li", {}, href ? el("a", { href, rel: "noopener noreferrer", target: "_blank", download: attachment.filename || true }, label) : label);
    }),
  );
}

function surveyFact(survey) {
  if (!survey) return "";
  const comment = survey.comment ? ` “${survey.comment}”` : "";
  return `${survey.rating} of 5${comment}`;
}

// Who a mail went to: "To … · Cc … · Bcc …" (the Bcc of our mail, which no header names, is shown
// to agents only). None for notes.
function addressedTo(message) {
  if (message.direction === "internal") return null;
  const parts = [["To", message.to], ["Cc", message.cc], ["Bcc", message.bcc]].filter(([, addresses]) => addresses && addresses.length);
  if (!parts.length) return null;
  return el(
    "p",
    { className: "meta message-recipients" },
    parts.flatMap(([label, addresses], index) => [
      index ? " · " : "",
      el("span", { className: "recipient-label" }, `${label}:`),
      ` ${addresses.join(", ")}`,
    ]),
  );
}

// A forward says who it went to, and every internal message says the customer never sees it.
function internalLines(message) {
  if (message.direction !== "internal") return [];
  const recipients = [...(message.to || []), ...(message.cc || [])];
  return [
    el("p", { className: "internal-mark" }, "Internal: not seen by the customer"),
    message.kind === "forward" && recipients.length
      ? el("p", { className: "forward-recipients" }, `Forwarded to ${recipients.join(", ")} by ${message.from.name || message.from.email}`)
      : null,
  ];
}

// `splittable`: a customer's later message of a ticket that takes changes (split.js);
// `forwardable`: a message of a ticket that takes changes, of a kind a third party may be sent.
function threadItem(message, splittable, forwardable) {
  const original = el("div", { className: "original-box" });
  const actions = [];
  if (splittable) actions.push(splitButton(message));
  if (forwardable) actions.push(forwardButton(message));
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
  const body = el("div", { className: "message-body" }, message.visible_reply || "");
  const content = [
    ...internalLines(message),
    addressedTo(message),
    screeningSaidSomething(message.screening) ? el("p", { className: "hint" }, `Screening: ${message.screening}`) : null,
    body,
    message.body_html ? writtenParser(message, body) : null,
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

// The history names the customers of the thread too ("split Mia Roth's message"), as their mail did.
function withThreadNames(names, data) {
  const people = [data.ticket.requester, ...data.thread.map((message) => message.from)];
  for (const person of people) {
    const email = person && person.email ? person.email.toLowerCase() : "";
    if (email && person.name && !names.has(email)) names.set(email, person.name);
  }
  return names;
}

// ---- the side: properties, facts, the requester's other tickets ----

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

// A merged ticket takes no reply, note or change: its controls are off (the API would refuse).
// A held ticket is neither answered nor changed until "Not spam" (the API refuses it too); a note
// about it is fine.
// A merged ticket shows no reply or note box at all, but where to write: the ticket it went to.
function setReadOnly(mergedInto, held) {
  const merged = Boolean(mergedInto);
  byId("reply-card").hidden = merged;
  byId("note-card").hidden = merged;
  const pointer = byId("merged-compose");
  pointer.hidden = !merged;
  pointer.replaceChildren(...(merged
    ? ["Replies and notes go on ", el("a", { href: ticketHref(mergedInto), className: "ref" }, mergedInto), ", the ticket this one was merged into."]
    : []));
  for (const id of ["reply-fields", "properties-fields"]) byId(id).disabled = merged || held;
  byId("note-fields").disabled = merged;
  byId("follow-up-done").disabled = merged || held;
  // Nothing more to merge: the banner says where it went (held mail is released first).
  byId("merge-open").hidden = merged || held;
  // Nothing is forwarded from a merged ticket or held mail (the API refuses it too).
  byId("forward-open").hidden = merged || held;
  // An article is drafted from the agents' replies: held mail has none, a merged ticket's are on the other.
  byId("article-from-ticket").hidden = merged || held;
}

// What "Not spam" did, or why it did not: on the page, where the focus goes.
function heldNotice(message) {
  showNotice(message);
  byId("ticket-notice").focus();
}

function showNotice(message) {
  showMessage("ticket-notice", message);
}

// Which of the desk's addresses the customer wrote to: every mail of the ticket goes from it, under
// its brand (GET /tickets/{ref} gives it; the main address for tickets from before there were several).
function showMailbox(mailbox) {
  const line = byId("ticket-mailbox");
  line.hidden = !mailbox;
  if (!mailbox) return;
  line.replaceChildren(
    el("span", { className: "recipient-label" }, "Came to"),
    " ",
    el("span", { className: "address" }, mailbox.address),
    ` · answered as ${mailbox.name}`,
  );
}

// While another ticket loads, nothing of the one before stays on screen to be acted on.
function showLoading(ref) {
  byId("ticket-view").setAttribute("aria-busy", "true");
  byId("ticket-subject").textContent = ref;
  byId("ticket-meta").replaceChildren("Loading…");
  for (const id of ["thread", "events", "requester-tickets", "ticket-facts", "reply-recipients"]) byId(id).replaceChildren();
  for (const id of ["merged-banner", "quarantine-box", "suppressed-box", "follow-up-box", "ticket-cc", "ticket-mailbox"]) byId(id).hidden = true;
  for (const id of ["reply-fields", "note-fields", "properties-fields"]) byId(id).disabled = true;
  byId("merge-open").hidden = true;
  byId("forward-open").hidden = true;
  byId("article-from-ticket").hidden = true;
  byId("edit-subject").disabled = true;
  hideCopies();
  hideSnooze();
}

function renderTicket(data, keepEdits) {
  const ticket = data.ticket;
  byId("ticket-view").removeAttribute("aria-busy");
  byId("ticket-body").hidden = false;
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
  showCopies(ticket, Boolean(ticket.merged_into || ticket.quarantine));
  showMailbox(data.mailbox);
  showRecipients(ticket);
  showMerged(data);
  showHeld(ticket);
  setReadOnly(ticket.merged_into || null, Boolean(ticket.quarantine));
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
    ...data.thread.map((message) =>
      threadItem(message, canSplit && message.kind === "customer" && message !== first, canSplit && isForwardable(message)),
    ),
  );
  const context = { ref: ticket.ref, names: withThreadNames(agentNames(choices.agents), data) };
  byId("events").replaceChildren(...(data.events || []).map((event) => historyItem(event, context)).filter(Boolean));
  const others = data.requester_tickets || [];
  byId("requester-tickets").replaceChildren(
    ...(others.length ? others.map(otherTicketItem) : [el("li", { className: "hint" }, "None")]),
  );
  showProperties(ticket, choices, keepEdits);
  showSnooze(ticket, Boolean(ticket.merged_into || ticket.quarantine));
  const facts = [
    ["Language", ticket.language],
    ["Sentiment", ticket.sentiment],
    ["Triage", triageFact(ticket.triage)],
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

// Triage in one plain line for agents; how it was decided (method, probability, the model's
// features) behind a disclosure for whoever wants it.
function triageFact(triage) {
  if (!triage || !triage.explanation) return "";
  const detail = `${triage.explanation} (${Math.round((triage.confidence || 0) * 100)} %)`;
  if (!triage.summary) return detail;
  return el(
    "span",
    { className: "triage" },
    el("span", { className: "triage-summary" }, triage.summary),
    el("details", { className: "triage-detail" }, el("summary", {}, "How triage decided"), el("p", { className: "hint" }, detail)),
  );
}

// A mail the screening found nothing to say about (triage/screening.py's plain accept) needs no line.
const PLAIN_ACCEPT = "accept: no automatic, list, bounce or spam signal";

function screeningSaidSomething(screening) {
  return Boolean(screening) && screening !== PLAIN_ACCEPT;
}

// The ticket and what its page offers to choose from, read for `visit` (aborted when the agent
// opens another ticket).
async function readTicket(visit) {
  const [data, known, desksQueues, desksCategories, replies] = await Promise.all([
    api(`tickets/${encodeURIComponent(visit.ref)}`, { signal: visit.controller.signal }),
    agents(),
    queues(),
    categories(),
    savedReplies(),
  ]);
  return { data, replies, choices: { agents: known, queues: desksQueues, categories: desksCategories, me: currentAgent() } };
}

function draw(read) {
  // The same ticket drawn again for the same agent keeps what they changed in its form and have
  // not saved (another agent signed in on this browser starts from the ticket as it is).
  const sameAgent = (choices.me && choices.me.email) === (read.choices.me && read.choices.me.email);
  const keepEdits = Boolean(
    shown && shown.ticket.ref === read.data.ticket.ref && sameAgent && !byId("ticket-view").hasAttribute("aria-busy"),
  );
  choices = read.choices;
  shown = read.data;
  renderTicket(read.data, keepEdits);
}

// Reads ticket `ref` again and draws it, if it is still the one the agent is on (after an action on
// it): the document, or null when the agent has moved to another ticket meanwhile.
async function loadTicket(ref) {
  const visit = wanted;
  if (!visit || visit.ref !== ref) return null;
  let read;
  try {
    read = await readTicket(visit);
  } catch (error) {
    if (isAbandoned(error)) return null;
    throw error;
  }
  if (wanted !== visit) return null;
  // Two reads of one ticket can answer out of order: an older version never replaces a newer one.
  if (shown && shown.ticket.ref === ref && read.data.ticket.version < shown.ticket.version) return shown;
  draw(read);
  return read.data;
}

export async function showTicket(ref) {
  if (wanted) wanted.controller.abort();
  const visit = { ref, controller: new AbortController() };
  wanted = visit;
  showView("ticket-view");
  // Back to the list it came from, named as that list.
  byId("ticket-back").textContent = readListState().view === "quarantine" ? "Back to the quarantine" : "Back to the queue";
  showNeighbours(ref).catch(reportError);
  // A notice for this ticket shows with it, not over the ticket still shown while it loads.
  const notice = noticeForNext;
  noticeForNext = "";
  showNotice("");
  if (!shown || shown.ticket.ref !== ref) {
    showLoading(ref);
    // Another ticket opens at its top (its subject and first message), not where the list or the
    // ticket before it was scrolled to.
    window.scrollTo(0, 0);
  }
  // The reply and note boxes are this ticket's from now on, with its drafts.
  openCompose(ref);
  showPresence(ref);
  let read;
  try {
    read = await readTicket(visit);
  } catch (error) {
    if (isAbandoned(error) || wanted !== visit) return;
    byId("ticket-meta").replaceChildren(el("span", { className: "ref" }, ref), " · This ticket could not be shown.");
    // No forms of a ticket that is not there (deleted, mistyped, or out of reach).
    byId("ticket-body").hidden = true;
    byId("ticket-view").removeAttribute("aria-busy");
    throw error;
  }
  if (wanted !== visit) return;
  fillSavedReplies(read.replies, read.data.ticket);
  draw(read);
  showNotice(notice);
  byId("ticket-subject").focus({ preventScroll: true });
}

// Whether ticket `ref` is the one on screen (an action's answer for another is not shown).
function isShown(ref) {
  return Boolean(wanted && wanted.ref === ref && shown && shown.ticket.ref === ref);
}

// ---- changes ----

async function followUpDone() {
  const ticket = shown.ticket;
  try {
    await api(`tickets/${encodeURIComponent(ticket.ref)}`, {
      method: "PATCH",
      body: { version: ticket.version, follow_up: false },
    });
    if (isShown(ticket.ref)) flash("");
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 409)) throw error;
    if (isShown(ticket.ref)) flash(error.message);
  }
  await loadTicket(ticket.ref);
}

// After a merge: the ticket that kept the conversation, saying what joined it.
function merged(result) {
  // The agent went on to another ticket meanwhile: they stay there.
  if (!wanted || wanted.ref !== result.merged.ref) return;
  const entries = result.copied === 1 ? "1 message or event" : `${result.copied} messages and events`;
  const copied = result.copied ? ` (${entries} joined its thread and history)` : "";
  noticeForNext = `${result.merged.ref} was merged into this ticket${copied}.`;
  location.hash = ticketHref(result.ticket.ref);
}

// After a split: the new ticket, saying where it came from.
function splitOff(result) {
  if (!wanted || wanted.ref !== result.source.ref) return;
  noticeForNext = `Split off from ${result.source.ref}: this message is now a ticket of its own.`;
  // The button was down the thread: the new ticket and its notice show from the top.
  window.scrollTo(0, 0);
  location.hash = ticketHref(result.ticket.ref);
}

// "Create an article from this ticket": the editor opens on the draft (knowledge.js); a refusal (no
// reply of an agent to draft from) is said in the message line.
async function articleFromTicket() {
  const ref = shown.ticket.ref;
  const button = byId("article-from-ticket");
  button.disabled = true;
  try {
    await draftFromTicket(ref);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401 || !isShown(ref)) throw error;
    flash(`No article was drafted: ${error.message.replace(/[.\s]+$/, "")}.`);
  } finally {
    button.disabled = false;
  }
}

// A shortcut that focuses a box of the ticket: none while the ticket is read-only.
function focusBox(id) {
  const box = byId(id);
  if (box.disabled || box.closest("fieldset:disabled")) return false;
  box.focus();
  return true;
}

export function setUpTicket() {
  setUpCompose({ reload: loadTicket });
  setUpCollision({ seen: (ref) => (isShown(ref) ? shown.seen : null), reload: loadTicket });
  setUpPresence();
  setUpCopies({
    ticket: () => (shown && isShown(shown.ticket.ref) ? shown.ticket : null),
    isShown,
    reload: loadTicket,
  });
  setUpProperties({
    document: () => (shown && isShown(shown.ticket.ref) ? shown : null),
    reload: loadTicket,
    isShown,
    names: () => agentNames(choices.agents),
  });
  setUpSnooze({
    document: () => (shown && isShown(shown.ticket.ref) ? shown : null),
    reload: loadTicket,
    isShown,
    reportError,
  });
  setUpMerge({
    ticket: () => shown.ticket,
    others: () => shown.requester_tickets || [],
    reload: () => loadTicket(shown.ticket.ref),
    merged,
  });
  setUpSplit({ ticket: () => shown.ticket, reload: () => loadTicket(shown.ticket.ref), split: splitOff });
  setUpForward({
    document: () => (shown && isShown(shown.ticket.ref) ? shown : null),
    reload: () => loadTicket(shown.ticket.ref),
    forwarded: (words) => {
      const ref = shown.ticket.ref;
      loadTicket(ref)
        .then(() => {
          if (isShown(ref)) showNotice(words);
        })
        .catch(reportError);
    },
  });
  byId("follow-up-done").addEventListener("click", () => followUpDone().catch(reportError));
  byId("article-from-ticket").addEventListener("click", () => articleFromTicket().catch(reportError));
  setUpHeld({ ticket: () => shown.ticket, reload: () => loadTicket(shown.ticket.ref), notice: heldNotice });
  const onTicket = { view: "ticket-view", group: "A ticket" };
  onKey("r", { ...onTicket, what: "Write a reply" }, () => focusBox("reply-body"));
  onKey("n", { ...onTicket, what: "Write an internal note" }, () => focusBox("note-body"));
}
