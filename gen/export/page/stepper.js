"use strict";
// gen's recurrent language model, one token at a time, in plain JavaScript: the page's own
// stepper (written for gen; no library). The weights come dequantised to Float32Arrays; sums are
// accumulated in doubles and states kept in float32, so probabilities match torch's fp32 forward
// on the same weights to about 1e-6. Layouts follow PyTorch: W_ih (gates*H x in), gates i,f,g,o
// for LSTM and r,z,n for GRU.
(function (root) {
  function b64bytes(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function halfToFloat(h) {
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f, f = h & 0x3ff;
    if (e === 0) return sign * f * Math.pow(2, -24);
    if (e === 31) return f ? NaN : sign * Infinity;
    return sign * (1 + f / 1024) * Math.pow(2, e - 15);
  }

  // One stored tensor (see gen/export/quantize.py) to a Float32Array.
  function decode(t) {
    const bytes = b64bytes(t.data);
    const n = t.shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n);
    if (t.dtype === "float32") {
      out.set(new Float32Array(bytes.buffer, 0, n));
    } else if (t.dtype === "float16") {
      const u = new Uint16Array(bytes.buffer, 0, n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(u[i]);
    } else {
      const q = new Int8Array(bytes.buffer, 0, n);
      const scale = new Float32Array(b64bytes(t.scale).buffer);
      const cols = t.shape[t.shape.length - 1];
      for (let i = 0; i < n; i++) out[i] = q[i] * scale[(i / cols) | 0];
    }
    return out;
  }

  // out[o + r] = bias[r] + W[r, :] . x[xo : xo + cols], for r < rows (W row-major).
  function matvec(W, rows, cols, x, xo, bias, out, o) {
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, c = 0;
      for (; c + 3 < cols; c += 4) {
        s0 += W[base + c] * x[xo + c];
        s1 += W[base + c + 1] * x[xo + c + 1];
        s2 += W[base + c + 2] * x[xo + c + 2];
        s3 += W[base + c + 3] * x[xo + c + 3];
      }
      for (; c < cols; c++) s0 += W[base + c] * x[xo + c];
      out[o + r] = (bias ? bias[r] : 0) + ((s0 + s1) + (s2 + s3));
    }
  }

  const sigmoid = (v) => 1 / (1 + Math.exp(-v));

  class Model {
    constructor(spec) {
      const cfg = spec.model, w = spec.weights;
      this.cell = cfg.cell;
      this.V = cfg.vocab_size; this.H = cfg.hidden; this.L = cfg.layers;
      this.G = { lstm: 4, gru: 3 }[cfg.cell] || 1;
      this.inDim = cfg.one_hot ? this.V : cfg.embed_dim;
      this.embed = cfg.one_hot ? null : decode(w["embed.weight"]);
      const G = this.G, H = this.H, gru = this.cell === "gru";
      this.layers = [];
      for (let l = 0; l < this.L; l++) {
        const wih = decode(w[`rnn.weight_ih_l${l}`]), whh = decode(w[`rnn.weight_hh_l${l}`]);
        const bih = decode(w[`rnn.bias_ih_l${l}`]), bhh = decode(w[`rnn.bias_hh_l${l}`]);
        const layer = { wih, whh, bih, bhh };
        if (l > 0 && !gru) {
          // [W_ih | W_hh] against the contiguous [h_{l-1}, h_l] of the state: one matvec.
          const cat = new Float32Array(G * H * 2 * H), b = new Float32Array(G * H);
          for (let r = 0; r < G * H; r++) {
            cat.set(wih.subarray(r * H, (r + 1) * H), r * 2 * H);
            cat.set(whh.subarray(r * H, (r + 1) * H), r * 2 * H + H);
            b[r] = bih[r] + bhh[r];
          }
          layer.cat = cat; layer.bias = b;
        }
        this.layers.push(layer);
      }
      this.headW = decode(w["head.weight"]);
      this.headB = decode(w["head.bias"]);
      this.rows = new Map(); // token id -> layer 0's input projection (computed on first use)
      this.h = new Float32Array(this.L * H);
      this.c = new Float32Array(this.L * H);
      this.g = new Float64Array(G * H);
      this.gh = new Float64Array(G * H);
      this.logits = new Float64Array(this.V);
    }

    reset() { this.h.fill(0); this.c.fill(0); }

    // W_ih0 x + b_ih0 (+ b_hh0 except for GRU, whose n gate keeps b_hh apart) for token ``id``.
    inputRow(id) {
      let row = this.rows.get(id);
      if (row) return row;
      const G = this.G, H = this.H, E = this.inDim, L0 = this.layers[0];
      row = new Float64Array(G * H);
      if (this.embed) {
        matvec(L0.wih, G * H, E, this.embed, id * E, L0.bih, row, 0);
      } else {
        for (let r = 0; r < G * H; r++) row[r] = L0.bih[r] + L0.wih[r * E + id];
      }
      if (this.cell !== "gru") for (let r = 0; r < G * H; r++) row[r] += L0.bhh[r];
      this.rows.set(id, row);
      return row;
    }

    // Advance by one token; returns the logits (a buffer the next step overwrites).
    step(id) {
      const H = this.H, G = this.G, g = this.g, gh = this.gh, h = this.h, c = this.c;
      for (let l = 0; l < this.L; l++) {
        const layer = this.layers[l], off = l * H;
        if (this.cell === "gru") {
          if (l === 0) g.set(this.inputRow(id));
          else matvec(layer.wih, G * H, H, h, off - H, layer.bih, g, 0);
          matvec(layer.whh, G * H, H, h, off, layer.bhh, gh, 0);
          for (let j = 0; j < H; j++) {
            const r = sigmoid(g[j] + gh[j]), z = sigmoid(g[H + j] + gh[H + j]);
            const n = Math.tanh(g[2 * H + j] + r * gh[2 * H + j]);
            h[off + j] = (1 - z) * n + z * h[off + j];
          }
          continue;
        }
        if (l === 0) {
          g.set(this.inputRow(id));
          const whh = layer.whh;
          for (let r = 0; r < G * H; r++) {
            const base = r * H;
            let s0 = 0, s1 = 0, k = 0;
            for (; k + 1 < H; k += 2) { s0 += whh[base + k] * h[k]; s1 += whh[base + k + 1] * h[k + 1]; }
            for (; k < H; k++) s0 += whh[base + k] * h[k];
            g[r] += s0 + s1;
          }
        } else {
          matvec(layer.cat, G * H, 2 * H, h, off - H, layer.bias, g, 0);
        }
        if (this.cell === "lstm") {
          for (let j = 0; j < H; j++) {
            const i = sigmoid(g[j]), f = sigmoid(g[H + j]);
            const cand = Math.tanh(g[2 * H + j]), o = sigmoid(g[3 * H + j]);
            const cn = f * c[off + j] + i * cand;
            c[off + j] = cn;
            h[off + j] = o * Math.tanh(c[off + j]);
          }
        } else if (this.cell === "irnn") {
          for (let j = 0; j < H; j++) h[off + j] = g[j] > 0 ? g[j] : 0;
        } else {
          for (let j = 0; j < H; j++) h[off + j] = Math.tanh(g[j]);
        }
      }
      matvec(this.headW, this.V, H, h, (this.L - 1) * H, this.headB, this.logits, 0);
      return this.logits;
    }
  }

  // Probabilities from logits at a temperature, optionally keeping only the top k.
  function probs(logits, temperature, topK) {
    const V = logits.length, t = temperature || 1;
    let keep = null;
    if (topK && topK < V) {
      const sorted = Array.from(logits).sort((a, b) => b - a);
      keep = sorted[topK - 1];
    }
    let m = -Infinity;
    for (let i = 0; i < V; i++) if (logits[i] > m) m = logits[i];
    const p = new Float64Array(V);
    let sum = 0;
    for (let i = 0; i < V; i++) {
      if (keep !== null && logits[i] < keep) continue;
      p[i] = Math.exp((logits[i] - m) / t);
      sum += p[i];
    }
    for (let i = 0; i < V; i++) p[i] /= sum;
    return p;
  }

  function argmax(a) {
    let best = 0;
    for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
    return best;
  }

  // mulberry32: a small seedable generator, so a page sample can be repeated with its seed.
  function rng(seed) {
    let s = seed >>> 0;
    return function () {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function draw(p, random) {
    let u = random(), acc = 0, last = 0;
    for (let i = 0; i < p.length; i++) {
      if (p[i] <= 0) continue;
      acc += p[i]; last = i;
      if (u < acc) return i;
    }
    return last;
  }

  root.GenStepper = { Model, decode, probs, argmax, rng, draw, halfToFloat };
})(typeof window !== "undefined" ? window : globalThis);
