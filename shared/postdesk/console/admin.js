// What the admins' views share (agents, API tokens, webhooks, reports, the access audit): the view
// itself or its refusal, the form that opens above the list, and the secret shown once.

import { byId, copyShownSecret } from "./dom.js";
import { showView } from "./page.js";
import { isAdmin, reportError } from "./session.js";

// The view shown: its body for an admin, its refusal for anyone else. Says whether the signed-in
// agent is an admin.
export function showAdminView(name, title) {
  showView(`${name}-view`);
  document.title = title;
  const admin = isAdmin();
  byId(`${name}-refused`).hidden = admin;
  byId(`${name}-body`).hidden = !admin;
  return admin;
}

// The form `name` (inviting an agent, creating a token), opened by the button `opener`, closed by its
// Cancel or Esc. While `save` runs its save button is disabled; what the desk refuses shows through
// `error`, its error line.
export function wireAdminForm(name, { opener, open, close, save, error }) {
  const form = byId(name);
  byId(opener).addEventListener("click", () => open().catch(reportError));
  byId(`${name}-cancel`).addEventListener("click", close);
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = byId(`${name}-save`);
    button.disabled = true;
    error("");
    try {
      await save();
    } catch (failure) {
      if (failure?.status === 401) reportError(failure);
      else error(failure.message);
    } finally {
      button.disabled = false;
    }
  });
}

// A secret the desk shows this once (a webhook's signing secret, a new API token) in the box `name`
// (its `-what`, `-value`, `-copied`, `-copy` and `-done` parts), until the admin says it is saved.
export function showSecretOnce(name, secret, words) {
  byId(`${name}-what`).textContent = words;
  byId(`${name}-value`).value = secret;
  byId(`${name}-copied`).textContent = "";
  const box = byId(name);
  box.hidden = false;
  box.focus();
}

export function hideSecret(name) {
  byId(`${name}-value`).value = "";
  byId(name).hidden = true;
}

// Copy puts the secret (`what`, in the words said when the browser refuses) on the clipboard; Done
// hides it, the focus going to `back`.
export function wireSecretBox(name, { what, back }) {
  byId(`${name}-copy`).addEventListener("click", () =>
    copyShownSecret(byId(`${name}-value`), byId(`${name}-copied`), what).catch(reportError),
  );
  byId(`${name}-done`).addEventListener("click", () => {
    hideSecret(name);
    byId(back).focus();
  });
}

// The action a confirmation dialog (dialogs.js) asked about, its button disabled while it runs:
// done, the dialog closes and this says true; refused, the API's words stay in the dialog (false);
// the session over, the dialog closes and the 401 goes on to the sign-in form.
export async function runConfirmed(confirmation, action) {
  const button = confirmation.button;
  button.disabled = true;
  try {
    await action();
  } catch (failure) {
    if (failure?.status === 401) {
      confirmation.close();
      throw failure;
    }
    confirmation.error(failure.message);
    return false;
  } finally {
    button.disabled = false;
  }
  confirmation.close();
  return true;
}
