// A "print" button on a page meant for paper (a notice handed over at the window); scripts are
// files, not inline handlers, under the platform's Content-Security-Policy.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
