// The course's fast figure (an anywidget; see view.py). The kernel sends a
// background image of the axes and every run over a grid of slider values;
// this module draws paths, loss curves, legend and table on a canvas and
// answers the lr / steps / step / beta sliders without the kernel.
// The same code runs on the course website with a small stand-in model.

const CSS = `
.cu-view { display: flex; flex-direction: column; gap: 4px; font-size: 16px;
  font-family: "DejaVu Sans", system-ui, sans-serif; color: #222; }
.cu-view .cu-figure { position: relative; flex: none; }
.cu-view .cu-figure img, .cu-view .cu-figure canvas { position: absolute; left: 0; top: 0; }
.cu-view .cu-side { display: flex; flex-wrap: nowrap; gap: 6px 18px; align-items: flex-end; }
.cu-view .cu-control { display: flex; flex-direction: column; gap: 2px; flex: 1 1 260px; }
.cu-view .cu-control .cu-head { display: flex; justify-content: space-between; gap: 8px; }
.cu-view .cu-control input[type=range] { width: 100%; margin: 0; min-width: 260px; }
.cu-view .cu-control input[type=text] { width: 6.5em; font-size: 16px; }
.cu-view .cu-readout { font-variant-numeric: tabular-nums; font-weight: bold; }
.cu-view .cu-note { color: #8a4b00; font-size: 15px; }
.cu-view .cu-legend { display: flex; flex-wrap: wrap; gap: 2px 16px; font-size: 15px; }
.cu-view .cu-swatch { display: inline-block; width: 1.4em; height: .5em; margin-right: .35em;
  vertical-align: middle; border-radius: 2px; }
.cu-view .cu-bad { color: #b00020; font-weight: bold; }
.cu-view table { border-collapse: collapse; font-size: 16px; font-variant-numeric: tabular-nums; }
.cu-view td, .cu-view th { padding: 1px 8px; text-align: right; white-space: nowrap; }
.cu-view td:first-child, .cu-view th:first-child { text-align: left; }
.cu-view button { font-size: 16px; min-width: 6em; }
.cu-view select { font-size: 16px; }
.cu-view .cu-row { display: flex; gap: 10px; align-items: center; flex: none; }
`;

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

function typed(view, Kind) {
  // a DataView (or ArrayBuffer) from the widget protocol as a typed array
  if (view instanceof Kind) return view;
  const buffer = view.buffer || view;
  const offset = view.byteOffset || 0;
  const length = (view.byteLength === undefined ? buffer.byteLength : view.byteLength);
  return new Kind(buffer.slice(offset, offset + length));
}

function fmt(v) {
  if (v === null || !isFinite(v)) return "—";
  const a = Math.abs(v);
  return (a !== 0 && (a >= 1e4 || a < 1e-2)) ? v.toExponential(2) : String(+v.toPrecision(3));
}

function fmtLr(v) { return String(+v.toPrecision(3)); }

function decode(spec) {
  const T = spec.steps + 1, nl = spec.lrs.length;
  const runs = spec.runs.map((r) => ({
    name: r.name, color: r.color, nBeta: r.n_beta, betas: r.betas,
    xy: typed(r.xy, Uint16Array), loss: typed(r.loss, Float32Array),
    n: typed(r.n, Int32Array), diverged: typed(r.diverged, Int32Array),
  }));
  return { T, nl, runs };
}

// one run at grid point (beta index, lr index) as plain arrays
function gridRun(spec, data, r, bi, li) {
  const run = data.runs[r];
  const b = Math.min(bi, run.nBeta - 1), cell = b * data.nl + li, T = data.T;
  const lo = spec.frame.lo, span = spec.frame.span;
  return {
    name: run.name, color: run.color, n: run.n[cell], diverged: run.diverged[cell],
    x: (k) => lo[0] + run.xy[(cell * T + k) * 2] / 65535 * span[0],
    y: (k) => lo[1] + run.xy[(cell * T + k) * 2 + 1] / 65535 * span[1],
    loss: (k) => run.loss[cell * T + k],
  };
}

function extraRun(r, color) {
  return { name: r.name, color, n: r.n, diverged: r.diverged,
           x: (k) => r.x[k], y: (k) => r.y[k], loss: (k) => r.loss[k] };
}

function lossY(spec, v) {
  // the loss panel's y mapping, matplotlib's log and symlog (base 10, linscale 1)
  const L = spec.loss, [top, bottom] = [L.rect[1], L.rect[3]];
  let t, t0, t1;
  if (L.scale === "log") {
    if (!(v > 0)) return null;
    t = Math.log10(v); t0 = Math.log10(L.limits[0]); t1 = Math.log10(L.limits[1]);
  } else {
    const c = L.linthresh, a = 1 / (1 - 1 / 10);
    const f = (u) => Math.abs(u) <= c ? u / c * a : Math.sign(u) * (a + Math.log10(Math.abs(u) / c));
    t = f(v); t0 = f(L.limits[0]); t1 = f(L.limits[1]);
  }
  return bottom - (t - t0) / (t1 - t0) * (bottom - top);
}

function niceStep(span) {
  const raw = span / 5, p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function leftAt(spec, run, upto) {
  const [[x0, x1], [y0, y1]] = spec.map.window;
  let inside = true;
  for (let k = 0; k < Math.min(upto + 1, run.n); k++) {
    const x = run.x(k), y = run.y(k), now = x >= x0 && x <= x1 && y >= y0 && y <= y1;
    if (inside && !now && k > 0) return k;
    inside = now;
  }
  return -1;
}

function draw(ctx, spec, runs, upto, race) {
  const M = spec.map, L = spec.loss, ratio = ctx.canvas.width / spec.width;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, spec.width, spec.height);
  const px = (run, k) => [M.scale[0] * run.x(k) + M.offset[0], M.scale[1] * run.y(k) + M.offset[1]];
  const xmax = race ? spec.steps : Math.max(upto, 1);
  const lx = (k) => L.rect[0] + k / xmax * (L.rect[2] - L.rect[0]);
  // x ticks and grid of the loss panel (its axis follows the steps slider)
  ctx.font = `${spec.tick_px}px "DejaVu Sans", sans-serif`;
  ctx.fillStyle = "#222"; ctx.strokeStyle = "rgba(0,0,0,0.12)"; ctx.lineWidth = 1;
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  const step = niceStep(xmax);
  for (let t = 0; t <= xmax + 1e-9; t += step) {
    const x = lx(t);
    ctx.beginPath(); ctx.moveTo(x, L.rect[1]); ctx.lineTo(x, L.rect[3]); ctx.stroke();
    ctx.fillStyle = "#222"; ctx.fillRect(x - 0.5, L.rect[3], 1, 4);
    ctx.fillText(String(+t.toPrecision(6)), x, L.rect[3] + 5);
  }
  for (const run of runs) {
    const last = Math.min(upto, run.n - 1);
    if (last < 0) continue;
    // the path on the map, clipped to the axes
    ctx.save();
    ctx.beginPath(); ctx.rect(M.rect[0], M.rect[1], M.rect[2] - M.rect[0], M.rect[3] - M.rect[1]);
    ctx.clip();
    ctx.strokeStyle = run.color; ctx.fillStyle = run.color; ctx.lineWidth = 2.2;
    ctx.lineJoin = "round";
    ctx.beginPath();
    for (let k = 0; k <= last; k++) { const [x, y] = px(run, k); k ? ctx.lineTo(x, y) : ctx.moveTo(x, y); }
    ctx.stroke();
    if (spec.markers && !race) {
      for (let k = 0; k <= last; k++) {
        const [x, y] = px(run, k); ctx.beginPath(); ctx.arc(x, y, 1.8, 0, 2 * Math.PI); ctx.fill();
      }
    }
    const [sx, sy] = px(run, 0);
    ctx.lineWidth = 1.2; ctx.strokeStyle = "black";
    ctx.beginPath(); ctx.arc(sx, sy, 5, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    const [ex, ey] = px(run, last);
    if (race) {
      if (last + 1 < run.n && last === upto && upto < spec.steps) {  // the step about to be taken
        const [nx, ny] = px(run, last + 1);
        ctx.strokeStyle = run.color; ctx.lineWidth = 2.5;
        ctx.beginPath(); ctx.moveTo(ex, ey); ctx.lineTo(nx, ny); ctx.stroke();
        const a = Math.atan2(ny - ey, nx - ex), h = Math.min(9, Math.hypot(nx - ex, ny - ey));
        ctx.beginPath(); ctx.moveTo(nx, ny);
        ctx.lineTo(nx - h * Math.cos(a - 0.45), ny - h * Math.sin(a - 0.45));
        ctx.lineTo(nx - h * Math.cos(a + 0.45), ny - h * Math.sin(a + 0.45)); ctx.closePath();
        ctx.fill();
      }
      ctx.fillStyle = run.color; ctx.strokeStyle = "black"; ctx.lineWidth = 1.2;
      ctx.beginPath(); ctx.arc(ex, ey, 7, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    } else {
      ctx.lineWidth = 3; ctx.strokeStyle = "black";
      ctx.beginPath(); ctx.moveTo(ex - 6, ey - 6); ctx.lineTo(ex + 6, ey + 6);
      ctx.moveTo(ex - 6, ey + 6); ctx.lineTo(ex + 6, ey - 6); ctx.stroke();
      ctx.lineWidth = 1.6; ctx.strokeStyle = run.color;
      ctx.beginPath(); ctx.moveTo(ex - 5, ey - 5); ctx.lineTo(ex + 5, ey + 5);
      ctx.moveTo(ex - 5, ey + 5); ctx.lineTo(ex + 5, ey - 5); ctx.stroke();
    }
    ctx.restore();
    // the loss curve
    ctx.save();
    ctx.beginPath(); ctx.rect(L.rect[0], L.rect[1], L.rect[2] - L.rect[0], L.rect[3] - L.rect[1]);
    ctx.clip();
    ctx.strokeStyle = run.color; ctx.lineWidth = 2.2; ctx.beginPath();
    let pen = false;
    for (let k = 0; k <= last; k++) {
      const y = lossY(spec, run.loss(k));
      if (y === null) { pen = false; continue; }
      const yy = Math.max(Math.min(y, L.rect[3] + 50), L.rect[1] - 50);
      pen ? ctx.lineTo(lx(k), yy) : ctx.moveTo(lx(k), yy); pen = true;
    }
    ctx.stroke();
    ctx.restore();
  }
}

function statusOf(spec, run, upto) {
  if (run.diverged >= 0 && run.diverged <= upto) return ["diverged at step " + run.diverged, true];
  const left = leftAt(spec, run, upto);
  return [left >= 0 ? "left the map at step " + left : "", false];
}

function stepsTo(spec, run, upto) {
  // first step after which loss - minimum stays below tol, up to `upto`
  if (run.diverged >= 0 && run.diverged <= upto) return "—";
  let first = -1;
  for (let k = upto; k >= 0; k--) { if (run.loss(k) < spec.tol) first = k; else break; }
  return first >= 0 ? String(first) : "not reached";
}

function slider(label, min, max, step, value) {
  const box = el("div", { class: "cu-control" });
  const head = el("div", { class: "cu-head" });
  const name = el("label", {}, label), readout = el("span", { class: "cu-readout" });
  head.append(name, readout);
  const input = el("input", { type: "range", min, max, step, value, "aria-label": label });
  box.append(head, input);
  return { box, head, input, readout };
}

function render({ model, el: host }) {
  const style = el("style"); style.textContent = CSS;
  // keys pressed on our controls are ours: not JupyterLab's notebook shortcuts
  const root = el("div", { class: "cu-view", "data-lm-suppress-shortcuts": "true" });
  root.addEventListener("keydown", (event) => event.stopPropagation());
  host.append(style, root);
  let spec, data, li = 0, bi = 0, upto = 0, playing = false, timer = null, pending = null;
  // the kernel hears of slider moves once they pause: the browser never waits for it
  const unsent = {};
  let sendTimer = null;
  function tell(name, value) {
    unsent[name] = value;
    clearTimeout(sendTimer);
    sendTimer = setTimeout(() => {
      for (const [k, v] of Object.entries(unsent)) model.set(k, v);
      for (const k of Object.keys(unsent)) delete unsent[k];
      model.save_changes();
    }, 250);
  }

  const figure = el("div", { class: "cu-figure" });
  const image = el("img", { alt: "contour map and loss axes" });
  const canvas = el("canvas");
  const legend = el("div", { class: "cu-legend" });
  const side = el("div", { class: "cu-side" });
  const side2 = el("div", { class: "cu-side" });
  root.append(side, side2, figure, legend);
  figure.append(image, canvas);
  const ctx = canvas.getContext("2d");

  const lr = slider("lr", 0, 0, 1, 0);
  const lrBox = el("input", { type: "text", "aria-label": "type an lr", title: "type an lr, then Enter" });
  lr.head.insertBefore(lrBox, lr.readout); lr.readout.remove();
  const note = el("div", { class: "cu-note" });
  const table = el("table");
  const mode = () => spec.mode;
  let steps, play, speed, beta, frameSlider;

  function current() {
    const extra = model.get("extra");
    const wanted = model.get("lr");
    const useExtra = pending === null && extra && extra.runs && Math.abs(extra.lr - wanted) < 1e-12 * wanted
      && Math.abs(extra.beta - model.get("beta")) < 1e-12 && !onGrid(wanted);
    if (useExtra) return extra.runs.map((r, i) => extraRun(r, data.runs[i] ? data.runs[i].color : "#444"));
    return data.runs.map((_, r) => gridRun(spec, data, r, bi, li));
  }

  function onGrid(v) {
    return spec.lrs.some((g) => Math.abs(Math.log10(g) - Math.log10(v)) < 1e-9);
  }

  function redraw() {
    const runs = current();
    const race = mode() === "race";
    draw(ctx, spec, runs, upto, race);
    legend.replaceChildren(...runs.map((run) => {
      const [text, bad] = statusOf(spec, run, upto);
      const item = el("span");
      const sw = el("span", { class: "cu-swatch" }); sw.style.background = run.color;
      item.append(sw, document.createTextNode(run.name + (text ? ": " : "")));
      if (text) item.append(el("span", bad ? { class: "cu-bad" } : {}, text));
      return item;
    }));
    if (!race) {
      const head = el("tr");
      for (const h of ["optimizer", spec.has_minimum ? "loss − min" : "final loss", spec.has_minimum ? `steps to < ${spec.tol.toExponential(0)}` : "steps to tol", "diverged at"])
        head.append(el("th", {}, h));
      const rows = runs.map((run) => {
        const tr = el("tr"), k = Math.min(upto, run.n - 1);
        const dv = run.diverged >= 0 && run.diverged <= upto;
        const final = dv ? "—" : fmt(run.loss(k) + (spec.has_minimum ? 0 : 0));
        const sw = el("span", { class: "cu-swatch" }); sw.style.background = run.color;
        const name = el("td"); name.append(sw, document.createTextNode(run.name));
        tr.append(name, el("td", {}, final), el("td", {}, spec.has_minimum ? stepsTo(spec, run, upto) : "n/a"),
                  el("td", dv ? { class: "cu-bad" } : {}, dv ? "step " + run.diverged : "never"));
        return tr;
      });
      table.replaceChildren(head, ...rows);
    }
    host.setAttribute("data-drawn", String((+host.getAttribute("data-drawn") || 0) + 1));
  }

  function setLrIndex(i, send) {
    li = Math.max(0, Math.min(spec.lrs.length - 1, i));
    lr.input.value = li;
    lrBox.value = fmtLr(spec.lrs[li]);
    pending = null; note.textContent = "";
    if (send) tell("lr", spec.lrs[li]);
  }

  function typedLr() {
    const v = parseFloat(lrBox.value);
    if (!(v > 0) || !isFinite(v)) { note.textContent = "lr must be a number > 0"; return; }
    let best = 0;
    spec.lrs.forEach((g, i) => { if (Math.abs(Math.log10(g / v)) < Math.abs(Math.log10(spec.lrs[best] / v))) best = i; });
    if (onGrid(v)) { setLrIndex(best, true); redraw(); return; }
    // off the grid: the kernel runs it; without one, the nearest precomputed value
    li = best; lr.input.value = best; pending = v;
    note.textContent = "running lr " + fmtLr(v) + " in the kernel...";
    model.set("lr", v); model.save_changes();
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (pending === v) {
        pending = null;
        note.textContent = "no kernel: showing the nearest precomputed lr, " + fmtLr(spec.lrs[best]);
        lrBox.value = fmtLr(spec.lrs[best]);
        redraw();
      }
    }, 2500);
    redraw();
  }

  function tick() {
    if (!playing) return;
    const stride = parseFloat(speed.value);
    upto = Math.min(upto + stride, spec.steps);
    frameSlider.input.value = upto; frameSlider.readout.textContent = `${upto} / ${spec.steps}`;
    redraw();
    if (upto >= spec.steps) { stop(); return; }
    timer = setTimeout(() => requestAnimationFrame(tick), 1000 / spec.fps);
  }
  function stop() {
    playing = false; if (play) play.textContent = "▶ Play";
    tell("frame", upto);
  }

  function build() {
    spec = model.get("spec");
    data = decode(spec);
    const ratio = window.devicePixelRatio || 1;
    figure.style.width = spec.width + "px"; figure.style.height = spec.height + "px";
    image.src = spec.background; image.width = spec.width; image.height = spec.height;
    canvas.width = Math.round(spec.width * ratio); canvas.height = Math.round(spec.height * ratio);
    canvas.style.width = spec.width + "px"; canvas.style.height = spec.height + "px";
    lr.input.max = spec.lrs.length - 1;
    side.replaceChildren(); side2.replaceChildren(); root.style.width = spec.width + "px";
    if (mode() === "race") {
      frameSlider = slider("step", 0, spec.steps, 1, model.get("frame"));
      const row = el("div", { class: "cu-row" });
      play = el("button", { type: "button", class: "cu-play" }, "▶ Play");
      speed = el("select", { "aria-label": "speed" });
      for (const s of [1, 2, 3, 5, 10]) speed.append(el("option", { value: s }, s + " steps/frame"));
      speed.value = String(model.get("spec").speed || 2);
      row.append(play, speed);
      beta = slider("beta", 0, spec.betas.length - 1, 1, 0);
      side.append(row, frameSlider.box); side2.append(lr.box, beta.box);
      root.append(note);
      upto = Math.min(model.get("frame"), spec.steps);
      frameSlider.input.value = upto; frameSlider.readout.textContent = `${upto} / ${spec.steps}`;
      frameSlider.input.addEventListener("input", () => {
        upto = +frameSlider.input.value; frameSlider.readout.textContent = `${upto} / ${spec.steps}`;
        redraw();
      });
      frameSlider.input.addEventListener("change", () => tell("frame", upto));
      play.addEventListener("click", () => {
        if (playing) { stop(); return; }
        if (upto >= spec.steps) upto = 0;
        playing = true; play.textContent = "❚❚ Pause"; tick();
      });
      let best = 0;
      spec.betas.forEach((b, i) => { if (Math.abs(b - model.get("beta")) < Math.abs(spec.betas[best] - model.get("beta"))) best = i; });
      bi = best; beta.input.value = bi; beta.readout.textContent = spec.betas[bi].toFixed(2);
      beta.input.addEventListener("input", () => {
        bi = +beta.input.value; beta.readout.textContent = spec.betas[bi].toFixed(2);
        redraw(); tell("beta", spec.betas[bi]);
      });
    } else {
      steps = slider("steps", 10, spec.steps, 10, model.get("steps"));
      side.append(lr.box, steps.box); root.append(note, table);
      upto = Math.min(model.get("steps"), spec.steps);
      steps.input.value = upto; steps.readout.textContent = String(upto);
      steps.input.addEventListener("input", () => {
        upto = +steps.input.value; steps.readout.textContent = String(upto);
        redraw(); tell("steps", upto);
      });
    }
    const wanted = model.get("lr");
    let nearest = 0;
    spec.lrs.forEach((g, i) => { if (Math.abs(Math.log10(g / wanted)) < Math.abs(Math.log10(spec.lrs[nearest] / wanted))) nearest = i; });
    li = nearest; lr.input.value = li; lrBox.value = fmtLr(onGrid(wanted) ? spec.lrs[li] : wanted);
    redraw();
  }

  lr.input.addEventListener("input", () => { setLrIndex(+lr.input.value, true); redraw(); });
  lrBox.addEventListener("change", typedLr);
  model.on("change:spec", build);
  model.on("change:extra", () => { if (pending !== null && Math.abs(model.get("extra").lr - pending) < 1e-12 * pending) { pending = null; note.textContent = ""; } redraw(); });
  model.on("change:frame", () => {
    if (playing || mode() !== "race") return;
    upto = Math.min(model.get("frame"), spec.steps);
    frameSlider.input.value = upto; frameSlider.readout.textContent = `${upto} / ${spec.steps}`; redraw();
  });
  model.on("change:steps", () => {
    if (mode() === "race") return;
    upto = Math.min(model.get("steps"), spec.steps); steps.input.value = upto;
    steps.readout.textContent = String(upto); redraw();
  });
  model.on("change:lr", () => {
    const v = model.get("lr");
    if (onGrid(v) && Math.abs(Math.log10(spec.lrs[li] / v)) > 1e-9) {
      setLrIndex(spec.lrs.findIndex((g) => Math.abs(Math.log10(g / v)) < 1e-9), false); redraw();
    }
  });
  build();
  // the live view replaces the stored snapshot printed just above it (static viewers keep it)
  function hideSnapshot(tries) {
    const child = host.closest(".jp-OutputArea-child");
    const before = child && child.previousElementSibling;
    if (before && before.querySelector("img.cu-snapshot")) before.style.display = "none";
    else if (tries > 0 && !child) setTimeout(() => hideSnapshot(tries - 1), 50);
  }
  hideSnapshot(40);
  if (!model.get("ready")) { model.set("ready", true); model.save_changes(); }
  return () => { playing = false; clearTimeout(timer); };
}

export default { render };
