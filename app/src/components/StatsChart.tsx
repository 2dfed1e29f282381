/** A light time-series chart (uPlot) of an analytics window's series: one line per counter, resized with its box. */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { useEffect, useRef } from "react";
import type { Counter, StatsWindow } from "../data/stats.ts";

const COLORS: Partial<Record<Counter, string>> = { plays: "#7b6dff", listeners: "#3ddc97", likes: "#ff6b9d", followers: "#ffcc66" };

export function StatsChart({ window: data, counters, label }: { window: StatsWindow; counters: readonly Counter[]; label: string }) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const box = element.current;
    if (box === null) return undefined;
    const width = () => Math.max(240, box.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 220,
        legend: { show: true },
        axes: [
          { stroke: "#9d9db3", grid: { stroke: "#2a2a3a" } },
          { stroke: "#9d9db3", grid: { stroke: "#2a2a3a" } },
        ],
        series: [{}, ...counters.map((counter) => ({ label: counter, stroke: COLORS[counter] ?? "#c9c9d6", width: 2 }))],
      },
      [data.series.map((point) => point.start), ...counters.map((counter) => data.series.map((point) => point[counter]))],
      box,
    );
    const observer = new ResizeObserver(() => plot.setSize({ width: width(), height: 220 }));
    observer.observe(box);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [data, counters]);
  return <div ref={element} className="stats-chart" role="img" aria-label={label} data-points={data.series.length} />;
}
