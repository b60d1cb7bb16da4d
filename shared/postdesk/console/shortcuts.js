// Single-key shortcuts: each view registers its own keys (list.js: / j k Enter; ticket.js: r n),
// and "?" (or "Keyboard shortcuts" in the top bar) shows the keys of every view, listed from what
// was registered, so the list never says more or less than what works.
//
// A key never fires while the agent types in a field, while a dialog is open, or with Ctrl, Alt or
// the Command key held. An agent whose screen reader or speech input uses single keys can turn the
// shortcuts off in the same dialog (WCAG 2.1.4); the choice is kept in this browser.

import { byId, el } from "./dom.js";
import { shownView } from "./page.js";

const OFF_KEY = "postdesk.shortcuts";
const registered = [];
let enabled = true;

export function isTypingIn(target) {
  return target instanceof Element && (target.closest("input, textarea, select") !== null || target.isContentEditable);
}

// An element that answers Enter itself (a link, a button, a summary): its own action wins.
export function isActionable(target) {
  return target instanceof Element && target.closest("a[href], button, summary, input, select, textarea, dialog") !== null;
}

function shortcutsOn() {
  try {
    return localStorage.getItem(OFF_KEY) !== "off";
  } catch {
    return true;
  }
}

function rememberShortcutsOn(on) {
  try {
    if (on) localStorage.removeItem(OFF_KEY);
    else localStorage.setItem(OFF_KEY, "off");
  } catch {
    // Storage refused (a private window's policy): the choice holds until the page is reloaded.
  }
  enabled = on;
}

// onKey("j", { view: "queue-view", keys: "j", what: "Next ticket" }, handler). `handler(event)`
// returns false when it did nothing with the key (then the browser's own action stays).
export function onKey(key, { view, keys = key, what, group }, handler) {
  registered.push({ key, view, keys, what, group, handler });
}

function anyDialogOpen() {
  return document.querySelector("dialog[open]") !== null;
}

function onKeydown(event) {
  if (!enabled || event.defaultPrevented || event.isComposing) return;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (isTypingIn(event.target) || anyDialogOpen()) return;
  const view = shownView();
  for (const shortcut of registered) {
    if (shortcut.key !== event.key || (shortcut.view && shortcut.view !== view)) continue;
    if (shortcut.handler(event) === false) continue;
    event.preventDefault();
    return;
  }
}

function helpRows() {
  const groups = new Map();
  for (const shortcut of registered) {
    if (!shortcut.what) continue;
    if (!groups.has(shortcut.group)) groups.set(shortcut.group, []);
    groups.get(shortcut.group).push(shortcut);
  }
  return [...groups].map(([group, shortcuts]) =>
    el(
      "section",
      { className: "shortcut-group" },
      el("h3", {}, group),
      el(
        "dl",
        { className: "shortcut-list" },
        shortcuts.flatMap((shortcut) => [
          el("dt", {}, ...shortcut.keys.split(" ").map((part) => el("kbd", {}, part))),
          el("dd", {}, shortcut.what),
        ]),
      ),
    ),
  );
}

// What had the focus when the list of keys opened: it gets it back when the list closes.
let openedFrom = null;

export function showShortcuts() {
  const dialog = byId("shortcuts-dialog");
  byId("shortcuts-groups").replaceChildren(...helpRows());
  byId("shortcuts-on").checked = enabled;
  if (!dialog.open) {
    openedFrom = document.activeElement;
    dialog.showModal();
  }
}

// The browser gives the focus back to what had it, unless that was replaced meanwhile (the list
// re-rendered): then the focus would stay on a control of the closed dialog, where Enter and the
// shortcuts do nothing. Back to the opener if it is still there and shown (a menu of the account
// bar may have closed), else to the page.
function focusAfterClose() {
  const dialog = byId("shortcuts-dialog");
  if (!dialog.contains(document.activeElement)) return;
  if (openedFrom && openedFrom.isConnected && openedFrom !== document.body && openedFrom.checkVisibility()) openedFrom.focus();
  else document.activeElement.blur();
  openedFrom = null;
}

export function setUpShortcuts() {
  enabled = shortcutsOn();
  onKey("?", { keys: "?", what: "Show this list", group: "Anywhere" }, () => {
    // Not on the sign-in form: the keys are the signed-in console's.
    if (shownView() === "sign-in-view" || shownView() === null) return false;
    showShortcuts();
    return true;
  });
  document.addEventListener("keydown", onKeydown);
  byId("shortcuts-button").addEventListener("click", showShortcuts);
  byId("shortcuts-on").addEventListener("change", (event) => rememberShortcutsOn(event.target.checked));
  byId("shortcuts-close").addEventListener("click", () => byId("shortcuts-dialog").close());
  byId("shortcuts-dialog").addEventListener("close", focusAfterClose);
  // A click on the backdrop (outside the dialog's box) closes it, as Esc does.
  byId("shortcuts-dialog").addEventListener("click", (event) => {
    if (event.target === event.currentTarget) event.currentTarget.close();
  });
}
