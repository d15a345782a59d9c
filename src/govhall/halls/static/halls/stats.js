// The hall's daily waiting times against the target, and the tickets issued (data from the page's
// <script type="application/json"> block: no inline script under the CSP).
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("hall-chart");
    var source = document.getElementById("hall-chart-data");
    if (!holder || !source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(holder, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      textStyle: { fontSize: 14 },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 52, right: 60, top: 40, bottom: 40 },
      xAxis: { type: "category", data: data.labels },
      // The waiting axis always reaches the target, so the target line is in view on a quiet day:
      yAxis: [{ type: "value", name: "min", max: function (range) { return Math.max(Math.ceil(range.max), Math.ceil(data.target * 1.2)); } },
              { type: "value", name: data.names.issued, splitLine: { show: false } }],
      series: [
        { name: data.names.issued, type: "bar", yAxisIndex: 1, data: data.issued, itemStyle: { color: "#c9d1dc" } },
        { name: data.names.wait, type: "line", data: data.wait, symbolSize: 8,
          markLine: { symbol: "none", lineStyle: { type: "dashed", color: "#c0392b" },
                      data: [{ name: data.names.target, yAxis: data.target, label: { formatter: data.names.target + " " + data.target } }] } },
        { name: data.names.wait_p90, type: "line", data: data.wait_p90, symbolSize: 6, lineStyle: { type: "dotted" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
