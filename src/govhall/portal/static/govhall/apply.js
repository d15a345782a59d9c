/* The application form (cases/apply.html): while a licence the platform already holds is
   chosen for a material, the material's upload box is hidden, and shown again when the
   applicant chooses to upload instead. Without this script both stay on the page and the
   server takes the chosen licence over a file. A static file: the Content-Security-Policy
   allows no inline script. */
(function () {
  "use strict";

  function follow(name) {
    var choices = document.querySelectorAll('input[type="radio"][data-upload-box][name="' + name + '"]');
    if (!choices.length) return;
    var box = document.getElementById(choices[0].getAttribute("data-upload-box"));
    if (!box) return;
    var licence = false;
    choices.forEach(function (choice) {
      if (choice.checked && choice.value) licence = true;
    });
    box.hidden = licence;
    // A hidden box sends nothing: a file picked before the licence was chosen is not uploaded.
    box.querySelectorAll('input[type="file"]').forEach(function (input) {
      input.disabled = licence;
    });
  }

  var names = new Set();
  document.querySelectorAll('input[type="radio"][data-upload-box]').forEach(function (choice) {
    names.add(choice.name);
    choice.addEventListener("change", function () {
      follow(choice.name);
    });
  });
  names.forEach(follow);
})();
