import type { LogLine } from "../log.js";
import type { Hex } from "viem";
import { ChainRevertError } from "../chain/errors.js";
import type { ChainWriter, MinedReceipt, SentTransaction } from "../chain/writer.js";
import type { Database } from "../repo/db/database.js";
import { SettlementStateError } from "../repo/errors.js";
import {
  analyzeSessions,
  closeAbandonedSessions,
  countSessionsToSettle,
  failSettlement,
  insertSettlement,
  loadSettlement,
  markSettled,
  recordSettlementTransaction,
  reopenSettlement,
  settlementStatus,
  unfinishedSettlementIds,
  type FrozenVoucher,
  type SettlementRecord,
  type SettlementStatus,
} from "../repo/settlements.js";
import { createCycleRunner, runPipeline, type PipelineLease, type StepHooks, type StepList } from "./machine.js";
import { driveTransaction } from "./transactions.js";

export type { SettlementRecord, SettlementStatus } from "../repo/settlements.js";
export type SettlementStep = "seal" | "submit" | "confirm";

/** What settlement needs of the vault (`createVaultWriter`): sending `settle`, following it, reading what it paid. */
export type SettlementWriter = Pick<ChainWriter, "transactionState" | "waitForReceipt"> & {
  settle(args: { vouchers: readonly FrozenVoucher[]; nonce?: number | undefined }): Promise<SentTransaction>;
  settledTotals(receipt: MinedReceipt): { totals: Map<Hex, bigint>; gasUsed: bigint };
  settledAmount(voucher: Pick<FrozenVoucher, "listener" | "artist" | "sessionId">): Promise<bigint>;
};

export type SettlementContext = {
  db: Database;
  writer: SettlementWriter;
  /** Most vouchers per `settle`. */
  maxVouchers: number;
  /** A voucher whose deadline is closer than this (seconds) is left out: the transaction might land after it. */
  deadlineMarginSeconds: number;
  /** Unix seconds. */
  now?: () => number;
};

/** The voucher settlement pipeline as the step machine runs it: sealed → submitted → settled (or failed). */
function settlementSteps(ctx: SettlementContext): StepList<SettlementStatus, SettlementStep> {
  return {
    next: { sealed: "submit", submitted: "confirm" },
    final: ["settled", "failed"],
    status: (id) => settlementStatus(ctx.db, id),
    async run(step, id) {
      if (step === "submit") await submitSettlement(ctx, id);
      else if (step === "confirm") await confirmSettlement(ctx, id);
      else throw new SettlementStateError(`settlement ${id}: ${step} is not a step of a sealed settlement`);
    },
    stuck: (id, status) => new SettlementStateError(`settlement ${id} is ${status}`),
  };
}

/** Unix seconds a voucher's deadline must lie beyond to be sealed: the transaction might land up to the margin later. */
function sealHorizon(ctx: SettlementContext): number {
  return (ctx.now?.() ?? Math.floor(Date.now() / 1000)) + ctx.deadlineMarginSeconds;
}

/**
 * Seal: freezes the latest stored voucher of up to `maxVouchers` sessions that hold more than their last settled
 * voucher into a new settlement (see `insertSettlement`).
 */
export function sealSettlement(ctx: SettlementContext): Promise<bigint | undefined> {
  return insertSettlement(ctx.db, sealHorizon(ctx), ctx.maxVouchers);
}

/**
 * Submit: sends `settle` with the frozen vouchers and records hash and nonce before anything waits on it. The vault
 * refusing one voucher refuses the call: a voucher-specific refusal (expired, a bad signature) marks the settlement
 * failed and takes that voucher out of circulation until a newer one arrives; the others go into the next seal. A
 * payee that is not a creator takes out every voucher of the settlement that pays it (the vault names the first).
 */
export async function submitSettlement(ctx: SettlementContext, id: bigint): Promise<void> {
  const settlement = await expectStatus(ctx, id, "sealed");
  let sent: SentTransaction;
  try {
    sent = await ctx.writer.settle({ vouchers: settlement.vouchers });
  } catch (error) {
    if (error instanceof ChainRevertError && VOUCHER_ERRORS.has(error.errorName)) {
      await failSettlement(ctx.db, id, error.message.slice(0, 1000), refusedVouchers(settlement, error));
      return;
    }
    throw error;
  }
  await recordSettlementTransaction(ctx.db, id, "sealed", sent);
}

const VOUCHER_ERRORS = new Set([
  "BeatStreamVaultVoucherExpired",
  "BeatStreamVaultInvalidSignature",
  "BeatStreamVaultZeroArtist",
  "BeatStreamVaultSelfPayment",
  "BeatStreamVaultNotCreator",
]);

/** The vouchers a named refusal rules out: the one at its index, and for a payee that is no creator every voucher to it. */
function refusedVouchers(settlement: SettlementRecord, error: ChainRevertError): FrozenVoucher[] {
  const index = typeof error.args[0] === "bigint" ? Number(error.args[0]) : -1;
  const named = settlement.vouchers[index];
  if (named === undefined) return [];
  if (error.errorName !== "BeatStreamVaultNotCreator") return [named];
  const artist = named.artist.toLowerCase();
  return settlement.vouchers.filter((voucher) => voucher.artist.toLowerCase() === artist);
}

/**
 * Confirm: drives the recorded transaction to a successful receipt — waiting for it, or resending the same vouchers
 * (with the same nonce while it is unused) when it was dropped or reverted — then records what the vault paid
 * each session. Resending is harmless: the vault pays only the increase over what a session already settled.
 */
export async function confirmSettlement(ctx: SettlementContext, id: bigint): Promise<void> {
  const settlement = await expectStatus(ctx, id, "submitted");
  if (settlement.txHash === null || settlement.txNonce === null) throw new SettlementStateError(`settlement ${id} is submitted without a transaction`);
  const receipt = await driveTransaction(ctx.writer, { hash: settlement.txHash, nonce: settlement.txNonce }, {
    async resend({ nonce }) {
      try {
        return await ctx.writer.settle({ vouchers: settlement.vouchers, nonce });
      } catch (error) {
        // Refused on resend (a voucher expired meanwhile): back to sealed, where submit sorts the voucher out.
        if (error instanceof ChainRevertError) await reopenSettlement(ctx.db, id, error.message.slice(0, 1000));
        throw error;
      }
    },
    record: (sent) => recordSettlementTransaction(ctx.db, id, "submitted", sent),
    // A receipt wait that times out leaves the transaction recorded: the next cycle looks at it again.
    onTimeout: "throw",
    exhausted: (hash, rounds) => new SettlementStateError(`settlement ${id}: transaction ${hash} still not successful after ${rounds} sends`),
  });
  if (receipt === undefined) throw new SettlementStateError(`settlement ${id}: no receipt`);
  // The vault's own totals per session: from the receipt's StreamSettled events, and for a voucher that paid nothing
  // in this transaction (already settled by an earlier send, or an empty balance) from `settledAmount`.
  const { totals, gasUsed } = ctx.writer.settledTotals(receipt);
  const settled = new Map<Hex, bigint>();
  for (const voucher of settlement.vouchers) {
    settled.set(voucher.sessionId, totals.get(voucher.sessionId) ?? (await ctx.writer.settledAmount(voucher)));
  }
  const sessions = settlement.vouchers.map((v) => ({ sessionId: v.sessionId, settled: settled.get(v.sessionId) ?? 0n, cumulativeAmount: v.cumulativeAmount }));
  await markSettled(ctx.db, id, sessions, receipt, gasUsed);
}

async function expectStatus(ctx: SettlementContext, id: bigint, status: SettlementStatus): Promise<SettlementRecord> {
  const settlement = await loadSettlement(ctx.db, id);
  if (settlement.status !== status) throw new SettlementStateError(`settlement ${id} is ${settlement.status}, not ${status}`);
  return settlement;
}

export type RunSettlementCycleParameters = Omit<StepHooks<SettlementStep>, "observeStep"> & {
  ctx: SettlementContext;
  /** Most new settlements sealed in one cycle (each is one transaction). */
  maxSettlements?: number;
  /**
   * Spread the new settlements over this long (ms, default 0: back to back): the sessions waiting are counted first
   * and the settlements paced evenly. Run back to back, a large cycle's transactions competed with voucher
   * acknowledgements for the CPU and the store for seconds.
   */
  spreadOverMs?: number;
  /** How a pause between settlements is waited out (the scheduler's ends early when a flush or a stop is waiting). */
  pause?: (ms: number) => Promise<void>;
};

export type RunSettlementCycleReturnType = { settled: bigint[]; failed: bigint[]; stopped: boolean };

/** How often a cycle refreshes the embedded store's planner statistics of the session table. */
const ANALYZE_EVERY_MS = 10 * 60_000;

/** A paced cycle spreads its settlements over half the interval, but never longer than this. */
const MAX_SPREAD_MS = 60_000;

/** Most new settlements one cycle seals (each is one transaction): 100,000 sessions at the default STREAM_SETTLE_MAX. */
const MAX_SETTLEMENTS_PER_CYCLE = 1_000;

/**
 * One settlement cycle: finishes every unfinished settlement (a crash leaves them sealed or submitted), then seals
 * and settles new ones until no session holds an unsettled voucher (or `maxSettlements` were made).
 */
export async function runSettlementCycle({ ctx, maxSettlements = MAX_SETTLEMENTS_PER_CYCLE, spreadOverMs = 0, ...hooks }: RunSettlementCycleParameters): Promise<RunSettlementCycleReturnType> {
  const run = await runPipeline({
    list: settlementSteps(ctx),
    unfinished: () => unfinishedSettlementIds(ctx.db),
    seal: { step: "seal", run: () => sealSettlement(ctx) },
    maxSeals: maxSettlements,
    ...(spreadOverMs > 0
      ? { paceMs: async () => Math.floor(spreadOverMs / Math.max(1, Math.ceil((await countSessionsToSettle(ctx.db, sealHorizon(ctx))) / ctx.maxVouchers))) }
      : {}),
    ...hooks,
  });
  return {
    settled: run.finished.filter(({ status }) => status === "settled").map(({ id }) => id),
    failed: run.finished.filter(({ status }) => status === "failed").map(({ id }) => id),
    stopped: run.stopped,
  };
}

export type SettlementScheduler = {
  start(): void;
  /** Settles soon (after `onCloseDelayMs`), for sessions that just ended; calls in that window share one cycle. */
  trigger(): void;
  /** Runs one cycle now, after any running one; `leased: false` when another process holds the lease. */
  runCycle(): Promise<RunSettlementCycleReturnType & { leased: boolean }>;
  /** Stops the timers and lets the running cycle finish its current step. */
  stop(): Promise<void>;
};

export type CreateSettlementSchedulerParameters = {
  ctx: SettlementContext;
  intervalMs: number;
  onCloseDelayMs: number;
  /** The play batcher's lease: one process settles, the one that commits plays (it also owns the account's nonces). */
  lease?: PipelineLease;
  /** Sessions marked open with no voucher for this long are marked closed by the cycle. */
  abandonedAfterSeconds: number;
  afterStep?: (step: SettlementStep, id: bigint) => Promise<void>;
  log?: LogLine;
};

/** Settles every `intervalMs` and soon after sessions end; cycles never overlap, and a failed one is retried next time. */
export function createSettlementScheduler({ ctx, intervalMs, onCloseDelayMs, lease, abandonedAfterSeconds, afterStep, log = () => {} }: CreateSettlementSchedulerParameters): SettlementScheduler {
  let interval: NodeJS.Timeout | undefined;
  let soon: NodeJS.Timeout | undefined;

  // Nothing analyzes PGlite's tables on its own: without statistics the planner guessed a handful of unsettled
  // sessions and sealed by sorting the whole table (10 ms for 10,000 sessions, a hundred times a minute) instead of
  // reading the unsettled index in order (0.4 ms). PostgreSQL's autovacuum keeps its own statistics.
  let analyzedAt = Number.NEGATIVE_INFINITY;
  const refreshPlannerStatistics = async () => {
    if (ctx.db.kind !== "pglite" || Date.now() - analyzedAt < ANALYZE_EVERY_MS) return;
    await analyzeSessions(ctx.db);
    analyzedAt = Date.now();
  };

  // Timed and on-close cycles spread their settlements over half the interval (a minute at most); one asked for (a
  // flush) runs flat out, and a paced cycle ahead of it in the queue stops pausing.
  const runner = createCycleRunner<boolean, RunSettlementCycleReturnType>({
    async cycle(paced, shouldStop) {
      await closeAbandonedSessions(ctx.db, abandonedAfterSeconds);
      await refreshPlannerStatistics();
      const result = await runSettlementCycle({
        ctx,
        shouldStop,
        ...(paced ? { spreadOverMs: Math.min(Math.floor(intervalMs / 2), MAX_SPREAD_MS), pause } : {}),
        ...(afterStep === undefined ? {} : { afterStep }),
      });
      if (result.settled.length > 0) log(`stream settlements settled: ${result.settled.join(", ")}`, { settlementIds: result.settled.map(String) });
      return result;
    },
    lease,
    stopped: () => ({ settled: [], failed: [], stopped: true }),
    notLeased: () => ({ settled: [], failed: [], stopped: false }),
  });

  // A pause between paced settlements, cut short when a flush is queued behind the cycle or the scheduler stops.
  let hurry = false;
  let wake = () => {};
  const pause = (ms: number) =>
    hurry || runner.stopping()
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const timer = setTimeout(done, ms);
          function done() {
            clearTimeout(timer);
            wake = () => {};
            resolve();
          }
          wake = done;
        });
  let flushes = 0;
  const runCycle = () => {
    flushes += 1;
    hurry = true;
    wake();
    return runner.run(false).finally(() => {
      flushes -= 1;
      hurry = flushes > 0;
    });
  };
  const background = () => {
    runner.run(true).catch((error) => log(`stream settlement cycle failed, retried next time: ${error instanceof Error ? error.message : String(error)}`, { level: "warn", err: error }));
  };

  return {
    start() {
      if (interval !== undefined || runner.stopping()) return;
      interval = setInterval(background, intervalMs);
      interval.unref();
    },
    trigger() {
      if (runner.stopping() || soon !== undefined) return;
      soon = setTimeout(() => {
        soon = undefined;
        background();
      }, onCloseDelayMs);
      soon.unref();
    },
    runCycle,
    async stop() {
      const stopping = runner.stop();
      wake();
      clearInterval(interval);
      clearTimeout(soon);
      await stopping;
    },
  };
}
