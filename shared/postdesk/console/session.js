// Signing in and out, and what an error does to the session: a 401 (token revoked or mistyped)
// asks for the token again; any other error is shown in the message line.

import { ApiError, api, forgetToken, rememberToken, token } from "./api.js";
import { forgetDirectory } from "./directory.js";
import { byId } from "./dom.js";
import { flash, showView } from "./page.js";

let signedInAgent = null;

export function currentAgent() {
  return signedInAgent;
}

async function signIn(candidate) {
  const me = await api("me", { asToken: candidate });
  rememberToken(candidate);
  signedInAgent = me;
  byId("who").textContent = `${me.name || me.email} (${me.role})`;
  byId("account").hidden = false;
  // Only the local stack has an outbox (a deployed desk's mail goes out through SES).
  api("outbox").then(
    () => { byId("outbox-link").hidden = false; },
    () => { byId("outbox-link").hidden = true; },
  );
}

// The address stays as it is: once the token is given, the agent lands where the link pointed
// (a ticket opened in a new tab, a shared search).
function signOut(message) {
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
    signOut();
    return false;
  }
  if (!signedInAgent) await signIn(token());
  return true;
}

export function reportError(error) {
  if (error instanceof ApiError && error.status === 401) {
    signOut(error.message);
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
      error.textContent = failure.message;
      error.hidden = false;
      byId("token").focus();
      return;
    }
    error.hidden = true;
    afterSignIn();
  });
  byId("sign-out").addEventListener("click", () => signOut());
}
