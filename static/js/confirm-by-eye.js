// Return page: the desk's decisions without a page reload. Confirm by eye with one click or
// one key (several at once with the checkboxes); a recount still needs its reason. Both go
// through the REST API; without this script the same buttons post the page's forms.
(function () {
  "use strict";

  const bar = document.getElementById("confirm-form");
  const owed = document.getElementById("owed");
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]");
  if (!owed || !csrf) return;
  const busy = new Set(); // line ids with a request in flight: a second key press waits

  function waiting(kind) {
    return Array.from(document.querySelectorAll(`.return-line[data-waiting${kind ? `="${kind}"` : ""}]`));
  }

  function card(id) {
    return document.querySelector(`.return-line[data-line="${id}"]`);
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf.value, Accept: "application/json" },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.detail || `The server said ${response.status}.`);
    return data;
  }

  function say(where, message) {
    if (!where) return;
    where.textContent = message || "";
    where.hidden = !message;
  }

  // A decided line: its tag, its words, no more buttons; the count of clicks owed goes down.
  function decided(line) {
    const article = card(line.id);
    if (!article) return;
    article.className = `return-line card decision-${line.decision}`;
    article.removeAttribute("data-waiting");
    article.removeAttribute("tabindex");
    const tag = article.querySelector(".decision .tag");
    tag.className = `tag decision-${line.decision}`;
    tag.textContent = { confirmed: "confirmed by eye", recounted_accepted: "recounted and accepted", missing: "missing" }[line.decision] || line.decision;
    article.querySelector(".decision .why").textContent = line.reason;
    article.querySelectorAll(".buttons.confirm, form.recount, form.close-up").forEach((el) => el.remove());
    say(article.querySelector(".line-error"), "");
    count();
  }

  function count() {
    const toConfirm = waiting("confirm").length;
    const toRecount = waiting("recount").length;
    const clicks = toConfirm + toRecount;
    owed.dataset.confirm = toConfirm;
    owed.dataset.recount = toRecount;
    owed.replaceChildren();
    if (!clicks) {
      owed.textContent = "Nothing left to decide.";
    } else {
      const strong = document.createElement("strong");
      strong.textContent = `${clicks} click${clicks === 1 ? "" : "s"}`;
      owed.append("The desk still owes ", strong, `: ${toConfirm} to confirm by eye, ${toRecount} to recount.`);
    }
    if (bar && !toConfirm) bar.hidden = true;
  }

  async function confirm(ids) {
    ids = ids.filter((id) => !busy.has(id));
    if (!ids.length) return;
    ids.forEach((id) => busy.add(id));
    try {
      const lines = await post(bar.dataset.api, { lines: ids.map(Number) });
      lines.forEach(decided);
      say(document.getElementById("confirm-error"), "");
      const next = waiting("confirm")[0];
      if (next) next.focus();
    } catch (error) {
      say(document.getElementById("confirm-error"), error.message);
    } finally {
      ids.forEach((id) => busy.delete(id));
    }
  }

  if (bar) {
    bar.addEventListener("submit", (event) => {
      event.preventDefault();
      const one = event.submitter && event.submitter.classList.contains("confirm-one");
      const ids = one
        ? [event.submitter.value]
        : Array.from(document.querySelectorAll("input.pick:checked")).map((box) => box.value);
      if (!ids.length) {
        say(document.getElementById("confirm-error"), "Select the tools to confirm first (x, or the boxes).");
        return;
      }
      confirm(ids);
    });
    document.getElementById("select-all").addEventListener("click", () => {
      document.querySelectorAll("input.pick").forEach((box) => (box.checked = true));
    });
  }

  // The recount forms: found or missing, with the reason, through the API.
  document.querySelectorAll("form.recount").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const article = form.closest(".return-line");
      const reason = form.elements.reason.value.trim();
      if (!reason) {
        say(article.querySelector(".line-error"), "Say why: a recount decision needs a reason.");
        return;
      }
      const found = event.submitter ? event.submitter.value === "yes" : true;
      try {
        decided(await post(form.dataset.api, { found, reason }));
      } catch (error) {
        say(article.querySelector(".line-error"), error.message);
      }
    });
  });

  // Keys, when no text field has the focus: c/Enter confirm, x select, j/k move.
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select, button") || event.ctrlKey || event.metaKey || event.altKey) return;
    const cards = waiting("confirm");
    if (!cards.length) return;
    const at = cards.indexOf(document.activeElement);
    const current = at >= 0 ? cards[at] : null;
    if ((event.key === "c" || event.key === "Enter") && current) {
      event.preventDefault();
      confirm([current.dataset.line]);
    } else if (event.key === "x" && current) {
      const box = current.querySelector("input.pick");
      if (box) box.checked = !box.checked;
    } else if (event.key === "j" || event.key === "k") {
      event.preventDefault();
      const step = event.key === "j" ? 1 : -1;
      cards[(at + step + cards.length) % cards.length].focus();
    }
  });

  const first = waiting("confirm")[0];
  if (first) first.focus();
})();
