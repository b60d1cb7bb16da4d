// Every call to the desk's API goes through api(): the token, JSON both ways, and one kind of error
// (ApiError) carrying the API's own message, which the console shows as it is.

const TOKEN_KEY = "postdesk.token";

// The API lives beside the console: /console -> /, /api/console -> /api/ (API Gateway's stage).
const API_ROOT = new URL(location.pathname.replace(/console\/?$/, ""), location.origin);

export class ApiError extends Error {
  // `data`: the API's whole answer (a 409 ConversationChanged says there what changed).
  constructor(status, kind, message, data = null) {
    super(message);
    this.status = status;
    this.kind = kind;
    this.data = data;
  }
}

// The token is kept for this browser tab only (sessionStorage): closing the tab signs out.
export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function rememberToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// A request the console itself gave up on (a newer search replaced it): not an error to show.
export function isAbandoned(error) {
  return error instanceof DOMException && error.name === "AbortError";
}

// `keepalive`: the request outlives the page (what is said as the page closes).
export async function api(path, { method = "GET", body, headers = {}, asToken, signal, keepalive = false } = {}) {
  const request = {
    method,
    cache: "no-store",
    signal,
    keepalive,
    headers: { Accept: "application/json", Authorization: `Bearer ${asToken ?? token()}`, ...headers },
  };
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
