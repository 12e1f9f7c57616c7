// Dashboard charts (Chart.js) from the JSON the page carries; the tables hold the same figures.
(function () {
  "use strict";
  var node = document.getElementById("chart-data");
  if (!node || typeof Chart === "undefined") { return; }
  var d = JSON.parse(node.textContent);
  var palette = ["#1f5f99", "#d9572b", "#2e8b57", "#8e44ad", "#e0a100", "#16a085", "#7f8c8d",
    "#c0392b", "#2c3e50", "#b7950b", "#5dade2", "#a04000", "#117864", "#6c3483"];
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;
  // Long names (border sections, categories): shortened on the axis, in full in the tooltip.
  var shortTicks = { autoSkip: false, callback: function (v) {
    var l = String(this.getLabelForValue(v));
    return l.length > 24 ? l.slice(0, 23) + "…" : l;
  } };
  new Chart(document.getElementById("chart-seizures"), {
    type: "bar",
    data: {
      labels: d.months,
      datasets: d.seizures.map(function (s, i) {
        return { label: s.label, data: s.data, backgroundColor: palette[i % palette.length], stack: "s" };
      }).concat([{ type: "line", label: d.text.incidents, data: d.incidents_by_month,
        borderColor: "#15324f", backgroundColor: "#15324f", yAxisID: "y" }])
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "right" } } }
  });
  new Chart(document.getElementById("chart-categories"), {
    type: "bar",
    data: { labels: d.categories.labels, datasets: [{ label: d.text.incidents, data: d.categories.data, backgroundColor: "#1f5f99" }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { ticks: shortTicks } } }
  });
  new Chart(document.getElementById("chart-sections"), {
    type: "bar",
    data: { labels: d.sections.labels, datasets: [{ label: d.text.incidents, data: d.sections.data, backgroundColor: "#d9572b" }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { ticks: shortTicks } } }
  });
  new Chart(document.getElementById("chart-cases"), {
    type: "doughnut",
    data: { labels: d.cases.labels, datasets: [{ data: d.cases.data, backgroundColor: palette }] },
    options: { plugins: { legend: { position: "right" } } }
  });
  document.body.dataset.chartsReady = "1";
})();
