// The engineer field: a badge scanner types the badge and Enter. Enter picks the engineer
// from the list (badge, full name, or the one entry that contains what was typed) and moves
// on; it never submits the issue or the return.
const field = document.querySelector("input[list=engineer-list]");
const list = document.getElementById("engineer-list");

if (field && list) {
  const note = document.createElement("p");
  note.className = "pick-note small";
  note.setAttribute("aria-live", "polite");
  field.after(note);

  field.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const typed = field.value.trim().toLowerCase();
    if (!typed) return;
    const found = pick(typed, [...list.options].map((o) => o.value));
    if (found) {
      field.value = found;
      note.textContent = "";
      note.classList.remove("error");
      // On to the photo: the next thing the desk does.
      document.querySelector(".kit-photo [data-action=camera]")?.focus();
    } else {
      note.textContent = "No single engineer matches “" + field.value.trim() + "”: pick one from the list.";
      note.classList.add("error");
    }
  });
}

// Entries read "E1001 · Ivan Petrov" (toolcrib/front/pick.py engineer_choice).
function pick(typed, entries) {
  const parts = (entry) => entry.toLowerCase().split(" · ");
  const exact = entries.filter((e) => e.toLowerCase() === typed || parts(e).includes(typed));
  if (exact.length === 1) return exact[0];
  const containing = entries.filter((e) => e.toLowerCase().includes(typed));
  return containing.length === 1 ? containing[0] : null;
}
