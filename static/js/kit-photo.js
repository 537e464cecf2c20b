// The photo of the tools on the desk, with one box per tool.
// Camera (getUserMedia) or upload -> the server stores the photo and proposes boxes; the user
// draws, moves, resizes and deletes boxes, and each changed box is recognised again.
// On submit the boxes (and, for an issue, the picked tool instances) go in the form as JSON.
(function () {
  "use strict";
  const section = document.querySelector(".kit-photo");
  if (!section) return;

  const form = section.closest("form");
  const purpose = section.dataset.purpose; // issue | return | enrol
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const photoField = form.querySelector("input[name=photo]");
  const linesField = form.querySelector("input[name=lines]");
  const engineerField = form.querySelector("input[name=engineer]");
  const confirmButton = form.querySelector("[data-action=confirm]");
  const countText = form.querySelector(".tool-count");
  const $ = (sel) => section.querySelector(sel);
  const img = $(".stage img"), svg = $(".boxes-layer"), rows = $(".tool-rows");
  const statusText = $(".status"), errorText = $(".photo-error");
  const video = $(".camera video");
  const SVG = "http://www.w3.org/2000/svg";

  let photo = null;  // {id, url, width, height}
  let lines = [];    // {box: [x0,y0,x1,y1] | null, types, instances, inventory_number, picked, pending}
  let keptByNumber = []; // lines added by number stay when a new photo is taken
  let selected = -1;
  let busy = 0;      // uploads and recognitions in flight: confirm waits for them

  // ---- talking to the server ----

  async function post(url, data) {
    const body = new FormData();
    for (const [k, v] of Object.entries(data)) body.append(k, v);
    body.append("purpose", purpose);
    setBusy(+1);
    try {
      const response = await fetch(url, { method: "POST", body, headers: { "X-CSRFToken": csrf } });
      const answer = await response.json().catch(() => ({ error: "The server could not read this request (" + response.status + ")." }));
      if (!response.ok) throw new Error(answer.error || "The server refused the request (" + response.status + ").");
      return answer;
    } finally {
      setBusy(-1);
    }
  }

  function setBusy(delta) {
    busy += delta;
    updateConfirm();
    section.classList.toggle("busy", busy > 0);
  }

  // An enrolment needs a box; an issue or return may go without a photo.
  function updateConfirm() {
    if (confirmButton) confirmButton.disabled = busy > 0 || (purpose === "enrol" && !lines.some((l) => l.box));
  }

  function say(text) { statusText.textContent = text || ""; }
  function fail(message) {
    errorText.textContent = message;
    errorText.hidden = !message;
  }

  async function upload(file, name) {
    fail("");
    say("Storing the photo and finding the tools…");
    try {
      const answer = await post(section.dataset.uploadUrl, { photo: new File([file], name || file.name || "photo.jpg", { type: file.type }) });
      photo = answer.photo;
      lines = answer.tools.map(fromRecognised);
      lines.push(...keptByNumber);
      proposeInstances();
      say(answer.tools.length ? answer.tools.length + " tool(s) found. Check each box." : "No tool found: draw a box around each tool.");
      suggestEngineer(answer.engineer);
      selected = -1;
      render();
    } catch (e) {
      say("");
      fail(e.message);
    }
  }

  async function recogniseLine(line) {
    line.pending = true;
    render();
    try {
      const url = section.dataset.recogniseUrl.replace("/0/", "/" + photo.id + "/");
      const answer = await post(url, { box: JSON.stringify(line.box) });
      line.types = answer.types;
      line.instances = answer.instances;
      suggestEngineer(answer.engineer);
      if (!line.picked) line.inventory_number = "";
      proposeInstances();
    } catch (e) {
      fail(e.message);
    } finally {
      line.pending = false;
      render();
    }
  }

  // The return desk may leave the engineer empty: the tools tell whose they are.
  function suggestEngineer(choice) {
    if (!choice || !engineerField || engineerField.value.trim()) return;
    engineerField.value = choice;
    say("Engineer found from the tools they hold: " + choice + ". Check it.");
  }

  function fromRecognised(tool) {
    return { box: tool.box, types: tool.types, instances: tool.instances, inventory_number: "", picked: false, pending: false };
  }

  // For an issue, each box proposes its nearest instance that no other box has taken.
  function proposeInstances() {
    if (purpose !== "issue") return;
    const taken = new Set(lines.filter((l) => l.inventory_number).map((l) => l.inventory_number));
    for (const line of lines) {
      if (line.inventory_number || !line.instances) continue;
      const free = line.instances.find((c) => !taken.has(c.inventory_number));
      if (free) {
        line.inventory_number = free.inventory_number;
        taken.add(free.inventory_number);
      }
    }
  }

  // ---- camera ----

  async function openCamera() {
    fail("");
    if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) {
      // No live camera here (plain http on a tablet): the file picker offers the camera instead.
      const input = $("input[data-action=upload]");
      input.setAttribute("capture", "environment");
      input.click();
      return;
    }
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment", width: { ideal: 1920 }, height: { ideal: 1080 } }, audio: false,
      });
      await video.play();
      $(".camera").hidden = false;
    } catch (e) {
      fail("The camera could not be opened (" + e.name + "). Upload a photo instead.");
    }
  }

  function closeCamera() {
    if (video.srcObject) video.srcObject.getTracks().forEach((t) => t.stop());
    video.srcObject = null;
    $(".camera").hidden = true;
  }

  function snap() {
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    closeCamera();
    canvas.toBlob((blob) => upload(blob, "camera.jpg"), "image/jpeg", 0.92);
  }

  // ---- drawing the boxes ----

  function render() {
    $(".stage-wrap").hidden = !photo;
    $("[data-action=whole]").hidden = !photo;
    if (photo && img.getAttribute("src") !== photo.url) img.src = photo.url;
    drawBoxes();
    drawRows();
    updateConfirm();
    if (countText) countText.textContent = lines.length ? lines.length + " tool" + (lines.length === 1 ? "" : "s") : "";
  }

  function drawBoxes() {
    svg.replaceChildren();
    if (!photo) return;
    svg.setAttribute("viewBox", "0 0 " + photo.width + " " + photo.height);
    // Corner handles keep one size on screen: a fingertip's on a tablet, smaller for a mouse.
    const onScreen = window.matchMedia("(pointer: coarse)").matches ? 28 : 14;
    const handle = onScreen * photo.width / (img.clientWidth || photo.width);
    lines.forEach((line, i) => {
      if (!line.box) return;
      const [x0, y0, x1, y1] = line.box;
      const g = el("g", { class: "tool-box" + (i === selected ? " selected" : "") + (line.pending ? " pending" : ""), "data-i": i });
      g.append(el("rect", { class: "frame", x: x0, y: y0, width: x1 - x0, height: y1 - y0 }));
      const label = el("text", { x: x0 + handle * 0.4, y: y0 + handle * 1.3, "font-size": handle * 1.2 });
      label.textContent = i + 1;
      g.append(label);
      for (const [cx, cy, corner] of [[x0, y0, "nw"], [x1, y0, "ne"], [x0, y1, "sw"], [x1, y1, "se"]]) {
        g.append(el("rect", { class: "handle", "data-corner": corner, x: cx - handle / 2, y: cy - handle / 2, width: handle, height: handle }));
      }
      svg.append(g);
    });
  }

  function el(name, attrs) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  }

  function pct(value) { return Math.round(value) + "%"; }

  function drawRows() {
    rows.replaceChildren();
    lines.forEach((line, i) => {
      const li = document.createElement("li");
      li.className = "tool-row" + (i === selected ? " selected" : "");
      li.dataset.i = i;
      if (line.box) li.dataset.box = line.box.join(",");
      const top = line.types && line.types[0];
      let what;
      if (!line.box) what = "<span class='muted'>No photo: picked by number</span>";
      else if (line.pending) what = "<span class='muted'>Recognising…</span>";
      else if (top) what = "<strong class='type'>" + esc(top.name) + "</strong> <span class='prob'>" + pct(top.probability * 100) + "</span>"
        + (line.types.length > 1 ? " <span class='muted small'>or " + line.types.slice(1).map((t) => esc(t.name) + " " + pct(t.probability * 100)).join(", ") + "</span>" : "");
      else what = "<span class='muted'>Not recognised</span>";
      li.innerHTML = "<span class='swatch'>" + (line.box ? i + 1 : "#") + "</span><div class='what'>" + what + "</div>";

      if (purpose === "issue") li.append(instancePick(line, i));
      else if (purpose === "return" && line.box && !line.pending) {
        const near = line.instances && line.instances[0];
        const div = document.createElement("div");
        div.className = "near muted";
        div.textContent = near ? "Looks like " + near.inventory_number + " (" + pct(near.match_percent) + ")" : "";
        li.append(div);
      }
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "remove";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", "Remove tool " + (i + 1));
      remove.addEventListener("click", (e) => { e.stopPropagation(); removeLine(i); });
      li.append(remove);
      li.addEventListener("click", (e) => { if (e.target.tagName !== "INPUT") { selected = i; drawBoxes(); markRows(); } });
      rows.append(li);
    });
  }

  function markRows() {
    rows.querySelectorAll(".tool-row").forEach((li) => li.classList.toggle("selected", +li.dataset.i === selected));
  }

  function instancePick(line, i) {
    const wrap = document.createElement("label");
    wrap.className = "instance";
    const listId = "instances-" + i;
    wrap.innerHTML = "<span class='small muted'>Tool instance</span>";
    const input = document.createElement("input");
    input.name = "instance-" + i;
    input.setAttribute("list", listId);
    input.autocomplete = "off";
    input.placeholder = "Inventory number";
    input.value = line.inventory_number || "";
    const list = document.createElement("datalist");
    list.id = listId;
    fillList(list, line.instances || []);
    const match = document.createElement("span");
    match.className = "match";
    const showMatch = () => {
      const c = (line.instances || []).find((x) => x.inventory_number === line.inventory_number);
      match.textContent = c ? pct(c.match_percent) + " match"
        : line.inventory_number ? "picked by hand"
        : line.box && !line.pending ? "no enrolled tool of this type in the crib" : "";
      match.className = "match" + (c ? "" : " muted");
    };
    showMatch();
    let timer = null;
    input.addEventListener("input", () => {
      line.inventory_number = input.value.trim();
      line.picked = true;
      showMatch();
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const url = section.dataset.searchUrl + "?in_crib=1&q=" + encodeURIComponent(input.value.trim());
        const answer = await (await fetch(url)).json();
        fillList(list, line.instances || [], answer.tools);
      }, 200);
    });
    wrap.append(input, list, match);
    return wrap;
  }

  function fillList(list, candidates, found) {
    list.replaceChildren();
    const seen = new Set();
    for (const c of candidates) {
      seen.add(c.inventory_number);
      list.append(new Option(pct(c.match_percent) + " match", c.inventory_number));
    }
    for (const t of found || []) {
      if (!seen.has(t.inventory_number)) list.append(new Option(t.tool_type, t.inventory_number));
    }
  }

  function esc(text) {
    const d = document.createElement("div");
    d.textContent = text;
    return d.innerHTML;
  }

  function removeLine(i) {
    const [gone] = lines.splice(i, 1);
    keptByNumber = keptByNumber.filter((l) => l !== gone);
    selected = -1;
    render();
  }

  // ---- editing boxes with the pointer (mouse, pen or finger) ----

  let drag = null;

  function toPhoto(event) {
    const p = svg.createSVGPoint();
    p.x = event.clientX;
    p.y = event.clientY;
    const q = p.matrixTransform(svg.getScreenCTM().inverse());
    return [clamp(q.x, 0, photo.width), clamp(q.y, 0, photo.height)];
  }
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

  svg.addEventListener("pointerdown", (event) => {
    if (!photo) return;
    event.preventDefault();
    const at = toPhoto(event);
    const g = event.target.closest("g.tool-box");
    if (g) {
      selected = +g.dataset.i;
      const corner = event.target.dataset.corner;
      drag = { mode: corner ? "resize" : "move", corner, i: selected, from: at, start: lines[selected].box.slice() };
    } else {
      lines.push({ box: [at[0], at[1], at[0], at[1]], types: [], instances: [], inventory_number: "", picked: false, pending: false });
      selected = lines.length - 1;
      drag = { mode: "draw", i: selected, from: at, start: null };
    }
    svg.setPointerCapture(event.pointerId);
    drawBoxes();
    markRows();
  });

  svg.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const [x, y] = toPhoto(event);
    const line = lines[drag.i];
    if (drag.mode === "draw") {
      line.box = [Math.min(drag.from[0], x), Math.min(drag.from[1], y), Math.max(drag.from[0], x), Math.max(drag.from[1], y)];
    } else if (drag.mode === "move") {
      const [x0, y0, x1, y1] = drag.start;
      const dx = clamp(x - drag.from[0], -x0, photo.width - x1), dy = clamp(y - drag.from[1], -y0, photo.height - y1);
      line.box = [x0 + dx, y0 + dy, x1 + dx, y1 + dy];
    } else {
      let [x0, y0, x1, y1] = drag.start;
      if (drag.corner.includes("w")) x0 = x; else x1 = x;
      if (drag.corner.includes("n")) y0 = y; else y1 = y;
      line.box = [Math.min(x0, x1), Math.min(y0, y1), Math.max(x0, x1), Math.max(y0, y1)];
    }
    drawBoxes();
  });

  function endDrag() {
    if (!drag) return;
    const line = lines[drag.i];
    line.box = line.box.map(Math.round);
    const [x0, y0, x1, y1] = line.box;
    const tiny = Math.max(photo.width, photo.height) / 50;
    const changed = !drag.start || line.box.some((v, k) => v !== drag.start[k]);
    const mode = drag.mode;
    drag = null;
    if (x1 - x0 < tiny || y1 - y0 < tiny) {
      if (mode === "draw") { removeLine(lines.indexOf(line)); return; }
    }
    if (changed) recogniseLine(line);
    else render();
  }
  svg.addEventListener("pointerup", endDrag);
  svg.addEventListener("pointercancel", endDrag);

  document.addEventListener("keydown", (event) => {
    if (selected < 0 || !["Delete", "Backspace"].includes(event.key)) return;
    if (["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName)) return;
    event.preventDefault();
    removeLine(selected);
  });

  // ---- buttons and submit ----

  section.addEventListener("click", (event) => {
    const action = event.target.dataset.action;
    if (action === "camera") openCamera();
    else if (action === "snap") snap();
    else if (action === "close-camera") closeCamera();
    else if (action === "whole" && photo) {
      lines.push({ box: [0, 0, photo.width, photo.height], types: [], instances: [], inventory_number: "", picked: false, pending: false });
      recogniseLine(lines[lines.length - 1]);
    } else if (action === "add-by-number") {
      const line = { box: null, types: [], instances: [], inventory_number: "", picked: true, pending: false };
      lines.push(line);
      keptByNumber.push(line);
      render();
      rows.querySelector(".tool-row:last-child input").focus();
    }
  });
  $("input[data-action=upload]").addEventListener("change", (event) => {
    const file = event.target.files[0];
    if (file) upload(file);
    event.target.value = "";
  });

  form.addEventListener("submit", () => {
    photoField.value = photo && lines.some((l) => l.box) ? photo.id : "";
    linesField.value = JSON.stringify(lines.map(({ pending, ...line }) => line));
  });

  // Handles are sized from the photo's size on screen: known once it has loaded.
  img.addEventListener("load", drawBoxes);
  window.addEventListener("resize", drawBoxes);

  // After a refusal the page comes back with the same photo, boxes and picks.
  const state = JSON.parse(document.getElementById("kit-state").textContent || "null");
  if (state) {
    photo = state.photo;
    lines = (state.lines || []).map((l) => ({ types: [], instances: [], inventory_number: "", picked: false, ...l, pending: false }));
    keptByNumber = lines.filter((l) => !l.box);
  }
  render();
  section.dataset.ready = "1";
})();
