// The page's frame: which view shows, the one message line above it, and the account bar's menus.

import { byId, showMessage } from "./dom.js";

const VIEWS = ["sign-in-view", "queue-view", "ticket-view", "outbox-view", "reports-view", "signature-view", "notifications-view", "saved-replies-view", "knowledge-view", "new-ticket-view", "webhooks-view", "agents-view", "tokens-view", "audit-view", "two-step-view"];

export function showView(id) {
  for (const view of VIEWS) byId(view).hidden = view !== id;
}

export function shownView() {
  return VIEWS.find((view) => !byId(view).hidden) || null;
}

// A message for the view the next move of the address shows (the router shows it there, once): what
// an action that leaves its view did ("Deleted …" after the ticket it was on is gone).
// `done`: what went as asked ("Deleted …"), shown as done, not as a problem.
let forNextView = { message: "", done: false };

export function flashAfterMove(message, { done = false } = {}) {
  forNextView = { message: message || "", done };
}

export function takeMessageForView() {
  const taken = forNextView;
  forNextView = { message: "", done: false };
  return taken;
}

// The line above the view: a problem (red), or with `done` what an action did (green).
export function flash(message, { done = false } = {}) {
  byId("flash").classList.toggle("done", done);
  showMessage("flash", message);
}

// The account bar's two disclosures: "Menu" holds the whole bar on a phone (app.css shows it there
// only), "Your account" the agent's own pages, the list of keys and "Sign out everywhere" on a wide
// screen. Each is a
// button with aria-expanded; Esc closes it (the focus back on its button), and so do a click
// elsewhere and a move to another page.
export function setUpAccountMenu() {
  const nav = byId("account");
  const menus = [
    { button: byId("account-menu-button"), openClass: "menu-open" },
    { button: byId("account-more-button"), openClass: "more-open" },
  ];
  const setOpen = (menu, open) => {
    nav.classList.toggle(menu.openClass, open);
    menu.button.setAttribute("aria-expanded", String(open));
  };
  const closeAll = () => menus.forEach((menu) => setOpen(menu, false));
  for (const menu of menus) {
    menu.button.addEventListener("click", () => setOpen(menu, menu.button.getAttribute("aria-expanded") !== "true"));
  }
  nav.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const open = [...menus].reverse().find((menu) => menu.button.getAttribute("aria-expanded") === "true");
    if (!open) return;
    event.stopPropagation();
    setOpen(open, false);
    open.button.focus();
  });
  // A click in a dialog opened from a menu (the list of keys) leaves it open: the dialog gives the
  // focus back to the menu's button.
  document.addEventListener("click", (event) => {
    if (!nav.contains(event.target) && !event.target.closest("dialog")) closeAll();
  });
  window.addEventListener("hashchange", closeAll);
  // A page or a sign-out chosen closes the menus; the list of keys is a dialog that gives the focus
  // back to its button, so that menu stays open under it.
  nav.addEventListener("click", (event) => {
    if (event.target.closest("#account-menu a, #sign-out, #sign-out-everywhere")) closeAll();
  });
}
