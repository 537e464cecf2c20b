// The list beside the photo: one row per tool with what recognition said, and for an issue the
// tool instance picked for it. Rows come from the <template>s in _kit_photo.html and are kept
// per line, so that a row being typed in is never rebuilt under the cursor.

const pct = (value) => Math.round(value) + "%";

export class ResultTable {
  constructor(section, state, hooks) {
    this.state = state;
    this.hooks = hooks; // select(i), remove(i), picked(line), search(query, signal) -> tools, hover(i)
    this.list = section.querySelector(".tool-rows");
    this.rowTemplate = section.querySelector("template.tool-row-template");
    this.pickTemplate = section.querySelector("template.instance-pick-template");
    this.purpose = section.dataset.purpose;
    this.expectedType = section.dataset.toolType || ""; // enrolment: the tool's own type
    this.toolNumber = section.dataset.toolNumber || ""; // enrolment: the tool being enrolled
    this.rows = new WeakMap();
  }

  render() {
    const { lines } = this.state;
    const rows = lines.map((line, i) => {
      let li = this.rows.get(line);
      if (!li) this.rows.set(line, (li = this.build(line)));
      this.fill(li, line, i);
      return li;
    });
    // Rows are moved only when their order changed: a row taken out and put back between a
    // press and its release (a marking arriving mid-click) loses the click.
    const shown = this.list.children;
    if (shown.length !== rows.length || rows.some((row, i) => shown[i] !== row)) this.list.replaceChildren(...rows);
  }

  build(line) {
    const li = this.rowTemplate.content.firstElementChild.cloneNode(true);
    li.addEventListener("click", (e) => {
      if (!e.target.closest("input, button.remove")) this.hooks.select(this.state.lines.indexOf(line));
    });
    li.addEventListener("pointerenter", () => this.hooks.hover(this.state.lines.indexOf(line)));
    li.addEventListener("pointerleave", () => this.hooks.hover(-1));
    li.querySelector(".remove").addEventListener("click", () => this.hooks.remove(this.state.lines.indexOf(line)));
    if (this.purpose === "issue") li.append(this.buildPick(line));
    if (this.purpose === "return") li.append(Object.assign(document.createElement("div"), { className: "near muted" }));
    return li;
  }

  fill(li, line, i) {
    const selected = i === this.state.selected;
    li.classList.toggle("selected", selected);
    li.classList.toggle("unsure", !!line.unsure);
    li.classList.toggle("overlap", !!(line.box && line.notice));
    li.dataset.i = i;
    if (line.box) li.dataset.box = line.box.join(",");
    else delete li.dataset.box;
    li.querySelector(".swatch").textContent = line.box ? i + 1 : "#";
    li.querySelector(".remove").setAttribute("aria-label", "Remove tool " + (i + 1));
    const what = li.querySelector(".what");
    const top = line.types && line.types[0];
    const [type, prob, others, note] = ["type", "prob", "others", "note"].map((c) => what.querySelector("." + c));
    type.textContent = top && !line.pending ? top.name : line.toolType || "";
    prob.textContent = top && !line.pending ? pct(top.probability * 100) : "";
    others.textContent =
      top && !line.pending && line.types.length > 1
        ? "or " + line.types.slice(1).map((t) => t.name + " " + pct(t.probability * 100)).join(", ")
        : "";
    note.textContent = !line.box
      ? line.scanned
        ? "Scanned: " + line.inventory_number + (this.purpose === "return" ? ", verified by its label" : "")
        : "No photo: picked by number"
      : line.pending
        ? "Recognising…"
        : line.notice
          ? line.notice
          : !top
          ? "Not recognised"
          : this.expectedType && top.name !== this.expectedType
            ? "Recognised as " + top.name + ", not " + this.expectedType + ": is this box around the tool?"
            : line.unsure
              ? "Unsure: check this box"
              : "";
    li.classList.toggle("other-type", !!(this.expectedType && top && !line.pending && top.name !== this.expectedType));
    const [markText, markKind] = line.pending ? ["", ""] : this.markingText(line);
    const mark = what.querySelector(".marking");
    mark.textContent = markText;
    mark.className = "marking small " + markKind;
    mark.dataset.check = (!line.pending && line.marking && line.marking.check) || "";
    if (this.purpose === "issue") this.fillPick(li, line, i);
    if (this.purpose === "return") {
      const near = !line.pending && line.instances && line.instances[0];
      li.querySelector(".near").textContent = near ? "Looks like " + near.inventory_number + " (" + pct(near.match_percent) + ")" : "";
    }
  }

  // What was read off the tool at upload: [text, class]. At enrolment it is checked against
  // the tool being enrolled.
  markingText(line) {
    const m = line.marking;
    if (!line.box || !m) return ["", ""];
    if (m.check === "reading") return ["Reading the marking…", "muted"];
    if (m.check === "partial") return ["Marking partly read: take a close-up to read all of it", "muted"];
    if (m.check === "not_read") return ["Marking not read", "muted"];
    const own = this.toolNumber && m.text.toLowerCase() === this.toolNumber.toLowerCase();
    if (this.purpose === "enrol" && this.toolNumber)
      return own ? ["Marking " + m.text + " read: this tool's number", "pass"] : ["Marking reads " + m.text + ", not this tool's number " + this.toolNumber, "error"];
    if (m.check === "confirmed") return ["Marking " + m.text + " read", "pass"];
    return ["Marking " + m.text + " read: no tool of the crib has this number", "error"];
  }

  // ---- the tool instance picked for a line (issue) ----

  buildPick(line) {
    const label = this.pickTemplate.content.firstElementChild.cloneNode(true);
    const input = label.querySelector("input");
    const list = label.querySelector("datalist");
    let controller = null;
    let timer = null;
    input.addEventListener("input", () => {
      line.inventory_number = input.value.trim();
      line.picked = true;
      line.scanned = false; // typed over: no longer what the scanner read
      this.hooks.picked(line);
      clearTimeout(timer);
      timer = setTimeout(async () => {
        controller?.abort(); // an older search's late answer is never shown
        controller = new AbortController();
        try {
          const found = await this.hooks.search(input.value.trim(), controller.signal);
          fillList(list, line.instances || [], found);
        } catch (e) {
          if (e.name !== "AbortError") this.hooks.failed(e);
        }
      }, 200);
    });
    return label;
  }

  fillPick(li, line, i) {
    const input = li.querySelector(".instance input");
    const list = li.querySelector(".instance datalist");
    input.name = "instance-" + i;
    list.id = "instances-" + i;
    input.setAttribute("list", list.id);
    if (document.activeElement !== input) input.value = line.inventory_number || "";
    if (list.shows !== line.instances) {
      fillList(list, line.instances || [], line.marking && line.marking.check === "confirmed" ? [{ inventory_number: line.marking.inventory_number, tool_type: "marking read" }] : []);
      list.shows = line.instances; // filled again only when recognition answered anew
    }
    this.showMatch(li, line, i);
  }

  showMatch(li, line, i) {
    const match = li.querySelector(".instance .match");
    const input = li.querySelector(".instance input");
    const number = (line.inventory_number || "").toLowerCase();
    const other = number ? this.state.lines.findIndex((l, k) => k !== i && (l.inventory_number || "").toLowerCase() === number) : -1;
    const c = (line.instances || []).find((x) => x.inventory_number === line.inventory_number);
    const byMarking = line.marking && line.marking.check === "confirmed" && line.marking.inventory_number === line.inventory_number;
    let text, kind;
    if (other >= 0) {
      text = line.inventory_number + " is already on line " + (other + 1) + " of this issue: pick another tool.";
      kind = "error";
    } else if (byMarking) [text, kind] = ["picked by its marking" + (c ? ", " + pct(c.match_percent) + " match" : ""), "by-marking"];
    else if (c) [text, kind] = [pct(c.match_percent) + " match", ""];
    else if (line.inventory_number) [text, kind] = [line.scanned ? "label scanned" : "picked by hand", "muted"];
    else if (line.box && !line.pending) [text, kind] = ["no enrolled tool of this type in the crib", "muted"];
    else [text, kind] = ["", "muted"];
    match.textContent = text;
    match.className = "match" + (kind ? " " + kind : "");
    // The browser refuses to submit while two lines name the same tool.
    input.setCustomValidity(other >= 0 ? text : "");
  }

  // After one line's pick changed, every row says again whether its tool is taken twice.
  refreshPicks() {
    if (this.purpose !== "issue") return;
    this.state.lines.forEach((line, i) => {
      const li = this.rows.get(line);
      if (li) this.showMatch(li, line, i);
    });
  }

  mark(i, className) {
    this.list.querySelectorAll(".tool-row").forEach((li) => li.classList.toggle(className, +li.dataset.i === i));
  }
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
