// The console's dialogs. Each has a form (`${name}-form`) whose submit does the dialog's action and a
// Cancel button (`${name}-cancel`); when it closes, however it closes (Cancel, Esc, done), the focus
// goes back where the dialog's module says.

import { byId, el, showMessage } from "./dom.js";
import { reportError } from "./session.js";

// `submit` runs on the form's submit (its action's button, or Enter in a field); `closed` once the
// dialog closes; `backdropCloses`: a click outside the dialog's box closes it too, as Esc does.
export function wireDialog(name, { id = `${name}-dialog`, submit, closed, backdropCloses = false }) {
  const dialog = byId(id);
  byId(`${name}-form`).addEventListener("submit", (event) => {
    event.preventDefault();
    submit().catch(reportError);
  });
  byId(`${name}-cancel`).addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", closed);
  if (backdropCloses) {
    dialog.addEventListener("click", (event) => {
      if (event.target === event.currentTarget) dialog.close();
    });
  }
  return dialog;
}

// The quiet button on a message that opens a dialog about it (forward it, split it off): `open` gets
// the button, where the focus goes back to.
export function dialogButton(label, open) {
  const button = el("button", { type: "button", className: "quiet", "aria-haspopup": "dialog" }, label);
  button.addEventListener("click", () => open(button));
  return button;
}

// A dialog that asks before an action that cannot be taken back (deleting a webhook, a saved reply or
// an article, revoking an API token, a webhook's new secret): a title, what the action does, an error
// line, then Cancel and the action. Built here, in `parent`, with its ids from its name
// (`${name}-title`, `-what`, `-error`, `-confirm` besides the form's and Cancel's).
export function confirmDialog(name, { id = `${name}-dialog`, parent = document.body, confirm, closed }) {
  const title = el("h2", { id: `${name}-title` });
  const what = el("p", { id: `${name}-what` });
  const error = el("p", { id: `${name}-error`, className: "error", role: "alert", hidden: true });
  const cancel = el("button", { type: "button", id: `${name}-cancel` }, "Cancel");
  const action = el("button", { type: "submit", className: "danger", id: `${name}-confirm` });
  parent.append(el(
    "dialog",
    { id, className: "dialog", "aria-labelledby": title.id, "aria-describedby": what.id },
    el(
      "form",
      { id: `${name}-form`, className: "dialog-body", novalidate: true },
      title,
      what,
      error,
      el("div", { className: "dialog-buttons" }, cancel, action),
    ),
  ));
  const dialog = wireDialog(name, { id, submit: confirm, closed });
  return {
    // The safe choice has the focus: Enter on an opened dialog does nothing it cannot undo.
    ask({ heading, words, button = "Delete", className = "danger" }) {
      showMessage(error, "");
      title.textContent = heading;
      what.textContent = words;
      action.textContent = button;
      action.className = className;
      dialog.showModal();
      cancel.focus();
    },
    error: (message) => showMessage(error, message),
    button: action,
    close: () => dialog.close(),
  };
}
