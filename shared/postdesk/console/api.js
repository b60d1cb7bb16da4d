// Every call to the desk's API goes through api(): the session cookie, the CSRF header on requests
// that change something, JSON both ways, and one kind of error (ApiError) carrying the API's own
// message, which the console shows as it is.
//
// The session is an HttpOnly cookie the desk sets when the agent signs in (POST /session): the page
// never sees it, and every tab of the browser sends it. What the page keeps is the CSRF token the
// desk derived from it (POST /session and GET /session give it), which a request other than GET,
// HEAD or OPTIONS carries in X-CSRF-Token: another site can make the browser send the cookie, but
// cannot read this token.

// The API lives beside the console: /console -> /, /api/console -> /api/ (API Gateway's stage).
export const API_ROOT = new URL(location.pathname.replace(/console\/?$/, ""), location.origin);
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

let csrfToken = "";

export class ApiError extends Error {
  // `data`: the API's whole answer (a 409 ConversationChanged says there what changed).
  constructor(status, kind, message, data = null) {
    super(message);
    this.status = status;
    this.kind = kind;
    this.data = data;
  }
}

// The CSRF token of the session this page uses ("" once signed out).
export function rememberCsrfToken(value) {
  csrfToken = value || "";
}

export function forgetCsrfToken() {
  csrfToken = "";
}

// A request the console itself gave up on (a newer search replaced it): not an error to show.
export function isAbandoned(error) {
  return error instanceof DOMException && error.name === "AbortError";
}

// `keepalive`: the request outlives the page (what is said as the page closes).
export async function api(path, { method = "GET", body, headers = {}, signal, keepalive = false } = {}) {
  const request = {
    method,
    cache: "no-store",
    // The API is on the page's own origin: the session cookie goes with every request, and only there.
    credentials: "same-origin",
    signal,
    keepalive,
    headers: { Accept: "application/json", ...headers },
  };
  if (!SAFE_METHODS.has(method.toUpperCase()) && csrfToken) request.headers["X-CSRF-Token"] = csrfToken;
  if (body !== undefined) {
    request.headers["Content-Type"] = "application/json";
    request.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(new URL(path, API_ROOT), request);
  } catch (error) {
    if (isAbandoned(error)) throw error;
    throw new ApiError(0, "NetworkError", "The desk cannot be reached. Check your connection and try again.");
  }
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch (error) {
      if (isAbandoned(error)) throw error;
      data = null;
    }
  }
  if (!response.ok) {
    const message = (data && (data.message || data.Message)) || `The desk answered ${response.status}.`;
    throw new ApiError(response.status, (data && data.error) || "HttpError", message, data);
  }
  return data;
}

// A request whose answer never came (the connection dropped) or was the desk's 5xx: it may have been
// done or not. The console says so in words, and the same content sent again carries the same
// Idempotency-Key, so the desk does it once (requestKeys).
export function outcomeUnknown(error) {
  return error instanceof ApiError && (error.status === 0 || error.status >= 500);
}

// The first words of an unknown outcome, `what` being "your reply was sent"…, with the desk's status
// when it gave one.
export function unconfirmedWords(error, what) {
  const why = error.status === 0 ? "no answer came" : `it answered ${error.status}`;
  return `Not confirmed: the desk did not say whether ${what} (${why}).`;
}

// The Idempotency-Key of a sending form (a reply, a note, a forward, a new ticket): one per content.
// The same content sent again (any JSON value: the text, the copies, the files) keeps its key, so a
// send whose answer was lost is done once however often it is clicked; another content, or `done()`
// after the desk confirmed it, makes a new one.
export function requestKeys() {
  let last = null;
  return {
    for(content) {
      const print = JSON.stringify(content);
      if (!last || last.print !== print) last = { print, key: crypto.randomUUID() };
      return last.key;
    },
    done() {
      last = null;
    },
  };
}
