// The new-tool form: a photo of the tool fills its inventory number (and tool type) from what
// is read off it (POST /api/recognition/), for the admin to check before adding the tool.
import { send } from "./fetch-json.js";

const box = document.querySelector("#new-tool .read-number");
if (box) {
  const form = box.closest("form");
  const status = box.querySelector(".status");
  box.querySelector("input[type=file]").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (!file) return;
    status.textContent = "Reading the number…";
    try {
      const answer = await send(box.dataset.recognitionUrl, { form: { image: file, markings: "wait" } });
      const tool = answer.tools.find((t) => t.marking && t.marking.text);
      const m = tool && tool.marking;
      if (!m) {
        const partial = answer.tools.some((t) => t.marking && t.marking.check === "partial");
        status.textContent = partial ? "Only part of a number was read: take a close-up, or type it." : "No number read from the photo: type it.";
      } else if (m.check === "confirmed") {
        status.textContent = "The photo reads " + m.text + ", which is already tool " + m.inventory_number + ".";
      } else {
        form.querySelector("[name=inventory_number]").value = m.text;
        const type = tool.types && tool.types[0];
        const select = form.querySelector("select[name=tool_type]");
        if (type && select && [...select.options].some((o) => o.value === String(type.tool_type))) select.value = String(type.tool_type);
        status.textContent = "Read " + m.text + " from the photo: check it before adding the tool.";
      }
    } catch (e) {
      status.textContent = e.message;
    }
  });
  box.dataset.ready = "1";
}
