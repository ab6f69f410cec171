/* The live workspace (server-sent events from /live/...; see web/live.py).
   Inbox: changed conversations are fetched again and highlighted, no reload.
   Conversation: "Priya is replying…", new messages announced, presence beats sent while open.
   Both: a notice (and a desktop notification, if the agent allowed them) when a customer
   writes in a conversation assigned to the viewer.
   Without this script every page still works: reload to see what changed. */
(function () {
  "use strict";
  var NOTIFIED = "heartline-notified";
  var BEAT_MS = 10000;  // presence rows expire after 30 s on the server
  var REFRESH_GAP_MS = 1000;  // at most one inbox refetch a second, however busy the desk
  var KEEP_MS = 15000;  // a changed row stays marked this long, through later refetches

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  function notifiedBefore(id) {
    var seen = [];
    try { seen = JSON.parse(window.sessionStorage.getItem(NOTIFIED) || "[]"); } catch (e) { seen = []; }
    if (seen.indexOf(id) >= 0) return true;
    seen.push(id);
    try { window.sessionStorage.setItem(NOTIFIED, JSON.stringify(seen.slice(-200))); } catch (e) { /* private mode */ }
    return false;
  }

  /* --- the notices area: notifications and "desktop notifications" opt-in ------------- */
  function noticeArea() {
    var area = document.getElementById("live-notices");
    if (area) return area;
    area = el("div", "live-notices");
    area.id = "live-notices";
    area.setAttribute("role", "status");
    area.setAttribute("aria-live", "polite");
    var main = document.getElementById("main");
    (main || document.body).insertBefore(area, main ? main.firstChild : null);
    return area;
  }

  function offerDesktop(bar) {
    if (!("Notification" in window) || Notification.permission !== "default" || !bar) return;
    var btn = el("button", "btn-link small", "Also notify me on the desktop");
    btn.type = "button";
    btn.addEventListener("click", function () {
      // asked only on a click: browsers ignore (and users dislike) unprompted requests
      Notification.requestPermission().then(function () { btn.remove(); });
    });
    bar.appendChild(btn);
  }

  function notify(data) {
    if (notifiedBefore(data.message_id)) return;
    var text = data.customer + " wrote in “" + data.subject + "”, assigned to you.";
    var note = el("p", "notice live-notice");
    note.appendChild(document.createTextNode(text + " "));
    var link = el("a", "", "Open it");
    link.href = data.url;
    note.appendChild(link);
    var close = el("button", "btn-link small", "Dismiss");
    close.type = "button";
    close.addEventListener("click", function () { note.remove(); });
    note.appendChild(document.createTextNode(" "));
    note.appendChild(close);
    noticeArea().appendChild(note);
    if ("Notification" in window && Notification.permission === "granted") {
      var n = new Notification("New message for you", { body: text, tag: "heartline-" + data.message_id });
      n.onclick = function () { window.focus(); window.location.href = data.url; };
    }
  }

  function unread(data) {
    var link = document.getElementById("nav-notifications");
    if (link) {
      var count = link.querySelector(".count");
      if (!data.count && count) count.remove();
      if (data.count) {
        if (!count) {
          link.appendChild(document.createTextNode(" "));
          count = link.appendChild(el("span", "count"));
        }
        count.dataset.unread = data.count;
        count.textContent = data.count;
        count.appendChild(el("span", "sr-only", " unread"));
      }
    }
    if (data.more) {
      var note = el("p", "notice live-notice", "You have a new notification. ");
      var see = el("a", "", "See it");
      see.href = "/notifications";
      note.appendChild(see);
      noticeArea().appendChild(note);
    }
  }

  function setState(bar, state) {
    bar.dataset.state = state;
    var word = bar.querySelector(".live-word");
    if (!word) return;
    if (!word.dataset.idle) word.dataset.idle = word.textContent;
    word.textContent = state === "stopped" ? "Live updates stopped: reload the page to see what changed."
      : state === "reconnecting" ? "Reconnecting to live updates…" : word.dataset.idle;
  }

  function connect(url, handlers, bar) {
    var source = new EventSource(url);
    source.addEventListener("notify", function (e) { notify(JSON.parse(e.data)); });
    source.addEventListener("unread", function (e) { unread(JSON.parse(e.data)); });
    Object.keys(handlers).forEach(function (name) {
      source.addEventListener(name, function (e) { handlers[name](JSON.parse(e.data)); });
    });
    source.addEventListener("open", function () {
      if (bar.dataset.state !== "live") setState(bar, "live");
    });
    source.addEventListener("error", function () {
      // CLOSED: the server refused (signed out). Otherwise the browser reconnects by itself
      // (the server ends each stream after a minute): say so only if that takes a while.
      if (source.readyState === EventSource.CLOSED) { setState(bar, "stopped"); return; }
      setTimeout(function () {
        if (source.readyState !== EventSource.OPEN) setState(bar, "reconnecting");
      }, 3000);
    });
    window.addEventListener("pagehide", function () { source.close(); });
    return source;
  }

  /* --- the inbox -------------------------------------------------------------------- */
  function visibleIds(tbody) {
    var ids = {};
    tbody.querySelectorAll("a.conv-link[href^='/conversations/']").forEach(function (a) {
      ids[a.getAttribute("href").split("/")[2]] = true;
    });
    return ids;
  }

  function swapRows(doc, changed, recent) {
    var old = document.querySelector("table.inbox tbody");
    var fresh = doc.querySelector("table.inbox tbody");
    if (!old || !fresh) return 0;
    var before = visibleIds(old);
    var checked = [];
    old.querySelectorAll("input:checked").forEach(function (i) { checked.push(i.name + "=" + i.value); });
    old.replaceWith(fresh);
    fresh.querySelectorAll("input[type=checkbox]").forEach(function (i) {
      if (checked.indexOf(i.name + "=" + i.value) >= 0) i.checked = true;
    });
    var marked = 0;
    fresh.querySelectorAll("a.conv-link[href^='/conversations/']").forEach(function (a) {
      var id = a.getAttribute("href").split("/")[2];
      var row = a.closest("tr");
      if (changed[id]) {
        row.classList.add(before[id] ? "live-updated" : "live-new");
        row.dataset.live = before[id] ? "updated" : "new";
        recent[id] = { at: Date.now(), how: row.dataset.live };
      } else if (recent[id] && Date.now() - recent[id].at < KEEP_MS) {
        row.classList.add("live-kept");  // still marked, without the fading tint again
        row.dataset.live = recent[id].how;
      } else {
        return;
      }
      marked += 1;
    });
    var head = document.querySelector(".page-head h1"), newHead = doc.querySelector(".page-head h1");
    if (head && newHead) head.innerHTML = newHead.innerHTML;
    document.querySelectorAll("nav.views a").forEach(function (a) {
      var twin = doc.querySelector("nav.views a[href='" + a.getAttribute("href") + "']");
      if (twin) a.innerHTML = twin.innerHTML;
    });
    return marked;
  }

  function liveInbox(bar) {
    var pending = {}, recent = {}, busy = false, last = 0, timer = null;
    function refresh() {
      timer = null;
      if (document.visibilityState === "hidden") return;  // caught up when the tab shows again
      if (busy) { timer = setTimeout(refresh, REFRESH_GAP_MS); return; }
      busy = true;
      var changed = pending;
      pending = {};
      last = Date.now();
      fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) {
          if (!r.ok || r.redirected) throw new Error("reload needed");
          return r.text();
        })
        .then(function (html) {
          var n = swapRows(new DOMParser().parseFromString(html, "text/html"), changed, recent);
          if (n) bar.querySelector(".live-word").textContent = "Updated just now: " + n + (n === 1 ? " conversation" : " conversations") + " highlighted.";
        })
        .catch(function () { setState(bar, "stopped"); })
        .then(function () { busy = false; });
    }
    function changedEvent(data) {
      var shown = visibleIds(document.querySelector("table.inbox tbody") || document.createElement("tbody"));
      var relevant = false;
      data.changed.forEach(function (c) {
        if (c.match || shown[c.id]) { pending[c.id] = true; relevant = true; }
      });
      if (!relevant || timer) return;
      timer = setTimeout(refresh, Math.max(0, last + REFRESH_GAP_MS - Date.now()));
    }
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && Object.keys(pending).length && !timer) refresh();
    });
    connect(bar.dataset.live, { inbox: changedEvent }, bar);
  }

  /* --- a conversation --------------------------------------------------------------- */
  function presenceWords(others) {
    var replying = others.filter(function (o) { return o.state === "replying"; }).map(function (o) { return o.name; });
    var viewing = others.filter(function (o) { return o.state !== "replying"; }).map(function (o) { return o.name; });
    var parts = [];
    if (replying.length) parts.push(replying.join(" and ") + (replying.length > 1 ? " are replying…" : " is replying…"));
    if (viewing.length) parts.push(viewing.join(" and ") + (viewing.length > 1 ? " are viewing" : " is viewing"));
    return parts.join(" · ");
  }

  function liveConversation(bar) {
    var form = document.getElementById("reply-form");
    var box = document.getElementById("reply-text");
    var csrf = form && form.querySelector("[name=csrf]");
    var note = document.getElementById("presence-note");
    var news = document.getElementById("thread-news");
    var sentState = "", sentAt = 0, stopped = false;

    function beat(state, force) {
      if (stopped || !csrf || !bar.dataset.presence) return;
      if (!force && state === sentState && Date.now() - sentAt < BEAT_MS - 500) return;
      sentState = state;
      sentAt = Date.now();
      var body = new FormData();
      body.append("csrf", csrf.value);
      body.append("state", state);
      fetch(bar.dataset.presence, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) { if (r.status === 401 || r.status === 403) stopped = true; })
        .catch(function () { /* the next beat retries */ });
    }
    function drafting() { return !!(box && box.value.trim()); }
    beat("viewing", true);
    setInterval(function () { beat(drafting() ? "replying" : "viewing", true); }, BEAT_MS);
    if (box) box.addEventListener("input", function () { beat(drafting() ? "replying" : "viewing", false); });
    window.addEventListener("pagehide", function () {
      if (!csrf || !navigator.sendBeacon) return;
      var body = new FormData();
      body.append("csrf", csrf.value);
      body.append("state", "left");
      navigator.sendBeacon(bar.dataset.presence, body);
    });

    connect(bar.dataset.live, {
      presence: function (data) {
        if (!note) return;
        note.textContent = presenceWords(data.others);
        note.dataset.replying = data.others.some(function (o) { return o.state === "replying"; }) ? "yes" : "no";
      },
      thread: function (data) {
        if (!news) return;
        data.messages.forEach(function (m) {
          var who = m.author || (m.direction === "inbound" ? "The customer" : "A teammate");
          var line = el("p", "notice live-notice", who + (m.direction === "inbound" ? " wrote again. " : " replied. "));
          var link = el("a", "", "Show the new message");
          link.href = window.location.pathname + "#m" + m.id;
          link.addEventListener("click", function (e) { e.preventDefault(); window.location.assign(link.href); window.location.reload(); });
          line.appendChild(link);
          news.appendChild(line);
        });
      }
    }, bar);
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.EventSource) return;
    var bar = document.getElementById("live-bar");
    if (!bar || !bar.dataset.live) return;
    bar.hidden = false;
    offerDesktop(bar);
    if (bar.dataset.kind === "inbox") liveInbox(bar);
    else liveConversation(bar);
  });
})();
