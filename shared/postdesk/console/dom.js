// Building the page from data without ever reading data as markup: every string becomes a text
// node or an attribute value, so a subject such as "<img onerror=…>" shows as those characters.

export const byId = (id) => document.getElementById(id);

// el("a", { href, className: "ref" }, "K7Q2-M9XD"): attributes set one by one, children appended as
// nodes (strings as text nodes); null, undefined and false leave an attribute or a child out.
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "className") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// A search passage as the API gives it ([{text, match}, …]): the matched words in <mark> elements,
// the rest as text. The API splits the passage so that no part is ever taken for markup.
export function highlighted(parts) {
  return (parts || []).map((part) => (part.match ? el("mark", {}, part.text) : document.createTextNode(part.text)));
}

// Select `value` in a <select>, adding an option for it first when the list has none (a link may
// carry an agent who left, or a status list typed by hand): what the URL asks for is what shows.
export function chooseOption(select, value, label = value) {
  if (![...select.options].some((option) => option.value === value)) {
    select.append(el("option", { value }, label));
  }
  select.value = value;
}

// A secret shown once (an API token, a webhook's signing secret) copied from its read-only field to
// the clipboard; where the browser allows no clipboard (an http page, a refused permission) the field
// is selected for Ctrl+C instead. `status` says which happened; `what` names the secret in it.
export async function copyShownSecret(input, status, what) {
  try {
    await navigator.clipboard.writeText(input.value);
    status.textContent = "Copied to the clipboard.";
  } catch {
    input.focus();
    input.select();
    status.textContent = `The browser did not allow copying: the ${what} is selected, press Ctrl+C (⌘C on a Mac).`;
  }
}

// A message line (a form's error, a page's status), by id or itself: its words, and hidden while
// there are none.
export function showMessage(line, message) {
  if (typeof line === "string") line = byId(line);
  line.textContent = message || "";
  line.hidden = !message;
}

// A view's status line: what an action did, or (a problem) why it did not, then read out at once.
export function showStatus(id, message, { problem = false } = {}) {
  const line = byId(id);
  showMessage(line, message);
  line.className = problem ? "error" : "notice-ok";
  line.setAttribute("role", problem ? "alert" : "status");
}

// A field's own error line (its id and "-error"), the field marked invalid while it shows one.
export function showFieldError(fieldId, message) {
  const line = byId(`${fieldId}-error`);
  if (!line) return;
  showMessage(line, message);
  const field = byId(fieldId);
  if (message) field.setAttribute("aria-invalid", "true");
  else field.removeAttribute("aria-invalid");
}

// One of a list of tags or addresses being edited, with its × button (`dataset` tells the list's
// click handler which one it removes).
export function removableTag(text, removeLabel, dataset) {
  return el(
    "li",
    { className: "tag" },
    el("span", { className: "tag-name" }, text),
    el("button", { type: "button", className: "tag-remove", "aria-label": removeLabel, dataset }, "×"),
  );
}

// Draws a list again with the focus where it was: on the same action's button (data-action) of the
// same item (the data attribute `key`, a one-word name), when one of the list's buttons had it.
export function redrawKeepingFocus(list, key, draw) {
  const focused = document.activeElement;
  const keep = focused && list.contains(focused) && focused.dataset.action
    ? `button[data-action="${CSS.escape(focused.dataset.action)}"][data-${key}="${CSS.escape(focused.dataset[key])}"]`
    : null;
  draw();
  const again = keep && list.querySelector(keep);
  if (again) again.focus();
}

// A table cell that names its column: on a narrow screen each row shows as a card of labelled lines
// (the label is the cell's data-label, app.css).
export function labelledCell(label, ...content) {
  return el("td", { dataset: { label } }, ...content);
}

// An admin list (agents, API tokens, the audit) drawn in `list`: a table of its column heads and its
// rows, or the words `empty` when it has none.
export function drawAdminList(list, { empty, heads, rows, labelledBy, className = "admin-table" }) {
  if (!rows.length) {
    list.replaceChildren(el("p", { className: "report-empty card" }, empty));
    return;
  }
  list.replaceChildren(el(
    "table",
    { className, "aria-labelledby": labelledBy },
    el("thead", {}, el("tr", {}, ...heads.map((head) => el("th", { scope: "col" }, head)))),
    el("tbody", {}, ...rows),
  ));
}
