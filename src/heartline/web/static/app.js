/* Page behaviour without inline handlers (the Content-Security-Policy allows scripts from
   /static only): selects that filter on change, buttons that set the form's action, and
   "use this text" buttons that copy a suggestion into the reply box. */
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) el.form.requestSubmit();
  });
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("button[data-set-action], button[data-copy-from]");
    if (!btn) return;
    if (btn.dataset.setAction && btn.form) {
      var input = btn.form.querySelector("[name=action][type=hidden]");
      if (input) input.value = btn.dataset.setAction;
    }
    if (btn.dataset.copyFrom) {
      var target = document.getElementById(btn.dataset.copyTo || "reply-text");
      var source = document.getElementById(btn.dataset.copyFrom);
      if (target && source) {
        target.value = source.textContent;
        target.focus();
        if (window.htmx) htmx.trigger(target, "tone-check");
      }
    }
  });
})();
