import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { pathToFileURL } from "node:url";
import { createAdaptorServer } from "@hono/node-server";
import { join } from "node:path";
import { http, type Transport } from "viem";
import { WebSocketServer } from "ws";
import { createApp } from "./api/app.js";
import { createMetrics, type RelayerMetrics } from "./api/metrics.js";
import { createSendLock, createSendLocks, type SendLocks } from "./chain/send-lock.js";
import { createReadClient, createSigningClients } from "./chain/client.js";
import { createChainReader } from "./chain/reader.js";
import { assertJobRoles, jobAddresses, jobKeys, RELAYER_JOBS, RELAYER_JOB_NAMES } from "./chain/roles.js";
import { createChainWriter } from "./chain/writer.js";
import { createHolderDistributionChain, type HolderDistributionChain } from "./chain/distributions.js";
import { loadConfig, type Config } from "./config.js";
import { openDatabase } from "./repo/db/open.js";
import type { Database } from "./repo/db/database.js";
import { loadDeployments, type Deployments } from "./deployments.js";
import { createRevenueReader } from "./chain/revenue.js";
import { createLogger, lineSink, messageLogger, type Logger, type LogLine } from "./log.js";
import { createBatcher, createBatchScheduler, type Batcher, type BatchLease, type BatchStep } from "./pipeline/batches.js";
import { createBatchLease } from "./pipeline/lease.js";
import { createCycleRunner, haltAfterStep } from "./pipeline/machine.js";
import { createPollingScheduler } from "./pipeline/scheduler.js";
import { createRollupJob, type RollupReturnType } from "./engagement/rollup.js";
import { createDistributionScheduler, DISTRIBUTION_STEPS, type DistributionScheduler } from "./pipeline/distributions.js";
import type { SettlementStep } from "./pipeline/settlements.js";
import { pruneRateCounters } from "./plays/ingest.js";
import { createTrackCatalog } from "./plays/tracks.js";
import { createArtistCatalog } from "./engagement/artists.js";
import { createEngagementVerifier } from "./crypto/engagement.js";
import { loadNativeAddons } from "./crypto/signatures.js";
import { createVerifierPool, type VerifierPool } from "./crypto/verify-pool.js";
import { LighthouseStore } from "./stores/lighthouse.js";
import { LocalCasStore } from "./stores/local-cas.js";
import { createStreamService, type StreamService } from "./stream/service.js";
import type { SnapshotStore } from "./stores/snapshot-store.js";

export type StartServerParameters = {
  config: Config;
  /** The chain transport; defaults to `http(config.RPC_URL)`. Tests pass Hardhat's in-process provider. */
  transport?: Transport;
  /** Every line as its plain message (tests, the CLI's injected stdout); absent, `logger` gets them. */
  log?: (message: string) => void;
  /** Structured logs (requests, batches, sessions); default: JSON on stdout (pretty on a terminal) at LOG_LEVEL. */
  logger?: Logger;
};
export type StartServerReturnType = {
  /** Base URL the API answers on. */
  url: string;
  /** Stops the batcher after its current step, stops accepting connections, lets in-flight requests finish, then closes the database. Idempotent. */
  close(): Promise<void>;
};

const PRUNE_INTERVAL_MS = 60_000;

/** Wires config, deployments, database and chain into the API and listens. */
export async function startServer({ config, transport, log: lineCallback, logger: givenLogger }: StartServerParameters): Promise<StartServerReturnType> {
  const logger = givenLogger ?? (lineCallback === undefined ? createLogger({ level: config.LOG_LEVEL }) : messageLogger(lineCallback, config.LOG_LEVEL));
  const log = lineSink(logger);
  // The test-only halt markers are a protocol with the crash tests, which read them as whole plain lines.
  const mark = lineCallback ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const deployments = await loadDeployments({ dir: config.DEPLOYMENTS_DIR, chainId: config.CHAIN_ID });
  const musicNFT = deployments.contracts.MusicNFT.address;
  // Loads the native addons first: without them the relayer must not start.
  loadNativeAddons();
  const vault = deployments.contracts.BeatStreamVault?.address;
  const verifier = createVerifierPool({ chainId: config.CHAIN_ID, musicNFT, threads: config.VERIFY_THREADS, ...(vault === undefined ? {} : { vault }) });
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  const client = createReadClient({ chainId: config.CHAIN_ID, rpcUrl: config.RPC_URL, transport });
  const reader = createChainReader({ client, musicNFT });
  const chainId = await reader.chainId().catch(() => undefined);
  const refuse = async (error: Error): Promise<never> => {
    await db.close();
    await verifier.close();
    throw error;
  };
  if (chainId !== undefined && chainId !== config.CHAIN_ID) {
    await refuse(new Error(`RPC ${config.RPC_URL} serves chain ${chainId}, but CHAIN_ID is ${config.CHAIN_ID}`));
  }
  // An unreachable RPC is not fatal: plays for tracks seen before still verify, and /healthz reports the chain.
  if (chainId === undefined) logger.warn(`warning: RPC ${config.RPC_URL} is unreachable; /healthz will report it, and the keys' roles are not checked`);
  const accounts = jobAddresses(config);
  // Every key must hold its job's role: a missing grant would otherwise surface as a revert on every commit or settle.
  if (chainId !== undefined) await assertJobRoles({ client, deployments, accounts }).catch(refuse);

  const metrics = createMetrics({ db });
  // Several processes may share one PostgreSQL: all ingest, the lease holder alone batches. Claimed now, so the
  // first process up is the batcher rather than whichever ticks first; the others retry it every cycle.
  const lease = createBatchLease({ databaseUrl: config.DATABASE_URL, log });
  if (!(await lease.acquire())) log("batch lease held by another process (or its connection failed): ingesting only, retried every cycle", { level: "warn" });
  const afterStep = testHaltAfter({ env: process.env, log: mark });
  // Play commits, metric reports and stream settlements share the lease; each account (one per job, or one for all)
  // has its own nonce lock.
  const sendLocks = createSendLocks();
  const sharedLease = serializeLease(lease);
  // One store for the batcher's writes and the API's reads of committed snapshots.
  const snapshots = createConfiguredStore(config);
  const batcher = createConfiguredBatcher({ config, deployments, db, transport: transport ?? http(config.RPC_URL), metrics, log, logger, store: snapshots, lease: sharedLease, sendLocks, ...(afterStep === undefined ? {} : { afterStep }) });
  const scheduler = createBatchScheduler({ batcher, db, intervalMs: config.BATCH_INTERVAL_MS, batchMax: config.BATCH_MAX, log });

  const stream = createConfiguredStream({ config, deployments, db, transport: transport ?? http(config.RPC_URL), metrics, log, mark, lease: sharedLease, sendLocks, reader, signatures: verifier });
  // Quarterly holder distributions: looked for every DISTRIBUTION_INTERVAL_MS (0: off), under the batcher's lease.
  const holderChain = config.DISTRIBUTION_INTERVAL_MS > 0 ? createConfiguredDistributions({ config, deployments, transport: transport ?? http(config.RPC_URL), metrics, sendLocks }) : undefined;
  const afterDistributionStep = testDistributionHaltAfter({ env: process.env, log: mark });
  const distributions: DistributionScheduler | undefined =
    holderChain === undefined
      ? undefined
      : createDistributionScheduler({ ctx: { db, chain: holderChain }, intervalMs: config.DISTRIBUTION_INTERVAL_MS, lease: sharedLease, log, ...(afterDistributionStep === undefined ? {} : { afterStep: afterDistributionStep }) });

  const tracks = createTrackCatalog({ reader, refreshIntervalMs: config.TRACK_REFRESH_MS });
  const stats = createStatsScheduler({ db, creatorOf: (trackId) => tracks.creatorOf(trackId), intervalMs: config.STATS_ROLLUP_INTERVAL_MS, log });

  const app = createApp({
    ...(stream === undefined ? {} : { stream }),
    db,
    chainId: config.CHAIN_ID,
    reader,
    tracks,
    verifier,
    metrics,
    batcher,
    snapshots,
    corsOrigins: config.CORS_ORIGINS,
    milestones: { plays: BigInt(config.MILESTONE_PLAYS), followers: BigInt(config.FOLLOWER_MILESTONE), revenue: BigInt(config.REVENUE_MILESTONE) },
    rules: {
      minPlaySeconds: config.MIN_PLAY_SECONDS,
      maxPlaySeconds: config.MAX_PLAY_SECONDS,
      maxAgeSeconds: config.PLAY_MAX_AGE_SECONDS,
      clockSkewSeconds: config.CLOCK_SKEW_SECONDS,
      listenerTrackPerHour: config.RATE_LIMIT_LISTENER_TRACK_PER_HOUR,
      listenerTrackPerDay: config.RATE_LIMIT_LISTENER_TRACK_PER_DAY,
      ipPerMinute: config.RATE_LIMIT_IP_PER_MINUTE,
    },
    maxPlaysPerRequest: config.MAX_PLAYS_PER_REQUEST,
    engagement: {
      verifier: createEngagementVerifier({ chainId: config.CHAIN_ID, musicNFT, signatures: verifier }),
      artists: createArtistCatalog({ reader, negativeTtlMs: config.TRACK_REFRESH_MS }),
      rules: {
        maxAgeSeconds: config.PLAY_MAX_AGE_SECONDS,
        clockSkewSeconds: config.CLOCK_SKEW_SECONDS,
        fanPerHour: config.ENGAGEMENT_RATE_LIMIT_FAN_PER_HOUR,
        fanPerDay: config.ENGAGEMENT_RATE_LIMIT_FAN_PER_DAY,
        ipPerMinute: config.ENGAGEMENT_RATE_LIMIT_IP_PER_MINUTE,
      },
      maxEventsPerRequest: config.MAX_EVENTS_PER_REQUEST,
    },
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    operatorApiKey: config.OPERATOR_API_KEY,
    trustProxy: config.TRUST_PROXY,
    now: () => Math.floor(Date.now() / 1000),
    logger,
  });

  // createAdaptorServer builds a plain node:http server for the plain-HTTP options used here; the WebSocket server
  // takes the upgrades Hono's upgradeWebSocket accepts (/v1/stream). Frames are small JSON; 64 KiB is plenty.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const server = createAdaptorServer({ fetch: app.fetch, websocket: { server: wss } }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.HOST}:${port}`;

  const prune = setInterval(() => {
    pruneRateCounters({ db }).catch((error) => log(`rate counter pruning failed: ${String(error)}`, { level: "warn", err: error }));
  }, PRUNE_INTERVAL_MS);
  prune.unref();
  scheduler.start();
  stream?.start();
  distributions?.start();
  stats.start();

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(prune);
      // Live sessions end as server_shutdown (resumable) before the sockets go; settlement stops after its step.
      await stream?.close();
      await distributions?.stop();
      // The current batch step finishes and is recorded; the next start resumes from it. A rollup chunk is one
      // transaction: it commits or leaves nothing.
      await scheduler.stop();
      await stats.stop();
      await lease.close();
      // close() stops accepting and resolves once in-flight requests have answered; idle keep-alive sockets
      // would otherwise hold it open, and so would WebSockets (clients that reconnected meanwhile included).
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of wss.clients) socket.terminate();
      server.closeIdleConnections();
      await closed;
      await verifier.close();
      await db.close();
    })());

  logger.info({ url, chainId: config.CHAIN_ID, musicNFT, store: db.kind }, `relayer listening on ${url} (chain ${config.CHAIN_ID}, MusicNFT ${musicNFT}, store ${db.kind})`);
  log(`keys: ${RELAYER_JOB_NAMES.map((job) => `${job} ${accounts[job]} (${RELAYER_JOBS[job].call})`).join(", ")}`);
  if (config.CHAIN_ID !== 31337 && new Set(Object.values(accounts)).size < RELAYER_JOB_NAMES.length) {
    logger.warn("warning: one key signs several jobs; give each its own (COMMITTER_, REPORTER_, SETTLER_PRIVATE_KEY) so a leaked key can do one job only");
  }
  if (stream === undefined) log("no BeatStreamVault in the deployments file: streaming routes are off");
  else log(`streaming on ${url.replace(/^http/, "ws")}/v1/stream (BeatStreamVault ${stream.vault})`);
  return { url, close };
}

export type CreateStatsSchedulerParameters = {
  db: Database;
  creatorOf(trackId: bigint): Promise<string>;
  intervalMs: number;
  log: LogLine;
};

/**
 * The statistics rollup beside the batch loop: every `intervalMs` it rolls what ingestion stored since into the
 * counters and buckets (engagement/rollup.ts), at most 50 chunks a cycle and then at once again while behind, so the
 * analytics trail ingestion by about one interval. Several processes on one PostgreSQL may all run it: the cursor
 * row lock makes their chunks take turns, and each chunk counts once.
 */
export function createStatsScheduler({ db, creatorOf, intervalMs, log }: CreateStatsSchedulerParameters) {
  const job = createRollupJob({ db, creatorOf });
  const runner = createCycleRunner<void, RollupReturnType>({
    cycle: () => job.run({ maxChunks: 50 }),
    stopped: () => ({ chunks: 0, plays: 0, events: 0, behind: false, horizonRaised: false }),
    notLeased: () => ({ chunks: 0, plays: 0, events: 0, behind: false, horizonRaised: false }),
  });
  return createPollingScheduler({
    run: () => runner.run(),
    drain: () => runner.stop(),
    intervalMs,
    pollMs: intervalMs,
    due: async () => false,
    again: async (result) => result.behind,
    onError: (error) => log(`statistics rollup failed (retried): ${error instanceof Error ? error.message : String(error)}`, { level: "warn", err: error }),
  });
}

export type CreateConfiguredBatcherParameters = {
  config: Config;
  deployments: Deployments;
  db: Database;
  transport: Transport;
  metrics: RelayerMetrics;
  log?: LogLine;
  /** Defaults to LighthouseStore with LIGHTHOUSE_API_KEY, else LocalCasStore in DATA_DIR/snapshots. */
  store?: SnapshotStore;
  /** Who may batch when several processes share the database; absent, this process always may. */
  lease?: BatchLease;
  afterStep?: (step: BatchStep, batchId: bigint) => Promise<void>;
  /** Each batch step's duration is logged here too. */
  logger?: Logger;
  /** The nonce lock of each account, shared with the stream settlements (whose key may be the same). */
  sendLocks?: SendLocks;
};

/** The snapshot store the configuration names: Lighthouse with LIGHTHOUSE_API_KEY, else LocalCasStore in DATA_DIR/snapshots. */
export function createConfiguredStore(config: Pick<Config, "LIGHTHOUSE_API_KEY" | "DATA_DIR">): SnapshotStore {
  return config.LIGHTHOUSE_API_KEY !== undefined ? new LighthouseStore({ apiKey: config.LIGHTHOUSE_API_KEY }) : new LocalCasStore({ dir: join(config.DATA_DIR, "snapshots") });
}

/** The batcher as the configuration describes it: signers (committer and reporter), snapshot store, retries, milestones. */
export function createConfiguredBatcher({ config, deployments, db, transport, metrics, log = lineSink(createLogger()), logger, store, lease, afterStep, sendLocks = createSendLocks() }: CreateConfiguredBatcherParameters): Batcher {
  const keys = jobKeys(config);
  const writer = createConfiguredWriter({ config, deployments, transport, metrics, key: keys.committer, sendLocks });
  const reporter = createConfiguredWriter({ config, deployments, transport, metrics, key: keys.reporter, sendLocks });
  const snapshots = store ?? createConfiguredStore(config);
  return createBatcher({
    ctx: {
      db,
      writer,
      reporter,
      store: snapshots,
      chainId: config.CHAIN_ID,
      musicNFT: deployments.contracts.MusicNFT.address,
      batchMax: config.BATCH_MAX,
      milestonePlays: BigInt(config.MILESTONE_PLAYS),
      milestoneFollowers: BigInt(config.FOLLOWER_MILESTONE),
      milestoneRevenue: BigInt(config.REVENUE_MILESTONE),
      revenue: createRevenueReader({
        publicClient: writer.publicClient,
        vault: deployments.contracts.BeatStreamVault?.address,
        creatorCoinFactory: deployments.contracts.CreatorCoinFactory.address,
        // Revenue cannot predate the protocol: the earliest of its contracts' deployment blocks.
        startBlock: BigInt(Math.min(...Object.values(deployments.contracts).map((contract) => contract.startBlock))),
        retry: { attempts: config.CHAIN_RETRY_ATTEMPTS, backoffMs: 250 },
      }),
      onStorageError: () => metrics.storageErrors.inc(),
    },
    observeStep: (step, seconds, batchId) => {
      metrics.batchStepDuration.observe({ step }, seconds);
      logger?.info({ step, ...(batchId === undefined ? {} : { batchId: batchId.toString() }), durationMs: Math.round(seconds * 1e5) / 100 }, `batch step ${step}`);
    },
    ...(lease === undefined ? {} : { lease }),
    ...(afterStep === undefined ? {} : { afterStep }),
    log,
  });
}

/** A chain writer signing with `key`, under that account's nonce lock. */
function createConfiguredWriter({ config, deployments, transport, metrics, key, sendLocks }: { config: Config; deployments: Deployments; transport: Transport; metrics?: RelayerMetrics | undefined; key: `0x${string}`; sendLocks: SendLocks }) {
  const { account, publicClient, walletClient } = createSigningClients({ chainId: config.CHAIN_ID, rpcUrl: config.RPC_URL, transport, key });
  const writer = createChainWriter({
    publicClient,
    walletClient,
    musicNFT: deployments.contracts.MusicNFT,
    creatorCoinFactory: deployments.contracts.CreatorCoinFactory.address,
    retry: { attempts: config.CHAIN_RETRY_ATTEMPTS, backoffMs: 250 },
    receiptTimeoutMs: config.TX_RECEIPT_TIMEOUT_MS,
    onError: (kind) => metrics?.chainErrors.inc({ kind }),
    sendLock: sendLocks(account.address),
  });
  return Object.assign(writer, { publicClient, walletClient });
}

export type CreateConfiguredStreamParameters = {
  config: Config;
  deployments: Deployments;
  db: Database;
  transport: Transport;
  metrics: RelayerMetrics;
  reader: Pick<ReturnType<typeof createChainReader>, "creatorOf">;
  lease?: BatchLease;
  /** The nonce lock of each account; settlements take the settler's. */
  sendLocks: SendLocks;
  /** The signature-check threads, built with the vault: vouchers are checked there. */
  signatures?: Pick<VerifierPool, "checkVouchers">;
  log?: LogLine;
  /** Where the test-only halt marker goes (a plain line); default `log`. */
  mark?: (line: string) => void;
};

/** Streaming as the configuration describes it, or undefined when the deployments file names no BeatStreamVault. */
export function createConfiguredStream({ config, deployments, db, transport, metrics, reader, lease, sendLocks, signatures, log = lineSink(createLogger()), mark = log }: CreateConfiguredStreamParameters): StreamService | undefined {
  const vault = deployments.contracts.BeatStreamVault;
  if (vault === undefined) return undefined;
  // Settlements sign with the settler's key (the vault's RELAYER_ROLE).
  const writer = createConfiguredWriter({ config, deployments, transport, metrics, key: jobKeys(config).settler, sendLocks });
  const afterSettlementStep = testStreamHaltAfter({ env: process.env, log: mark });
  return createStreamService({
    config,
    db,
    vault: vault.address,
    publicClient: writer.publicClient,
    walletClient: writer.walletClient,
    chainWriter: writer,
    sendLock: sendLocks(writer.account),
    ...(lease === undefined ? {} : { lease }),
    creatorOf: (trackId) => reader.creatorOf(trackId),
    registry: metrics.registry,
    ...(signatures === undefined ? {} : { signatures }),
    ...(afterSettlementStep === undefined ? {} : { afterSettlementStep }),
    log,
  });
}

/**
 * The batcher and the settlement scheduler share the one lease handle of this process; its acquire opens a
 * connection on first use, so two overlapping calls are queued instead of racing to open two.
 */
function serializeLease<Lease extends BatchLease>(lease: Lease): BatchLease {
  const lock = createSendLock();
  return { acquire: () => lock(() => lease.acquire()), release: () => lock(() => lease.release()) };
}

export type CreateConfiguredDistributionsParameters = {
  config: Config;
  deployments: Deployments;
  transport: Transport;
  metrics?: RelayerMetrics;
  sendLocks?: SendLocks;
};

/**
 * The vault's holder distributions on the settler's key (the call is permissionless; that key already talks to the
 * vault), or undefined when the deployments file names no BeatStreamVault.
 */
export function createConfiguredDistributions({ config, deployments, transport, metrics, sendLocks = createSendLocks() }: CreateConfiguredDistributionsParameters): HolderDistributionChain | undefined {
  const vault = deployments.contracts.BeatStreamVault;
  if (vault === undefined) return undefined;
  const chainWriter = createConfiguredWriter({ config, deployments, transport, metrics, key: jobKeys(config).settler, sendLocks });
  const { publicClient, walletClient } = chainWriter;
  const onError = (kind: "rpc" | "revert" | "timeout") => metrics?.chainErrors.inc({ kind });
  return createHolderDistributionChain({
    publicClient,
    walletClient,
    vault,
    chainWriter,
    sendLock: sendLocks(chainWriter.account),
    retry: { attempts: config.CHAIN_RETRY_ATTEMPTS, backoffMs: 250 },
    onError,
  });
}

/** TEST ONLY: RELAYER_TEST_DISTRIBUTION_HALT_AFTER=<step> halts the distribution pipeline after that step (see haltAfterStep). */
export function testDistributionHaltAfter({ env, log }: { env: Record<string, string | undefined>; log: (message: string) => void }) {
  return haltAfterStep({ variable: "RELAYER_TEST_DISTRIBUTION_HALT_AFTER", value: env.RELAYER_TEST_DISTRIBUTION_HALT_AFTER, steps: DISTRIBUTION_STEPS, who: "holder distribution", record: "distribution", log });
}

/**
 * TEST ONLY — never set it in production. `RELAYER_TEST_STREAM_HALT_AFTER=submit` stops stream settlement for good
 * right after a settlement's transaction is recorded (before its receipt) and prints
 * `RELAYER_TEST_STREAM_HALTED step=submit settlement=<id>`, so the crash test can SIGKILL the process there.
 */
export function testStreamHaltAfter({ env, log }: { env: Record<string, string | undefined>; log: (message: string) => void }) {
  const steps: readonly SettlementStep[] = ["seal", "submit", "confirm"];
  return haltAfterStep({ variable: "RELAYER_TEST_STREAM_HALT_AFTER", value: env.RELAYER_TEST_STREAM_HALT_AFTER, steps, who: "stream settlement", record: "settlement", log });
}

/**
 * TEST ONLY — never set it in production. `RELAYER_TEST_HALT_AFTER=seal|store|submit` makes the batcher stop for
 * good right after that step has been recorded, and print `RELAYER_TEST_HALTED step=<step> batch=<id>`, so the crash
 * tests can SIGKILL the process at exactly that point (after submit: the transaction hash is recorded, its receipt
 * is not). The process keeps ingesting; its batcher never advances again.
 */
export function testHaltAfter({ env, log }: { env: Record<string, string | undefined>; log: (message: string) => void }) {
  const steps: readonly BatchStep[] = ["seal", "store", "submit"];
  return haltAfterStep({ variable: "RELAYER_TEST_HALT_AFTER", value: env.RELAYER_TEST_HALT_AFTER, steps, who: "the batcher", record: "batch", log });
}

/** `npm run relayer:dev`: start from the environment, stop cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL });
  const relayer = await startServer({ config, logger });
  const stop = (signal: string) => {
    logger.info({ signal }, `${signal}: finishing in-flight requests, then closing the database`);
    relayer.close().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, "closing failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    createLogger().fatal({ err: error }, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    process.exit(1);
  });
}
