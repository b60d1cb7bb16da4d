// A ticket's event log in words: "Sam Lee changed the priority from normal to high", "Merged into
// K7Q2-M9XD (Boots too small) by Sam Lee". The actor is the agent's name where the desk knows it;
// internal keys, ids and SES message ids never show. A kind this module does not know yet shows as
// its words ("Survey reminder sent") with its details that are not ids.
//
// The kinds are those the workflows write (grep `kind=` in shared/postdesk/workflows and sla).

import { el } from "./dom.js";
import { when } from "./format.js";
import { knowledgeHref, ticketHref } from "./url-state.js";


// The desk's own automation (workflows/lifecycle.py): how long, and which setting of the policy did it.
function days(count) {
  return `${count} business day${count === "1" ? "" : "s"}`;
}

function automationPolicy(d) {
  return d.policy && d.policy.startsWith("queues.") ? `${d.queue} queue policy` : "desk policy";
}

function unsent(d) {
  if (d.sent === "false") return `; not mailed: ${d.reason}`;
  if (d.sent === "unconfirmed") return "; sending not confirmed";
  return "";
}

const STATUS_WORDS = {
  new: "New", open: "Open", pending: "Pending", "on-hold": "On hold", resolved: "Resolved", closed: "Closed",
};
const CLOCK_WORDS = { first_response: "first response", next_response: "next response", resolution: "resolution" };
const VERDICT_WORDS = {
  accept: "a customer's mail",
  auto_reply: "an automatic reply",
  bounce: "a bounce",
  own_mail: "the desk's own mail",
  spam: "spam",
  virus: "carrying a virus",
  forged: "from a forged sender",
};
// How a mail found its ticket (tickets/threading.py MatchedBy).
const MATCH_WORDS = {
  "signed reply address": "the signed reply address it was sent to",
  "In-Reply-To/References": "the mail it answers",
  "subject token": "the reference in its subject",
  "repeat of the sender's open ticket": "repeating the sender's open ticket",
};
// Details that only identify something (a storage key, a message id): never shown.
const ID_DETAILS = /(^|_)(id|key|ses_message_id|message_id|raw_key|name|first_delivery|event_id)$/;

// ---- words for values ----

function language(code) {
  if (!code) return "";
  try {
    return new Intl.DisplayNames(["en"], { type: "language" }).of(code) || code;
  } catch {
    return code;
  }
}

function duration(secondsText) {
  const seconds = Number(secondsText);
  if (!Number.isFinite(seconds) || seconds < 0) return "";
  const minutes = Math.round(seconds / 60);
  if (minutes < 1) return "less than a minute";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} days ${hours % 24} h` : `${days} days`;
}

function inTime(detail) {
  if (detail.met === "true") return ", in time";
  if (detail.met === "false") return ", late";
  return "";
}

function quoted(text) {
  return `“${text}”`;
}

function refLink(ref) {
  return el("a", { href: ticketHref(ref), className: "ref" }, ref);
}

// ---- who did it ----

// names: Map of an agent's address to their name. "system" is the desk itself: no actor shown.
function actorName(actor, names) {
  if (!actor || actor === "system") return "";
  if (actor === "customer") return "The customer";
  if (actor === "sla") return "The SLA policy";
  // A time rule of the rules file (its rule_applied event names it).
  if (actor === "time-rule") return "A time rule";
  // The desk's own timers and assignment (workflows/lifecycle.py, assignment.py) and its notification
  // mails: the desk itself, like "system"; their events name the setting that did it.
  if (actor === "automation" || actor === "notifications") return "";
  return names.get(actor.toLowerCase()) || actor;
}

function personName(address, names) {
  if (!address || address === "nobody") return "nobody";
  return names.get(address.toLowerCase()) || address;
}

// "Sam Lee changed …" when someone did it, "Changed …" when the desk did.
function done(who, verb, ...rest) {
  return who ? [`${who} ${verb}`, ...rest] : [`${verb[0].toUpperCase()}${verb.slice(1)}`, ...rest];
}

function by(who) {
  return who ? ` by ${who}` : "";
}

// ---- a change of one field ----

function change(who, field, from, to, show = (value) => value) {
  if (!from && to) return done(who, `set the ${field} to ${show(to)}`);
  if (from && !to) return done(who, `cleared the ${field} (was ${show(from)})`);
  return done(who, `changed the ${field} from ${show(from)} to ${show(to)}`);
}

const status = (value) => STATUS_WORDS[value] || value;

function listed(words) {
  return words.length === 1 ? words[0] : `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

// "added the tags vip and refund and removed the tag damaged": what changed, not both whole lists
// (the event keeps them as "damaged, courier").
function tagsChange(who, detail) {
  const split = (text) => (text || "").split(",").map((tag) => tag.trim()).filter(Boolean);
  const before = split(detail.from);
  const after = split(detail.to);
  const added = after.filter((tag) => !before.includes(tag));
  const removed = before.filter((tag) => !after.includes(tag));
  const parts = [];
  if (added.length) parts.push(`added the ${added.length === 1 ? "tag" : "tags"} ${listed(added)}`);
  if (removed.length) parts.push(`removed the ${removed.length === 1 ? "tag" : "tags"} ${listed(removed)}`);
  if (!parts.length) return change(who, "tags", detail.from, detail.to);
  return done(who, parts.join(" and "));
}

function addresses(text) {
  return (text || "").split(",").map((address) => address.trim()).filter(Boolean);
}

// "added bob@x.example to the Cc (copied by the customer) and removed ann@x.example from it".
function copiesChange(who, list, detail) {
  const added = addresses(detail.added);
  const removed = addresses(detail.removed);
  const parts = [];
  if (added.length) {
    const offered = detail.accepted_offer ? " (copied by the customer)" : "";
    parts.push(`added ${listed(added)} to the ${list}${offered}`);
  }
  if (removed.length) parts.push(`removed ${listed(removed)} from ${added.length ? "it" : `the ${list}`}`);
  return done(who, parts.join(" and ") || `changed the ${list}`);
}

// The help articles an event's detail names (slugs, comma-separated): ", suggesting 2 help articles
// (account-recovery, payment-failed)".
function articlesWords(slugs, verb) {
  const named = (slugs || "").split(",").map((slug) => slug.trim()).filter(Boolean);
  if (!named.length) return "";
  return `, ${verb} ${named.length === 1 ? "the help article" : `${named.length} help articles`} ${named.join(", ")}`;
}

// ---- the sentences ----

// Each returns the parts of the sentence (strings and nodes); `context`: { ref, names }.
const SENTENCES = {
  ticket_created: (d, who) => {
    const where = d.queue ? ` in the ${d.queue} queue` : "";
    // A ticket an agent started: the desk wrote first.
    // The desk's address it came to, or went from (tickets from before there were several have none).
    const from = d.mailbox ? ` from ${d.mailbox}` : "";
    if (d.channel === "agent") return [`Started by ${who || "an agent"}, writing to ${d.requester || "the customer"}${from}${where}`];
    const held = d.quarantined === "true" ? ", held in quarantine" : "";
    const to = d.mailbox ? ` that came to ${d.mailbox}` : "";
    return [`Created from an email${to}${where}${held}`];
  },
  mail_screened: (d) => {
    const matched = d.matched_by ? `; joined this ticket by ${MATCH_WORDS[d.matched_by] || d.matched_by}` : "";
    const refused = d.rejected_match ? `; not joined to another ticket (${d.rejected_match})` : "";
    if (d.verdict === "accept" || !d.verdict) {
      return [`Mail checked: ${d.reason || "nothing to hold it back"}${matched}${refused}`];
    }
    const verdict = VERDICT_WORDS[d.verdict] || d.verdict.replaceAll("_", " ");
    return [`Mail screened as ${verdict}: ${d.reason}${matched}${refused}`];
  },
  quarantined: (d) => [`Held in quarantine: ${d.reason}`],
  cc_trimmed: (d) => [
    `Copies trimmed: ${d.kept} kept, ${d.left_out} left out (a mail goes to at most ${d.limit} people)`,
  ],
  attachments_not_extracted: (d) => [d.message || `${d.count} attachments not extracted; the raw mail holds them`],
  customer_replied: () => ["The customer wrote"],
  automatic_reply_recorded: (d) => [`Automatic reply recorded (${d.reason})`],
  bounce_recorded: (d) => [`Bounce recorded (${d.reason})`],
  quarantined_message_recorded: (d) => [`A mail held as ${d.reason} was recorded, not shown as the customer's`],
  survey_reply_recorded: () => ["The customer answered the survey by mail"],
  duplicate_delivery: () => ["The same mail was delivered again; kept once"],
  repeat_folded: (d) => [`A repeat of the first mail, folded in: ${d.reason}`],
  ack_sent: (d) => [`Automatic acknowledgement sent${d.language ? ` (${language(d.language)})` : ""}${articlesWords(d.articles, "suggesting")}`],
  ack_suppressed: (d) => [`No acknowledgement sent: ${d.detail || d.reason}`],
  ack_unconfirmed: (d) => [`Acknowledgement not confirmed: ${d.reason}`],
  status_changed: (d, who) => change(who, "status", d.from, d.to, status),
  reopened: (d, who) => done(who, `reopened the ticket (${status(d.from)} → ${status(d.to)})`),
  priority_changed: (d, who) => change(who, "priority", d.from, d.to),
  queue_changed: (d, who) => change(who, "queue", d.from, d.to),
  category_changed: (d, who) => change(who, "category", d.from, d.to),
  tags_changed: (d, who) => tagsChange(who, d),
  subject_changed: (d, who) => change(who, "subject", d.from, d.to, quoted),
  assigned: (d, who, { names }) => {
    if (d.rule) return automaticAssignment(d, names);
    const to = personName(d.to, names);
    const was = d.from ? ` (was ${personName(d.from, names)})` : "";
    return to === who ? done(who, `took the ticket${was}`) : done(who, `assigned the ticket to ${to}${was}`);
  },
  not_assigned: (d) => [`Not assigned automatically (${d.reason}${d.occasion === "reopened" ? ", on reopening" : ""}): ${d.why}${awayNote(d)}`],
  unassigned: (d, who, { names }) =>
    done(who, `unassigned the ticket${d.from ? ` (was ${personName(d.from, names)})` : ""}${d.why ? `: ${d.why}` : ""}`),
  follow_up_needed: (d) => [`Needs a follow-up: ${d.reason}`],
  follow_up_done: (d, who) => done(who, "marked the follow-up as done"),
  note_added: (d, who) => done(who, "added an internal note"),
  agent_replied: (d, who) => {
    const saved = d.saved_reply_id ? " with a saved reply" : "";
    const then = d.status_after ? `; status ${status(d.status_after)}` : "";
    const copies = [d.cc ? `Cc: ${d.cc}` : "", d.bcc ? `Bcc: ${d.bcc}${d.bcc_kept === "yes" ? ", kept on the ticket" : ""}` : ""];
    const cc = copies.some(Boolean) ? ` (${copies.filter(Boolean).join("; ")})` : "";
    return done(who || "", `replied to the customer${saved}${articlesWords(d.articles, "linking")}${cc}${then}`);
  },
  cc_changed: (d, who) => copiesChange(who, "Cc", d),
  bcc_changed: (d, who) => copiesChange(who, "Bcc", d),
  cc_offer_dismissed: (d, who) => done(who, `chose not to copy ${listed(addresses(d.addresses))}; not offered again`),
  cc_offered: (d, who, { names }) => [
    `${personName(d.by, names)} copied ${listed(addresses(d.addresses))} on their mail: offered for the Cc, not added`,
  ],
  first_response: (d) => [`First response after ${duration(d.seconds)}${inTime(d)}`],
  next_response: (d) => [`Answered after ${duration(d.seconds)}${inTime(d)}`],
  resolved: (d) => [`Resolved after ${duration(d.seconds)}${inTime(d)}`],
  sla_warning: (d) => [`SLA warning: the ${CLOCK_WORDS[d.target] || d.target} is due ${when(d.due)}`],
  sla_breached: (d) => [`SLA broken: the ${CLOCK_WORDS[d.target] || d.target} was due ${when(d.due)}`],
  rule_applied: (d) => [timeRuleSentence(d)],
  escalated: (d, who, { names }) => {
    if (d.field === "assignee") return [`Escalated: reassigned from ${personName(d.from, names)} to ${personName(d.to, names)}`];
    return [`Escalated: the ${d.field} raised from ${d.from} to ${d.to}`];
  },
  mail_bounced: (d) => [`Mail to ${d.recipient} bounced (${d.detail})${suppressed(d)}`],
  mail_complained: (d) => [`${d.recipient} reported our mail as spam (${d.detail})${suppressed(d)}`],
  mail_rejected: (d) => [`Amazon SES refused to send a mail (${d.detail})`],
  reminder_sent: (d) => [
    `Reminder sent to the customer after ${days(d.business_days)} pending (${automationPolicy(d)})${unsent(d)}`,
  ],
  auto_resolved: (d) => [
    `Resolved by the desk ${days(d.business_days)} after the reminder, with a closing mail (${automationPolicy(d)})${d.mail ? `; mail ${d.mail}` : ""}`,
  ],
  auto_resolve_overtaken: () => ["Closing mail sent, but the ticket had changed meanwhile: it stays as it is"],
  auto_resolve_reopened: () => ["Opened again after the desk had resolved it"],
  auto_closed: (d) => [`Closed ${d.days} days after its resolution (${automationPolicy(d)})`],
  snoozed: (d, who) => done(who, d.until ? `snoozed the ticket until ${when(d.until)}${d.until_answer === "true" ? " or the customer's answer" : ""}` : "snoozed the ticket until the customer answers"),
  unsnoozed: (d, who) => done(who, "ended the snooze: open again"),
  snooze_ended: (d, who, { names }) => [
    `Snooze ended (${when(d.until)}): open again${d.assignee ? `; ${personName(d.assignee, names)} was told` : ""}`,
  ],
  agent_notified: (d, who, { names }) => [agentNotified(d, names)],
  survey_scheduled: (d) => [`Satisfaction survey planned for ${when(d.due)}`],
  survey_not_scheduled: (d) => [`Satisfaction survey not planned: ${d.reason}`],
  survey_cancelled: () => ["Satisfaction survey cancelled"],
  survey_sent: () => ["Satisfaction survey sent"],
  survey_suppressed: (d) => [`Satisfaction survey not sent: ${d.reason}`],
  survey_answered: (d) => [`The customer rated the help ${d.rating} of 5${d.source === "mail" ? " (by mail)" : ""}`],
  survey_rating_changed: (d) => [`The customer changed their rating from ${d.from} to ${d.rating} of 5`],
  merged: (d, who) => ["Merged into ", refLink(d.into), d.subject ? ` (${d.subject})` : "", by(who)],
  merged_in: (d, who) => ["Ticket ", refLink(d.from), d.subject ? ` (${d.subject})` : "", ` merged into this one${by(who)}`],
  split: (d, who, { names }) => [
    ...done(who, `split ${d.from ? `${personName(d.from, names)}'s message` : "a message"} off into ticket `),
    refLink(d.into),
  ],
  split_from: (d, who) => ["Split off from ", refLink(d.from), d.subject ? ` (${d.subject})` : "", by(who)],
  forwarded: (d, who) => {
    const count = Number(d.messages || 0);
    const what = count === 0 ? "a note" : count === 1 ? "a message" : `${count} messages`;
    const files = Number(d.files || 0) ? ` with ${d.files === "1" ? "1 file" : `${d.files} files`}` : "";
    const cc = d.cc ? ` (Cc: ${d.cc})` : "";
    return done(who, `forwarded ${what}${files} to ${d.to}${cc}; internal, not sent to the customer`);
  },
  third_party_answered: (d) => [
    `${d.from || "A third party"} answered a forward; kept as internal, never sent to the customer`,
  ],
  // "Create an article from this ticket" (workflows/article_draft.py): a link to the draft's editor.
  article_drafted: (d, who) => done(
    who,
    "drafted the help article ",
    d.slug && d.language ? el("a", { href: knowledgeHref(d.slug, d.language) }, d.title || d.slug) : d.title || d.slug,
    " from this ticket's replies, the customer's data taken out",
  ),
  released: (d, who) => [
    `Released from quarantine${d.was ? ` (was: ${d.was})` : ""}${by(who)}; `,
    d.sender_trusted === "yes" ? "the sender is trusted" : "the sender is not trusted",
  ],
};

// A queue's rule in the SLA policy chose the assignee (workflows/assignment.py): "Assigned
// automatically to Sam Lee by round robin in orders (3 available; away: Ann Berg)".
function automaticAssignment(d, names) {
  const was = d.from ? `, was ${personName(d.from, names)} (away or gone)` : "";
  const reopened = d.occasion === "reopened" ? " on reopening" : "";
  const load = d.open !== undefined ? `, ${d.open === "1" ? "1 open ticket" : `${d.open} open tickets`}` : "";
  const available = d.available ? `; ${d.available} available` : "";
  return [`Assigned automatically${reopened} to ${personName(d.to, names)} by ${d.reason}${load}${was}${available}${awayNote(d, names)}`];
}

// A time rule of the rules file applied (workflows/time_rules.py): "Rule “Nudge idle urgent
// tickets” (idle 4 business hours): tagged stale, notified Sam Lee".
function timeRuleSentence(d) {
  const idle = d.idle_hours ? ` (idle ${d.idle_hours === "1" ? "1 business hour" : `${d.idle_hours} business hours`})` : "";
  const did = (d.did || "").split("; ").filter(Boolean);
  const problems = (d.problems || "").split("; ").filter(Boolean);
  const said = [...did, ...problems].join(", ") || "nothing left to change";
  return `Rule \u201c${d.rule}\u201d${idle}: ${said}`;
}

// An agent's notification mail spoke of this ticket (workflows/notify.py): "Sam Lee was told by mail
// (their notification settings): assigned to them, the customer answered".
const NOTIFICATION_WORDS = {
  assigned: "assigned to them",
  customer_replied: "the customer answered",
  mentioned: "mentioned in a note",
  new_in_queue: "new in a queue they watch",
  sla_warning: "an SLA warning",
  snooze_ended: "the snooze ended",
  rule: "a rule said to tell them",
};

function agentNotified(d, names) {
  const who = (d.agent && names.get(d.agent.toLowerCase())) || d.name || d.agent || "An agent";
  const kinds = [...new Set((d.kinds || "").split(",").filter(Boolean))].map((kind) => NOTIFICATION_WORDS[kind] || kind);
  return `${who} was told by mail (their notification settings)${kinds.length ? `: ${kinds.join(", ")}` : ""}`;
}

function awayNote(d, names = new Map()) {
  if (!d.away) return "";
  return `; away: ${d.away.split(", ").map((address) => personName(address, names)).join(", ")}`;
}

function suppressed(detail) {
  return detail.suppressed === "yes" ? "; no more mail goes to that address" : "";
}

// A kind without a sentence: its words, by whom, and the details that are not ids.
function fallback(event, who) {
  const words = event.kind.replaceAll("_", " ");
  const details = Object.entries(event.detail || {})
    .filter(([key, value]) => value !== "" && value !== null && !ID_DETAILS.test(key))
    .map(([key, value]) => `${key.replaceAll("_", " ")}: ${value}`);
  return [`${words[0].toUpperCase()}${words.slice(1)}${by(who)}`, details.length ? ` (${details.join(", ")})` : ""];
}

// The sentence of `event`, or null for one that says nothing on this ticket (the merged event
// copied onto the ticket it was merged into: its merged_in event says it with the other's ref).
export function eventSentence(event, context) {
  const detail = event.detail || {};
  if (event.kind === "merged" && detail.into === context.ref) return null;
  const who = actorName(event.actor, context.names);
  const sentence = SENTENCES[event.kind];
  const parts = sentence ? sentence(detail, who, context) : fallback(event, who);
  return parts.filter((part) => part !== "");
}

export function historyItem(event, context) {
  const parts = eventSentence(event, context);
  if (!parts) return null;
  return el(
    "li",
    { dataset: { kind: event.kind } },
    el("time", { datetime: event.at }, when(event.at)),
    el("span", { className: "sentence" }, parts),
  );
}
