/* The attempt page (templates/quizzes/attempt.html): autosave through the quiz API, a queue
 * on this device while the connection is down, and the countdown of the server's clock.
 * The page works without this script: its <form> posts the answers. Texts come from the
 * form's data-t-* attributes; field names are those of quizzes/includes/attempt_question.html.
 *
 * Every change of a question gets the next `seq` of that question (counters kept in
 * localStorage per attempt, continued from the server's stored seq on load, so another
 * device or a reload goes on above it); the server ignores a seq not above the one it
 * stored, so a queue replayed late never overwrites a newer answer. */
(function () {
  "use strict";
  var form = document.getElementById("quiz-form");
  if (!form || !window.fetch || !window.JSON) return;
  var d = form.dataset, KQ = "quiz:" + d.attempt + ":queue", KS = "quiz:" + d.attempt + ":seq";
  var mem = {}, store = null;
  try { localStorage.setItem("quiz:probe", "1"); localStorage.removeItem("quiz:probe"); store = localStorage; } catch (e) { /* private mode */ }
  function load(key) {
    try { return (store ? JSON.parse(store.getItem(key)) : mem[key]) || {}; } catch (e) { return {}; }
  }
  function keep(key, value) {
    mem[key] = value;
    try { if (store) store.setItem(key, JSON.stringify(value)); } catch (e) { /* full: kept in memory */ }
  }
  var queue = load(KQ), seqs = load(KS);
  var csrf = (form.querySelector("[name=csrfmiddlewaretoken]") || {}).value || "";
  var status = document.getElementById("quiz-status");
  function show(kind, text) {
    if (!status) return;
    status.className = "quiz-status " + kind;
    status.textContent = text || d["t" + kind.charAt(0).toUpperCase() + kind.slice(1)] || "";
  }
  function boxes() { return form.querySelectorAll("fieldset[data-q]"); }
  function box(pos) { return form.querySelector('fieldset[data-q="' + pos + '"]'); }
  function named(fs, suffix) { return fs.querySelectorAll('[name^="q' + fs.dataset.q + "-" + suffix + '"]'); }
  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  function tail(el) { return el.name.slice(el.name.lastIndexOf("-") + 1); }

  // A question's response from its fields (as views.responses_from_post reads them).
  function read(fs) {
    var t = fs.dataset.type, out = [], r;
    if (t === "single" || t === "truefalse") {
      r = fs.querySelector("input[type=radio]:checked");
      return r ? { choice: r.value } : null;
    }
    if (t === "multi") {
      each(named(fs, "choices"), function (el) { if (el.checked) out.push(el.value); });
      return { choices: out };
    }
    if (t === "shortanswer" || t === "essay") return { text: named(fs, "text")[0].value };
    if (t === "numerical") return { value: named(fs, "value")[0].value };
    if (t === "gapfill") {
      each(named(fs, "gap-"), function (el) { out[+tail(el)] = el.value; });
      for (var i = 0; i < out.length; i++) out[i] = out[i] || "";
      return { gaps: out };
    }
    if (t === "matching") {
      r = {};
      each(named(fs, "match-"), function (el) { if (el.value) r[el.name.slice(el.name.indexOf("-match-") + 7)] = el.value; });
      return { matches: r };
    }
    if (t === "ordering") {
      each(named(fs, "order-"), function (el) { out.push(el.value); });
      return { order: out };
    }
    return null;
  }

  // Put a (queued) response back into the fields.
  function apply(fs, r) {
    var t = fs.dataset.type;
    if (!r) return;
    if (t === "single" || t === "truefalse" || t === "multi") {
      var chosen = t === "multi" ? r.choices || [] : [r.choice];
      each(fs.querySelectorAll("input"), function (el) {
        if (el.type !== "hidden") el.checked = chosen.indexOf(el.value) >= 0;
      });
    } else if (t === "shortanswer" || t === "essay") named(fs, "text")[0].value = r.text || "";
    else if (t === "numerical") named(fs, "value")[0].value = r.value || "";
    else if (t === "gapfill") each(named(fs, "gap-"), function (el) { el.value = (r.gaps || [])[+tail(el)] || ""; });
    else if (t === "matching") each(named(fs, "match-"), function (el) {
      el.value = (r.matches || {})[el.name.slice(el.name.indexOf("-match-") + 7)] || "";
    });
    else if (t === "ordering") each(named(fs, "order-"), function (el, i) { if ((r.order || [])[i]) el.value = r.order[i]; });
  }
  function nextSeqField(fs) {
    var el = fs.querySelector('input[name$="-seq"]');
    if (el) el.value = (seqs[fs.dataset.q] || 0) + 1;
  }

  // --- the countdown: from the server's remaining seconds, never the device's clock -----
  var left = document.getElementById("quiz-left"), end = null, finishing = false;
  function sync(remaining) {
    if (left && typeof remaining === "number") end = performance.now() + remaining * 1000;
  }
  function clock(s) {
    var h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, x = s % 60;
    return (h ? h + ":" + (m < 10 ? "0" : "") : "") + m + ":" + (x < 10 ? "0" : "") + x;
  }
  if (left && left.dataset.remaining !== "") sync(parseFloat(left.dataset.remaining));
  setInterval(function () {
    if (end === null) return;
    var s = Math.max(0, Math.ceil((end - performance.now()) / 1000));
    left.textContent = clock(s);
    if (s < 60) left.parentNode.classList.add("low");
    if (s === 0 && !finishing) finish();
  }, 1000);

  // --- the queue ----------------------------------------------------------------------
  var dirty = {}, debounce = null, sending = null, retryTimer = null, delay = 2000;
  function retry() {
    if (retryTimer) return;
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, delay);
    delay = Math.min(delay * 2, 30000);
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: body === undefined ? null : JSON.stringify(body),
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (b) { return { status: res.status, body: b }; });
    });
  }
  function pending() { return Object.keys(queue).map(function (k) { return queue[k]; }); }
  function flush() {
    if (sending) return sending;
    var items = pending().slice(0, 100);
    if (!items.length) {
      if (status && status.textContent) show("saved");
      return Promise.resolve(true);
    }
    if (navigator.onLine === false) { show("offline"); retry(); return Promise.resolve(false); }
    show("saving");
    sending = post(d.saveUrl, { answers: items }).then(function (res) {
      sending = null;
      if (res.status === 200) {
        items.forEach(function (it) {
          var now = queue[it.position];
          if (now && now.seq <= it.seq) delete queue[it.position];
        });
        keep(KQ, queue);
        sync(res.body.remaining_seconds);
        delay = 2000;
        return pending().length ? flush() : (show("saved"), true);
      }
      if (res.status === 400 || res.status === 409 || res.status === 404) {
        // Refused for good (time up, finished, a page left behind): never retried. The
        // review page sends a member whose attempt still runs back to it.
        items.forEach(function (it) { delete queue[it.position]; });
        keep(KQ, queue);
        show("error", res.body.detail);
        if (res.status === 409 && !finishing) location.href = d.reviewUrl;
        return false;
      }
      show("error"); retry(); return false;
    }, function () {
      sending = null; show("offline"); retry(); return false;
    });
    return sending;
  }
  function enqueue() {
    debounce = null;
    Object.keys(dirty).forEach(function (pos) {
      var fs = box(pos), r = fs && read(fs);
      if (!r) return;
      seqs[pos] = (seqs[pos] || 0) + 1;
      queue[pos] = { position: +pos, response: r, seq: seqs[pos] };
      nextSeqField(fs);
    });
    dirty = {};
    keep(KS, seqs);
    keep(KQ, queue);
    return flush();
  }
  function changed(e) {
    var fs = e.target.closest && e.target.closest("fieldset[data-q]");
    if (!fs) return;
    dirty[fs.dataset.q] = true;
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(enqueue, 800);
  }
  function finish() {
    finishing = true;
    show("timeup");
    if (debounce) { clearTimeout(debounce); enqueue(); }
    flush().then(function () { return post(d.submitUrl); }).then(function (res) {
      if (res.status === 200 || res.status === 409) location.href = d.reviewUrl;
      else setTimeout(finish, 3000);
    }, function () { setTimeout(finish, 3000); });
  }

  // --- on load: the server's answers, then any newer ones still queued here ---------------
  each(boxes(), function (fs) {
    var pos = fs.dataset.q, stored = +fs.dataset.seq || 0;
    if ((seqs[pos] || 0) < stored) seqs[pos] = stored;
    var q = queue[pos];
    if (q && q.seq <= stored) delete queue[pos];
    else if (q) apply(fs, q.response);
    nextSeqField(fs);
  });
  keep(KS, seqs);
  keep(KQ, queue);
  form.setAttribute("autocomplete", "off");
  form.addEventListener("change", changed);
  form.addEventListener("input", changed);
  window.addEventListener("online", function () { delay = 2000; flush(); });
  window.addEventListener("offline", function () { show("offline"); });
  form.addEventListener("submit", function (e) {
    var button = e.submitter;
    if (button && button.hasAttribute("data-submit") && !window.confirm(d.tConfirm)) { e.preventDefault(); return; }
    if (navigator.onLine === false) { e.preventDefault(); show("offline"); return; }
    // The post carries this page's answers with seqs above every queued one.
    each(boxes(), function (fs) {
      var el = fs.querySelector('input[name$="-seq"]');
      if (el) seqs[fs.dataset.q] = +el.value;
    });
    keep(KS, seqs);
    if (pending().some(function (q) { return !box(q.position); })) {
      // Answers of other pages still queued: send them first, then post.
      e.preventDefault();
      flush().then(function (ok) {
        if (!ok) return;
        var action = document.createElement("input");
        action.type = "hidden"; action.name = "action"; action.value = button ? button.value : "save";
        form.appendChild(action);
        form.submit();
      });
    }
  });
  flush();
})();
