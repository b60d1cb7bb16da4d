// Signing in and out, and what an error does to the session: a 401 (token revoked or mistyped)
// asks for the token again; any other error is shown in the message line.
//
// One sign-in serves every tab of the browser: the token stays in each tab's sessionStorage (never
// on disk), and the tabs of the console share it over a BroadcastChannel, which only pages of the
// same origin can join. A tab opened without a token asks the others and takes the answer; a tab
// waiting on the sign-in form signs in when another does; signing out (or a revoked token) signs out
// every tab that used that token. When the last tab closes, the token is gone.

import { ApiError, api, forgetToken, rememberToken, token } from "./api.js";
import { showAvailability } from "./away.js";
import { forgetDirectory } from "./directory.js";
import { byId } from "./dom.js";
import { flash, showView } from "./page.js";

let signedInAgent = null;
// How long a new tab waits for another tab to hand it the token before it shows the sign-in form.
const ASK_OTHER_TABS_MS = 300;
const tabs = "BroadcastChannel" in window ? new BroadcastChannel("postdesk.session") : null;
// What to do once signed in by another tab (set by setUpSession: show what the address says).
let signedInElsewhere = () => {};

export function currentAgent() {
  return signedInAgent;
}

async function signIn(candidate) {
  const me = await api("me", { asToken: candidate });
  rememberToken(candidate);
  signedInAgent = me;
  byId("who").textContent = `${me.name || me.email} (${me.role})`;
  showAvailability(me);
  byId("account").hidden = false;
  // Reports are for admins (the API refuses the others; the view says so if its address is opened).
  byId("reports-link").hidden = me.role !== "admin";
  // Webhooks too: the page says so to an agent who opens its address.
  byId("webhooks-link").hidden = me.role !== "admin";
  // Only the local stack has an outbox (a deployed desk's mail goes out through SES).
  api("outbox").then(
    () => { byId("outbox-link").hidden = false; },
    () => { byId("outbox-link").hidden = true; },
  );
}

// The token of another open tab of the console, or "" when none answers in time.
function tokenFromOtherTabs() {
  if (!tabs) return Promise.resolve("");
  return new Promise((resolve) => {
    const answered = (event) => {
      if (event.data && event.data.kind === "token" && event.data.token) finish(event.data.token);
    };
    const finish = (value) => {
      clearTimeout(timer);
      tabs.removeEventListener("message", answered);
      resolve(value);
    };
    const timer = setTimeout(() => finish(""), ASK_OTHER_TABS_MS);
    tabs.addEventListener("message", answered);
    tabs.postMessage({ kind: "who-has-the-token" });
  });
}

function listenToOtherTabs() {
  if (!tabs) return;
  tabs.addEventListener("message", (event) => {
    const message = event.data || {};
    if (message.kind === "who-has-the-token" && signedInAgent && token()) {
      tabs.postMessage({ kind: "token", token: token() });
    } else if (message.kind === "signed-in" && !signedInAgent && message.token) {
      // This tab waits on the sign-in form: the agent just signed in elsewhere.
      if (byId("sign-in-view").hidden) return;
      rememberToken(message.token);
      signedInElsewhere();
    } else if (message.kind === "signed-out" && message.token && message.token === token()) {
      signOut(message.reason || "You signed out in another tab.", { tellOtherTabs: false });
    }
  });
}

// The address stays as it is: once the token is given, the agent lands where the link pointed
// (a ticket opened in a new tab, a shared search).
function signOut(message, { tellOtherTabs = true } = {}) {
  const ended = token();
  if (tabs && tellOtherTabs && ended) tabs.postMessage({ kind: "signed-out", token: ended, reason: message });
  forgetToken();
  signedInAgent = null;
  forgetDirectory();
  byId("account").hidden = true;
  byId("token").value = "";
  const error = byId("sign-in-error");
  error.textContent = message || "";
  error.hidden = !message;
  flash("");
  showView("sign-in-view");
  document.title = "Sign in · Postdesk";
  byId("token").focus();
}

// True when a token is kept and the desk took it; otherwise the sign-in form shows.
export async function ensureSignedIn() {
  if (!token()) {
    const shared = await tokenFromOtherTabs();
    if (shared) rememberToken(shared);
  }
  if (!token()) {
    signOut();
    return false;
  }
  if (!signedInAgent) await signIn(token());
  return true;
}

// The API's 401 speaks to programs ("send your API token as ..."); agents read these instead.
const TOKEN_REFUSED = "That token was not accepted: it may be mistyped, or revoked. Ask an admin for a new one.";
const SIGNED_OUT = "Your sign-in is no longer valid (the token was revoked or replaced): sign in again.";

export function reportError(error) {
  if (error instanceof ApiError && error.status === 401) {
    signOut(SIGNED_OUT);
    return;
  }
  flash(error instanceof Error ? error.message : String(error));
}

export function setUpSession(afterSignIn) {
  byId("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const candidate = byId("token").value.trim();
    const error = byId("sign-in-error");
    if (!candidate) {
      error.textContent = "Enter your API token.";
      error.hidden = false;
      return;
    }
    try {
      await signIn(candidate);
    } catch (failure) {
      error.textContent = failure instanceof ApiError && failure.status === 401 ? TOKEN_REFUSED : failure.message;
      error.hidden = false;
      byId("token").focus();
      return;
    }
    error.hidden = true;
    if (tabs) tabs.postMessage({ kind: "signed-in", token: candidate });
    afterSignIn();
  });
  byId("sign-out").addEventListener("click", () => signOut());
  signedInElsewhere = afterSignIn;
  listenToOtherTabs();
}
