/* Page behaviour without inline handlers (the Content-Security-Policy allows scripts from
   /static only): selects that filter on change, buttons that set the form's action,
   "use this text" buttons that copy a suggestion into the reply box, and reply drafts kept in
   this browser until they are sent (a session that ends mid-reply loses nothing). */
(function () {
  "use strict";
  var DRAFT = "heartline-draft:";
  function store() { try { return window.localStorage; } catch (e) { return null; } }
  document.addEventListener("DOMContentLoaded", function () {
    var s = store();
    if (!s) return;
    document.querySelectorAll("[data-draft-sent]").forEach(function (el) {
      s.removeItem(DRAFT + el.dataset.draftSent);  // it went out: forget the draft
    });
    document.querySelectorAll("textarea[data-draft-key]").forEach(function (box) {
      var kept = s.getItem(DRAFT + box.dataset.draftKey);
      if (kept && !box.value) {
        box.value = kept;
        var note = document.createElement("p");
        note.className = "small muted";
        note.setAttribute("role", "status");
        note.textContent = "Your unsent draft was kept in this browser.";
        box.insertAdjacentElement("beforebegin", note);
      }
    });
  });
  document.addEventListener("input", function (e) {
    var box = e.target, s = store();
    if (s && box.matches && box.matches("textarea[data-draft-key]")) {
      if (box.value) s.setItem(DRAFT + box.dataset.draftKey, box.value);
      else s.removeItem(DRAFT + box.dataset.draftKey);
    }
  });
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
        // as if typed: the draft is kept and the tone check runs (hx-trigger "input changed")
        target.dispatchEvent(new Event("input", { bubbles: true }));
        target.focus();
      }
    }
  });
})();
