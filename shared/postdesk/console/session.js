// Signing in and out, and what an error does to the session: a 401 (the session ended) shows the
// sign-in form again; any other error is shown in the message line.
//
// The agent signs in with their email and password (POST /session), and then does what the desk
// asks next: a new password on the first sign-in, the code of their authenticator app, or (an admin
// without one) setting the app up. The desk then sets an HttpOnly session cookie that every tab of
// this browser sends, so a new tab only asks GET /session who is signed in. The address is never
// touched: a link to a ticket or a search opened signed out shows the form, then what it pointed at.
//
// Tabs tell each other over a BroadcastChannel (only pages of the same origin can join) that someone
// signed in or out, so a tab waiting on the form goes on and a tab of a session that ended asks
// again at once; nothing secret is ever in a message.

import { ApiError, api, forgetCsrfToken, rememberCsrfToken } from "./api.js";
import { showAvailability } from "./away.js";
import { forgetDirectory } from "./directory.js";
import { byId, showMessage } from "./dom.js";
import { flash, showView } from "./page.js";
import { qrSvg } from "./qr-code.js";

let signedInAgent = null;
const tabs = "BroadcastChannel" in window ? new BroadcastChannel("postdesk.session") : null;
// What to do once signed in (set by setUpSession: show what the address says).
let afterSignIn = () => {};
// The step the desk asked for: { email, challenge } while the sign-in goes on.
let pending = null;

// The forms of the sign-in page, one shown at a time.
const STEPS = ["sign-in-form", "new-password-form", "totp-setup-form", "code-form", "reset-request-form", "reset-confirm-form"];
const STEP_TITLES = {
  "sign-in-form": "Sign in",
  "new-password-form": "Choose your password",
  "totp-setup-form": "Set up two-step sign-in",
  "code-form": "Enter your code",
  "reset-request-form": "Reset your password",
  "reset-confirm-form": "Set a new password",
};
// Where the focus goes when a step shows.
const FIRST_FIELDS = {
  "sign-in-form": "sign-in-email",
  "new-password-form": "new-password",
  "totp-setup-form": "totp-setup-code",
  "code-form": "sign-in-code",
  "reset-request-form": "reset-email",
  "reset-confirm-form": "reset-code",
};

export function currentAgent() {
  return signedInAgent;
}

export function isAdmin() {
  return signedInAgent?.role === "admin";
}

// ---- the signed-in agent in the header ----

async function becomeSignedIn() {
  const me = await api("me");
  signedInAgent = me;
  byId("who").textContent = `${me.name || me.email} (${me.role})`;
  showAvailability(me);
  byId("account").hidden = false;
  // Admins' pages (the API refuses the others; each page says so if its address is opened).
  for (const id of ["reports-link", "webhooks-link", "agents-link", "tokens-link", "audit-link"]) {
    byId(id).hidden = me.role !== "admin";
  }
  // Only the local stack has an outbox (a deployed desk's mail goes out through SES).
  api("outbox").then(
    () => { byId("outbox-link").hidden = false; },
    () => { byId("outbox-link").hidden = true; },
  );
}

// ---- the sign-in page ----

function say(message) {
  showMessage("sign-in-error", message);
}

function notice(message) {
  showMessage("sign-in-notice", message);
}

function showStep(step, { error = "", note = "" } = {}) {
  for (const id of STEPS) byId(id).hidden = id !== step;
  byId("sign-in-title").textContent = STEP_TITLES[step];
  byId("sign-in-restart").hidden = step === "sign-in-form";
  say(error);
  notice(note);
  document.title = `${STEP_TITLES[step]} · Postdesk`;
  byId(FIRST_FIELDS[step]).focus();
}

function clearFields() {
  for (const form of STEPS) byId(form).reset();
  byId("totp-setup-secret").textContent = "";
  byId("totp-setup-qr").replaceChildren();
  byId("totp-setup-link").removeAttribute("href");
}

// The sign-in form, with `message` saying why when the agent did not ask for it.
function showSignIn(message = "", { keepEmail = "" } = {}) {
  signedInAgent = null;
  pending = null;
  forgetCsrfToken();
  forgetDirectory();
  byId("account").hidden = true;
  clearFields();
  if (keepEmail) byId("sign-in-email").value = keepEmail;
  flash("");
  showView("sign-in-view");
  showStep("sign-in-form", { error: message });
  if (keepEmail) byId("sign-in-password").focus();
}

// "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP": easier to read and type into an app.
function inFours(secret) {
  return (secret || "").replace(/\s+/g, "").match(/.{1,4}/g)?.join(" ") || "";
}

// The key as a QR code for the app's camera, as text in groups of four, and as an otpauth:// link.
export function showTotpKey(prefix, answer) {
  // Only an otpauth:// address becomes a link (never javascript: or the like, whoever answered).
  const uri = /^otpauth:\/\//i.test(answer.otpauth_uri || "") ? answer.otpauth_uri : "";
  const code = uri ? qrSvg(uri, "QR code of the key, for the authenticator app's camera") : null;
  byId(`${prefix}-qr`).replaceChildren(...(code ? [code] : []));
  byId(`${prefix}-qr`).hidden = !code;
  byId(`${prefix}-secret`).textContent = inFours(answer.secret);
  if (uri) byId(`${prefix}-link`).href = uri;
  else byId(`${prefix}-link`).removeAttribute("href");
}

function showTotpSetup(answer) {
  showTotpKey("totp-setup", answer);
  showStep("totp-setup-form");
}

// What the desk answered to POST /session: signed in, or the next step.
async function follow(answer, email) {
  if (answer.signed_in) {
    pending = null;
    rememberCsrfToken(answer.csrf_token);
    clearFields();
    await becomeSignedIn();
    if (tabs) tabs.postMessage({ kind: "signed-in" });
    afterSignIn();
    return;
  }
  pending = { email, challenge: answer.challenge };
  if (answer.next === "new_password") showStep("new-password-form");
  else if (answer.next === "totp_setup") showTotpSetup(answer);
  else if (answer.next === "code") showStep("code-form");
  else showStep("sign-in-form", { error: answer.message || "The desk asked for a step this console does not know." });
}

// A refusal in the desk's words (a throttled sign-in's say when to try again).
function refusalWords(failure) {
  return failure instanceof Error ? failure.message : String(failure);
}

async function sendStep(body, button) {
  button.disabled = true;
  say("");
  try {
    const email = body.email;
    await follow(await api("session", { method: "POST", body }), email);
  } catch (failure) {
    say(refusalWords(failure));
    // A step the desk no longer knows (it lasts five minutes): back to the start, the email kept.
    if (failure instanceof ApiError && pending && /start again|expired|sign in again/i.test(failure.message)) {
      const email = pending.email;
      showSignIn(failure.message, { keepEmail: email });
    }
  } finally {
    button.disabled = false;
  }
}

function submitted(formId, handler) {
  byId(formId).addEventListener("submit", (event) => {
    event.preventDefault();
    handler(event.submitter || byId(formId).querySelector("button[type=submit]"));
  });
}

function twoPasswords(first, second) {
  const password = byId(first).value;
  if (!password) return { problem: "Enter the new password." };
  if (password !== byId(second).value) return { problem: "The two passwords are not the same: type the new one twice." };
  return { password };
}

function sixDigits(id) {
  const code = byId(id).value.replace(/\s+/g, "");
  return /^\d{6}$/.test(code) ? code : "";
}

function wireForms() {
  submitted("sign-in-form", (button) => {
    const email = byId("sign-in-email").value.trim();
    const password = byId("sign-in-password").value;
    if (!email || !password) {
      say(!email ? "Enter your email address." : "Enter your password.");
      byId(!email ? "sign-in-email" : "sign-in-password").focus();
      return;
    }
    sendStep({ email, password }, button);
  });
  submitted("new-password-form", (button) => {
    const { password, problem } = twoPasswords("new-password", "new-password-again");
    if (problem) {
      say(problem);
      byId("new-password").focus();
      return;
    }
    sendStep({ email: pending.email, challenge: pending.challenge, new_password: password }, button);
  });
  for (const [formId, field] of [["totp-setup-form", "totp-setup-code"], ["code-form", "sign-in-code"]]) {
    submitted(formId, (button) => {
      const code = sixDigits(field);
      if (!code) {
        say("Enter the 6 digits your authenticator app shows now.");
        byId(field).focus();
        return;
      }
      sendStep({ email: pending.email, challenge: pending.challenge, code }, button);
    });
  }
  byId("forgot-password").addEventListener("click", () => {
    const email = byId("sign-in-email").value.trim();
    pending = null;
    showStep("reset-request-form");
    if (email) byId("reset-email").value = email;
  });
  submitted("reset-request-form", async (button) => {
    const email = byId("reset-email").value.trim();
    if (!email) {
      say("Enter your email address.");
      byId("reset-email").focus();
      return;
    }
    button.disabled = true;
    try {
      await api("session/password-reset", { method: "POST", body: { email } });
      showStep("reset-confirm-form", {
        note: `If ${email} is an agent's address, the desk mailed a code to it. It is good for 15 minutes.`,
      });
      byId("reset-confirm-form").dataset.email = email;
    } catch (failure) {
      say(refusalWords(failure));
    } finally {
      button.disabled = false;
    }
  });
  submitted("reset-confirm-form", async (button) => {
    const email = byId("reset-confirm-form").dataset.email || "";
    const code = byId("reset-code").value.replace(/\s+/g, "");
    if (!code) {
      say("Enter the code from the mail.");
      byId("reset-code").focus();
      return;
    }
    const { password, problem } = twoPasswords("reset-password", "reset-password-again");
    if (problem) {
      say(problem);
      byId("reset-password").focus();
      return;
    }
    button.disabled = true;
    try {
      await api("session/password-reset/confirm", { method: "POST", body: { email, code, new_password: password } });
      showSignIn("", { keepEmail: email });
      notice("Your new password is set, and every session you had has ended. Sign in with it.");
    } catch (failure) {
      say(refusalWords(failure));
    } finally {
      button.disabled = false;
    }
  });
  byId("sign-in-restart").addEventListener("click", () => {
    const email = pending?.email || byId("reset-email").value.trim() || "";
    showSignIn("", { keepEmail: email });
  });
}

// ---- the session ----

// True once a session serves this tab; otherwise the sign-in form shows (the address kept).
export async function ensureSignedIn() {
  if (signedInAgent) return true;
  // The form is up mid-step (a new password, a code): a move of the address does not restart it.
  if (pending && !byId("sign-in-view").hidden) return false;
  let session;
  try {
    session = await api("session");
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 401) {
      // Already on the form (the session ended a moment ago): its words and what was typed stay.
      if (byId("sign-in-view").hidden) showSignIn();
      return false;
    }
    throw failure;
  }
  rememberCsrfToken(session.csrf_token);
  await becomeSignedIn();
  return true;
}

const SESSION_ENDED = "Your session has ended (you signed out elsewhere, it expired, or an admin ended it): sign in again.";
const SIGNED_OUT_ELSEWHERE = "You signed out in another tab.";

export function reportError(error) {
  if (error instanceof ApiError && error.status === 401) {
    // Several requests can find out at once: the form shows once, with what was typed kept.
    if (!signedInAgent && !byId("sign-in-view").hidden) return;
    showSignIn(SESSION_ENDED, { keepEmail: signedInAgent?.email || "" });
    return;
  }
  flash(error instanceof Error ? error.message : String(error));
}

async function signOut({ everywhere = false } = {}) {
  const email = signedInAgent?.email || "";
  try {
    await api(everywhere ? "session?everywhere=true" : "session", { method: "DELETE" });
  } catch (failure) {
    // Already over (a 401): signed out all the same. Anything else: the session may still stand.
    if (!(failure instanceof ApiError && failure.status === 401)) {
      flash(`Not signed out: ${failure.message}`);
      return;
    }
  }
  if (tabs) tabs.postMessage({ kind: "signed-out" });
  showSignIn("", { keepEmail: email });
  notice(everywhere
    ? "You are signed out everywhere: every browser and device that was signed in as you must sign in again."
    : "You are signed out.");
}

function listenToOtherTabs() {
  if (!tabs) return;
  tabs.addEventListener("message", (event) => {
    const message = event.data || {};
    if (message.kind === "signed-in" && !signedInAgent && !pending && !byId("sign-in-view").hidden) {
      // This tab waits on the sign-in form: the agent just signed in in another tab.
      afterSignIn();
    } else if (message.kind === "signed-out" && signedInAgent) {
      showSignIn(SIGNED_OUT_ELSEWHERE, { keepEmail: signedInAgent.email });
    }
  });
}

// "Sign in with <provider>" only where the desk offers single sign-on (GET /session/options). The
// button leaves the page for the provider and comes back signed in to the address the agent was on:
// the link is made at the click, so it carries the console's current #address (a deep link).
async function offerSingleSignOn() {
  let options;
  try {
    options = await api("session/options");
  } catch {
    return; // the password form is always there
  }
  if (!options?.sso) return;
  const link = byId("sso-sign-in-link");
  link.textContent = `Sign in with ${options.sso_provider || "single sign-on"}`;
  const base = new URL(location.pathname.replace(/console\/?$/, ""), location.origin);
  const aim = () => {
    const returnTo = `/console${location.search}${location.hash}`;
    link.href = new URL(`session/sso?return_to=${encodeURIComponent(returnTo)}`, base).href;
  };
  aim();
  link.addEventListener("click", aim);
  link.addEventListener("focus", aim);
  byId("sso-sign-in").hidden = false;
}

export function setUpSession(onSignIn) {
  afterSignIn = onSignIn;
  wireForms();
  offerSingleSignOn();
  byId("sign-out").addEventListener("click", () => signOut());
  byId("sign-out-everywhere").addEventListener("click", () => signOut({ everywhere: true }));
  listenToOtherTabs();
}
