import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Account, Address, Chain, PublicClient, Transport, WalletClient } from "viem";
import type { BatchLease } from "../pipeline/batches.js";
import type { SendLock } from "../chain/send-lock.js";
import type { ChainWriter } from "../chain/writer.js";
import type { Config } from "../config.js";
import type { Database } from "../repo/db/database.js";
import type { VoucherToCheck } from "../crypto/signatures.js";
import type { VerifierPool } from "../crypto/verify-pool.js";
import { createCreatorCheck } from "./creators.js";
import { STREAM_ERROR_CODES } from "./errors.js";
import { createListenerFundsCache, type ListenerFundsCache } from "./funds.js";
import { createSessionManager, type SessionManager, type StreamRules } from "./sessions.js";
import { createSettlementScheduler, type SettlementScheduler, type SettlementStep } from "../pipeline/settlements.js";
import { createVaultReader, createVaultWriter, type VaultReader } from "../chain/vault.js";
import { createGroupCommit } from "./group-commit.js";
import type { StreamVoucher } from "../crypto/eip712.js";
import { createVoucherVerifier } from "../crypto/signatures.js";
import type { LogLine } from "../log.js";

/** What the stream routes need. */
export type StreamService = {
  vault: Address;
  manager: SessionManager;
  funds: ListenerFundsCache;
  reader: VaultReader;
  settlement: SettlementScheduler;
  rules: StreamRules;
  start(): void;
  /** Ends live sessions (resumable), then stops settlement after its current step. */
  close(): Promise<void>;
};

export type CreateStreamServiceParameters = {
  config: Config;
  db: Database;
  vault: Address;
  publicClient: PublicClient<Transport, Chain | undefined>;
  walletClient: WalletClient<Transport, Chain, Account>;
  /** A chain writer of the settler's account; its receipt handling is reused for settlements. */
  chainWriter: Pick<ChainWriter, "transactionState" | "waitForReceipt">;
  sendLock: SendLock;
  lease?: BatchLease;
  /** The creator a track pays (MusicNFT.creatorOf). */
  creatorOf(trackId: bigint): Promise<Address>;
  registry?: Registry;
  /**
   * The signature-check threads (built with this vault): vouchers are checked there, those arriving in one turn of
   * the event loop in one message, instead of on the thread that serves the sockets. Without it, checked here.
   */
  signatures?: Pick<VerifierPool, "checkVouchers">;
  afterSettlementStep?: (step: SettlementStep, id: bigint) => Promise<void>;
  log?: LogLine;
};

/** Pay-per-second streaming: sessions and vouchers in memory and in the database, settled in batches on BeatStreamVault. */
export function createStreamService({ config, db, vault, publicClient, walletClient, chainWriter, sendLock, lease, creatorOf, registry, signatures, afterSettlementStep, log = () => {} }: CreateStreamServiceParameters): StreamService {
  const chainId = config.CHAIN_ID;
  const verifier = signatures === undefined ? createVoucherVerifier({ chainId, vault }) : batchedVoucherChecks(signatures);
  const reader = createVaultReader({ client: publicClient, vault });
  const funds = createListenerFundsCache({ db, vault: reader, ttlMs: config.STREAM_BALANCE_TTL_MS });
  // The registry the vault itself asks at settlement (MusicNFT), so a session is refused exactly when settle would be.
  const creators = createCreatorCheck({ read: (account) => reader.isCreator(account) });
  const rules: StreamRules = {
    voucherIntervalSeconds: config.STREAM_VOUCHER_INTERVAL_SECONDS,
    graceSeconds: config.STREAM_GRACE_SECONDS,
    silenceSeconds: config.STREAM_SILENCE_SECONDS,
    minVoucherTtlSeconds: config.STREAM_MIN_VOUCHER_TTL_SECONDS,
    maxSessions: config.STREAM_MAX_SESSIONS,
  };
  // The gauge reads the manager at scrape time; the manager is built below.
  let liveCount = () => 0;
  const metrics = registry === undefined ? undefined : createStreamMetrics(registry, () => liveCount());
  const writer = createVaultWriter({
    publicClient,
    walletClient,
    vault,
    chainWriter,
    sendLock,
    retry: { attempts: config.CHAIN_RETRY_ATTEMPTS, backoffMs: 250 },
  });
  const settlement = createSettlementScheduler({
    ctx: { db, writer, maxVouchers: config.STREAM_SETTLE_MAX, deadlineMarginSeconds: 60 },
    intervalMs: config.STREAM_SETTLE_INTERVAL_MS,
    onCloseDelayMs: config.STREAM_SETTLE_ON_CLOSE_MS,
    // Twice the silence timeout: the owning process ends a silent session itself well before that.
    abandonedAfterSeconds: config.STREAM_SILENCE_SECONDS * 2,
    ...(lease === undefined ? {} : { lease }),
    ...(afterSettlementStep === undefined ? {} : { afterStep: afterSettlementStep }),
    log,
  });
  const manager = createSessionManager({
    db,
    verifier,
    funds,
    rules,
    creatorOf,
    isCreator: (account) => creators.isCreator(account),
    onEnded: (_sessionId, reason) => {
      metrics?.sessionsEnded.inc({ reason });
      settlement.trigger();
    },
    onVoucher: ({ code, seconds }) => {
      if (metrics === undefined) return;
      if (code === "accepted") {
        metrics.vouchersAccepted.inc();
        metrics.ackDuration.observe(seconds);
      } else metrics.vouchersRejected.inc({ code });
    },
    log,
  });
  liveCount = () => manager.liveCount();
  return {
    vault,
    manager,
    funds,
    reader,
    settlement,
    rules,
    start() {
      manager.start();
      settlement.start();
    },
    async close() {
      await manager.close();
      await settlement.stop();
    },
  };
}

/** Voucher signature checks on the signature-check threads, gathered per turn of the event loop into one message. */
function batchedVoucherChecks(signatures: Pick<VerifierPool, "checkVouchers">) {
  // The group commit's gathering, reused: one check message in flight, the next gathering what arrives meanwhile.
  const checks = createGroupCommit<VoucherToCheck, boolean>({ write: (items) => signatures.checkVouchers(items), maxItems: 2_000 });
  return { verify: (voucher: StreamVoucher, signature: `0x${string}`) => checks.submit({ voucher, signature }) };
}

function createStreamMetrics(registry: Registry, liveCount: () => number) {
  const vouchersAccepted = new Counter({ name: "relayer_stream_vouchers_accepted_total", help: "Stream vouchers acknowledged (stored)", registers: [registry] });
  const vouchersRejected = new Counter({
    name: "relayer_stream_vouchers_rejected_total",
    help: "Stream vouchers refused, by code",
    labelNames: ["code"] as const,
    registers: [registry],
  });
  for (const code of STREAM_ERROR_CODES) vouchersRejected.inc({ code }, 0);
  const ackDuration = new Histogram({
    name: "relayer_stream_voucher_ack_seconds",
    help: "Time from a voucher's arrival to its acknowledgement (checked and stored)",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const sessionsEnded = new Counter({ name: "relayer_stream_sessions_ended_total", help: "Stream sessions ended, by reason", labelNames: ["reason"] as const, registers: [registry] });
  new Gauge({
    name: "relayer_stream_sessions_live",
    help: "Live stream sessions in this process",
    registers: [registry],
    collect() {
      this.set(liveCount());
    },
  });
  return { vouchersAccepted, vouchersRejected, ackDuration, sessionsEnded };
}
