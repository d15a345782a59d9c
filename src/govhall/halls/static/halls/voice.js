// Calls tickets aloud on the hall board in Mandarin ("请 A012 号到 3 号窗口办理").
// The board runs on a plain headless Chromium that has no speech engine, so the call is strung
// together from short pre-recorded clips (scripts/make-voice-clips.sh makes them, voice/ holds them).
// A browser that does have a Chinese voice may use it instead, but only when the page asks for it
// (data-voice-mode="speech" or GovhallVoice.mode = "speech"): the clips sound the same on every board.
//
// Usage: <script src="{% static 'halls/voice.js' %}" data-voice-base="{% get_static_prefix %}halls/voice/"></script>
//   GovhallVoice.unlock()                      from a click/keypress, once (browser autoplay policy)
//   GovhallVoice.announce("A012", "3")          -> Promise, resolves when the call has been said
(function () {
  "use strict";

  // document.currentScript is only set while this file is first run, so read the tag's settings now.
  const tag = document.currentScript || document.querySelector("script[data-voice-base]");
  const DEFAULT_BASE = (tag && tag.getAttribute("data-voice-base")) || "/static/halls/voice/";
  let wantSpeech = Boolean(tag && tag.getAttribute("data-voice-mode") === "speech");

  // Slack on top of a clip's own length before it is given up: a clip that never loads or never
  // reports "ended" must not hold every later call in the queue.
  const CLIP_SLACK_MS = 5000;
  const UNKNOWN_CLIP_MS = 3000;
  const MANIFEST_WAIT_MS = 3000;
  // Chrome's speechSynthesis sometimes never fires "end"; no call takes this long.
  const SPEECH_LIMIT_MS = 20000;

  const DIGIT_HAN = "零一二三四五六七八九";

  // Ticket: letters and digits one by one ("A012" is A 零 一 二, never A 十二), since a ticket is a
  // code to match against the slip in the caller's hand, not a quantity.
  function ticketClips(ticket) {
    const out = [];
    // NFKC: a ticket typed with full-width characters (Ａ０１２) reads the same.
    for (const ch of String(ticket == null ? "" : ticket).normalize("NFKC").toUpperCase()) {
      if (/^[A-Z0-9]$/.test(ch)) { out.push(ch); }
    }
    return out;
  }

  // Window: a number as people say it ("12 号窗口" is 十二号, not 一二号); windows are counted, and
  // the signs above them say 十二. Beyond 99 or with letters, fall back to one by one.
  function windowClips(win) {
    const text = String(win == null ? "" : win).normalize("NFKC").trim();
    if (/^\d+$/.test(text) && Number(text) <= 99) {
      const n = Number(text);
      if (n < 10) { return [String(n)]; }
      const tens = Math.floor(n / 10), units = n % 10;
      const out = [];
      if (tens > 1) { out.push(String(tens)); }  // 十二, not 一十二
      out.push("shi");
      if (units > 0) { out.push(String(units)); }
      return out;
    }
    return ticketClips(text);
  }

  function clipsFor(ticket, win) {
    const out = ["ding", "qing"].concat(ticketClips(ticket), ["hao"]);
    const w = windowClips(win);
    // Without a window the call is still complete Chinese: 请 A012 号办理.
    if (w.length) { out.push("dao", ...w, "hao", "chuangkou"); }
    out.push("banli");
    return out;
  }

  // The same words for a speech engine, digits written as characters so that it cannot read
  // "A012" as A 十二 or "12" as 一二.
  const SPOKEN = { qing: "请", hao: "号", dao: "到", chuangkou: "窗口", banli: "办理", shi: "十" };
  function speechTextFor(ticket, win) {
    return clipsFor(ticket, win).filter((c) => c !== "ding").map((c) => {
      if (SPOKEN[c]) { return SPOKEN[c]; }
      if (/^\d$/.test(c)) { return DIGIT_HAN[Number(c)]; }
      return c;
    }).join("");
  }

  function normaliseBase(base) {
    const b = base || DEFAULT_BASE;
    return b.endsWith("/") ? b : b + "/";
  }

  // --- clips -------------------------------------------------------------------------------

  const manifests = new Map();  // base -> Promise of {clips, durations_ms}
  const audios = new Map();     // clip URL -> HTMLAudioElement, kept so a repeat call is instant

  function withTimeout(promise, ms, fallback) {
    return Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve(fallback), ms))]);
  }

  // The manifest lets the clips be re-encoded (other names or format) without touching this file.
  // Without it, fall back to the names the generator uses, so a missing manifest costs nothing.
  function manifestFor(base) {
    if (!manifests.has(base)) {
      const fallback = { clips: null, durations_ms: {} };
      const loading = fetch(base + "manifest.json", { credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : fallback))
        .then((m) => (m && typeof m.clips === "object" ? m : fallback))
        .catch(() => fallback);
      const settled = withTimeout(loading, MANIFEST_WAIT_MS, fallback).then((m) => {
        if (m === fallback) { manifests.delete(base); }  // try again at the next call
        return m;
      });
      manifests.set(base, settled);
    }
    return manifests.get(base);
  }

  function clipUrl(base, manifest, name) {
    if (manifest.clips) {
      return manifest.clips[name] ? base + manifest.clips[name] : null;
    }
    return base + encodeURIComponent(name) + ".opus";
  }

  function audioFor(url) {
    let audio = audios.get(url);
    if (!audio) {
      audio = new Audio();
      audio.preload = "auto";
      audio.src = url;
      // A clip that failed (server down for a moment) is fetched afresh next time, not kept broken.
      audio.addEventListener("error", () => { if (audios.get(url) === audio) { audios.delete(url); } });
      audios.set(url, audio);
    }
    return audio;
  }

  // Resolves true when the clip played to its end, false when it was skipped; never rejects.
  function playOnce(audio, limitMs, volume) {
    return new Promise((resolve) => {
      let done = false;
      const finish = (ok) => {
        if (done) { return; }
        done = true;
        clearTimeout(timer);
        audio.removeEventListener("ended", onEnded);
        audio.removeEventListener("error", onError);
        // A clip given up on must not start later over the next one.
        if (!ok) { try { audio.pause(); } catch (e) { /* nothing to stop */ } }
        resolve(ok);
      };
      const onEnded = () => finish(true);
      const onError = () => finish(false);
      const timer = setTimeout(() => finish(false), limitMs);
      audio.addEventListener("ended", onEnded);
      audio.addEventListener("error", onError);
      if (audio.error) { finish(false); return; }
      try {
        audio.volume = volume;
        audio.currentTime = 0;  // the same clip twice in one call ("号 ... 号")
        const p = audio.play();
        if (p && typeof p.catch === "function") { p.catch(() => finish(false)); }
      } catch (e) {
        finish(false);
      }
    });
  }

  async function playClips(names, base, volume) {
    const manifest = await manifestFor(base);
    const items = names.map((name) => {
      const url = clipUrl(base, manifest, name);
      // Creating every element before the first plays lets the later ones load meanwhile.
      return { name, url, audio: url ? audioFor(url) : null };
    });
    const played = [], skipped = [];
    for (const item of items) {
      if (!item.audio) { skipped.push(item.name); continue; }
      const ms = (manifest.durations_ms && manifest.durations_ms[item.name]) || UNKNOWN_CLIP_MS;
      const ok = await playOnce(item.audio, ms + CLIP_SLACK_MS, volume);
      (ok ? played : skipped).push(item.name);
    }
    return { played, skipped };
  }

  // --- speech engine (only where it has a Chinese voice) ------------------------------------

  const synth = typeof window.speechSynthesis !== "undefined" ? window.speechSynthesis : null;

  function chineseVoice() {
    if (!synth || typeof window.SpeechSynthesisUtterance === "undefined") { return null; }
    const voices = synth.getVoices().filter((v) => /^zh/i.test(v.lang || ""));
    // Prefer Mandarin of the mainland (zh-CN, or zh_CN on Android) over zh-HK/zh-TW voices.
    return voices.find((v) => /^zh[-_](CN|Hans)/i.test(v.lang)) || voices[0] || null;
  }
  // Voice lists arrive asynchronously in Chrome; asking once starts the loading.
  if (synth) { try { synth.getVoices(); } catch (e) { /* no engine */ } }

  function speak(text, volume) {
    return new Promise((resolve) => {
      const voice = chineseVoice();
      if (!voice) { resolve(false); return; }
      let done = false;
      const finish = (ok) => { if (!done) { done = true; clearTimeout(timer); resolve(ok); } };
      const timer = setTimeout(() => { try { synth.cancel(); } catch (e) { /* ignore */ } finish(false); }, SPEECH_LIMIT_MS);
      const u = new SpeechSynthesisUtterance(text);
      u.voice = voice;
      u.lang = voice.lang;
      u.rate = 0.9;
      u.volume = volume;
      u.onend = () => finish(true);
      u.onerror = () => finish(false);
      try { synth.speak(u); } catch (e) { finish(false); }
    });
  }

  // --- queue ----------------------------------------------------------------------------------

  // Every call waits for the one before it: two calls at once would be unintelligible.
  let queue = Promise.resolve();

  function announce(ticket, win, options) {
    const opts = options || {};
    const base = normaliseBase(opts.baseUrl);
    const volume = typeof opts.volume === "number" ? Math.min(1, Math.max(0, opts.volume)) : 1;
    const clips = clipsFor(ticket, win);
    const run = queue.then(async () => {
      const started = Date.now();
      let names = clips;
      if (api.mode === "speech") {
        // The chime stays a clip: it is what makes people look up, whichever voice follows.
        const chime = await playClips(["ding"], base, volume);
        const text = speechTextFor(ticket, win);
        if (await speak(text, volume)) {
          return { mode: "speech", text, clips, played: chime.played, skipped: chime.skipped, ms: Date.now() - started };
        }
        // The engine failed: say it with the clips rather than not at all.
        names = clips.filter((c) => c !== "ding");
      }
      const result = await playClips(names, base, volume);
      return { mode: "clips", clips, played: result.played, skipped: result.skipped, ms: Date.now() - started };
    }).catch(() => ({ mode: "clips", clips, played: [], skipped: clips, ms: 0 }));
    queue = run;
    return run;
  }

  // Browsers only let a page play sound after the user has interacted with it. Playing (silently)
  // from inside that interaction marks the page as allowed; on Safari-like browsers, it also unlocks
  // the speech engine. Resolves true when playback was allowed.
  function unlock(options) {
    const base = normaliseBase(options && options.baseUrl);
    if (synth && chineseVoice()) {
      try {
        const u = new SpeechSynthesisUtterance(" ");
        u.volume = 0;
        synth.speak(u);
      } catch (e) { /* speech is optional */ }
    }
    // Started synchronously (the gesture only counts within its own task), hence no manifest wait:
    // the chime keeps the name the generator gives it.
    const audio = new Audio(base + "ding.opus");
    // Volume 0 rather than muted: muted playback is always allowed, so it would prove nothing.
    audio.volume = 0;
    let p;
    try { p = audio.play(); } catch (e) { return Promise.resolve(false); }
    return Promise.resolve(p).then(() => { audio.pause(); return true; }, () => false);
  }

  // Loads clips ahead of the first call (all of them by default), e.g. when the board starts.
  async function preload(names, options) {
    const base = normaliseBase(options && options.baseUrl);
    const manifest = await manifestFor(base);
    const list = names || (manifest.clips ? Object.keys(manifest.clips) : []);
    for (const name of list) {
      const url = clipUrl(base, manifest, name);
      if (url) { audioFor(url); }
    }
    return list.length;
  }

  const api = {
    clipsFor,
    speechTextFor,
    announce,
    unlock,
    preload,
  };
  // "speech" only when asked for and a Chinese voice exists; asking on a board without one still
  // reads "clips", so the page can show which it got.
  Object.defineProperty(api, "mode", {
    enumerable: true,
    get: () => (wantSpeech && chineseVoice() ? "speech" : "clips"),
    set: (value) => { wantSpeech = value === "speech"; },
  });
  window.GovhallVoice = api;
})();
