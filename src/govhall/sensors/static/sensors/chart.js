// One station's chart: data from the page's <script type="application/json"> block (CSP: no inline script).
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("sensor-chart");
    var source = document.getElementById("sensor-chart-data");
    if (!holder || !source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(holder, null, { renderer: "svg" });
    var lines = (data.thresholds || []).map(function (t) {
      return { name: t.name, yAxis: t.value, label: { formatter: t.name + " " + t.value } };
    });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      grid: { left: 48, right: 110, top: 24, bottom: 48 },
      xAxis: { type: "category", data: data.labels },
      yAxis: { type: "value", name: data.unit, scale: !data.bar },
      dataZoom: [{ type: "inside" }],
      series: [{
        name: data.name, type: data.bar ? "bar" : "line", data: data.values, showSymbol: false,
        markLine: lines.length ? { symbol: "none", lineStyle: { type: "dashed", color: "#c0392b" }, data: lines } : undefined
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
