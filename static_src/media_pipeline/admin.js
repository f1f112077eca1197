// Lecture videos in the Wagtail admin: an upload progress bar (XHR upload progress) and
// live transcoding status in the media listing (polls a small JSON endpoint).
(function () {
  "use strict";
  var script = document.currentScript;
  var i18n = JSON.parse((script && script.dataset.i18n) || "{}");
  var statusUrl = (script && script.dataset.statusUrl) || "/api/media/videos/status/";

  function fmt(text, values) {
    return String(text || "").replace(/%\((\w+)\)s/g, function (_, k) { return values[k]; }).replace("%%", "%");
  }
  function human(bytes) {
    var units = ["B", "KB", "MB", "GB", "TB"], i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i++; }
    return bytes.toFixed(i ? 1 : 0) + " " + units[i];
  }

  function enhanceUpload(form) {
    var input = form.querySelector("input[type=file][data-max-bytes]");
    if (!input || form.dataset.lectureUpload) return;
    form.dataset.lectureUpload = "1";
    var box = document.createElement("div");
    box.className = "lecture-upload";
    box.hidden = true;
    box.innerHTML = '<progress max="100" value="0" style="width:100%;height:1.2em"></progress><p class="lecture-upload__text help-block" aria-live="polite"></p>';
    input.parentNode.appendChild(box);
    var bar = box.querySelector("progress"), text = box.querySelector("p");
    var limit = parseInt(input.dataset.maxBytes, 10);

    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      box.hidden = true;
      input.setCustomValidity("");
      if (file && limit && file.size > limit) {
        box.hidden = false;
        text.textContent = fmt(i18n.too_large, { size: human(limit) });
        input.setCustomValidity(text.textContent);
      }
    });

    form.addEventListener("submit", function (event) {
      var file = input.files && input.files[0];
      if (!file || !window.FormData) return; // let the browser post it
      event.preventDefault();
      if (limit && file.size > limit) return;
      var button = form.querySelector("[type=submit]");
      if (button) button.disabled = true;
      box.hidden = false;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var percent = Math.floor((e.loaded / e.total) * 100);
        bar.value = percent;
        text.textContent = fmt(i18n.uploading, { percent: percent });
        if (percent >= 100) text.textContent = i18n.processing;
      });
      xhr.addEventListener("load", function () {
        var target = xhr.responseURL || "";
        if (xhr.status < 400 && target && target.split("#")[0] !== form.action.split("#")[0]) {
          window.location.assign(target); // saved: wagtailmedia redirected to the listing
        } else {
          document.open(); document.write(xhr.responseText); document.close(); // form errors
        }
      });
      xhr.addEventListener("error", function () {
        text.textContent = i18n.failed;
        if (button) button.disabled = false;
      });
      xhr.send(new FormData(form));
    });
  }

  var ACTIVE = { uploaded: 1, probing: 1, transcoding: 1 };
  function poll() {
    var cells = Array.prototype.slice.call(document.querySelectorAll("[data-lecture-status]"));
    var active = cells.filter(function (c) { return ACTIVE[c.dataset.lectureStatus]; });
    if (!active.length) { setTimeout(poll, 5000); return; }
    var ids = active.map(function (c) { return c.dataset.lectureId; }).slice(0, 200).join(",");
    fetch(statusUrl + "?ids=" + ids, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (rows) {
        rows.forEach(function (row) {
          var cell = document.querySelector('[data-lecture-id="' + row.id + '"]');
          if (!cell) return;
          var transcoding = row.status === "transcoding";
          cell.dataset.lectureStatus = row.status;
          cell.querySelector(".lecture-status__label").textContent = row.status_label;
          var bar = cell.querySelector(".lecture-status__bar"), pct = cell.querySelector(".lecture-status__percent");
          bar.value = row.progress_percent; bar.hidden = !transcoding;
          pct.textContent = row.progress_percent + "%"; pct.hidden = !transcoding;
          var reason = cell.querySelector(".lecture-status__reason");
          reason.textContent = row.failure_reason; reason.hidden = !row.failure_reason;
          var retry = cell.querySelector(".lecture-status__retry");
          if (retry) retry.hidden = row.status !== "failed";
        });
      })
      .catch(function () {})
      .then(function () { setTimeout(poll, 2000); });
  }

  function init() {
    document.querySelectorAll("form[enctype='multipart/form-data']").forEach(function (form) {
      if (!form.closest(".modal")) enhanceUpload(form);
    });
    if (document.querySelector("[data-lecture-status]")) poll();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
