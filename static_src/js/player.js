/* Lecture player: progressive enhancement of templates/blocks/lecture_video.html.
 *
 * Without this script the <video> plays with native controls (HLS where the browser has it,
 * else the MP4). With it: the lowest rung first, hls.js only where HLS is not native (loaded
 * when the member presses play), data saver (audio-only), quality, speed, captions, resume,
 * and heartbeats as docs/heartbeat_contract.md describes. No build step; ES2017.
 */
(function () {
  "use strict";

  var HLS_TYPE = "application/vnd.apple.mpegurl";

  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function round(x) { return Math.round(x * 1000) / 1000; }

  /* Heartbeats: one session per page load, seq +1 per beat, one beat per contiguous
   * played range. Failed beats (network, 5xx) keep their seq and are sent again later;
   * the server makes replays harmless. */
  function Beats(o) {
    this.o = o;
    this.session = uuid4();
    this.seq = 0;
    this.retry = [];
    this.lastAt = 0;
  }
  Beats.prototype.send = function (body, beacon) {
    var o = this.o, self = this;
    this.lastAt = Date.now();
    // The page's beat token authenticates the beat: no cookie, so no CSRF token either.
    body.token = o.token;
    if (beacon && navigator.sendBeacon) {
      var blob = new Blob([JSON.stringify(body)], { type: "text/plain;charset=UTF-8" });
      if (navigator.sendBeacon(o.url, blob)) return;
    }
    fetch(o.url, {
      method: "POST",
      credentials: "omit",
      keepalive: !!beacon,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }).then(function (r) {
      // 5xx, 429 and 409 (the member's other tabs kept the server busy): try again later.
      if (r.status >= 500 || r.status === 429 || r.status === 409) throw new Error(String(r.status));
      return r.ok ? r.json().then(o.onAnswer) : null;
    }).catch(function () { self.retry.push(body); });
  };
  Beats.prototype.flush = function (beacon) {
    var queued = this.retry.splice(0);
    for (var i = 0; i < queued.length; i++) this.send(queued[i], beacon);
  };
  Beats.prototype.beat = function (fields, beacon) {
    this.flush(beacon);
    var body = {
      lesson: this.o.lesson,
      session: this.session,
      seq: this.seq++,
      from: null,
      to: null,
      rate: 1,
      event: "tick",
      position: null,
      playing: false,
      visible: true,
      client_time: Date.now(),
    };
    for (var k in fields) body[k] = fields[k];
    this.send(body, beacon);
  };

  function hidden() { return document.visibilityState === "hidden"; }

  function Player(fig) {
    var d = fig.dataset;
    var cfgEl = fig.querySelector("script[type='application/json']");
    this.cfg = cfgEl ? JSON.parse(cfgEl.textContent) : {};
    this.fig = fig;
    this.video = fig.querySelector("video");
    this.master = d.master;
    this.audio = d.audio;
    this.hlsSrc = d.hls;
    this.interval = Math.max(1, parseFloat(d.interval) || 15);
    this.prefsUrl = d.prefsUrl;
    this.csrf = d.csrf;
    this.saver = d.saver === "1" && !!this.audio;
    this.quality = "auto";
    this.pendingSeek = parseFloat(d.resume) || 0;
    this.native = !!this.video.canPlayType(HLS_TYPE) || !d.hls;
    this.hls = null;
    // Played media not yet reported: the open range [start, end] and closed ones.
    this.start = null;
    this.end = null;
    this.closed = [];
    this.last = null;
    this.playedSince = false;
    this.playing = false;
    this.hiddenSince = hidden();
    var self = this;
    this.beats = d.beatUrl && new Beats({
      url: d.beatUrl,
      token: d.beatToken,
      lesson: parseInt(d.lesson, 10),
      onAnswer: function (a) { self.showProgress(a); },
    });
    this.setUp();
  }

  Player.prototype.url = function () {
    if (this.saver) return this.audio;
    if (this.quality !== "auto" && this.native) {
      var r = this.cfg.rungs[+this.quality];
      if (r) return r.url;
    }
    return this.master;
  };

  Player.prototype.setUp = function () {
    var v = this.video, self = this;
    // The template's <source> children are the no-script fallback; from here on the
    // script picks the URL, so that nothing is fetched that will not be played.
    Array.prototype.slice.call(v.querySelectorAll("source")).forEach(function (s) { s.remove(); });
    v.removeAttribute("src");
    if (this.native) {
      v.preload = "metadata";
      v.src = this.url();
    } else {
      v.preload = "none";
      v.load();
      v.addEventListener("play", function () { self.startHls(); });
    }
    v.addEventListener("loadedmetadata", function () {
      var t = self.pendingSeek;
      self.pendingSeek = 0;
      if (t > 0 && (!v.duration || t < v.duration - 1)) {
        self.ownSeek = true; // resuming, not the member seeking: no beat for it
        v.currentTime = t;
      }
    });
    this.wireBar();
    if (this.beats) this.wireBeats();
  };

  Player.prototype.startHls = function (position, paused) {
    var self = this, v = this.video;
    if (this.hls || this.loadingHls) return;
    this.loadingHls = true;
    var mp4 = function () {
      // Neither native HLS nor hls.js: the MP4, if there is one, is all that can play.
      self.loadingHls = false;
      if (self.fig.dataset.mp4) {
        v.src = self.fig.dataset.mp4;
        var p = v.play();
        if (p && p.catch) p.catch(function () {});
      }
    };
    var go = function () {
      var Hls = window.Hls;
      if (!Hls || !Hls.isSupported()) return mp4();
      var hls = new Hls({
        startLevel: 0,
        abrEwmaDefaultEstimate: 150000,
        capLevelToPlayerSize: true,
        testBandwidth: false,
        startPosition: position || self.pendingSeek || -1,
        maxBufferLength: 20,
        backBufferLength: 30,
      });
      self.hls = hls;
      self.loadingHls = false;
      hls.on(Hls.Events.MANIFEST_PARSED, function () {
        self.applyQuality();
        if (paused) return;
        var p = v.play();
        if (p && p.catch) p.catch(function () {});
      });
      var retries = 0;
      hls.on(Hls.Events.ERROR, function (_e, data) {
        if (!data.fatal) return;
        if (data.type === Hls.ErrorTypes.NETWORK_ERROR && retries++ < 5) hls.startLoad();
        else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
        else { hls.destroy(); self.hls = null; mp4(); }
      });
      hls.loadSource(self.url());
      hls.attachMedia(v);
    };
    if (window.Hls) return go();
    var s = document.createElement("script");
    s.src = this.hlsSrc;
    s.onload = go;
    s.onerror = mp4;
    document.head.appendChild(s);
  };

  /* Change the source (data saver, quality with native HLS) and keep the position. */
  Player.prototype.reload = function () {
    var v = this.video;
    var wasPlaying = !v.paused;
    var t = v.currentTime;
    this.closeRange();
    if (this.hls) {
      this.hls.destroy();
      this.hls = null;
      this.startHls(t, !wasPlaying);
      return;
    }
    if (!this.native) return; // hls.js not started yet: the next play uses the new URL
    this.pendingSeek = t;
    v.src = this.url();
    if (wasPlaying) {
      var p = v.play();
      if (p && p.catch) p.catch(function () {});
    }
  };

  Player.prototype.applyQuality = function () {
    if (!this.hls || this.saver) return;
    if (this.quality === "auto") { this.hls.currentLevel = -1; return; }
    var r = this.cfg.rungs[+this.quality], levels = this.hls.levels, idx = +this.quality;
    for (var i = 0; i < levels.length; i++) if (r && levels[i].height === r.height) idx = i;
    this.hls.currentLevel = idx;
  };

  Player.prototype.wireBar = function () {
    var self = this, v = this.video, bar = this.fig.querySelector(".player-bar");
    if (!bar) return;
    bar.hidden = false;
    var saver = bar.querySelector("[name=saver]");
    var quality = bar.querySelector("[name=quality]");
    var rate = bar.querySelector("[name=rate]");
    var captions = bar.querySelector("[name=captions]");
    var sync = function () {
      self.fig.classList.toggle("is-audio", self.saver);
      if (quality) quality.disabled = self.saver;
    };
    if (saver) {
      saver.checked = this.saver;
      saver.addEventListener("change", function () {
        self.saver = saver.checked;
        sync();
        self.reload();
        if (self.prefsUrl) {
          fetch(self.prefsUrl, {
            method: "PATCH",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": self.csrf },
            body: JSON.stringify({ data_saver: self.saver }),
          }).catch(function () {});
        }
      });
    }
    if (quality) {
      quality.addEventListener("change", function () {
        self.quality = quality.value;
        if (self.hls) self.applyQuality();
        else self.reload();
      });
    }
    if (rate) {
      rate.addEventListener("change", function () { v.playbackRate = parseFloat(rate.value) || 1; });
      v.addEventListener("ratechange", function () { rate.value = String(v.playbackRate); });
    }
    if (captions) {
      captions.addEventListener("change", function () {
        for (var i = 0; i < v.textTracks.length; i++) {
          var t = v.textTracks[i];
          t.mode = t.language && t.language === captions.value ? "showing" : "disabled";
        }
      });
    }
    sync();
  };

  Player.prototype.showProgress = function (a) {
    var out = this.fig.querySelector("[data-watched]");
    if (!out || !a || a.coverage_ratio == null) return;
    out.hidden = false;
    out.querySelector("b").textContent = String(Math.floor(a.coverage_ratio * 100));
  };

  /* Played ranges come from timeupdate deltas: a small forward step while playing is
   * watching; a seek, or any jump, closes the range and is not coverage. */
  Player.prototype.closeRange = function () {
    if (this.start !== null && this.end > this.start) this.closed.push([this.start, this.end]);
    this.start = this.end = null;
    this.last = null;
  };

  Player.prototype.advance = function () {
    var v = this.video, t = v.currentTime;
    if (v.seeking || hidden()) { this.last = null; return; }
    if (this.last !== null) {
      var step = t - this.last;
      if (step > 0 && step <= 2.5 * Math.max(1, v.playbackRate)) {
        if (this.start === null) this.start = this.last;
        this.end = t;
        this.playedSince = true;
      } else if (step !== 0) {
        this.closeRange();
      }
    }
    this.last = v.paused ? null : t;
  };

  Player.prototype.beat = function (event, beacon) {
    var v = this.video;
    if (event !== "seek") this.advance();
    this.closeRange();
    var ranges = this.closed.splice(0);
    if (!ranges.length) ranges.push(null);
    var self = this;
    ranges.forEach(function (r) {
      self.beats.beat({
        event: event,
        from: r ? round(r[0]) : null,
        to: r ? round(r[1]) : null,
        rate: v.playbackRate,
        position: round(v.currentTime || 0),
        playing: self.playedSince || !!r,
        visible: !self.hiddenSince,
      }, beacon);
    });
    this.playedSince = !v.paused;
    this.hiddenSince = hidden();
    if (!v.paused && !v.seeking && !hidden()) this.last = v.currentTime;
  };

  Player.prototype.wireBeats = function () {
    var self = this, v = this.video;
    v.addEventListener("timeupdate", function () { self.advance(); });
    v.addEventListener("playing", function () {
      if (!self.playing) self.beat("play");
      else if (self.last === null && !v.seeking && !hidden()) self.last = v.currentTime;
      self.playing = true;
    });
    v.addEventListener("pause", function () {
      if (v.ended) return;
      self.playing = false;
      self.beat("pause");
    });
    v.addEventListener("ended", function () {
      self.playing = false;
      self.beat("ended");
    });
    v.addEventListener("seeking", function () {
      // Scrubbing fires many of these: report the range played before it, once.
      var open = self.start !== null && self.end > self.start;
      self.closeRange();
      if (self.ownSeek) { self.ownSeek = false; return; }
      if (open || Date.now() - self.beats.lastAt > 1000) self.beat("seek");
    });
    v.addEventListener("seeked", function () { self.last = v.paused ? null : v.currentTime; });
    document.addEventListener("visibilitychange", function () {
      if (hidden()) {
        if (self.playing || self.closed.length || self.start !== null) self.beat("hide", true);
        self.hiddenSince = true;
      } else if (self.playing) {
        self.beat("show");
      }
    });
    window.addEventListener("pagehide", function () {
      if (self.closed.length || (self.start !== null && self.end > self.start)) self.beat("hide", true);
    });
    setInterval(function () {
      var due = Date.now() - self.beats.lastAt >= self.interval * 1000;
      if (self.playing && !v.paused && !hidden() && due) self.beat("tick");
      else if (due && self.beats.retry.length && navigator.onLine !== false) self.beats.flush();
    }, 500);
  };

  var figs = document.querySelectorAll("[data-player]");
  for (var i = 0; i < figs.length; i++) {
    try { new Player(figs[i]); } catch (e) { /* the native <video> still plays */ }
  }
})();
