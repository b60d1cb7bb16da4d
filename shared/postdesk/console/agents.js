// The Agents page (admins, #/agents): every agent (GET /agents?all=true), with their role, queues,
// whether they are active, have two-step sign-in on and have signed in yet. "Invite an agent" sends
// a temporary password by mail (POST /agents); each agent's role, name and queues can be changed
// (PUT /agents/{email}), the account deactivated or reactivated, and an agent who never signed in
// sent a new invitation (POST /agents/{email}/invitation).
//
// Deactivating asks first in a dialog: it ends the agent's sessions and deletes their API tokens,
// which reactivating does not bring back. The dialog offers to put their open tickets back
// (release_tickets: unassigned, and given by the queue's assignment rule where one is set).
//
// Agents see the page's refusal (the API refuses them too). Every value from the API reaches the
// page as text.

import { runConfirmed, showAdminView, wireAdminForm } from "./admin.js";
import { api } from "./api.js";
import { confirmDialog } from "./dialogs.js";
import { forgetDirectory, queues as deskQueues } from "./directory.js";
import { drawAdminList, byId, el, labelledCell, redrawKeepingFocus, showMessage, showStatus } from "./dom.js";
import { counted, when } from "./format.js";
import { currentAgent, reportError } from "./session.js";

let agents = [];
// The agent the form edits (null: the form invites one).
let editing = null;
let loadNumber = 0;
// The agent the dialog asks to deactivate, and the dialog (dialogs.js), built when the view is set up.
let deactivating = null;
let confirmation = null;

const ROLE_WORDS = { agent: "Agent", admin: "Admin" };

// An address as a path segment: what RFC 3986 allows there as it is ("@", "+", …) stays as it is,
// since the local server hands path parameters over without decoding them.
function pathSegment(text) {
  return encodeURIComponent(text).replace(/%(40|2B|21|24|26|27|28|29|2A|2C|3B|3D|3A)/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}

function agentPath(agent) {
  return `agents/${pathSegment(agent.email)}`;
}

function displayName(agent) {
  return agent.name || agent.email;
}

// Fields the API may leave out: an agent made before accounts were is active, and its other facts
// are unknown rather than false.
function isActive(agent) {
  return agent.active !== false;
}

function twoStepOn(agent) {
  return agent.two_step ?? agent.two_step_enabled ?? agent.mfa ?? null;
}

function lastSignIn(agent) {
  return agent.last_signed_in_at ?? agent.signed_in_at ?? null;
}

// The account's state in the user pool (GET /agents?all=true): "invited" (no sign-in yet),
// "active", "disabled", or "none" (an agent with API tokens only, made before people signed in).
function hasSignedIn(agent) {
  if (typeof agent.signed_in === "boolean") return agent.signed_in;
  if (agent.account) return agent.account === "active" || agent.account === "disabled";
  return Boolean(lastSignIn(agent));
}

function signedInText(agent) {
  if (agent.account === "none") return "No account yet (API tokens only)";
  if (agent.account === "disabled") return "Account turned off";
  if (!hasSignedIn(agent)) return "Not yet";
  return lastSignIn(agent) ? `Yes, last ${when(lastSignIn(agent))}` : "Yes";
}

function queuesText(agent) {
  if (agent.role === "admin") return "Every queue (admin)";
  if (agent.queues === null || agent.queues === undefined || agent.every_queue) return "Every queue";
  return agent.queues.length ? agent.queues.join(", ") : "None";
}

// ---- the status line ----

function say(message, { problem = false } = {}) {
  showStatus("agents-status", message, { problem });
}

// ---- the list ----

function agentRow(agent) {
  const name = displayName(agent);
  const me = currentAgent()?.email === agent.email;
  const active = isActive(agent);
  const twoStep = twoStepOn(agent);
  const signedIn = hasSignedIn(agent);
  const actions = [
    el("button", { type: "button", dataset: { action: "edit", email: agent.email }, "aria-controls": "agent-form", "aria-label": `Change ${name}` }, "Change"),
  ];
  // An admin does not lock themselves out: their own account is deactivated by another admin.
  if (!me) {
    actions.push(active
      ? el("button", { type: "button", className: "danger", dataset: { action: "deactivate", email: agent.email }, "aria-haspopup": "dialog", "aria-label": `Deactivate ${name}…` }, "Deactivate…")
      : el("button", { type: "button", dataset: { action: "reactivate", email: agent.email }, "aria-label": `Reactivate ${name}` }, "Reactivate"));
  }
  if (active && !signedIn) {
    actions.push(el("button", { type: "button", dataset: { action: "invite-again", email: agent.email }, "aria-label": `Send a new invitation to ${name}` }, "Send a new invitation"));
  }
  return el(
    "tr",
    { className: active ? "" : "inactive", dataset: { email: agent.email } },
    el("th", { scope: "row", dataset: { label: "Name" } }, name, me ? el("span", { className: "hint" }, " (you)") : null),
    labelledCell("Email", agent.email),
    labelledCell("Role", ROLE_WORDS[agent.role] || agent.role),
    labelledCell("Queues", queuesText(agent)),
    labelledCell("Active", active ? "Yes" : "No: deactivated"),
    labelledCell("Two-step", twoStep === null ? "Not known" : twoStep ? "On" : "Off"),
    labelledCell("Signed in", signedInText(agent)),
    labelledCell("Actions", el("div", { className: "row-actions" }, ...actions)),
  );
}

function drawList() {
  drawAdminList(byId("agents-list"), {
    empty: "No agents yet.",
    heads: ["Name", "Email", "Role", "Queues", "Active", "Two-step", "Signed in", "Actions"],
    rows: agents.map(agentRow),
    labelledBy: "agents-title",
  });
}

async function loadList() {
  const load = ++loadNumber;
  const answer = await api("agents?all=true");
  if (load !== loadNumber) return;
  // The active ones first, by name; the deactivated after them, greyed.
  agents = [...(answer.agents || [])].sort((a, b) => Number(!isActive(a)) - Number(!isActive(b)) || displayName(a).localeCompare(displayName(b)));
  redrawKeepingFocus(byId("agents-list"), "email", drawList);
}

function findAgent(email) {
  return agents.find((agent) => agent.email === email) || null;
}

// ---- the form: invite, or change one agent ----

function formError(message) {
  showMessage("agent-form-error", message);
}

async function drawQueueChoices(chosen) {
  const known = (await deskQueues()).map((queue) => queue.name);
  const names = [...new Set([...known, ...chosen])];
  byId("agent-queue-list").replaceChildren(...names.map((name, index) => el(
    "div",
    { className: "choice" },
    el("input", { type: "checkbox", id: `agent-queue-${index}`, value: name, checked: chosen.includes(name) }),
    el("label", { for: `agent-queue-${index}` }, name),
  )));
}

function showQueueList() {
  byId("agent-queue-list").hidden = !byId("agent-queues-chosen").checked;
}

async function openForm(agent) {
  editing = agent;
  const form = byId("agent-form");
  form.reset();
  formError("");
  byId("agent-form-title").textContent = agent ? `Change ${displayName(agent)}` : "Invite an agent";
  byId("agent-form-save").textContent = agent ? "Save" : "Send the invitation";
  byId("agent-email-field").hidden = Boolean(agent);
  byId("agent-name").value = agent ? agent.name || "" : "";
  byId(agent?.role === "admin" ? "agent-role-admin" : "agent-role-agent").checked = true;
  // An admin keeps their own admin role (the API refuses it too): another admin can take it.
  const ownAdmin = Boolean(agent) && agent.role === "admin" && currentAgent()?.email === agent.email;
  byId("agent-role-agent").disabled = ownAdmin;
  byId("agent-role-own").hidden = !ownAdmin;
  const everyQueue = !agent || agent.queues === null || agent.queues === undefined || agent.every_queue;
  byId(everyQueue ? "agent-queues-all" : "agent-queues-chosen").checked = true;
  await drawQueueChoices(everyQueue ? [] : agent.queues);
  showQueueList();
  form.hidden = false;
  byId("agent-invite-open").setAttribute("aria-expanded", "true");
  byId(agent ? "agent-name" : "agent-email").focus();
}

function closeForm() {
  const opener = editing ? byId("agents-list").querySelector(`button[data-action="edit"][data-email="${CSS.escape(editing.email)}"]`) : byId("agent-invite-open");
  editing = null;
  byId("agent-form").hidden = true;
  byId("agent-invite-open").setAttribute("aria-expanded", "false");
  if (opener) opener.focus();
}

function chosenQueues() {
  if (byId("agent-queues-all").checked) return null;
  return [...byId("agent-queue-list").querySelectorAll("input:checked")].map((box) => box.value);
}

async function saveForm() {
  const name = byId("agent-name").value.trim();
  const role = byId("agent-role-admin").checked ? "admin" : "agent";
  const queues = chosenQueues();
  // An agent of no queue would see no ticket at all: say so before anything is sent.
  if (queues && !queues.length && role === "agent") {
    formError("Tick at least one queue, or choose Every queue: an agent of no queue sees no ticket.");
    (byId("agent-queue-list").querySelector("input") || byId("agent-queues-chosen")).focus();
    return;
  }
  if (!editing) {
    const email = byId("agent-email").value.trim();
    if (!email || !email.includes("@")) {
      formError("Enter the agent's email address.");
      byId("agent-email").focus();
      return;
    }
    if (!name) {
      formError("Enter the agent's name: it signs their replies.");
      byId("agent-name").focus();
      return;
    }
    let answer;
    try {
      answer = await api("agents", { method: "POST", body: { email, name, role, queues } });
    } catch (failure) {
      // Already an agent: the way to mail them a password again is on their row, not in this form.
      if (failure?.status !== 409) throw failure;
      formError(`${email} is already an agent. To mail them a new temporary password, use "Send a new invitation" on their row (until they first sign in); after that, they can reset their password from the sign-in page.`);
      byId("agent-email").focus();
      return;
    }
    forgetDirectory();
    byId("agent-form").hidden = true;
    byId("agent-invite-open").setAttribute("aria-expanded", "false");
    await loadList();
    // The mail may not have gone out (a suppressed address, too many mails): the desk's words say so.
    if (answer.mail === "sent") say(`${name} is invited: the desk mailed ${email} a temporary password, which their first sign-in replaces.`);
    else say(`${name} is invited, but: ${answer.message}`, { problem: answer.mail !== "already_sent" });
    byId("agents-status").focus();
    return;
  }
  if (!name) {
    formError("The name cannot be empty: it signs their replies.");
    byId("agent-name").focus();
    return;
  }
  const body = { name, role, queues };
  const agent = editing;
  await api(agentPath(agent), { method: "PUT", body });
  forgetDirectory();
  closeForm();
  await loadList();
  say(`${name}: saved.`);
}

// ---- the rows' actions ----

async function act(action, agent) {
  const name = displayName(agent);
  if (action === "edit") {
    await openForm(agent);
  } else if (action === "deactivate") {
    askToDeactivate(agent);
  } else if (action === "reactivate") {
    await api(agentPath(agent), { method: "PUT", body: { active: true } });
    forgetDirectory();
    await loadList();
    say(`${name} is active again and can sign in.`);
  } else if (action === "invite-again") {
    const answer = await api(`${agentPath(agent)}/invitation`, { method: "POST", body: {} });
    await loadList();
    if (answer.mail === "sent") say(`The desk mailed ${agent.email} a new temporary password; the one before no longer works.`);
    else say(answer.message, { problem: answer.mail !== "already_sent" });
  }
}

// ---- deactivating, after the dialog ----

function askToDeactivate(agent) {
  deactivating = agent;
  confirmation.ask({
    heading: `Deactivate ${displayName(agent)}?`,
    words: `${agent.email} is signed out of every browser at once and cannot sign in, and every API token acting as them is deleted. Reactivate brings the account back, not the tokens. The tickets assigned to them stay theirs until someone reassigns them, unless you put them back here.`,
    button: "Deactivate",
  });
  byId("agent-deactivate-release").checked = false;
}

// What became of the open tickets put back, in words: "3 open tickets put back: 2 given to others
// by their queue's rule, 1 left unassigned." with a link to the unassigned ones.
function releasedWords(released) {
  if (!released.length) return ["They had no open tickets to put back."];
  const given = released.filter((ticket) => ticket.assignee).length;
  const left = released.length - given;
  const parts = [];
  if (given) parts.push(`${given} given to others by their queue’s assignment rule`);
  if (left) parts.push(`${left} left unassigned`);
  const words = `${counted(released.length, "open ticket")} put back: ${parts.join(", ")}. `;
  return left ? [words, el("a", { href: "?view=unassigned#/" }, "The unassigned tickets")] : [words];
}

async function deactivate() {
  const agent = deactivating;
  if (!agent) return;
  // Once done (or the session over) the dialog closes without giving the focus back to the button.
  deactivating = null;
  const release = byId("agent-deactivate-release").checked;
  const body = release ? { active: false, release_tickets: true } : { active: false };
  let answer = null;
  if (!(await runConfirmed(confirmation, async () => { answer = await api(agentPath(agent), { method: "PUT", body }); }))) {
    deactivating = agent;
    return;
  }
  forgetDirectory();
  await loadList();
  say(`${displayName(agent)} is deactivated: their sessions ended and their API tokens are deleted. Reactivate brings the account back, not the tokens. `);
  if (release) byId("agents-status").append(...releasedWords(answer?.released_tickets || []));
  // Their tickets stay assigned to them: the list of those still open, to give them to others.
  else byId("agents-status").append(el("a", { href: `?assignee=${encodeURIComponent(agent.email)}#/` }, "Their open tickets"));
  byId("agents-status").focus();
}

function deactivateClosed() {
  if (!deactivating) return;
  // Cancelled: the focus goes back to the agent's button.
  const opener = byId("agents-list").querySelector(`button[data-action="deactivate"][data-email="${CSS.escape(deactivating.email)}"]`);
  deactivating = null;
  if (opener) opener.focus();
}

// ---- the page ----

export async function showAgents() {
  const admin = showAdminView("agents", "Agents · Postdesk");
  byId("agent-invite-open").hidden = !admin;
  if (!admin) return;
  say("");
  byId("agent-form").hidden = true;
  editing = null;
  await loadList();
}

export function setUpAgents() {
  wireAdminForm("agent-form", { opener: "agent-invite-open", open: () => openForm(null), close: closeForm, save: saveForm, error: formError });
  for (const id of ["agent-queues-all", "agent-queues-chosen"]) byId(id).addEventListener("change", showQueueList);
  confirmation = confirmDialog("agent-deactivate", { confirm: deactivate, closed: deactivateClosed });
  byId("agent-deactivate-error").before(el(
    "div",
    { className: "field check" },
    el("input", { id: "agent-deactivate-release", type: "checkbox" }),
    el("label", { for: "agent-deactivate-release" }, "Put their open tickets back: unassign them, and give them to others by the queue’s assignment rule where one is set"),
  ));
  byId("agents-list").addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const agent = findAgent(button.dataset.email);
    if (!agent) return;
    button.disabled = true;
    try {
      await act(button.dataset.action, agent);
    } catch (failure) {
      if (failure?.status === 401) reportError(failure);
      else say(failure.message, { problem: true });
    } finally {
      button.disabled = false;
    }
  });
}
