// Talking to the crib's REST API from a page: JSON (or a multipart form) in, JSON out, the
// CSRF token, one error shape, and dropping answers that a newer request has made stale.

export class RequestFailed extends Error {
  constructor(message, status) {
    super(message);
    this.name = "RequestFailed";
    this.status = status;
  }
}

// The token Django checks on every POST made with the session (DRF's SessionAuthentication).
// Signing in again gives a new one: session.js replaces it.
let csrfToken = document.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
export function setCsrfToken(token) {
  csrfToken = token;
  document.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach((input) => (input.value = token));
}

// Called with a RequestFailed of status 401/403 before it is thrown: it may sign the user in
// again (session.js) and resolve true, and the request is then sent once more.
let whenRefused = null;
export function onRefused(handler) {
  whenRefused = handler;
}

// send(url, {json | form, method, signal}) -> the answer's JSON; throws RequestFailed with a
// message fit for the user, or the browser's AbortError when `signal` aborted it.
export async function send(url, { json, form, method, signal } = {}) {
  for (let attempt = 0; ; attempt++) {
    const headers = { Accept: "application/json", "X-CSRFToken": csrfToken };
    let body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    } else if (form) {
      body = new FormData();
      for (const [k, v] of Object.entries(form)) body.append(k, v);
    }
    const response = await fetch(url, {
      method: method || (body ? "POST" : "GET"),
      body,
      headers,
      signal,
      credentials: "same-origin",
    });
    const answer = await response.json().catch(() => null);
    if (response.ok && answer !== null) return answer;
    const failed = new RequestFailed(messageOf(answer, response.status), response.status);
    if ([401, 403].includes(response.status) && whenRefused && attempt === 0) {
      if (await whenRefused(failed)) continue;
    }
    throw failed;
  }
}

function messageOf(answer, status) {
  if (answer && typeof answer.detail === "string") return answer.detail;
  if (status === 401) return "You are signed out: log in again.";
  if (status === 413) return "The photo is too large for the server.";
  return "The server could not answer this request (" + status + "). Try again.";
}

// One request in flight per key: a new one aborts the older, whose late answer is never used.
export class Latest {
  constructor() {
    this.controllers = new Map();
  }
  signal(key) {
    this.controllers.get(key)?.abort();
    const controller = new AbortController();
    this.controllers.set(key, controller);
    return controller.signal;
  }
  done(key, signal) {
    if (this.controllers.get(key)?.signal === signal) this.controllers.delete(key);
  }
  abortAll() {
    for (const controller of this.controllers.values()) controller.abort();
    this.controllers.clear();
  }
}

export const isAbort = (error) => error && error.name === "AbortError";
