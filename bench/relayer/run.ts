/**
 * Relayer benchmark: ingestion throughput and latency of POST /v1/plays, end to end over HTTP on 127.0.0.1,
 * against the real server (`relayer/src/server.ts` spawned with tsx, its own process) with accepted plays
 * durably stored in the default embedded store (PGlite in a fresh DATA_DIR), then the same on PostgreSQL when
 * TEST_DATABASE_URL or DATABASE_URL is set (a throwaway database is created on it and dropped after).
 *
 *   npm run bench:relayer   → prints a table, writes bench/results/relayer.json
 *
 * Chain: Hardhat's in-process network with the whole protocol deployed and TRACKS tracks minted, served to the
 * server process over a small JSON-RPC bridge on 127.0.0.1 (the server reads totalTracks once; the chain is idle
 * while timing). Plays are signed before any timing (native secp256k1 over the relayer's EIP-712 digest, spot-checked
 * against viem), every one distinct and acceptable under the default rules except the per-IP limit: every request
 * comes from 127.0.0.1, so RATE_LIMIT_IP_PER_MINUTE is raised. The batcher is kept out of the timed window
 * (BATCH_MAX and BATCH_INTERVAL_MS far beyond the run), so the figures are ingestion alone.
 *
 * Loops are bounded by request count; `concurrency` requests are in flight at once on keep-alive sockets. The load
 * generator runs in this process, so on a 2-core machine it competes with the server for CPU. Beside wall-clock
 * figures the table gives the server process's CPU time per accepted play, the fairer figure for comparing two
 * versions when other jobs share the machine.
 *
 * verifyPerSecond: signature checks per second, pure viem (recoverTypedDataAddress, one core), the relayer's path on
 * one thread (relayerOneThread: hand-encoded digest, native keccak and recover) and the server's worker-thread pool
 * (relayer: 100-play requests, four in flight, every core).
 *
 * The profile splits one 100-play request (serially, no concurrency) into signature checks (timed on one thread;
 * the server's pool splits them over every core), the database work of ingestPlays (parse + insert, with
 * signatures stubbed out), and the rest (HTTP, JSON, zod, Hono), measured as the end-to-end latency at
 * concurrency 1 minus the pool's share and the database's.
 *
 * Memory: the relayer's RSS split by part (bench/relayer/memory.ts: PGlite's WASM memory, each thread's V8 heap —
 * main, signature-check workers, the PGlite thread — native malloc arenas, mapped files), read just after start
 * and again after every run, through a probe preloaded into the server process (bench/relayer/memory-probe.ts).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent } from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { network } from "hardhat";
import { bytesToHex, getAddress, recoverTypedDataAddress } from "viem";
import { openDatabase } from "../../relayer/src/repo/db/open.js";
import { ingestPlays, type IngestRules } from "../../relayer/src/plays/ingest.js";
import { createVerifierPool } from "../../relayer/src/crypto/verify-pool.js";
import { PLAY_TYPES, playDomain, type Play } from "../../relayer/src/crypto/eip712.js";
import { createPlayVerifier } from "../../relayer/src/crypto/signatures.js";
import { deployProtocol } from "../../test/helpers/protocol.js";
import { DEFAULT_RULES } from "../../test/relayer/core.helpers.js";
import { postJson, randomAccount, serveJsonRpc, signedPlayItem, startBenchRelayer, withPostgresDatabase, type PlayItem, type RelayerProcess } from "../shared.js";
import type { MemoryBreakdown } from "./memory.js";

const HEAP_NAMES: Record<string, string> = { main: "main thread", verify: "signature-check workers", pglite: "PGlite thread (JS)", "main.js": "tsx loader thread" };

const TRACKS = 20;
const LISTENERS = 1_000;
const BATCH1 = { requests: 4_000, size: 1, concurrency: 16, warmup: 200 };
const BATCH100 = { requests: 1_000, size: 100, concurrency: 4, warmup: 20 };
const PROFILE_REQUESTS = 30;
const VERIFY_VIEM = 600;
const VERIFY_RELAYER = 20_000;
const IP_LIMIT = 100_000_000;

type Item = PlayItem;
type Figures = {
  acceptedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  accepted: number;
  seconds: number;
  /** CPU the relayer process spent per accepted play (its own process only: PostgreSQL's backends are not in it). */
  serverCpuUsPerPlay: number;
};

const log = (line: string) => console.log(line);

// ── Chain ───────────────────────────────────────────────────────────────────────────────────────
const connection = await network.create();
const { musicNFT, factory } = await deployProtocol(connection);
const [, , creator] = await connection.ethers.getSigners();
for (let index = 0; index < TRACKS; index++) {
  await (await musicNFT.connect(creator).mintTrack(`ipfs://bench-track-${index + 1}`, creator.address, 500)).wait();
}
const chainId = Number((await connection.ethers.provider.getNetwork()).chainId);
const musicNFTAddress = getAddress(await musicNFT.getAddress());
const factoryAddress = getAddress(await factory.getAddress());
const rpc = await serveJsonRpc(connection.provider);
const domain = { chainId, musicNFT: musicNFTAddress };
const verifier = createPlayVerifier(domain);

// ── Pre-signed plays ────────────────────────────────────────────────────────────────────────────
const listeners = Array.from({ length: LISTENERS }, randomAccount);
const now = Math.floor(Date.now() / 1000);
let serial = 0;
/**
 * The next distinct play: listeners round-robin (so the requests in flight at once share no listener), tracks
 * cycling every LISTENERS plays, ended 2 to 60 minutes ago. At most a few plays per listener-track pair: far
 * inside the default 60 per hour and 500 per day.
 */
function nextItem(): Item {
  const n = serial++;
  const { key, address } = listeners[n % LISTENERS];
  const play: Play = {
    listener: address,
    trackId: BigInt(1 + (Math.floor(n / LISTENERS) % TRACKS)),
    startedAt: BigInt(now - 3_600 + (n % 3_000)),
    durationSeconds: 30 + (n % 200),
    nonce: bytesToHex(randomBytes(32)),
  };
  return signedPlayItem(verifier, play, key);
}
const toPlay = (item: Item): Play => ({ ...item, trackId: BigInt(item.trackId), startedAt: BigInt(item.startedAt) });

/** Request bodies, serialised before timing. */
function bodies(count: number, size: number): string[] {
  return Array.from({ length: count }, () => JSON.stringify({ plays: Array.from({ length: size }, nextItem) }));
}

const signStart = performance.now();
const sample = Array.from({ length: VERIFY_VIEM }, nextItem);
for (const item of sample.slice(0, 5)) {
  const signer = await recoverTypedDataAddress({ domain: playDomain(domain), types: PLAY_TYPES, primaryType: "Play", message: toPlay(item), signature: item.signature });
  if (signer !== item.listener) throw new Error(`bench signing is wrong: viem recovers ${signer}, expected ${item.listener}`);
}
const load = {
  batch1: { warmup: bodies(BATCH1.warmup, 1), timed: bodies(BATCH1.requests, 1) },
  batch100: { warmup: bodies(BATCH100.warmup, 100), timed: bodies(BATCH100.requests, 100) },
};
const profileBodies = bodies(PROFILE_REQUESTS, 100);
log(`signed ${serial} plays in ${((performance.now() - signStart) / 1000).toFixed(1)} s (before any timing)`);

// ── Signature checks per second (one core, this process) ─────────────────────────────────────────
async function verifyRates() {
  let start = performance.now();
  for (const item of sample) {
    await recoverTypedDataAddress({ domain: playDomain(domain), types: PLAY_TYPES, primaryType: "Play", message: toPlay(item), signature: item.signature });
  }
  const viem = sample.length / ((performance.now() - start) / 1000);
  const plays = sample.map((item) => ({ play: toPlay(item), signature: item.signature }));
  start = performance.now();
  for (let index = 0; index < VERIFY_RELAYER; index++) {
    const { play, signature } = plays[index % plays.length];
    if (!verifier.verify(play, signature)) throw new Error("relayer verifier refused a good signature");
  }
  const oneThread = VERIFY_RELAYER / ((performance.now() - start) / 1000);
  // The server's path: the worker-thread pool, fed 100-play requests, four in flight.
  const pool = createVerifierPool({ ...domain });
  try {
    const requests = Array.from({ length: VERIFY_RELAYER / 100 }, (_, index) => plays.slice((index * 100) % 500, ((index * 100) % 500) + 100));
    await pool.check(requests[0]);
    start = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < requests.length) {
          const checks = await pool.check(requests[next++]);
          if (checks.some((check) => !check.valid)) throw new Error("verifier pool refused a good signature");
        }
      }),
    );
    const threads = VERIFY_RELAYER / ((performance.now() - start) / 1000);
    return { viem, oneThread, threads, poolThreads: pool.threads };
  } finally {
    await pool.close();
  }
}

// ── HTTP load ───────────────────────────────────────────────────────────────────────────────────
/** Sends every body once, `concurrency` at a time; every play must come back accepted. */
async function run(relayer: Relayer, all: string[], concurrency: number): Promise<Figures> {
  const base = relayer.url;
  const cpuBefore = relayer.cpuMs();
  const url = new URL("/v1/plays", base);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let next = 0;
  let accepted = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < all.length) {
        const body = all[next++];
        const sent = performance.now();
        const { status, text } = await postJson(agent, url, body, 60_000);
        latencies.push(performance.now() - sent);
        if (status !== 202) throw new Error(`POST /v1/plays answered ${status}: ${text.slice(0, 300)}`);
        const { results } = JSON.parse(text) as { results: { status: string; code?: string }[] };
        const refused = results.find((result) => result.status !== "accepted");
        if (refused !== undefined) throw new Error(`a bench play was rejected (${refused.code}): the load is wrong`);
        accepted += results.length;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
  const serverCpuUsPerPlay = ((relayer.cpuMs() - cpuBefore) * 1000) / accepted;
  return { acceptedPerSecond: accepted / seconds, p50Ms: pct(50), p99Ms: pct(99), requests: all.length, accepted, seconds, serverCpuUsPerPlay };
}

// ── The server under test ───────────────────────────────────────────────────────────────────────
/** The server's CPU time (processCpuMs, from /proc) barely moves when other jobs share the cores, unlike wall time. */
type Relayer = RelayerProcess;

async function startRelayer(dir: string, databaseUrl: string | undefined): Promise<Relayer> {
  return startBenchRelayer({
    dir,
    rpcUrl: rpc.url,
    chainId,
    contracts: { MusicNFT: musicNFTAddress, CreatorCoinFactory: factoryAddress },
    databaseUrl,
    memoryProbe: true,
    env: { RATE_LIMIT_IP_PER_MINUTE: String(IP_LIMIT), BATCH_MAX: "100000000", BATCH_INTERVAL_MS: "86400000" },
  });
}

async function benchBackend(name: string, databaseUrl: string | undefined) {
  const dir = await mkdtemp(join(tmpdir(), "relayer-bench-"));
  let relayer: Relayer | undefined;
  try {
    relayer = await startRelayer(dir, databaseUrl);
    log(`${name}: relayer at ${relayer.url}`);
    const idle = await relayer.memory();
    // Warm-up (not timed): JIT, connection pools, the track catalog's first chain read.
    await run(relayer, load.batch1.warmup, BATCH1.concurrency);
    await run(relayer, load.batch100.warmup, BATCH100.concurrency);
    const batch1 = await run(relayer, load.batch1.timed, BATCH1.concurrency);
    const batch100 = await run(relayer, load.batch100.timed, BATCH100.concurrency);
    const serial100 = await run(relayer, profileBodies, 1);
    const loaded = await relayer.memory();
    return { batch1, batch100, serial100, memory: { idle, loaded } };
  } finally {
    await relayer?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Where one 100-play request goes, without HTTP: signature checks, then ingestPlays with signatures stubbed. */
async function profileIngest(serialMs: number) {
  const items = Array.from({ length: PROFILE_REQUESTS }, () => Array.from({ length: 100 }, nextItem));
  let start = performance.now();
  for (const batch of items) for (const item of batch) verifier.verify(toPlay(item), item.signature);
  const verifyMs = (performance.now() - start) / items.length;

  const dir = await mkdtemp(join(tmpdir(), "relayer-bench-profile-"));
  const db = await openDatabase({ dataDir: dir });
  try {
    const rules: IngestRules = { ...DEFAULT_RULES, ipPerMinute: IP_LIMIT };
    const tracks = { minted: async (ids: Iterable<bigint>) => new Set(ids) };
    // Every signature passes and hashes to zero: the profile times the database, not the checks.
    const stub = { check: async (plays: readonly unknown[]) => plays.map(() => ({ valid: true, signatureHash: `0x${"00".repeat(32)}` as const })) };
    // One untimed request first, as the HTTP runs had a warm-up.
    await ingestPlays({ db, verifier: stub, tracks, rules, items: Array.from({ length: 100 }, nextItem), clientIp: "127.0.0.1" });
    start = performance.now();
    for (const batch of items) {
      const results = await ingestPlays({ db, verifier: stub, tracks, rules, items: batch, clientIp: "127.0.0.1" });
      if (results.some((result) => result.status !== "accepted")) throw new Error("profile play rejected");
    }
    const dbMs = (performance.now() - start) / items.length;
    // The server splits a 100-play request over its pool's threads (one per core), so its checks take about
    // verifyMs / cores of wall time; the rest of the serial latency is HTTP, JSON, zod and the answer.
    const poolMs = verifyMs / cpus().length;
    return { verifyMs, poolMs, dbMs, httpMs: Math.max(0, serialMs - poolMs - dbMs), totalMs: serialMs };
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

// ── PostgreSQL: a throwaway database on the given cluster ───────────────────────────────────────

// ── JSON-RPC bridge: the in-process chain over HTTP for the server process ──────────────────────

// ── Run ─────────────────────────────────────────────────────────────────────────────────────────
const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? "unknown", node: process.version, loadAverage1m: Number(loadavg()[0].toFixed(2)) };
log(`machine: ${machine.cores} cores, ${machine.cpu}, Node ${machine.node}, load average (1 min) ${machine.loadAverage1m} at start`);

const rates = await verifyRates();
const pglite = await benchBackend("PGlite", undefined);
const profile = await profileIngest(pglite.serial100.p50Ms);
const postgresUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
const postgres = postgresUrl === undefined ? undefined : await withPostgresDatabase(postgresUrl, (url) => benchBackend("PostgreSQL", url));
rpc.server.close();

const round = (value: number, digits = 0) => Number(value.toFixed(digits));
const figures = (suffix: string, result: Awaited<ReturnType<typeof benchBackend>>) => ({
  [`acceptedPerSecond.batch1${suffix}`]: round(result.batch1.acceptedPerSecond),
  [`acceptedPerSecond.batch100${suffix}`]: round(result.batch100.acceptedPerSecond),
  [`p50Ms.batch100${suffix}`]: round(result.batch100.p50Ms, 1),
  [`p99Ms.batch100${suffix}`]: round(result.batch100.p99Ms, 1),
  [`serverCpuUsPerPlay.batch1${suffix}`]: round(result.batch1.serverCpuUsPerPlay),
  [`serverCpuUsPerPlay.batch100${suffix}`]: round(result.batch100.serverCpuUsPerPlay),
});
const results = {
  ...figures("", pglite),
  ...memoryFigures("", pglite.memory.loaded),
  "verifyPerSecond.viem": round(rates.viem),
  "verifyPerSecond.relayer": round(rates.threads),
  "verifyPerSecond.relayerOneThread": round(rates.oneThread),
  ...(postgres === undefined ? {} : figures(".postgres", postgres)),
  ...(postgres === undefined ? {} : memoryFigures(".postgres", postgres.memory.loaded)),
  conditions: {
    ...machine,
    loadAverage1mAtEnd: Number(loadavg()[0].toFixed(2)),
    note: "server and load generator share the machine; other processes may have been running (see load average)",
    batch1: { requests: BATCH1.requests, playsPerRequest: 1, concurrency: BATCH1.concurrency },
    batch100: { requests: BATCH100.requests, playsPerRequest: 100, concurrency: BATCH100.concurrency },
    verify: `viem and relayerOneThread: one core, in the benchmark process; relayer: the server's worker-thread pool (${rates.poolThreads} threads), 100-play requests, 4 in flight`,
    profileMsPer100PlayRequest: {
      signaturesOneThread: round(profile.verifyMs, 2),
      signaturesPool: round(profile.poolMs, 2),
      database: round(profile.dbMs, 2),
      httpJsonZod: round(profile.httpMs, 2),
      endToEndSerial: round(profile.totalMs, 2),
    },
  },
};

/** The loaded relayer's RSS and its parts (MB) as result keys. */
function memoryFigures(suffix: string, memory: MemoryBreakdown) {
  return {
    [`rssMb${suffix}`]: memory.rssMb,
    [`rssMb.pgliteWasm${suffix}`]: memory.pgliteWasmMb,
    ...Object.fromEntries(Object.entries(memory.heaps).map(([kind, heap]) => [`rssMb.heap.${kind}${suffix}`, heap.physicalMb])),
    [`rssMb.mallocArenas${suffix}`]: memory.mallocArenasMb,
  };
}

/** One row per part, one column per store and moment. */
function memoryRows(stores: readonly (readonly [string, { idle: MemoryBreakdown; loaded: MemoryBreakdown }])[]) {
  const parts: [string, (memory: MemoryBreakdown) => string | number][] = [
    ["RSS (whole process)", (m) => m.rssMb],
    ["PGlite WASM memory", (m) => m.pgliteWasmMb],
    ...[...new Set(stores.flatMap(([, m]) => [...Object.keys(m.idle.heaps), ...Object.keys(m.loaded.heaps)]))].map(
      (kind) => [`V8 heap: ${HEAP_NAMES[kind] ?? `thread ${kind}`}`, (m: MemoryBreakdown) => (m.heaps[kind] === undefined ? "-" : `${m.heaps[kind].physicalMb} (used ${m.heaps[kind].usedMb})${m.heaps[kind].threads > 1 ? `, ${m.heaps[kind].threads} threads` : ""}`)] as [string, (memory: MemoryBreakdown) => string],
    ),
    ["malloc arenas (native)", (m) => m.mallocArenasMb],
    ["mapped files (code)", (m) => m.filesMb],
    ["other anonymous", (m) => m.otherMb],
  ];
  return Object.fromEntries(parts.map(([name, pick]) => [name, Object.fromEntries(stores.flatMap(([store, m]) => [[`${store} idle`, pick(m.idle)], [`${store} loaded`, pick(m.loaded)]]))]));
}

const row = (store: string, run: string, concurrency: number, f: Figures) => ({
  store,
  run,
  concurrency,
  requests: f.requests,
  "accepted/s": round(f.acceptedPerSecond),
  "p50 ms": round(f.p50Ms, 1),
  "p99 ms": round(f.p99Ms, 1),
  "server CPU µs/play": round(f.serverCpuUsPerPlay),
});
console.table([
  row("PGlite", "batch1", BATCH1.concurrency, pglite.batch1),
  row("PGlite", "batch100", BATCH100.concurrency, pglite.batch100),
  row("PGlite", "batch100 serial", 1, pglite.serial100),
  ...(postgres === undefined
    ? []
    : [
        row("PostgreSQL", "batch1", BATCH1.concurrency, postgres.batch1),
        row("PostgreSQL", "batch100", BATCH100.concurrency, postgres.batch100),
        row("PostgreSQL", "batch100 serial", 1, postgres.serial100),
      ]),
]);
console.table({
  "signature checks/s": { "viem (1 core)": round(rates.viem), "relayer (1 thread)": round(rates.oneThread), [`relayer (pool, ${rates.poolThreads} threads)`]: round(rates.threads) },
});
console.table({ "ms per 100-play request (serial, PGlite)": results.conditions.profileMsPer100PlayRequest });
log("relayer RSS by part, MB (idle: just started; loaded: after every run above; see bench/relayer/memory.ts):");
console.table(memoryRows([["PGlite", pglite.memory], ...(postgres === undefined ? [] : [["PostgreSQL", postgres.memory] as const])]));
if (postgres === undefined) log("PostgreSQL skipped: set TEST_DATABASE_URL (scripts/ci-postgres.sh starts a throwaway cluster)");

mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/relayer.json", JSON.stringify(results, null, 2) + "\n");
log("wrote bench/results/relayer.json");
