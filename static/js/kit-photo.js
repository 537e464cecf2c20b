// The photo of the tools on the desk, with one box per tool (issue, return and enrolment pages).
// Camera or upload -> the photo is stored (POST /api/photos/) and recognised
// (POST /api/recognition/: proposed boxes, likely tool types, nearest tool instances); the
// user corrects the boxes, and each changed box is recognised again. The markings (OCR, seconds
// a box) come after the boxes: the server's marking reader reads them in its own process, and
// the page asks POST /api/recognition/markings/ for the boxes still "reading" every second,
// filling each row in as its marking arrives. On submit the boxes (and,
// for an issue, the picked tool instances) go in the form as JSON.
//
// A scanned label (scan.js) adds its tool as a line: for an issue as "Add a tool by number"
// does, for a return verified by that marking.
//
// Jobs live in their own modules: camera.js, box-editor.js, result-table.js, fetch-json.js,
// scan.js;
// session.js keeps the work when the session ends. This one holds the state and the undo.
import { BoxEditor, sent } from "./box-editor.js";
import { camera } from "./camera.js";
import { Latest, isAbort, send } from "./fetch-json.js";
import { ResultTable } from "./result-table.js";
import { listenForScans } from "./scan.js";
import { guardSubmit } from "./session.js";

// A proposal or a type this unsure of itself is shown apart (dashed, "Unsure: check this box").
const UNSURE = 0.5;
// How often the page asks again for markings the server's marking reader has not read yet.
const POLL_MS = 1000;

const section = document.querySelector(".kit-photo");
if (section) start(section);

function start(section) {
  const form = section.closest("form");
  const purpose = section.dataset.purpose; // issue | return | enrol
  const photoField = form.querySelector("input[name=photo]");
  const linesField = form.querySelector("input[name=lines]");
  const engineerField = form.querySelector("input[name=engineer]");
  const countField = section.querySelector("input[data-action=count]");
  const confirmButton = form.querySelector("[data-action=confirm]");
  const countText = form.querySelector(".tool-count");
  const $ = (sel) => section.querySelector(sel);
  const statusText = $(".status"), errorText = $(".photo-error"), scanNote = $(".scan-note"), overlapText = $(".overlap-note");

  // photo: {id, url, width, height}; lines: {box: [x0,y0,x1,y1] or [x0,y0,x1,y1,angle] | null, confidence, types,
  // instances, marking, recognisedBox, inventory_number, picked, pending, unsure,
  // tools (how many tools the proposed box holds: > 1 where they overlap), notice}
  const state = { photo: null, lines: [], selected: -1 };
  const undo = [], redo = [];
  let busy = 0; // uploads and recognitions in flight: confirm waits for them
  const latest = new Latest(); // one recognition per line, one upload: late answers are dropped
  const markingReads = new Latest(); // one marking request at a time: an older one is dropped
  const toRead = []; // lines whose marking is still being read, in order
  const progress = { done: 0, total: 0, running: false, round: 0 }; // round: one per photo

  // ---- showing it all ----

  function render() {
    $(".stage-wrap").hidden = !state.photo;
    $("[data-action=whole]").hidden = !state.photo;
    const img = $(".stage img");
    if (state.photo && img.getAttribute("src") !== state.photo.url) img.src = state.photo.url;
    editor.render();
    table.render();
    $("[data-action=undo]").disabled = !undo.length;
    $("[data-action=redo]").disabled = !redo.length;
    updateConfirm();
    const n = state.lines.length;
    if (countText) countText.textContent = n ? n + " tool" + (n === 1 ? "" : "s") : "";
    sayOverlaps();
  }

  // Boxes that hold several tools the proposer could not cut apart say so above the photo,
  // on the box and in its row: one box for three tools is not three tools checked. So do the
  // boxes it cut out of a pile to reach the count: where one tool ends there is a guess.
  function sayOverlaps() {
    const notes = state.lines.map((l, i) => (l.box && l.notice ? "Box " + (i + 1) + ": " + l.notice + "." : "")).filter(Boolean);
    overlapText.replaceChildren(...notes.map((t) => Object.assign(document.createElement("span"), { textContent: t })));
    overlapText.hidden = !notes.length;
  }

  // An enrolment needs a box; an issue or return may go without a photo.
  function updateConfirm() {
    if (confirmButton) confirmButton.disabled = busy > 0 || (purpose === "enrol" && !state.lines.some((l) => l.box));
  }

  function setBusy(delta) {
    busy += delta;
    section.classList.toggle("busy", busy > 0);
    updateConfirm();
  }

  function say(text) {
    statusText.textContent = text || "";
  }
  function fail(message) {
    errorText.textContent = message;
    errorText.hidden = !message;
  }

  function label(line, i) {
    const top = line.types && line.types[0];
    const what = line.pending ? "being recognised" : top ? top.name : "not recognised";
    const several = line.tools > 1 ? "(" + line.tools + " tools overlap)" : line.maybe ? "(may hold 2 tools)" : "";
    const turned = line.box && line.box[4] ? "turned " + line.box[4] + "°" : "";
    return ["box " + (i + 1) + ":", what, line.inventory_number || "", line.unsure ? "(unsure)" : "", several, turned].filter(Boolean).join(" ");
  }

  // ---- changes, with undo ----

  const snapshot = () => ({ lines: state.lines.map((l) => ({ ...l })), selected: state.selected });

  function begin() {
    undo.push(snapshot());
    if (undo.length > 100) undo.shift();
    redo.length = 0;
  }

  function restore(from, to) {
    if (!from.length) return;
    to.push(snapshot());
    const back = from.pop();
    latest.abortAll();
    stopMarkings();
    state.lines = back.lines.map((l) => ({ ...l, pending: false }));
    state.selected = back.selected;
    // A box whose recognition belongs to another box (or never came) is recognised again.
    state.lines.filter((l) => l.box && String(l.box) !== String(l.recognisedBox)).forEach(recogniseLine);
    readMarkings();
    render();
  }

  function newLine(fields) {
    return { box: null, confidence: 1, types: [], instances: [], marking: null, recognisedBox: null, inventory_number: "", picked: false, pending: false, unsure: false, tools: 1, maybe: false, notice: "", ...fields };
  }

  function select(i) {
    state.selected = i;
    render();
    if (i >= 0) section.querySelector(`.tool-row[data-i="${i}"]`)?.scrollIntoView({ block: "nearest" });
  }

  function removeLine(i, { undoable = true } = {}) {
    if (i < 0) return;
    if (undoable) begin();
    const [gone] = state.lines.splice(i, 1);
    latest.signal(gone); // its late answer, if any, is dropped (its marking's too: askMarkings)
    state.selected = -1;
    proposeInstances();
    render();
  }

  // ---- talking to the server ----

  async function upload(file, name) {
    fail("");
    latest.abortAll(); // a newer photo makes every answer about the older one stale
    stopMarkings();
    const signal = latest.signal("upload");
    setBusy(+1);
    say("Storing the photo…");
    try {
      const stored = await send(section.dataset.photosUrl, {
        form: { image: new File([file], name || file.name || "photo.jpg", { type: file.type }) },
        signal,
      });
      say("Finding the tools…");
      const answer = await recognise({ photo: stored.id, ...told() }, signal);
      undo.length = redo.length = 0; // a new photo starts a new history
      state.photo = { id: stored.id, url: stored.image, width: stored.width, height: stored.height };
      // Lines added by number stay when a new photo is taken.
      state.lines = [...answer.tools.map((t) => fromRecognised(newLine({}), t)), ...state.lines.filter((l) => !l.box)];
      state.selected = -1;
      proposeInstances();
      state.proposedWith = JSON.stringify(told());
      say(answer.tools.length ? answer.tools.length + " tool(s) found. Check each box." : "No tool found: draw a box around each tool.");
      suggestEngineer(answer.engineer);
      editor.zoom = 1;
      render();
      readMarkings();
      proposeAgain(); // the engineer found from the photo may say how many tools to look for
    } catch (e) {
      if (isAbort(e)) return;
      say("");
      fail(e.message);
    } finally {
      latest.done("upload", signal);
      setBusy(-1);
    }
  }

  // What the desk told about the photo, for the proposer (docs/kits.md): the number of tools
  // typed in "Number of tools" is the count: touching tools are cut apart until it is reached,
  // and the least confident boxes beyond it are left out. Without it, at return, the engineer
  // picked in the field: the tools they hold are how many tools the photo may hold at most, so
  // no box says it holds more. Only a bound: a return may bring some of them and a tool may be
  // missing, so taken as the count it would cut single tools apart to find the missing ones.
  function told() {
    const count = +countField?.value;
    if (countField?.checkValidity() && Number.isInteger(count) && count >= 1) return { expected_tools: count };
    if (purpose !== "return" || !engineerField) return {};
    const typed = engineerField.value.trim().toLowerCase();
    const option = [...document.querySelectorAll("#engineer-list option")].find((o) => o.value.toLowerCase() === typed);
    return option && option.dataset.id ? { engineer: +option.dataset.id } : {};
  }

  // The count typed or the engineer known after the photo (picked, or found from their tools):
  // the boxes are proposed again with it, as long as the desk has not changed a box yet.
  async function proposeAgain() {
    const about = told();
    if (!state.photo || JSON.stringify(about) === state.proposedWith) return;
    if (undo.length) {
      if (about.expected_tools) say("Boxes changed by hand are kept: the count is used for the next photo.");
      return;
    }
    // The bound only lowers how many tools a box says it holds: nothing to redo when no box
    // says more than one.
    if (!about.expected_tools && !JSON.parse(state.proposedWith || "{}").expected_tools && !state.lines.some((l) => l.box && l.notice)) {
      state.proposedWith = JSON.stringify(about);
      return;
    }
    const photo = state.photo;
    const signal = latest.signal("upload");
    setBusy(+1);
    try {
      const answer = await recognise({ photo: photo.id, ...about }, signal);
      if (undo.length || state.photo !== photo) return; // the desk started on the boxes meanwhile
      stopMarkings();
      state.proposedWith = JSON.stringify(about);
      state.lines = [...answer.tools.map((t) => fromRecognised(newLine({}), t)), ...state.lines.filter((l) => !l.box)];
      state.selected = -1;
      proposeInstances();
      if (about.expected_tools) say(answer.tools.length + " tool(s) found for " + about.expected_tools + ". Check each box.");
      render();
      readMarkings();
    } catch (e) {
      if (!isAbort(e)) fail(e.message);
    } finally {
      latest.done("upload", signal);
      setBusy(-1);
    }
  }

  function recognise(about, signal) {
    return send(section.dataset.recognitionUrl, {
      json: { ...about, in_crib_only: purpose === "issue", find_engineer: purpose === "return" },
      signal,
    });
  }

  async function recogniseLine(line) {
    const signal = latest.signal(line);
    line.pending = true;
    line.tools = 1; // a box the desk drew or moved is theirs: one tool
    line.maybe = false;
    line.notice = "";
    setBusy(+1);
    render();
    try {
      const answer = await recognise({ photo: state.photo.id, boxes: [sent(line.box)] }, signal);
      fromRecognised(line, answer.tools[0]);
      line.confidence = 1; // drawn or corrected by the desk
      line.unsure = isUnsure(line);
      suggestEngineer(answer.engineer);
      if (!line.picked) line.inventory_number = "";
      proposeInstances();
      readMarkings();
    } catch (e) {
      if (isAbort(e)) return;
      fail(e.message);
    } finally {
      if (!signal.aborted) line.pending = false;
      latest.done(line, signal);
      setBusy(-1);
      render();
    }
  }

  // ---- the markings, after the boxes ----

  const markingPending = (line) => line.box && line.marking && line.marking.check === "reading";

  function sayProgress() {
    const text = progress.total && progress.done < progress.total ? "Reading markings… " + progress.done + " of " + progress.total : progress.total ? "Markings read: " + progress.total + " of " + progress.total : "";
    $(".marking-progress").textContent = text;
  }

  function stopMarkings() {
    markingReads.abortAll();
    toRead.length = 0;
    progress.done = progress.total = 0;
    progress.running = false;
    progress.round++; // the reads under way belong to the older photo or boxes
    sayProgress();
  }

  // Queues every line whose marking is still being read. The server's marking reader (its own
  // process) reads them; the page asks for all the lines still waiting in one request, again
  // every POLL_MS, and fills each row in as its marking comes back read.
  function readMarkings() {
    for (const line of state.lines) {
      if (markingPending(line) && !toRead.includes(line)) {
        toRead.push(line);
        progress.total++;
      }
    }
    sayProgress();
    if (!progress.running) drainMarkings();
  }

  // Lines no longer waiting (read, removed, or recognised again as read) count as done.
  function settleMarkings() {
    for (const line of toRead.slice()) {
      if (!state.lines.includes(line) || !markingPending(line)) {
        toRead.splice(toRead.indexOf(line), 1);
        progress.done++;
      }
    }
    sayProgress();
  }

  async function drainMarkings() {
    const round = progress.round;
    progress.running = true;
    while (round === progress.round) {
      settleMarkings();
      if (!toRead.length) break;
      await askMarkings(toRead.slice());
      if (round !== progress.round) return;
      settleMarkings();
      if (!toRead.length) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    if (round === progress.round) progress.running = false;
  }

  async function askMarkings(lines) {
    const signal = markingReads.signal("poll");
    const photo = state.photo.id;
    const boxes = lines.map((line) => sent(line.box));
    try {
      const answer = await send(section.dataset.markingsUrl, { json: { photo, boxes }, signal });
      if (signal.aborted || state.photo?.id !== photo) return;
      let named = false;
      answer.markings.forEach((read, k) => {
        const line = lines[k];
        // Dropped when the box moved, was removed or the photo changed meanwhile.
        if (!state.lines.includes(line) || String(sent(line.box)) !== String(boxes[k])) return;
        if (read.marking.check === "reading") return; // not read yet: asked again
        line.marking = read.marking;
        named = named || line.marking.check === "confirmed";
      });
      // The marking beats the look for every pick the user did not make by hand.
      if (purpose === "issue" && named) {
        state.lines.forEach((l) => {
          if (l.box && !l.picked) l.inventory_number = "";
        });
        proposeInstances();
      }
      render();
    } catch (e) {
      if (!isAbort(e)) fail(e.message);
    } finally {
      markingReads.done("poll", signal);
    }
  }

  function fromRecognised(line, tool) {
    Object.assign(line, { box: tool.box, confidence: tool.confidence, types: tool.types, instances: tool.instances, marking: tool.marking, recognisedBox: tool.box.slice(), tools: tool.tools_inside || 1, maybe: !!tool.maybe_several, notice: tool.notice || "" });
    line.unsure = isUnsure(line);
    return line;
  }

  function isUnsure(line) {
    const top = line.types && line.types[0];
    return line.confidence < UNSURE || (top ? top.probability < UNSURE : false);
  }

  // The return desk may leave the engineer empty: their tools tell whose they are, when the
  // server is sure of it.
  function suggestEngineer(engineer) {
    if (!engineerField || engineerField.value.trim()) return;
    if (!engineer) {
      if (purpose === "return") say("Whose tools these are is not clear from the photo: pick the engineer.");
      return;
    }
    engineerField.value = engineer.badge_number + " · " + engineer.name; // as the pick list writes it
    say("Engineer found from the tools they hold: " + engineer.name + ". Check it.");
  }

  // For an issue, each box proposes the tool its marking names (the marking beats the look),
  // else its nearest instance that no other box has taken.
  function proposeInstances() {
    if (purpose !== "issue") return;
    const taken = new Set(state.lines.filter((l) => l.inventory_number).map((l) => l.inventory_number));
    for (const line of state.lines) {
      const named = line.marking && line.marking.check === "confirmed" && line.marking.inventory_number;
      if (line.inventory_number || !named || taken.has(named)) continue;
      line.inventory_number = named;
      taken.add(named);
    }
    for (const line of state.lines) {
      if (line.inventory_number || !line.instances) continue;
      const free = line.instances.find((c) => !taken.has(c.inventory_number));
      if (free) {
        line.inventory_number = free.inventory_number;
        taken.add(free.inventory_number);
      }
    }
  }

  // ---- a scanned label ----

  function sayScan(text, bad) {
    scanNote.textContent = text;
    scanNote.classList.toggle("error", !!bad);
  }

  // Whatever the scan says is refused in words, and nothing changes.
  async function scanned(text) {
    let tool;
    setBusy(+1);
    try {
      tool = await send(section.dataset.numberUrl + "?number=" + encodeURIComponent(text));
    } catch (e) {
      return sayScan(e.message, true);
    } finally {
      setBusy(-1);
    }
    const number = tool.inventory_number;
    const on = state.lines.findIndex((l) => (l.inventory_number || "").toLowerCase() === number.toLowerCase());
    if (on >= 0) {
      const line = state.lines[on];
      select(on);
      if (line.box && !line.picked) {
        line.picked = true; // proposed from the photo, now confirmed by its label
        line.scanned = true; // confirmed by the scan, not picked by hand: not recorded as typed
        render();
        return sayScan("Scanned " + number + ": it is the tool on line " + (on + 1) + ".", false);
      }
      return sayScan(number + " is already on line " + (on + 1) + ": nothing added.", true);
    }
    const holder = tool.holder;
    if (purpose === "issue" && !tool.in_crib) {
      return sayScan(number + " is not in the crib (" + tool.status.toLowerCase() + (holder ? ", out to " + holder.name : "") + "): nothing added.", true);
    }
    if (purpose === "return") {
      if (!holder) return sayScan(number + " is not out to anyone (" + tool.status.toLowerCase() + "): nothing to return.", true);
      const typed = engineerField.value.trim().toLowerCase();
      if (!typed) {
        engineerField.value = holder.choice;
        say("Engineer found from the tool scanned: " + holder.name + ". Check it.");
      } else if (![holder.choice, holder.badge_number, holder.name].some((v) => v.toLowerCase() === typed)) {
        return sayScan(number + " is out to " + holder.name + ", not to " + engineerField.value.trim() + ": nothing added.", true);
      }
    }
    begin();
    state.lines.push(newLine({ inventory_number: number, picked: true, scanned: true, toolType: tool.tool_type }));
    render();
    sayScan("Scanned " + number + " (" + tool.tool_type + ")" + (purpose === "return" ? ": verified by its label." : "."), false);
  }

  // ---- the parts ----

  const editor = new BoxEditor(section, state, {
    begin,
    changed: () => {
      editor.render();
      table.render();
    },
    settled: (line) => recogniseLine(line),
    added: (box) => {
      const line = newLine({ box });
      state.lines.push(line);
      state.selected = state.lines.length - 1;
      return line;
    },
    remove: removeLine,
    select,
    label,
  });

  const table = new ResultTable(section, state, {
    select,
    remove: (i) => removeLine(i),
    picked: () => table.refreshPicks(),
    hover: (i) => section.querySelectorAll("g.tool-box").forEach((g) => g.classList.toggle("hover", +g.dataset.i === i)),
    search: async (q, signal) => (await send(section.dataset.searchUrl + "?in_crib=1&q=" + encodeURIComponent(q), { signal })).tools,
    failed: (e) => fail(e.message),
  });

  // A box under the pointer lights its row up, and the other way round.
  const svg = $(".boxes-layer");
  svg.addEventListener("pointerover", (e) => table.mark(+(e.target.closest("g.tool-box")?.dataset.i ?? -1), "hover"));
  svg.addEventListener("pointerout", () => table.mark(-1, "hover"));

  const cam = camera(section, { onPhoto: (blob, name) => upload(blob, name), onError: fail });
  listenForScans(section, scanned);

  section.addEventListener("click", (event) => {
    const action = event.target.closest("[data-action]")?.dataset.action;
    if (action === "camera") cam.open();
    else if (action === "snap") cam.snap();
    else if (action === "close-camera") cam.close();
    else if (action === "undo") restore(undo, redo);
    else if (action === "redo") restore(redo, undo);
    else if (action === "zoom-in") editor.setZoom(editor.zoom * 1.5);
    else if (action === "zoom-out") editor.setZoom(editor.zoom / 1.5);
    else if (action === "whole" && state.photo) {
      begin();
      state.lines.push(newLine({ box: [0, 0, state.photo.width, state.photo.height] }));
      state.selected = state.lines.length - 1;
      recogniseLine(state.lines[state.selected]);
    } else if (action === "add-by-number") {
      begin();
      state.lines.push(newLine({ picked: true }));
      render();
      section.querySelector(".tool-row:last-child input").focus();
    }
  });
  if (purpose === "return") {
    engineerField?.addEventListener("change", proposeAgain);
  }
  countField?.addEventListener("change", proposeAgain);
  $("input[data-action=upload]").addEventListener("change", (event) => {
    const file = event.target.files[0];
    if (file) upload(file);
    event.target.value = "";
  });

  // Delete removes the selected box and Ctrl+Z / Ctrl+Y undo and redo, unless the user types.
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName)) return;
    const key = event.key.toLowerCase();
    if ((event.ctrlKey || event.metaKey) && (key === "z" || key === "y")) {
      event.preventDefault();
      if (key === "y" || event.shiftKey) restore(redo, undo);
      else restore(undo, redo);
    } else if (state.selected >= 0 && ["delete", "backspace"].includes(key)) {
      event.preventDefault();
      removeLine(state.selected);
    } else if (key === "escape" && state.selected >= 0) select(-1);
  });

  form.addEventListener("submit", (event) => {
    let lines = state.lines;
    // An enrolment takes one box: the selected one when the photo has several.
    if (purpose === "enrol" && lines.filter((l) => l.box).length > 1) {
      const chosen = lines[state.selected];
      if (!chosen || !chosen.box) {
        event.preventDefault();
        fail("The photo has " + lines.filter((l) => l.box).length + " boxes: select the one around this tool (or remove the others), then enrol.");
        return;
      }
      lines = [chosen];
    }
    photoField.value = state.photo && lines.some((l) => l.box) ? state.photo.id : "";
    linesField.value = JSON.stringify(lines.map(({ pending, ...line }) => line));
    guardSubmit(event, form);
  });

  // After a refusal the page comes back with the same photo, boxes and picks.
  const kept = JSON.parse(document.getElementById("kit-state").textContent || "null");
  if (kept) {
    state.photo = kept.photo;
    state.lines = (kept.lines || []).map((l) => {
      const line = newLine({ ...l, pending: false });
      line.unsure = isUnsure(line);
      return line;
    });
  }
  render();
  readMarkings();
  section.dataset.ready = "1";
}
