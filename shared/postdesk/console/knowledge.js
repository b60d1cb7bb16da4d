// The knowledge base (docs/knowledge.md): the desk's help articles, each in several languages.
//
// Addresses:
//   #/knowledge                      the list: every article with its flags, the state of each desk
//                                    language's translation and its figures of the last 30 days;
//                                    the filters in the hash's own query (#/knowledge?flag=review_due)
//   #/knowledge/new                  a new article
//   #/knowledge/<slug>/<language>    the editor of one translation: Markdown with a live preview
//                                    (POST /articles/preview, the help center's own renderer), draft,
//                                    publish, versions and their diff, the translations panel
//
// A draft is saved over the version the editor started from (`base_version`): when a colleague saved
// since, the API answers 409 and the page says who and when, with "Reload theirs" and "Keep mine".
// The preview's HTML is the help center's (raw HTML escaped), shown only in a sandboxed frame
// (reply-preview.js).

import { API_ROOT, ApiError, api, isAbandoned } from "./api.js";
import { confirmDialog } from "./dialogs.js";
import { agents } from "./directory.js";
import { byId, el, showFieldError, showMessage } from "./dom.js";
import { counted, fileSize, languageName, shortWhen, when } from "./format.js";
import { flashAfterMove, showView } from "./page.js";
import { articlePreviewFrame } from "./reply-preview.js";
import { currentAgent, isAdmin, reportError } from "./session.js";
import { KNOWLEDGE_HREF, knowledgeHref, locationChanged, readKnowledgeFilters, writeKnowledgeFilters } from "./url-state.js";

// triage/knowledge.py CATEGORIES, in the order an agent reads them; the API refuses any other.
const CATEGORIES = ["general", "account", "billing", "orders", "technical", "feedback"];
// The desk's languages (rendering.available_languages()) until GET /articles says which they are.
const FALLBACK_LANGUAGES = ["en", "de", "es", "fr", "pt"];
const FIGURE_DAYS = 30;
const PREVIEW_PAUSE_MS = 400;
const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
// knowledge/model.py clean_tags: words or short phrases, at most 20 of 60 characters each.
const MAX_TAGS = 20;
const MAX_TAG_LENGTH = 60;

const STATE_WORDS = {
  current: "Published, up to date",
  outdated: "Older than the original",
  missing: "Missing",
  draft: "Draft, not published",
};
const STATE_SHORT = { current: "Up to date", outdated: "Outdated", missing: "Missing", draft: "Draft" };
const FLAG_CHOICES = [
  ["", "Any"],
  ["any", "For any reason"],
  ["review_due", "Review due"],
  ["outdated_translation", "Outdated translation"],
  ["reopened_after_suggestion", "Reopened tickets"],
  ["rated_low_after_suggestion", "Low ratings"],
];

let loadNumber = 0;
// The list as the agent last saw it (its filters): where "Back to the knowledge base" goes.
let listHref = KNOWLEDGE_HREF;
let deskLanguages = FALLBACK_LANGUAGES;
// The list as GET /articles last gave it.
let summaries = [];
// The editor: what the API gave for the translation on screen, and what the agent is doing with it.
let editing = null;
// What "Create an article from this ticket" took out of the draft, shown once the editor opens it.
let arrivedFromTicket = null;
let previewTimer = 0;
let previewing = null;
// What the agent typed and did not save, by text ("<slug>/<language>", "new"): moving to another
// page of the console and back gives it back, not saved yet (a closed tab asks first instead).
const unsaved = new Map();

// ---- words ----

function languageLabel(code) {
  return `${languageName(code)} (${code})`;
}

function categoryLabel(name) {
  return name ? name[0].toUpperCase() + name.slice(1) : "";
}

function dayLabel(day) {
  if (!day) return "";
  const date = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? day : date.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
}

function percent(share) {
  return share === null || share === undefined ? "none yet" : `${Math.round(share * 100)}\u00a0%`;
}

// A flag of knowledge/freshness.py in words: why the article's owner was told to look at it.
function flagWords(flag, summary) {
  const count = flag.count;
  const language = flag.language ? languageName(flag.language) : "";
  switch (flag.reason) {
    case "review_due":
      return `Review due since ${dayLabel(summary.review_by)}`;
    case "outdated_translation": {
      const translation = summary.translations[flag.language];
      const original = summary.translations[summary.original];
      return translation && original
        ? `${language} follows version ${translation.source_version} of the original; version ${original.published_version} is published`
        : flag.message;
    }
    case "reopened_after_suggestion":
      return count ? `${counted(count, "ticket")} reopened after it was suggested (${FIGURE_DAYS} days)` : "Tickets reopened after it was suggested";
    case "rated_low_after_suggestion":
      return count ? `${counted(count, "low rating")} after it was suggested (${FIGURE_DAYS} days)` : "Rated low after it was suggested";
    default:
      return flag.message || String(flag.reason || "Flagged").replaceAll("_", " ");
  }
}

// The help center's page of a translation: the API's own address when it gives one, else the
// desk's help center beside the console (the same host serves both).
function helpCenterUrl(slug, language, given) {
  if (given) return given;
  return new URL(`help/${encodeURIComponent(language)}/articles/${encodeURIComponent(slug)}`, API_ROOT).href;
}

// The desk's languages, the article's original first.
function originalFirst(original) {
  return [original, ...deskLanguages.filter((language) => language !== original)];
}

function titleOf(summary) {
  const original = summary.translations[summary.original];
  const any = Object.values(summary.translations).find((translation) => translation && translation.title);
  return (original && original.title) || (any && any.title) || summary.slug;
}

// ---- the list ----

function stateChip(summary, language) {
  const translation = summary.translations[language] || { state: "missing" };
  const state = translation.state || "missing";
  const original = language === summary.original;
  const words = `${languageName(language)}${original ? ", the original" : ""}: ${STATE_WORDS[state] || state}`;
  // What shows ("DE Outdated") starts the link's name, the rest in words for a screen reader.
  return el(
    "li",
    {},
    el(
      "a",
      { href: knowledgeHref(summary.slug, language), className: `lang-state state-${state}`, title: words },
      el("span", { className: "lang-code" }, language.toUpperCase()),
      " ",
      el("span", { className: "lang-word" }, original ? `${STATE_SHORT[state] || state} · original` : STATE_SHORT[state] || state),
      el("span", { className: "visually-hidden" }, `, ${words}`),
    ),
  );
}

function figureWords(figures) {
  if (!figures) return ["No figures yet."];
  const votes = (figures.helpful || 0) + (figures.not_helpful || 0);
  const share = figures.helpful_share ?? (votes ? figures.helpful / votes : null);
  const deflection = figures.deflection_rate ?? (figures.suggested ? (figures.deflected || 0) / figures.suggested : null);
  return [
    `Suggested ${(figures.suggested || 0).toLocaleString()}`,
    `Opened ${(figures.opened || 0).toLocaleString()}`,
    votes ? `Helpful ${percent(share)} of ${counted(votes, "vote")}` : "No votes",
    figures.suggested ? `Resolved without an answer: ${percent(deflection)} (${(figures.deflected || 0).toLocaleString()})` : "",
  ].filter(Boolean);
}

function articleRow(summary) {
  const title = titleOf(summary);
  const flags = summary.flags || [];
  return el(
    "tr",
    { dataset: { slug: summary.slug } },
    el(
      "th",
      { scope: "row", dataset: { label: "Article" } },
      el("a", { href: knowledgeHref(summary.slug, summary.original) }, title),
      el("span", { className: "hint slug" }, summary.slug),
    ),
    el("td", { dataset: { label: "Category" } }, categoryLabel(summary.category)),
    el(
      "td",
      { dataset: { label: "Languages" } },
      el("ul", { className: "lang-states", "aria-label": `Translations of ${title}` }, originalFirst(summary.original).map((language) => stateChip(summary, language))),
    ),
    el(
      "td",
      { dataset: { label: "Flags" } },
      flags.length
        ? el("ul", { className: "flag-list" }, flags.map((flag) => el("li", {}, flagWords(flag, summary))))
        : el("span", { className: "hint" }, "None"),
    ),
    el("td", { dataset: { label: `Last ${FIGURE_DAYS} days` } }, figureWords(summary.figures).map((line) => el("span", { className: "figure-line" }, line))),
    el(
      "td",
      { dataset: { label: "Review by" } },
      dayLabel(summary.review_by),
      summary.owner ? el("span", { className: "hint figure-line" }, summary.owner) : null,
    ),
  );
}

function matchesWords(summary, words) {
  if (!words) return true;
  const folded = (text) => (text || "").normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  const wanted = folded(words);
  return [summary.slug, ...Object.values(summary.translations).map((translation) => translation && translation.title)]
    .some((text) => folded(text).includes(wanted));
}

function drawList(filters) {
  const me = currentAgent()?.email;
  const shown = summaries.filter((summary) => matchesWords(summary, filters.q) && (filters.mine !== "yes" || summary.owner === me));
  const flagged = summaries.filter((summary) => (summary.flags || []).length).length;
  byId("knowledge-summary").textContent = summaries.length
    ? `${counted(shown.length, "article")}${shown.length !== summaries.length ? ` of ${summaries.length}` : ""}` +
      `${flagged ? `; ${counted(flagged, "article")} flagged for review` : ""}. Figures: the last ${FIGURE_DAYS} days.`
    : "";
  const anyFilter = filters.category || filters.status || filters.flag || filters.q || filters.mine;
  byId("knowledge-list").replaceChildren(
    shown.length
      ? el(
        "table",
        { className: "knowledge-table" },
        el("caption", { className: "visually-hidden" }, "Articles of the knowledge base"),
        el("thead", {}, el("tr", {}, ["Article", "Category", "Languages", "Flags", `Last ${FIGURE_DAYS} days`, "Review by"].map((name) => el("th", { scope: "col" }, name)))),
        el("tbody", {}, shown.map(articleRow)),
      )
      : el("p", { className: "report-empty card" }, anyFilter
        ? "No article matches these filters. Clear them to see every article."
        : "No articles yet. Write the first with New article, or import the shipped ones with postdesk kb import."),
  );
}

function fillFilterChoices() {
  const category = byId("knowledge-category");
  if (!category.options.length) {
    category.append(el("option", { value: "" }, "Any"), ...CATEGORIES.map((name) => el("option", { value: name }, categoryLabel(name))));
    byId("knowledge-status").append(
      el("option", { value: "" }, "Any"),
      el("option", { value: "published" }, "Published"),
      el("option", { value: "draft" }, "Draft only"),
    );
    byId("knowledge-flag").append(...FLAG_CHOICES.map(([value, label]) => el("option", { value }, label)));
  }
}

async function showList(load) {
  byId("knowledge-title").textContent = "Knowledge base";
  byId("knowledge-back").textContent = "Back to the queue";
  byId("knowledge-back-link").href = "#/";
  byId("knowledge-new").hidden = false;
  byId("knowledge-list-part").hidden = false;
  byId("knowledge-editor").hidden = true;
  fillFilterChoices();
  listHref = location.hash;
  const filters = readKnowledgeFilters();
  byId("knowledge-category").value = filters.category;
  byId("knowledge-status").value = filters.status;
  byId("knowledge-flag").value = filters.flag;
  byId("knowledge-words").value = filters.q;
  byId("knowledge-mine").checked = filters.mine === "yes";
  const query = new URLSearchParams();
  for (const name of ["category", "status", "flag"]) if (filters[name]) query.set(name, filters[name]);
  let answer;
  try {
    answer = await api(`articles${query.size ? `?${query}` : ""}`);
  } catch (error) {
    if (load !== loadNumber) return;
    if (error instanceof ApiError && error.status === 400) {
      byId("knowledge-summary").textContent = "";
      byId("knowledge-list").replaceChildren(el("p", { className: "error" }, `These filters cannot be shown: ${error.message}.`));
      return;
    }
    throw error;
  }
  if (load !== loadNumber) return;
  summaries = answer.articles || [];
  learnLanguages(answer);
  drawList(filters);
  document.title = "Knowledge base · Postdesk";
}

// The desk's languages as GET /articles says them.
function learnLanguages(answer) {
  if (answer.languages && answer.languages.length) deskLanguages = answer.languages;
}

function filtersChosen(event) {
  event.preventDefault();
  writeKnowledgeFilters({
    category: byId("knowledge-category").value,
    status: byId("knowledge-status").value,
    flag: byId("knowledge-flag").value,
    q: byId("knowledge-words").value.trim(),
    mine: byId("knowledge-mine").checked ? "yes" : "",
  });
  showKnowledge(null, null).catch(reportError);
}

// ---- the editor: showing a translation ----

// What a move within the knowledge base did (an article created, one deleted), said on the status
// line of the view it moves to, in the colours of what went well: the page's flash is for problems.
let saidAfterMove = "";

function sayAfterMove(message) {
  saidAfterMove = message;
}

function editorStatus(message, { error = false } = {}) {
  const line = byId("knowledge-status-line");
  showMessage(line, message);
  line.classList.toggle("error", error);
  line.classList.toggle("notice-ok", !error);
}

function fieldError(name, message) {
  showFieldError(`knowledge-${name}`, message);
}

function clearFieldErrors() {
  for (const name of ["slug", "title-field", "tags", "body", "review-by"]) fieldError(name, "");
}

// Tags are separated by commas (a tag may be a phrase: "forgot password").
function tagsOf(text) {
  return [...new Set(text.split(",").map((tag) => tag.split(/\s+/).filter(Boolean).join(" ")).filter(Boolean))];
}

function setDirty(dirty) {
  if (!editing) return;
  editing.dirty = dirty;
  byId("knowledge-unsaved").textContent = dirty ? "Not saved yet." : "";
  showPublishable();
}

// Publish is for a text the help center does not show yet: changes in the box, or a newer draft.
function showPublishable() {
  const translation = editing && editing.doc && editing.doc.translation;
  const shownAlready = translation && translation.published_version === translation.draft_version;
  byId("knowledge-publish").disabled = Boolean(!editing || (!editing.dirty && (!translation || shownAlready)));
}

async function readDeskLanguages() {
  if (summaries.length) return;
  try {
    const answer = await api("articles");
    summaries = answer.articles || [];
    learnLanguages(answer);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
  }
}

async function fillOwners(chosen) {
  const select = byId("knowledge-owner");
  const known = await agents();
  const emails = known.map((agent) => agent.email);
  select.replaceChildren(
    ...known.map((agent) => el("option", { value: agent.email }, agent.name ? `${agent.name} (${agent.email})` : agent.email)),
    ...(chosen && !emails.includes(chosen) ? [el("option", { value: chosen }, chosen)] : []),
  );
  select.value = chosen || currentAgent()?.email || "";
}

function fillCategories(id, chosen) {
  const select = byId(id);
  select.replaceChildren(...CATEGORIES.map((name) => el("option", { value: name }, categoryLabel(name))));
  select.value = chosen || "general";
}

// The translation's document (GET /articles/{slug}/{lang}); null when the article has none in
// that language yet.
async function readTranslation(slug, language) {
  try {
    return await api(`articles/${encodeURIComponent(slug)}/${encodeURIComponent(language)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

async function showNewArticle() {
  editing = { slug: null, language: null, article: null, doc: null, baseVersion: 0, sourceVersion: null, dirty: false };
  byId("knowledge-title").textContent = "New article";
  byId("knowledge-new-fields").hidden = false;
  // A new article's first version has no note to give ("Created").
  byId("knowledge-note-field").hidden = true;
  for (const id of ["knowledge-article-settings", "knowledge-translations", "knowledge-versions", "knowledge-publishing", "knowledge-outdated", "knowledge-follows-field", "knowledge-translating", "knowledge-from-ticket"]) byId(id).hidden = true;
  byId("knowledge-language").replaceChildren(...deskLanguages.map((code) => el("option", { value: code }, languageLabel(code))));
  byId("knowledge-language").value = deskLanguages.includes("en") ? "en" : deskLanguages[0];
  byId("knowledge-slug").value = "";
  byId("knowledge-title-field").value = "";
  byId("knowledge-tags").value = "";
  byId("knowledge-body").value = "";
  byId("knowledge-note").value = "";
  fillCategories("knowledge-new-category", "general");
  restoreUnsaved();
  byId("knowledge-save").textContent = "Create the draft";
  byId("knowledge-changed").textContent = "";
  document.title = "New article · Knowledge base · Postdesk";
  schedulePreview(0);
  byId("knowledge-title-field").focus();
}

async function showTranslation(slug, language, load) {
  const [article, doc] = await Promise.all([
    api(`articles/${encodeURIComponent(slug)}`).catch((error) => {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }),
    readTranslation(slug, language),
    readDeskLanguages(),
  ]);
  if (load !== loadNumber) return;
  const record = article && (article.article || article);
  if (!record) {
    flashAfterMove(`No article is called “${slug}”: it may have been deleted.`);
    location.replace(KNOWLEDGE_HREF);
    return;
  }
  const original = record.original;
  const translation = doc ? doc.translation : null;
  editing = {
    slug,
    language,
    article: record,
    doc,
    baseVersion: translation ? translation.draft_version : 0,
    sourceVersion: translation ? translation.source_version : null,
    dirty: false,
  };
  setDirty(false);
  byId("knowledge-new-fields").hidden = true;
  byId("knowledge-note-field").hidden = false;
  byId("knowledge-article-settings").hidden = false;
  byId("knowledge-delete-row").hidden = !isAdmin();
  fillCategories("knowledge-category-field", record.category);
  byId("knowledge-review-by").value = record.review_by || "";
  await fillOwners(record.owner);
  if (load !== loadNumber) return;
  byId("knowledge-note").value = "";
  byId("knowledge-outdated").hidden = true;
  byId("knowledge-follows-field").hidden = true;
  byId("knowledge-translating").hidden = true;
  if (doc) {
    byId("knowledge-title-field").value = doc.draft.title;
    byId("knowledge-tags").value = (doc.draft.tags || []).join(", ");
    byId("knowledge-body").value = doc.draft.body;
  } else {
    await prefillFromOriginal(record, language, load);
    if (load !== loadNumber) return;
  }
  restoreUnsaved();
  showOutdated(record, doc);
  showFromTicket();
  const heading = byId("knowledge-title-field").value.trim() || slug;
  byId("knowledge-title").textContent = doc ? `${heading} · ${languageName(language)}` : `Translate “${heading}” into ${languageName(language)}`;
  byId("knowledge-save").textContent = "Save draft";
  byId("knowledge-changed").textContent = doc
    ? `Draft version ${doc.draft.number}, saved ${shortWhen(doc.draft.at)} by ${doc.draft.author}.`
    : "";
  drawPublishing();
  drawTranslations();
  drawVersions();
  document.title = `${heading} (${language}) · Knowledge base · Postdesk`;
  schedulePreview(0);
  byId("knowledge-title").focus({ preventScroll: false });
  return original;
}

// A language the article has no text in yet: the editor starts from the original's published text
// (or its draft while it has none), to be translated, and the save says which version it follows.
async function prefillFromOriginal(record, language, load) {
  const originalDoc = language === record.original ? null : await readTranslation(record.slug, record.original);
  if (load !== loadNumber) return;
  const box = byId("knowledge-translating");
  if (!originalDoc) {
    byId("knowledge-title-field").value = "";
    byId("knowledge-tags").value = "";
    byId("knowledge-body").value = "";
    box.hidden = true;
    return;
  }
  const published = originalDoc.published;
  const from = published || originalDoc.draft;
  byId("knowledge-title-field").value = from.title;
  byId("knowledge-tags").value = (from.tags || []).join(", ");
  byId("knowledge-body").value = from.body;
  editing.sourceVersion = published ? published.number : 0;
  box.hidden = false;
  box.textContent = published
    ? `Filled in with the ${languageName(record.original)} original as published (version ${published.number}): translate the title, tags and text, then save the draft. The translation is marked as made from that version.`
    : `Filled in with the ${languageName(record.original)} original's draft (version ${from.number}), which is not published yet: the translation counts as up to date once it follows a published version.`;
  byId("knowledge-note").value = published ? `Translated from ${record.original} version ${published.number}` : "";
  setDirty(true);
}

// A translation made from an older version of the original says so, with what changed since.
function showOutdated(record, doc) {
  const box = byId("knowledge-outdated");
  const original = doc && doc.original;
  const translation = doc && doc.translation;
  if (!doc || !original || editing.language === record.original || !translation) {
    box.hidden = true;
    return;
  }
  const source = translation.source_version || 0;
  const current = original.published_version || 0;
  if (!current || source >= current) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  byId("knowledge-follows-field").hidden = false;
  byId("knowledge-outdated-words").textContent =
    `This translation was made from version ${source || "none"} of the ${languageName(original.language)} original; ` +
    `version ${current} is published now (“${original.title}”). Bring it up to date, then tick the box below before saving.`;
  byId("knowledge-follows-label").textContent = `This text follows the original's version ${current}`;
  byId("knowledge-follows").checked = false;
  byId("knowledge-original-diff").replaceChildren();
  byId("knowledge-original-changes").dataset.from = String(source);
  byId("knowledge-original-changes").dataset.to = String(current);
  byId("knowledge-original-changes").hidden = !source;
}

function showFromTicket() {
  const box = byId("knowledge-from-ticket");
  const arrived = arrivedFromTicket;
  arrivedFromTicket = null;
  if (!arrived || !editing || arrived.slug !== editing.slug) {
    box.hidden = true;
    return;
  }
  const removed = (arrived.removed || []).filter((item) => item.count);
  box.hidden = false;
  box.replaceChildren(
    el("p", {}, el("strong", {}, `Drafted from the agents' replies on ticket ${arrived.ref}.`),
      " Read it through and make it general before publishing: nothing is published yet."),
    ...(removed.length
      ? [el("p", {}, "The customer's data was taken out:"), el("ul", {}, removed.map((item) => el("li", {}, removedWords(item))))]
      : [el("p", {}, "Nothing that looked like the customer's data was found to take out.")]),
  );
}

// knowledge/redaction.py RemovedKind: what was taken out, counted, never the values.
const REMOVED_KINDS = {
  greeting: ["greeting with a name", "greetings with names"],
  sign_off: ["sign-off or signature", "sign-offs and signatures"],
  name: ["name", "names"],
  email: ["email address", "email addresses"],
  phone: ["phone number", "phone numbers"],
  ticket_ref: ["ticket reference", "ticket references"],
  iban: ["IBAN", "IBANs"],
  card_number: ["card number", "card numbers"],
  reference_number: ["order, invoice or other number", "order, invoice or other numbers"],
  link: ["link with a token", "links with tokens"],
};

function removedWords(item) {
  const [one, many] = REMOVED_KINDS[item.kind] || [String(item.kind).replaceAll("_", " "), `${String(item.kind).replaceAll("_", " ")}s`];
  return `${item.count.toLocaleString()} ${item.count === 1 ? one : many}`;
}

// ---- unsaved text, kept while the agent looks elsewhere ----

function unsavedKey() {
  return editing.slug ? `${editing.slug}/${editing.language}` : "new";
}

function keepUnsaved() {
  if (!editing || !editing.dirty) return;
  unsaved.set(unsavedKey(), {
    title: byId("knowledge-title-field").value,
    tags: byId("knowledge-tags").value,
    body: byId("knowledge-body").value,
    note: byId("knowledge-note").value,
    baseVersion: editing.baseVersion,
    sourceVersion: editing.sourceVersion,
  });
}

function forgetUnsaved() {
  if (editing) unsaved.delete(unsavedKey());
}

// The text as the agent left it, over the version they started from (so a colleague's save since is
// still said when they save).
function restoreUnsaved() {
  const kept = unsaved.get(unsavedKey());
  if (!kept) return;
  byId("knowledge-title-field").value = kept.title;
  byId("knowledge-tags").value = kept.tags;
  byId("knowledge-body").value = kept.body;
  byId("knowledge-note").value = kept.note;
  editing.baseVersion = kept.baseVersion;
  editing.sourceVersion = kept.sourceVersion;
  setDirty(true);
  editorStatus("Your changes from before are back in the box: not saved yet.");
}

// ---- publishing ----

function drawPublishing() {
  const section = byId("knowledge-publishing");
  const doc = editing.doc;
  section.hidden = false;
  const translation = doc && doc.translation;
  const published = translation && translation.published_version;
  const draftNumber = translation ? translation.draft_version : 0;
  const state = byId("knowledge-publish-state");
  const view = byId("knowledge-view-on-help");
  if (!translation) {
    state.textContent = "Not saved in this language yet: save the draft, then publish it.";
  } else if (!published) {
    state.textContent = `Not published: customers do not see it. The draft is version ${draftNumber}.`;
  } else if (published === draftNumber) {
    state.textContent = `Published: version ${published}${translation.published_at ? `, since ${shortWhen(translation.published_at)}` : ""}.`;
  } else {
    state.textContent = `Version ${published} is published; the draft (version ${draftNumber}) is newer and not published yet.`;
  }
  view.hidden = !published;
  if (published) view.href = helpCenterUrl(editing.slug, editing.language, doc.url || (doc.published && doc.published.url));
  byId("knowledge-publish").hidden = false;
  showPublishable();
  byId("knowledge-unpublish").hidden = !published;
}

// ---- the translations panel ----

function drawTranslations() {
  const record = editing.article;
  const states = record.translations || {};
  const list = byId("knowledge-translation-list");
  byId("knowledge-translations").hidden = false;
  list.replaceChildren(...originalFirst(record.original).map((language) => {
    const translation = states[language];
    const state = translationState(record, language);
    const here = language === editing.language;
    const href = knowledgeHref(record.slug, language);
    const action = here
      ? el("span", { className: "hint" }, "(shown here)")
      : state === "missing"
        ? el("a", { href, className: "button quiet", "aria-label": `Translate into ${languageName(language)}` }, "Translate")
        : state === "outdated"
          ? el("a", { href, className: "button quiet", "aria-label": `Update the ${languageName(language)} translation` }, "Update")
          : el("a", { href, className: "button quiet", "aria-label": `Open the ${languageName(language)} text` }, "Open");
    const detail = [
      language === record.original ? "the original" : "",
      translation && translation.published_version ? `published version ${translation.published_version}` : "",
      translation && language !== record.original && translation.source_version ? `made from version ${translation.source_version}` : "",
    ].filter(Boolean).join(", ");
    return el(
      "li",
      { className: here ? "here" : null, "aria-current": here ? "page" : null },
      el("span", { className: `lang-state state-${state}` }, el("span", { className: "lang-code" }, language.toUpperCase()), " ", STATE_SHORT[state]),
      " ",
      el("span", {}, languageName(language), translation && translation.title ? ` · ${translation.title}` : ""),
      detail ? el("span", { className: "hint" }, ` (${detail})`) : null,
      " ",
      action,
    );
  }));
}

// The state of `language` from the article record (missing, draft, outdated, current), as
// knowledge/model.py Article.state_of says it.
function translationState(record, language) {
  const translation = (record.translations || {})[language];
  if (!translation) return "missing";
  if (translation.state) return translation.state;
  if (!translation.published_version) return "draft";
  const original = (record.translations || {})[record.original];
  if (language !== record.original && original && (translation.source_version || 0) < (original.published_version || 0)) return "outdated";
  return "current";
}

// ---- versions and their diff ----

function drawVersions() {
  const doc = editing.doc;
  const section = byId("knowledge-versions");
  section.hidden = !doc;
  if (!doc) return;
  const versions = doc.versions || [];
  const published = doc.translation.published_version;
  byId("knowledge-version-list").replaceChildren(
    el(
      "table",
      { className: "knowledge-versions-table" },
      el("caption", { className: "visually-hidden" }, "Versions of this text, newest first"),
      el("thead", {}, el("tr", {}, ["Version", "Saved", "By", "Note", ""].map((name) => el("th", { scope: "col" }, name || el("span", { className: "visually-hidden" }, "Changes"))))),
      el("tbody", {}, versions.map((version) => el(
        "tr",
        {},
        el("th", { scope: "row", dataset: { label: "Version" } }, String(version.number),
          version.number === published ? el("span", { className: "badge status-resolved" }, "Published") : null,
          version.number === doc.translation.draft_version && version.number !== published ? el("span", { className: "badge" }, "Draft") : null),
        el("td", { dataset: { label: "Saved" } }, when(version.at)),
        el("td", { dataset: { label: "By" } }, version.author),
        el("td", { dataset: { label: "Note" } }, version.note || el("span", { className: "hint" }, "–")),
        el("td", {}, version.number > 1
          ? el("button", { type: "button", className: "quiet", dataset: { from: version.number - 1, to: version.number }, "aria-label": `Changes in version ${version.number}` }, "Changes")
          : el("span", { className: "hint" }, "First version")),
      ))),
    ),
  );
  const numbers = versions.map((version) => version.number);
  for (const [id, chosen] of [["knowledge-diff-from", published && published !== numbers[0] ? published : numbers[1] || numbers[0]], ["knowledge-diff-to", numbers[0]]]) {
    const select = byId(id);
    select.replaceChildren(...numbers.map((number) => el("option", { value: number }, `Version ${number}${number === published ? " (published)" : ""}`)));
    if (chosen) select.value = String(chosen);
  }
  byId("knowledge-compare").hidden = numbers.length < 2;
  byId("knowledge-diff").replaceChildren();
}

function diffView(lines, what) {
  const added = lines.filter((line) => line.kind === "added").length;
  const removed = lines.filter((line) => line.kind === "removed").length;
  if (!added && !removed) return [el("p", { className: "hint" }, `${what}: no change.`)];
  return [
    el("p", { className: "hint" }, `${what}: ${counted(added, "line")} added, ${counted(removed, "line")} removed.`),
    el("div", { className: "diff", role: "group", "aria-label": what, tabindex: "0" }, lines.map((line) => {
      if (line.kind === "added") return el("ins", { className: "diff-line" }, el("span", { className: "visually-hidden" }, "Added: "), el("span", { "aria-hidden": "true" }, "+ "), line.text);
      if (line.kind === "removed") return el("del", { className: "diff-line" }, el("span", { className: "visually-hidden" }, "Removed: "), el("span", { "aria-hidden": "true" }, "− "), line.text);
      if (line.kind === "heading") return el("strong", { className: "diff-line diff-heading" }, line.text);
      return el("span", { className: "diff-line" }, "  ", line.text);
    })),
  ];
}

async function showDiff(language, from, to, box, what) {
  box.replaceChildren(el("p", { className: "hint" }, "Comparing…"));
  let answer;
  try {
    answer = await api(`articles/${encodeURIComponent(editing.slug)}/${encodeURIComponent(language)}/diff?from=${from}&to=${to}`);
  } catch (error) {
    if (error instanceof ApiError && error.status !== 401) {
      box.replaceChildren(el("p", { className: "error" }, `The versions cannot be compared: ${error.message}.`));
      return;
    }
    throw error;
  }
  box.replaceChildren(...diffView(answer.lines || [], what));
}

// ---- the preview ----

function schedulePreview(delay = PREVIEW_PAUSE_MS) {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(() => refreshPreview().catch(reportError), delay);
}

async function refreshPreview() {
  if (previewing) previewing.abort();
  const body = byId("knowledge-body").value;
  const box = byId("knowledge-preview");
  byId("knowledge-preview-title").textContent = byId("knowledge-title-field").value.trim();
  if (!body.trim()) {
    previewing = null;
    box.replaceChildren(el("p", { className: "hint" }, "The preview shows here, as the help center shows it, once there is text."));
    return;
  }
  const request = new AbortController();
  previewing = request;
  box.setAttribute("aria-busy", "true");
  let answer;
  try {
    answer = await api("articles/preview", { method: "POST", body: { body }, signal: request.signal });
  } catch (error) {
    if (isAbandoned(error) || previewing !== request) return;
    box.removeAttribute("aria-busy");
    if (error instanceof ApiError && error.status !== 401) {
      box.replaceChildren(el("p", { className: "error" }, `The text cannot be previewed: ${error.message}.`));
      return;
    }
    throw error;
  }
  if (previewing !== request) return;
  previewing = null;
  box.removeAttribute("aria-busy");
  const frame = articlePreviewFrame(answer.html, `Preview of ${byId("knowledge-title-field").value.trim() || "the article"}`, API_ROOT.origin);
  frame.classList.add("knowledge-preview-frame");
  box.replaceChildren(frame);
}

// ---- saving ----

// The title, tags and text as the desk checks them; null (the problems said at their fields) if
// they cannot go.
function formValues() {
  clearFieldErrors();
  const title = byId("knowledge-title-field").value.trim();
  const tags = tagsOf(byId("knowledge-tags").value);
  const body = byId("knowledge-body").value;
  const problems = [];
  if (!title) problems.push(["title-field", "Give the article a title: it is what customers and agents find it by."]);
  else if (title.length > 200) problems.push(["title-field", `The title has ${title.length} characters; 200 at most.`]);
  const longTag = tags.find((tag) => tag.length > MAX_TAG_LENGTH);
  if (longTag) problems.push(["tags", `A tag is at most ${MAX_TAG_LENGTH} characters: “${longTag.slice(0, 30)}…” has ${longTag.length}. Separate tags with commas.`]);
  else if (tags.length > MAX_TAGS) problems.push(["tags", `An article has at most ${MAX_TAGS} tags; this one has ${tags.length}.`]);
  if (!body.trim()) problems.push(["body", "Write the article's text."]);
  if (editing && !editing.slug) {
    const slug = byId("knowledge-slug").value.trim();
    if (slug && (!SLUG.test(slug) || slug.length > 80)) {
      problems.push(["slug", "An address is lower-case letters and digits joined by single hyphens, such as reset-your-password; 80 at most."]);
    }
  }
  for (const [name, message] of problems) fieldError(name, message);
  if (problems.length) {
    byId(`knowledge-${problems[0][0]}`).focus();
    return null;
  }
  return { title, tags, body };
}

function conflictBox(message, newer) {
  const box = byId("knowledge-conflict");
  box.hidden = false;
  // The desk's sentence names who saved and when; the newer version's fields say it otherwise.
  const who = newer && newer.author
    ? `${newer.author} saved version ${newer.number}${newer.at ? ` at ${shortWhen(newer.at)}` : ""}.`
    : "";
  box.replaceChildren(
    el("p", { className: "conflict-title" }, el("strong", {}, "Not saved: someone saved this text since you opened it.")),
    el("p", {}, message ? `${message.replace(/[.\s]+$/, "")}.` : who),
    el("p", {}, "Your text is still in the box. Reload theirs to read it (yours is dropped), or keep yours: it is saved as a new version over theirs, which stays in the versions."),
    el(
      "div",
      { className: "row" },
      el("button", { type: "button", id: "knowledge-conflict-reload" }, "Reload theirs"),
      el("button", { type: "button", className: "primary", id: "knowledge-conflict-keep" }, "Keep mine"),
    ),
  );
  box.focus();
}

function hideConflict() {
  const box = byId("knowledge-conflict");
  box.hidden = true;
  box.replaceChildren();
}

// Save the box as a new draft version: the article itself when it is new. The new version's number,
// or null when nothing was saved (said on the page).
async function saveDraft() {
  const values = formValues();
  if (!values) return null;
  hideConflict();
  if (!editing.slug) return createArticle(values);
  const document = { ...values, base_version: editing.baseVersion, note: byId("knowledge-note").value.trim() };
  if (editing.language !== editing.article.original) {
    const follows = !byId("knowledge-follows-field").hidden && byId("knowledge-follows").checked;
    const originalNow = editing.doc && editing.doc.original ? editing.doc.original.published_version : null;
    if (follows && originalNow) document.source_version = originalNow;
    else if (!editing.doc && editing.sourceVersion) document.source_version = editing.sourceVersion;
  }
  const button = byId("knowledge-save");
  button.disabled = true;
  let answer;
  try {
    answer = await api(`articles/${encodeURIComponent(editing.slug)}/${encodeURIComponent(editing.language)}`, { method: "PUT", body: document });
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      const data = error.data || {};
      conflictBox(error.message, data.newer || data.version || data);
      return null;
    }
    if (error instanceof ApiError && error.status === 400) {
      const field = /\btitle\b/.test(error.message) ? "title-field" : /\btags?\b/.test(error.message) ? "tags" : "body";
      fieldError(field, `The desk cannot save this: ${error.message}.`);
      byId(`knowledge-${field}`).focus();
      return null;
    }
    throw error;
  } finally {
    button.disabled = false;
  }
  forgetUnsaved();
  const version = answer.version || answer;
  return version.number;
}

async function createArticle(values) {
  const slug = byId("knowledge-slug").value.trim();
  const language = byId("knowledge-language").value;
  const document = { ...values, category: byId("knowledge-new-category").value, language, ...(slug ? { slug } : {}) };
  const button = byId("knowledge-save");
  button.disabled = true;
  let answer;
  try {
    answer = await api("articles", { method: "POST", body: document });
  } catch (error) {
    if (error instanceof ApiError && (error.status === 400 || error.status === 409)) {
      const field = /\bslug\b|exists|address/.test(error.message) ? "slug" : /\btitle\b/.test(error.message) ? "title-field" : /\btags?\b/.test(error.message) ? "tags" : "body";
      fieldError(field, `The desk cannot create it: ${error.message}.`);
      byId(`knowledge-${field}`).focus();
      return null;
    }
    throw error;
  } finally {
    button.disabled = false;
  }
  const created = answer.article || answer;
  forgetUnsaved();
  editing.dirty = false;
  summaries = [];
  sayAfterMove(`Created “${values.title}” as a draft: nobody sees it until it is published.`);
  location.hash = knowledgeHref(created.slug, language);
  return 1;
}

// After a save: the translation read again, the agent's place kept, the page saying what happened.
async function reloadTranslation(message) {
  const { slug, language } = editing;
  const load = ++loadNumber;
  await showTranslation(slug, language, load);
  if (load !== loadNumber) return;
  editorStatus(message);
  byId("knowledge-status-line").focus();
}

async function saveClicked(event) {
  event.preventDefault();
  const number = await saveDraft();
  if (number === null || !editing.slug) return;
  summaries = [];
  await reloadTranslation(`Saved draft version ${number}. It is not published yet.`);
}

async function keepMine() {
  // Over the newest version there is now: read which it is, and save the box over it.
  const doc = await readTranslation(editing.slug, editing.language);
  editing.baseVersion = doc ? doc.translation.draft_version : 0;
  const number = await saveDraft();
  if (number === null) return;
  await reloadTranslation(`Saved your text as draft version ${number}, over your colleague's (still in the versions below).`);
}

async function publishClicked() {
  let number = editing.doc ? editing.doc.translation.draft_version : 0;
  if (editing.dirty || !editing.doc) {
    number = await saveDraft();
    if (number === null) return;
  }
  const button = byId("knowledge-publish");
  button.disabled = true;
  // Publishing takes a moment (the help center and its search are updated): the button says so.
  button.textContent = "Publishing…";
  try {
    await api(`articles/${encodeURIComponent(editing.slug)}/${encodeURIComponent(editing.language)}/publish`, { method: "POST", body: { version: number } });
  } catch (error) {
    if (error instanceof ApiError && (error.status === 400 || error.status === 409)) {
      editorStatus(`Not published: ${error.message}.`, { error: true });
      byId("knowledge-status-line").focus();
      return;
    }
    throw error;
  } finally {
    button.disabled = false;
    button.textContent = "Publish";
  }
  summaries = [];
  await reloadTranslation(`Published version ${number} in ${languageName(editing.language)}: the help center shows it within a few minutes.`);
}

async function unpublishClicked() {
  const button = byId("knowledge-unpublish");
  button.disabled = true;
  try {
    await api(`articles/${encodeURIComponent(editing.slug)}/${encodeURIComponent(editing.language)}/publish`, { method: "DELETE" });
  } catch (error) {
    if (error instanceof ApiError && (error.status === 400 || error.status === 409)) {
      editorStatus(`Not unpublished: ${error.message}.`, { error: true });
      return;
    }
    throw error;
  } finally {
    button.disabled = false;
  }
  summaries = [];
  await reloadTranslation(`Unpublished the ${languageName(editing.language)} text: the help center no longer shows it. The draft stays.`);
}

async function saveSettings(event) {
  event.preventDefault();
  if (!editing || !editing.slug) return;
  fieldError("review-by", "");
  const document = {
    version: editing.article.version,
    category: byId("knowledge-category-field").value,
    owner: byId("knowledge-owner").value,
  };
  const reviewBy = byId("knowledge-review-by").value;
  // A new review date already past would flag the article at once: said before anything is sent
  // (a date that passed while it was set stays savable with the other settings).
  const today = new Date().toLocaleDateString("en-CA");
  if (reviewBy && reviewBy < today && reviewBy !== (editing.article.review_by || "")) {
    fieldError("review-by", "That day is past: choose today or a later day for the next review.");
    byId("knowledge-review-by").focus();
    return;
  }
  if (reviewBy) document.review_by = reviewBy;
  const button = byId("knowledge-settings-save");
  button.disabled = true;
  let answer;
  try {
    answer = await api(`articles/${encodeURIComponent(editing.slug)}`, { method: "PATCH", body: document });
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      const record = await api(`articles/${encodeURIComponent(editing.slug)}`);
      editing.article = record.article || record;
      byId("knowledge-settings-status").textContent = `Not saved: a colleague changed the article's settings meanwhile (${error.message}). Its version is read again: choose and save once more.`;
      return;
    }
    if (error instanceof ApiError && error.status === 400) {
      fieldError("review-by", `The desk cannot save this: ${error.message}.`);
      return;
    }
    throw error;
  } finally {
    button.disabled = false;
  }
  editing.article = answer.article || answer;
  summaries = [];
  byId("knowledge-settings-status").textContent = `Saved: ${categoryLabel(editing.article.category)}, owned by ${editing.article.owner}, review by ${dayLabel(editing.article.review_by)}.`;
}

// ---- deleting (admins) ----

// The dialog that asks (dialogs.js), built with the view.
let confirmation = null;

function askToDelete() {
  const title = byId("knowledge-title-field").value.trim() || editing.slug;
  confirmation.ask({
    heading: `Delete “${title}”?`,
    words:
      `The article goes in every language, with all its versions, and the help center stops showing it. ` +
      `Replies and saved replies that link it keep the link, which then finds nothing. This cannot be undone.`,
  });
}

async function confirmDelete() {
  const { slug } = editing;
  const title = byId("knowledge-title-field").value.trim() || slug;
  const button = confirmation.button;
  button.disabled = true;
  try {
    await api(`articles/${encodeURIComponent(slug)}`, { method: "DELETE" });
  } catch (error) {
    if (error instanceof ApiError && error.status !== 401 && error.status !== 404) {
      confirmation.error(`It was not deleted: ${error.message}.`);
      return;
    }
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  } finally {
    button.disabled = false;
  }
  for (const key of [...unsaved.keys()]) if (key.startsWith(`${slug}/`)) unsaved.delete(key);
  editing.dirty = false;
  // The article is gone: the focus goes to the list's heading, not back to the button.
  editing.deleted = true;
  confirmation.close();
  summaries = [];
  sayAfterMove(`Deleted “${title}” in every language.`);
  location.hash = listHref;
}

// ---- images ----

const MAX_IMAGE_BYTES = 2 * 1024 * 1024;
const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];

function base64Of(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

// An image chosen for the text: checked as the desk checks it, uploaded (POST /articles/images),
// and its Markdown put in at the text's cursor, which the preview then shows.
async function addImage() {
  const input = byId("knowledge-image");
  const file = input.files && input.files[0];
  input.value = "";
  const status = byId("knowledge-image-status");
  if (!file) return;
  status.classList.remove("error");
  if (!IMAGE_TYPES.includes(file.type)) {
    status.classList.add("error");
    status.textContent = `${file.name} is not a PNG, JPEG, GIF or WebP image: it was not added.`;
    return;
  }
  if (file.size > MAX_IMAGE_BYTES) {
    status.classList.add("error");
    status.textContent = `${file.name} is ${fileSize(file.size)}; an image is at most 2 MB.`;
    return;
  }
  status.textContent = `Uploading ${file.name}…`;
  let answer;
  try {
    answer = await api("articles/images", {
      method: "POST",
      body: { data: await base64Of(file), content_type: file.type, filename: file.name },
    });
  } catch (error) {
    if (error instanceof ApiError && error.status !== 401) {
      status.classList.add("error");
      status.textContent = `${file.name} was not added: ${error.message}.`;
      return;
    }
    throw error;
  }
  const box = byId("knowledge-body");
  const start = box.selectionStart ?? box.value.length;
  const end = box.selectionEnd ?? box.value.length;
  const text = `${start && !box.value.slice(0, start).endsWith("\n") ? "\n\n" : ""}${answer.markdown}\n`;
  box.value = box.value.slice(0, start) + text + box.value.slice(end);
  box.selectionStart = box.selectionEnd = start + text.length;
  setDirty(true);
  keepUnsaved();
  schedulePreview(0);
  status.textContent = `Added ${file.name} to the text; describe it in the brackets for people who cannot see it.`;
  box.focus();
}

// ---- the view ----

// `slug`: null for the list, "new", or an article's; `language` the translation's.
export async function showKnowledge(slug, language) {
  build();
  showView("knowledge-view");
  const load = ++loadNumber;
  clearTimeout(previewTimer);
  if (previewing) previewing.abort();
  editorStatus("");
  const said = saidAfterMove;
  saidAfterMove = "";
  hideConflict();
  byId("knowledge-settings-status").textContent = "";
  const view = byId("knowledge-view");
  view.setAttribute("aria-busy", "true");
  try {
    if (!slug) {
      editing = null;
      await showList(load);
      return;
    }
    byId("knowledge-list-part").hidden = true;
    byId("knowledge-new").hidden = true;
    byId("knowledge-editor").hidden = false;
    byId("knowledge-back").textContent = "Back to the knowledge base";
    byId("knowledge-back-link").href = listHref;
    setDirty(false);
    if (slug === "new") {
      await readDeskLanguages();
      if (load !== loadNumber) return;
      await showNewArticle();
      return;
    }
    if (!language) {
      const record = await api(`articles/${encodeURIComponent(slug)}`);
      if (load !== loadNumber) return;
      location.replace(knowledgeHref(slug, (record.article || record).original));
      return;
    }
    await showTranslation(slug, language, load);
  } catch (error) {
    if (load !== loadNumber || isAbandoned(error)) return;
    throw error;
  } finally {
    if (load === loadNumber) {
      view.removeAttribute("aria-busy");
      if (said) editorStatus(said);
    }
  }
}

// "Create an article from this ticket" (ticket.js): POST /tickets/{ref}/article drafts one from the
// agents' replies with the customer's data taken out; the editor opens on it, listing what went.
export async function draftFromTicket(ref) {
  const answer = await api(`tickets/${encodeURIComponent(ref)}/article`, { method: "POST", body: {} });
  arrivedFromTicket = { ...answer, ref };
  summaries = [];
  location.hash = knowledgeHref(answer.slug, answer.language);
}

// The view's content, put on the page from its <template> the first time it shows: until then the
// other views' document holds none of its forms (their labels and buttons stay the only ones).
let built = false;

function build() {
  if (built) return;
  built = true;
  byId("knowledge-view").append(byId("knowledge-template").content.cloneNode(true));
  byId("knowledge-filters").addEventListener("submit", filtersChosen);
  for (const id of ["knowledge-category", "knowledge-status", "knowledge-flag", "knowledge-mine"]) {
    byId(id).addEventListener("change", filtersChosen);
  }
  byId("knowledge-words").addEventListener("input", () => {
    const filters = { ...readKnowledgeFilters(), q: byId("knowledge-words").value.trim() };
    writeKnowledgeFilters(filters, { replace: true });
    listHref = location.hash;
    locationChanged();
    drawList(filters);
  });
  byId("knowledge-clear").addEventListener("click", () => {
    writeKnowledgeFilters({});
    showKnowledge(null, null).catch(reportError);
  });
  byId("knowledge-form").addEventListener("submit", (event) => saveClicked(event).catch(reportError));
  for (const id of ["knowledge-body", "knowledge-title-field"]) {
    byId(id).addEventListener("input", () => {
      setDirty(true);
      keepUnsaved();
      schedulePreview();
    });
  }
  for (const id of ["knowledge-tags", "knowledge-note"]) {
    byId(id).addEventListener("input", () => {
      setDirty(true);
      keepUnsaved();
    });
  }
  byId("knowledge-title-field").addEventListener("input", () => {
    fieldError("title-field", "");
    if (editing && !editing.slug) byId("knowledge-slug").placeholder = suggestedSlug(byId("knowledge-title-field").value);
  });
  byId("knowledge-body").addEventListener("input", () => fieldError("body", ""));
  byId("knowledge-slug").addEventListener("input", () => fieldError("slug", ""));
  byId("knowledge-tags").addEventListener("input", () => fieldError("tags", ""));
  byId("knowledge-image").addEventListener("change", () => addImage().catch(reportError));
  byId("knowledge-delete").addEventListener("click", askToDelete);
  confirmation = confirmDialog("knowledge-delete", {
    parent: byId("knowledge-editor"),
    confirm: confirmDelete,
    closed: () => {
      if (editing && editing.deleted) byId("knowledge-title").focus();
      else byId("knowledge-delete").focus();
    },
  });
  byId("knowledge-publish").addEventListener("click", () => publishClicked().catch(reportError));
  byId("knowledge-unpublish").addEventListener("click", () => unpublishClicked().catch(reportError));
  byId("knowledge-article-settings").addEventListener("submit", (event) => saveSettings(event).catch(reportError));
  byId("knowledge-conflict").addEventListener("click", (event) => {
    if (event.target.id === "knowledge-conflict-keep") keepMine().catch(reportError);
    if (event.target.id === "knowledge-conflict-reload") {
      forgetUnsaved();
      reloadTranslation("Reloaded: the box shows your colleague's version.").catch(reportError);
    }
  });
  byId("knowledge-version-list").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-from]");
    if (!button) return;
    const { from, to } = button.dataset;
    showDiff(editing.language, from, to, byId("knowledge-diff"), `Changes from version ${from} to version ${to}`)
      .then(() => byId("knowledge-diff").querySelector(".diff, p")?.scrollIntoView({ block: "nearest" }))
      .catch(reportError);
  });
  byId("knowledge-compare").addEventListener("submit", (event) => {
    event.preventDefault();
    const from = byId("knowledge-diff-from").value;
    const to = byId("knowledge-diff-to").value;
    showDiff(editing.language, from, to, byId("knowledge-diff"), `Changes from version ${from} to version ${to}`).catch(reportError);
  });
  byId("knowledge-original-changes").addEventListener("click", () => {
    const button = byId("knowledge-original-changes");
    showDiff(editing.article.original, button.dataset.from, button.dataset.to, byId("knowledge-original-diff"),
      `What changed in the ${languageName(editing.article.original)} original from version ${button.dataset.from} to version ${button.dataset.to}`).catch(reportError);
  });
}

export function setUpKnowledge() {
  // A text typed and not saved is not lost to a closed tab by accident.
  window.addEventListener("beforeunload", (event) => {
    if (built && editing && editing.dirty && !byId("knowledge-view").hidden) event.preventDefault();
  });
}

// The address the desk would make of a title (knowledge/model.py slug_from_title), as a hint.
function suggestedSlug(title) {
  const slug = title.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/ß/g, "ss")
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80).replace(/-+$/, "");
  return slug || "made from the title";
}
