// The API tokens page (admins, #/tokens): the tokens programs use the desk's API with, each with
// its name, owner, scope, expiry and last use (GET /tokens). "Create a token" names it, chooses the
// agent it acts as, its scope and how long it lasts (POST /tokens); the token is shown this once with
// a Copy button. "Revoke…" asks in a dialog, then ends it at once (DELETE /tokens/{key_id}).
//
// Agents see the page's refusal. Every value from the API reaches the page as text.

import { hideSecret, runConfirmed, showAdminView, showSecretOnce, wireAdminForm, wireSecretBox } from "./admin.js";
import { api } from "./api.js";
import { confirmDialog } from "./dialogs.js";
import { agents as deskAgents } from "./directory.js";
import { drawAdminList, byId, el, labelledCell, showMessage, showStatus } from "./dom.js";
import { when } from "./format.js";
import { currentAgent } from "./session.js";

let tokens = [];
let loadNumber = 0;
// The token the dialog asks to revoke, and the dialog (dialogs.js), built when the view is set up.
let revoking = null;
let confirmation = null;

const SCOPE_WORDS = { read: "Read", write: "Write", admin: "Admin" };

function owner(token) {
  return token.agent ?? token.owner ?? token.email ?? "";
}

function tokenName(token) {
  return token.name || token.key_id;
}

function say(message, { problem = false } = {}) {
  showStatus("tokens-status", message, { problem });
}

// ---- the list ----

function expiry(token) {
  if (!token.expires_at) return "Never";
  const text = when(token.expires_at);
  return new Date(token.expires_at) <= new Date() ? `Expired ${text}` : text;
}

function tokenRow(token) {
  const name = tokenName(token);
  return el(
    "tr",
    { dataset: { keyId: token.key_id } },
    el("th", { scope: "row", dataset: { label: "Name" } }, name),
    labelledCell("Acts as", owner(token)),
    labelledCell("Scope", SCOPE_WORDS[token.scope] || token.scope || ""),
    labelledCell("Expires", expiry(token)),
    labelledCell("Last used", token.last_used_at ? when(token.last_used_at) : "Never"),
    labelledCell("Made", [when(token.created_at), token.created_by ? ` by ${token.created_by}` : ""].join("")),
    labelledCell("Actions", el("button", { type: "button", className: "danger", dataset: { action: "revoke", keyId: token.key_id }, "aria-haspopup": "dialog", "aria-label": `Revoke ${name}…` }, "Revoke…")),
  );
}

function drawList() {
  drawAdminList(byId("tokens-list"), {
    empty: "No API tokens. Create one for a program that needs the desk's API.",
    heads: ["Name", "Acts as", "Scope", "Expires", "Last used", "Made", "Actions"],
    rows: tokens.map(tokenRow),
    labelledBy: "tokens-title",
  });
}

async function loadList() {
  const load = ++loadNumber;
  const answer = await api("tokens");
  if (load !== loadNumber) return;
  tokens = answer.tokens || [];
  drawList();
}

// ---- the secret, shown once ----

function showSecret(created) {
  showSecretOnce(
    "token-secret",
    created.token,
    `The token "${tokenName(created)}" (${SCOPE_WORDS[created.scope] || created.scope}, acting as ${owner(created)}). Copy it now: the desk keeps only a hash of it and cannot show it again.`,
  );
}

// ---- the form ----

function formError(message) {
  showMessage("token-form-error", message);
}

async function openForm() {
  hideSecret("token-secret");
  const form = byId("token-form");
  form.reset();
  formError("");
  const me = currentAgent();
  const people = (await deskAgents()).filter((agent) => agent.active !== false);
  if (me && !people.some((agent) => agent.email === me.email)) people.unshift(me);
  byId("token-owner").replaceChildren(...people.map((agent) => el(
    "option",
    { value: agent.email, selected: agent.email === me?.email },
    `${agent.name || agent.email} (${agent.email}, ${agent.role})`,
  )));
  form.hidden = false;
  byId("token-create-open").setAttribute("aria-expanded", "true");
  byId("token-name").focus();
}

function closeForm() {
  byId("token-form").hidden = true;
  byId("token-create-open").setAttribute("aria-expanded", "false");
  byId("token-create-open").focus();
}

async function saveForm() {
  const name = byId("token-name").value.trim();
  if (!name) {
    formError("Name the token after what uses it.");
    byId("token-name").focus();
    return;
  }
  const days = Number(byId("token-expires").value);
  if (!Number.isInteger(days) || days < 1 || days > 365) {
    formError("A token lasts 1 to 365 days.");
    byId("token-expires").focus();
    return;
  }
  const created = await api("tokens", {
    method: "POST",
    body: { name, scope: byId("token-scope").value, expires_days: days, agent: byId("token-owner").value },
  });
  byId("token-form").hidden = true;
  byId("token-create-open").setAttribute("aria-expanded", "false");
  await loadList();
  showSecret({ name, scope: byId("token-scope").value, agent: byId("token-owner").value, ...created });
}

// ---- revoking, after the dialog ----

function askToRevoke(keyId) {
  const token = tokens.find((each) => each.key_id === keyId);
  if (!token) return;
  revoking = token;
  confirmation.ask({
    heading: `Revoke the token ${tokenName(token)}?`,
    words: `A program using it (acting as ${owner(token)}) is refused from its next request. A revoked token cannot be brought back: the program would need a new one.`,
    button: "Revoke",
  });
}

async function revoke() {
  const token = revoking;
  if (!token) return;
  // Once done (or the session over) the dialog closes without giving the focus back to the button.
  revoking = null;
  if (!(await runConfirmed(confirmation, () => api(`tokens/${encodeURIComponent(token.key_id)}`, { method: "DELETE" })))) {
    revoking = token;
    return;
  }
  await loadList();
  say(`The token "${tokenName(token)}" is revoked: a program using it is refused from now on.`);
  byId("tokens-status").focus();
}

function revokeClosed() {
  if (!revoking) return;
  // Cancelled: the focus goes back to the token's button.
  const opener = byId("tokens-list").querySelector(`button[data-action="revoke"][data-key-id="${CSS.escape(revoking.key_id)}"]`);
  revoking = null;
  if (opener) opener.focus();
}

// ---- the page ----

export async function showTokens() {
  const admin = showAdminView("tokens", "API tokens · Postdesk");
  byId("token-create-open").hidden = !admin;
  if (!admin) return;
  say("");
  hideSecret("token-secret");
  byId("token-form").hidden = true;
  await loadList();
}

export function setUpTokens() {
  wireAdminForm("token-form", { opener: "token-create-open", open: openForm, close: closeForm, save: saveForm, error: formError });
  wireSecretBox("token-secret", { what: "token", back: "tokens-title" });
  byId("tokens-list").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action=revoke]");
    if (button) askToRevoke(button.dataset.keyId);
  });
  confirmation = confirmDialog("token-revoke", { confirm: revoke, closed: revokeClosed });
}
