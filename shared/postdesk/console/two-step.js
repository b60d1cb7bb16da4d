// "Two-step sign-in" (#/two-step, every agent): whether signing in asks for a code from an
// authenticator app besides the password (GET /me/two-step). An agent may turn it on (POST gives a
// key to add to the app, PUT with the app's code confirms it) or off (DELETE with the current
// password and the app's code, so nobody at an unattended browser can remove it); admins must keep
// it on, and the page says so.

import { api } from "./api.js";
import { byId, showMessage } from "./dom.js";
import { showView } from "./page.js";
import { isAdmin, reportError, showTotpKey } from "./session.js";

function say(id, message) {
  showMessage(id, message);
}

// Whether the desk requires it of this agent (admins): then it cannot be turned off here.
let required = false;

function drawState(enabled) {
  byId("two-step-state").textContent = enabled
    ? required
      ? "Two-step sign-in is on. Admins keep it on: it cannot be turned off."
      : "Two-step sign-in is on: signing in asks for a code from your app."
    : "Two-step sign-in is off: signing in takes your password only.";
  byId("two-step-start").hidden = enabled;
  byId("two-step-off").hidden = !enabled || required;
  byId("two-step-form").hidden = true;
  byId("two-step-off-form").hidden = true;
}

async function load() {
  const answer = await api("me/two-step");
  required = Boolean(answer.required ?? isAdmin());
  drawState(Boolean(answer.enabled));
}

export async function showTwoStep() {
  showView("two-step-view");
  document.title = "Two-step sign-in · Postdesk";
  say("two-step-status", "");
  say("two-step-error", "");
  await load();
}

async function failed(failure) {
  if (failure?.status === 401) reportError(failure);
  else say("two-step-error", failure.message);
}

export function setUpTwoStep() {
  byId("two-step-start").addEventListener("click", async () => {
    say("two-step-error", "");
    say("two-step-status", "");
    try {
      const answer = await api("me/two-step", { method: "POST", body: {} });
      showTotpKey("two-step", answer);
      byId("two-step-form").reset();
      byId("two-step-form").hidden = false;
      byId("two-step-start").hidden = true;
      byId("two-step-code").focus();
    } catch (failure) {
      await failed(failure);
    }
  });
  byId("two-step-cancel").addEventListener("click", () => {
    drawState(false);
    byId("two-step-start").focus();
  });
  byId("two-step-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = byId("two-step-code").value.replace(/\s+/g, "");
    if (!/^\d{6}$/.test(code)) {
      say("two-step-error", "Enter the 6 digits your authenticator app shows now.");
      byId("two-step-code").focus();
      return;
    }
    try {
      await api("me/two-step", { method: "PUT", body: { code } });
      say("two-step-error", "");
      drawState(true);
      say("two-step-status", "Two-step sign-in is on. From your next sign-in, the desk asks for the app's code.");
    } catch (failure) {
      await failed(failure);
      byId("two-step-code").focus();
    }
  });
  byId("two-step-off").addEventListener("click", () => {
    say("two-step-error", "");
    say("two-step-status", "");
    byId("two-step-off-form").reset();
    byId("two-step-off-form").hidden = false;
    byId("two-step-off").hidden = true;
    byId("two-step-off-password").focus();
  });
  byId("two-step-off-cancel").addEventListener("click", () => {
    say("two-step-error", "");
    drawState(true);
    byId("two-step-off").focus();
  });
  byId("two-step-off-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const password = byId("two-step-off-password").value;
    const code = byId("two-step-off-code").value.replace(/\s+/g, "");
    if (!password) {
      say("two-step-error", "Enter your password.");
      byId("two-step-off-password").focus();
      return;
    }
    if (!/^\d{6}$/.test(code)) {
      say("two-step-error", "Enter the 6 digits your authenticator app shows now.");
      byId("two-step-off-code").focus();
      return;
    }
    try {
      await api("me/two-step", { method: "DELETE", body: { password, code } });
      say("two-step-error", "");
      drawState(false);
      say("two-step-status", "Two-step sign-in is off.");
      byId("two-step-start").focus();
    } catch (failure) {
      byId("two-step-off-code").value = "";
      await failed(failure);
      byId(/password/i.test(failure?.message ?? "") ? "two-step-off-password" : "two-step-off-code").focus();
    }
  });
}
