"use strict";
// ABC for the page: tokens of a sampled tune to ABC text, ABC text back to notes (pitch as a
// MIDI number, length in quarter notes), and a WebAudio player for those notes. The reader
// covers what gen writes: pitches with accidentals and octave marks, lengths, rests, bar lines
// and repeats, endings, ties, broken rhythm, tuplets, chord symbols (skipped), and the L:, M:, K:
// and Q: fields, inline ones included.
(function (root) {
  const { plain, BARS } = root.GenSampler;
  const SECTION = new Set(["||", "|]", "|:", ":|", "::"]);
  const NATURAL = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };
  const MODE_SHIFT = { maj: 0, min: 9, dor: 2, phr: 4, lyd: 5, mix: 7, loc: 11 };
  const MAJOR_SHARPS = { 0: 0, 7: 1, 2: 2, 9: 3, 4: 4, 11: 5, 6: 6, 1: -5, 5: -1, 10: -2, 3: -3, 8: -4 };
  const isPitch = (t) => /^(\^\^|\^|__|_|=)?[A-Ga-gz][,']*$/.test(t);

  // Tune tokens (<s> M: L: K: body </s>) to ABC text: a space before each note that follows
  // another note's length or a bar line, a new line every 4 bars or at a section end.
  function writeTune(tokens, number, title) {
    const toks = tokens.map(plain).filter((t) => t !== "<s>" && t !== "</s>");
    const head = {};
    while (toks.length && /^[MLK]:/.test(toks[0]) && !(toks[0][0] in head)) {
      const t = toks.shift();
      head[t[0]] = t;
      if (t[0] === "K") break;
    }
    const lines = [`X:${number}`, `T:${title}`, head.M || "M:4/4", head.L || "L:1/8", head.K || "K:Cmaj"];
    let line = "", bars = 0, prev = "";
    const body = [];
    for (const t of toks) {
      if (/^[MLK]:/.test(t)) { line += `[${t}]`; prev = t; continue; }
      const startsNote = isPitch(t) || t[0] === "(" || t[0] === '"';
      if (startsNote && line && !/[\s(">\-<]$/.test(line) && !prev.startsWith("(") &&
          !prev.startsWith('"')) line += " ";
      if (BARS.has(t) && BARS.has(prev)) line += " ";
      line += t;
      prev = t;
      if (BARS.has(t)) {
        bars++;
        if (bars >= 4 || (SECTION.has(t) && t !== "|:" && bars >= 2)) {
          body.push(line.trim()); line = ""; bars = 0;
        }
      }
    }
    if (line.trim()) body.push(line.trim());
    // A body line such as "g:|" would read as a field line: an explicit length of one unit
    // ("g1:|") keeps it music, as gen's own writer does.
    const fixed = body.map((ln) => (/^[A-Za-z]:/.test(ln) ? ln[0] + "1" + ln.slice(1) : ln));
    return lines.concat(fixed).join("\n") + "\n";
  }

  function lengthValue(s) {
    if (!s) return 1;
    if (!s.includes("/")) return parseInt(s, 10);
    const [num, rest] = [s.slice(0, s.indexOf("/")), s.slice(s.indexOf("/") + 1)];
    const slashes = 1 + (rest.match(/^\/*/)[0].length);
    const den = rest.replace(/^\/*/, "");
    return (num ? parseInt(num, 10) : 1) / (den ? parseInt(den, 10) : Math.pow(2, slashes));
  }

  function fraction(s) { const [a, b] = s.split("/").map(Number); return b ? a / b : a; }

  // Accidental per letter (+1 sharp, -1 flat) of a K: field such as "Dmaj", "Ador", "Bbmix".
  function keySignature(key) {
    const m = /^\s*([A-G])([#b]?)\s*([A-Za-z]*)/.exec(key) || ["", "C", "", "maj"];
    const mode = (m[3] || "maj").slice(0, 3).toLowerCase();
    const shift = MODE_SHIFT[mode === "m" || mode === "" ? (mode === "m" ? "min" : "maj") : mode] || 0;
    const pc = (NATURAL[m[1]] + (m[2] === "#" ? 1 : m[2] === "b" ? -1 : 0) - shift + 24) % 12;
    let n = MAJOR_SHARPS[pc];
    if (pc === 6 && m[2] === "b") n = -6;
    if (pc === 1 && m[2] === "#") n = 7;
    const sig = {};
    "FCGDAEB".slice(0, Math.max(n, 0)).split("").forEach((l) => (sig[l] = 1));
    "BEADGCF".slice(0, Math.max(-n, 0)).split("").forEach((l) => (sig[l] = -1));
    return sig;
  }

  const BODY = /(\(\d(?::\d*)?(?::\d*)?)|(%[^\n]*)|\[([KLMQ]):([^\]\n]*)\]|("[^"\n]*")|(::+|:*\[?\|+\]?:*)(\d)?|(\[\d)|((?:\^\^|\^|__|_|=)?[A-Ga-g][,']*|[zx])(\d+\/\d+|\d+\/*|\/+\d*)?|(>{1,3}|<{1,3})|(-)/g;

  // ABC text of one tune → [{midi (null: rest), quarters}], repeats played as written.
  function notes(text) {
    let unit = 1 / 8, meter = null, sig = {};
    const events = []; // notes and bar/repeat marks, unfolded afterwards
    const lines = text.split("\n");
    let bodyText = "";
    for (const ln of lines) {
      const f = /^([A-Za-z]):(.*)$/.exec(ln);
      if (f && !ln.startsWith("|")) {
        if (f[1] === "L") unit = fraction(f[2].trim());
        if (f[1] === "M") meter = f[2].trim();
        if (f[1] === "K") { events.push({ key: f[2].trim() }); }
        continue;
      }
      bodyText += ln + "\n";
    }
    if (meter === null && unit === 1 / 8) unit = 1 / 8;
    let barAcc = {}, tuplet = 0, ratio = 1, broken = 1, tie = false, m;
    BODY.lastIndex = 0;
    while ((m = BODY.exec(bodyText))) {
      if (m[1]) {
        const p = parseInt(m[1].slice(1), 10);
        const q = { 2: 3, 3: 2, 4: 3, 6: 2, 8: 3 }[p] || 2;
        tuplet = p; ratio = q / p;
      } else if (m[3]) {
        if (m[3] === "L") unit = fraction(m[4].trim());
        if (m[3] === "K") events.push({ key: m[4].trim() });
      } else if (m[6]) {
        barAcc = {};
        events.push({ bar: m[6], ending: m[7] ? parseInt(m[7], 10) : null });
      } else if (m[8]) {
        events.push({ ending: parseInt(m[8].slice(1), 10) });
      } else if (m[9]) {
        const tok = m[9];
        let len = lengthValue(m[10]) * unit * 4 * broken;
        broken = 1;
        if (tuplet) { len *= ratio; tuplet--; }
        let midi = null;
        if (tok !== "z" && tok !== "x") {
          const acc = /^(\^\^|\^|__|_|=)?/.exec(tok)[0];
          const letter = tok[acc.length];
          const up = letter.toUpperCase();
          let pitch = 60 + NATURAL[up] + (letter === up ? 0 : 12);
          for (const ch of tok.slice(acc.length + 1)) pitch += ch === "'" ? 12 : -12;
          const key = up + (letter === up ? "" : "'") + tok.slice(acc.length + 1);
          if (acc) barAcc[key] = { "^^": 2, "^": 1, "=": 0, "_": -1, "__": -2 }[acc];
          midi = pitch + (key in barAcc ? barAcc[key] : (sig[up] || 0));
        }
        const last = events[events.length - 1];
        if (tie && last && last.midi === midi && midi !== null) last.quarters += len;
        else events.push({ midi, quarters: len });
        tie = false;
      } else if (m[11]) {
        // Broken rhythm: a>b is a dotted note then a short one (>> double-dotted, < reversed).
        const k = m[11].length, long = 2 - Math.pow(2, -k), short = Math.pow(2, -k);
        const last = lastNote(events);
        const first = m[11][0] === ">" ? long : short;
        if (last) last.quarters *= first;
        broken = 2 - first;
      } else if (m[12]) {
        tie = true;
      }
      for (const e of events) if (e.key !== undefined && !e.done) { sig = keySignature(e.key); e.done = true; }
    }
    return unfold(events);
  }

  function lastNote(events) {
    for (let i = events.length - 1; i >= 0; i--) if (events[i].quarters !== undefined) return events[i];
    return null;
  }

  // Repeats: |: ... :| plays twice (from the start if no |: opened it); an ending [1 is
  // skipped on the second time round, and [2 follows it.
  function unfold(events) {
    const out = [];
    let start = 0, pass = 1, i = 0, skipping = false, guard = 0;
    while (i < events.length && guard++ < 100000) {
      const e = events[i];
      if (e.ending === 1) skipping = pass === 2;
      if (e.ending === 2) { skipping = false; pass = 1; start = i + 1; }
      if (e.bar) {
        if (e.bar.startsWith(":")) {
          if (pass === 1 && !skipping) { pass = 2; i = start; continue; }
          skipping = false;
          const next = events[i + 1];
          if (!(next && next.ending === 2)) { pass = 1; start = i + 1; }
        } else if (e.bar.endsWith(":") || e.bar === "||" || e.bar === "|]") {
          pass = 1; skipping = false; start = i + 1;
        }
      }
      if (e.quarters !== undefined && !skipping) out.push({ midi: e.midi, quarters: e.quarters });
      i++;
    }
    return out;
  }

  // Play notes with WebAudio; returns a function that stops the sound.
  function play(list, bpm, onEnd) {
    const ctx = new (root.AudioContext || root.webkitAudioContext)();
    const beat = 60 / (bpm || 120);
    let t = ctx.currentTime + 0.05;
    for (const n of list) {
      const dur = n.quarters * beat;
      if (n.midi !== null) {
        const osc = ctx.createOscillator(), gain = ctx.createGain();
        osc.type = "triangle";
        osc.frequency.value = 440 * Math.pow(2, (n.midi - 69) / 12);
        gain.gain.setValueAtTime(0, t);
        gain.gain.linearRampToValueAtTime(0.3, t + 0.01);
        gain.gain.setTargetAtTime(0, t + dur * 0.85, 0.03);
        osc.connect(gain).connect(ctx.destination);
        osc.start(t);
        osc.stop(t + dur + 0.2);
      }
      t += dur;
    }
    const timer = setTimeout(() => { ctx.close(); if (onEnd) onEnd(); }, (t - ctx.currentTime + 0.3) * 1000);
    return () => { clearTimeout(timer); ctx.close(); if (onEnd) onEnd(); };
  }

  root.GenAbc = { writeTune, notes, play, keySignature };
})(typeof window !== "undefined" ? window : globalThis);
