/**
 * Where the indexer's sync time goes: one `ponder start` of the indexer (or of the no-op baseline) against a chain
 * kept alive by `generate.ts --keep`, under `node --cpu-prof`, then the profile's self time by function and by
 * package, with the CPU µs per event, Ponder's store operations per table and the handler times.
 *
 *   npx tsx bench/indexer/generate.ts --events 106000 --out /tmp/chain --keep     # prints the node's URL
 *   npx tsx bench/indexer/profile.ts --rpc http://127.0.0.1:PORT --deployments /tmp/chain [--baseline] [--postgres URL] [--top 40]
 *
 * The profile (`*.cpuprofile`, readable in Chrome DevTools) is kept in the printed directory.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { writeBareProject } from "./bare.js";
import { startPonder } from "./ponder.js";
import { withPostgresDatabase } from "../shared.js";

type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

const { values } = parseArgs({
  options: {
    rpc: { type: "string" },
    deployments: { type: "string" },
    baseline: { type: "boolean", default: false },
    /** A PostgreSQL cluster: a throwaway database is created on it and dropped afterwards. */
    postgres: { type: "string" },
    top: { type: "string", default: "40" },
    /** Measure only (no --cpu-prof, whose sampling inflates the lighter run more): for A/B runs. */
    "no-profile": { type: "boolean", default: false },
    /** Another copy of the indexer to run instead (a directory with ponder.schema.ts and src/), e.g. an older commit's. */
    root: { type: "string" },
  },
});
if (values.rpc === undefined || values.deployments === undefined) throw new Error("--rpc and --deployments are required (see the header)");

/** `node_modules/<package>` of a frame's file, the project's folder, or Node's own (`node:*`, native). */
function ownerOf(url: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match !== null) return match[1];
  if (url.startsWith("node:") || url === "") return "(node, native, gc)";
  const project = /\/(indexer|ponder\.config|relayer)[^]*$/.exec(url);
  return project === null ? url : project[1];
}

/** Self time per key: each sample's interval goes to the frame on top of the stack. */
function selfTime(profile: CpuProfile, keyOf: (node: ProfileNode) => string): Map<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const key = keyOf(byId.get(id)!);
    totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  return totals;
}

function printTop(title: string, totals: Map<string, number>, top: number) {
  const all = [...totals.values()].reduce((sum, value) => sum + value, 0);
  console.log(`\n${title} (of ${(all / 1e6).toFixed(1)} s sampled)`);
  for (const [key, micros] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * micros) / all).toFixed(1).padStart(5)} %  ${(micros / 1e6).toFixed(2).padStart(7)} s  ${key}`);
  }
}

const profileDir = await mkdtemp(join(tmpdir(), "indexer-profile-"));
const dataDir = await mkdtemp(join(tmpdir(), "indexer-profile-data-"));
const baselineDir = values.baseline ? await mkdtemp(join(tmpdir(), "indexer-profile-baseline-")) : undefined;
const previousNodeOptions = process.env.NODE_OPTIONS;
if (!values["no-profile"]) process.env.NODE_OPTIONS = `${previousNodeOptions ?? ""} --cpu-prof --cpu-prof-dir=${profileDir}`.trim();
try {
  // The baseline registers a no-op handler for every event the indexer's handler files register.
  const events = baselineDir === undefined ? [] : await indexerEvents();
  const project =
    baselineDir !== undefined
      ? await writeBareProject({ dir: baselineDir, events })
      : values.root === undefined
        ? undefined
        : { root: resolve(values.root), config: relative(resolve(values.root), join(import.meta.dirname, "../../ponder.config.ts")) };
  const run = async (databaseUrl: string | undefined) => {
    const ponder = await startPonder({ rpcUrl: values.rpc!, deploymentsDir: values.deployments!, databaseUrl, dataDir, schema: "profile", project, log: (line) => console.log(line) });
    await ponder.stop();
    return ponder.sync;
  };
  const sync = values.postgres === undefined ? await run(undefined) : await withPostgresDatabase(values.postgres, run);
  process.env.NODE_OPTIONS = previousNodeOptions;
  console.log(
    `${values.baseline ? "baseline (no-op handlers)" : "indexer"} on ${values.postgres === undefined ? "PGlite" : "PostgreSQL"}: ${sync.events} events, ` +
      `backfill ${sync.backfillSeconds.toFixed(1)} s (${Math.round(sync.events / sync.backfillSeconds)} events/s), ` +
      `${Math.round((sync.backfillCpuSeconds * 1e6) / sync.events)} CPU µs/event over the backfill, peak RSS ${sync.peakTreeRssMb.toFixed(0)} MB`,
  );
  console.log("\nstore operations by table (find/insert/update, cache misses and their ms, flush ms):");
  for (const table of sync.tables) console.log(`  ${table.table.padEnd(22)} ${table.finds}/${table.inserts}/${table.updates}  miss ${table.cacheMisses} (${table.missMs.toFixed(0)} ms)  flush ${table.flushMs.toFixed(0)} ms`);
  console.log("\nhandlers (count, total ms):");
  for (const handler of sync.handlers) console.log(`  ${handler.event.padEnd(40)} ${String(handler.count).padStart(7)}  ${handler.totalMs.toFixed(0).padStart(7)} ms`);
  const files = (await readdir(profileDir)).filter((name) => name.endsWith(".cpuprofile"));
  const top = Number(values.top);
  for (const file of files) {
    const profile = JSON.parse(await readFile(join(profileDir, file), "utf8")) as CpuProfile;
    printTop(`${file}: self time by package`, selfTime(profile, (node) => ownerOf(node.callFrame.url)), top);
    printTop(
      `${file}: self time by function`,
      selfTime(profile, ({ callFrame }) => `${callFrame.functionName || "(anonymous)"}  ${callFrame.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/(indexer|relayer)\//, "$1/")}:${callFrame.lineNumber + 1}`),
      top,
    );
  }
  console.log(`\nprofiles in ${profileDir}`);
} finally {
  process.env.NODE_OPTIONS = previousNodeOptions;
  await rm(dataDir, { recursive: true, force: true });
  if (baselineDir !== undefined) await rm(baselineDir, { recursive: true, force: true });
}

/** `Contract:Event` names the indexer's handler files register. */
async function indexerEvents(): Promise<string[]> {
  const dir = join(import.meta.dirname, "../../indexer/src");
  const names = new Set<string>();
  for (const file of (await readdir(dir)).filter((name) => name.endsWith(".ts"))) {
    for (const match of (await readFile(join(dir, file), "utf8")).matchAll(/ponder\.on\("([A-Za-z]+:[A-Za-z]+)"/g)) names.add(match[1]);
  }
  return [...names];
}
