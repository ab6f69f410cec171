// Playbook editor: each condition row offers only the tests its field allows, and hides the
// value box when the test takes none. Without JavaScript every test is listed and the server
// says which one does not fit.
(function () {
  "use strict";
  function sync(row) {
    var field = row.querySelector(".cond-field");
    var op = row.querySelector(".cond-op");
    var value = row.querySelector(".cond-value");
    if (!field || !op || !value) return;
    var chosen = field.options[field.selectedIndex];
    var allowed = chosen && chosen.dataset.ops ? chosen.dataset.ops.split(" ") : null;
    Array.prototype.forEach.call(op.options, function (o) {
      if (!o.value) return;
      var ok = !allowed || allowed.indexOf(o.value) >= 0;
      o.hidden = !ok;
      o.disabled = !ok;
    });
    if (op.selectedOptions[0] && op.selectedOptions[0].disabled) op.value = "";
    var takes = op.selectedOptions[0] ? op.selectedOptions[0].dataset.value : "one";
    var none = takes === "none";
    value.readOnly = none; // not disabled: a disabled box is left out of the form, and the rows would shift
    value.closest(".cond-row").classList.toggle("no-value", none);
    value.placeholder = takes === "list" ? "values, separated by commas" : "";
  }
  function init() {
    document.querySelectorAll(".cond-row").forEach(function (row) {
      sync(row);
      row.addEventListener("change", function () { sync(row); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
