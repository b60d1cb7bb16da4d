// "Find a help article…": a search of the published articles in one language (GET /kb?mode=find:
// every article with a word of the query, the last word also as a prefix while it is typed, best
// first), each found article offering "Insert link" (a Markdown link to its help-center page, which
// the desk counts as the article linked when a reply carrying it is sent) and, where the box wants it,
// "Insert text" (the article's own Markdown, to adapt to the customer).
//
// One picker per box that writes Markdown: the reply box (the ticket's language; reply.js holds it
// through setUpArticlePicker and showArticlePicker and does the inserting, so this module never
// imports reply.js) and the saved reply editor (the saved reply's language, links only: the reply
// workflow turns a link into the ticket's language when the reply is sent). Each picker's elements
// share an id prefix: <prefix>-picker-open, -picker, -search, -search-hint, -count, -results.

import { ApiError, api, isAbandoned } from "./api.js";
import { byId, el } from "./dom.js";
import { languageName } from "./format.js";
import { reportError } from "./session.js";

const SEARCH_PAUSE_MS = 250;
const RESULTS = 8;

// A title in a Markdown link's text: its brackets escaped so that the link stays one.
function linkText(title) {
  return title.replace(/([\\[\]])/g, "\\$1");
}

// `text` at `box`'s cursor (over what is selected), the cursor after it; an input event tells the
// box's listeners (a preview, a field's error) that its text changed.
export function insertAtCursor(box, text) {
  const start = box.selectionStart ?? box.value.length;
  const end = box.selectionEnd ?? box.value.length;
  box.value = box.value.slice(0, start) + text + box.value.slice(end);
  box.selectionStart = box.selectionEnd = start + text.length;
  box.dispatchEvent(new Event("input", { bubbles: true }));
}

// A picker over the elements of id prefix `prefix`. `insert(text)` puts the chosen text where the
// author writes; `withText`: whether "Insert text" is offered besides "Insert link". Returns
// { show({ key, language, hint }) }: the picker for `key` (a ticket, a saved reply; another key
// starts it afresh) searching in `language` ("" for the desk's), `hint` saying so.
export function articlePicker({ prefix, insert, withText = true }) {
  const part = (name) => byId(`${prefix}-${name}`);
  let shownKey;
  let language = "";
  let found = [];
  let searchTimer = 0;
  let searching = null;

  function panelOpen() {
    return !part("picker").hidden;
  }

  function openPanel(open) {
    part("picker").hidden = !open;
    part("picker-open").setAttribute("aria-expanded", String(open));
    if (open) part("search").focus();
  }

  function clearResults(words) {
    found = [];
    part("results").replaceChildren();
    part("count").textContent = words || "";
  }

  function scheduleSearch() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => search().catch(reportError), SEARCH_PAUSE_MS);
  }

  async function search() {
    if (searching) searching.abort();
    // A space after the last word says it is finished: the API reads a word without one as typed still.
    const words = part("search").value.trimStart();
    if (!/[\p{L}\p{N}]/u.test(words)) {
      searching = null;
      clearResults("");
      return;
    }
    const request = new AbortController();
    searching = request;
    const query = new URLSearchParams({ q: words, mode: "find", limit: String(RESULTS) });
    if (language) query.set("language", language);
    let answer;
    try {
      answer = await api(`kb?${query}`, { signal: request.signal });
    } catch (error) {
      if (isAbandoned(error) || searching !== request) return;
      if (error instanceof ApiError && error.status === 400) {
        searching = null;
        clearResults(`No articles can be searched: ${error.message}.`);
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
    part("count").textContent = found.length
      ? `${found.length === 1 ? "1 article" : `${found.length} articles`} found for “${words}”.`
      : `No published article has “${words}” in it.`;
    part("results").replaceChildren(...found.map((article, index) => {
      const link = article.url || "";
      const other = language && article.language && article.language !== language;
      const titleId = `${prefix}-result-${index}`;
      return el(
        "li",
        {},
        el("span", { className: "article-title", id: titleId }, article.title,
          other ? el("span", { className: "hint" }, ` (${languageName(article.language)})`) : null),
        article.snippet ? el("p", { className: "article-snippet" }, article.snippet) : null,
        el(
          "div",
          { className: "row" },
          el("button", { type: "button", className: "quiet", dataset: { insert: "link", index }, disabled: !link,
            "aria-describedby": titleId }, "Insert link"),
          withText
            ? el("button", { type: "button", className: "quiet", dataset: { insert: "text", index },
              "aria-describedby": titleId }, "Insert text")
            : null,
          link ? null : el("span", { className: "hint" }, "No link: the desk has no public address for its help center."),
        ),
      );
    }));
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
    insert(text);
    part("count").textContent = button.dataset.insert === "link"
      ? `Inserted a link to “${article.title}”.`
      : `Inserted the text of “${article.title}”.`;
  }

  part("picker-open").addEventListener("click", () => openPanel(!panelOpen()));
  part("search").addEventListener("input", scheduleSearch);
  part("search").addEventListener("keydown", (event) => {
    // Enter searches at once: it never sends (or saves) the form the box sits in.
    if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(searchTimer);
      search().catch(reportError);
    }
    if (event.key === "Escape") {
      event.preventDefault();
      openPanel(false);
      part("picker-open").focus();
    }
  });
  part("results").addEventListener("click", insertChosen);

  return {
    show({ key, language: wanted, hint }) {
      const changed = (wanted || "") !== language;
      if (key !== shownKey) {
        if (searching) searching.abort();
        searching = null;
        part("search").value = "";
        clearResults("");
        openPanel(false);
      }
      shownKey = key;
      language = wanted || "";
      part("search-hint").textContent = hint;
      // The same box in another language: what was found is searched again in that one.
      if (changed && part("search").value.trim()) scheduleSearch();
    },
  };
}

// ---- the reply box's picker ----

let replyBoxPicker = null;

// The picker for ticket `ticket` (its reference and language); another ticket starts it afresh.
export function showArticlePicker(ticket) {
  const language = ticket ? (ticket.language || "").split("-")[0] : "";
  replyBoxPicker.show({
    key: ticket ? ticket.ref : null,
    language,
    hint: language
      ? `Published articles in ${languageName(language)}, this ticket's language. Insert a link to the help center, or the article's text to adapt.`
      : "Published articles in the desk's language. Insert a link to the help center, or the article's text to adapt.",
  });
}

// `insert(text)`: puts the text at the reply box's cursor (reply.js).
export function setUpArticlePicker({ insert }) {
  replyBoxPicker = articlePicker({ prefix: "article", insert });
}
