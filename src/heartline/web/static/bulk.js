// Inbox bulk actions: the header box ticks every row on the page and the bar says how many
// are ticked. Without this file the "Select all on this page" link does the same by reload.
(function () {
  "use strict";
  function boxes() { return document.querySelectorAll('input[name="ids"][form="bulk-form"]'); }
  function update() {
    var n = 0;
    boxes().forEach(function (b) { if (b.checked) n += 1; });
    var label = document.querySelector("[data-bulk-count]");
    if (label) label.textContent = n ? n + " ticked:" : "Tick conversations, then:";
    var all = document.querySelector("[data-select-all]");
    if (all) { all.checked = n > 0 && n === boxes().length; all.indeterminate = n > 0 && n < boxes().length; }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var all = document.querySelector("[data-select-all]");
    if (!all) return;
    all.hidden = false;
    all.addEventListener("change", function () {
      boxes().forEach(function (b) { b.checked = all.checked; });
      update();
    });
    var link = document.querySelector("[data-select-page]");
    if (link) link.addEventListener("click", function (e) {
      e.preventDefault(); all.checked = true; boxes().forEach(function (b) { b.checked = true; }); update();
    });
    document.addEventListener("change", function (e) {
      if (e.target && e.target.name === "ids") update();
    });
    update();
  });
})();
