/* Draws the dashboard charts from the JSON the server embedded; no build step. */
(function () {
  "use strict";
  var el = document.getElementById("chart-data");
  if (!el || typeof Chart === "undefined") return;
  var data = JSON.parse(el.textContent);
  var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  Chart.defaults.color = "#394150";
  function stacked(id, payload, opts) {
    var canvas = document.getElementById(id);
    if (!canvas) return null;
    return new Chart(canvas, {
      type: "bar",
      data: { labels: payload.display || payload.labels, datasets: payload.datasets },
      options: Object.assign({
        responsive: true, maintainAspectRatio: false, animation: reduce ? false : { duration: 300 },
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { display: payload.datasets.length > 0 && !!(opts && opts.legend), position: "bottom", labels: { boxWidth: 12 } } },
        scales: { x: { stacked: true, grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 10 } }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } }
      }, opts || {})
    });
  }
  // A bar opens the messages behind it (the table under the chart has the same links).
  var links = data.emotions.links || [];
  function drill(evt, elements) {
    if (elements && elements.length && links[elements[0].index]) {
      window.location.href = links[elements[0].index];
    }
  }
  function pointer(evt, elements) {
    evt.native.target.style.cursor = elements && elements.length ? "pointer" : "default";
  }
  window.heartlineCharts = {
    emotions: stacked("emotion-chart", data.emotions, { onClick: drill, onHover: pointer }),
    load: stacked("load-chart", data.load, { indexAxis: "y", legend: true, scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } } })
  };
})();
