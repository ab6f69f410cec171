/* Review queue keyboard shortcuts: j/k move, c confirm, 1-3 correct sentiment, s sarcastic. */
(function () {
  "use strict";
  function items() { return Array.prototype.slice.call(document.querySelectorAll(".review-item")); }
  function current() {
    var el = document.activeElement;
    while (el && !(el.classList && el.classList.contains("review-item"))) el = el.parentElement;
    return el || items()[0];
  }
  function move(step) {
    var list = items(), i = list.indexOf(current());
    var next = list[Math.max(0, Math.min(list.length - 1, i + step))];
    if (next) next.focus();
  }
  function submit(item, fields) {
    var form = item && item.querySelector(".review-form");
    if (!form || !form.querySelector("button")) return;
    Object.keys(fields).forEach(function (k) {
      var input = form.querySelector("[name=" + k + "][type=hidden]");
      if (!input) { input = document.createElement("input"); input.type = "hidden"; input.name = k; form.appendChild(input); }
      input.value = fields[k];
    });
    htmx.trigger(form, "submit");
    setTimeout(function () { move(1); }, 0);
  }
  document.addEventListener("keydown", function (e) {
    var tag = (e.target.tagName || "").toLowerCase();
    if (e.ctrlKey || e.metaKey || e.altKey || tag === "input" || tag === "select" || tag === "textarea") return;
    var item = current(), sentiments = { "1": "negative", "2": "neutral", "3": "positive" };
    if (e.key === "j") { move(1); e.preventDefault(); }
    else if (e.key === "k") { move(-1); e.preventDefault(); }
    else if (e.key === "c") { submit(item, { action: "confirm" }); e.preventDefault(); }
    else if (sentiments[e.key]) { submit(item, { action: "correct", sentiment: sentiments[e.key] }); e.preventDefault(); }
    else if (e.key === "s") { submit(item, { action: "correct", sentiment: "negative", sarcasm: "yes" }); e.preventDefault(); }
  });
})();
