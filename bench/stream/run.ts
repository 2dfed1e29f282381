/**
 * Streaming benchmark: how many pay-per-second sessions one relayer process sustains on this machine, each paying a
 * signed voucher every 5 s (the default; each client at its own random phase, so vouchers arrive spread out as from
 * independent listeners, not in the clumps of sessions opened together), with no error, and how fast a voucher is
 * acknowledged (checked, stored durably in the default embedded store, answered) — end to end over real WebSockets on 127.0.0.1. Then what
 * `BeatStreamVault.settle` costs per voucher at 1 and at 100 vouchers per call.
 *
 *   npm run bench:stream   → prints a table, writes bench/results/stream.json
 *
 * Three processes: this one (Hardhat's in-process chain with the protocol deployed, served to the others over a
 * small JSON-RPC bridge), the relayer (`relayer/src/server.ts`, PGlite in a fresh DATA_DIR, default settings), and
 * the load generator (bench/stream/load.ts, the package's own client). Listeners are funded before any timing. The
 * sessions open at a steady pace, warm up, then every voucher signed in the measurement window is timed from its
 * signature to its ack. Settlement runs on its default schedule during the run; afterwards every session is
 * settled and the vault's balances are checked against what the clients were acknowledged. The same again on
 * PostgreSQL (figures with a `.postgres` suffix) when TEST_DATABASE_URL or DATABASE_URL is set.
 *
 * Environment: BENCH_STREAM_SESSIONS (default 10000), BENCH_STREAM_MEASURE_SECONDS (default 60), BENCH_STREAM_SWEEP
 * (session counts, comma-separated, e.g. `2500,5000,7500`: one more PGlite run at each, after the others, for the ack latency
 * at a lighter load and `sessionsWithinAckTarget`, the most sessions of any run that were clean with p99 < 50 ms).
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { network } from "hardhat";
import { getAddress, type Address, type Hex } from "viem";
import { deployProtocol } from "../../test/helpers/protocol.js";
import { packSignatures, signVoucher, vaultDomain, type StreamVoucher } from "../../test/helpers/vault/vouchers.js";
import { histogramQuantileMs, scrapeAckHistogram, serveJsonRpc, startBenchRelayer, withPostgresDatabase } from "../shared.js";
import { fundStreamListeners, streamListenerKeys } from "./listeners.js";

const SESSIONS = Number(process.env.BENCH_STREAM_SESSIONS ?? 10_000);
const SWEEP = (process.env.BENCH_STREAM_SWEEP ?? "")
  .split(",")
  .filter((part) => part.trim() !== "")
  .map((part) => {
    const sessions = Number(part);
    if (!Number.isInteger(sessions) || sessions <= 0) throw new Error(`BENCH_STREAM_SWEEP: "${part}" is not a session count`);
    return sessions;
  });
/** The ack p99 the issue sets (ms): `sessionsWithinAckTarget` counts runs below it. */
const ACK_P99_TARGET_MS = 50;
const MEASURE_SECONDS = Number(process.env.BENCH_STREAM_MEASURE_SECONDS ?? 60);
const SESSIONS_PER_LISTENER = 20;
const LISTENERS = Math.ceil(Math.max(SESSIONS, ...SWEEP) / SESSIONS_PER_LISTENER);
const RATE = 10n;
const DEPOSIT = 10_000_000n;
const OPERATOR_KEY = "bench-operator-key-0123456789";
const log = (line: string) => console.log(line);
const round = (value: number, digits = 0) => Number(value.toFixed(digits));

const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? "unknown", node: process.version, loadAverage1m: round(loadavg()[0] ?? 0, 2) };
log(`machine: ${machine.cores} cores, ${machine.cpu}, Node ${machine.node}, load average (1 min) ${machine.loadAverage1m} at start`);

// ── Chain ───────────────────────────────────────────────────────────────────────────────────────
const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { musicNFT, factory, vault, usdc } = await deployProtocol(connection);
const [, relayerSigner, creator] = await ethers.getSigners();
await (await musicNFT.connect(creator).mintTrack("ipfs://bench-stream-track", creator.address, 500)).wait();
const chainId = Number((await ethers.provider.getNetwork()).chainId);
const vaultAddress = getAddress(await vault.getAddress());
const usdcAddress = getAddress(await usdc.getAddress());
const artist = getAddress(creator.address);
const rpc = await serveJsonRpc(connection.provider);

// ── Gas: settle at 1 and 100 vouchers per call (first settlement of each session, then a repeat) ─
async function settleGas() {
  const domain = await vaultDomain(vault, BigInt(chainId));
  const wallets: InstanceType<typeof ethers.Wallet>[] = [];
  for (let index = 0; index < 101; index++) {
    const wallet = new ethers.Wallet(ethers.id(`bench-stream-gas-${index}`), ethers.provider);
    await networkHelpers.setBalance(wallet.address, ethers.parseEther("1"));
    await (await usdc.mint(wallet.address, 1_000_000n)).wait();
    await (await usdc.connect(wallet).approve(vaultAddress, 1_000_000n)).wait();
    await (await vault.connect(wallet).deposit(1_000_000n)).wait();
    wallets.push(wallet);
  }
  // A fixed deadline (2100-01-01): signatures and calldata, hence gas, are the same on every run.
  const far = 4_102_444_800n;
  const settle = async (from: number, to: number, amount: bigint) => {
    const vouchers: StreamVoucher[] = [];
    const signatures: string[] = [];
    for (const wallet of wallets.slice(from, to)) {
      const voucher = { listener: wallet.address, artist, sessionId: ethers.id(`session-${wallet.address}`), cumulativeAmount: amount, deadline: far };
      vouchers.push(voucher);
      signatures.push(await signVoucher(wallet, domain, voucher));
    }
    const receipt = await (await vault.connect(relayerSigner).settle(vouchers, packSignatures(signatures))).wait();
    return Number(receipt!.gasUsed) / vouchers.length;
  };
  const first = { 1: await settle(0, 1, 100n), 100: await settle(1, 101, 100n) };
  const repeat = { 1: await settle(0, 1, 200n), 100: await settle(1, 101, 200n) };
  return { first, repeat };
}
const gas = await settleGas();
log(`settle gas per voucher: ${round(gas.first[1])} (1 per call), ${round(gas.first[100])} (100 per call); repeat ${round(gas.repeat[1])} / ${round(gas.repeat[100])}`);

// ── Listeners: funded before any timing (impersonated, so no signing) ───────────────────────────
const keys = streamListenerKeys(LISTENERS);
const fundStart = performance.now();
await fundStreamListeners({ connection, listeners: keys, usdc: usdcAddress, vault: vaultAddress, deposit: DEPOSIT });
log(`funded ${LISTENERS} listeners in ${((performance.now() - fundStart) / 1000).toFixed(1)} s`);

// ── One run: a relayer process on a store, the load generator against it, then settle and check ─
type LoadResult = {
  opened: number;
  vouchersInWindow: number;
  vouchersPerSecond: number;
  ackP50Ms: number;
  ackP99Ms: number;
  ackMaxMs: number;
  errors: number;
  errorsInWindow: number;
  errorCodes: Record<string, number>;
  loadCpuPercent: number;
  sessions: { sessionId: Hex | null; listener: Address; spent: string; clean: boolean }[];
};
type RunResult = LoadResult & { sessionCount: number; serverCpuPercent: number; chainCpuPercent: number; serverAckP50Ms: number; serverAckP99Ms: number; mismatches: number; clean: boolean };

async function runOn(store: "PGlite" | "PostgreSQL", databaseUrl: string | undefined, sessions = SESSIONS): Promise<RunResult> {
  const dir = await mkdtemp(join(tmpdir(), "bench-stream-"));
  const balancesBefore = new Map<string, bigint>();
  for (const { address } of keys) balancesBefore.set(address, await vault.balanceOf(address));
  const server = await startBenchRelayer({
    dir,
    rpcUrl: rpc.url,
    chainId,
    contracts: { MusicNFT: getAddress(await musicNFT.getAddress()), CreatorCoinFactory: getAddress(await factory.getAddress()), BeatStreamVault: vaultAddress, MockUSDC: usdcAddress },
    databaseUrl,
    env: { OPERATOR_API_KEY: OPERATOR_KEY, BATCH_INTERVAL_MS: "86400000" },
    onLine: (line) => {
      if (/settle|failed|error/i.test(line)) log(`[relayer] ${line}`);
    },
  });
  const { url } = server;
  log(`${store}: relayer ${url} (pid ${server.pid})`);

  const keysFile = join(dir, "keys.json");
  writeFileSync(keysFile, JSON.stringify(keys));
  const input = {
    url: `${url.replace(/^http/, "ws")}/v1/stream`,
    chainId,
    vault: vaultAddress,
    artist,
    keysFile,
    sessions,
    ratePerSecond: RATE.toString(),
    openPerSecond: 500,
    warmupSeconds: 10,
    measureSeconds: MEASURE_SECONDS,
    resultFile: join(dir, "load-result.json"),
  };
  const serverCpuAt: { start?: number; end?: number } = {};
  const chainCpuAt: { start?: NodeJS.CpuUsage; end?: NodeJS.CpuUsage } = {};
  const histogramAt: { start?: Promise<Map<string, number>>; end?: Promise<Map<string, number>> } = {};
  const loader = spawn(process.execPath, ["--import", "tsx", "bench/stream/load.ts"], { env: { ...process.env, BENCH_STREAM: JSON.stringify(input) }, stdio: ["ignore", "pipe", "inherit"] });
  const load = await new Promise<LoadResult>((resolve, reject) => {
    loader.once("exit", (code) => reject(new Error(`load generator exited with ${code} before its result`)));
    createInterface({ input: loader.stdout! }).on("line", (line) => {
      if (line.startsWith("RESULT ")) resolve(JSON.parse(readFileSync(input.resultFile, "utf8")));
      else {
        log(line);
        if (line.includes("measuring for")) {
          serverCpuAt.start = server.cpuMs();
          chainCpuAt.start = process.cpuUsage();
          histogramAt.start = scrapeAckHistogram(url);
        }
        if (line.includes("stopping")) {
          serverCpuAt.end = server.cpuMs();
          chainCpuAt.end = process.cpuUsage(chainCpuAt.start);
          histogramAt.end = scrapeAckHistogram(url);
        }
      }
    });
  });
  const serverAck = await serverAckQuantiles(histogramAt.start, histogramAt.end);
  log(`${store}: server-side ack (arrival to ack, from /metrics buckets over the window): p50 ≤ ${serverAck.p50Ms} ms, p99 ≤ ${serverAck.p99Ms} ms`);
  const serverCpuPercent = serverCpuAt.start !== undefined && serverCpuAt.end !== undefined ? ((serverCpuAt.end - serverCpuAt.start) / 1000 / MEASURE_SECONDS) * 100 : Number.NaN;
  const chainCpuPercent = chainCpuAt.end === undefined ? Number.NaN : ((chainCpuAt.end.user + chainCpuAt.end.system) / 1e6 / MEASURE_SECONDS) * 100;
  log(`${store}: CPU over the window (% of one core): relayer ${round(serverCpuPercent)}, load generator ${round(load.loadCpuPercent)}, chain ${round(chainCpuPercent)}`);

  // Settle everything, then every listener's vault balance must have dropped by exactly what its sessions were acknowledged.
  const flush = await fetch(`${url}/v1/admin/settlements/flush`, { method: "POST", headers: { authorization: `Bearer ${OPERATOR_KEY}` } });
  const flushed = (await flush.json()) as { settled: string[]; failed: string[] };
  if (flush.status !== 200 || flushed.failed.length > 0) throw new Error(`settlement flush: ${flush.status} ${JSON.stringify(flushed)}`);
  const spentBy = new Map<string, bigint>();
  for (const session of load.sessions) spentBy.set(session.listener, (spentBy.get(session.listener) ?? 0n) + BigInt(session.spent));
  let mismatches = 0;
  for (const { address } of keys) {
    const balance = await vault.balanceOf(address);
    if ((balancesBefore.get(address) ?? 0n) - balance !== (spentBy.get(address) ?? 0n)) mismatches += 1;
  }
  const totalSpent = [...spentBy.values()].reduce((sum, value) => sum + value, 0n);
  log(`${store}: ${flushed.settled.length} settlement(s) after the run; ${mismatches} listener(s) whose vault balance differs from what their sessions were acknowledged (total ${totalSpent})`);
  await server.stop();
  await rm(dir, { recursive: true, force: true });
  const clean = load.errors === 0 && mismatches === 0 && load.opened === sessions;
  return { ...load, sessionCount: sessions, serverCpuPercent, chainCpuPercent, serverAckP50Ms: serverAck.p50Ms, serverAckP99Ms: serverAck.p99Ms, mismatches, clean };
}


const pglite = await runOn("PGlite", undefined);
const postgresUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
const postgres = postgresUrl === undefined ? undefined : await withPostgresDatabase(postgresUrl, (url) => runOn("PostgreSQL", url));
const sweep: RunResult[] = [];
for (const sessions of SWEEP) {
  log(`sweep: ${sessions} sessions on PGlite`);
  sweep.push(await runOn("PGlite", undefined, sessions));
}
rpc.server.close();
/** Every run, named for the log. */
const runs: [string, RunResult][] = [
  ["PGlite", pglite],
  ...(postgres === undefined ? [] : [["PostgreSQL", postgres] as [string, RunResult]]),
  ...sweep.map((run) => [`PGlite at ${run.sessionCount} sessions`, run] as [string, RunResult]),
];

// ── Report ──────────────────────────────────────────────────────────────────────────────────────
const sustained = (run: RunResult) => (run.clean ? run.sessionCount : run.sessions.filter((session) => session.clean).length);
const withinTarget = runs.filter(([, run]) => run.clean && run.ackP99Ms < ACK_P99_TARGET_MS).map(([, run]) => run.sessionCount);
const figures = (suffix: string, run: RunResult) => ({
  [`concurrentSessions${suffix}`]: sustained(run),
  [`voucherAckP99Ms${suffix}`]: round(run.ackP99Ms, 1),
  [`voucherAckP50Ms${suffix}`]: round(run.ackP50Ms, 1),
  [`vouchersPerSecond${suffix}`]: round(run.vouchersPerSecond),
  [`serverCpuPercent${suffix}`]: round(run.serverCpuPercent),
  [`serverAckP99MsBucket${suffix}`]: run.serverAckP99Ms,
});
const results = {
  ...figures("", pglite),
  "settleGasPerVoucher.1": round(gas.first[1]),
  "settleGasPerVoucher.100": round(gas.first[100]),
  "settleGasPerVoucher.repeat.1": round(gas.repeat[1]),
  "settleGasPerVoucher.repeat.100": round(gas.repeat[100]),
  ...(postgres === undefined ? {} : figures(".postgres", postgres)),
  ...Object.fromEntries(
    sweep.flatMap((run) => [
      [`sweep.${run.sessionCount}.voucherAckP99Ms`, round(run.ackP99Ms, 1)],
      [`sweep.${run.sessionCount}.voucherAckP50Ms`, round(run.ackP50Ms, 1)],
      [`sweep.${run.sessionCount}.serverCpuPercent`, round(run.serverCpuPercent)],
    ]),
  ),
  sessionsWithinAckTarget: Math.max(0, ...withinTarget),
  conditions: {
    ...machine,
    loadAverage1mAtEnd: round(loadavg()[0] ?? 0, 2),
    sessions: SESSIONS,
    listeners: LISTENERS,
    voucherIntervalSeconds: 5,
    measureSeconds: MEASURE_SECONDS,
    sweep: SWEEP,
    loadGeneratorCpuPercent: round(pglite.loadCpuPercent),
    chainCpuPercent: round(pglite.chainCpuPercent),
    errors: {
      pglite: pglite.errorCodes,
      ...(postgres === undefined ? {} : { postgres: postgres.errorCodes }),
      ...Object.fromEntries(sweep.map((run) => [`pglite.${run.sessionCount}`, run.errorCodes])),
    },
    vaultMismatches: runs.reduce((sum, [, run]) => sum + run.mismatches, 0),
    gas: "settleGasPerVoucher: receipt gasUsed / vouchers, 21,000 base included; first settlement of each session (a new storage slot); .repeat: a later voucher of the same sessions",
    note: "relayer, load generator and chain are separate processes sharing the machine (and other jobs: see the load average); ack latency is signature to ack as the client sees it",
  },
};
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/stream.json", `${JSON.stringify(results, null, 2)}\n`);
const row = (run: RunResult | undefined, pick: (run: RunResult) => number) => (run === undefined ? "-" : pick(run));
console.table({
  "concurrent sessions (no error)": { PGlite: sustained(pglite), PostgreSQL: row(postgres, sustained), target: "≥ 10,000" },
  "voucher ack p50 (ms)": { PGlite: round(pglite.ackP50Ms, 1), PostgreSQL: row(postgres, (r) => round(r.ackP50Ms, 1)), target: "" },
  "voucher ack p99 (ms)": { PGlite: round(pglite.ackP99Ms, 1), PostgreSQL: row(postgres, (r) => round(r.ackP99Ms, 1)), target: "< 50" },
  "vouchers per second": { PGlite: round(pglite.vouchersPerSecond), PostgreSQL: row(postgres, (r) => round(r.vouchersPerSecond)), target: "" },
  "relayer CPU (% of one core)": { PGlite: round(pglite.serverCpuPercent), PostgreSQL: row(postgres, (r) => round(r.serverCpuPercent)), target: "" },
  "settle gas per voucher, 1 per call": { PGlite: results["settleGasPerVoucher.1"], PostgreSQL: "", target: "" },
  "settle gas per voucher, 100 per call": { PGlite: results["settleGasPerVoucher.100"], PostgreSQL: "", target: "" },
  ...Object.fromEntries(
    sweep.map((run) => [`ack p99 / p50 (ms) at ${run.sessionCount} sessions`, { PGlite: `${round(run.ackP99Ms, 1)} / ${round(run.ackP50Ms, 1)}${run.clean ? "" : " (errors)"}`, PostgreSQL: "", target: `< ${ACK_P99_TARGET_MS}` }]),
  ),
  [`most sessions with ack p99 < ${ACK_P99_TARGET_MS} ms`]: { PGlite: results.sessionsWithinAckTarget, PostgreSQL: "", target: "≥ 10,000" },
});
log("wrote bench/results/stream.json");
for (const [name, run] of runs) {
  if (!run.clean) {
    log(`${name} NOT CLEAN: ${run.errors} error(s) ${JSON.stringify(run.errorCodes)}, ${run.mismatches} vault mismatch(es), ${run.opened}/${run.sessionCount} opened`);
    process.exitCode = 1;
  }
}

/** Upper bounds (ms) of the buckets holding the 50th and 99th percentile of the acks between two scrapes. */
async function serverAckQuantiles(start: Promise<Map<string, number>> | undefined, end: Promise<Map<string, number>> | undefined) {
  if (start === undefined || end === undefined) return { p50Ms: Number.NaN, p99Ms: Number.NaN };
  const [before, after] = [await start, await end];
  return { p50Ms: histogramQuantileMs(before, after, 0.5).ms, p99Ms: histogramQuantileMs(before, after, 0.99).ms };
}
