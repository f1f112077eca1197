/* Lecture player: progressive enhancement of templates/blocks/lecture_video.html.
 *
 * Without this script the <video> plays with native controls (HLS where the browser has it,
 * else the MP4). With it: the lowest rung first, hls.js only where HLS is not native (loaded
 * when the member presses play), data saver (audio-only), quality, speed, captions, resume,
 * and heartbeats as docs/heartbeat_contract.md describes. No build step; ES2017.
 *
 * Members pay for data: nothing of the video (playlist, segment, hls.js) is fetched before
 * the member presses play. preload="none" everywhere; the resume position is handed to the
 * element as its default start position (no metadata needed for it before play).
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
      return r.ok ? r.json().then(function (a) { o.onAnswer(a, body); }) : null;
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
    // A "continue learning" link names its position (?t=, as data-start-seconds on the
    // lesson); it wins over the server's resume position.
    var linked = fig.closest("[data-start-seconds]");
    var start = linked ? parseFloat(linked.dataset.startSeconds) : NaN;
    this.pendingSeek = isFinite(start) && start >= 0 ? start : parseFloat(d.resume) || 0;
    // Played media of this page, merged (the local half of the "watched" share), what of it
    // has been sent, and the server's last figure (the authority, also for other sessions).
    this.seen = [];
    this.sent = [];
    this.sentBySeq = {};
    this.server = null;
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
      onAnswer: function (a, body) { self.showProgress(a, body.seq); },
    });
    this.setUp();
  }

  /* A link the browser measures below 500 kbit/s (or with the member's data saving on).
   * A native player's own rung choice cannot be steered: on such a link Chromium left the
   * lowest rung for the highest before the first frame (bench/README.md). */
  function slowLink() {
    var c = navigator.connection;
    return !!c && (c.saveData || (c.downlink > 0 && c.downlink < 0.5));
  }

  Player.prototype.url = function () {
    if (this.saver) return this.audio;
    if (this.native) {
      // "auto" on a slow link: the lowest rung's own playlist, so nothing else is fetched.
      var pick = this.quality !== "auto" ? +this.quality : slowLink() ? 0 : -1;
      var r = this.cfg.rungs[pick];
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
    // "none", not "metadata": metadata means the playlists and a first segment on page load,
    // fetched again from another position when the member resumes.
    v.preload = "none";
    if (this.native) {
      v.src = this.url();
      this.startAt();
    } else {
      v.load();
      v.addEventListener("play", function () { self.startHls(); });
      // hls.js (117 KB gzip, long-cached) is fetched once the page has loaded, not on the
      // tap: after the tap only the playlists and a first segment stand before the picture.
      var early = function () { self.loadHls(function () {}); };
      if (document.readyState === "complete") early();
      else window.addEventListener("load", early);
    }
    v.addEventListener("loadedmetadata", function () {
      var t = self.pendingSeek;
      self.pendingSeek = 0;
      if (t > 0 && Math.abs(v.currentTime - t) > 0.5 && (!v.duration || t < v.duration - 1)) {
        self.ownSeek = true; // resuming, not the member seeking: no beat for it
        v.currentTime = t;
      }
    });
    v.addEventListener("playing", function () { self.ownSeek = false; });
    this.wireBar();
    if (this.beats) this.wireBeats();
  };

  /* Before any media is loaded, currentTime sets the element's default playback start
   * position: the browser starts there once it has the metadata, with nothing fetched now
   * (with preload="metadata" the resume seek needed the playlists and a segment on load). */
  Player.prototype.startAt = function () {
    var t = this.pendingSeek, v = this.video;
    if (!(t > 0) || v.readyState > 0) return;
    this.ownSeek = true;
    try { v.currentTime = t; } catch (e) { this.ownSeek = false; }
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
      hls.on(Hls.Events.MANIFEST_PARSED, function (_e, data) {
        // The smallest picture first: hls.js orders levels by BANDWIDTH, a peak that a short
        // first segment can make higher on a lower rung than on the one above it.
        var low = 0, levels = data.levels || [];
        for (var i = 1; i < levels.length; i++) if (levels[i].height < levels[low].height) low = i;
        if (self.quality === "auto") hls.startLevel = low;
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
    this.loadHls(go, mp4);
  };

  /* hls.js, loaded once per page: ``done`` runs when it is there, ``failed`` if it cannot
   * be loaded (both may be asked for before the script arrives). */
  Player.prototype.loadHls = function (done, failed) {
    if (window.Hls) return done();
    var waiting = (this.hlsWaiting = this.hlsWaiting || []);
    waiting.push([done, failed || function () {}]);
    if (waiting.length > 1) return;
    var s = document.createElement("script");
    s.src = this.hlsSrc;
    s.onload = function () { waiting.splice(0).forEach(function (w) { w[0](); }); };
    s.onerror = function () { waiting.splice(0).forEach(function (w) { w[1](); }); };
    document.head.appendChild(s);
  };

  /* Change the source (data saver, quality with native HLS) and keep the position. */
  Player.prototype.reload = function () {
    var v = this.video;
    var wasPlaying = !v.paused;
    var t = v.currentTime;
    // A new source resets playbackRate to defaultPlaybackRate (the load algorithm): keep
    // the member's speed across data saver and quality changes.
    v.defaultPlaybackRate = v.playbackRate;
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
    this.startAt();
    if (wasPlaying) {
      var p = v.play();
      if (p && p.catch) p.catch(function () {});
    }
  };

  Player.prototype.applyQuality = function () {
    if (!this.hls || this.saver) return;
    if (this.quality === "auto") {
      // Back to automatic at the next fragment; currentLevel = -1 would flush the buffer
      // (a stall), and hls.js starts automatic anyway.
      if (!this.hls.autoLevelEnabled) this.hls.nextLevel = -1;
      return;
    }
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
    var play = bar.querySelector("[name=play]");
    // Removed rather than hidden: .btn sets display, which beats the hidden attribute.
    if (play && this.native) play.remove();
    else if (play) {
      // The element has no source until hls.js attaches one, so the browser's own play
      // button is disabled: this one starts it (and is where a keyboard user lands).
      play.hidden = false;
      var started = function () { if (play.parentNode) play.remove(); };
      play.addEventListener("click", function () {
        started();
        v.focus(); // the keyboard user keeps a place to pause from
        self.startHls();
      });
      v.addEventListener("play", started);
    }
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
      rate.addEventListener("change", function () {
        var r = parseFloat(rate.value) || 1;
        v.defaultPlaybackRate = r; // survives a change of source (data saver, quality)
        v.playbackRate = r;
      });
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

  /* Merge [a, b] into the sorted, disjoint list of ranges. */
  function addRange(list, a, b) {
    if (!(b > a)) return;
    var out = [], i = 0;
    for (; i < list.length && list[i][1] < a; i++) out.push(list[i]);
    for (; i < list.length && list[i][0] <= b; i++) {
      a = Math.min(a, list[i][0]);
      b = Math.max(b, list[i][1]);
    }
    out.push([a, b]);
    for (; i < list.length; i++) out.push(list[i]);
    list.splice.apply(list, [0, list.length].concat(out));
  }

  /* Seconds of ``list`` not in ``minus`` (both sorted and disjoint). */
  function lengthOutside(list, minus) {
    var total = 0;
    list.forEach(function (r) {
      var len = r[1] - r[0];
      minus.forEach(function (m) { len -= Math.max(0, Math.min(r[1], m[1]) - Math.max(r[0], m[0])); });
      total += Math.max(0, len);
    });
    return total;
  }

  /* The server's answer is the authority (it knows other sessions and what it credited). */
  Player.prototype.showProgress = function (a, seq) {
    if (!a || a.coverage_ratio == null) return;
    if (this.server && seq < this.server.seq) return; // a late answer to an older beat
    var duration = a.coverage_ratio > 0 ? a.coverage / a.coverage_ratio : 0;
    this.server = {
      seq: seq,
      coverage: +a.coverage || 0,
      ratio: +a.coverage_ratio,
      duration: duration,
      // What this page had sent up to that beat: the server's figure includes it.
      sent: this.sentBySeq[seq] || [],
    };
    for (var k in this.sentBySeq) if (+k <= seq) delete this.sentBySeq[k];
    this.renderWatched();
  };

  /* Between beats: the server's figure plus what this page played that was not yet in the
   * beats the server had answered, so the share moves while playing. An estimate (the
   * server may credit less: another session covered it, or the rate cap); the next answer
   * puts the server's figure back. */
  Player.prototype.renderWatched = function () {
    var out = this.fig.querySelector("[data-watched]"), s = this.server;
    if (!out || !s) return;
    var seen = this.seen.slice();
    if (this.start !== null && this.end > this.start) addRange(seen, this.start, this.end);
    var duration = s.duration || this.video.duration;
    var ratio = s.ratio;
    if (duration > 0 && isFinite(duration)) {
      ratio = Math.max(ratio, Math.min(1, (s.coverage + lengthOutside(seen, s.sent)) / duration));
    }
    out.hidden = false;
    var text = String(Math.floor(ratio * 100));
    var b = out.querySelector("b");
    if (b.textContent !== text) b.textContent = text;
  };

  /* Played ranges come from timeupdate deltas: a small forward step while playing is
   * watching; a seek, or any jump, closes the range and is not coverage. */
  Player.prototype.closeRange = function () {
    if (this.start !== null && this.end > this.start) {
      this.closed.push([this.start, this.end]);
      addRange(this.seen, this.start, this.end);
    }
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
      if (r) addRange(self.sent, r[0], r[1]);
      self.sentBySeq[self.beats.seq] = self.sent.slice();
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
    v.addEventListener("timeupdate", function () { self.advance(); self.renderWatched(); });
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
