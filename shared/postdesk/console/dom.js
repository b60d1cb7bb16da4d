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
