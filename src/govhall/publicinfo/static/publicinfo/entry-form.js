// The entry form: the structured facts of an intermediary service or institution are asked only
// for an entry of that kind (the server keeps only those of the kind saved, whatever is shown).
(function () {
  "use strict";
  const kind = document.getElementById("id_kind");
  const parts = { intermediary_service: "service-details", intermediary: "institution-details" };
  if (!kind) { return; }
  function show() {
    Object.keys(parts).forEach(function (value) {
      const part = document.getElementById(parts[value]);
      if (part) { part.hidden = kind.value !== value; }
    });
  }
  kind.addEventListener("change", show);
  show();
})();
