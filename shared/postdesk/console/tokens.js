// The API tokens page (admins, #/tokens): the tokens programs use the desk's API with, each with
// its name, owner, scope, expiry and last use (GET /tokens). "Create a token" names it, chooses the
// agent it acts as, its scope and how long it lasts (POST /tokens); the token is shown this once with
// a Copy button. "Revoke…" asks in a dialog, then ends it at once (DELETE /tokens/{key_id}).
//
// Agents see the page's refusal. Every value from the API reaches the page as text.

import { api } from "./api.js";
import { agents as deskAgents } from "./directory.js";
import { byId, copyShownSecret, el } from "./dom.js";
import { when } from "./format.js";
import { showView } from "./page.js";
import { currentAgent, isAdmin, reportError } from "./session.js";

let tokens = [];
let loadNumber = 0;
// The token the dialog asks to revoke.
let revoking = null;

const SCOPE_WORDS = { read: "Read", write: "Write", admin: "Admin" };

function owner(token) {
  return token.agent ?? token.owner ?? token.email ?? "";
}

function tokenName(token) {
  return token.name || token.key_id;
}

function say(message, { problem = false } = {}) {
  const line = byId("tokens-status");
  line.textContent = message || "";
  line.hidden = !message;
  line.className = problem ? "error" : "notice-ok";
  line.setAttribute("role", problem ? "alert" : "status");
}

// ---- the list ----

function expiry(token) {
  if (!token.expires_at) return "Never";
  const text = when(token.expires_at);
  return new Date(token.expires_at) <= new Date() ? `Expired ${text}` : text;
}

function cell(label, ...content) {
  return el("td", { dataset: { label } }, ...content);
}

function tokenRow(token) {
  const name = tokenName(token);
  return el(
    "tr",
    { dataset: { keyId: token.key_id } },
    el("th", { scope: "row", dataset: { label: "Name" } }, name),
    cell("Acts as", owner(token)),
    cell("Scope", SCOPE_WORDS[token.scope] || token.scope || ""),
    cell("Expires", expiry(token)),
    cell("Last used", token.last_used_at ? when(token.last_used_at) : "Never"),
    cell("Made", [when(token.created_at), token.created_by ? ` by ${token.created_by}` : ""].join("")),
    cell("Actions", el("button", { type: "button", className: "danger", dataset: { action: "revoke", keyId: token.key_id }, "aria-haspopup": "dialog", "aria-label": `Revoke ${name}…` }, "Revoke…")),
  );
}

function drawList() {
  const list = byId("tokens-list");
  if (!tokens.length) {
    list.replaceChildren(el("p", { className: "report-empty card" }, "No API tokens. Create one for a program that needs the desk's API."));
    return;
  }
  const heads = ["Name", "Acts as", "Scope", "Expires", "Last used", "Made", "Actions"];
  list.replaceChildren(el(
    "table",
    { className: "admin-table", "aria-labelledby": "tokens-title" },
    el("thead", {}, el("tr", {}, ...heads.map((head) => el("th", { scope: "col" }, head)))),
    el("tbody", {}, ...tokens.map(tokenRow)),
  ));
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
  byId("token-secret-what").textContent = `The token "${tokenName(created)}" (${SCOPE_WORDS[created.scope] || created.scope}, acting as ${owner(created)}). Copy it now: the desk keeps only a hash of it and cannot show it again.`;
  byId("token-secret-value").value = created.token;
  byId("token-secret-copied").textContent = "";
  const box = byId("token-secret");
  box.hidden = false;
  box.focus();
}

function hideSecret() {
  byId("token-secret-value").value = "";
  byId("token-secret").hidden = true;
}

// ---- the form ----

function formError(message) {
  const line = byId("token-form-error");
  line.textContent = message || "";
  line.hidden = !message;
}

async function openForm() {
  hideSecret();
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

function revokeError(message) {
  const line = byId("token-revoke-error");
  line.textContent = message || "";
  line.hidden = !message;
}

function askToRevoke(keyId) {
  const token = tokens.find((each) => each.key_id === keyId);
  if (!token) return;
  revoking = token;
  revokeError("");
  byId("token-revoke-title").textContent = `Revoke the token ${tokenName(token)}?`;
  byId("token-revoke-what").textContent = `A program using it (acting as ${owner(token)}) is refused from its next request. A revoked token cannot be brought back: the program would need a new one.`;
  byId("token-revoke-dialog").showModal();
  byId("token-revoke-cancel").focus();
}

async function revoke() {
  const token = revoking;
  if (!token) return;
  const button = byId("token-revoke-confirm");
  button.disabled = true;
  try {
    await api(`tokens/${encodeURIComponent(token.key_id)}`, { method: "DELETE" });
  } catch (failure) {
    if (failure?.status === 401) {
      revoking = null;
      byId("token-revoke-dialog").close();
      throw failure;
    }
    revokeError(failure.message);
    return;
  } finally {
    button.disabled = false;
  }
  revoking = null;
  byId("token-revoke-dialog").close();
  await loadList();
  say(`The token "${tokenName(token)}" is revoked: a program using it is refused from now on.`);
  byId("tokens-status").focus();
}

// ---- the page ----

export async function showTokens() {
  showView("tokens-view");
  document.title = "API tokens · Postdesk";
  const admin = isAdmin();
  byId("tokens-refused").hidden = admin;
  byId("tokens-body").hidden = !admin;
  byId("token-create-open").hidden = !admin;
  if (!admin) return;
  say("");
  hideSecret();
  byId("token-form").hidden = true;
  await loadList();
}

export function setUpTokens() {
  byId("token-create-open").addEventListener("click", () => openForm().catch(reportError));
  byId("token-form-cancel").addEventListener("click", closeForm);
  byId("token-form").addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeForm();
  });
  byId("token-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = byId("token-form-save");
    button.disabled = true;
    formError("");
    try {
      await saveForm();
    } catch (failure) {
      if (failure?.status === 401) reportError(failure);
      else formError(failure.message);
    } finally {
      button.disabled = false;
    }
  });
  byId("token-secret-copy").addEventListener("click", () =>
    copyShownSecret(byId("token-secret-value"), byId("token-secret-copied"), "token").catch(reportError),
  );
  byId("token-secret-done").addEventListener("click", () => {
    hideSecret();
    byId("tokens-title").focus();
  });
  byId("tokens-list").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action=revoke]");
    if (button) askToRevoke(button.dataset.keyId);
  });
  byId("token-revoke-form").addEventListener("submit", (event) => {
    event.preventDefault();
    revoke().catch(reportError);
  });
  byId("token-revoke-cancel").addEventListener("click", () => byId("token-revoke-dialog").close());
  byId("token-revoke-dialog").addEventListener("close", () => {
    if (!revoking) return;
    // Cancelled: the focus goes back to the token's button.
    const opener = byId("tokens-list").querySelector(`button[data-action="revoke"][data-key-id="${CSS.escape(revoking.key_id)}"]`);
    revoking = null;
    if (opener) opener.focus();
  });
}
