/**
 * Indexer benchmark: historical sync speed and memory of the Ponder indexer on PGlite and on PostgreSQL, then REST
 * latency on PostgreSQL under a fixed open-loop load.
 *
 *   npm run bench:indexer   → prints tables, writes bench/results/indexer.json
 *   BENCH_EVENTS=103000 (protocol events to generate), BENCH_RATE=500 (requests/s), BENCH_LOAD_SECONDS=10
 *   TEST_DATABASE_URL or DATABASE_URL: the PostgreSQL cluster (a throwaway database is created and dropped per run);
 *   unset, the PostgreSQL rows are skipped with a note.
 *
 * 1. One chain is generated (bench/indexer/generate.ts): a Hardhat node, the protocol deployed, ≥ BENCH_EVENTS
 *    protocol events of every kind, all final for Ponder. The node keeps serving it to every run below.
 * 2. For each database, `ponder --root indexer start` runs as a child process on a clean database until /ready.
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
 *    `window=all` (the default) is reported as tracksTopAll.
 *
 * Everything (chain node, Ponder, PostgreSQL, the load generator) shares this machine; the load average is recorded.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { generateChain, type GeneratedChain } from "./generate.js";
import { runLoad, type LoadResult } from "./load.js";
import { currentTreeRssMb, startPonder, type PonderSync } from "./ponder.js";

const ROOT = resolve(import.meta.dirname, "../..");
const TARGET_EVENTS = Number(process.env.BENCH_EVENTS ?? 103_000);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 10);
const WARMUP_SECONDS = 2;
const log = (line: string) => console.log(line);
const round = (value: number, digits = 0) => Number(value.toFixed(digits));
const uptime = () => execFileSync("uptime", { encoding: "utf8" }).trim();

type SyncRun = { backend: "PGlite" | "PostgreSQL"; sync: PonderSync; loadAverage: number; uptime: string };
type LoadRun = { name: string; result: LoadResult; rssMb: number };

/** A throwaway database on the given cluster for one run, dropped afterwards. */
async function withPostgresDatabase<T>(adminUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const name = `indexer_bench_${randomBytes(6).toString("hex")}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return await fn(url.toString());
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

async function syncOnce(chain: GeneratedChain, backend: SyncRun["backend"], databaseUrl: string | undefined, afterSync?: (url: string, pid: number) => Promise<void>): Promise<SyncRun> {
  const dataDir = await mkdtemp(join(tmpdir(), "indexer-bench-"));
  log(`${backend}: ponder start on a clean database (${uptime()})`);
  const ponder = await startPonder({ rpcUrl: chain.rpcUrl, deploymentsDir: chain.deploymentsDir, databaseUrl, dataDir, schema: "bench", log });
  const loadAverage = loadavg()[0];
  const run: SyncRun = { backend, sync: ponder.sync, loadAverage, uptime: uptime() };
  log(
    `${backend}: ${ponder.sync.events} events, backfill ${ponder.sync.backfillSeconds.toFixed(1)} s (${Math.round(ponder.sync.events / ponder.sync.backfillSeconds)} events/s), ` +
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
const loads: LoadRun[] = [];
let pglite: SyncRun;
let postgres: SyncRun | undefined;
try {
  pglite = await syncOnce(chain, "PGlite", undefined);
  if (postgresUrl !== undefined) {
    postgres = await withPostgresDatabase(postgresUrl, (url) =>
      syncOnce(chain, "PostgreSQL", url, async (ponderUrl, pid) => {
        const at = chain.activeUntil;
        const targets = [
          { name: "tracksTop", path: `/tracks/top?window=24h&at=${at}` },
          { name: "tracksTopAll", path: "/tracks/top" },
          { name: "stats", path: `/stats?at=${at}` },
        ];
        for (const { name, path } of targets) {
          const probe = await fetch(new URL(path, ponderUrl));
          if (probe.status !== 200) throw new Error(`${path} answered ${probe.status}: ${(await probe.text()).slice(0, 300)}`);
          await probe.arrayBuffer();
          await runLoad({ url: ponderUrl, path, rate: RATE, seconds: WARMUP_SECONDS });
          const result = await runLoad({ url: ponderUrl, path, rate: RATE, seconds: LOAD_SECONDS });
          loads.push({ name, result, rssMb: currentTreeRssMb(pid) });
          log(`${path}: p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ${result.ok}/${result.sent} ok (${uptime()})`);
        }
      }),
    );
  }
} finally {
  await chain.stop();
}

// ── Report ──────────────────────────────────────────────────────────────────────────────────────────
const runs = [pglite, ...(postgres === undefined ? [] : [postgres])];
const key = (run: SyncRun) => (run.backend === "PGlite" ? "pglite" : "postgres");
const loadOf = (name: string) => loads.find((entry) => entry.name === name)?.result;
const results: Record<string, unknown> = {};
for (const run of runs) results[`syncEventsPerSecond.${key(run)}`] = round(run.sync.events / run.sync.backfillSeconds);
for (const run of runs) results[`peakRssMb.${key(run)}`] = round(run.sync.peakTreeRssMb);
for (const name of ["tracksTop", "stats", "tracksTopAll"]) {
  const result = loadOf(name);
  if (result === undefined) continue;
  results[`p50Ms.${name}`] = round(result.p50Ms, 2);
  results[`p99Ms.${name}`] = round(result.p99Ms, 2);
}
for (const run of runs) results[`wallEventsPerSecond.${key(run)}`] = round(run.sync.events / run.sync.wallSeconds);
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
    runs.map((run) => [
      key(run),
      {
        events: run.sync.events,
        backfillSeconds: round(run.sync.backfillSeconds, 2),
        wallSeconds: round(run.sync.wallSeconds, 2),
        mainHwmMb: round(run.sync.mainHwmMb),
        phasesSeconds: Object.fromEntries(Object.entries(run.sync.phases).map(([phase, seconds]) => [phase, round(seconds, 2)])),
        handlerMs: Object.fromEntries(run.sync.handlers.map((handler) => [handler.event, round(handler.totalMs)])),
      },
    ]),
  ),
  loads: Object.fromEntries(loads.map(({ name, result, rssMb }) => [name, { ...result, rssMb: round(rssMb) }])),
};

console.table(
  runs.map((run) => ({
    database: run.backend,
    events: run.sync.events,
    "backfill s": round(run.sync.backfillSeconds, 1),
    "events/s": round(run.sync.events / run.sync.backfillSeconds),
    "spawn→ready s": round(run.sync.wallSeconds, 1),
    "events/s (wall)": round(run.sync.events / run.sync.wallSeconds),
    "peak RSS MB": round(run.sync.peakTreeRssMb),
    "load avg": round(run.loadAverage, 2),
  })),
);
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
  console.table(Object.fromEntries(Object.entries(run.sync.phases).map(([phase, seconds]) => [phase, { seconds: round(seconds, 2) }])));
  const problems = compareCounts(chain, run.sync);
  if (problems.length > 0) console.log(`${run.backend}: Ponder's counts differ from the chain's:\n  ${problems.join("\n  ")}`);
  else console.log(`${run.backend}: Ponder indexed exactly the chain's count of every event kind it handles`);
}
if (loads.length > 0) {
  console.table(
    loads.map(({ name, result, rssMb }) => ({
      endpoint: result.path,
      name,
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
  ...loads.filter(({ name }) => name !== "tracksTopAll").map(({ name, result }) => `${name} p99 ${round(result.p99Ms, 2)} ms at ${RATE}/s (target < 20)`),
].filter(Boolean);
log(`targets: ${targets.join("; ")}`);

mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(join(ROOT, "bench/results/indexer.json"), JSON.stringify(results, null, 2) + "\n");
log("wrote bench/results/indexer.json");
