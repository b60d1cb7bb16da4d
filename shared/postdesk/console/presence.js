// Who else has the ticket open, and who is writing on it: "Ira Novak is writing a reply…" above the
// reply box, so that two agents do not answer one customer at once without knowing.
//
// While a ticket is open the console says so every 20 seconds (PUT /tickets/{ref}/presence, good for
// a minute) and learns from the answer who else is there; typing in the reply or note box says
// "writing" at once, then at most every 10 seconds; 30 seconds without a key it is "viewing" again.
// Leaving the ticket, or closing the page, says so (a request that outlives the page; best effort:
// the entry runs out by itself a minute later anyway). While someone else is on the ticket, the
// console also looks every 4 seconds (GET, a read: no write) between its heartbeats, so that "is
// writing a reply…" shows within seconds of their first key, not at the next heartbeat. The line is
// a polite live region that changes only when who is there, or what they do, changes.

import { api } from "./api.js";
import { byId, el } from "./dom.js";
import { currentPage } from "./url-state.js";

const REFRESH_MS = 20_000;
const TYPING_EVERY_MS = 10_000;
const WRITING_FOR_MS = 30_000;
// With someone else on the ticket: how often to look whether they started (or stopped) writing.
const LOOK_EVERY_MS = 4_000;
const BOXES = { "reply-body": "reply", "note-body": "note" };

// The ticket the console says it is on, and what it said last.
let onTicket = null;
let timer = null;
let lookTimer = null;
let lastSaid = { at: 0, what: "" };
let lastTyped = { at: 0, box: null };

function presenceOf(ref) {
  return `tickets/${encodeURIComponent(ref)}/presence`;
}

function sentence(other) {
  const who = (other.agent && (other.agent.name || other.agent.email)) || "A colleague";
  if (other.state !== "writing") return `${who} is viewing this ticket`;
  if (other.box === "note") return `${who} is writing an internal note…`;
  return `${who} is writing a reply…`;
}

function draw(others) {
  const line = byId("ticket-presence");
  const said = others.map(sentence);
  const words = said.join(" · ");
  if (line.dataset.said === words) return;
  line.dataset.said = words;
  line.replaceChildren(
    ...others.flatMap((other, index) => [
      index ? " · " : "",
      el("span", { className: other.state === "writing" ? "writing" : "viewing" }, said[index]),
    ]),
  );
}

// Someone else is there: look again soon (only while the page is in sight; a heartbeat restarts it).
function lookSoon(others) {
  clearTimeout(lookTimer);
  if (others.length && document.visibilityState !== "hidden") lookTimer = setTimeout(look, LOOK_EVERY_MS);
}

async function look() {
  const ref = onTicket;
  if (!ref) return;
  let answer = null;
  try {
    answer = await api(presenceOf(ref));
  } catch {
    // A courtesy: the next heartbeat says it again.
    return;
  }
  if (onTicket !== ref || !answer) return;
  const others = answer.others || [];
  draw(others);
  lookSoon(others);
}

function whatToSay() {
  const writing = lastTyped.box && Date.now() - lastTyped.at < WRITING_FOR_MS;
  return writing ? { state: "writing", box: lastTyped.box } : { state: "viewing" };
}

async function heartbeat() {
  clearTimeout(timer);
  const ref = onTicket;
  if (!ref) return;
  const body = whatToSay();
  lastSaid = { at: Date.now(), what: `${body.state}:${body.box || ""}` };
  let answer = null;
  try {
    answer = await api(presenceOf(ref), { method: "PUT", body });
  } catch (error) {
    // Presence is a courtesy: a failed heartbeat is tried again with the next one, except for a
    // ticket that is gone or an agent who is signed out (their page says so itself).
    if (error.status === 401 || error.status === 404) {
      if (onTicket === ref) onTicket = null;
      return;
    }
  }
  if (onTicket !== ref) return;
  if (answer) {
    draw(answer.others || []);
    lookSoon(answer.others || []);
  }
  timer = setTimeout(heartbeat, REFRESH_MS);
}

function leave() {
  const ref = onTicket;
  clearTimeout(timer);
  clearTimeout(lookTimer);
  onTicket = null;
  lastTyped = { at: 0, box: null };
  draw([]);
  if (ref) api(presenceOf(ref), { method: "DELETE", keepalive: true }).catch(() => {});
}

function typed(box) {
  if (!onTicket) return;
  lastTyped = { at: Date.now(), box };
  const { state } = whatToSay();
  const changed = lastSaid.what !== `${state}:${box}`;
  if (changed || Date.now() - lastSaid.at >= TYPING_EVERY_MS) heartbeat();
}

// The agent opened ticket `ref`: the console is on it from now on (and on no other).
export function showPresence(ref) {
  if (onTicket === ref) return;
  if (onTicket) leave();
  onTicket = ref;
  draw([]);
  heartbeat();
}

export function setUpPresence() {
  const line = byId("ticket-presence");
  line.setAttribute("aria-live", "polite");
  for (const [id, box] of Object.entries(BOXES)) byId(id).addEventListener("input", () => typed(box));
  window.addEventListener("hashchange", () => {
    const page = currentPage();
    if (onTicket && (page.name !== "ticket" || page.ref !== onTicket)) leave();
  });
  window.addEventListener("pagehide", leave);
  // Back from the browser's page cache: on the ticket again.
  window.addEventListener("pageshow", (event) => {
    const page = currentPage();
    if (event.persisted && page.name === "ticket") showPresence(page.ref);
  });
}
