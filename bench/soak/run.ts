/**
 * Soak: one relayer under steady load for SOAK_MINUTES (default 10) — SOAK_PLAYS_PER_SECOND signed plays per second
 * (default 1,000, in requests of 10) plus SOAK_STREAMS open pay-per-second streams (default 1,000, a voucher each
 * every 5 s) — with its batches committed and its vouchers settled on the chain as in production (default batch
 * and settle schedules). Each minute it samples the relayer's RSS (and its parts: bench/relayer/memory.ts) and the
 * latency of that minute's play requests (client side) and voucher acks (the relayer's histogram), prints a table,
 * and the growth between minute 2 (after warm-up) and the last minute. Exits 1 when RSS or the play p99 grew by
 * SOAK_MAX_GROWTH_PERCENT (default 5) or more, or when a play was lost or counted twice.
 *
 *   npm run bench:soak                  → 10 minutes (not in CI), writes bench/results/soak.json
 *   SOAK_MINUTES=2 npm run bench:soak   → a short check; growth is then minute 1 → minute 2
 *
 * Processes: this one (Hardhat's in-process chain with the protocol deployed, over a JSON-RPC bridge on 127.0.0.1),
 * the relayer (relayer/src/server.ts, PGlite in a fresh DATA_DIR), the stream load (bench/stream/load.ts) and the
 * play load (bench/soak/plays.ts). At the end every accepted play is flushed on-chain and MusicNFT.totalPlays must
 * equal the plays the relayer accepted: nothing lost, nothing counted twice.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { network } from "hardhat";
import { bytesToHex, getAddress } from "viem";
import { deployProtocol } from "../../test/helpers/protocol.js";
import type { MemoryBreakdown } from "../relayer/memory.js";
import { fundStreamListeners, streamListenerKeys } from "../stream/listeners.js";
import { histogramQuantileMs, scrapeAckHistogram, serveJsonRpc, startBenchRelayer } from "../shared.js";
import type { DoneLine, MinuteLine } from "./plays.js";

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const PLAYS_PER_SECOND = Number(process.env.SOAK_PLAYS_PER_SECOND ?? 1_000);
const STREAMS = Number(process.env.SOAK_STREAMS ?? 1_000);
const MAX_GROWTH_PERCENT = Number(process.env.SOAK_MAX_GROWTH_PERCENT ?? 5);
const PLAYS_PER_REQUEST = 10;
const TRACKS = 20;
/** Listener × track pairs: 2,000 × 20 keep every pair far under the 60-plays-per-hour rule for 10 minutes at 1,000/s. */
const PLAY_LISTENERS = 2_000;
const SESSIONS_PER_LISTENER = 20;
const STREAM_RATE = 10n;
const DEPOSIT = 10_000_000n;
const OPERATOR_KEY = `soak-${bytesToHex(randomBytes(8))}`;
if (!Number.isInteger(MINUTES) || MINUTES < 2) throw new Error("SOAK_MINUTES must be an integer ≥ 2");
const log = (line: string) => console.log(`[soak ${clock()}] ${line}`);
const began = Date.now();
const clock = () => {
  const seconds = Math.floor((Date.now() - began) / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
};
const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? "unknown", node: process.version, loadAverage1m: Number((loadavg()[0] ?? 0).toFixed(2)) };
log(`${MINUTES} min at ${PLAYS_PER_SECOND} plays/s + ${STREAMS} streams; machine: ${machine.cores} cores, load average ${machine.loadAverage1m}`);

// ── Chain: the protocol, tracks, and funded stream listeners (impersonated: no signing) ────────────
const connection = await network.create();
const { ethers } = connection;
const { musicNFT, factory, vault, usdc } = await deployProtocol(connection);
const [, , creator] = await ethers.getSigners();
for (let index = 0; index < TRACKS; index++) await (await musicNFT.connect(creator).mintTrack(`ipfs://soak-track-${index + 1}`, creator.address, 500)).wait();
const chainId = Number((await ethers.provider.getNetwork()).chainId);
const musicNFTAddress = getAddress(await musicNFT.getAddress());
const vaultAddress = getAddress(await vault.getAddress());
const usdcAddress = getAddress(await usdc.getAddress());
const rpc = await serveJsonRpc(connection.provider);

const streamKeys = streamListenerKeys(Math.ceil(STREAMS / SESSIONS_PER_LISTENER));
await fundStreamListeners({ connection, listeners: streamKeys, usdc: usdcAddress, vault: vaultAddress, deposit: DEPOSIT });
log(`chain ready: ${TRACKS} tracks, ${streamKeys.length} stream listeners funded`);

// ── The relayer, default batching and settling ───────────────────────────────────────────────────
const dir = await mkdtemp(join(tmpdir(), "bench-soak-"));
const relayer = await startBenchRelayer({
  dir,
  rpcUrl: rpc.url,
  chainId,
  contracts: { MusicNFT: musicNFTAddress, CreatorCoinFactory: getAddress(await factory.getAddress()), BeatStreamVault: vaultAddress, MockUSDC: usdcAddress },
  memoryProbe: true,
  env: {
    OPERATOR_API_KEY: OPERATOR_KEY,
    // Every request comes from 127.0.0.1.
    RATE_LIMIT_IP_PER_MINUTE: "100000000",
  },
  onLine: (line) => {
    if (/failed|error/i.test(line)) log(`[relayer] ${line.slice(0, 300)}`);
  },
});
log(`relayer ${relayer.url} (pid ${relayer.pid})`);
const children: ChildProcess[] = [];
const stopAll = async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await relayer.stop();
  rpc.server.close();
  await rm(dir, { recursive: true, force: true });
};

type Sample = { minute: number; plays: MinuteLine; voucherAckP99Ms: number; vouchers: number; memory: MemoryBreakdown };
const samples: Sample[] = [];
let playsDone: DoneLine | undefined;
let streamResult: { opened: number; errors: number; errorCodes: Record<string, number>; ackP99Ms: number; ackP50Ms: number; vouchersPerSecond: number } | undefined;

try {
  // ── Streams first (opened, warm), then the plays; one sample per minute of the play load ────────
  const streamInput = {
    url: `${relayer.url.replace(/^http/, "ws")}/v1/stream`,
    chainId,
    vault: vaultAddress,
    artist: getAddress(creator.address),
    keysFile: join(dir, "keys.json"),
    sessions: STREAMS,
    ratePerSecond: STREAM_RATE.toString(),
    openPerSecond: 200,
    warmupSeconds: 5,
    // Until the plays are done and the last minute sampled.
    measureSeconds: MINUTES * 60 + 15,
    resultFile: join(dir, "streams.json"),
  };
  writeFileSync(streamInput.keysFile, JSON.stringify(streamKeys));
  const streams = spawn(process.execPath, ["--import", "tsx", "bench/stream/load.ts"], { env: { ...process.env, BENCH_STREAM: JSON.stringify(streamInput) }, stdio: ["ignore", "pipe", "inherit"] });
  children.push(streams);
  const streamsDone = new Promise<void>((resolve, reject) => {
    streams.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`stream load exited with ${code}`))));
  });
  await new Promise<void>((resolve, reject) => {
    streams.once("exit", (code) => reject(new Error(`stream load exited with ${code} before measuring`)));
    createInterface({ input: streams.stdout! }).on("line", (line) => {
      if (line.startsWith("RESULT")) return;
      log(`[streams] ${line}`);
      if (line.includes("measuring for")) resolve();
    });
  });

  const playsBefore = await musicNFT.totalPlays();
  let histogram = await scrapeAckHistogram(relayer.url);
  const playsInput = { url: relayer.url, chainId, musicNFT: musicNFTAddress, tracks: TRACKS, listeners: PLAY_LISTENERS, playsPerSecond: PLAYS_PER_SECOND, playsPerRequest: PLAYS_PER_REQUEST, seconds: MINUTES * 60, maxInFlight: 64 };
  const plays = spawn(process.execPath, ["--import", "tsx", "bench/soak/plays.ts"], { env: { ...process.env, SOAK_PLAYS: JSON.stringify(playsInput) }, stdio: ["ignore", "pipe", "inherit"] });
  children.push(plays);
  // Sampled as each minute ends (the relayer's memory and ack histogram now; the plays' latencies once answered).
  const sampled: Promise<void>[] = [];
  const minuteMarks = new Map<number, Promise<Omit<Sample, "plays">>>();
  let minute = 0;
  const timer = setInterval(() => {
    minute += 1;
    const at = minute;
    minuteMarks.set(
      at,
      (async () => {
        const memory = await relayer.memory();
        const now = await scrapeAckHistogram(relayer.url);
        const { ms: p99Ms, count } = histogramQuantileMs(histogram, now, 0.99);
        histogram = now;
        return { minute: at, memory, voucherAckP99Ms: p99Ms, vouchers: count };
      })(),
    );
    if (minute >= MINUTES) clearInterval(timer);
  }, 60_000);
  await new Promise<void>((resolve, reject) => {
    plays.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`play load exited with ${code}`))));
    createInterface({ input: plays.stdout! }).on("line", (line) => {
      if (line.startsWith("MINUTE ")) {
        const playsMinute = JSON.parse(line.slice(7)) as MinuteLine;
        sampled.push(
          (async () => {
            const mark = await waitForMark(minuteMarks, playsMinute.minute);
            const sample = { ...mark, plays: playsMinute };
            samples.push(sample);
            log(
              `minute ${sample.minute}: ${Math.round(playsMinute.accepted / 60)} plays/s accepted (${playsMinute.failed} failed, ${playsMinute.dropped} dropped), play p99 ${playsMinute.p99Ms} ms, ` +
                `voucher ack p99 ≤ ${sample.voucherAckP99Ms} ms (${sample.vouchers}), RSS ${sample.memory.rssMb} MB`,
            );
          })(),
        );
      } else if (line.startsWith("DONE ")) playsDone = JSON.parse(line.slice(5));
      else log(`[plays] ${line}`);
    });
  });
  clearInterval(timer);
  await Promise.all(sampled);
  await streamsDone;
  streamResult = JSON.parse(readFileSync(streamInput.resultFile, "utf8"));

  // ── Nothing lost, nothing doubled: every accepted play on-chain exactly once ────────────────────
  for (let attempt = 0; ; attempt++) {
    await operatorPost(relayer.url, "/v1/admin/flush");
    const status = (await (await fetch(`${relayer.url}/v1/admin/status`, { headers: { authorization: `Bearer ${OPERATOR_KEY}` } })).json()) as { batches: Record<string, number>; pendingPlays: number };
    if (status.pendingPlays === 0 && Object.entries(status.batches).every(([name, count]) => name === "committed" || count === 0)) break;
    if (attempt > 60) throw new Error(`the relayer still has pending plays: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  const onChain = (await musicNFT.totalPlays()) - playsBefore;
  log(`flushed: ${onChain} plays committed on-chain during the soak; the play load was told ${playsDone?.accepted} accepted`);
  const report = summarise(Number(onChain));
  await stopAll();
  process.exit(report.pass ? 0 : 1);
} catch (error) {
  log(`soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await stopAll();
  process.exit(1);
}

function summarise(onChain: number) {
  samples.sort((a, b) => a.minute - b.minute);
  const round1 = (value: number) => Math.round(value * 10) / 10;
  const rows = samples.map((s) => ({
    minute: s.minute,
    "plays/s accepted": Math.round(s.plays.accepted / 60),
    // Requests the load could not send because 64 were still unanswered: the relayer was behind.
    "requests dropped": s.plays.dropped,
    "play p50 ms": s.plays.p50Ms,
    "play p99 ms": s.plays.p99Ms,
    // The relayer's histogram ends at 1 s: above it, the bucket says only "more".
    "voucher ack p99 ms (≤ bucket)": Number.isFinite(s.voucherAckP99Ms) ? s.voucherAckP99Ms : "> 1000",
    "vouchers/s": Math.round(s.vouchers / 60),
    "RSS MB": s.memory.rssMb,
    "PGlite WASM MB": s.memory.pgliteWasmMb,
    "main heap MB (used)": `${s.memory.heaps.main?.physicalMb ?? 0} (${s.memory.heaps.main?.usedMb ?? 0})`,
    "malloc MB": s.memory.mallocArenasMb,
  }));
  console.table(rows);
  // Minute 2 (warm) against the last; a 2-minute check compares minute 1 with minute 2.
  const from = samples.find((s) => s.minute === (MINUTES >= 3 ? 2 : 1));
  const to = samples.at(-1);
  const growth = (pick: (s: Sample) => number) => (from === undefined || to === undefined ? Number.NaN : round1(((pick(to) - pick(from)) / pick(from)) * 100));
  const rssGrowthPercent = growth((s) => s.memory.rssMb);
  const p99GrowthPercent = growth((s) => s.plays.p99Ms);
  const voucherP99GrowthPercent = growth((s) => s.voucherAckP99Ms);
  const accepted = playsDone?.accepted ?? Number.NaN;
  const exact = onChain === accepted;
  const failures = [
    ...(rssGrowthPercent < MAX_GROWTH_PERCENT ? [] : [`RSS grew ${rssGrowthPercent} % (minute ${from?.minute} → ${to?.minute})`]),
    ...(p99GrowthPercent < MAX_GROWTH_PERCENT ? [] : [`play p99 grew ${p99GrowthPercent} % (minute ${from?.minute} → ${to?.minute})`]),
    ...(exact ? [] : [`on-chain plays ${onChain} ≠ accepted ${accepted}`]),
    ...(samples.length === MINUTES ? [] : [`${samples.length} of ${MINUTES} minutes sampled`]),
  ];
  log(`growth minute ${from?.minute} → ${to?.minute}: RSS ${rssGrowthPercent} %, play p99 ${p99GrowthPercent} %, voucher ack p99 ${voucherP99GrowthPercent} % (goal < ${MAX_GROWTH_PERCENT} % for RSS and play p99)`);
  log(`streams: ${streamResult?.opened}/${STREAMS} open, ${streamResult?.errors} errors ${JSON.stringify(streamResult?.errorCodes)}, ack p99 ${round1(streamResult?.ackP99Ms ?? Number.NaN)} ms over the run (client side)`);
  log(failures.length === 0 ? "PASS" : `FAIL: ${failures.join("; ")}`);
  const results = {
    minutes: MINUTES,
    playsPerSecond: PLAYS_PER_SECOND,
    streams: STREAMS,
    rssGrowthPercent,
    playP99GrowthPercent: p99GrowthPercent,
    voucherAckP99GrowthPercent: voucherP99GrowthPercent,
    playsAccepted: accepted,
    playsOnChain: onChain,
    playsFailedRequests: playsDone?.failed ?? Number.NaN,
    streamErrors: streamResult?.errors ?? Number.NaN,
    streamAckP99Ms: round1(streamResult?.ackP99Ms ?? Number.NaN),
    table: rows,
    conditions: {
      ...machine,
      loadAverage1mAtEnd: Number((loadavg()[0] ?? 0).toFixed(2)),
      growth: `minute ${from?.minute} → minute ${to?.minute}`,
      playLoadCpuPercent: playsDone?.cpuPercent,
      playsPerRequest: PLAYS_PER_REQUEST,
      voucherIntervalSeconds: 5,
      note: "relayer, chain, play load and stream load share the machine with other jobs (see the load average); voucher ack p99 is the upper bound of the relayer's histogram bucket",
    },
  };
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/soak.json", `${JSON.stringify(results, null, 2)}\n`);
  log("wrote bench/results/soak.json");
  return { pass: failures.length === 0 };
}

async function waitForMark<T>(marks: Map<number, Promise<T>>, minute: number): Promise<T> {
  for (;;) {
    const mark = marks.get(minute);
    if (mark !== undefined) return mark;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function operatorPost(url: string, path: string): Promise<void> {
  const response = await fetch(`${url}${path}`, { method: "POST", headers: { authorization: `Bearer ${OPERATOR_KEY}` } });
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
}
