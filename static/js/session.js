// When the session ends under an open page (a long shift, a log-out in another tab), the page's
// requests come back 401/403: ask the user to log in again here (or in a new tab), keep the
// work on the page, and send the refused request again. Submitting a form first checks that
// the session is alive and carries the current CSRF token (a new log-in gives a new one).
import { onRefused, setCsrfToken } from "./fetch-json.js";

const dialog = document.querySelector("dialog.relogin");
let token = document.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
let asking = null; // one question for all the requests refused at once

async function sessionNow() {
  const response = await fetch(dialog.dataset.sessionUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const now = await response.json();
  if (now.signed_in && now.csrf !== token) setCsrfToken((token = now.csrf));
  return now;
}

// Resolves true once signed in again, false if the user closed the question.
export function signInAgain() {
  if (asking) return asking;
  asking = new Promise((resolve) => {
    const form = dialog.querySelector("form");
    const error = dialog.querySelector(".relogin-error");
    const done = (ok) => {
      form.removeEventListener("submit", logIn);
      dialog.querySelector("[data-action=logged-in]").removeEventListener("click", check);
      dialog.removeEventListener("cancel", cancel);
      if (dialog.open) dialog.close();
      asking = null;
      resolve(ok);
    };
    const say = (text) => {
      error.textContent = text;
      error.hidden = !text;
    };
    async function logIn(event) {
      event.preventDefault();
      say("");
      const before = await sessionNow();
      const body = new URLSearchParams({
        username: form.username.value,
        password: form.password.value,
        csrfmiddlewaretoken: before.csrf,
      });
      await fetch(dialog.dataset.loginUrl, { method: "POST", body, credentials: "same-origin", redirect: "manual" });
      form.password.value = "";
      if ((await sessionNow()).signed_in) done(true);
      else say("Your username and password didn't match. Please try again.");
    }
    async function check() {
      if ((await sessionNow()).signed_in) done(true);
      else say("Not logged in yet: log in in the other tab first, or here.");
    }
    const cancel = () => done(false);
    form.addEventListener("submit", logIn);
    dialog.querySelector("[data-action=logged-in]").addEventListener("click", check);
    dialog.addEventListener("cancel", cancel);
    say("");
    dialog.showModal();
    form.password.focus();
  });
  return asking;
}

if (dialog) {
  onRefused(async () => {
    const was = token;
    const now = await sessionNow().catch(() => null);
    if (!now) return false;
    // Signed in, maybe again in another tab: an old token was refused; try the new one.
    if (now.signed_in) return now.csrf !== was;
    return signInAgain();
  });
}

// On a form's submit: let it go once the session is known to be alive, with a fresh token.
export function guardSubmit(event, form) {
  if (!dialog) return;
  if (form.dataset.checked) {
    delete form.dataset.checked;
    return;
  }
  event.preventDefault();
  const submitter = event.submitter;
  sessionNow()
    .then(async (now) => {
      if (!now.signed_in && !(await signInAgain())) return;
      form.dataset.checked = "1";
      form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
    })
    .catch(() => form.submit()); // the server is away: the post says so itself
}
