/**
 * The analytics API under load: a year of activity (2,000 tracks, 300 artists, 20,000 listeners; plays and engagement
 * events generated in the database) rolled up by the real rollup, then the real relayer process answering
 * `GET /v1/stats/tracks/:id` (totals) and `GET /v1/stats/tracks/:id?range=1y&interval=day` (a 365-point series with
 * growth and unique listeners) at a fixed 500 requests/s each (open loop: latency from the scheduled send). Tracks
 * are asked for as often as they are played (popular ones more). Meanwhile 10 real signed plays per second go in
 * through POST /v1/plays, so the relayer's rollup commits every cycle and the tracks it touches are computed again,
 * as in service. Each target endpoint's first 10 s (the cold start: nothing kept yet) is reported on its own row,
 * then the next 20 s. PGlite, and PostgreSQL when TEST_DATABASE_URL is set.
 *
 *   npm run bench:analytics     (ANALYTICS_PLAYS, ANALYTICS_EVENTS, ANALYTICS_SECONDS, ANALYTICS_RATE,
 *                                ANALYTICS_LIVE_RATE, ANALYTICS_WARMUP_SECONDS to change the size)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { network } from "hardhat";
import { Agent } from "node:http";
import { randomBytes } from "node:crypto";
import { bytesToHex, getAddress } from "viem";
import type { Play } from "../../relayer/src/crypto/eip712.js";
import { createPlayVerifier } from "../../relayer/src/crypto/signatures.js";
import { createRollupJob } from "../../relayer/src/engagement/rollup.js";
import { openDatabase } from "../../relayer/src/repo/db/open.js";
import { deployProtocol } from "../../test/helpers/protocol.js";
import { runLoad, type LoadResult } from "../indexer/load.js";
import { postJson, randomAccount, serveJsonRpc, signedPlayItem, startBenchRelayer, withPostgresDatabase } from "../shared.js";
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
/**
 * Signed plays POSTed to the relayer while the load runs (skewed like the reads), so its rollup keeps committing: 10
 * per second is 864,000 a day, four times the seeded year's plays every day.
 */
const LIVE_RATE = Number(process.env.ANALYTICS_LIVE_RATE ?? 10);
/** Seconds of load at the full rate before the measured window, reported on their own (the cold start). */
const WARMUP_SECONDS = Number(process.env.ANALYTICS_WARMUP_SECONDS ?? 10);
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

/**
 * Live traffic while the reads run: `LIVE_RATE` real signed plays per second (requests of 10) on tracks picked as the
 * reads pick them, by 500 listeners. Every rollup cycle (2 s) then moves the version of the tracks they touched, and
 * those tracks' kept series and totals are computed again, as on a relayer in service. Returns the stop.
 */
function startLivePlays(url: string): () => Promise<{ sent: number; accepted: number }> {
  const verifier = createPlayVerifier({ chainId, musicNFT: contracts.MusicNFT });
  const listeners = Array.from({ length: 500 }, randomAccount);
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const target = new URL("/v1/plays", url);
  let sent = 0;
  let accepted = 0;
  const pending = new Set<Promise<void>>();
  const timer = setInterval(() => {
    const plays = Array.from({ length: 10 }, () => {
      const { key, address } = listeners[Math.floor(Math.random() * listeners.length)]!;
      const play: Play = { listener: address, trackId: BigInt(pickTrack()), startedAt: BigInt(Math.floor(Date.now() / 1000) - 120), durationSeconds: 60, nonce: bytesToHex(randomBytes(32)) };
      return signedPlayItem(verifier, play, key);
    });
    sent += plays.length;
    const done: Promise<void> = postJson(agent, target, JSON.stringify({ plays }), 30_000)
      .then(({ status, text }) => {
        if (status !== 202) throw new Error(`POST /v1/plays answered ${status}: ${text.slice(0, 200)}`);
        accepted += (JSON.parse(text) as { results: { status: string }[] }).results.filter((result) => result.status === "accepted").length;
      })
      .finally(() => pending.delete(done));
    pending.add(done);
  }, 10_000 / LIVE_RATE);
  return async () => {
    clearInterval(timer);
    await Promise.all(pending);
    agent.destroy();
    return { sent, accepted };
  };
}

type BackendResult = {
  rows: { endpoint: string; p50Ms: number; p95Ms: number; p99Ms: number; maxMs: number; rps: number; failed: number; serverCpuUsPerRequest: number; sendLagP99Ms: number }[];
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
      const loads: [string, (index: number) => string][] = [
        ["GET /v1/stats/tracks/:id (totals)", () => `/v1/stats/tracks/${pickTrack()}`],
        ["GET /v1/stats/tracks/:id?range=1y&interval=day", () => `/v1/stats/tracks/${pickTrack()}?range=1y&interval=day`],
        ["GET /v1/stats/artists/:address (totals, monthly listeners, top tracks, top fans)", () => `/v1/stats/artists/${artistOf(pickTrack(), ARTISTS)}`],
        ["GET /v1/stats/top/tracks?range=7d", () => `/v1/stats/top/tracks?range=7d&offset=${20 * Math.floor(Math.random() * 5)}`],
      ];
      const rows: BackendResult["rows"] = [];
      const stopLive = startLivePlays(relayer.url);
      const measureLoad = async (endpoint: string, path: (index: number) => string, rate: number, seconds: number) => {
        const cpuBefore = relayer.cpuMs();
        const result: LoadResult = await runLoad({ url: relayer.url, path, rate, seconds });
        // CPU the relayer process spent per answer (all its threads, PGlite's included, the live plays' too).
        const cpuUs = Math.round(((relayer.cpuMs() - cpuBefore) * 1000) / Math.max(1, result.ok));
        rows.push({ endpoint, p50Ms: round(result.p50Ms), p95Ms: round(result.p95Ms), p99Ms: round(result.p99Ms), maxMs: round(result.maxMs), rps: round(result.achievedRate), failed: result.failed, serverCpuUsPerRequest: cpuUs, sendLagP99Ms: round(result.sendLagP99Ms) });
        log(`${label}: ${endpoint} → p50 ${round(result.p50Ms)} ms, p99 ${round(result.p99Ms)} ms, ${round(result.achievedRate)} rps (load generator's own send lag p99 ${round(result.sendLagP99Ms)} ms)`);
      };
      try {
        for (const [index, [endpoint, path]] of loads.entries()) {
          // The first two are the targets at the full rate, each after its own cold start; the others at a fifth of it.
          const rate = index < 2 ? RATE : RATE / 5;
          if (index < 2 && WARMUP_SECONDS > 0) await measureLoad(`${endpoint} @ ${rate}/s, cold start: the first ${WARMUP_SECONDS} s`, path, rate, WARMUP_SECONDS);
          await measureLoad(`${endpoint} @ ${rate}/s${index < 2 && WARMUP_SECONDS > 0 ? ", the next " + SECONDS + " s" : ""}`, path, rate, SECONDS);
        }
      } finally {
        const live = await stopLive();
        log(`${label}: live plays during the load: ${live.sent} sent, ${live.accepted} accepted`);
        if (live.accepted < live.sent * 0.99) throw new Error(`only ${live.accepted} of ${live.sent} live plays were accepted`);
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
console.log("\n| store | endpoint | p50 ms | p95 ms | p99 ms | max ms | achieved rps | failed | server CPU µs/request | send lag p99 ms |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const row of table) console.log(`| ${row.store} | ${row.endpoint} | ${row.p50Ms} | ${row.p95Ms} | ${row.p99Ms} | ${row.maxMs} | ${row.rps} | ${row.failed} | ${row.serverCpuUsPerRequest} | ${row.sendLagP99Ms} |`);

/** The measured row of the totals (`series` false) or the 1-year series, or its cold start. */
const rowOf = (result: BackendResult, series: boolean, cold = false) =>
  result.rows.find((row) => row.endpoint.includes("?range=1y") === series && row.endpoint.startsWith("GET /v1/stats/tracks/") && row.endpoint.includes("cold start") === cold)!;
const figures = (result: BackendResult, suffix: string) => ({
  [`p99Ms.totals${suffix}`]: rowOf(result, false).p99Ms,
  [`p99Ms.series1yDaily${suffix}`]: rowOf(result, true).p99Ms,
  [`achievedRps.totals${suffix}`]: rowOf(result, false).rps,
  [`achievedRps.series1yDaily${suffix}`]: rowOf(result, true).rps,
  ...(WARMUP_SECONDS > 0 ? { [`p99Ms.totalsColdStart${suffix}`]: rowOf(result, false, true).p99Ms, [`p99Ms.series1yDailyColdStart${suffix}`]: rowOf(result, true, true).p99Ms } : {}),
  [`rollupRowsPerSecond${suffix}`]: result.rollupRowsPerSecond,
  [`rollupRowsPerSecondLive${suffix}`]: result.rollupRowsPerSecondLive,
});

const results: Record<string, unknown> = {
  ...figures(pglite, ""),
  ...(postgres === undefined ? {} : figures(postgres, ".postgres")),
  table,
  conditions: {
    ...machine,
    loadAverage1mAtEnd: round(loadavg()[0]!, 2),
    data: { tracks: TRACKS, artists: ARTISTS, listeners: LISTENERS, plays: PLAYS, events: EVENTS, days: 365 },
    seedSeconds: { pglite: pglite.seedSeconds, ...(postgres === undefined ? {} : { postgres: postgres.seedSeconds }) },
    rollupSeconds: { pglite: pglite.rollupSeconds, ...(postgres === undefined ? {} : { postgres: postgres.rollupSeconds }) },
    load: { seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, rate: RATE, livePlaysPerSecond: LIVE_RATE, openLoop: true },
    targets: { p99MsTotals: TARGETS.totals, p99MsSeries1yDaily: TARGETS.series1yDaily },
    note: "relayer, load generator and (PostgreSQL) database share the machine; other processes may have been running (see load average)",
  },
};
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(join(ROOT, "bench/results/analytics.json"), JSON.stringify(results, null, 2) + "\n");
log("wrote bench/results/analytics.json");
