// The hall's display board: asks the server every second whether anything changed (a 304 with
// no database work when nothing did), redraws the calls and queues, and announces each new call
// through GovhallVoice. No connection is held open, so a board never ties up a web worker; after
// a network or server failure it keeps retrying with a growing pause and recovers by itself.
(function () {
  "use strict";
  const root = document.getElementById("board");
  if (!root) { return; }
  const url = root.dataset.stateUrl;
  const pollMs = Number(root.dataset.pollMs) || 1000;
  const words = document.getElementById("words").dataset;
  const connection = document.getElementById("connection");
  const soundButton = document.getElementById("sound");
  let etag = "";
  let lastCallId = null;  // calls already on the board when it started are not announced again
  let offsetMs = 0;       // server clock minus this clock
  let failures = 0;

  function text(tag, className, value) {
    const element = document.createElement(tag);
    if (className) { element.className = className; }
    element.textContent = value;
    return element;
  }

  function windowLabel(n) { return words.window.replace("{n}", n); }

  function drawCalls(calls) {
    const latest = document.getElementById("latest");
    latest.replaceChildren();
    if (calls.length) {
      latest.append(text("span", "ticket", calls[0].ticket), " ", text("span", "to", words.to), " ",
        text("span", "window", windowLabel(calls[0].window)));
    } else {
      latest.append(text("span", "idle", words.idle));
    }
    const list = document.getElementById("calls");
    list.replaceChildren(...calls.slice(1).map(function (call) {
      const item = document.createElement("li");
      item.append(text("span", "ticket", call.ticket), text("span", "window", windowLabel(call.window)));
      return item;
    }));
  }

  function drawQueues(queues) {
    document.getElementById("queues").replaceChildren(...queues.map(function (q) {
      const row = document.createElement("tr");
      const name = document.createElement("td");
      name.append(text("b", "", q.prefix), " " + q.name);
      row.append(name, text("td", "", String(q.waiting)), text("td", "", words.wait.replace("{m}", q.estimated_minutes)));
      return row;
    }));
  }

  function announceNew(calls) {
    const fresh = calls.filter(function (call) { return lastCallId !== null && call.id > lastCallId; }).reverse();
    if (calls.length) { lastCallId = Math.max(lastCallId || 0, calls[0].id); } else if (lastCallId === null) { lastCallId = 0; }
    fresh.forEach(function (call) {
      if (window.GovhallVoice) { window.GovhallVoice.announce(call.ticket, String(call.window)); }
    });
    if (fresh.length) {
      const latest = document.getElementById("latest");
      latest.classList.remove("flash");
      void latest.offsetWidth;  // restart the animation
      latest.classList.add("flash");
    }
  }

  function draw(state) {
    drawCalls(state.calls);
    drawQueues(state.queues);
    // The hall's own notice, then the bureau's newest 通知公告:
    const notices = (state.notices || []).map((n) => words.noticePrefix + n.title);
    document.getElementById("notice").textContent = [state.notice || words.defaultNotice, ...notices].join("　");
    announceNew(state.calls);
  }

  // The hall's own time zone, whatever the TV's operating system is set to:
  const clockFormat = new Intl.DateTimeFormat("zh-CN", {
    timeZone: root.dataset.timeZone || undefined, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });
  function tickClock() {
    document.getElementById("clock").textContent = clockFormat.format(new Date(Date.now() + offsetMs));
  }

  async function poll() {
    const controller = new AbortController();
    const timer = setTimeout(function () { controller.abort(); }, 5000);
    try {
      const response = await fetch(url, {
        headers: etag ? { "If-None-Match": etag } : {}, cache: "no-store", credentials: "same-origin",
        signal: controller.signal,
      });
      const serverTime = response.headers.get("X-Server-Time");
      if (serverTime) { offsetMs = Date.parse(serverTime) - Date.now(); }
      if (response.status === 403) {
        connection.textContent = (await response.json()).detail;
        connection.hidden = false;
        failures += 1;
      } else if (response.status === 200) {
        etag = response.headers.get("ETag") || "";
        draw(await response.json());
        failures = 0;
        connection.hidden = true;
      } else if (response.status === 304) {
        failures = 0;
        connection.hidden = true;
      } else {
        throw new Error("HTTP " + response.status);
      }
    } catch (error) {
      failures += 1;
      if (failures > 2) { connection.hidden = false; }
    } finally {
      clearTimeout(timer);
      // Back off to at most 10 s while the server is away; back to the normal pace once it answers:
      setTimeout(poll, failures ? Math.min(10000, pollMs * Math.pow(2, Math.min(failures, 4))) : pollMs);
    }
  }

  // The board is started once by hand; if the browser refuses sound until a click, say so:
  function checkSound() {
    if (!window.GovhallVoice) { return; }
    window.GovhallVoice.unlock().then(function (ok) { soundButton.hidden = ok !== false; });
  }
  soundButton.addEventListener("click", function () {
    window.GovhallVoice.unlock().then(function (ok) { soundButton.hidden = ok !== false; });
  });

  setInterval(tickClock, 1000);
  window.addEventListener("load", function () {
    checkSound();
    if (window.GovhallVoice && window.GovhallVoice.preload) { window.GovhallVoice.preload(); }
  });
  poll();
})();
