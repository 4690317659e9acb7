// gen studio page: three views (runs, sample, look inside) over the JSON API in gen/studio/app.py.
// Plain DOM code, no framework; charts are SVG drawn here.
"use strict";

const $ = (sel, el = document) => el.querySelector(sel);
const SVGNS = "http://www.w3.org/2000/svg";
const COLORS = ["#2c5fa8", "#c0392b", "#2e7d32", "#8e44ad", "#d35400", "#16a085", "#7f8c8d"];
const FILE_NAMES = {abc: "ABC", mid: "MIDI", musicxml: "MusicXML", txt: "tokens"};
let RUNS = [];           // latest /api/runs rows
let runsVersion = null;

function el(tag, attrs = {}, ...kids) {
  const e = tag.startsWith("svg:") ? document.createElementNS(SVGNS, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v; else if (v !== null && v !== undefined) e.setAttribute(k, v);
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}

function showError(box, message) {
  box.textContent = message || "";
  box.hidden = !message;
}

async function api(path, body) {
  const opts = body === undefined ? {} : {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)};
  const resp = await fetch(path, opts);
  const data = await resp.json().catch(() => ({error: `HTTP ${resp.status}`}));
  if (!resp.ok) throw new Error(data.error || `HTTP ${resp.status}`);
  return data;
}

// ---- charts ---------------------------------------------------------------------------------

function niceTicks(lo, hi, n) {
  const span = hi - lo || 1, step0 = span / n, mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 5, 10].map(m => m * mag).find(s => span / s <= n) || mag * 10;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toPrecision(10));
  return out;
}

// series: [{name, color, points: [[x, y]...], dots}] ; opts: {width, height, logY, xLabel, yLabel}
function chart(series, opts = {}) {
  const W = opts.width || 640, H = opts.height || 260, L = 52, R = 12, T = 10, B = 34;
  const all = series.flatMap(s => s.points).filter(p => isFinite(p[1]) && (!opts.logY || p[1] > 0));
  const svg = el("svg:svg", {class: "chart", width: W, height: H, viewBox: `0 0 ${W} ${H}`});
  if (!all.length) { svg.append(el("svg:text", {x: L, y: H / 2, text: "no points yet"})); return svg; }
  const fy = opts.logY ? Math.log10 : (v => v);
  let x0 = Math.min(...all.map(p => p[0])), x1 = Math.max(...all.map(p => p[0]));
  let y0 = Math.min(...all.map(p => fy(p[1]))), y1 = Math.max(...all.map(p => fy(p[1])));
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
  const pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad;
  const sx = x => L + (x - x0) / (x1 - x0) * (W - L - R), sy = y => T + (1 - (fy(y) - y0) / (y1 - y0)) * (H - T - B);
  for (const t of niceTicks(x0, x1, 6)) {
    svg.append(el("svg:line", {class: "grid", x1: sx(t), x2: sx(t), y1: T, y2: H - B}));
    svg.append(el("svg:text", {x: sx(t), y: H - B + 14, "text-anchor": "middle", text: t}));
  }
  const yt = opts.logY ? niceTicks(Math.floor(y0), Math.ceil(y1), 8).filter(v => Number.isInteger(v) && v >= y0 && v <= y1).map(v => Math.pow(10, v))
                       : niceTicks(y0, y1, 5);
  for (const t of yt) {
    svg.append(el("svg:line", {class: "grid", x1: L, x2: W - R, y1: sy(t), y2: sy(t)}));
    svg.append(el("svg:text", {x: L - 4, y: sy(t) + 4, "text-anchor": "end", text: opts.logY ? `1e${Math.round(Math.log10(t))}` : +t.toPrecision(3)}));
  }
  svg.append(el("svg:rect", {x: L, y: T, width: W - L - R, height: H - T - B, fill: "none", stroke: "#c5ccd4"}));
  if (opts.xLabel) svg.append(el("svg:text", {x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle", text: opts.xLabel}));
  if (opts.yLabel) svg.append(el("svg:text", {x: 12, y: (T + H - B) / 2, transform: `rotate(-90 12 ${(T + H - B) / 2})`, "text-anchor": "middle", text: opts.yLabel}));
  series.forEach((s, i) => {
    const pts = s.points.filter(p => isFinite(p[1]) && (!opts.logY || p[1] > 0));
    const color = s.color || COLORS[i % COLORS.length];
    if (pts.length > 1) svg.append(el("svg:polyline", {fill: "none", stroke: color, "stroke-width": 1.6, opacity: s.opacity || 1,
      points: pts.map(p => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" ")}));
    if (s.dots || pts.length === 1) for (const p of pts) svg.append(el("svg:circle", {cx: sx(p[0]), cy: sy(p[1]), r: 2.5, fill: color}));
  });
  const named = series.filter(s => s.name);
  named.forEach((s, i) => {
    const y = T + 14 + i * 15, x = W - R - 150;
    svg.append(el("svg:line", {x1: x, x2: x + 18, y1: y - 4, y2: y - 4, stroke: s.color || COLORS[series.indexOf(s) % COLORS.length], "stroke-width": 2}));
    svg.append(el("svg:text", {x: x + 24, y, text: s.name}));
  });
  return svg;
}

// ---- runs -----------------------------------------------------------------------------------

const fmt = (v, d = 4) => v === null || v === undefined ? "—" : (+v).toFixed(d);

function renderRuns() {
  const body = $("#runs-table tbody");
  body.replaceChildren();
  $("#runs-empty").hidden = RUNS.length > 0;
  for (const r of RUNS) {
    if (r.error) { body.append(el("tr", {}, el("td", {text: r.name}), el("td", {colspan: 5, class: "error", text: r.error}))); continue; }
    const train = r.curve.filter(c => c.train !== null).map(c => [c.step, c.train]);
    const val = r.curve.filter(c => c.val !== null && c.val !== undefined).map(c => [c.step, c.val]);
    const curves = chart([{name: "train", points: train, color: "#9aa5b1"}, {name: "validation", points: val, color: "#2c5fa8", dots: true}],
                         {width: 360, height: 150, xLabel: "step"});
    body.append(el("tr", {"data-run": r.name},
      el("td", {}, el("b", {text: r.name}), el("div", {class: "muted", text: r.stopped ? `stopped: ${r.stopped}` : (r.trained ? "" : "no weights yet")})),
      el("td", {}, document.createTextNode(r.corpus || ""), el("div", {class: "muted", text: `${r.kind}, ${r.level} level`})),
      el("td", {}, document.createTextNode(r.model), el("div", {class: "muted", text: `${(r.parameters || 0).toLocaleString()} parameters`})),
      el("td", {class: "num", text: r.steps ?? "—"}),
      el("td", {class: "num"}, document.createTextNode(r.best_val_bits == null ? "—" : `${fmt(r.best_val_bits)} bits`),
         el("div", {class: "muted", text: r.best_val_nats == null ? "" : `${fmt(r.best_val_nats)} nats, step ${r.best_step}`})),
      el("td", {}, curves)));
  }
}

function fillRunSelects() {
  for (const sel of document.querySelectorAll(".run-select")) {
    const keep = sel.value;
    sel.replaceChildren(...RUNS.filter(r => !r.error).map(r => el("option", {value: r.name, text: `${r.name} (${r.kind}, ${r.model})`})));
    if (keep && RUNS.some(r => r.name === keep)) sel.value = keep;
    if (sel.value !== keep) warm(sel);
  }
  showTuneRequest();
  const box = $("#gradient-runs"), checked = new Set([...box.querySelectorAll("input:checked")].map(i => i.value));
  box.replaceChildren(...RUNS.filter(r => !r.error && r.trained).map(r =>
    el("label", {}, el("input", {type: "checkbox", value: r.name, ...(checked.has(r.name) ? {checked: ""} : {})}), document.createTextNode(` ${r.name} (${r.cell})`))));
}

async function pollRuns() {
  try {
    const data = await api(`/api/runs${runsVersion ? `?since=${encodeURIComponent(runsVersion)}` : ""}`);
    runsVersion = data.version;
    if (!data.unchanged) {
      RUNS = data.runs;
      $("#root").textContent = `runs folder: ${data.root}`;
      renderRuns();
      fillRunSelects();
    }
  } catch (e) { /* the server may be restarting: try again on the next tick */ }
  setTimeout(pollRuns, 2000);
}

// ---- sample ---------------------------------------------------------------------------------

function formBody(form) {
  const body = {};
  const abc = !$("#tune-request").hidden;
  for (const [k, v] of new FormData(form)) {
    if (v === "" || (!abc && ["meter", "key", "sections", "bars"].includes(k))) continue;
    body[k] = ["run", "seed", "text", "meter", "key"].includes(k) ? v : Number(v);
  }
  return body;
}

// The request fields show for ABC token runs only, with the meters that run's corpus has.
function showTuneRequest() {
  const run = RUNS.find(r => r.name === $("#sample-form select[name=run]").value);
  const box = $("#tune-request");
  box.hidden = !(run && run.kind === "abc" && run.level === "abc");
  $("#meter-list").replaceChildren(...((run && run.meters) || []).map(m => el("option", {value: m})));
}

function renderTunes(msg, out) {
  $("#sample-notice").hidden = !(msg.audio || msg.score_note);
  $("#sample-notice").textContent = [msg.score_note, msg.audio].filter(Boolean).join("; ");
  for (const t of msg.tunes) {
    const score = el("div", {class: "score"});
    if (t.svg) score.innerHTML = t.svg; else score.append(el("pre", {text: t.text}));
    const links = Object.entries(t.files).map(([ext, url]) => el("a", {href: url, download: "", text: FILE_NAMES[ext] || ext}));
    const audio = msg.audio ? null : el("audio", {controls: "", preload: "none", src: t.wav});
    const bar = el("div", {class: "bar"}, el("b", {text: `Tune ${t.index}`}), audio, ...links);
    out.append(el("div", {class: "tune", "data-index": t.index}, bar, score,
                  el("details", {}, el("summary", {text: "text"}), el("pre", {text: t.text}))));
  }
}

async function sample(ev) {
  ev.preventDefault();
  const form = ev.target, button = $("#sample-button"), out = $("#samples");
  showError($("#sample-error"), "");
  out.replaceChildren();
  $("#sample-meta").hidden = true;
  $("#sample-notice").hidden = true;
  button.disabled = true;
  $("#sample-status").textContent = "";
  delete form.dataset.firstMs;
  const t0 = performance.now();
  let pres = [];
  try {
    const resp = await fetch("/api/sample", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(formBody(form))});
    if (!resp.ok) {
      const data = await resp.json().catch(() => ({error: `HTTP ${resp.status}`}));
      throw new Error(data.error);
    }
    const reader = resp.body.getReader(), dec = new TextDecoder();
    let buf = "", first = null;
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buf += dec.decode(value, {stream: true});
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (msg.type === "waiting") {
          // Every sampling slot is taken: the server queued this request (gen/studio/queue.py).
          $("#sample-status").textContent = `waiting for a free slot (${msg.running} samples running, ${msg.ahead} waiting)…`;
        } else if (msg.type === "start") {
          $("#sample-rng").textContent = msg.rng_seed;
          $("#sample-command").textContent = msg.command;
          $("#sample-status").textContent = msg.kind === "text" ? "generating…" : `writing ${msg.num_samples} tune${msg.num_samples > 1 ? "s" : ""}…`;
          $("#sample-meta").hidden = false;
          if (msg.kind === "text") {
            pres = Array.from({length: msg.num_samples}, (_, i) => {
              const pre = el("pre", {class: "sample", "data-index": i + 1}, el("span", {class: "seed", text: msg.seed}), el("span", {class: "gen"}));
              out.append(pre);
              return pre.lastChild;
            });
          }
        } else if (msg.type === "tokens") {
          if (first === null) { first = performance.now() - t0; form.dataset.firstMs = first.toFixed(0); }
          msg.pieces.forEach((p, i) => { pres[i].textContent += p; });
        } else if (msg.type === "tunes") {
          renderTunes(msg, out);
        } else if (msg.type === "done") {
          $("#sample-status").textContent = `done in ${msg.seconds.toFixed(2)} s` + (first === null ? "" : `, first token after ${(first / 1000).toFixed(2)} s`);
        } else if (msg.type === "error") {
          throw new Error(msg.message);
        }
      }
    }
  } catch (e) {
    showError($("#sample-error"), e.message);
  } finally {
    button.disabled = false;
  }
}

// Load the chosen run in the background, so pressing a button does not wait for it.
function warm(sel) {
  const run = RUNS.find(r => r.name === sel.value);
  if (run && run.trained) api("/api/warm", {run: run.name}).catch(() => {});
}

// ---- look inside ----------------------------------------------------------------------------

function showToken(tok) { return tok === "\n" ? "↵\n" : tok; }

function colourPassage(box, tokens, values, colour, label) {
  box.replaceChildren(...tokens.map((tok, i) => el("span", {style: `background:${colour(values[i])}`, title: `${JSON.stringify(tok)} ${label(values[i])}`, text: showToken(tok)})));
}

const surpriseColour = b => `rgba(230, 90, 20, ${Math.min(1, Math.max(0, b) / 10).toFixed(3)})`;
const actColour = v => v >= 0 ? `rgba(46, 125, 50, ${Math.min(1, v).toFixed(3)})` : `rgba(192, 57, 43, ${Math.min(1, -v).toFixed(3)})`;

let insideState = null;

async function showUnit(unit) {
  const s = insideState;
  if (!s) return;
  try {
    const data = await api("/api/inside/unit", {run: s.run, text: s.text, unit});
    $("#unit").value = data.unit;
    for (const tr of document.querySelectorAll("#features tbody tr")) tr.classList.toggle("chosen", Number(tr.dataset.unit) === data.unit);
    $("#unit").max = data.units - 1;
    $("#unit-note").textContent = `layer ${Math.floor(data.unit / data.hidden) + 1}, unit ${data.unit % data.hidden} of ${data.hidden} (${data.units} in all)`;
    colourPassage($("#activation"), data.tokens, data.values, actColour, v => `activation ${v.toFixed(3)}`);
    showError($("#inside-error"), "");
  } catch (e) { showError($("#inside-error"), e.message); }
}

async function lookInside(ev) {
  ev.preventDefault();
  const body = formBody(ev.target);
  showError($("#inside-error"), "");
  try {
    const s = await api("/api/inside/surprise", body);
    insideState = {run: body.run, text: s.text};
    $("#inside-out").hidden = false;
    colourPassage($("#surprise"), s.tokens, s.bits, surpriseColour, b => `${b.toFixed(2)} bits`);
    const mean = s.bits.reduce((a, b) => a + b, 0) / Math.max(1, s.bits.length);
    $("#surprise-legend").textContent = `${s.tokens.length} tokens, mean ${mean.toFixed(3)} bits per token; darker = more surprising (10 bits or more at full colour). Hover a token for its value.`;
    // Feature units and one unit's activations at once (the server runs them side by side);
    // the activations stay cached there, so showing the best unit next is quick.
    const [f] = await Promise.all([api("/api/inside/features", {run: body.run, text: s.text}),
                                   api("/api/inside/unit", {run: body.run, text: s.text, unit: Number($("#unit").value || 0)}).catch(() => null)]);
    $("#features tbody").replaceChildren(...f.features.map(r => {
      const tr = el("tr", {"data-unit": r.unit}, el("td", {text: r.unit}), el("td", {text: r.feature}), el("td", {class: "num", text: r.corr.toFixed(3)}));
      tr.addEventListener("click", () => showUnit(r.unit));
      return tr;
    }));
    await showUnit(f.features.length ? f.features[0].unit : Number($("#unit").value || 0));
  } catch (e) { showError($("#inside-error"), e.message); }
}

async function measureGradients() {
  const runs = [...document.querySelectorAll("#gradient-runs input:checked")].map(i => i.value);
  const status = $("#gradient-status"), text = $("#inside-form textarea").value;
  showError($("#gradient-error"), "");
  if (!runs.length) { showError($("#gradient-error"), "tick one or more runs to measure"); return; }
  $("#gradient-button").disabled = true;
  const series = [];
  try {
    for (const run of runs) {
      status.textContent = `measuring ${run}…`;
      const g = await api("/api/inside/gradient", {run, text});
      series.push({name: `${run} (${g.cell})`, points: g.curve});
    }
    status.textContent = "";
    $("#gradient-chart").replaceChildren(chart(series, {width: 760, height: 320, logY: true, xLabel: "k: steps back", yLabel: "|dL_t / dh_{t-k}|"}));
  } catch (e) { showError($("#gradient-error"), e.message); status.textContent = ""; }
  finally { $("#gradient-button").disabled = false; }
}

// ---- views ----------------------------------------------------------------------------------

function route() {
  const view = (location.hash || "#runs").slice(1);
  for (const s of document.querySelectorAll(".view")) s.hidden = s.id !== `view-${view}`;
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.view === view);
}

window.addEventListener("hashchange", route);
$("#sample-form").addEventListener("submit", sample);
$("#sample-form select[name=run]").addEventListener("change", showTuneRequest);
$("#inside-form").addEventListener("submit", lookInside);
for (const sel of document.querySelectorAll(".run-select")) sel.addEventListener("change", () => warm(sel));
$("#unit").addEventListener("change", () => showUnit(Number($("#unit").value)));
$("#gradient-button").addEventListener("click", measureGradients);
route();
pollRuns();
