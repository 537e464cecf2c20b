// The slots of a kit mat drawn on the mat (its design photo when there is one): drag a slot to
// move it, drag its round handle to turn it; keyboard: Tab to a slot, arrow keys move it 1 mm
// (Shift: 10 mm), [ and ] turn it 5° (Shift: 15°), Delete removes it. The picture only edits
// the slot table's inputs, so saving is the table form's own submit (same validation, same
// service); without JavaScript the table is the editor.

const SVG = "http://www.w3.org/2000/svg";
const FIELDS = ["label", "tool_type", "tool_instance", "cx", "cy", "length", "width", "angle", "DELETE"];

const el = (name, attrs = {}) => {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
};
const round1 = (v) => Math.round(v * 10) / 10;
const num = (input) => parseFloat(input.value);

class SlotEditor {
  constructor(section) {
    this.section = section;
    this.svg = section.querySelector("svg");
    this.status = section.querySelector("[role=status]");
    this.papers = JSON.parse(section.dataset.papers); // paper -> {size: [w, h], free: [x0, y0, x1, y1]}
    this.paper = document.getElementById("id_paper");
    this.table = document.querySelector("#slot-table tbody");
    this.total = document.querySelector("input[name=slots-TOTAL_FORMS]");
    this.selected = null; // the selected row's index (its form prefix number)
    this.drag = null;
    this.svg.addEventListener("pointerdown", (e) => this.down(e));
    this.svg.addEventListener("pointermove", (e) => this.move(e));
    this.svg.addEventListener("pointerup", () => this.up());
    this.svg.addEventListener("pointercancel", () => this.up());
    this.svg.addEventListener("keydown", (e) => this.key(e));
    this.svg.addEventListener("focusin", (e) => {
      const g = e.target.closest("g.slot");
      if (g && g.dataset.i !== this.selected) this.select(g.dataset.i);
    });
    section.querySelector("[data-act=add]").addEventListener("click", () => this.add());
    section.querySelector("[data-act=delete]").addEventListener("click", () => this.remove(this.selected));
    section.querySelector("[data-act=left]").addEventListener("click", () => this.turn(this.selected, 5));
    section.querySelector("[data-act=right]").addEventListener("click", () => this.turn(this.selected, -5));
    // Typing in the table redraws the picture: both are views of the same inputs.
    this.table.addEventListener("input", () => this.render());
    this.paper.addEventListener("change", () => this.render());
    section.hidden = false;
    this.render();
  }

  // ---- the slots: read from and written to the table's inputs ----

  inputs(i) {
    const out = {};
    for (const f of FIELDS) out[f] = this.table.querySelector(`[name="slots-${i}-${f}"]`);
    return out;
  }

  rows() {
    return [...this.table.querySelectorAll("tr.slot-row")].map((tr) => tr.dataset.i);
  }

  slot(i) {
    const f = this.inputs(i);
    const s = { i, f, cx: num(f.cx), cy: num(f.cy), length: num(f.length), width: num(f.width), angle: num(f.angle) || 0 };
    s.drawn = !f.DELETE.checked && [s.cx, s.cy, s.length, s.width].every(Number.isFinite);
    return s;
  }

  set(i, changes) {
    const f = this.inputs(i);
    for (const [k, v] of Object.entries(changes)) f[k].value = round1(v);
    this.render();
    this.say(i);
  }

  describe(i) {
    const s = this.slot(i);
    const type = s.f.tool_type.selectedOptions[0]?.textContent || "no type";
    const number = s.f.tool_instance.value ? " " + s.f.tool_instance.value : "";
    const off = this.outside(s) ? ", reaches outside the mat's free area" : "";
    return `Slot ${s.f.label.value || "(no label)"}: ${type}${number}, centre ${round1(s.cx)} x ${round1(s.cy)} mm, angle ${round1(s.angle)}°${off}`;
  }

  say(i) {
    this.status.textContent = i === null ? "" : this.describe(i);
  }

  corners(s) {
    const a = (s.angle * Math.PI) / 180;
    const ux = Math.cos(a), uy = -Math.sin(a); // counter-clockwise from x, y down (as the service)
    const vx = -uy, vy = ux;
    return [[-1, -1], [1, -1], [1, 1], [-1, 1]].map(([su, sv]) => [
      s.cx + (su * s.length * ux) / 2 + (sv * s.width * vx) / 2,
      s.cy + (su * s.length * uy) / 2 + (sv * s.width * vy) / 2,
    ]);
  }

  outside(s) {
    const [x0, y0, x1, y1] = this.papers[this.paper.value].free;
    return this.corners(s).some(([x, y]) => x < x0 - 0.5 || x > x1 + 0.5 || y < y0 - 0.5 || y > y1 + 0.5);
  }

  // ---- drawing ----

  render() {
    const { size, free } = this.papers[this.paper.value];
    const focused = this.svg.contains(document.activeElement) ? document.activeElement.dataset.i : null;
    this.svg.setAttribute("viewBox", `0 0 ${size[0]} ${size[1]}`);
    this.svg.querySelectorAll("g.slot, rect.free").forEach((e) => e.remove());
    this.svg.append(el("rect", { class: "free", x: free[0], y: free[1], width: free[2] - free[0], height: free[3] - free[1] }));
    for (const i of this.rows()) {
      const s = this.slot(i);
      if (!s.drawn) continue;
      const g = el("g", {
        class: "slot" + (i === this.selected ? " selected" : "") + (this.outside(s) ? " outside" : ""),
        "data-i": i,
        "data-label": s.f.label.value,
        tabindex: 0,
        role: "button",
        "aria-pressed": i === this.selected ? "true" : "false",
        "aria-label": this.describe(i),
      });
      g.append(el("polygon", { points: this.corners(s).map((p) => p.join(",")).join(" ") }));
      const text = el("text", { x: s.cx, y: s.cy, "text-anchor": "middle", "dominant-baseline": "central" });
      text.textContent = s.f.label.value;
      g.append(text);
      if (i === this.selected) {
        const a = (s.angle * Math.PI) / 180;
        const reach = s.length / 2 + 8;
        g.append(el("line", { class: "arm", x1: s.cx, y1: s.cy, x2: s.cx + reach * Math.cos(a), y2: s.cy - reach * Math.sin(a) }));
        g.append(el("circle", { class: "turn", cx: s.cx + reach * Math.cos(a), cy: s.cy - reach * Math.sin(a), r: 6 }));
      }
      this.svg.append(g);
    }
    if (focused) this.svg.querySelector(`g[data-i="${focused}"]`)?.focus({ preventScroll: true });
  }

  select(i) {
    this.selected = i;
    this.render();
    this.say(i);
  }

  // ---- pointer: drag the slot to move it, its handle to turn it ----

  toMat(event) {
    const p = this.svg.createSVGPoint();
    p.x = event.clientX;
    p.y = event.clientY;
    const q = p.matrixTransform(this.svg.getScreenCTM().inverse());
    return [q.x, q.y];
  }

  down(event) {
    const g = event.target.closest("g.slot");
    if (!g || event.button > 0) return;
    event.preventDefault();
    const i = g.dataset.i;
    const turning = event.target.classList.contains("turn");
    if (i !== this.selected) this.select(i);
    const s = this.slot(i);
    const [x, y] = this.toMat(event);
    this.drag = { i, turning, dx: s.cx - x, dy: s.cy - y };
    this.svg.setPointerCapture(event.pointerId);
    this.svg.querySelector(`g[data-i="${i}"]`)?.focus({ preventScroll: true });
  }

  move(event) {
    if (!this.drag) return;
    const [x, y] = this.toMat(event);
    const { i } = this.drag;
    if (this.drag.turning) {
      const s = this.slot(i);
      this.set(i, { angle: (Math.atan2(s.cy - y, x - s.cx) * 180) / Math.PI });
    } else {
      this.set(i, { cx: x + this.drag.dx, cy: y + this.drag.dy });
    }
  }

  up() {
    this.drag = null;
  }

  // ---- keyboard and buttons ----

  key(event) {
    const g = event.target.closest("g.slot");
    if (!g) return;
    const i = g.dataset.i;
    const s = this.slot(i);
    const step = event.shiftKey ? 10 : 1;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[event.key]) {
      this.set(i, { cx: s.cx + moves[event.key][0], cy: s.cy + moves[event.key][1] });
    } else if (event.key === "[" || event.key === "{") {
      this.turn(i, event.shiftKey ? 15 : 5);
    } else if (event.key === "]" || event.key === "}") {
      this.turn(i, event.shiftKey ? -15 : -5);
    } else if (event.key === "Delete" || event.key === "Backspace") {
      this.remove(i);
    } else {
      return;
    }
    event.preventDefault();
  }

  turn(i, degrees) {
    if (i === null) return this.tell("Choose a slot on the mat first.");
    let angle = this.slot(i).angle + degrees;
    if (angle > 180) angle -= 360;
    if (angle <= -180) angle += 360;
    this.set(i, { angle });
  }

  remove(i) {
    if (i === null) return this.tell("Choose a slot on the mat first.");
    const label = this.inputs(i).label.value;
    this.inputs(i).DELETE.checked = true;
    this.selected = null;
    this.render();
    this.tell(`Slot ${label} deleted (it goes when you save; untick Delete in the table to keep it).`);
    this.svg.querySelector("g.slot")?.focus({ preventScroll: true });
  }

  // A new slot: the first empty row of the table, or a new row from the formset's empty form.
  add() {
    let i = this.rows().find((r) => !this.inputs(r).label.value && !this.inputs(r).cx.value);
    if (i === undefined) {
      i = this.total.value;
      const html = document.getElementById("slot-row-template").innerHTML.replaceAll("__prefix__", i);
      this.table.insertAdjacentHTML("beforeend", html);
      this.total.value = +i + 1;
    }
    const [x0, y0, x1, y1] = this.papers[this.paper.value].free;
    const f = this.inputs(i);
    const labels = this.rows().map((r) => this.inputs(r).label.value);
    let n = this.rows().length;
    while (labels.includes(String(n))) n += 1;
    f.label.value = String(n);
    if (this.selected !== null) f.tool_type.value = this.inputs(this.selected).tool_type.value;
    Object.assign(f.length, { value: 100 }), Object.assign(f.width, { value: 30 }), Object.assign(f.angle, { value: 0 });
    f.cx.value = round1((x0 + x1) / 2);
    f.cy.value = round1((y0 + y1) / 2);
    this.select(i);
    this.svg.querySelector(`g[data-i="${i}"]`)?.focus({ preventScroll: true });
    if (!f.tool_type.value) this.tell(`Slot ${n} added in the middle of the mat: choose its tool type in the table.`);
  }

  tell(text) {
    this.status.textContent = text;
  }
}

const section = document.getElementById("slot-editor");
if (section) new SlotEditor(section);
