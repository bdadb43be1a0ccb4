// The scorecards of a partner's last reviews: the overall score and the four dimensions.
// The table beside it holds the same figures for reading and copying.
(function () {
  "use strict";
  const element = document.getElementById("review-trend-chart");
  const source = document.getElementById("review-trend-data");
  if (!element || !source || typeof echarts === "undefined") return;
  const data = JSON.parse(source.textContent);
  const number = (value) => (value === null ? null : Number(value));
  const chart = echarts.init(element);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0, type: "scroll", data: data.series.map((series) => series.name) },
    grid: { left: 40, right: 16, top: 40, bottom: 28 },
    xAxis: { type: "category", data: data.quarters },
    yAxis: { type: "value", min: 1, max: 5 },
    series: data.series.map((series, index) => ({
      name: series.name,
      type: "line",
      data: series.data.map(number),
      lineStyle: { width: index === 0 ? 3 : 1 },
    })),
  });
  window.addEventListener("resize", () => chart.resize());
})();
