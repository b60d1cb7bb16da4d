// "Your signature" (#/signature, from the account bar): the agent writes the signature that goes under
// their replies, one for every language and, if they like, one per language of the desk
// (GET|PUT /me/signature), and sees the sign-off a reply would end with for a ticket's language and
// queue (POST /me/signature/preview: the desk's closing, the signature, the desk's name, the queue's
// legal footer), composed by the API exactly as for a mail. The preview is text, as the mail's text
// part reads; nothing from the API becomes markup.

import { ApiError, api, isAbandoned } from "./api.js";
import { queues } from "./directory.js";
import { byId, el } from "./dom.js";
import { languageName } from "./format.js";
import { showView } from "./page.js";
import { reportError } from "./session.js";

const PREVIEW_PAUSE_MS = 350;
const DEFAULT = "default";

// The desk's languages and limits (GET /me/signature), and the signature as last saved.
let desk = { languages: [], default_language: "en", max_chars: 1000, max_lines: 10 };
let saved = {};
let previewTimer = 0;
let previewing = null;

function textareaFor(language) {
  return byId(`signature-${language}`);
}

function languageLabel(code) {
  return `${languageName(code)} (${code})`;
}

function languageField(code) {
  return el(
    "div",
    { className: "field" },
    el("label", { for: `signature-${code}` }, `Signature in ${languageLabel(code)}`),
    el("textarea", {
      id: `signature-${code}`,
      rows: 3,
      spellcheck: "true",
      lang: code,
      dataset: { language: code },
      "aria-describedby": `signature-${code}-error`,
    }),
    el("p", { id: `signature-${code}-error`, className: "error", role: "alert", hidden: true }),
  );
}

// What the form holds now, as the API takes it: the languages with text, nothing for the empty ones.
function typedSignature() {
  const signature = {};
  for (const code of [DEFAULT, ...desk.languages]) {
    const text = textareaFor(code).value.trim();
    if (text) signature[code] = text;
  }
  return signature;
}

function clearErrors() {
  for (const code of [DEFAULT, ...desk.languages]) {
    const box = byId(`signature-${code}-error`);
    box.hidden = true;
    box.textContent = "";
    textareaFor(code).removeAttribute("aria-invalid");
  }
}

// The API names the text it refuses ("signature.de holds HTML …"): the message goes under that box.
function showRefusal(message) {
  const named = /signature\.([a-z]{2}|default)\b/.exec(message);
  const code = named && [DEFAULT, ...desk.languages].includes(named[1]) ? named[1] : DEFAULT;
  const box = byId(`signature-${code}-error`);
  box.textContent = message;
  box.hidden = false;
  const field = textareaFor(code);
  field.setAttribute("aria-invalid", "true");
  if (code !== DEFAULT) byId("signature-languages").open = true;
  field.focus();
}

function drawPreview(answer) {
  byId("signature-preview-sign-off").textContent = answer.sign_off;
  const footer = byId("signature-preview-footer");
  footer.textContent = answer.footer;
  footer.hidden = !answer.footer;
  byId("signature-preview-problem").hidden = true;
}

function previewProblem(message) {
  const problem = byId("signature-preview-problem");
  problem.textContent = `No preview: ${message}`;
  problem.hidden = false;
}

async function refreshPreview() {
  previewing?.abort();
  const controller = new AbortController();
  previewing = controller;
  const box = byId("signature-preview");
  box.setAttribute("aria-busy", "true");
  const body = { signature: typedSignature(), language: byId("signature-preview-language").value };
  const queue = byId("signature-preview-queue").value;
  if (queue) body.queue = queue;
  try {
    drawPreview(await api("me/signature/preview", { method: "POST", body, signal: controller.signal }));
  } catch (error) {
    if (isAbandoned(error)) return;
    if (error instanceof ApiError && error.status === 400) previewProblem(error.message);
    else reportError(error);
  } finally {
    if (previewing === controller) box.setAttribute("aria-busy", "false");
  }
}

function previewSoon() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(() => refreshPreview().catch(reportError), PREVIEW_PAUSE_MS);
}

function showUnsaved() {
  const changed = JSON.stringify(typedSignature()) !== JSON.stringify(saved);
  byId("signature-status").textContent = changed ? "Not saved yet." : "";
}

async function save(event) {
  event.preventDefault();
  clearErrors();
  const button = byId("signature-save");
  button.disabled = true;
  try {
    const answer = await api("me/signature", { method: "PUT", body: { signature: typedSignature() } });
    saved = answer.signature;
    fill(saved);
    byId("signature-status").textContent = Object.keys(saved).length
      ? "Saved. Your next replies sign with it."
      : "Saved. Your replies sign with your name.";
    await refreshPreview();
  } catch (error) {
    if (error instanceof ApiError && error.status === 400) {
      byId("signature-status").textContent = "Not saved.";
      showRefusal(error.message);
    } else reportError(error);
  } finally {
    button.disabled = false;
  }
}

function fill(signature) {
  for (const code of [DEFAULT, ...desk.languages]) textareaFor(code).value = signature[code] || "";
}

function fillChoices(queueList) {
  const language = byId("signature-preview-language");
  const chosenLanguage = language.value || desk.default_language;
  language.replaceChildren(...desk.languages.map((code) => el("option", { value: code }, languageLabel(code))));
  language.value = desk.languages.includes(chosenLanguage) ? chosenLanguage : desk.languages[0] || "";
  const queue = byId("signature-preview-queue");
  const chosenQueue = queue.value;
  queue.replaceChildren(...queueList.map((item) => el("option", { value: item.name }, item.name)));
  if (queueList.some((item) => item.name === chosenQueue)) queue.value = chosenQueue;
}

export async function showSignature() {
  showView("signature-view");
  document.title = "Your signature · Postdesk";
  const [mine, queueList] = await Promise.all([api("me/signature"), queues()]);
  desk = mine;
  saved = mine.signature;
  byId("signature-language-fields").replaceChildren(...desk.languages.map(languageField));
  byId("signature-limits").textContent =
    `At most ${desk.max_chars.toLocaleString()} characters and ${desk.max_lines} lines for each language.`;
  clearErrors();
  fill(saved);
  byId("signature-languages").open = desk.languages.some((code) => saved[code]);
  byId("signature-status").textContent = "";
  fillChoices(queueList);
  byId("signature-title").focus();
  await refreshPreview();
}

export function setUpSignature() {
  byId("signature-form").addEventListener("submit", (event) => save(event).catch(reportError));
  byId("signature-form").addEventListener("input", () => {
    showUnsaved();
    previewSoon();
  });
  for (const id of ["signature-preview-language", "signature-preview-queue"]) {
    byId(id).addEventListener("change", () => refreshPreview().catch(reportError));
  }
}
