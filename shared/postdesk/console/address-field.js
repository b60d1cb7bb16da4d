// A list of email addresses as chips: each address with its remove button, and a box to add more
// (Enter, a comma, a semicolon, a space or leaving the box adds what was typed; a pasted list adds
// every address in it). The reply box's Cc and Bcc, the ticket's Cc and Bcc editor and the new
// ticket's Bcc use it. What is not an address stays in the box, said next to it, and is never sent.

import { el, removableTag, showMessage } from "./dom.js";

// What the desk takes as an address (mail/recipients.py: something@somewhere, no spaces); the desk
// checks again and says why it refuses one.
const ADDRESS = /^[^@\s]+@[^@\s]+$/;
const SEPARATORS = /[\s,;]+/;

// `id`: the prefix of the field's element ids; `label`: "Cc", "Bcc"; `onChange(addresses)` is
// called whenever the list changes. Returns the field's element and what its owner asks of it.
export function addressField({ id, label, onChange = () => {} }) {
  let addresses = [];
  const list = el("ul", { className: "tags address-chips", id: `${id}-list`, "aria-label": `${label} addresses` });
  const input = el("input", {
    id: `${id}-input`,
    // Text, not "email": the browser's own check would stop the form with its bubble; this field
    // says what is wrong in words next to it.
    type: "text",
    inputmode: "email",
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": `${id}-error`,
  });
  const error = el("p", { className: "error", id: `${id}-error`, role: "alert", hidden: true });
  const element = el(
    "div",
    { className: "address-field", id, role: "group", "aria-labelledby": `${id}-label` },
    el("label", { className: "recipient-label", id: `${id}-label`, for: `${id}-input` }, label),
    el("div", { className: "address-box" }, list, input),
    error,
  );

  function say(message) {
    showMessage(error, message);
    input.setAttribute("aria-invalid", message ? "true" : "false");
  }

  function draw() {
    list.replaceChildren(
      ...addresses.map((address) => removableTag(address, `Remove ${label} ${address}`, { address })),
    );
    input.placeholder = addresses.length ? "" : `Add ${label}`;
  }

  // Adds what the box holds; true when all of it was an address (what was not stays in the box).
  function commit() {
    const words = input.value.split(SEPARATORS).map((word) => word.trim()).filter(Boolean);
    const refused = words.filter((word) => !ADDRESS.test(word));
    const fresh = words
      .filter((word) => ADDRESS.test(word))
      .map((word) => word.toLowerCase())
      .filter((address, index, all) => !addresses.includes(address) && all.indexOf(address) === index);
    if (fresh.length) {
      addresses = [...addresses, ...fresh];
      draw();
      onChange(addresses);
    }
    input.value = refused.join(" ");
    say(refused.length ? `${refused[0]} is not an email address (${label}).` : "");
    return refused.length === 0;
  }

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === "," || event.key === ";") {
      // Enter adds the address rather than sending the form.
      event.preventDefault();
      commit();
    } else if (event.key === "Backspace" && !input.value && addresses.length) {
      // Backspace in the empty box takes the last address back into it, as mail clients do.
      input.value = addresses[addresses.length - 1];
      addresses = addresses.slice(0, -1);
      draw();
      onChange(addresses);
    }
  });
  input.addEventListener("input", () => {
    say("");
    // A pasted or typed separator (a comma, a semicolon, a space: no address has one) ends an address.
    if (/[\s,;]/.test(input.value) && input.value.trim()) commit();
  });
  input.addEventListener("blur", (event) => {
    // Leaving for a button (Send, Save) leaves the text for that button to read: a chip drawn now
    // would move the button away from under the pointer before the click lands.
    if (event.relatedTarget && event.relatedTarget.closest("button")) return;
    if (input.value.trim()) commit();
  });
  list.addEventListener("click", (event) => {
    const button = event.target.closest("button.tag-remove");
    if (!button) return;
    const index = addresses.indexOf(button.dataset.address);
    if (index < 0) return;
    addresses = addresses.filter((address) => address !== button.dataset.address);
    draw();
    onChange(addresses);
    // The focus goes to the next address's button, or the box when none is left after it.
    const buttons = list.querySelectorAll("button.tag-remove");
    (buttons[index] || buttons[index - 1] || input).focus();
  });
  draw();

  return {
    element,
    input,
    // The addresses, what is typed and not yet added included (null when some of it is no address).
    read() {
      return input.value.trim() && !commit() ? null : [...addresses];
    },
    // What the list holds now (what is typed but not added left out).
    current() {
      return [...addresses];
    },
    // How many addresses the field counts, those typed but not yet added too (for the counter).
    count() {
      const typed = input.value.split(SEPARATORS).filter((word) => ADDRESS.test(word.trim()));
      return addresses.length + typed.filter((word) => !addresses.includes(word.trim().toLowerCase())).length;
    },
    set(values) {
      addresses = [...(values || [])];
      input.value = "";
      say("");
      draw();
    },
    error: say,
    focus() {
      input.focus();
    },
  };
}
