// Several reference photos of one tool in one go (the tool's page): each chosen file is stored
// (POST /api/photos/) and recognised (POST /api/recognition/); its row shows the photo with the
// box that will be enrolled and the type the model reads there, flagged when it is not the
// tool's own type (such a row starts unticked). The ticked rows go in the form as JSON.
import { isAbort, send } from "./fetch-json.js";

const form = document.getElementById("enrol-many");
if (form) start(form);

function start(form) {
  const expected = form.dataset.toolType;
  const list = form.querySelector(".many-rows");
  const button = form.querySelector("button[type=submit]");
  const status = form.querySelector(".status");
  const items = []; // {photo: {id, image, width, height}, box, type, checked}
  let busy = 0;

  function update() {
    const n = items.filter((i) => i.checked).length;
    button.disabled = busy > 0 || n === 0;
    button.textContent = "Enrol " + n + " chosen photo" + (n === 1 ? "" : "s");
    status.textContent = busy ? "Reading " + busy + " photo" + (busy === 1 ? "" : "s") + "…" : "";
    form.dataset.ready = busy ? "" : "1";
  }

  function row(item, name) {
    const li = document.createElement("li");
    li.className = "many-row card";
    const frame = document.createElement("div");
    frame.className = "many-frame";
    const img = document.createElement("img");
    img.alt = name;
    img.src = item.photo.image;
    frame.append(img);
    const text = document.createElement("div");
    const tick = Object.assign(document.createElement("input"), { type: "checkbox", checked: item.checked });
    tick.addEventListener("change", () => {
      item.checked = tick.checked;
      update();
    });
    const label = document.createElement("label");
    label.append(tick, " " + name);
    const what = document.createElement("p");
    what.className = "what";
    if (!item.box) {
      tick.disabled = true;
      what.textContent = "No tool found on this photo: enrol it on its own above, drawing the box.";
    } else {
      const [x0, y0, x1, y1, angle = 0] = item.box;
      const { width: w, height: h } = item.photo;
      const box = document.createElement("span");
      box.className = "many-box";
      // A turned box turns about its centre, clockwise, as the box editor draws it.
      Object.assign(box.style, {
        left: (100 * x0) / w + "%",
        top: (100 * y0) / h + "%",
        width: (100 * (x1 - x0)) / w + "%",
        height: (100 * (y1 - y0)) / h + "%",
        transform: angle ? "rotate(" + angle + "deg)" : "",
      });
      frame.append(box);
      const type = item.type ? item.type.name + " " + Math.round(item.type.probability * 100) + "%" : "not recognised";
      what.textContent = "Recognised: " + type + (item.others ? " (" + item.others + " other box" + (item.others === 1 ? "" : "es") + " on the photo left out)" : "");
      if (item.type && item.type.name !== expected) {
        li.classList.add("other-type");
        what.textContent += " — not " + expected + ": is the box around the tool?";
      }
    }
    text.append(label, what);
    li.append(frame, text);
    return li;
  }

  async function add(file) {
    busy++;
    update();
    try {
      const photo = await send(form.dataset.photosUrl, { form: { image: file } });
      const answer = await send(form.dataset.recognitionUrl, { json: { photo: photo.id } });
      // The box the crib is surest of; the others are named, not enrolled.
      const best = [...answer.tools].sort((a, b) => b.confidence - a.confidence)[0];
      const type = best && best.types && best.types[0];
      const item = {
        photo,
        box: best ? best.box : null,
        type,
        others: Math.max(answer.tools.length - 1, 0),
        checked: !!best && (!type || type.name === expected),
      };
      items.push(item);
      list.append(row(item, file.name));
    } catch (e) {
      if (isAbort(e)) return;
      const li = Object.assign(document.createElement("li"), { className: "many-row error", textContent: file.name + ": " + e.message });
      list.append(li);
    } finally {
      busy--;
      update();
    }
  }

  form.querySelector("input[type=file]").addEventListener("change", (event) => {
    [...event.target.files].forEach(add);
    event.target.value = "";
  });
  form.addEventListener("submit", () => {
    form.querySelector("input[name=items]").value = JSON.stringify(
      items.filter((i) => i.checked).map((i) => ({ photo: i.photo.id, box: i.box })),
    );
  });
  update();
}
