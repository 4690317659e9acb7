"use strict";
// The page: read the embedded model, wire the controls, stream samples into the page, and
// expose window.genModel for tests and for anyone scripting the page.
(function (root) {
  const spec = JSON.parse(document.getElementById("gen-model").textContent);
  const sampler = new root.GenSampler.Sampler(spec);
  const info = spec.info, tokens = info.tokens, isAbc = Boolean(info.abc);
  const $ = (id) => document.getElementById(id);
  const tuneTokens = (ids) => ids.map((i) => tokens[i]);

  function options() {
    const k = parseInt($("topk").value, 10);
    const seed = $("rngseed").value.trim();
    return {
      seed: $("seed") ? $("seed").value : "",
      length: Math.max(1, parseInt($("length").value, 10) || 500),
      temperature: Math.max(0.01, parseFloat($("temperature").value) || 1),
      topK: k > 0 ? k : null,
      random: seed ? root.GenStepper.rng(parseInt(seed, 10)) : Math.random,
    };
  }

  let running = null;

  // Run a generator in slices of ~30 ms so the text streams in and the page stays responsive.
  function pump(gen, onToken, onDone) {
    const job = { stop: false };
    running = job;
    function slice() {
      const until = performance.now() + 30;
      while (performance.now() < until) {
        if (job.stop) return onDone(true);
        const r = gen.next();
        if (r.done) { running = null; return onDone(false); }
        onToken(r.value);
      }
      setTimeout(slice, 0);
    }
    slice();
  }

  function setBusy(busy) {
    $("sample").disabled = busy;
    $("stop").disabled = !busy;
  }

  function sampleText() {
    const opts = options();
    const out = $("output");
    try { sampler.encode(opts.seed); } catch (e) { $("status").textContent = e.message; return; }
    const gen = sampler.text(opts);
    out.textContent = opts.seed;
    setBusy(true);
    const t0 = performance.now();
    let n = 0, pending = "";
    pump(gen, (id) => { pending += tokens[id]; n++; if (pending.length > 20) { out.textContent += pending; pending = ""; } },
      () => {
        out.textContent += pending;
        setBusy(false);
        $("status").textContent = `${n} tokens, ${(n / ((performance.now() - t0) / 1000)).toFixed(0)} per second`;
      });
  }

  let tuneCount = 0;
  function sampleTune() {
    const opts = options();
    const ids = [];
    const live = $("output");
    live.textContent = "";
    setBusy(true);
    pump(sampler.tune(opts), (id) => { ids.push(id); live.textContent += tokens[id] + " "; },
      (stopped) => {
        setBusy(false);
        live.textContent = "";
        if (stopped) return;
        tuneCount++;
        addTune(root.GenAbc.writeTune(tuneTokens(ids), tuneCount, `Sample ${tuneCount}`));
      });
  }

  function addTune(abc) {
    const box = document.createElement("div");
    box.className = "tune";
    const pre = document.createElement("pre");
    pre.textContent = abc;
    const play = document.createElement("button");
    play.textContent = "Play";
    let stopSound = null;
    play.onclick = () => {
      if (stopSound) { stopSound(); return; }
      play.textContent = "Stop";
      stopSound = root.GenAbc.play(root.GenAbc.notes(abc), parseFloat($("bpm").value) || 120,
        () => { stopSound = null; play.textContent = "Play"; });
    };
    const link = document.createElement("a");
    link.textContent = "Download .abc";
    link.download = `tune-${tuneCount}.abc`;
    link.href = URL.createObjectURL(new Blob([abc], { type: "text/vnd.abc" }));
    box.append(play, " ", link, pre);
    $("tunes").prepend(box);
  }

  $("sample").onclick = () => (isAbc ? sampleTune() : sampleText());
  $("stop").onclick = () => { if (running) running.stop = true; };
  $("title").textContent = `${info.run}: ${info.model.cell} ${info.model.layers}x${info.model.hidden}, ` +
    `${info.kind} (${info.level}), weights ${spec.precision}`;
  if (isAbc) {
    $("seedrow").hidden = true;
    $("length").value = 0;
    $("lengthlabel").hidden = true;
  } else {
    $("bpmlabel").hidden = true;
  }

  // For tests and scripts: the page's model without the controls.
  root.genModel = {
    info,
    precision: spec.precision,
    // Probabilities of the next token after ``ids`` (run from a zero state), as an Array.
    nextProbs(ids) { return Array.from(root.GenStepper.probs(sampler.prime(ids), 1, null)); },
    // Per position of ``ids``, the probabilities of the token after it (teacher forcing).
    probsAlong(ids) {
      sampler.model.reset();
      return ids.map((id) => Array.from(root.GenStepper.probs(sampler.model.step(id), 1, null)));
    },
    encode(text) { return sampler.encode(text); },
    startIds(seedIds) { return sampler.startIds(seedIds); },
    // The seed and its most likely continuation of ``n`` tokens (`gen sample --top-k 1`).
    greedy(seed, n) {
      let text = seed;
      for (const id of sampler.text({ seed, length: n, topK: 1 })) text += tokens[id];
      return text;
    },
    // The most likely tune: its tokens and its ABC text.
    greedyTune() {
      const ids = Array.from(sampler.tune({ topK: 1 }));
      const toks = tuneTokens(ids);
      return { tokens: toks, abc: root.GenAbc.writeTune(toks, 1, "Sample 1") };
    },
    sampleText(seed, n, temperature, topK, rngSeed) {
      const random = root.GenStepper.rng(rngSeed || 1);
      let text = seed;
      for (const id of sampler.text({ seed, length: n, temperature, topK, random })) text += tokens[id];
      return text;
    },
    abcNotes(text) { return root.GenAbc.notes(text); },
  };
})(window);
