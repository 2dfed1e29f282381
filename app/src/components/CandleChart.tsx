/** TradingView lightweight-charts candles of one coin (prices in USDC per coin), redrawn as new candles arrive. */
import { CandlestickSeries, createChart, type IChartApi, type ISeriesApi, type UTCTimestamp } from "lightweight-charts";
import { useEffect, useRef } from "react";
import type { Candle } from "../data/indexer.ts";

const toUsdc = (units: string) => Number(units) / 1e6;

export function CandleChart({ candles, label }: { candles: readonly Candle[]; label: string }) {
  const element = useRef<HTMLDivElement>(null);
  const chart = useRef<IChartApi | undefined>(undefined);
  const series = useRef<ISeriesApi<"Candlestick"> | undefined>(undefined);

  useEffect(() => {
    if (element.current === null) return;
    const created = createChart(element.current, {
      autoSize: true,
      layout: { background: { color: "transparent" }, textColor: "#c9c9d6", attributionLogo: false },
      grid: { vertLines: { color: "#2a2a3a" }, horzLines: { color: "#2a2a3a" } },
      timeScale: { timeVisible: true, secondsVisible: false },
      rightPriceScale: { borderVisible: false },
    });
    series.current = created.addSeries(CandlestickSeries, {
      upColor: "#3ddc97",
      downColor: "#ff6b6b",
      wickUpColor: "#3ddc97",
      wickDownColor: "#ff6b6b",
      borderVisible: false,
      priceFormat: { type: "price", precision: 6, minMove: 0.000001 },
    });
    chart.current = created;
    return () => {
      created.remove();
      chart.current = undefined;
      series.current = undefined;
    };
  }, []);

  useEffect(() => {
    series.current?.setData(
      candles.map((candle) => ({ time: Number(candle.time) as UTCTimestamp, open: toUsdc(candle.open), high: toUsdc(candle.high), low: toUsdc(candle.low), close: toUsdc(candle.close) })),
    );
    chart.current?.timeScale().fitContent();
  }, [candles]);

  return <div className="chart" ref={element} role="img" aria-label={`${label}: ${candles.length} candles`} data-candles={candles.length} />;
}
