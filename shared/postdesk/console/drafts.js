// Drafts: what an agent wrote in a ticket's reply or note box and has not sent, kept in this
// browser's localStorage so that a reload, a closed tab or signing out and in again loses nothing.
// Each draft is stored under the agent's address and the ticket's reference: on a browser agents
// share, one agent's draft is never shown to another. A draft goes when it is sent, when its box
// is emptied, and after 30 days unsent.

const PREFIX = "postdesk.draft:";
const KEEP_DAYS = 30;
const KEEP_MS = KEEP_DAYS * 24 * 60 * 60 * 1000;

// One key per agent, ticket and box (reply or note); JSON keeps any character of an address apart.
function draftKey(agent, ref, box) {
  return PREFIX + JSON.stringify([agent.toLowerCase(), ref, box]);
}

// localStorage can refuse (full, or turned off for the site): a draft is then only on screen.
function stored(action) {
  try {
    return action();
  } catch {
    return null;
  }
}

// { text, saved_at, …extra } or null when there is none (or it is too old to keep).
export function readDraft(agent, ref, box) {
  if (!agent || !ref) return null;
  const text = stored(() => localStorage.getItem(draftKey(agent, ref, box)));
  if (!text) return null;
  let draft;
  try {
    draft = JSON.parse(text);
  } catch {
    draft = null;
  }
  if (!draft || typeof draft.text !== "string" || !isFresh(draft.saved_at)) {
    dropDraft(agent, ref, box);
    return null;
  }
  return draft;
}

// Keeps `text` (with `extra`, such as the saved reply it came from) as the box's draft; an empty
// box has none. True when the browser kept it.
export function keepDraft(agent, ref, box, text, extra = {}) {
  if (!agent || !ref) return false;
  if (!text.trim()) {
    dropDraft(agent, ref, box);
    return false;
  }
  const draft = JSON.stringify({ ...extra, text, saved_at: new Date().toISOString() });
  return stored(() => {
    localStorage.setItem(draftKey(agent, ref, box), draft);
    return true;
  }) === true;
}

export function dropDraft(agent, ref, box) {
  if (!agent || !ref) return;
  stored(() => localStorage.removeItem(draftKey(agent, ref, box)));
}

function isFresh(savedAt) {
  const at = Date.parse(savedAt || "");
  return Number.isFinite(at) && Date.now() - at < KEEP_MS;
}

// Drafts of any agent left unsent for 30 days, and entries that are not drafts, go (at sign-in).
export function dropStaleDrafts() {
  const keys = stored(() => Array.from({ length: localStorage.length }, (_, index) => localStorage.key(index))) || [];
  for (const key of keys) {
    if (!key || !key.startsWith(PREFIX)) continue;
    let draft = null;
    try {
      draft = JSON.parse(stored(() => localStorage.getItem(key)) || "null");
    } catch {
      draft = null;
    }
    if (!draft || !isFresh(draft.saved_at)) stored(() => localStorage.removeItem(key));
  }
}
