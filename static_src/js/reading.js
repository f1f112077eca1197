/* Heartbeats for a reading lesson (no video): visible time only, no media interval.
 * Configured by data attributes on its own <script> tag; see docs/heartbeat_contract.md. */
(function () {
  "use strict";
  var d = document.currentScript && document.currentScript.dataset;
  if (!d || !d.url) return;
  var session = window.crypto && crypto.randomUUID ? crypto.randomUUID() : (function () {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  })();
  var seq = 0, lastAt = 0, interval = Math.max(1, parseFloat(d.interval) || 15) * 1000;
  var hidden = function () { return document.visibilityState === "hidden"; };
  var wasVisible = !hidden();

  function beat(event, beacon) {
    var body = {
      lesson: parseInt(d.lesson, 10), session: session, seq: seq++, from: null, to: null,
      rate: 1, event: event, position: null, playing: false, visible: wasVisible,
      client_time: Date.now(),
    };
    wasVisible = !hidden();
    lastAt = Date.now();
    // The page's beat token authenticates the beat: no cookie, so no CSRF token either.
    body.token = d.token;
    if (beacon && navigator.sendBeacon) {
      if (navigator.sendBeacon(d.url, new Blob([JSON.stringify(body)], { type: "text/plain;charset=UTF-8" }))) return;
    }
    fetch(d.url, {
      method: "POST", credentials: "omit", keepalive: !!beacon,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }).catch(function () {});
  }

  if (!hidden()) beat("show");
  document.addEventListener("visibilitychange", function () {
    if (hidden()) beat("hide", true); else beat("show");
  });
  window.addEventListener("pagehide", function () { if (!hidden()) beat("hide", true); });
  setInterval(function () {
    if (!hidden() && Date.now() - lastAt >= interval) beat("tick");
  }, 1000);
})();
