// Net sales by quarter (bars) against the target (line). The table beside it holds the
// same figures for reading and copying.
(function () {
  "use strict";
  const element = document.getElementById("performance-chart");
  const source = document.getElementById("performance-data");
  if (!element || !source || typeof echarts === "undefined") return;
  const data = JSON.parse(source.textContent);
  const number = (value) => (value === null ? null : Number(value));
  const chart = echarts.init(element);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: [data.labels.net_sales, data.labels.target] },
    grid: { left: 70, right: 16, top: 36, bottom: 28 },
    xAxis: { type: "category", data: data.quarters },
    yAxis: { type: "value" },
    series: [
      { name: data.labels.net_sales, type: "bar", data: data.net_sales.map(number) },
      { name: data.labels.target, type: "line", data: data.targets.map(number), connectNulls: false },
    ],
  });
  window.addEventListener("resize", () => chart.resize());
})();
