/**
 * The analytics API under load: a year of activity (2,000 tracks, 300 artists, 20,000 listeners; plays and engagement
 * events generated in the database) rolled up by the real rollup, then the real relayer process answering
 * `GET /v1/stats/tracks/:id` (totals) and `GET /v1/stats/tracks/:id?range=1y&interval=day` (a 365-point series with
 * growth and unique listeners) at a fixed 500 requests/s each (open loop: latency from the scheduled send). Tracks
 * are asked for as often as they are played (popular ones more). PGlite, and PostgreSQL when TEST_DATABASE_URL is set.
 *
 *   npm run bench:analytics     (ANALYTICS_PLAYS, ANALYTICS_EVENTS, ANALYTICS_SECONDS, ANALYTICS_RATE to change the size)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { network } from "hardhat";
import { getAddress } from "viem";
import { createRollupJob } from "../../relayer/src/engagement/rollup.js";
import { openDatabase } from "../../relayer/src/repo/db/open.js";
import { deployProtocol } from "../../test/helpers/protocol.js";
import { runLoad, type LoadResult } from "../indexer/load.js";
import { serveJsonRpc, startBenchRelayer, withPostgresDatabase } from "../shared.js";
import { artistOf, markCommitted, seedYear } from "./seed.js";

const ROOT = resolve(import.meta.dirname, "../..");
const TRACKS = 2_000;
const ARTISTS = 300;
const LISTENERS = 20_000;
const PLAYS = Number(process.env.ANALYTICS_PLAYS ?? 200_000);
const EVENTS = Number(process.env.ANALYTICS_EVENTS ?? 100_000);
const SECONDS = Number(process.env.ANALYTICS_SECONDS ?? 20);
const RATE = Number(process.env.ANALYTICS_RATE ?? 500);
const LIVE_PLAYS = 20_000;
const TARGETS = { totals: 20, series1yDaily: 50 };

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const log = (line: string) => console.log(line);
const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? "unknown", node: process.version, loadAverage1m: round(loadavg()[0]!, 2) };

// ── Chain: 2,000 minted tracks, so the API's "is this track minted" check answers from totalTracks ────────────────
const connection = await network.create();
const { musicNFT, factory } = await deployProtocol(connection);
const [, , creator] = await connection.ethers.getSigners();
const mintStart = performance.now();
for (let index = 0; index < TRACKS; index++) await (await musicNFT.connect(creator).mintTrack(`ipfs://analytics-${index + 1}`, creator.address, 500)).wait();
log(`minted ${TRACKS} tracks in ${round((performance.now() - mintStart) / 1000)} s`);
const chainId = Number((await connection.ethers.provider.getNetwork()).chainId);
const contracts = { MusicNFT: getAddress(await musicNFT.getAddress()), CreatorCoinFactory: getAddress(await factory.getAddress()) };
const rpc = await serveJsonRpc(connection.provider);

/** A track picked like the plays pick it: popular tracks are asked for more. */
const pickTrack = () => 1 + Math.floor(TRACKS * Math.random() ** 3);

type BackendResult = {
  rows: { endpoint: string; p50Ms: number; p95Ms: number; p99Ms: number; maxMs: number; rps: number; failed: number; serverCpuUsPerRequest: number }[];
  seedSeconds: number;
  rollupSeconds: number;
  rollupRowsPerSecond: number;
  rollupRowsPerSecondLive: number;
};

async function measure(label: string, databaseUrl: string | undefined): Promise<BackendResult> {
  const dir = await mkdtemp(join(tmpdir(), "bench-analytics-"));
  try {
    const now = Math.floor(Date.now() / 1000);
    const db = await openDatabase({ databaseUrl, dataDir: join(dir, "data") });
    const seedStart = performance.now();
    await seedYear({ db, tracks: TRACKS, artists: ARTISTS, listeners: LISTENERS, plays: PLAYS, events: EVENTS, now });
    const seedSeconds = (performance.now() - seedStart) / 1000;
    log(`${label}: seeded ${PLAYS.toLocaleString("en-US")} plays and ${EVENTS.toLocaleString("en-US")} events in ${round(seedSeconds)} s`);
    const rollStart = performance.now();
    // The job the server runs (its ANALYZE included), with the creators the seed cached.
    const job = createRollupJob({ db, chunkSize: 5_000, creatorOf: async (trackId) => artistOf(Number(trackId), ARTISTS) });
    const rolled = await job.run();
    const rollupSeconds = (performance.now() - rollStart) / 1000;
    log(`${label}: rolled up ${rolled.plays + rolled.events} rows in ${rolled.chunks} chunks, ${round(rollupSeconds)} s`);
    // Live traffic: the same mix arriving within the last 10 minutes (a year spreads every play over its own hour
    // and day buckets; live plays share them), rolled up as the server does every cycle.
    await seedYear({ db, tracks: TRACKS, artists: ARTISTS, listeners: LISTENERS, plays: LIVE_PLAYS, events: LIVE_PLAYS / 2, now, spanSeconds: 600, firstSerial: 1_000_000_000 });
    const liveStart = performance.now();
    const live = await job.run();
    const liveSeconds = (performance.now() - liveStart) / 1000;
    log(`${label}: rolled up ${live.plays + live.events} live rows in ${round(liveSeconds)} s`);
    await markCommitted(db);
    await db.close();

    const relayer = await startBenchRelayer({ dir, rpcUrl: rpc.url, chainId, contracts, ...(databaseUrl === undefined ? {} : { databaseUrl }) });
    try {
      // Warm up: the track catalogue's totalTracks, the plans, the pages.
      await runLoad({ url: relayer.url, path: () => `/v1/stats/tracks/${pickTrack()}?range=1y&interval=day`, rate: 50, seconds: 3 });
      const loads: [string, (index: number) => string][] = [
        ["GET /v1/stats/tracks/:id (totals)", () => `/v1/stats/tracks/${pickTrack()}`],
        ["GET /v1/stats/tracks/:id?range=1y&interval=day", () => `/v1/stats/tracks/${pickTrack()}?range=1y&interval=day`],
        ["GET /v1/stats/artists/:address (totals, monthly listeners, top tracks, top fans)", () => `/v1/stats/artists/${artistOf(pickTrack(), ARTISTS)}`],
        ["GET /v1/stats/top/tracks?range=7d", () => `/v1/stats/top/tracks?range=7d&offset=${20 * Math.floor(Math.random() * 5)}`],
      ];
      const rows: BackendResult["rows"] = [];
      for (const [endpoint, path] of loads) {
        // The first two are the targets at the full rate; the others are shown at a fifth of it.
        const rate = rows.length < 2 ? RATE : RATE / 5;
        const cpuBefore = relayer.cpuMs();
        const result: LoadResult = await runLoad({ url: relayer.url, path, rate, seconds: SECONDS });
        // CPU the relayer process spent per answer (all its threads, PGlite's included): what the machine's load does not change much.
        const cpuUs = Math.round(((relayer.cpuMs() - cpuBefore) * 1000) / Math.max(1, result.ok));
        rows.push({ endpoint: `${endpoint} @ ${rate}/s`, p50Ms: round(result.p50Ms), p95Ms: round(result.p95Ms), p99Ms: round(result.p99Ms), maxMs: round(result.maxMs), rps: round(result.achievedRate), failed: result.failed, serverCpuUsPerRequest: cpuUs });
        log(`${label}: ${endpoint} @ ${rate}/s → p50 ${round(result.p50Ms)} ms, p99 ${round(result.p99Ms)} ms, ${round(result.achievedRate)} rps`);
      }
      return {
        rows,
        seedSeconds: round(seedSeconds),
        rollupSeconds: round(rollupSeconds),
        rollupRowsPerSecond: Math.round((rolled.plays + rolled.events) / rollupSeconds),
        rollupRowsPerSecondLive: Math.round((live.plays + live.events) / liveSeconds),
      };
    } finally {
      await relayer.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const pglite = await measure("PGlite", undefined);
const adminUrl = process.env.TEST_DATABASE_URL || undefined;
const postgres = adminUrl === undefined ? undefined : await withPostgresDatabase(adminUrl, (url) => measure("PostgreSQL", url));
rpc.server.close();

const table = [
  ...pglite.rows.map((row) => ({ store: "PGlite", ...row })),
  ...(postgres?.rows.map((row) => ({ store: "PostgreSQL", ...row })) ?? []),
];
console.log("\n| store | endpoint | p50 ms | p95 ms | p99 ms | max ms | achieved rps | failed | server CPU µs/request |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const row of table) console.log(`| ${row.store} | ${row.endpoint} | ${row.p50Ms} | ${row.p95Ms} | ${row.p99Ms} | ${row.maxMs} | ${row.rps} | ${row.failed} | ${row.serverCpuUsPerRequest} |`);

const results: Record<string, unknown> = {
  "p99Ms.totals": pglite.rows[0]!.p99Ms,
  "p99Ms.series1yDaily": pglite.rows[1]!.p99Ms,
  "achievedRps.totals": pglite.rows[0]!.rps,
  "achievedRps.series1yDaily": pglite.rows[1]!.rps,
  rollupRowsPerSecond: pglite.rollupRowsPerSecond,
  rollupRowsPerSecondLive: pglite.rollupRowsPerSecondLive,
  ...(postgres === undefined
    ? {}
    : {
        "p99Ms.totals.postgres": postgres.rows[0]!.p99Ms,
        "p99Ms.series1yDaily.postgres": postgres.rows[1]!.p99Ms,
        "achievedRps.totals.postgres": postgres.rows[0]!.rps,
        "achievedRps.series1yDaily.postgres": postgres.rows[1]!.rps,
        "rollupRowsPerSecond.postgres": postgres.rollupRowsPerSecond,
        "rollupRowsPerSecondLive.postgres": postgres.rollupRowsPerSecondLive,
      }),
  table,
  conditions: {
    ...machine,
    loadAverage1mAtEnd: round(loadavg()[0]!, 2),
    data: { tracks: TRACKS, artists: ARTISTS, listeners: LISTENERS, plays: PLAYS, events: EVENTS, days: 365 },
    seedSeconds: { pglite: pglite.seedSeconds, ...(postgres === undefined ? {} : { postgres: postgres.seedSeconds }) },
    rollupSeconds: { pglite: pglite.rollupSeconds, ...(postgres === undefined ? {} : { postgres: postgres.rollupSeconds }) },
    load: { seconds: SECONDS, rate: RATE, openLoop: true },
    targets: { p99MsTotals: TARGETS.totals, p99MsSeries1yDaily: TARGETS.series1yDaily },
    note: "relayer, load generator and (PostgreSQL) database share the machine; other processes may have been running (see load average)",
  },
};
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(join(ROOT, "bench/results/analytics.json"), JSON.stringify(results, null, 2) + "\n");
log("wrote bench/results/analytics.json");
