// The saved replies page: the team's saved replies with how often each was used in the last 30 days
// and how the tickets it was used on went (satisfaction, reopenings); admins create, edit and delete
// them, with a live preview of the text as a customer reads it (a sample ticket's details, or a
// chosen ticket's). Agents read the same list and previews without the figures (GET /metrics is for
// admins) and change nothing (the API refuses them): they learn the answers the team uses before
// they need one, which the reply box alone never shows them whole.
//
// Addresses: #/saved-replies (the list), #/saved-replies/new, #/saved-replies/<id> (one, to edit or
// read). The text is previewed through the API (reply-preview.js), shown in a sandboxed frame.
//
// A saved reply may link help-center articles: the editor finds them as the reply box does
// (article-picker.js, in the saved reply's language) and inserts a link, which the reply workflow
// turns into the ticket's language when a reply is sent; the list names the articles each links
// (the API's `articles`, titled from GET /articles).

import { ApiError, api, isAbandoned } from "./api.js";
import { articlePicker, insertAtCursor } from "./article-picker.js";
import { confirmDialog } from "./dialogs.js";
import { forgetSavedReplies } from "./directory.js";
import { byId, el, showFieldError, showMessage } from "./dom.js";
import { languageName, shortWhen } from "./format.js";
import { flashAfterMove, showView } from "./page.js";
import { previewParts, previewReply } from "./reply-preview.js";
import { isAdmin, reportError } from "./session.js";
import { KNOWLEDGE_HREF, SAVED_REPLIES_HREF, savedReplyHref } from "./url-state.js";

const FIGURE_DAYS = 30;
const PREVIEW_PAUSE_MS = 400;
const LANGUAGE = /^[a-z]{2}$/;
const REF = /^[2-9A-HJ-NP-Z]{4}-?[2-9A-HJ-NP-Z]{4}$/;
// Offered in the language box besides the languages the saved replies already have.
const COMMON_LANGUAGES = ["de", "en", "es", "fr", "it", "nl", "pl", "pt", "sv"];
const FIELDS = ["title", "language", "body"];

// The saved reply being edited or read (null for a new one), as the API last gave it.
let editing = null;
let replies = [];
// The one asked for to be deleted (from the list or the editor), and the dialog that asks
// (dialogs.js), built when the view is set up.
let deleting = null;
let confirmation = null;
let previewTimer = 0;
let previewing = null;
let loadNumber = 0;
// What a save or a deletion did, said on the list's status line once the list shows (the page's
// flash is for problems).
let saidAfterMove = "";
// The editor's help-article finder (article-picker.js).
let picker = null;
let pickerKey = "";

function percent(share) {
  return share === null || share === undefined ? "none yet" : `${Math.round(share * 100)} %`;
}

function languageLabel(code) {
  return code ? `${languageName(code)} (${code})` : "Any language";
}

// ---- the list ----

function figureCells(figures) {
  if (!figures) return [el("td", { className: "number", dataset: { label: "Uses" } }, "0"), el("td", { dataset: { label: "Satisfied" } }, "none yet"), el("td", { dataset: { label: "Reopened" } }, "none yet")];
  return [
    el("td", { className: "number", dataset: { label: `Uses (${FIGURE_DAYS} days)` } }, figures.uses.toLocaleString()),
    el("td", { dataset: { label: "Satisfied" } }, percent(figures.satisfied_share),
      figures.answers ? el("span", { className: "hint" }, ` of ${figures.answers} answers`) : null),
    el("td", { dataset: { label: "Reopened" } }, percent(figures.reopen_rate),
      figures.resolved ? el("span", { className: "hint" }, ` of ${figures.resolved} resolved`) : null),
  ];
}

// An article's title for a saved reply in `language`: that translation's, else the original's.
function articleTitle(summary, language) {
  const translations = summary.translations || {};
  const titled = (code) => translations[code] && translations[code].state !== "missing" && translations[code].title;
  return titled(language) || titled(summary.original) || summary.slug;
}

// The help-center articles a saved reply links, each to its page in the knowledge base; an article
// deleted since is named by its slug, without a link.
function articlesCell(reply, articlesBySlug) {
  const slugs = reply.articles || [];
  if (!slugs.length) return el("td", { dataset: { label: "Linked articles" } }, el("span", { className: "hint" }, "None"));
  return el(
    "td",
    { dataset: { label: "Linked articles" } },
    el("ul", { className: "linked-articles" }, slugs.map((slug) => {
      const summary = articlesBySlug.get(slug);
      return el("li", {}, summary
        ? el("a", { href: `${KNOWLEDGE_HREF}/${encodeURIComponent(slug)}` }, articleTitle(summary, reply.language))
        : el("span", {}, slug, el("span", { className: "hint" }, " (no longer in the knowledge base)")));
    })),
  );
}

function replyRow(reply, figures, admin, articlesBySlug) {
  return el(
    "tr",
    { dataset: { id: reply.id } },
    el("th", { scope: "row", dataset: { label: "Title" } }, el("a", { href: savedReplyHref(reply.id) }, reply.title)),
    el("td", { dataset: { label: "Language" } }, languageLabel(reply.language)),
    admin ? figureCells(figures) : null,
    articlesCell(reply, articlesBySlug),
    el("td", { dataset: { label: "Changed" } }, shortWhen(reply.updated_at)),
    admin
      ? el("td", { className: "row-actions" },
        el("a", { href: savedReplyHref(reply.id), className: "button quiet", "aria-label": `Edit ${reply.title}` }, "Edit"),
        el("button", { type: "button", className: "quiet", dataset: { delete: reply.id }, "aria-haspopup": "dialog", "aria-label": `Delete ${reply.title}…` }, "Delete…"))
      : null,
  );
}

// A control of the list that has the focus keeps it across a redraw (the list is read again after a
// move back to it, which may land after the agent already reached for a button).
function focusedControl() {
  const focused = document.activeElement;
  if (!focused || !byId("saved-replies-list").contains(focused)) return null;
  if (focused.dataset.delete) return `button[data-delete="${CSS.escape(focused.dataset.delete)}"]`;
  const href = focused.getAttribute("href");
  return href ? `a[href="${CSS.escape(href)}"]` : null;
}

function drawList(figuresById, admin, articlesBySlug) {
  const keep = focusedControl();
  const head = ["Title", "Language", ...(admin ? [`Uses (${FIGURE_DAYS} days)`, "Satisfied", "Reopened"] : []), "Linked articles", "Changed", ...(admin ? ["Actions"] : [])];
  byId("saved-replies-list").replaceChildren(
    replies.length
      ? el(
        "table",
        { className: "saved-replies-table" },
        el("caption", { className: "visually-hidden" }, "Saved replies"),
        el("thead", {}, el("tr", {}, head.map((name) => el("th", { scope: "col", className: name.startsWith("Uses") ? "number" : null }, name === "Actions" ? el("span", { className: "visually-hidden" }, name) : name)))),
        el("tbody", {}, replies.map((reply) => replyRow(reply, figuresById.get(reply.id), admin, articlesBySlug))),
      )
      : el("p", { className: "report-empty card" }, admin
        ? "No saved replies yet. Write the answers the team gives again and again once, with New saved reply."
        : "No saved replies yet. An admin writes them."),
  );
  const again = keep && byId("saved-replies-list").querySelector(keep);
  if (again) again.focus();
}

async function showList(load) {
  const admin = isAdmin();
  byId("saved-replies-list").hidden = false;
  byId("saved-reply-editor").hidden = true;
  byId("saved-reply-new").hidden = !admin;
  byId("saved-replies-hint").textContent = admin
    ? `Answers the team writes once and inserts in the reply box. Uses, satisfaction (survey answers rated 4 or 5) and reopenings are those of the last ${FIGURE_DAYS} days, on the tickets each was used on.`
    : "Answers the team writes once and inserts in the reply box. Open one to read it as a customer would. Only admins change them.";
  const [list, report] = await Promise.all([
    api("saved-replies"),
    admin ? api(`metrics?since=${FIGURE_DAYS}d`).catch((error) => {
      if (error instanceof ApiError && error.status === 401) throw error;
      return null;
    }) : null,
  ]);
  if (load !== loadNumber) return;
  replies = list.saved_replies;
  // The linked articles' titles, read only when a saved reply links one; without them, their slugs.
  const articles = replies.some((reply) => (reply.articles || []).length)
    ? await api("articles").catch((error) => {
      if (error instanceof ApiError && error.status === 401) throw error;
      return { articles: [] };
    })
    : { articles: [] };
  if (load !== loadNumber) return;
  const figuresById = new Map((report ? report.saved_replies : []).map((row) => [row.id, row]));
  drawList(figuresById, admin, new Map(articles.articles.map((summary) => [summary.slug, summary])));
  document.title = "Saved replies · Postdesk";
}

// ---- the editor ----

function fieldError(name, message) {
  showFieldError(`saved-reply-${name}`, message);
}

function clearErrors() {
  for (const name of FIELDS) fieldError(name, "");
  formError("");
}

function formError(message) {
  showMessage("saved-reply-form-error", message);
}

// Which field the API's words are about: the title, the language, else the text (its variables,
// tags and length; a template's refusal names the line).
function fieldOf(message) {
  if (/\btitle\b/.test(message)) return "title";
  if (/\blanguage\b/.test(message)) return "language";
  return "body";
}

function fillLanguages() {
  const known = new Set([...COMMON_LANGUAGES, ...replies.map((reply) => reply.language).filter(Boolean)]);
  byId("saved-reply-languages").replaceChildren(
    ...[...known].sort().map((code) => el("option", { value: code }, languageName(code))),
  );
}

async function showEditor(id, load) {
  const admin = isAdmin();
  byId("saved-replies-list").hidden = true;
  byId("saved-reply-new").hidden = true;
  byId("saved-replies-hint").textContent = "";
  if (!replies.length || (id !== "new" && !replies.some((reply) => reply.id === id))) {
    replies = (await api("saved-replies")).saved_replies;
    if (load !== loadNumber) return;
  }
  if (id === "new" && !admin) {
    flashAfterMove("Only the desk's admins can write saved replies.");
    location.replace(SAVED_REPLIES_HREF);
    return;
  }
  editing = id === "new" ? null : replies.find((reply) => reply.id === id) || null;
  if (id !== "new" && !editing) {
    flashAfterMove("That saved reply no longer exists: someone deleted it.");
    location.replace(SAVED_REPLIES_HREF);
    return;
  }
  clearErrors();
  fillLanguages();
  const title = editing ? editing.title : "";
  byId("saved-reply-editor-title").textContent = editing ? (admin ? `Edit “${title}”` : title) : "New saved reply";
  byId("saved-reply-title").value = title;
  byId("saved-reply-language").value = editing ? editing.language : "";
  byId("saved-reply-body").value = editing ? editing.body : "";
  byId("saved-reply-fields").disabled = !admin;
  byId("saved-reply-readonly").hidden = admin;
  byId("saved-reply-save").hidden = !admin;
  byId("saved-reply-delete").hidden = !admin || !editing;
  byId("saved-reply-cancel").textContent = admin ? "Cancel" : "Back to the saved replies";
  byId("saved-reply-changed").textContent = editing
    ? `Last changed ${shortWhen(editing.updated_at)} by ${editing.updated_by}.`
    : "";
  // Each opening of the editor starts the finder afresh; the language box changing keeps its search.
  pickerKey = `${id}:${load}`;
  showPicker();
  byId("saved-reply-editor").hidden = false;
  document.title = `${editing ? title : "New saved reply"} · Saved replies · Postdesk`;
  schedulePreview(0);
  byId(admin ? "saved-reply-title" : "saved-reply-preview-ref").focus();
}

// ---- the help articles ----

// The language the finder searches: the saved reply's, or (for any language, or one the box does not
// hold yet) the desk's, which the API takes when none is named.
function pickerLanguage() {
  const language = byId("saved-reply-language").value.trim().toLowerCase();
  return LANGUAGE.test(language) ? language : "";
}

function showPicker() {
  const language = pickerLanguage();
  picker.show({
    key: pickerKey,
    language,
    hint: `Published articles in ${language ? `${languageName(language)}, this saved reply's language` : "the desk's language"}. `
      + "Insert a link to the help center: when a reply is sent, the link goes to the article in the ticket's language where it is published.",
  });
}

// ---- the preview ----

function showEditorPreview(...content) {
  byId("saved-reply-editor-preview").replaceChildren(...content);
}

function refError(message) {
  showMessage("saved-reply-preview-ref-error", message);
}

function schedulePreview(delay = PREVIEW_PAUSE_MS) {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(() => refreshPreview().catch(reportError), delay);
}

async function refreshPreview() {
  if (previewing) previewing.abort();
  const body = byId("saved-reply-body").value;
  const typedRef = byId("saved-reply-preview-ref").value.trim().replace(/^\[?#?/, "").replace(/\]$/, "").toUpperCase();
  refError("");
  if (typedRef && !REF.test(typedRef)) {
    refError("A ticket reference has eight letters and digits, such as K7Q2-M9XD; the preview uses a sample ticket meanwhile.");
  }
  const ref = typedRef && REF.test(typedRef) ? typedRef : "";
  if (!body.trim()) {
    previewing = null;
    showEditorPreview(el("p", { className: "hint" }, "The preview shows here once there is text."));
    return;
  }
  const request = new AbortController();
  previewing = request;
  const box = byId("saved-reply-editor-preview");
  box.setAttribute("aria-busy", "true");
  let preview;
  try {
    const language = byId("saved-reply-language").value.trim().toLowerCase();
    preview = await previewReply(body, ref, request.signal, /^[a-z]{2}$/.test(language) ? language : "");
  } catch (error) {
    if (isAbandoned(error) || previewing !== request) return;
    box.removeAttribute("aria-busy");
    if (error instanceof ApiError && error.status === 404 && ref) {
      refError(`No ticket has the reference ${ref}.`);
      showEditorPreview(el("p", { className: "hint" }, "Choose another ticket, or empty the box for a sample ticket."));
      return;
    }
    if (error instanceof ApiError && error.status === 400) {
      showEditorPreview(el("p", { className: "error" }, `The text cannot be previewed: ${error.message}.`));
      return;
    }
    throw error;
  }
  if (previewing !== request) return;
  previewing = null;
  box.removeAttribute("aria-busy");
  const who = preview.ref
    ? `With the details of ticket ${preview.ref} (${preview.variables["customer.name"] || preview.variables["customer.email"]})`
    : `With a sample ticket's details (${preview.variables["customer.name"]}, ${preview.variables["ticket.ref"]})`;
  showEditorPreview(
    el("p", { className: "hint" }, `${who} and yours. A reply fills in its own ticket's when it is sent.`),
    ...previewParts(preview, `Preview of ${byId("saved-reply-title").value.trim() || "the saved reply"}`),
  );
}

// ---- saving and deleting ----

// What the form holds, checked as the desk checks it; null (with the errors shown) if it cannot go.
function formDocument() {
  clearErrors();
  const title = byId("saved-reply-title").value.trim();
  const language = byId("saved-reply-language").value.trim().toLowerCase();
  const body = byId("saved-reply-body").value;
  const problems = [];
  if (!title) problems.push(["title", "Give the saved reply a title: it is what agents choose it by."]);
  else if (title.length > 120) problems.push(["title", `The title has ${title.length} characters; 120 at most.`]);
  if (language && !LANGUAGE.test(language)) {
    problems.push(["language", "A language is two letters such as en or de; leave it empty for any language."]);
  }
  if (!body.trim()) problems.push(["body", "Write the text of the saved reply."]);
  else if (body.length > 20000) problems.push(["body", `The text has ${body.length.toLocaleString()} characters; 20,000 at most.`]);
  for (const [name, message] of problems) fieldError(name, message);
  if (problems.length) {
    byId(`saved-reply-${problems[0][0]}`).focus();
    return null;
  }
  return { title, language, body };
}

async function save(event) {
  event.preventDefault();
  const values = formDocument();
  if (!values) return;
  const button = byId("saved-reply-save");
  button.disabled = true;
  let answer;
  try {
    answer = await api(editing ? `saved-replies/${encodeURIComponent(editing.id)}` : "saved-replies", {
      method: editing ? "PUT" : "POST",
      body: values,
    });
  } catch (error) {
    if (error instanceof ApiError && error.status === 400) {
      const field = fieldOf(error.message);
      fieldError(field, `The desk cannot save this: ${error.message}.`);
      byId(`saved-reply-${field}`).focus();
      return;
    }
    if (error instanceof ApiError && error.status === 404) {
      formError("This saved reply was deleted meanwhile. Copy the text you need and write it again as a new one.");
      return;
    }
    if (error instanceof ApiError && error.status === 403) {
      formError(`Only the desk's admins can change saved replies: ${error.message}.`);
      return;
    }
    throw error;
  } finally {
    button.disabled = false;
  }
  forgetSavedReplies();
  saidAfterMove = `Saved “${answer.saved_reply.title}”.`;
  location.hash = SAVED_REPLIES_HREF;
}

function askToDelete(reply, opener) {
  deleting = { reply, opener };
  confirmation.ask({
    heading: `Delete “${reply.title}”?`,
    words: `“${reply.title}” goes for good: agents can no longer insert it. Replies already sent stay as they are, and its figures stay in the reports.`,
  });
}

async function confirmDelete() {
  if (!deleting) return;
  const { reply } = deleting;
  const button = confirmation.button;
  button.disabled = true;
  try {
    await api(`saved-replies/${encodeURIComponent(reply.id)}`, { method: "DELETE" });
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) {
      if (error instanceof ApiError && error.status !== 401) {
        confirmation.error(`It was not deleted: ${error.message}.`);
        return;
      }
      throw error;
    }
  } finally {
    button.disabled = false;
  }
  deleting = null;
  confirmation.close();
  forgetSavedReplies();
  saidAfterMove = `Deleted “${reply.title}”.`;
  if (location.hash === SAVED_REPLIES_HREF) await showSavedReplies(null);
  else location.hash = SAVED_REPLIES_HREF;
}

function deleteClosed() {
  let opener = deleting && deleting.opener;
  // The list may have been drawn again while the dialog was open: its row's button then.
  if (opener && !opener.isConnected && deleting.reply) {
    opener = [...byId("saved-replies-list").querySelectorAll("button[data-delete]")]
      .find((button) => button.dataset.delete === deleting.reply.id) || null;
  }
  deleting = null;
  // The focus goes back to what opened the dialog, or to the list's heading once that is gone.
  if (opener && opener.isConnected && !opener.hidden) opener.focus();
  else byId("saved-replies-title").focus();
}

// ---- the view ----

// `id`: null for the list, "new" or a saved reply's id for the editor.
export async function showSavedReplies(id) {
  showView("saved-replies-view");
  const load = ++loadNumber;
  const said = saidAfterMove;
  saidAfterMove = "";
  showMessage("saved-replies-status", "");
  clearTimeout(previewTimer);
  if (previewing) previewing.abort();
  const view = byId("saved-replies-view");
  view.setAttribute("aria-busy", "true");
  try {
    if (id) await showEditor(id, load);
    else await showList(load);
  } finally {
    if (load === loadNumber) {
      view.removeAttribute("aria-busy");
      // On the list only: the editor has its own lines.
      if (said && !id) showMessage("saved-replies-status", said);
    }
  }
}

export function setUpSavedReplies() {
  picker = articlePicker({
    prefix: "saved-reply-article",
    // Only a link: the text of an article is in one language, a link follows the customer's.
    withText: false,
    insert: (text) => {
      const box = byId("saved-reply-body");
      insertAtCursor(box, text);
      box.focus();
    },
  });
  byId("saved-reply-editor").addEventListener("submit", (event) => save(event).catch(reportError));
  for (const id of ["saved-reply-body", "saved-reply-preview-ref", "saved-reply-language"]) {
    byId(id).addEventListener("input", () => schedulePreview());
  }
  byId("saved-reply-title").addEventListener("input", () => fieldError("title", ""));
  byId("saved-reply-language").addEventListener("input", () => {
    fieldError("language", "");
    showPicker();
  });
  byId("saved-reply-body").addEventListener("input", () => fieldError("body", ""));
  byId("saved-replies-list").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-delete]");
    if (!button) return;
    const reply = replies.find((candidate) => candidate.id === button.dataset.delete);
    if (reply) askToDelete(reply, button);
  });
  byId("saved-reply-delete").addEventListener("click", () => {
    if (editing) askToDelete(editing, byId("saved-reply-delete"));
  });
  confirmation = confirmDialog("saved-reply-delete", { confirm: confirmDelete, closed: deleteClosed });
}
