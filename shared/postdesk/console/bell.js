// The bell in the account bar: what the desk told the agent (GET /notifications, the same
// notifications it mails them), the unread count on the button, polled every minute while the tab is
// in sight (at once when it comes back), and a panel listing them. Opening one marks it read (POST
// /notifications/read) and goes to its ticket; "Mark all read" clears the count. The panel closes on
// Escape, a click elsewhere or a page chosen, and gives the focus back to the bell.

import { api } from "./api.js";
import { byId, el } from "./dom.js";
import { listTime, when } from "./format.js";
import { currentAgent } from "./session.js";

const POLL_MS = 60_000;
const PAGE_SIZE = 20;

let timer = null;
let nextCursor = null;
// The newest page as last read, so the panel opens on it without waiting.
let shown = [];
let unread = 0;

const button = () => byId("bell-button");
const panel = () => byId("bell-panel");
const isOpen = () => button().getAttribute("aria-expanded") === "true";

// Where a notification leads: its ticket, or the article's editor.
function target(item) {
  if (item.ref) return `#/tickets/${encodeURIComponent(item.ref)}`;
  if (item.article) {
    const language = item.article_language ? `/${encodeURIComponent(item.article_language)}` : "";
    return `#/knowledge/${encodeURIComponent(item.article)}${language}`;
  }
  return "#/";
}

function showCount(count) {
  unread = count;
  const badge = byId("bell-count");
  badge.hidden = count === 0;
  badge.textContent = count > 99 ? "99+" : String(count);
  byId("bell-label").textContent = count === 0 ? "Notifications" : `Notifications, ${count} unread`;
  const markAll = byId("bell-mark-all");
  const hadFocus = document.activeElement === markAll;
  markAll.disabled = count === 0;
  // A button that turns disabled drops the focus: it goes to the panel's heading instead.
  if (hadFocus && markAll.disabled) byId("bell-title").focus();
}

// The sentence with the ticket's reference kept on one line ("K7Q2-M9XD" never breaks at its dash).
function withRef(text, ref) {
  const at = ref ? text.indexOf(ref) : -1;
  if (at < 0) return text;
  return [text.slice(0, at), el("span", { className: "bell-ref" }, ref), text.slice(at + ref.length)];
}

function row(item) {
  const link = el(
    "a",
    { href: target(item), className: "bell-item", dataset: { id: item.id } },
    item.read ? null : el("span", { className: "visually-hidden" }, "Unread: "),
    el("span", { className: "bell-text" }, withRef(item.text, item.ref)),
    item.detail && item.kind === "mentioned" ? el("span", { className: "bell-detail" }, item.detail) : null,
    el("time", { className: "bell-time", datetime: item.at, title: when(item.at) }, listTime(item.at)),
  );
  link.addEventListener("click", () => {
    if (!item.read) markRead({ ids: [item.id] });
    close({ focusBell: false });
  });
  return el("li", { className: item.read ? "read" : "unread" }, link);
}

function draw(items, { append = false } = {}) {
  const list = byId("bell-list");
  if (!append) list.replaceChildren();
  list.append(...items.map(row));
  byId("bell-empty").hidden = list.children.length > 0;
  byId("bell-more").hidden = !nextCursor;
}

async function refresh() {
  if (!currentAgent()) return;
  try {
    const answer = await api(`notifications?limit=${PAGE_SIZE}`);
    shown = answer.notifications;
    nextCursor = answer.next_cursor;
    showCount(answer.unread);
    byId("bell-problem").hidden = true;
    if (isOpen()) draw(shown);
  } catch (error) {
    // A poll that fails says so in the panel only: the count stays as last read.
    byId("bell-problem").hidden = false;
  }
}

async function markRead(body) {
  try {
    const answer = await api("notifications/read", { method: "POST", body });
    showCount(answer.unread);
    if (body.all) {
      for (const item of byId("bell-list").querySelectorAll("li.unread")) {
        item.className = "read";
        item.querySelector(".visually-hidden")?.remove();
      }
      byId("bell-status").textContent = "All marked read.";
    }
  } catch (error) {
    byId("bell-problem").hidden = false;
  }
}

async function showOlder() {
  if (!nextCursor) return;
  try {
    const answer = await api(`notifications?limit=${PAGE_SIZE}&cursor=${encodeURIComponent(nextCursor)}`);
    nextCursor = answer.next_cursor;
    draw(answer.notifications, { append: true });
  } catch (error) {
    byId("bell-problem").hidden = false;
  }
}

function open() {
  // One panel at a time: an account menu left open closes (through its own button, page.js).
  for (const id of ["account-more-button", "account-menu-button"]) {
    if (byId(id).getAttribute("aria-expanded") === "true") byId(id).click();
  }
  button().setAttribute("aria-expanded", "true");
  panel().hidden = false;
  byId("bell-status").textContent = "";
  draw(shown);
  byId("bell-title").focus();
  refresh();
}

function close({ focusBell = true } = {}) {
  if (!isOpen()) return;
  button().setAttribute("aria-expanded", "false");
  panel().hidden = true;
  if (focusBell) button().focus();
}

function poll() {
  clearInterval(timer);
  timer = null;
  if (document.hidden || byId("account").hidden) return;
  refresh();
  timer = setInterval(refresh, POLL_MS);
}

export function setUpBell() {
  button().addEventListener("click", () => (isOpen() ? close() : open()));
  byId("bell-mark-all").addEventListener("click", () => markRead({ all: true }));
  byId("bell-more").addEventListener("click", showOlder);
  // Escape closes it wherever the focus is (a button just used, the page behind).
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !isOpen()) return;
    event.stopPropagation();
    close();
  }, true);
  document.addEventListener("click", (event) => {
    if (isOpen() && !event.target.closest("#bell")) close({ focusBell: false });
  });
  window.addEventListener("hashchange", () => close({ focusBell: false }));
  // Paused while the tab is out of sight; read again the moment it comes back.
  document.addEventListener("visibilitychange", poll);
  // The account bar shows once the agent is signed in (however: the form, a session kept, another
  // tab) and hides when they sign out: the bell starts and stops with it.
  new MutationObserver(() => {
    if (byId("account").hidden) {
      close({ focusBell: false });
      shown = [];
      nextCursor = null;
      showCount(0);
    }
    poll();
  }).observe(byId("account"), { attributes: true, attributeFilter: ["hidden"] });
  showCount(unread);
}
