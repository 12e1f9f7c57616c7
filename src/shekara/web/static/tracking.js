// The live tracking map: positions pushed over a socket for the viewport only, drawn on one
// canvas with grid clustering, object details, alerts to handle and track replay.
// No inline scripts (see the CSP); strings come from data-i18n.
(function () {
  "use strict";
  var el = document.getElementById("trk-map");
  if (!el || typeof L === "undefined") { return; }
  var T = JSON.parse(el.dataset.i18n || "{}");
  var lang = el.dataset.lang || "en";
  var locale = lang === "en" ? "en-GB" : lang;
  var map = L.map(el, {
    keyboard: true, zoomSnap: 1, zoomAnimation: false, fadeAnimation: false,
    markerZoomAnimation: false, preferCanvas: true, minZoom: 3, maxZoom: 17
  }).setView([47, 66], 5);
  var statusEl = document.getElementById("trk-status");
  var listEl = document.getElementById("trk-list");
  var objectBody = document.getElementById("trk-object-body");
  var alertsBox = document.getElementById("trk-alerts");
  var params = new URLSearchParams(location.search);
  var cap = params.get("cap") ? parseInt(params.get("cap"), 10) : null;

  var COLOURS = { tracker: "#1f5f99", seal: "#7b4fb0", patrol: "#1e7b3a", uav: "#0a7d88" };
  var ALERT = "#c62828", SILENT = "#97a0ab";
  var CELL = 44, CLUSTER_MIN = 4;
  var options = { clusterBelowZoom: 13 };  // the benchmark turns clustering off to time the worst case

  var meta = {};            // idx -> {id, kind, label, period, patrol, sector, trip}
  var byId = {};            // device id -> idx
  var objs = new Map();     // idx -> {lat, lon, course, speed, ts, valid, ux, uy}
  var clusters = [];        // server clusters: [lat, lon, n, alerted]
  var mode = "objects", total = 0, clockSkew = 0;
  var alerts = {};          // alert id -> alert
  var alerted = {};         // device id -> worst severity of its live alerts
  var selected = null;      // device id
  var hits = [];
  var stats = { draws: 0, lastDrawMs: 0, lastMsgMs: 0, lastMsgBytes: 0, messages: 0, drawn: 0, clustered: 0 };
  var live = { map: map, stats: stats, objects: objs, meta: meta, select: select, alerts: alerts, options: options };
  window.shekaraLive = live;

  function fmt(s, values) {
    return String(s).replace(/%\((\w+)\)s/g, function (_, k) { return values[k] == null ? "" : String(values[k]); });
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); });
  }
  function unit(lat, lon) {  // Web Mercator at zoom 0 on a 1x1 square (as EPSG:3857)
    var s = Math.sin(lat * Math.PI / 180);
    s = Math.max(Math.min(s, 0.9999), -0.9999);
    return [(lon + 180) / 360, 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)];
  }
  function now() { return Date.now() / 1000 + clockSkew; }
  function stateOf(idx, o) {
    var m = meta[idx];
    if (!m) { return "moving"; }
    if (alerted[m.id]) { return "alert"; }
    if (now() - o.ts > 2 * m.period + 5) { return "silent"; }
    return (o.speed || 0) >= 3 ? "moving" : "stopped";
  }

  // --- basemap and checkpoints ---------------------------------------------------------------
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 18 }).addTo(map);
  } else {
    getJSON("/map/basemap.geojson").then(function (gj) {
      L.geoJSON(gj, {
        interactive: false,
        style: function (f) {
          var member = f.properties && f.properties.in_region;
          return { color: "#8a9bb0", weight: 1, fillColor: member ? "#f4f1e8" : "#e6e9ec", fillOpacity: 1 };
        }
      }).addTo(map).bringToBack();
    }).catch(function () { statusEl.textContent = T.failed; });
  }
  getJSON("/map/places.geojson?kind=checkpoint").then(function (gj) {
    L.geoJSON(gj, {
      interactive: false,
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, { radius: 3, color: "#15324f", weight: 1, fillColor: "#fff", fillOpacity: 1, interactive: false });
      }
    }).addTo(map);
  }).catch(function () { /* the live layer works without them */ });

  // --- the canvas layer ------------------------------------------------------------------------
  var canvas = document.createElement("canvas");
  canvas.className = "trk-canvas";
  canvas.setAttribute("aria-hidden", "true");
  el.appendChild(canvas);
  var ctx = canvas.getContext("2d");
  var pending = false;
  function resize() {
    var s = map.getSize(), r = window.devicePixelRatio || 1;
    canvas.width = Math.round(s.x * r); canvas.height = Math.round(s.y * r);
    canvas.style.width = s.x + "px"; canvas.style.height = s.y + "px";
    ctx.setTransform(r, 0, 0, r, 0, 0);
    schedule();
  }
  function schedule() {
    if (!pending) { pending = true; requestAnimationFrame(function () { pending = false; draw(); }); }
  }
  function bubble(x, y, n, alertedN) {
    var r = Math.min(24, 10 + Math.log(n) * 2.6);
    ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fillStyle = alertedN ? "rgba(198,40,40,0.85)" : "rgba(21,50,79,0.82)"; ctx.fill();
    ctx.lineWidth = 2; ctx.strokeStyle = "#fff"; ctx.stroke();
    ctx.fillStyle = "#fff"; ctx.font = "bold 12px system-ui, sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
    ctx.fillText(n >= 10000 ? Math.round(n / 1000) + "k" : String(n), x, y);
    return r;
  }
  function draw() {
    var t0 = performance.now();
    var size = map.getSize();
    ctx.clearRect(0, 0, size.x, size.y);
    hits = [];
    var z = map.getZoom(), scale = 256 * Math.pow(2, z), origin = map.getPixelBounds().min;
    var drawn = 0, clustered = 0;
    if (mode === "clusters") {
      clusters.forEach(function (c) {
        var u = unit(c[0], c[1]), x = u[0] * scale - origin.x, y = u[1] * scale - origin.y;
        var r = bubble(x, y, c[2], c[3]);
        hits.push({ x: x, y: y, r: r, lat: c[0], lon: c[1] });
        clustered += c[2];
      });
    } else {
      var cells = new Map(), singles = [];
      var doCluster = z < options.clusterBelowZoom;
      objs.forEach(function (o, idx) {
        var x = o.ux * scale - origin.x, y = o.uy * scale - origin.y;
        if (x < -30 || y < -30 || x > size.x + 30 || y > size.y + 30) { return; }
        if (!doCluster) { singles.push([idx, o, x, y]); return; }
        var key = Math.floor((o.ux * scale) / CELL) * 1048576 + Math.floor((o.uy * scale) / CELL);
        var c = cells.get(key);
        if (!c) { c = []; cells.set(key, c); }
        c.push([idx, o, x, y]);
      });
      cells.forEach(function (c) {
        if (c.length < CLUSTER_MIN) { Array.prototype.push.apply(singles, c); return; }
        var sx = 0, sy = 0, al = 0;
        c.forEach(function (e) { sx += e[2]; sy += e[3]; if (alerted[(meta[e[0]] || {}).id]) { al += 1; } });
        var x = sx / c.length, y = sy / c.length, r = bubble(x, y, c.length, al);
        hits.push({ x: x, y: y, r: r, cluster: true });
        clustered += c.length;
      });
      // One path per colour (thousands of shapes, one fill): rings for alerts and the selection.
      var batches = {};
      singles.forEach(function (e) {
        var idx = e[0], o = e[1], x = e[2], y = e[3], m = meta[idx] || {};
        var st = stateOf(idx, o);
        var colour = st === "alert" ? ALERT : st === "silent" ? SILENT : (COLOURS[m.kind] || "#333");
        if (st === "alert") { ctx.beginPath(); ctx.arc(x, y, 11, 0, 2 * Math.PI); ctx.strokeStyle = ALERT; ctx.lineWidth = 2; ctx.stroke(); }
        if (m.id === selected) { ctx.beginPath(); ctx.arc(x, y, 14, 0, 2 * Math.PI); ctx.strokeStyle = "#f0a500"; ctx.lineWidth = 3; ctx.stroke(); }
        var b = batches[colour] || (batches[colour] = { arrows: [], dots: [] });
        if (o.course != null && st !== "stopped" && st !== "silent") { b.arrows.push(x, y, o.course); } else { b.dots.push(x, y); }
        hits.push({ x: x, y: y, r: 10, idx: idx });
        drawn += 1;
      });
      var S = 9, SHAPE = [[0, -S], [0.7 * S, 0.8 * S], [0, 0.35 * S], [-0.7 * S, 0.8 * S]];
      Object.keys(batches).forEach(function (colour) {
        var b = batches[colour], i, k;
        ctx.beginPath();
        for (i = 0; i < b.arrows.length; i += 3) {
          var x = b.arrows[i], y = b.arrows[i + 1], a = b.arrows[i + 2] * Math.PI / 180;
          var c = Math.cos(a), sn = Math.sin(a);
          for (k = 0; k < 4; k++) {
            var px = SHAPE[k][0], py = SHAPE[k][1];
            if (k === 0) { ctx.moveTo(x + px * c - py * sn, y + px * sn + py * c); } else { ctx.lineTo(x + px * c - py * sn, y + px * sn + py * c); }
          }
          ctx.closePath();
        }
        for (i = 0; i < b.dots.length; i += 2) { ctx.moveTo(b.dots[i] + 5, b.dots[i + 1]); ctx.arc(b.dots[i], b.dots[i + 1], 5, 0, 2 * Math.PI); }
        ctx.fillStyle = colour; ctx.fill();
        ctx.lineWidth = 1; ctx.strokeStyle = "#fff"; ctx.stroke();
      });
    }
    stats.draws += 1; stats.drawn = drawn; stats.clustered = clustered;
    stats.lastDrawMs = performance.now() - t0;
  }
  live.draw = draw;
  map.on("move zoom viewreset", schedule);
  map.on("resize", resize);
  resize();
  setInterval(schedule, 5000);  // silent objects turn grey without a message

  map.on("click", function (e) {
    var p = e.containerPoint, best = null, bestD = Infinity;
    hits.forEach(function (h) {
      var d = Math.hypot(h.x - p.x, h.y - p.y);
      if (d <= h.r + 4 && d < bestD) { best = h; bestD = d; }
    });
    if (!best) { return; }
    if (best.idx != null) { select(meta[best.idx].id, false); return; }
    var ll = best.lat != null ? L.latLng(best.lat, best.lon) : map.containerPointToLatLng([best.x, best.y]);
    map.setView(ll, Math.min(map.getZoom() + 2, map.getMaxZoom()));
  });

  // --- the list of objects in view (the keyboard's way to the objects) ---------------------------
  var listTimer = null;
  function renderList() {
    listTimer = null;
    listEl.innerHTML = "";
    if (mode === "clusters") {
      var li0 = document.createElement("li"); li0.className = "meta"; li0.textContent = T.more; listEl.appendChild(li0);
      return;
    }
    var b = map.getBounds(), rows = [];
    objs.forEach(function (o, idx) {
      if (b.contains([o.lat, o.lon]) && meta[idx]) { rows.push([idx, o, stateOf(idx, o)]); }
    });
    rows.sort(function (a, c) {
      var aa = a[2] === "alert" ? 0 : 1, cc = c[2] === "alert" ? 0 : 1;
      return aa - cc || meta[a[0]].label.localeCompare(meta[c[0]].label);
    });
    rows.slice(0, 40).forEach(function (r) {
      var m = meta[r[0]], li = document.createElement("li"), btn = document.createElement("button");
      btn.type = "button"; btn.className = "link obj-" + r[2];
      btn.dataset.device = m.id;
      btn.textContent = m.label + " · " + (T[m.kind] || m.kind) + " · " + (T[r[2]] || r[2]) +
        (r[1].speed != null ? " · " + Math.round(r[1].speed) + " " + T.kmh : "");
      btn.addEventListener("click", function () { select(m.id, true); });
      li.appendChild(btn); listEl.appendChild(li);
    });
    if (rows.length > 40) {
      var li = document.createElement("li"); li.className = "meta"; li.textContent = T.more; listEl.appendChild(li);
    }
  }
  function scheduleList() { if (!listTimer) { listTimer = setTimeout(renderList, 1500); } }

  // --- the socket ---------------------------------------------------------------------------------
  var ws = null, retry = 1000, subTimer = null, closedForGood = false;
  function subscribe() {
    if (!ws || ws.readyState !== 1) { return; }
    var b = map.getBounds().pad(0.1);
    var msg = { type: "subscribe", bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], zoom: map.getZoom() };
    if (cap) { msg.cap = cap; }
    ws.send(JSON.stringify(msg));
  }
  map.on("moveend", function () { clearTimeout(subTimer); subTimer = setTimeout(subscribe, 200); });
  function connect() {
    ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/tracking/live");
    ws.onopen = function () { retry = 1000; };
    ws.onmessage = function (e) { onMessage(e.data); };
    ws.onclose = function (e) {
      if (e.code === 4401 || e.code === 4403) { closedForGood = true; statusEl.textContent = T.session; return; }
      if (closedForGood) { return; }
      statusEl.textContent = T.lost;
      setTimeout(connect, retry); retry = Math.min(retry * 2, 15000);
    };
  }
  function onMessage(data) {
    var t0 = performance.now();
    var msg = JSON.parse(data);
    if (msg.event === "hello") {  // a new connection numbers its devices afresh
      Object.keys(meta).forEach(function (k) { delete meta[k]; });
      Object.keys(byId).forEach(function (k) { delete byId[k]; });
      objs.clear();
      subscribe();
      return;
    }
    if (msg.event === "error") { return; }
    if (msg.now) { clockSkew = msg.now - Date.now() / 1000; }
    (msg.devices || []).forEach(function (d) {
      meta[d[0]] = { id: d[1], kind: d[2], label: d[3], period: d[4], patrol: d[5], sector: d[6], trip: d[7] };
      byId[d[1]] = d[0];
    });
    if (msg.event === "snapshot" || msg.mode === "clusters") { objs.clear(); }
    mode = msg.mode || mode; total = msg.total;
    if (msg.clusters) { clusters = msg.clusters; }
    if (mode === "objects") { clusters = []; }
    (msg.gone || []).forEach(function (idx) { objs.delete(idx); });
    (msg.objects || []).forEach(function (r) {
      if (r[1] == null || r[2] == null) { objs.delete(r[0]); return; }
      var u = unit(r[1], r[2]);
      objs.set(r[0], { lat: r[1], lon: r[2], course: r[3], speed: r[4], ts: r[5], valid: !!r[6], ux: u[0], uy: u[1] });
    });
    var alertsChanged = onAlerts(msg);
    stats.messages += 1; stats.lastMsgBytes = data.length; stats.lastMsgMs = performance.now() - t0;
    el.dataset.objects = String(objs.size); el.dataset.mode = mode; el.dataset.total = String(total);
    statusEl.textContent = fmt(mode === "clusters" ? T.clusters : T.connected, { n: total.toLocaleString(locale) });
    draw();
    stats.lastMsgMs = performance.now() - t0;
    if (msg.event === "snapshot") { stats.snapshotMs = stats.lastMsgMs; stats.snapshotBytes = data.length; stats.snapshots = (stats.snapshots || 0) + 1; }
    scheduleList();
    if (alertsChanged) { alertsMoved(); }
    if (selected && byId[selected] != null && (msg.objects || []).some(function (r) { return meta[r[0]] && meta[r[0]].id === selected; })) {
      refreshSelected();
    }
  }
  function onAlerts(msg) {
    var changed = false, fresh = {};
    if (msg.event === "snapshot") {
      (msg.alerts || []).forEach(function (a) { fresh[a.id] = true; });
      Object.keys(alerts).forEach(function (id) { if (!fresh[id]) { delete alerts[id]; changed = true; } });
    }
    (msg.alerts || []).forEach(function (a) {
      var old = alerts[a.id];
      if (!old || old.status !== a.status || old.occurrences !== a.occurrences || old.assigned !== a.assigned) { changed = true; }
      alerts[a.id] = a;
    });
    (msg.alerts_gone || []).forEach(function (id) { if (alerts[id]) { delete alerts[id]; changed = true; } });
    var rank = { info: 1, warning: 2, critical: 3 };
    alerted = {};
    Object.keys(alerts).forEach(function (id) {
      var a = alerts[id];
      if (!a.late && (rank[a.severity] || 0) >= (rank[alerted[a.device_id]] || 0)) { alerted[a.device_id] = a.severity; }
    });
    if (live.alertsSeen === undefined) { live.alertsSeen = true; return false; }
    return changed;
  }

  // --- the alerts panel ---------------------------------------------------------------------------
  function busyPanel() {
    var active = document.activeElement;
    if (active && alertsBox.contains(active) && active !== document.body) { return true; }
    return Array.prototype.some.call(alertsBox.querySelectorAll("textarea"), function (t) { return t.value.trim() !== ""; });
  }
  function reloadAlerts() {
    return fetch("/tracking/alerts", { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { if (r.status === 204 || r.redirected) { location.reload(); return null; } return r.text(); })
      .then(function (html) { if (html != null) { alertsBox.innerHTML = html; } });
  }
  function alertsMoved() {
    if (!busyPanel()) { reloadAlerts(); return; }
    if (alertsBox.querySelector(".trk-reload")) { return; }
    var p = document.createElement("p"), b = document.createElement("button");
    p.className = "notice trk-reload"; p.textContent = T.changed + " ";
    b.type = "button"; b.textContent = T.reload;
    b.addEventListener("click", function () { reloadAlerts(); });
    p.appendChild(b); alertsBox.insertBefore(p, alertsBox.firstChild);
  }
  alertsBox.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.classList || !form.classList.contains("trk-act")) { return; }
    e.preventDefault();
    var id = (form.closest(".trk-alert") || {}).id;
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.text().then(function (html) { return [r.status, html]; }); })
      .then(function (res) {
        if (res[0] >= 400 && res[0] !== 422) {  // e.g. a colleague closed it meanwhile
          statusEl.textContent = T.changed;
          reloadAlerts();
          return;
        }
        alertsBox.innerHTML = res[1];
        if (res[0] === 422) {
          var bad = alertsBox.querySelector("[aria-invalid=true]");
          if (bad) { bad.focus(); }
        } else {
          var h = document.getElementById("trk-alerts-h"); if (h) { h.setAttribute("tabindex", "-1"); h.focus(); }
        }
        alertsBox.dataset.handled = id || "";
      })
      .catch(function () { statusEl.textContent = T.failed; });
  });
  alertsBox.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest(".trk-show");
    if (b) { select(b.dataset.device, true); }
  });

  // --- object details -----------------------------------------------------------------------------
  var replayForm = document.getElementById("trk-replay");
  var lastDetails = 0;
  function loadDetails(id, pan) {
    lastDetails = Date.now();
    return fetch("/tracking/objects/" + encodeURIComponent(id), { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
      .then(function (html) {
        if (selected !== id) { return; }
        objectBody.innerHTML = html;
        var card = document.getElementById("trk-object-card");
        if (pan && card && card.dataset.lat) {
          map.setView([parseFloat(card.dataset.lat), parseFloat(card.dataset.lon)], Math.max(map.getZoom(), 12));
        }
      })
      .catch(function () { objectBody.textContent = T.failed; });
  }
  function select(id, pan) {
    if (selected !== id) { stopReplay(true); }
    selected = id;
    replayForm.hidden = false;
    schedule();
    return loadDetails(id, pan);
  }
  function refreshSelected() { if (Date.now() - lastDetails > 10000) { loadDetails(selected, false); } }

  // --- track replay -------------------------------------------------------------------------------
  var replay = { layer: L.layerGroup().addTo(map), fixes: [], t0: 0, t1: 0, t: 0, playing: false, last: 0, marker: null, done: null };
  var posInput = document.getElementById("rp-pos"), timeOut = document.getElementById("rp-time");
  var playBtn = document.getElementById("rp-play"), speedSel = document.getElementById("rp-speed");
  var info = document.getElementById("rp-info"), controls = document.getElementById("rp-controls");
  live.replay = replay;
  function utc(v) { return v ? v + ":00Z" : ""; }
  replayForm.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!selected) { return; }
    var q = new URLSearchParams({ start: utc(document.getElementById("rp-start").value), end: utc(document.getElementById("rp-end").value) });
    getJSON("/tracking/objects/" + encodeURIComponent(selected) + "/track?" + q).then(showTrack)
      .catch(function () { info.textContent = T.failed; });
  });
  function stopReplay(clear) {
    replay.playing = false; playBtn.textContent = T.play;
    if (clear) { replay.layer.clearLayers(); replay.fixes = []; controls.hidden = true; info.textContent = ""; replayForm.dataset.fixes = "0"; }
  }
  function showTrack(body) {
    stopReplay(true);
    var fixes = body.fixes.filter(function (f) { return f.lat != null && f.lon != null; });
    var invalid = body.fixes.filter(function (f) { return !f.valid; }).length;
    var blackbox = body.fixes.filter(function (f) { return f.blackbox; }).length;
    replayForm.dataset.fixes = String(body.fixes.length);
    if (!fixes.length) { info.textContent = T.nofixes; return; }
    info.textContent = fmt(T.fixes, { n: body.fixes.length, invalid: invalid, blackbox: blackbox });
    fixes.forEach(function (f) { f.t = Date.parse(f.fix_time) / 1000; });
    var good = fixes.filter(function (f) { return f.valid; }).map(function (f) { return [f.lat, f.lon]; });
    L.polyline(good, { color: "#1f5f99", weight: 2, opacity: 0.45, dashArray: "4 4", interactive: false }).addTo(replay.layer);
    replay.done = L.polyline([], { color: "#1f5f99", weight: 4, opacity: 0.9, interactive: false }).addTo(replay.layer);
    fixes.forEach(function (f) {
      if (!f.valid) {
        L.circleMarker([f.lat, f.lon], { radius: 4, color: "#5b6675", weight: 1, fillColor: "#fff", fillOpacity: 1, dashArray: "2 2" })
          .bindTooltip(T.invalid).addTo(replay.layer);
      } else if (f.blackbox) {
        L.circleMarker([f.lat, f.lon], { radius: 4, color: "#b85c00", weight: 2, fillOpacity: 0 })
          .bindTooltip(T.blackbox).addTo(replay.layer);
      }
    });
    replay.marker = L.circleMarker([fixes[0].lat, fixes[0].lon], { radius: 8, color: "#fff", weight: 2, fillColor: "#f0a500", fillOpacity: 1, interactive: false }).addTo(replay.layer);
    replay.fixes = fixes; replay.t0 = fixes[0].t; replay.t1 = fixes[fixes.length - 1].t; replay.t = replay.t0;
    controls.hidden = false;
    map.fitBounds(L.latLngBounds(fixes.map(function (f) { return [f.lat, f.lon]; })).pad(0.2), { maxZoom: 12 });
    seek(replay.t0);
  }
  function seek(t) {
    var f = replay.fixes;
    if (!f.length) { return; }
    replay.t = Math.max(replay.t0, Math.min(t, replay.t1));
    var i = 0;
    while (i < f.length - 1 && f[i + 1].t <= replay.t) { i += 1; }
    var a = f[i], b = f[Math.min(i + 1, f.length - 1)];
    var k = b.t > a.t ? (replay.t - a.t) / (b.t - a.t) : 0;
    var lat = a.lat + (b.lat - a.lat) * k, lon = a.lon + (b.lon - a.lon) * k;
    replay.marker.setLatLng([lat, lon]);
    replay.done.setLatLngs(f.slice(0, i + 1).filter(function (x) { return x.valid; }).map(function (x) { return [x.lat, x.lon]; }).concat([[lat, lon]]));
    var span = replay.t1 - replay.t0;
    posInput.value = String(span > 0 ? Math.round(1000 * (replay.t - replay.t0) / span) : 1000);
    timeOut.textContent = new Date(replay.t * 1000).toLocaleString(locale, { dateStyle: "short", timeStyle: "medium", timeZone: "UTC" }) + " UTC";
    replayForm.dataset.at = String(i);
  }
  function frame(ts) {
    if (!replay.playing) { return; }
    var dt = replay.last ? (ts - replay.last) / 1000 : 0;
    replay.last = ts;
    seek(replay.t + dt * parseFloat(speedSel.value));
    if (replay.t >= replay.t1) { stopReplay(false); return; }
    requestAnimationFrame(frame);
  }
  playBtn.addEventListener("click", function () {
    if (replay.playing) { stopReplay(false); return; }
    if (replay.t >= replay.t1) { seek(replay.t0); }
    replay.playing = true; replay.last = 0; playBtn.textContent = T.pause;
    requestAnimationFrame(frame);
  });
  posInput.addEventListener("input", function () {
    seek(replay.t0 + (replay.t1 - replay.t0) * parseInt(posInput.value, 10) / 1000);
  });
  document.getElementById("rp-clear").addEventListener("click", function () { stopReplay(true); });

  connect();
})();
