// The goal's momentum over time, drawn as plain SVG: bars for goal-related
// activity in the 30 days before each snapshot, lines for coverage and reach.

import { fmtDate, h, svg } from "./dom.js";

const W = 640;
const H = 200;
const PAD = { left: 40, right: 44, top: 16, bottom: 34 };

export function momentumChart(points) {
  if (!points.length) return h("p", { class: "muted" }, "No history yet: the goal agent records a snapshot on each run.");
  const times = points.map((p) => new Date(p.at).getTime());
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const span = Math.max(t1 - t0, 86_400_000);
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const x = (t) => PAD.left + (points.length === 1 ? innerW / 2 : ((t - t0) / span) * innerW);
  const maxActivity = Math.max(1, ...points.map((p) => p.activity30));
  const maxReach = Math.max(0.0001, ...points.map((p) => p.reachScore));
  const yCount = (v) => PAD.top + innerH - (v / maxActivity) * innerH;
  const yRatio = (v) => PAD.top + innerH - Math.min(1, Math.max(0, v)) * innerH;
  const barW = Math.max(6, Math.min(28, innerW / (points.length * 2)));

  const bars = points.map((p, i) =>
    svg(
      "rect",
      {
        x: x(times[i]) - barW / 2,
        y: yCount(p.activity30),
        width: barW,
        height: PAD.top + innerH - yCount(p.activity30),
        class: "bar",
      },
      svg("title", {}, `${fmtDate(p.at)}: ${p.activity30} goal communications in the 30 days before`),
    ),
  );
  const line = (values, cls, label) => {
    const d = values.map((v, i) => `${i ? "L" : "M"}${x(times[i]).toFixed(1)},${yRatio(v).toFixed(1)}`).join(" ");
    return svg(
      "g",
      { class: cls },
      svg("path", { d, fill: "none" }),
      values.map((v, i) =>
        svg("circle", { cx: x(times[i]), cy: yRatio(v), r: 3.5 }, svg("title", {}, `${label}: ${v.toFixed(2)}`)),
      ),
    );
  };
  // Date labels at least 80 px apart; the newest always shows.
  const tickAt = [];
  points.forEach((_, i) => {
    const last = tickAt[tickAt.length - 1];
    if (last === undefined || x(times[i]) - x(times[last]) >= 80) tickAt.push(i);
    else if (i === points.length - 1) tickAt[tickAt.length - 1] = i;
  });
  const ticks = tickAt.map((i) =>
    svg("text", { x: x(times[i]), y: H - 12, "text-anchor": "middle", class: "tick" }, fmtDate(points[i].at)),
  );
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, class: "momentum-chart", role: "img", "aria-label": "Goal momentum over time" },
    svg("line", { x1: PAD.left, x2: W - PAD.right, y1: PAD.top + innerH, y2: PAD.top + innerH, class: "axis" }),
    svg("text", { x: PAD.left - 6, y: PAD.top + 4, "text-anchor": "end", class: "tick" }, String(maxActivity)),
    svg("text", { x: PAD.left - 6, y: PAD.top + innerH, "text-anchor": "end", class: "tick" }, "0"),
    svg("text", { x: W - PAD.right + 6, y: PAD.top + 4, class: "tick" }, "100%"),
    svg("text", { x: W - PAD.right + 6, y: PAD.top + innerH, class: "tick" }, "0%"),
    bars,
    line(
      points.map((p) => p.coverage),
      "series coverage",
      "coverage",
    ),
    line(
      points.map((p) => p.reachScore / maxReach),
      "series reach",
      "reach (relative)",
    ),
    ticks,
  );
  const legend = h(
    "div",
    { class: "legend" },
    h("span", { class: "key bar" }, "activity (30 days)"),
    h("span", { class: "key coverage" }, "coverage"),
    h("span", { class: "key reach" }, "reach, relative to its best"),
  );
  return h("figure", { class: "chart" }, chart, legend);
}
