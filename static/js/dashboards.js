// The dashboards' charts: every element with data-chart="<id>" draws the JSON of the
// <script id="<id>"> beside it ({kind, categories, series: [{name, data}]}; values are
// exact decimals as strings, null where a figure is undefined). Each chart has a table
// beside it with the same figures, for reading, copying and screen readers.
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  const number = (value) => (value === null ? null : Number(value));
  document.querySelectorAll("[data-chart]").forEach((element) => {
    const source = document.getElementById(element.dataset.chart);
    if (!source) return;
    const data = JSON.parse(source.textContent);
    const horizontal = data.kind === "hbar";
    const type = data.kind === "line" ? "line" : "bar";
    const categoryAxis = { type: "category", data: data.categories, axisLabel: { hideOverlap: true } };
    const valueAxis = { type: "value" };
    const chart = echarts.init(element);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: data.series.length > 1 ? { top: 0, type: "scroll" } : undefined,
      grid: { left: 8, right: 16, top: data.series.length > 1 ? 36 : 12, bottom: 8, containLabel: true },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxis,
      series: data.series.map((series) => ({
        name: series.name,
        type: type,
        stack: data.kind === "stack" ? "total" : undefined,
        connectNulls: false,
        data: series.data.map(number),
      })),
    });
    window.addEventListener("resize", () => chart.resize());
  });
})();
