/**
 * An open-loop HTTP load generator: requests leave on a fixed schedule (`rate` per second) whether or not earlier
 * ones have answered, over keep-alive sockets, and each latency runs from the request's *scheduled* time to the end
 * of its response. A server that falls behind therefore shows its queueing in the percentiles instead of quietly
 * slowing the generator down (no coordinated omission). Requests beyond the agent's sockets wait in the client, on
 * the clock. A failed request (non-2xx, error, timeout) counts as infinitely slow in the percentiles.
 */
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";

export type LoadResult = {
  path: string;
  rate: number;
  seconds: number;
  sent: number;
  ok: number;
  /** Non-2xx answers and transport errors. */
  failed: number;
  /** Answers per second over the run (equals `rate` when the server keeps up). */
  achievedRate: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** How late the generator itself sent requests behind schedule (p99, ms): large values mean the client was starved. */
  sendLagP99Ms: number;
};

export type RunLoadParameters = {
  url: string;
  /** The path of every request, or of request `index` (e.g. to make each URL distinct and miss a response cache). */
  path: string | ((index: number) => string);
  rate: number;
  seconds: number;
  /** A request still unanswered after this long is dropped and counted as failed. */
  timeoutMs?: number;
};
export type RunLoadReturnType = LoadResult;

export async function runLoad({ url, path, rate, seconds, timeoutMs = 30_000 }: RunLoadParameters): Promise<RunLoadReturnType> {
  const pathOf = typeof path === "string" ? () => path : path;
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const latencies: number[] = [];
  const lags: number[] = [];
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  const start = performance.now();
  let lastDone = start;

  const fire = (scheduled: number, target: URL) =>
    new Promise<void>((settle) => {
      const done = (good: boolean, why?: string) => {
        const now = performance.now();
        lastDone = Math.max(lastDone, now);
        if (good) {
          ok++;
          latencies.push(now - scheduled);
        } else {
          failed++;
          firstFailure ??= why;
        }
        settle();
      };
      const req = request(target, { agent, timeout: timeoutMs }, (res) => {
        res.on("data", () => {});
        res.on("end", () => done(res.statusCode !== undefined && res.statusCode < 300, `HTTP ${res.statusCode}`));
        res.on("error", (error) => done(false, error.message));
      });
      req.on("timeout", () => req.destroy(new Error("timed out")));
      req.on("error", (error) => done(false, error.message));
      req.end();
    });

  const pending: Promise<void>[] = [];
  while (sent < total) {
    const now = performance.now();
    // Everything due by now leaves now; the schedule, not the answers, sets the pace.
    while (sent < total && start + sent * interval <= now) {
      const scheduled = start + sent * interval;
      lags.push(now - scheduled);
      sent++;
      pending.push(fire(scheduled, new URL(pathOf(sent - 1), url)));
    }
    const wait = start + sent * interval - performance.now();
    await new Promise((done) => (wait > 1 ? setTimeout(done, Math.floor(wait)) : setImmediate(done)));
  }
  await Promise.all(pending);
  agent.destroy();
  // A failed request never got its answer: it counts as slower than every success, so failures push the percentiles up.
  for (let index = 0; index < failed; index++) latencies.push(Number.POSITIVE_INFINITY);
  latencies.sort((a, b) => a - b);
  lags.sort((a, b) => a - b);
  const pct = (values: number[], p: number) => (values.length === 0 ? Number.NaN : values[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)]);
  if (failed > 0) console.warn(`${pathOf(0)}: ${failed} of ${sent} requests failed (first: ${firstFailure})`);
  return {
    path: pathOf(0),
    rate,
    seconds,
    sent,
    ok,
    failed,
    achievedRate: ok / ((lastDone - start) / 1000),
    p50Ms: pct(latencies, 50),
    p90Ms: pct(latencies, 90),
    p95Ms: pct(latencies, 95),
    p99Ms: pct(latencies, 99),
    maxMs: latencies.filter(Number.isFinite).at(-1) ?? Number.NaN,
    sendLagP99Ms: pct(lags, 99),
  };
}
