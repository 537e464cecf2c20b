// The boxes on the photo: draw, select, move, resize, delete; with a mouse, a pen, fingers or
// the keyboard. Drawing and adjusting are distinct, so a new box never moves a correct one:
// a drag on empty photo or on an unselected box draws; only the selected box moves or resizes.
// On a phone: pinch to zoom, two fingers to pan; handles keep one size on screen at any zoom.
// A selected box also turns (its handle on a stalk, or [ and ]), so that a diagonal tool's box
// holds that tool and not half the kit: moved and resized in its own frame, every turned corner
// kept inside the photo (the server refuses a box that leaves it).
//
// A box is [x0, y0, x1, y1] or [x0, y0, x1, y1, angle]: the rectangle turned by angle degrees
// about its centre, clockwise on screen (as SVG rotate), in (-90, 90], to 0.1°; an angle of 0
// is left out, so an axis-aligned box stays the 4 numbers every client and stored box has.
//
// The editor works on the page's state ({photo, lines, selected}) and tells the page through
// hooks: begin() before a change (for undo), changed() while it happens, settled(line) when a
// box is final (to recognise it again), added(box), remove(i), select(i), label(line, i).

const SVG = "http://www.w3.org/2000/svg";
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
// Below this many screen pixels a press that would draw is a tap (select), not a drag.
const TAP = 6;
const MAX_ZOOM = 8;
// A turn this near a quarter turn snaps to it (a box drawn square to the photo stays so).
const SNAP = 3;
// Shift while turning (the handle or the keys) turns in these steps.
const COARSE = 15;
const RAD = Math.PI / 180;

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
      const s = shape(line.box);
      const g = el("g", {
        class: "tool-box" + (i === selected ? " selected" : "") + (line.pending ? " pending" : "") + (line.unsure ? " unsure" : "") + (line.tools > 1 || line.maybe ? " overlap" : ""),
        "data-i": i,
        tabindex: 0,
        role: "button",
        "aria-pressed": i === selected ? "true" : "false",
        "aria-label": this.hooks.label(line, i),
      });
      // The frame and its corner handles turn with the box; the label stays upright.
      const withTurn = (attrs) => (s.angle ? { ...attrs, transform: "rotate(" + s.angle + " " + s.cx + " " + s.cy + ")" } : attrs);
      const [x0, y0, x1, y1] = [s.cx - s.w / 2, s.cy - s.h / 2, s.cx + s.w / 2, s.cy + s.h / 2];
      g.append(el("rect", withTurn({ class: "frame", x: x0, y: y0, width: s.w, height: s.h })));
      g.append(this.labelOf(line, i, s, 18 / scale));
      if (i === selected) {
        const side = Math.min(onScreen, (Math.min(s.w, s.h) * scale) / 3) / scale;
        for (const [cx, cy, corner] of [[x0, y0, "nw"], [x1, y0, "ne"], [x0, y1, "sw"], [x1, y1, "se"]]) {
          const handle = el("rect", withTurn({ class: "handle", "data-corner": corner, x: cx - side / 2, y: cy - side / 2, width: side, height: side }));
          if (s.angle) handle.style.cursor = resizeCursor(Math.atan2(cy - s.cy, cx - s.cx) / RAD + s.angle);
          g.append(handle);
        }
        this.turnHandle(g, s, i, onScreen / scale);
      }
      this.svg.append(g);
    });
    if (focused !== null && focused !== undefined) this.svg.querySelector(`g[data-i="${focused}"]`)?.focus({ preventScroll: true });
  }

  // The number at the box's top corner, upright: inside a plain box's top left as always; on a
  // turned box beside its topmost corner, on the side the box goes down to.
  labelOf(line, i, s, text) {
    const top = corners(s).reduce((a, b) => (b[1] < a[1] - 1e-6 || (Math.abs(b[1] - a[1]) <= 1e-6 && b[0] < a[0]) ? b : a));
    const left = s.angle >= 0;
    const label = el("text", { x: top[0] + (left ? 0.3 : -0.3) * text, y: top[1] + text * 1.1, "font-size": text, "text-anchor": left ? "start" : "end" });
    label.textContent = line.tools > 1 ? i + 1 + ": " + line.tools + " tools" : line.maybe ? i + 1 + ": 2 tools?" : i + 1;
    return label;
  }

  // The turn handle: a knob on a stalk beyond one short side, along the box's long axis (the
  // tool's axis), at the end whose knob is on the photo; inside the box when neither is.
  turnHandle(g, s, i, size) {
    const { photo } = this.state;
    const long = s.w >= s.h ? [1, 0] : [0, -1];
    const half = Math.max(s.w, s.h) / 2;
    const on = ([x, y]) => x >= size / 2 && y >= size / 2 && x <= photo.width - size / 2 && y <= photo.height - size / 2;
    const ends = [1, -1].map((k) => [long[0] * k, long[1] * k]);
    const out = ends.map(([u, v]) => frameToPhoto(s, [u * (half + size * 1.6), v * (half + size * 1.6)]));
    const k = out.findIndex(on);
    const [u, v] = ends[Math.max(k, 0)];
    const knob = k >= 0 ? out[k] : frameToPhoto(s, [u * half * 0.5, v * half * 0.5]);
    const base = frameToPhoto(s, [u * half, v * half]);
    g.append(el("line", { class: "stalk", x1: base[0], y1: base[1], x2: knob[0], y2: knob[1] }));
    const handle = el("circle", { class: "turn", "data-turn": "", cx: knob[0], cy: knob[1], r: size / 2, "aria-label": "Turn box " + (i + 1) });
    // Its name, and a tooltip for the mouse; the keys say the same for the keyboard.
    handle.append(Object.assign(el("title", {}), { textContent: "Turn box " + (i + 1) + " (keys [ and ], Shift for 15°)" }));
    g.append(handle);
  }

  // A point of the photo under the pointer; kept on the photo unless `free` (a turn follows
  // the pointer beyond the photo's edge).
  toPhoto(event, free) {
    const { photo } = this.state;
    const p = this.svg.createSVGPoint();
    p.x = event.clientX;
    p.y = event.clientY;
    const q = p.matrixTransform(this.svg.getScreenCTM().inverse());
    return free ? [q.x, q.y] : [clamp(q.x, 0, photo.width), clamp(q.y, 0, photo.height)];
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
    const turn = "turn" in event.target.dataset;
    const line = this.state.lines[i];
    if (i >= 0 && i === this.state.selected) {
      const mode = turn ? "turn" : corner ? "resize" : "move";
      this.drag = { mode, corner, line, from: turn ? this.toPhoto(event, true) : at, start: line.box.slice(), screen: [event.clientX, event.clientY], moved: false };
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
    const [x, y] = this.toPhoto(event, drag.mode === "turn");
    const line = drag.line;
    if (drag.mode === "draw") {
      line.box = [Math.min(drag.from[0], x), Math.min(drag.from[1], y), Math.max(drag.from[0], x), Math.max(drag.from[1], y)];
    } else if (drag.mode === "move") {
      line.box = moved(drag.start, x - drag.from[0], y - drag.from[1], photo);
    } else if (drag.mode === "turn") {
      // The box turns as much as the pointer turned about its centre since the press.
      const s = shape(drag.start);
      const about = (p) => Math.atan2(p[1] - s.cy, p[0] - s.cx) / RAD;
      let angle = s.angle + about([x, y]) - about(drag.from);
      angle = event.shiftKey ? Math.round(angle / COARSE) * COARSE : snapped(angle);
      line.box = turned(drag.start, angle, photo) || line.box;
    } else {
      // A corner moves along the box's own sides; the opposite corner stays.
      const sign = [drag.corner.includes("w") ? -1 : 1, drag.corner.includes("n") ? -1 : 1];
      line.box = resized(drag.start, sign, [x, y], photo, 0) || line.box;
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
    line.box = tidy(line.box, photo);
    const { w, h } = shape(line.box);
    const tiny = Math.max(photo.width, photo.height) / 50;
    if (drag.mode === "draw" && (w < tiny || h < tiny)) {
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

  // ---- the keyboard: Tab to a box, arrows move it, Shift+arrows resize it, [ and ] turn it
  // (Shift: 15°), Delete removes ----

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
    // Shift+[ is { on most layouts.
    const turns = { "[": -1, "{": -COARSE, "]": 1, "}": COARSE };
    if (!(event.key in arrows) && !(event.key in turns)) return;
    event.preventDefault();
    if (i !== this.state.selected) this.hooks.select(i);
    const { photo } = this.state;
    const step = Math.max(1, Math.round(8 / this.scale()));
    if (!this.keying) this.hooks.begin();
    const box = line.box;
    if (event.key in turns) {
      const by = Math.abs(turns[event.key]) === 1 && event.shiftKey ? turns[event.key] * COARSE : turns[event.key];
      line.box = turned(box, shape(box).angle + by, photo) || box;
    } else {
      const [dx, dy] = arrows[event.key].map((v) => v * step);
      if (event.shiftKey) {
        // Wider or taller along the box's own sides, from its first corner; never thinner than a step.
        const { w, h } = shape(box);
        line.box = resized(box, [1, 1], null, photo, step, [w + dx, h + dy]) || box;
      } else {
        line.box = moved(box, dx, dy, photo);
      }
    }
    line.box = tidy(line.box, photo);
    this.hooks.changed();
    // A run of key presses is one change: recognised once, when the keys rest.
    clearTimeout(this.keying);
    this.keying = setTimeout(() => {
      this.keying = null;
      this.hooks.settled(line);
    }, 500);
  }
}

// The resize cursor nearest a turned corner's direction from the box's centre (degrees).
function resizeCursor(degrees) {
  const eighth = Math.round((((degrees % 180) + 180) % 180) / 45) % 4;
  return ["ew-resize", "nwse-resize", "ns-resize", "nesw-resize"][eighth];
}

// ---- a box's geometry ----

// Centre, sides and angle (degrees) of a box.
function shape(box) {
  const [x0, y0, x1, y1, angle = 0] = box;
  return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, w: x1 - x0, h: y1 - y0, angle };
}

function fromShape({ cx, cy, w, h, angle }) {
  const box = [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
  return angle ? [...box, angle] : box;
}

// A point given in the box's own frame (from its centre, along its sides) on the photo.
function frameToPhoto(s, [u, v]) {
  const c = Math.cos(s.angle * RAD), n = Math.sin(s.angle * RAD);
  return [s.cx + u * c - v * n, s.cy + u * n + v * c];
}

function corners(s) {
  return [[-1, -1], [1, -1], [1, 1], [-1, 1]].map(([a, b]) => frameToPhoto(s, [(a * s.w) / 2, (b * s.h) / 2]));
}

// Half the width and height of the upright rectangle around the turned box.
function reach(s) {
  const c = Math.abs(Math.cos(s.angle * RAD)), n = Math.abs(Math.sin(s.angle * RAD));
  return [(s.w * c + s.h * n) / 2, (s.w * n + s.h * c) / 2];
}

// The upright rectangle around a box [x0, y0, x1, y1]: where a rectangle of the photo is needed.
function bounds(box) {
  const s = shape(box);
  const [ex, ey] = reach(s);
  return [s.cx - ex, s.cy - ey, s.cx + ex, s.cy + ey];
}

// The box moved by (dx, dy), as far as its turned corners stay on the photo.
function moved(box, dx, dy, photo) {
  const s = shape(box);
  const [ex, ey] = reach(s);
  return fromShape({ ...s, cx: clamp(s.cx + dx, ex, photo.width - ex), cy: clamp(s.cy + dy, ey, photo.height - ey) });
}

// Angles in (-90, 90] to 0.1°: a box turned half a turn is the same box.
function normal(angle) {
  const a = (((Math.round(angle * 10) / 10) % 180) + 180) % 180;
  return Math.round((a > 90 ? a - 180 : a) * 10) / 10 || 0;
}

function snapped(angle) {
  const square = Math.round(angle / 90) * 90;
  return Math.abs(angle - square) <= SNAP ? square : angle;
}

// The box turned to `angle` about its centre, pushed back onto the photo where a corner left
// it; null when it cannot fit at that angle.
function turned(box, angle, photo) {
  const s = { ...shape(box), angle: normal(angle) };
  const [ex, ey] = reach(s);
  if (2 * ex > photo.width || 2 * ey > photo.height) return null;
  return moved(fromShape(s), 0, 0, photo);
}

// The box resized from the corner opposite `sign` (that corner's side signs in the box's frame,
// [1, 1] for the bottom right), which stays: the dragged corner goes to `to` (a point of the
// photo) or to `lengths` along the box's sides, as near as the photo allows (the nearest
// point of the allowed lengths, so a corner slides along the photo's edge); `least` the
// shortest side. Null when nothing fits.
function resized(box, sign, to, photo, least, lengths) {
  const s = shape(box);
  const fixed = frameToPhoto(s, [(-sign[0] * s.w) / 2, (-sign[1] * s.h) / 2]);
  const c = Math.cos(s.angle * RAD), n = Math.sin(s.angle * RAD);
  const u = [c * sign[0], n * sign[0]], v = [-n * sign[1], c * sign[1]]; // from it, towards the dragged corner
  const want = lengths || [(to[0] - fixed[0]) * u[0] + (to[1] - fixed[1]) * u[1], (to[0] - fixed[0]) * v[0] + (to[1] - fixed[1]) * v[1]];
  // Each corner that moves stays on the photo: a*p + b*q <= limit, for lengths (p, q).
  const limits = [];
  for (const [ku, kv] of [[1, 0], [0, 1], [1, 1]]) {
    for (const [axis, size] of [[0, photo.width], [1, photo.height]]) {
      const a = ku * u[axis], b = kv * v[axis];
      limits.push([a, b, size - fixed[axis]], [-a, -b, fixed[axis]]);
    }
  }
  if (least) limits.push([-1, 0, -least], [0, -1, -least]);
  const at = nearestWithin(want, limits);
  if (!at) return null;
  const [p, q] = at;
  const centre = [fixed[0] + (p * u[0] + q * v[0]) / 2, fixed[1] + (p * u[1] + q * v[1]) / 2];
  return fromShape({ cx: centre[0], cy: centre[1], w: Math.abs(p), h: Math.abs(q), angle: s.angle });
}

// The point nearest `want` where every a*x + b*y <= limit holds: `want` itself, or on one
// limit's line, or where two meet (few limits: trying them all is quick and exact).
function nearestWithin(want, limits) {
  const EPS = 1e-6;
  const ok = ([x, y]) => limits.every(([a, b, l]) => a * x + b * y <= l + EPS);
  if (ok(want)) return want;
  const tries = [];
  for (const [a, b, l] of limits) {
    const d = a * a + b * b;
    if (d < EPS) continue;
    const over = (a * want[0] + b * want[1] - l) / d;
    tries.push([want[0] - a * over, want[1] - b * over]);
  }
  limits.forEach(([a1, b1, l1], k) => {
    for (const [a2, b2, l2] of limits.slice(k + 1)) {
      const det = a1 * b2 - a2 * b1;
      if (Math.abs(det) > EPS) tries.push([(l1 * b2 - l2 * b1) / det, (a1 * l2 - a2 * l1) / det]);
    }
  });
  const dist = (p) => Math.hypot(p[0] - want[0], p[1] - want[1]);
  return tries.filter(ok).sort((p, q) => dist(p) - dist(q))[0] || null;
}

// The box as the server takes it: whole pixels, the angle to 0.1° in (-90, 90], a box turned a
// quarter turn as the upright box it is, and every turned corner still on the photo (rounding
// may push one out by a pixel: the box moves back by whole pixels).
export function tidy(box, photo) {
  const s = shape(box);
  let angle = normal(s.angle);
  if (angle === 90) [s.w, s.h, angle] = [s.h, s.w, 0];
  const [x0, y0, x1, y1] = fromShape({ ...s, angle: 0 }).map(Math.round);
  if (!angle) return [x0, y0, x1, y1];
  const [bx0, by0, bx1, by1] = bounds([x0, y0, x1, y1, angle]);
  const dx = Math.ceil(Math.max(0, -bx0)) - Math.ceil(Math.max(0, bx1 - photo.width));
  const dy = Math.ceil(Math.max(0, -by0)) - Math.ceil(Math.max(0, by1 - photo.height));
  return [x0 + dx, y0 + dy, x1 + dx, y1 + dy, angle];
}

// A box as sent to the server, in whole pixels (the angle is already to 0.1°).
export function sent(box) {
  return box.map((v, k) => (k < 4 ? Math.round(v) : v));
}

function el(name, attrs) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}
