// The main nav on a narrow screen: the desk's own links (Dashboard, Issue, Return) stay in
// sight, the rest folds behind one "Menu" button. On a wide screen the CSS shows everything
// and hides the button; without this script every link shows everywhere.
const nav = document.querySelector(".mainnav");
const button = nav?.querySelector(".menu-toggle");
const more = nav?.querySelector(".nav-more");

function setOpen(open, { focusButton = false } = {}) {
  nav.classList.toggle("open", open);
  button.setAttribute("aria-expanded", String(open));
  if (focusButton) button.focus();
}

if (nav && button && more && more.querySelector("a")) {
  nav.classList.add("menu");
  button.hidden = false;
  button.addEventListener("click", () => setOpen(!nav.classList.contains("open")));
  nav.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && nav.classList.contains("open")) {
      setOpen(false, { focusButton: true });
    }
  });
  // A tap or a focus outside closes it, as a menu does.
  document.addEventListener("click", (event) => {
    if (!nav.contains(event.target)) setOpen(false);
  });
  nav.addEventListener("focusout", (event) => {
    if (event.relatedTarget && !nav.contains(event.relatedTarget)) setOpen(false);
  });
}
