// The reply box's help articles: "Find a help article…" opens a search of the published articles in
// the ticket's language (GET /kb?mode=find: every article with a word of the query, the last word
// also as a prefix while it is typed, best first), and each found article offers "Insert link" (a
// Markdown link to its help-center page, which the desk counts as the article linked) and "Insert
// text" (the article's own Markdown, to adapt to the customer).
//
// reply.js holds this module (setUpArticlePicker, showArticlePicker) and does the inserting, so this
// module never imports reply.js.

import { ApiError, api, isAbandoned } from "./api.js";
import { byId, el } from "./dom.js";
import { languageName } from "./format.js";
import { reportError } from "./session.js";

const SEARCH_PAUSE_MS = 250;
const RESULTS = 8;

let insertText = null;
// The ticket the box is for: { ref, language }.
let forTicket = null;
let found = [];
let searchTimer = 0;
let searching = null;

function panelOpen() {
  return !byId("article-picker").hidden;
}

function openPanel(open) {
  byId("article-picker").hidden = !open;
  byId("article-picker-open").setAttribute("aria-expanded", String(open));
  if (open) byId("article-search").focus();
}

function ticketLanguage() {
  return (forTicket && forTicket.language) || "";
}

// The picker for ticket `ticket` (its reference and language); another ticket starts it afresh.
export function showArticlePicker(ticket) {
  const ref = ticket ? ticket.ref : null;
  if (!forTicket || forTicket.ref !== ref) {
    if (searching) searching.abort();
    searching = null;
    found = [];
    byId("article-search").value = "";
    byId("article-results").replaceChildren();
    byId("article-count").textContent = "";
    openPanel(false);
  }
  forTicket = ticket ? { ref: ticket.ref, language: (ticket.language || "").split("-")[0] } : null;
  const language = ticketLanguage();
  byId("article-search-hint").textContent = language
    ? `Published articles in ${languageName(language)}, this ticket's language. Insert a link to the help center, or the article's text to adapt.`
    : "Published articles in the desk's language. Insert a link to the help center, or the article's text to adapt.";
}

function scheduleSearch() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => search().catch(reportError), SEARCH_PAUSE_MS);
}

async function search() {
  if (searching) searching.abort();
  // A space after the last word says it is finished: the API reads a word without one as typed still.
  const words = byId("article-search").value.trimStart();
  if (!/[\p{L}\p{N}]/u.test(words)) {
    searching = null;
    found = [];
    byId("article-results").replaceChildren();
    byId("article-count").textContent = "";
    return;
  }
  const request = new AbortController();
  searching = request;
  const query = new URLSearchParams({ q: words, mode: "find", limit: String(RESULTS) });
  if (ticketLanguage()) query.set("language", ticketLanguage());
  let answer;
  try {
    answer = await api(`kb?${query}`, { signal: request.signal });
  } catch (error) {
    if (isAbandoned(error) || searching !== request) return;
    if (error instanceof ApiError && error.status === 400) {
      found = [];
      byId("article-results").replaceChildren();
      byId("article-count").textContent = `No articles can be searched: ${error.message}.`;
      return;
    }
    throw error;
  }
  if (searching !== request) return;
  searching = null;
  found = answer.articles || [];
  drawResults(words.trim());
}

function drawResults(words) {
  byId("article-count").textContent = found.length
    ? `${found.length === 1 ? "1 article" : `${found.length} articles`} found for “${words}”.`
    : `No published article has “${words}” in it.`;
  byId("article-results").replaceChildren(...found.map((article, index) => {
    const link = article.url || "";
    const other = article.language && article.language !== ticketLanguage();
    return el(
      "li",
      {},
      el("span", { className: "article-title", id: `article-result-${index}` }, article.title,
        other ? el("span", { className: "hint" }, ` (${languageName(article.language)})`) : null),
      article.snippet ? el("p", { className: "article-snippet" }, article.snippet) : null,
      el(
        "div",
        { className: "row" },
        el("button", { type: "button", className: "quiet", dataset: { insert: "link", index }, disabled: !link,
          "aria-describedby": `article-result-${index}` }, "Insert link"),
        el("button", { type: "button", className: "quiet", dataset: { insert: "text", index },
          "aria-describedby": `article-result-${index}` }, "Insert text"),
        link ? null : el("span", { className: "hint" }, "No link: the desk has no public address for its help center."),
      ),
    );
  }));
}

// A title in a Markdown link's text: its brackets escaped so that the link stays one.
function linkText(title) {
  return title.replace(/([\\[\]])/g, "\\$1");
}

function insertChosen(event) {
  const button = event.target.closest("button[data-insert]");
  if (!button) return;
  const article = found[Number(button.dataset.index)];
  if (!article) return;
  const text = button.dataset.insert === "link"
    ? `[${linkText(article.title)}](${article.url})`
    : (article.body || article.snippet || "").trim();
  if (!text) return;
  insertText(text);
  byId("article-count").textContent = button.dataset.insert === "link"
    ? `Inserted a link to “${article.title}”.`
    : `Inserted the text of “${article.title}”.`;
}

// `insert(text)`: puts the text at the reply box's cursor (reply.js).
export function setUpArticlePicker({ insert }) {
  insertText = insert;
  byId("article-picker-open").addEventListener("click", () => openPanel(!panelOpen()));
  byId("article-search").addEventListener("input", scheduleSearch);
  byId("article-search").addEventListener("keydown", (event) => {
    // Enter searches at once: it never sends the reply the box sits in.
    if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(searchTimer);
      search().catch(reportError);
    }
    if (event.key === "Escape") {
      event.preventDefault();
      openPanel(false);
      byId("article-picker-open").focus();
    }
  });
  byId("article-results").addEventListener("click", insertChosen);
}
