// The dashboard's trend chart: data from the page's <script type="application/json"> block (CSP: no inline script).
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("indicator-chart");
    var source = document.getElementById("indicator-chart-data");
    if (!holder || !source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(holder, null, { renderer: "svg" });
    var target = data.target === null ? [] : [{ name: "目标", yAxis: data.target, label: { formatter: "目标 " + data.target } }];
    chart.setOption({
      animation: false,
      textStyle: { fontSize: 14 },
      tooltip: { trigger: "axis" },
      grid: { left: 52, right: 70, top: 24, bottom: 40 },
      xAxis: { type: "category", data: data.labels },
      yAxis: { type: "value", axisLabel: { formatter: data.percent ? "{value}%" : "{value}" }, max: data.percent ? 100 : null },
      series: [{
        name: data.name, type: "line", data: data.values, connectNulls: false, symbolSize: 8,
        markLine: target.length ? { symbol: "none", lineStyle: { type: "dashed", color: "#c0392b" }, data: target } : undefined
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
