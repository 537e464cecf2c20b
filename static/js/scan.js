// A handheld barcode scanner is a keyboard: it types the label's code fast and presses Enter.
// listenForScans(section, onScan): the scan field takes its Enter (never submitting the form);
// and wherever else the cursor is, outside text fields (on the page, on a button), the keys
// typed and ended by Enter are a scan too, so no scan needs the mouse first. Keys there do
// nothing else, so speed is not required: a scanner sends a key every few ms, and a pause of
// GAP_MS starts afresh (a slower gap failed the browser tests on a loaded machine at 80 ms).
const GAP_MS = 1000;
const MIN_LENGTH = 3;

export function listenForScans(section, onScan) {
  const field = section.querySelector("input[data-action=scan]");
  if (!field) return;
  field.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const text = field.value.trim();
    field.value = "";
    if (text) onScan(text);
  });

  let typed = "";
  let last = -Infinity;
  document.addEventListener(
    "keydown",
    (event) => {
      const gap = event.timeStamp - last;
      last = event.timeStamp;
      const inField = event.target.closest?.("input, textarea, select, [contenteditable]");
      // The box editor's turn keys on a box are not a scan's: "]]]" then Enter is no code.
      const turning = "[]{}".includes(event.key) && event.target.closest?.("g.tool-box");
      if (inField || turning || event.ctrlKey || event.metaKey || event.altKey) {
        typed = "";
        return;
      }
      if (event.key === "Enter") {
        if (typed.length >= MIN_LENGTH && gap < GAP_MS) {
          // A scan: Enter must not press the focused button or submit the form.
          event.preventDefault();
          event.stopImmediatePropagation();
          onScan(typed);
        }
        typed = "";
      } else if (event.key.length === 1) {
        typed = gap < GAP_MS ? typed + event.key : event.key;
      }
    },
    true,
  );
}
