"use strict";
// What `gen sample` does around the model, for the page: encode a seed, prime with the run's
// warm-up ids, draw tokens; for ABC runs, whole tunes: <s>, then M:, L:, K: headers, then the body
// drawn freely (as `gen sample --free`) until </s>, closed at a bar line past the length cap.
(function (root) {
  const S = root.GenStepper;
  const WORD = /[^\S\n]*(?:[\p{L}\p{N}_\p{M}]+|[^\p{L}\p{N}_\p{M}\s])|\n|[^\S\n]+/gu;
  const BARS = new Set(["|", "||", "|]", "|:", ":|", "::"]);

  class Sampler {
    constructor(spec) {
      this.info = spec.info;
      this.model = new S.Model(spec);
      this.tokens = spec.info.tokens;
      this.stoi = new Map(this.tokens.map((t, i) => [t, i]));
    }

    // Token ids of ``text``; throws naming the pieces the model never saw.
    encode(text) {
      const pieces = this.info.level === "char" ? Array.from(text) : (text.match(WORD) || []);
      const unk = this.stoi.get("<unk>");
      const missing = pieces.filter((p) => !this.stoi.has(p) && unk === undefined);
      if (missing.length) throw new Error("the seed has characters the model never saw: " +
        JSON.stringify(Array.from(new Set(missing))));
      return pieces.map((p) => (this.stoi.has(p) ? this.stoi.get(p) : unk));
    }

    startIds(seedIds) {
      const warm = this.info.warmup_ids;
      if (seedIds.length) return warm.concat(seedIds);
      if (warm.length) return warm.slice();
      if (this.info.abc) return [this.info.abc.end_id];
      return [this.stoi.has("\n") ? this.stoi.get("\n") : 0];
    }

    // Feed ids from a zero state; returns the logits after the last one.
    prime(ids) {
      this.model.reset();
      let logits = null;
      for (const id of ids) logits = this.model.step(id);
      return logits;
    }

    // Yields token ids of a text continuation: opts {seed, length, temperature, topK, random}.
    *text(opts) {
      let logits = this.prime(this.startIds(this.encode(opts.seed || "")));
      for (let n = 0; n < opts.length; n++) {
        const id = pick(logits, opts);
        yield id;
        logits = this.model.step(id);
      }
    }

    // Yields the token ids of one tune, <s> to </s>.
    *tune(opts) {
      const abc = this.info.abc, toks = this.tokens;
      const byPrefix = (f) => toks.map((t, i) => [t, i]).filter(([t]) => t.startsWith(f + ":"))
        .filter(([t]) => f !== "K" || !abc.header_keys || abc.header_keys.includes(t)).map(([, i]) => i);
      const header = ["M", "L", "K"].map(byPrefix).map((ids, k) =>
        ids.length ? ids : byPrefix("MLK"[k]));
      const cap = opts.maxTokens || Math.max(300, 4 * (abc.median_tune_tokens || 150));
      const body = toks.map((_, i) => i).filter((i) => i !== abc.start_id);
      let logits = this.prime(this.startIds([]));
      const out = [];
      let id = abc.start_id;
      for (;;) {
        if (out.length === 0) id = abc.start_id;
        else if (out.length <= 3) id = pick(logits, opts, header[out.length - 1]);
        else if (out.length >= cap && BARS.has(plain(toks[out[out.length - 1]]))) id = abc.end_id;
        else if (out.length >= cap + 400) {
          // Never closed its bar: cut at the last bar line no tie holds over, as gen does.
          let cut = out.length - 1;
          while (cut > 0 && !(BARS.has(plain(toks[out[cut]])) && toks[out[cut - 1]] !== "-")) cut--;
          out.length = cut + 1;
          id = abc.end_id;
        } else id = pick(logits, opts, body);
        out.push(id);
        yield id;
        if (id === abc.end_id) return;
        logits = this.model.step(id);
      }
    }
  }

  // Numbered bar lines (|7: the bar's place in its section) are plain bar lines in ABC.
  function plain(tok) { return /^\|\d+$/.test(tok) ? "|" : tok; }

  // The next id: argmax when topK is 1, else a draw at the temperature; ``allowed`` limits ids.
  function pick(logits, opts, allowed) {
    let l = logits;
    if (allowed) {
      l = new Float64Array(logits.length).fill(-Infinity);
      for (const i of allowed) l[i] = logits[i];
    }
    if (opts.topK === 1) return S.argmax(l);
    return S.draw(S.probs(l, opts.temperature, opts.topK), opts.random);
  }

  root.GenSampler = { Sampler, plain, BARS };
})(typeof window !== "undefined" ? window : globalThis);
