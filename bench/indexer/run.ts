/**
 * Indexer benchmark: historical sync speed and memory of the Ponder indexer on PGlite and on PostgreSQL, then REST
 * latency on PostgreSQL under a fixed open-loop load.
 *
 *   npm run bench:indexer   → prints tables, writes bench/results/indexer.json
 *   BENCH_EVENTS=106000 (protocol events to generate; Ponder handles ≈ 97 % of them), BENCH_RATE=500 (requests/s), BENCH_LOAD_SECONDS=10
 *   TEST_DATABASE_URL or DATABASE_URL: the PostgreSQL cluster (a throwaway database is created and dropped per run);
 *   unset, the PostgreSQL rows are skipped with a note.
 *
 * 1. One chain is generated (bench/indexer/generate.ts): a Hardhat node, the protocol deployed, ≥ BENCH_EVENTS
 *    protocol events of every kind, all final for Ponder. The node keeps serving it to every run below.
 * 2. For each database, `ponder --root indexer --config ../ponder.config.ts start` runs as a child process on a clean database until /ready.
 *    syncEventsPerSecond = events Ponder's handlers processed (its ponder_indexing_completed_events, setup excluded)
 *    / Ponder's own backfill duration (its "Completed backfill indexing" log line: from the first historical RPC
 *    request to the last historical event indexed, so RPC extraction from the node is inside it, start-up and the
 *    index build after it are not). The wall-clock rate from spawn to /ready is printed beside it. Ponder's count is
 *    checked against the chain's own count per event kind, so a handler that silently skipped events would show.
 *    peakRssMb = the largest VmRSS sum over the Ponder process and its descendants, polled every 100 ms during the
 *    sync (PGlite lives inside that process; a PostgreSQL server's memory does not).
 * 3. On PostgreSQL, after the sync: /tracks/top and /stats at BENCH_RATE requests/s for BENCH_LOAD_SECONDS each
 *    after a 2 s warm-up, open loop (bench/indexer/load.ts). Rolling windows are asked `at` the chain's last trading
 *    block, because the generated chain's clock runs ahead of the wall clock: "the last 24 h" then holds a full day
 *    of activity, the realistic (and heavier) case. p50Ms.tracksTop is `/tracks/top?window=24h`; the cheaper
 *    `window=all` (the default) is reported as tracksTopAll. These routes sit behind the indexer's per-URL response
 *    cache (INDEXER_API_CACHE_MS, default 1 s), so one fixed URL is mostly cache hits, as when dashboards poll; the
 *    *Uncached variants make every request a distinct URL (an extra parameter the route ignores), which is what the
 *    database path alone sustains, and uncachedSerialP50Ms is one such request at a time on an idle server.
 * Everything (chain node, Ponder, PostgreSQL, the load generator) shares this machine; the load average is recorded.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { writeBareProject } from "./bare.js";
import { generateChain, type GeneratedChain } from "./generate.js";
import { runLoad, type LoadResult } from "./load.js";
import { currentTreeRssMb, processCpuSeconds, startPonder, type PonderSync } from "./ponder.js";
import { withPostgresDatabase } from "../shared.js";

const ROOT = resolve(import.meta.dirname, "../..");
const TARGET_EVENTS = Number(process.env.BENCH_EVENTS ?? 106_000);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 10);
const WARMUP_SECONDS = 2;
const log = (line: string) => console.log(line);
const round = (value: number, digits = 0) => Number(value.toFixed(digits));
const uptime = () => execFileSync("uptime", { encoding: "utf8" }).trim();

type SyncRun = {
  backend: "PGlite" | "PostgreSQL";
  /** The real indexer, or the same config with no-op handlers (bench/indexer/bare.ts). */
  project: "indexer" | "baseline";
  sync: PonderSync;
  loadAverage: number;
  uptime: string;
  /** CPU seconds the Hardhat node spent serving Ponder's RPC requests during this sync. */
  nodeCpuSeconds: number;
  /** CPU seconds of the PostgreSQL cluster (postmaster and its backends) during this sync, when it is ours to see. */
  postgresCpuSeconds?: number;
};
/** `path` with a parameter no route reads (zod strips unknown keys), distinct per `index`: a response-cache miss. */
const uncached = (path: string, index: number) => `${path}${path.includes("?") ? "&" : "?"}nocache=${index}`;
/** Never reused across runs of one process, so a warm-up's cached answers cannot serve the measured run. */
let nocacheCounter = 0;

type LoadRun = { name: string; result: LoadResult; rssMb: number; serialP50Ms: number };

/** The CI cluster's postmaster (scripts/ci-postgres.sh exports RELAYER_PGDATA); its CPU includes reaped backends. */
function postgresCpuSeconds(): number | undefined {
  const dataDir = process.env.RELAYER_PGDATA;
  if (dataDir === undefined) return undefined;
  try {
    const postmaster = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    const children = readdirSync(`/proc/${postmaster}/task`).flatMap((tid) => readFileSync(`/proc/${postmaster}/task/${tid}/children`, "utf8").split(" ").filter(Boolean).map(Number));
    return processCpuSeconds(postmaster) + children.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  } catch {
    return undefined;
  }
}

/**
 * Median latency of `count` requests sent one after another, each URL made distinct by an extra parameter the route
 * ignores, so that the response cache never answers: the service time of the query itself on an otherwise idle server.
 */
async function serialLatencyMs(url: string, path: string, count = 200): Promise<number> {
  const latencies: number[] = [];
  for (let sent = 0; sent < count; sent++) {
    const start = performance.now();
    const response = await fetch(new URL(uncached(path, nocacheCounter++), url));
    await response.arrayBuffer();
    latencies.push(performance.now() - start);
  }
  latencies.sort((a, b) => a - b);
  return latencies[Math.floor(latencies.length / 2)];
}

/** A throwaway database on the given cluster for one run, dropped afterwards. */

type SyncOnceParameters = {
  chain: GeneratedChain;
  backend: SyncRun["backend"];
  databaseUrl: string | undefined;
  baseline?: { root: string; config: string };
  afterSync?: (url: string, pid: number) => Promise<void>;
};

async function syncOnce({ chain, backend, databaseUrl, baseline, afterSync }: SyncOnceParameters): Promise<SyncRun> {
  const dataDir = await mkdtemp(join(tmpdir(), "indexer-bench-"));
  const label = baseline === undefined ? backend : `${backend} (no-op handlers)`;
  log(`${label}: ponder start on a clean database (${uptime()})`);
  const nodePid = chain.node.child.process.pid ?? 0;
  const nodeCpuBefore = processCpuSeconds(nodePid);
  const postgresBefore = databaseUrl === undefined ? undefined : postgresCpuSeconds();
  const ponder = await startPonder({ rpcUrl: chain.rpcUrl, deploymentsDir: chain.deploymentsDir, databaseUrl, dataDir, schema: "bench", project: baseline, log });
  const postgresAfter = databaseUrl === undefined ? undefined : postgresCpuSeconds();
  const loadAverage = loadavg()[0];
  const run: SyncRun = {
    backend,
    project: baseline === undefined ? "indexer" : "baseline",
    sync: ponder.sync,
    loadAverage,
    uptime: uptime(),
    nodeCpuSeconds: processCpuSeconds(nodePid) - nodeCpuBefore,
    postgresCpuSeconds: postgresBefore === undefined || postgresAfter === undefined ? undefined : postgresAfter - postgresBefore,
  };
  log(
    `${label}: ${ponder.sync.events} events, backfill ${ponder.sync.backfillSeconds.toFixed(1)} s (${Math.round(ponder.sync.events / ponder.sync.backfillSeconds)} events/s), ` +
      `ready after ${ponder.sync.wallSeconds.toFixed(1)} s, peak RSS ${ponder.sync.peakTreeRssMb.toFixed(0)} MB (${run.uptime})`,
  );
  try {
    await afterSync?.(ponder.url, ponder.pid);
  } finally {
    await ponder.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  return run;
}

/** Ponder's per-event counts against the chain's: every kind Ponder handles must match the chain exactly. */
function compareCounts(chain: GeneratedChain, sync: PonderSync): string[] {
  const problems: string[] = [];
  for (const [name, count] of Object.entries(sync.eventsByName)) {
    const onChain = chain.eventsByKind[name.replace(":", ".")] ?? 0;
    if (onChain !== count) problems.push(`${name}: Ponder indexed ${count}, the chain has ${onChain}`);
  }
  return problems;
}

// ── Run ─────────────────────────────────────────────────────────────────────────────────────────────
const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? "unknown", node: process.version, loadAverage1m: round(loadavg()[0], 2) };
log(`machine: ${machine.cores} cores, ${machine.cpu}, Node ${machine.node}; ${uptime()}`);

const chain = await generateChain({ targetEvents: TARGET_EVENTS, deploymentsDir: join(ROOT, "cache", "indexer-bench", "deployments"), log });
const chainSummary = {
  protocolEvents: chain.protocolEvents,
  usdcEvents: chain.usdcEvents,
  trackDeltas: chain.trackDeltas,
  transactions: chain.transactions,
  blocks: chain.blocks,
  generateSeconds: round(chain.generateSeconds, 1),
};
log(`chain: ${JSON.stringify(chainSummary)}`);

const postgresUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
const withBaseline = process.env.BENCH_BASELINE !== "0";
const loads: LoadRun[] = [];
const syncs: SyncRun[] = [];
const baselineDir = await mkdtemp(join(tmpdir(), "indexer-bench-baseline-"));
try {
  const pglite = await syncOnce({ chain, backend: "PGlite", databaseUrl: undefined });
  syncs.push(pglite);
  const baseline = withBaseline ? await writeBareProject({ dir: baselineDir, events: Object.keys(pglite.sync.eventsByName) }) : undefined;
  if (baseline !== undefined) syncs.push(await syncOnce({ chain, backend: "PGlite", databaseUrl: undefined, baseline }));
  if (postgresUrl !== undefined) {
    syncs.push(
      await withPostgresDatabase(postgresUrl, (url) =>
        syncOnce({
          chain,
          backend: "PostgreSQL",
          databaseUrl: url,
          afterSync: async (ponderUrl, pid) => {
            const at = chain.activeUntil;
            const targets = [
              { name: "tracksTop", path: `/tracks/top?window=24h&at=${at}` },
              { name: "tracksTopAll", path: "/tracks/top" },
              { name: "stats", path: `/stats?at=${at}` },
              // Every request a distinct URL: what the database path alone sustains (many different queries at once).
              { name: "tracksTopUncached", path: `/tracks/top?window=24h&at=${at}`, distinct: true },
              { name: "statsUncached", path: `/stats?at=${at}`, distinct: true },
            ];
            for (const { name, path, distinct } of targets) {
              // The extra parameter must be ignored (200), or the uncached figures would measure 400s.
              const probe = await fetch(new URL(uncached(path, nocacheCounter++), ponderUrl));
              if (probe.status !== 200) throw new Error(`${path} answered ${probe.status}: ${(await probe.text()).slice(0, 300)}`);
              await probe.arrayBuffer();
              const serialP50Ms = await serialLatencyMs(ponderUrl, path);
              const requestPath = distinct === true ? () => uncached(path, nocacheCounter++) : path;
              await runLoad({ url: ponderUrl, path: requestPath, rate: RATE, seconds: WARMUP_SECONDS });
              const result = await runLoad({ url: ponderUrl, path: requestPath, rate: RATE, seconds: LOAD_SECONDS });
              loads.push({ name, result, rssMb: currentTreeRssMb(pid), serialP50Ms });
              log(`${path}: one at a time p50 ${serialP50Ms.toFixed(2)} ms; at ${RATE}/s p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ${result.ok}/${result.sent} ok (${uptime()})`);
            }
          },
        }),
      ),
    );
    if (baseline !== undefined) syncs.push(await withPostgresDatabase(postgresUrl, (url) => syncOnce({ chain, backend: "PostgreSQL", databaseUrl: url, baseline })));
  }
} finally {
  await chain.stop();
  await rm(baselineDir, { recursive: true, force: true });
}

// ── Report ──────────────────────────────────────────────────────────────────────────────────────────
const runs = syncs.filter((run) => run.project === "indexer");
const baselines = syncs.filter((run) => run.project === "baseline");
const pglite = runs.find((run) => run.backend === "PGlite")!;
const postgres = runs.find((run) => run.backend === "PostgreSQL");
const key = (run: SyncRun) => (run.backend === "PGlite" ? "pglite" : "postgres");
const loadOf = (name: string) => loads.find((entry) => entry.name === name)?.result;
const results: Record<string, unknown> = {};
for (const run of runs) results[`syncEventsPerSecond.${key(run)}`] = round(run.sync.events / run.sync.backfillSeconds);
for (const run of runs) results[`peakRssMb.${key(run)}`] = round(run.sync.peakTreeRssMb);
for (const name of ["tracksTop", "stats", "tracksTopAll", "tracksTopUncached", "statsUncached"]) {
  const result = loadOf(name);
  if (result === undefined) continue;
  results[`p50Ms.${name}`] = round(result.p50Ms, 2);
  results[`p99Ms.${name}`] = round(result.p99Ms, 2);
}
for (const run of baselines) results[`baselineEventsPerSecond.${key(run)}`] = round(run.sync.events / run.sync.backfillSeconds);
// The indexer against bare Ponder on the same chain in the same run: the share of Ponder's own speed its handlers keep
// (events/s over the backfill), and the same from CPU time per event, which moves less with the machine's load.
const baselineOf = (run: SyncRun) => baselines.find((entry) => entry.backend === run.backend);
const cpuPerEvent = (run: SyncRun) => run.sync.backfillCpuSeconds / run.sync.events;
const eventsPerSecond = (run: SyncRun) => run.sync.events / run.sync.backfillSeconds;
for (const run of runs) {
  const baseline = baselineOf(run);
  if (baseline === undefined) continue;
  results[`ratioToBaseline.${key(run)}`] = round(eventsPerSecond(run) / eventsPerSecond(baseline), 3);
  results[`cpuRatioToBaseline.${key(run)}`] = round(cpuPerEvent(baseline) / cpuPerEvent(run), 3);
}
for (const run of runs) results[`wallEventsPerSecond.${key(run)}`] = round(run.sync.events / run.sync.wallSeconds);
for (const run of runs) results[`backfillCpuUsPerEvent.${key(run)}`] = round((run.sync.backfillCpuSeconds * 1e6) / run.sync.events);
for (const { name, serialP50Ms } of loads) if (!name.endsWith("Uncached")) results[`uncachedSerialP50Ms.${name}`] = round(serialP50Ms, 2);
results.conditions = {
  ...machine,
  loadAverage1mAtEnd: round(loadavg()[0], 2),
  uptimeDuringSync: Object.fromEntries(runs.map((run) => [key(run), run.uptime])),
  note: "chain node, Ponder, PostgreSQL and the load generator share the machine with other jobs (see the load averages)",
  syncMeasure: "events Ponder's handlers processed / Ponder's backfill duration (first historical RPC request to last historical event indexed)",
  rssMeasure: "peak of the summed VmRSS of the Ponder process tree, polled every 100 ms during the sync",
  load: { ratePerSecond: RATE, seconds: LOAD_SECONDS, warmupSeconds: WARMUP_SECONDS, openLoop: true, at: chain.activeUntil },
  chain: { ...chainSummary, eventsByKind: chain.eventsByKind },
  ponder: Object.fromEntries(
    syncs.map((run) => [
      run.project === "indexer" ? key(run) : `${key(run)}.baseline`,
      {
        events: run.sync.events,
        backfillSeconds: round(run.sync.backfillSeconds, 2),
        ponderCpuSeconds: round(run.sync.cpuSeconds, 1),
        ponderBackfillCpuSeconds: round(run.sync.backfillCpuSeconds, 1),
        hardhatNodeCpuSeconds: round(run.nodeCpuSeconds, 1),
        postgresCpuSeconds: run.postgresCpuSeconds === undefined ? null : round(run.postgresCpuSeconds, 1),
        wallSeconds: round(run.sync.wallSeconds, 2),
        mainHwmMb: round(run.sync.mainHwmMb),
        phasesSeconds: Object.fromEntries(Object.entries(run.sync.phases).map(([phase, seconds]) => [phase, round(seconds, 2)])),
        handlerMs: Object.fromEntries(run.sync.handlers.map((handler) => [handler.event, round(handler.totalMs)])),
        tables: Object.fromEntries(run.sync.tables.map(({ table, missMs, flushMs, ...counts }) => [table, { ...counts, missMs: round(missMs), flushMs: round(flushMs) }])),
        rpc: Object.fromEntries(run.sync.rpc.map((entry) => [entry.method, { count: entry.count, ms: round(entry.totalMs) }])),
      },
    ]),
  ),
  loads: Object.fromEntries(loads.map(({ name, result, rssMb, serialP50Ms }) => [name, { ...result, rssMb: round(rssMb), serialP50Ms: round(serialP50Ms, 2) }])),
};

console.table(
  syncs.map((run) => ({
    database: run.backend,
    handlers: run.project === "indexer" ? "indexer/src" : "no-op",
    events: run.sync.events,
    "backfill s": round(run.sync.backfillSeconds, 1),
    "events/s": round(run.sync.events / run.sync.backfillSeconds),
    "spawn→ready s": round(run.sync.wallSeconds, 1),
    "events/s (wall)": round(run.sync.events / run.sync.wallSeconds),
    "peak RSS MB": round(run.sync.peakTreeRssMb),
    "Ponder CPU s": round(run.sync.cpuSeconds, 1),
    "backfill CPU s": round(run.sync.backfillCpuSeconds, 1),
    "CPU µs/event": round((run.sync.backfillCpuSeconds * 1e6) / run.sync.events),
    "node CPU s": round(run.nodeCpuSeconds, 1),
    "PG CPU s": run.postgresCpuSeconds === undefined ? "-" : round(run.postgresCpuSeconds, 1),
    "load avg": round(run.loadAverage, 2),
  })),
);
const ratios = runs.flatMap((run) => {
  const baseline = baselineOf(run);
  if (baseline === undefined) return [];
  return [
    {
      database: run.backend,
      "indexer events/s": round(eventsPerSecond(run)),
      "no-op events/s": round(eventsPerSecond(baseline)),
      "ratio (events/s)": round(eventsPerSecond(run) / eventsPerSecond(baseline), 3),
      "indexer CPU µs/event": round(cpuPerEvent(run) * 1e6),
      "no-op CPU µs/event": round(cpuPerEvent(baseline) * 1e6),
      "ratio (CPU)": round(cpuPerEvent(baseline) / cpuPerEvent(run), 3),
      goal: "≥ 0.9",
    },
  ];
});
if (ratios.length > 0) {
  console.log("The indexer against bare Ponder (no-op handlers) on the same chain, this run:");
  console.table(ratios);
}
for (const run of runs) {
  console.log(`${run.backend}: where the indexing time goes (handler time per event kind, from ponder_indexing_function_duration)`);
  console.table(
    run.sync.handlers.slice(0, 12).map((handler) => ({
      event: handler.event,
      count: handler.count,
      "total ms": round(handler.totalMs),
      "µs/event": round((handler.totalMs * 1000) / Math.max(1, handler.count)),
    })),
  );
  console.log(
    `${run.backend}: database work by table (handlers' store operations; finds that missed Ponder's cache; batched write time, ` +
      `which on PostgreSQL overlaps across tables)`,
  );
  console.table(
    run.sync.tables.map((entry) => ({
      table: entry.table,
      finds: entry.finds,
      inserts: entry.inserts,
      updates: entry.updates,
      "cache misses": entry.cacheMisses,
      "miss ms": round(entry.missMs),
      "flush ms": round(entry.flushMs),
    })),
  );
  console.log(`${run.backend}: historical phases (s) and RPC requests to the node`);
  console.table(Object.fromEntries(Object.entries(run.sync.phases).map(([phase, seconds]) => [phase, { seconds: round(seconds, 2) }])));
  console.table(run.sync.rpc.map((entry) => ({ method: entry.method, count: entry.count, "total ms": round(entry.totalMs) })));
  const problems = compareCounts(chain, run.sync);
  if (problems.length > 0) console.log(`${run.backend}: Ponder's counts differ from the chain's:\n  ${problems.join("\n  ")}`);
  else console.log(`${run.backend}: Ponder indexed exactly the chain's count of every event kind it handles`);
}
if (loads.length > 0) {
  console.table(
    loads.map(({ name, result, rssMb, serialP50Ms }) => ({
      endpoint: result.path,
      name,
      "uncached 1-at-a-time p50 ms": round(serialP50Ms, 2),
      "req/s": result.rate,
      sent: result.sent,
      ok: result.ok,
      failed: result.failed,
      "p50 ms": round(result.p50Ms, 2),
      "p90 ms": round(result.p90Ms, 2),
      "p99 ms": round(result.p99Ms, 2),
      "max ms": round(result.maxMs, 1),
      "client lag p99 ms": round(result.sendLagP99Ms, 1),
      "RSS MB": round(rssMb),
    })),
  );
}
if (postgres === undefined) log("PostgreSQL skipped: set TEST_DATABASE_URL (scripts/ci-postgres.sh starts a throwaway cluster)");
const targets = [
  postgres && `PostgreSQL sync ${round(postgres.sync.events / postgres.sync.backfillSeconds)} events/s (target ≥ 8,000)`,
  `PGlite sync ${round(pglite.sync.events / pglite.sync.backfillSeconds)} events/s (target ≥ 4,000)`,
  `peak RSS ${Math.max(...runs.map((run) => round(run.sync.peakTreeRssMb)))} MB (target < 1,024)`,
  ...loads.filter(({ name }) => name === "tracksTop" || name === "stats").map(({ name, result }) => `${name} p99 ${round(result.p99Ms, 2)} ms at ${RATE}/s (target < 20)`),
].filter(Boolean);
log(`targets: ${targets.join("; ")}`);

mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(join(ROOT, "bench/results/indexer.json"), JSON.stringify(results, null, 2) + "\n");
log("wrote bench/results/indexer.json");
