/* Canned replies on the conversation page: "Insert" fills the reply box with the chosen reply,
   filled in for this conversation by the server (POST .../macros/{id}/preview), and remembers
   it so sending applies its status. Without JavaScript the same button sends the form to
   /use-macro, which shows the page again with the box filled. */
(function () {
  "use strict";
  if (window.heartlineDesk) return;  // the picker may be included more than once
  window.heartlineDesk = true;

  function say(el, text) { if (el) el.textContent = text; }

  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("#macro-insert");
    if (!btn) return;
    var picker = document.getElementById("macro-picker");
    var select = document.getElementById("pick-macro");
    var box = document.getElementById("reply-text");
    var status = document.getElementById("macro-status");
    var form = btn.form;
    if (!picker || !select || !box || !form || !window.fetch) return;  // the server round trip
    e.preventDefault();
    if (!select.value) { say(status, "Choose a canned reply first."); select.focus(); return; }
    var csrf = form.querySelector("[name=csrf]");
    var url = "/api/v1/conversations/" + encodeURIComponent(picker.dataset.conversation) +
      "/macros/" + encodeURIComponent(select.value) + "/preview";
    btn.disabled = true;
    fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf ? csrf.value : "", "Accept": "application/json" }
    }).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    }).then(function (data) {
      box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n\n" + data.text : data.text;
      document.getElementById("macro-id").value = String(data.macro_id);
      var name = select.options[select.selectedIndex].text.split(" · ")[0];
      var msg = "“" + name + "” is in the reply box.";
      if (data.set_status) msg += " Sending it sets the conversation to " + data.set_status + ".";
      if (data.missing && data.missing.length) {
        msg += " No value here for " + data.missing.join(", ") + ": check the text before sending.";
      }
      say(status, msg);
      // as if typed: the draft is kept and the tone check runs
      box.dispatchEvent(new Event("input", { bubbles: true }));
      box.focus();
    }).catch(function () {
      say(status, "The canned reply could not be loaded; inserting it the slow way.");
      form.action = btn.getAttribute("formaction");
      form.noValidate = true;
      form.submit();
    }).finally(function () { btn.disabled = false; });
  });
})();
