// A saved reply's body as the customer would read it: the API renders it (POST /saved-replies/preview,
// the same code as a sent reply: variables filled in, Markdown made HTML with raw HTML escaped), and
// the HTML is shown only inside a sandboxed frame with its own policy, never in the console's document.
// Used by the saved-replies page (saved-replies.js) and the reply box's picker (saved-reply-picker.js);
// the knowledge base's editor (knowledge.js) shows an article's preview in the same frame.

import { api } from "./api.js";
import { el } from "./dom.js";

// No script, no form, no request; the team's own pictures (https) may show.
const FRAME_POLICY = "default-src 'none'; img-src data: https:; style-src 'unsafe-inline'";
const FRAME_BODY_STYLE =
  "margin:0;padding:12px;font:14px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2328;" +
  "background:#fff;overflow-wrap:anywhere";

// The preview of `body` with the variables of ticket `ref` (or of a sample ticket in `language` when
// ref is empty): { ref, text, html, sign_off, variables }. ApiError (400 in words) for a body that
// cannot be rendered.
export function previewReply(body, ref, signal, language = "") {
  const document = ref ? { body, ref } : language ? { body, language } : { body };
  return api("saved-replies/preview", { method: "POST", body: document, signal });
}

const FOOTER_STYLE = "margin-top:20px;padding-top:12px;border-top:1px solid #e4e7eb;font-size:12px;color:#52606d";

// The body and the one sign-off the reply carries under it (none when the body signs already), and the
// queue's footer, as the mail shows them. The parts are the API's HTML (markdown-it, raw HTML escaped).
function wholeHtml(preview) {
  const signOff = preview.sign_off || {};
  const footer = signOff.footer_html ? `<div style="${FOOTER_STYLE}">${signOff.footer_html}</div>` : "";
  return `${preview.html}${signOff.html || ""}${footer}`;
}

function wholeText(preview) {
  const signOff = preview.sign_off || {};
  return [preview.text, signOff.text, signOff.footer].filter(Boolean).join("\n\n");
}

function frame(html, title, policy = FRAME_POLICY) {
  const preview = el("iframe", {
    sandbox: "allow-popups allow-popups-to-escape-sandbox",
    referrerpolicy: "no-referrer",
    title,
    className: "reply-preview-frame",
  });
  // Links open in a new tab: the frame itself never navigates.
  preview.srcdoc =
    `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${policy}">` +
    `<meta charset="utf-8"><base target="_blank"></head><body style="${FRAME_BODY_STYLE}">${html}</body></html>`;
  return preview;
}

// An article's HTML as the help center renders it (knowledge.js), in the same kind of frame; the
// desk's own images (`origin`: the help center serves them) may show too.
export function articlePreviewFrame(html, title, origin) {
  return frame(html, title, `default-src 'none'; img-src data: https: ${origin}; style-src 'unsafe-inline'`);
}

// The HTML part in its frame, and the plain-text part (as a text-only mail program shows it) behind a
// disclosure; `title` names the frame for a screen reader.
export function previewParts(preview, title) {
  return [
    frame(wholeHtml(preview), title),
    el(
      "details",
      { className: "reply-preview-text" },
      el("summary", {}, "Plain-text version"),
      el("pre", {}, wholeText(preview)),
    ),
  ];
}
