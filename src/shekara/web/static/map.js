// The map page: offline basemap, checkpoints, border sections and the filtered incidents.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || typeof L === "undefined") { return; }
  var T = JSON.parse(el.dataset.i18n || "{}");
  var lang = el.dataset.lang || "en";
  var categories = JSON.parse(el.dataset.categories || "{}");
  var map = L.map(el, { preferCanvas: true, keyboard: true, zoomSnap: 0.5 }).setView([45, 68], 4);
  window.shekaraMap = map;
  var list = document.getElementById("incident-list");
  var count = document.getElementById("map-count");
  var form = document.getElementById("map-filters");

  function text(s) { var d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; }
  function name(p) { return p["name_" + lang] || p.name_en || p.code; }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }
  function failed() { count.textContent = T.failed; }

  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 18 }).addTo(map);
  } else {
    getJSON("/map/basemap.geojson").then(function (gj) {
      L.geoJSON(gj, {
        style: function (f) {
          var member = f.properties && f.properties.in_region;
          return { color: "#8a9bb0", weight: 1, fillColor: member ? "#f4f1e8" : "#e6e9ec", fillOpacity: 1 };
        },
        onEachFeature: function (f, layer) {
          var n = f.properties && f.properties.names ? (f.properties.names[lang] || f.properties.name) : "";
          if (n) { layer.bindTooltip(n, { sticky: true, direction: "auto", opacity: 0.8 }); }
        }
      }).addTo(map).bringToBack();
      el.dataset.basemap = String(gj.features.length);
    }).catch(failed);
  }

  var checkpoints = L.layerGroup().addTo(map);
  var sections = L.layerGroup().addTo(map);
  var incidents = L.layerGroup().addTo(map);
  var impactColour = { low: "#7aa95c", medium: "#e0a100", high: "#d9572b", critical: "#a3261b" };

  getJSON("/map/places.geojson?kind=border_section").then(function (gj) {
    L.geoJSON(gj, {
      coordsToLatLng: function (c) { return L.latLng(c[1], c[0]); },
      style: function (f) { return { color: impactColour[f.properties.impact_level] || "#5b6675", weight: 3, opacity: 0.8 }; },
      onEachFeature: function (f, layer) {
        layer.bindPopup("<strong>" + text(T.section) + "</strong><br>" + text(name(f.properties)) +
          (f.properties.impact_level ? "<br>" + text(T.impact) + ": " + text(f.properties.impact_level) : ""));
      }
    }).addTo(sections);
    el.dataset.sections = String(gj.features.length);
  }).catch(failed);
  getJSON("/map/places.geojson?kind=checkpoint").then(function (gj) {
    L.geoJSON(gj, {
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, { radius: 4, color: "#15324f", weight: 1, fillColor: "#fff", fillOpacity: 1 });
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindPopup("<strong>" + text(T.checkpoint) + "</strong><br>" + text(name(p)) + " (" + text([p.country, p.country2].filter(Boolean).join("–")) + ")");
      }
    }).addTo(checkpoints);
    el.dataset.checkpoints = String(gj.features.length);
  }).catch(failed);

  function load() {
    var params = new URLSearchParams(new FormData(form));
    Array.from(params.keys()).forEach(function (k) { if (!params.get(k)) { params.delete(k); } });
    history.replaceState(null, "", "/map" + (params.toString() ? "?" + params : ""));
    el.setAttribute("aria-busy", "true");
    getJSON("/map/incidents.geojson?" + params).then(function (gj) {
      incidents.clearLayers();
      list.innerHTML = "";
      var bounds = [];
      var LIST_MAX = 300;
      var grouped = 0, single = 0;
      gj.features.forEach(function (f) {
        var p = f.properties, ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
        bounds.push(ll);
        if (p.count) {  // older incidents, counted per cell by the server
          grouped += p.count;
          L.circleMarker(ll, { radius: Math.min(6 + 2 * Math.sqrt(p.count), 22), color: "#5b6675", weight: 1, fillColor: "#9aa7b6", fillOpacity: 0.7 })
            .bindPopup(text(T.grouped.replace("%(n)s", String(p.count)))).addTo(incidents);
          return;
        }
        var i = single++;
        var when = new Date(p.occurred_at).toLocaleString(lang === "en" ? "en-GB" : lang, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
        var cat = categories[p.category] || p.category;
        var url = "/records/incidents/" + encodeURIComponent(f.id);
        var html = "<strong>" + text(cat) + "</strong><br>" + text(when) + " UTC<br>" + text(p.summary) +
          "<br><a href=\"" + url + "\">" + text(T.open) + "</a>";
        var m = L.circleMarker(ll, { radius: 7, color: "#7a1d14", weight: 1, fillColor: "#d9572b", fillOpacity: 0.85 })
          .bindPopup(html).addTo(incidents);
        m.featureId = f.id;
        if (i >= LIST_MAX) { return; }
        var li = document.createElement("li");
        li.innerHTML = "<a href=\"" + url + "\">" + text(p.summary) + "</a><br><span class=\"meta\">" + text(cat) + " · " + text(when) + "</span>";
        li.addEventListener("mouseenter", function () { m.openPopup(); });
        li.querySelector("a").addEventListener("focus", function () { m.openPopup(); });
        list.appendChild(li);
      });
      var total = single + grouped;
      count.textContent = total ? total + " " + T.shown : T.none;
      if (total > LIST_MAX) {
        var more = document.createElement("li");
        more.className = "meta";
        more.textContent = T.more.replace("%(shown)s", String(LIST_MAX));
        list.appendChild(more);
      }
      el.dataset.incidents = String(total);
      if (bounds.length) { map.fitBounds(bounds, { padding: [30, 30], maxZoom: 8 }); }
      el.removeAttribute("aria-busy");
    }).catch(failed);
  }

  document.getElementById("m-cp").addEventListener("change", function (e) {
    if (e.target.checked) { checkpoints.addTo(map); } else { map.removeLayer(checkpoints); }
  });
  document.getElementById("m-bs").addEventListener("change", function (e) {
    if (e.target.checked) { sections.addTo(map); } else { map.removeLayer(sections); }
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); load(); });
  load();
})();
