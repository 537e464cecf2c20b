// The boxes on the photo: draw, select, move, resize, delete; with a mouse, a pen, fingers or
// the keyboard. Drawing and adjusting are distinct, so a new box never moves a correct one:
// a drag on empty photo or on an unselected box draws; only the selected box moves or resizes.
// On a phone: pinch to zoom, two fingers to pan; handles keep one size on screen at any zoom.
//
// The editor works on the page's state ({photo, lines, selected}) and tells the page through
// hooks: begin() before a change (for undo), changed() while it happens, settled(line) when a
// box is final (to recognise it again), added(box), remove(i), select(i), label(line, i).

const SVG = "http://www.w3.org/2000/svg";
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
// Below this many screen pixels a press that would draw is a tap (select), not a drag.
const TAP = 6;
const MAX_ZOOM = 8;

export class BoxEditor {
  constructor(section, state, hooks) {
    this.state = state;
    this.hooks = hooks;
    this.viewport = section.querySelector(".viewport");
    this.img = section.querySelector(".stage img");
    this.svg = section.querySelector(".boxes-layer");
    this.zoom = 1;
    this.drag = null;
    this.pointers = new Map(); // touches on the photo, for the pinch
    this.pinch = null;
    this.svg.addEventListener("pointerdown", (e) => this.down(e));
    this.svg.addEventListener("pointermove", (e) => this.move(e));
    this.svg.addEventListener("pointerup", (e) => this.up(e));
    this.svg.addEventListener("pointercancel", (e) => this.up(e, true));
    this.svg.addEventListener("keydown", (e) => this.key(e));
    this.svg.addEventListener("focusin", (e) => {
      const g = e.target.closest("g.tool-box");
      if (g && +g.dataset.i !== this.state.selected) this.hooks.select(+g.dataset.i);
    });
    // Handles are sized from the photo's size on screen: known once it has loaded.
    this.img.addEventListener("load", () => this.fit());
    window.addEventListener("resize", () => this.fit());
  }

  // ---- size on screen and zoom ----

  // The photo's width on screen at zoom 1: the whole photo in view.
  baseWidth() {
    const { photo } = this.state;
    const room = this.viewport.clientWidth || photo.width;
    const tall = window.innerHeight * 0.65;
    return Math.min(room, (tall * photo.width) / photo.height, photo.width * 4);
  }

  fit() {
    if (this.state.photo) this.setZoom(this.zoom);
  }

  // Zoom about a point of the viewport (its centre by default), keeping that point still.
  setZoom(z, about) {
    const { photo } = this.state;
    if (!photo) return;
    const v = this.viewport;
    const old = this.img.clientWidth || 1;
    const at = about || { x: v.clientWidth / 2, y: v.clientHeight / 2 };
    const fx = (v.scrollLeft + at.x) / old, fy = (v.scrollTop + at.y) / (this.img.clientHeight || 1);
    this.zoom = clamp(z, 1, MAX_ZOOM);
    const width = this.baseWidth() * this.zoom;
    this.img.style.width = width + "px";
    this.img.style.height = (width * photo.height) / photo.width + "px";
    v.classList.toggle("zoomed", this.zoom > 1);
    v.scrollLeft = fx * width - at.x;
    v.scrollTop = (fy * width * photo.height) / photo.width - at.y;
    v.dataset.zoom = this.zoom.toFixed(2);
    this.render();
  }

  scale() {
    return (this.img.clientWidth || this.state.photo.width) / this.state.photo.width;
  }

  // ---- drawing ----

  render() {
    const { photo, lines, selected } = this.state;
    const focused = this.svg.contains(document.activeElement) ? document.activeElement.dataset.i : null;
    this.svg.replaceChildren();
    if (!photo) return;
    this.svg.setAttribute("viewBox", "0 0 " + photo.width + " " + photo.height);
    const scale = this.scale();
    // A fingertip's handle on a touch screen, smaller for a mouse; never more than a third of
    // the box, so that a small box stays visible and can still be moved.
    const onScreen = window.matchMedia("(pointer: coarse)").matches ? 28 : 14;
    lines.forEach((line, i) => {
      if (!line.box) return;
      const [x0, y0, x1, y1] = line.box;
      const g = el("g", {
        class: "tool-box" + (i === selected ? " selected" : "") + (line.pending ? " pending" : "") + (line.unsure ? " unsure" : "") + (line.tools > 1 || line.maybe ? " overlap" : ""),
        "data-i": i,
        tabindex: 0,
        role: "button",
        "aria-pressed": i === selected ? "true" : "false",
        "aria-label": this.hooks.label(line, i),
      });
      g.append(el("rect", { class: "frame", x: x0, y: y0, width: x1 - x0, height: y1 - y0 }));
      const text = 18 / scale;
      const label = el("text", { x: x0 + text * 0.3, y: y0 + text * 1.1, "font-size": text });
      label.textContent = line.tools > 1 ? i + 1 + ": " + line.tools + " tools" : line.maybe ? i + 1 + ": 2 tools?" : i + 1;
      g.append(label);
      if (i === selected) {
        const side = Math.min(onScreen, (Math.min(x1 - x0, y1 - y0) * scale) / 3) / scale;
        for (const [cx, cy, corner] of [[x0, y0, "nw"], [x1, y0, "ne"], [x0, y1, "sw"], [x1, y1, "se"]]) {
          g.append(el("rect", { class: "handle", "data-corner": corner, x: cx - side / 2, y: cy - side / 2, width: side, height: side }));
        }
      }
      this.svg.append(g);
    });
    if (focused !== null && focused !== undefined) this.svg.querySelector(`g[data-i="${focused}"]`)?.focus({ preventScroll: true });
  }

  toPhoto(event) {
    const { photo } = this.state;
    const p = this.svg.createSVGPoint();
    p.x = event.clientX;
    p.y = event.clientY;
    const q = p.matrixTransform(this.svg.getScreenCTM().inverse());
    return [clamp(q.x, 0, photo.width), clamp(q.y, 0, photo.height)];
  }

  // ---- the pointer: mouse, pen or finger ----

  down(event) {
    if (!this.state.photo || event.button > 0) return;
    event.preventDefault();
    if (event.pointerType === "touch") {
      this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (this.pointers.size === 2) return this.startPinch();
      if (this.pointers.size > 2) return;
    }
    const at = this.toPhoto(event);
    const g = event.target.closest("g.tool-box");
    const i = g ? +g.dataset.i : -1;
    const corner = event.target.dataset.corner;
    const line = this.state.lines[i];
    if (i >= 0 && i === this.state.selected) {
      this.drag = { mode: corner ? "resize" : "move", corner, line, from: at, start: line.box.slice(), screen: [event.clientX, event.clientY], moved: false };
    } else {
      // Empty photo or a box not selected: a drag draws; a tap on a box selects it.
      this.drag = { mode: "draw", tapped: i, from: at, screen: [event.clientX, event.clientY], moved: false, line: null };
    }
    this.svg.setPointerCapture(event.pointerId);
  }

  move(event) {
    if (this.pointers.has(event.pointerId)) this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (this.pinch) return this.movePinch();
    const drag = this.drag;
    if (!drag) return;
    if (!drag.moved) {
      // Only a draw waits for a real drag: a shorter press on a box is a tap that selects it.
      const far = Math.hypot(event.clientX - drag.screen[0], event.clientY - drag.screen[1]);
      if (drag.mode === "draw" ? far < TAP : far === 0) return;
      drag.moved = true;
      this.hooks.begin();
      if (drag.mode === "draw") drag.line = this.hooks.added([...drag.from, ...drag.from]);
    }
    const { photo } = this.state;
    const [x, y] = this.toPhoto(event);
    const line = drag.line;
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
    this.hooks.changed();
  }

  up(event, cancelled) {
    this.pointers.delete(event.pointerId);
    if (this.pinch) {
      if (this.pointers.size < 2) this.pinch = null;
      return;
    }
    const drag = this.drag;
    this.drag = null;
    if (!drag) return;
    if (!drag.moved) {
      if (!cancelled && drag.mode === "draw") this.hooks.select(drag.tapped);
      return;
    }
    this.finish(drag, cancelled);
  }

  finish(drag, cancelled) {
    const line = drag.line;
    const { photo } = this.state;
    if (cancelled) {
      if (drag.mode === "draw") this.hooks.remove(this.state.lines.indexOf(line), { undoable: false });
      else line.box = drag.start;
      this.hooks.changed();
      return;
    }
    line.box = line.box.map(Math.round);
    const [x0, y0, x1, y1] = line.box;
    const tiny = Math.max(photo.width, photo.height) / 50;
    if (drag.mode === "draw" && (x1 - x0 < tiny || y1 - y0 < tiny)) {
      this.hooks.remove(this.state.lines.indexOf(line), { undoable: false });
      return;
    }
    this.hooks.settled(line);
  }

  // Two fingers: whatever one finger started is undone, and the photo zooms and pans.
  startPinch() {
    if (this.drag && this.drag.moved) this.finish(this.drag, true);
    this.drag = null;
    const [a, b] = [...this.pointers.values()];
    const rect = this.viewport.getBoundingClientRect();
    this.pinch = {
      distance: Math.hypot(a.x - b.x, a.y - b.y) || 1,
      zoom: this.zoom,
      mid: { x: (a.x + b.x) / 2 - rect.left, y: (a.y + b.y) / 2 - rect.top },
      scroll: { x: this.viewport.scrollLeft, y: this.viewport.scrollTop },
    };
  }

  movePinch() {
    const [a, b] = [...this.pointers.values()];
    const rect = this.viewport.getBoundingClientRect();
    const mid = { x: (a.x + b.x) / 2 - rect.left, y: (a.y + b.y) / 2 - rect.top };
    const p = this.pinch;
    this.setZoom((p.zoom * Math.hypot(a.x - b.x, a.y - b.y)) / p.distance, mid);
    // The fingers' midpoint also pans.
    this.viewport.scrollLeft += p.mid.x - mid.x;
    this.viewport.scrollTop += p.mid.y - mid.y;
    p.mid = mid;
  }

  // ---- the keyboard: Tab to a box, arrows move it, Shift+arrows resize it, Delete removes ----

  key(event) {
    const g = event.target.closest("g.tool-box");
    if (!g) return;
    const i = +g.dataset.i;
    const line = this.state.lines[i];
    if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      this.hooks.remove(i, { undoable: true });
      this.svg.querySelector("g.tool-box")?.focus();
      return;
    }
    const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (!(event.key in arrows)) return;
    event.preventDefault();
    if (i !== this.state.selected) this.hooks.select(i);
    const { photo } = this.state;
    const step = Math.max(1, Math.round(8 / this.scale()));
    const [dx, dy] = arrows[event.key].map((v) => v * step);
    if (!this.keying) this.hooks.begin();
    let [x0, y0, x1, y1] = line.box;
    if (event.shiftKey) {
      x1 = clamp(x1 + dx, x0 + step, photo.width);
      y1 = clamp(y1 + dy, y0 + step, photo.height);
    } else {
      const mx = clamp(dx, -x0, photo.width - x1), my = clamp(dy, -y0, photo.height - y1);
      [x0, y0, x1, y1] = [x0 + mx, y0 + my, x1 + mx, y1 + my];
    }
    line.box = [x0, y0, x1, y1];
    this.hooks.changed();
    // A run of key presses is one change: recognised once, when the keys rest.
    clearTimeout(this.keying);
    this.keying = setTimeout(() => {
      this.keying = null;
      this.hooks.settled(line);
    }, 500);
  }
}

function el(name, attrs) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}
