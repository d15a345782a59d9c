// The kiosk: back to the first screen after a minute without a touch (the next person should not
// see the last one's screen), and print a new ticket once. A card reader types the ID number and
// Enter: the ID field is the last of each form, so its Enter takes the ticket.
(function () {
  "use strict";
  const IDLE_MS = 60000;
  const home = document.querySelector("[data-home]");
  let idle = null;
  function restart() {
    clearTimeout(idle);
    if (home) { idle = setTimeout(function () { window.location.href = home.href; }, IDLE_MS); }
  }
  ["pointerdown", "keydown", "input"].forEach(function (name) { document.addEventListener(name, restart, { passive: true }); });
  restart();

  // A ticket prints once when it is first shown (a reload does not print it twice):
  const slip = document.querySelector("[data-print-once]");
  if (slip) {
    const key = "printed:" + slip.dataset.printOnce;
    try {
      if (!sessionStorage.getItem(key)) {
        sessionStorage.setItem(key, "1");
        window.addEventListener("load", function () { window.print(); });
      }
    } catch (e) { /* storage off: the clerk can press print */ }
  }
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
