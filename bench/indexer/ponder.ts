/**
 * The indexer under test as a user runs it: `ponder --root indexer --config ../ponder.config.ts start` in its own Node process (process group),
 * on a clean database, against the generated chain. While it syncs, the resident memory of its whole process tree is
 * polled from /proc; when it answers /ready, its own clocks are read from its JSON log and /metrics.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { PONDER_PROJECT_ARGS, ponderEnv } from "../../scripts/stack/ponder-env.js";
import { freePort } from "../../test/relayer/helpers/processes.js";

const ROOT = resolve(import.meta.dirname, "../..");
const PONDER_BIN = join(ROOT, "node_modules/ponder/dist/esm/bin/ponder.js");
const RSS_POLL_MS = 100;

export class PonderRunError extends Error {
  readonly code = "PONDER_RUN_FAILED";
  constructor(message: string) {
    super(message);
    this.name = "PonderRunError";
  }
}

export type PonderSync = {
  /** Events Ponder's handlers processed (ponder_indexing_completed_events, setup events excluded), by `Contract:Event`. */
  eventsByName: Record<string, number>;
  events: number;
  /** Ponder's own clock around the historical phase: RPC extraction and indexing of every historical event. */
  backfillSeconds: number;
  /** From spawning the process until /ready answered 200 (build, schema, backfill, index creation included). */
  wallSeconds: number;
  /** Largest sum of VmRSS over the process and its descendants, polled every 100 ms. */
  peakTreeRssMb: number;
  /** The kernel's high-water mark of the main process (VmHWM), read just before it is stopped. */
  mainHwmMb: number;
  /** Time spent in each handler (ponder_indexing_function_duration sum, ms) and its event count. */
  handlers: { event: string; count: number; totalMs: number }[];
  /** Ponder's split of the historical phase: extract (RPC, decode) and transform (prefetch, index, flush…), seconds. */
  phases: Record<string, number>;
  /**
   * Database work of the handlers per table: store operations the handlers asked for (ponder_indexing_store_queries_total:
   * find, insert, update, delete), finds that missed Ponder's cache and went to the database (count and ms), and the
   * time its batched writes ("flush") took (ponder_indexing_cache_query_duration).
   */
  tables: TableProfile[];
  /** RPC requests Ponder made to the node, by method: count and total ms. */
  rpc: { method: string; count: number; totalMs: number }[];
  /** CPU seconds (user + system) the Ponder process tree used from spawn to /ready: unlike wall time, barely moved by other jobs. */
  cpuSeconds: number;
  /** The same over the backfill alone (sampled every 100 ms, so ± 0.1 s of CPU at its start). */
  backfillCpuSeconds: number;
};

export type TableProfile = {
  table: string;
  finds: number;
  inserts: number;
  updates: number;
  deletes: number;
  cacheMisses: number;
  missMs: number;
  flushMs: number;
};

export type RunningPonder = { url: string; pid: number; sync: PonderSync; output(): string; stop(): Promise<void> };

export type StartPonderParameters = {
  rpcUrl: string;
  deploymentsDir: string;
  /** PostgreSQL connection string; without it Ponder uses PGlite in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  schema: string;
  /** Ponder's --root and --config, the config relative to the root (default: the indexer, PONDER_PROJECT_ARGS). */
  project?: { root: string; config: string };
  timeoutMs?: number;
  log?: (line: string) => void;
};
export type StartPonderReturnType = RunningPonder;

/** Starts Ponder and resolves once it has synced everything and answers /ready; rejects if it exits first. */
export async function startPonder({ rpcUrl, deploymentsDir, databaseUrl, dataDir, schema, project, timeoutMs = 900_000, log = () => {} }: StartPonderParameters): Promise<StartPonderReturnType> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [PONDER_BIN, ...(project === undefined ? PONDER_PROJECT_ARGS : ["--root", project.root, "--config", project.config]), "--log-format", "json", "start", "--schema", schema, "--port", String(port), "--hostname", "127.0.0.1"], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      ...ponderEnv(),
      CHAIN_ID: "31337",
      RPC_URL: rpcUrl,
      PONDER_RPC_URL_31337: rpcUrl,
      DEPLOYMENTS_DIR: deploymentsDir,
      INDEXER_DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl ?? "",
      DATABASE_SCHEMA: schema,
    },
  });
  const pid = child.pid;
  if (pid === undefined) throw new PonderRunError("ponder did not start");
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  let text = "";
  let backfillMs: number | undefined;
  let backfillEnd: { at: number; cpu: number } | undefined;
  const cpuSamples: { at: number; cpu: number }[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      text += `${line}\n`;
      if (text.length > 4_000_000) text = text.slice(-2_000_000);
      const entry = parseJson(line);
      if (entry?.msg === "Completed backfill indexing across all chains" && typeof entry.duration === "number") {
        backfillMs = entry.duration;
        backfillEnd = { at: performance.now(), cpu: treeCpuSeconds(pid) };
      }
      if (typeof entry?.level === "number" && entry.level >= 50) log(`ponder: ${line.slice(0, 400)}`);
    });
  }
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-pid, "SIGTERM");
      } catch {
        // already gone
      }
      const killer = setTimeout(() => {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          // already gone
        }
      }, 10_000);
      await exited;
      clearTimeout(killer);
    }
  };

  let peakTreeRss = 0;
  const poller = setInterval(() => {
    peakTreeRss = Math.max(peakTreeRss, treeRssKb(pid));
    if (backfillEnd === undefined) cpuSamples.push({ at: performance.now(), cpu: treeCpuSeconds(pid) });
  }, RSS_POLL_MS);
  const url = `http://127.0.0.1:${port}`;
  try {
    const deadline = started + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new PonderRunError(`ponder exited (${child.exitCode ?? child.signalCode}) before /ready:\n${text.slice(-3000)}`);
      if (performance.now() > deadline) throw new PonderRunError(`ponder not ready within ${timeoutMs} ms:\n${text.slice(-3000)}`);
      if (await isReady(url)) break;
      await new Promise((done) => setTimeout(done, 100));
    }
    const wallSeconds = (performance.now() - started) / 1000;
    peakTreeRss = Math.max(peakTreeRss, treeRssKb(pid));
    const metrics = parseMetrics(await (await fetch(`${url}/metrics`)).text());
    const eventsByName: Record<string, number> = {};
    for (const { labels, value } of metrics.get("ponder_indexing_completed_events") ?? []) {
      if (labels.event === undefined || labels.event.endsWith(":setup")) continue;
      eventsByName[labels.event] = (eventsByName[labels.event] ?? 0) + value;
    }
    const durations = new Map((metrics.get("ponder_indexing_function_duration_sum") ?? []).map(({ labels, value }) => [labels.event, value]));
    const handlers = Object.entries(eventsByName)
      .map(([event, count]) => ({ event, count, totalMs: durations.get(event) ?? 0 }))
      .sort((a, b) => b.totalMs - a.totalMs);
    const phases: Record<string, number> = {};
    for (const name of ["ponder_historical_extract_duration", "ponder_historical_transform_duration"]) {
      for (const { labels, value } of metrics.get(name) ?? []) phases[`${name.replace("ponder_historical_", "").replace("_duration", "")}.${labels.step}`] = value / 1000;
    }
    // "extract" is how long indexing waited for the RPC side, "transform" how long the RPC side waited for indexing.
    for (const { labels, value } of metrics.get("ponder_historical_concurrency_group_duration") ?? []) phases[`waitedFor.${labels.group}`] = value / 1000;
    const seriesBy = (name: string, labelNames: string[]) => {
      const out = new Map<string, number>();
      for (const { labels, value } of metrics.get(name) ?? []) {
        const label = labelNames.map((labelName) => labels[labelName] ?? "").join(".");
        out.set(label, (out.get(label) ?? 0) + value);
      }
      return out;
    };
    const cacheMs = seriesBy("ponder_indexing_cache_query_duration_sum", ["table", "method"]);
    const storeCount = seriesBy("ponder_indexing_store_queries_total", ["table", "method"]);
    const cacheRequests = seriesBy("ponder_indexing_cache_requests_total", ["table", "type"]);
    const tableNames = new Set([...storeCount.keys(), ...cacheMs.keys()].map((label) => label.split(".")[0]).filter(Boolean));
    const tables = [...tableNames]
      .map((table) => ({
        table,
        finds: storeCount.get(`${table}.find`) ?? 0,
        inserts: storeCount.get(`${table}.insert`) ?? 0,
        updates: storeCount.get(`${table}.update`) ?? 0,
        deletes: storeCount.get(`${table}.delete`) ?? 0,
        cacheMisses: cacheRequests.get(`${table}.miss`) ?? 0,
        missMs: cacheMs.get(`${table}.find`) ?? 0,
        flushMs: cacheMs.get(`${table}.flush`) ?? 0,
      }))
      .filter((entry) => entry.finds + entry.inserts + entry.updates + entry.deletes + entry.flushMs > 0)
      .sort((a, b) => b.flushMs + b.missMs - (a.flushMs + a.missMs));
    const rpcMs = seriesBy("ponder_rpc_request_duration_sum", ["method"]);
    const rpcCount = seriesBy("ponder_rpc_request_duration_count", ["method"]);
    const rpc = [...rpcCount.entries()].map(([method, count]) => ({ method, count, totalMs: rpcMs.get(method) ?? 0 })).sort((a, b) => b.totalMs - a.totalMs);
    if (backfillMs === undefined || backfillEnd === undefined) throw new PonderRunError(`ponder is ready but logged no "Completed backfill" line:\n${text.slice(-3000)}`);
    const backfillStart = backfillEnd.at - backfillMs;
    const before = cpuSamples.filter((sample) => sample.at <= backfillStart).at(-1) ?? cpuSamples[0] ?? { at: started, cpu: 0 };
    const sync: PonderSync = {
      eventsByName,
      events: Object.values(eventsByName).reduce((sum, count) => sum + count, 0),
      backfillSeconds: backfillMs / 1000,
      wallSeconds,
      peakTreeRssMb: peakTreeRss / 1024,
      mainHwmMb: statusKb(pid, "VmHWM") / 1024,
      handlers,
      phases,
      tables,
      rpc,
      cpuSeconds: treeCpuSeconds(pid),
      backfillCpuSeconds: backfillEnd.cpu - before.cpu,
    };
    return {
      url,
      pid,
      sync,
      output: () => text,
      async stop() {
        clearInterval(poller);
        await stop();
      },
    };
  } catch (error) {
    clearInterval(poller);
    await stop();
    throw error;
  }
}

/** The largest resident set of the Ponder tree seen so far, refreshed now (for use after the sync, e.g. under load). */
export function currentTreeRssMb(pid: number): number {
  return treeRssKb(pid) / 1024;
}

async function isReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/ready`);
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

function parseJson(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null ? Object.fromEntries(Object.entries(value)) : undefined;
  } catch {
    return undefined;
  }
}

type Sample = { labels: Record<string, string>; value: number };

/** Prometheus text format → samples by metric name (histogram series keep their _sum/_count/_bucket suffix). */
function parseMetrics(text: string): Map<string, Sample[]> {
  const samples = new Map<string, Sample[]>();
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    const list = samples.get(match[1]) ?? [];
    list.push({ labels, value: Number(match[3]) });
    samples.set(match[1], list);
  }
  return samples;
}

/** A field of /proc/<pid>/status in kB (0 once the process is gone). */
function statusKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match === null ? 0 : Number(match[1]);
  } catch {
    return 0;
  }
}

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds of one process from /proc/<pid>/stat: its own utime + stime, plus cutime + cstime of children it reaped. */
export function processCpuSeconds(pid: number, withReaped = true): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // proc(5) fields 14-17 (utime, stime, cutime, cstime) are the 12th-15th after the command name.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
    return (fields[11] + fields[12] + (withReaped ? fields[13] + fields[14] : 0)) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU seconds of `pid` and its live descendants. */
function treeCpuSeconds(pid: number): number {
  let total = 0;
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.pop()!;
    total += processCpuSeconds(next);
    queue.push(...childrenOf(next));
  }
  return total;
}

/** Direct children of `pid`, from every thread's /proc/<pid>/task/<tid>/children (a child may belong to any thread). */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").split(" ").filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** VmRSS of `pid` and every descendant. */
function treeRssKb(pid: number): number {
  let total = 0;
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.pop()!;
    total += statusKb(next, "VmRSS");
    queue.push(...childrenOf(next));
  }
  return total;
}
