import type { Hex } from "viem";
import { ChainRevertError } from "../chain/errors.js";
import type { BatchLease } from "../batcher/cycle.js";
import type { MinedReceipt, SentTransaction } from "../chain/writer.js";
import type { Database } from "../repo/db/database.js";
import { RelayerError } from "../errors.js";
import { bySessionId, closeAbandonedSessions } from "../repo/sessions.js";
import type { SignedVoucher, VaultWriter } from "../chain/vault.js";

export type SettlementStatus = "sealed" | "submitted" | "settled" | "failed";
export type SettlementStep = "seal" | "submit" | "confirm";

export type SettlementContext = {
  db: Database;
  writer: VaultWriter;
  /** Most vouchers per `settle`. */
  maxVouchers: number;
  /** A voucher whose deadline is closer than this (seconds) is left out: the transaction might land after it. */
  deadlineMarginSeconds: number;
  /** Unix seconds. */
  now?: () => number;
};

/** A settlement as a step reads it. */
export type SettlementRecord = {
  id: bigint;
  status: SettlementStatus;
  vouchers: SignedVoucher[];
  txHash: Hex | null;
  txNonce: number | null;
};

/** The setttlement ran into a state its step cannot act on. */
export class SettlementStateError extends RelayerError {
  override name = "SettlementStateError";
  constructor(message: string) {
    super("settlement_state", message);
  }
}

type VoucherJson = { listener: Hex; artist: Hex; sessionId: Hex; cumulativeAmount: string; deadline: string; signature: Hex };

function encodeVouchers(vouchers: readonly SignedVoucher[]): string {
  return JSON.stringify(
    vouchers.map((v): VoucherJson => ({ ...v, cumulativeAmount: v.cumulativeAmount.toString(), deadline: v.deadline.toString() })),
  );
}

function decodeVouchers(text: string): SignedVoucher[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new SettlementStateError("stored vouchers are not a list");
  return parsed.map((item: VoucherJson) => ({
    listener: item.listener,
    artist: item.artist,
    sessionId: item.sessionId,
    cumulativeAmount: BigInt(item.cumulativeAmount),
    deadline: BigInt(item.deadline),
    signature: item.signature,
  }));
}

/** A settlement's status alone (its vouchers are tens of kilobytes: the cycle checks status after every step). */
async function settlementStatus(db: Database, id: bigint): Promise<SettlementStatus> {
  const { rows } = await db.query<{ status: SettlementStatus }>(`SELECT status FROM stream_settlements WHERE id = $1`, [id.toString()]);
  const row = rows[0];
  if (row === undefined) throw new SettlementStateError(`settlement ${id} does not exist`);
  return row.status;
}

export async function loadSettlement(db: Database, id: bigint): Promise<SettlementRecord> {
  const { rows } = await db.query<{ id: string; status: SettlementStatus; vouchers: string; tx_hash: string | null; tx_nonce: string | null }>(
    `SELECT id::text, status, vouchers, tx_hash, tx_nonce::text FROM stream_settlements WHERE id = $1`,
    [id.toString()],
  );
  const row = rows[0];
  if (row === undefined) throw new SettlementStateError(`settlement ${id} does not exist`);
  return {
    id,
    status: row.status,
    vouchers: decodeVouchers(row.vouchers),
    txHash: row.tx_hash === null ? null : `0x${row.tx_hash.slice(2)}`,
    txNonce: row.tx_nonce === null ? null : Number(row.tx_nonce),
  };
}

/**
 * The sessions a seal takes: an unsettled voucher, not carried by a settlement yet, and a deadline beyond `$1`
 * (`sealHorizon`). The seal and the count that paces a cycle share it.
 */
const WAITING = `unsettled AND settling_id IS NULL AND deadline > $1`;

/** Unix seconds a voucher's deadline must lie beyond to be sealed: the transaction might land up to the margin later. */
function sealHorizon(ctx: SettlementContext): number {
  return (ctx.now?.() ?? Math.floor(Date.now() / 1000)) + ctx.deadlineMarginSeconds;
}

/**
 * Seal: freezes the latest stored voucher of up to `maxVouchers` sessions that hold more than their last settled
 * voucher into a new settlement, sorted by artist (the vault writes an artist's earnings once per run), and marks
 * those sessions as carried by it — one statement, so a session is never in two unfinished settlements.
 *
 * One statement rather than a transaction of four: on the embedded store a transaction holds the only connection
 * across every round trip to the PGlite thread, and voucher writes queued behind it waited that long. The rows are
 * locked in session-id order, as voucher writes lock them, so the two cannot deadlock on PostgreSQL; a session
 * another process sealed meanwhile drops out when its lock is taken (`settling_id` is checked again then).
 */
export async function sealSettlement(ctx: SettlementContext): Promise<bigint | undefined> {
  const { rows } = await ctx.db.query<{ id: string }>(
    `WITH picked AS MATERIALIZED (
            SELECT session_id FROM stream_sessions WHERE ${WAITING} ORDER BY artist, session_id LIMIT $2),
          locked AS MATERIALIZED (
            SELECT s.session_id, s.listener, s.artist, s.cumulative, s.deadline, s.signature FROM stream_sessions s
             WHERE s.session_id IN (SELECT session_id FROM picked) AND s.settling_id IS NULL
             ORDER BY s.session_id FOR UPDATE),
          settlement AS (
            INSERT INTO stream_settlements (voucher_count, vouchers)
            SELECT count(*), json_agg(json_build_object('listener', listener, 'artist', artist, 'sessionId', session_id,
                     'cumulativeAmount', cumulative::text, 'deadline', deadline::text, 'signature', signature) ORDER BY artist, session_id)::text
              FROM locked HAVING count(*) > 0
            RETURNING id),
          marked AS (
            UPDATE stream_sessions s SET settling_id = settlement.id FROM settlement
             WHERE s.session_id IN (SELECT session_id FROM locked))
     SELECT id::text FROM settlement`,
    [sealHorizon(ctx), ctx.maxVouchers],
  );
  const id = rows[0]?.id;
  return id === undefined ? undefined : BigInt(id);
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
    if (error instanceof ChainRevertError && (await failOnVoucherRevert(ctx, settlement, error))) return;
    throw error;
  }
  await recordTransaction(ctx, id, "sealed", sent);
}

const VOUCHER_ERRORS = new Set([
  "BeatStreamVaultVoucherExpired",
  "BeatStreamVaultInvalidSignature",
  "BeatStreamVaultZeroArtist",
  "BeatStreamVaultSelfPayment",
  "BeatStreamVaultNotCreator",
]);

/** The vouchers a named refusal rules out: the one at its index, and for a payee that is no creator every voucher to it. */
function refusedVouchers(settlement: SettlementRecord, error: ChainRevertError): SignedVoucher[] {
  const index = typeof error.args[0] === "bigint" ? Number(error.args[0]) : -1;
  const named = settlement.vouchers[index];
  if (named === undefined) return [];
  if (error.errorName !== "BeatStreamVaultNotCreator") return [named];
  const artist = named.artist.toLowerCase();
  return settlement.vouchers.filter((voucher) => voucher.artist.toLowerCase() === artist);
}

async function failOnVoucherRevert(ctx: SettlementContext, settlement: SettlementRecord, error: ChainRevertError): Promise<boolean> {
  if (!VOUCHER_ERRORS.has(error.errorName)) return false;
  const refused = refusedVouchers(settlement, error);
  await ctx.db.transaction(async (tx) => {
    await tx.query(`UPDATE stream_settlements SET status = 'failed', last_error = $2, finished_at = now() WHERE id = $1 AND status = 'sealed'`, [
      settlement.id.toString(),
      error.message.slice(0, 1000),
    ]);
    for (const bad of refused) {
      // This voucher can never settle; a newer one of the session (larger amount) will be picked up again.
      await tx.query(`UPDATE stream_sessions SET settled_voucher = GREATEST(settled_voucher, $2::numeric) WHERE session_id = $1`, [
        bad.sessionId,
        bad.cumulativeAmount.toString(),
      ]);
    }
    await tx.query(`UPDATE stream_sessions SET settling_id = NULL WHERE settling_id = $1`, [settlement.id.toString()]);
  });
  return true;
}

async function recordTransaction(ctx: SettlementContext, id: bigint, from: "sealed" | "submitted", sent: SentTransaction): Promise<void> {
  await ctx.db.query(
    `UPDATE stream_settlements SET status = 'submitted', tx_hash = $3, tx_nonce = $4, submitted_at = now(), attempts = attempts + 1
      WHERE id = $1 AND status = $2`,
    [id.toString(), from, sent.hash, sent.nonce],
  );
}

const SEND_ROUNDS = 3;

/**
 * Confirm: drives the recorded transaction to a successful receipt — waiting for it, or resending the same vouchers
 * (with the same nonce while it is unused) when it was dropped or reverted — then records what the vault paid
 * each session. Resending is harmless: the vault pays only the increase over what a session already settled.
 */
export async function confirmSettlement(ctx: SettlementContext, id: bigint): Promise<void> {
  const settlement = await expectStatus(ctx, id, "submitted");
  if (settlement.txHash === null || settlement.txNonce === null) throw new SettlementStateError(`settlement ${id} is submitted without a transaction`);
  let current: SentTransaction = { hash: settlement.txHash, nonce: settlement.txNonce };
  for (let round = 0; round < SEND_ROUNDS; round++) {
    const state = await ctx.writer.transactionState(current);
    const receipt: MinedReceipt | undefined =
      state.kind === "mined" ? state.receipt : state.kind === "pending" ? await ctx.writer.waitForReceipt(current.hash) : undefined;
    if (receipt?.status === "success") {
      await markSettled(ctx, settlement, receipt);
      return;
    }
    try {
      current = await ctx.writer.settle({ vouchers: settlement.vouchers, nonce: state.kind === "dropped" && state.nonceFree ? current.nonce : undefined });
    } catch (error) {
      if (error instanceof ChainRevertError) {
        // Refused on resend (a voucher expired meanwhile): back to sealed, where submit sorts the voucher out.
        await ctx.db.query(`UPDATE stream_settlements SET status = 'sealed', last_error = $2 WHERE id = $1 AND status = 'submitted'`, [
          id.toString(),
          error.message.slice(0, 1000),
        ]);
      }
      throw error;
    }
    await recordTransaction(ctx, id, "submitted", current);
  }
  throw new SettlementStateError(`settlement ${id}: transaction ${current.hash} still not successful after ${SEND_ROUNDS} sends`);
}

/**
 * Records the vault's own totals per session: from the receipt's StreamSettled events, and for a voucher that paid
 * nothing in this transaction (already settled by an earlier send, or an empty balance) from `settledAmount`.
 */
async function markSettled(ctx: SettlementContext, settlement: SettlementRecord, receipt: MinedReceipt): Promise<void> {
  const { totals, gasUsed } = ctx.writer.settledTotals(receipt);
  const settled = new Map<Hex, bigint>();
  for (const voucher of settlement.vouchers) {
    settled.set(voucher.sessionId, totals.get(voucher.sessionId) ?? (await ctx.writer.settledAmount(voucher)));
  }
  // One statement (see sealSettlement); rows locked in session-id order, as voucher writes lock them (the settlement
  // itself is sorted by artist). `paid` is what the sessions' settled amounts grew by.
  const ordered = bySessionId(settlement.vouchers);
  await ctx.db.query(
    `WITH v AS (SELECT * FROM unnest($2::text[], $3::numeric[], $4::numeric[]) AS v (session_id, settled, cumulative)),
          locked AS MATERIALIZED (
            SELECT s.session_id, s.settled FROM stream_sessions s WHERE s.session_id IN (SELECT session_id FROM v)
             ORDER BY s.session_id FOR UPDATE),
          up AS (
            UPDATE stream_sessions s SET settled = GREATEST(s.settled, v.settled), settled_voucher = GREATEST(s.settled_voucher, v.cumulative),
                   settling_id = CASE WHEN s.settling_id = $1::bigint THEN NULL ELSE s.settling_id END
              FROM v WHERE s.session_id = v.session_id AND s.session_id IN (SELECT session_id FROM locked)
            RETURNING s.session_id, s.settled)
     UPDATE stream_settlements SET status = 'settled', tx_hash = $5, block_number = $6, gas_used = $7, finished_at = now(), last_error = NULL,
            paid = (SELECT coalesce(sum(up.settled - locked.settled), 0) FROM up JOIN locked ON locked.session_id = up.session_id)
      WHERE id = $1 AND status = 'submitted'`,
    [
      settlement.id.toString(),
      ordered.map((v) => v.sessionId),
      ordered.map((v) => (settled.get(v.sessionId) ?? 0n).toString()),
      ordered.map((v) => v.cumulativeAmount.toString()),
      receipt.hash,
      receipt.blockNumber.toString(),
      gasUsed.toString(),
    ],
  );
}

async function expectStatus(ctx: SettlementContext, id: bigint, status: SettlementStatus): Promise<SettlementRecord> {
  const settlement = await loadSettlement(ctx.db, id);
  if (settlement.status !== status) throw new SettlementStateError(`settlement ${id} is ${settlement.status}, not ${status}`);
  return settlement;
}

/** How many sessions a seal would take now (see WAITING). */
async function sessionsToSettle(ctx: SettlementContext): Promise<number> {
  const { rows } = await ctx.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM stream_sessions WHERE ${WAITING}`, [sealHorizon(ctx)]);
  return Number(rows[0]?.n ?? 0);
}

export async function unfinishedSettlementIds(db: Database): Promise<bigint[]> {
  const { rows } = await db.query<{ id: string }>(`SELECT id::text FROM stream_settlements s WHERE status IN ('sealed', 'submitted') ORDER BY s.id`);
  return rows.map((row) => BigInt(row.id));
}

export type RunSettlementCycleParameters = {
  ctx: SettlementContext;
  /** Most new settlements sealed in one cycle (each is one transaction). */
  maxSettlements?: number;
  shouldStop?: () => boolean;
  afterStep?: (step: SettlementStep, id: bigint) => Promise<void>;
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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Most new settlements one cycle seals (each is one transaction): 100,000 sessions at the default STREAM_SETTLE_MAX. */
const MAX_SETTLEMENTS_PER_CYCLE = 1_000;

/**
 * One settlement cycle: finishes every unfinished settlement (a crash leaves them sealed or submitted), then seals
 * and settles new ones until no session holds an unsettled voucher (or `maxSettlements` were made).
 */
export async function runSettlementCycle({ ctx, maxSettlements = MAX_SETTLEMENTS_PER_CYCLE, shouldStop = () => false, afterStep = async () => {}, spreadOverMs = 0, pause = sleep }: RunSettlementCycleParameters): Promise<RunSettlementCycleReturnType> {
  const result: RunSettlementCycleReturnType = { settled: [], failed: [], stopped: false };
  const drive = async (id: bigint): Promise<boolean> => {
    for (;;) {
      const status = await settlementStatus(ctx.db, id);
      if (status === "settled") result.settled.push(id);
      if (status === "failed") result.failed.push(id);
      if (status === "settled" || status === "failed") return true;
      if (shouldStop()) return false;
      if (status === "sealed") {
        await submitSettlement(ctx, id);
        await afterStep("submit", id);
      } else {
        await confirmSettlement(ctx, id);
        await afterStep("confirm", id);
      }
    }
  };
  for (const id of await unfinishedSettlementIds(ctx.db)) {
    if (!(await drive(id))) return { ...result, stopped: true };
  }
  const paceMs = spreadOverMs > 0 ? Math.floor(spreadOverMs / Math.max(1, Math.ceil((await sessionsToSettle(ctx)) / ctx.maxVouchers))) : 0;
  for (let made = 0; made < maxSettlements; made++) {
    if (made > 0 && paceMs > 0) await pause(paceMs);
    if (shouldStop()) return { ...result, stopped: true };
    const id = await sealSettlement(ctx);
    if (id === undefined) break;
    await afterStep("seal", id);
    if (!(await drive(id))) return { ...result, stopped: true };
  }
  return result;
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
  lease?: BatchLease;
  /** Sessions marked open with no voucher for this long are marked closed by the cycle. */
  abandonedAfterSeconds: number;
  afterStep?: (step: SettlementStep, id: bigint) => Promise<void>;
  log?: (message: string) => void;
};

/** Settles every `intervalMs` and soon after sessions end; cycles never overlap, and a failed one is retried next time. */
export function createSettlementScheduler({ ctx, intervalMs, onCloseDelayMs, lease, abandonedAfterSeconds, afterStep, log = () => {} }: CreateSettlementSchedulerParameters): SettlementScheduler {
  let queue: Promise<unknown> = Promise.resolve();
  let interval: NodeJS.Timeout | undefined;
  let soon: NodeJS.Timeout | undefined;
  let stopping = false;

  // Timed and on-close cycles spread their settlements over half the interval (a minute at most); one asked for (a
  // flush) runs flat out, and a paced cycle ahead of it in the queue stops pausing.
  const cycle = async (paced: boolean): Promise<RunSettlementCycleReturnType & { leased: boolean }> => {
    if (stopping) return { settled: [], failed: [], stopped: true, leased: false };
    if (lease !== undefined && !(await lease.acquire())) return { settled: [], failed: [], stopped: false, leased: false };
    await closeAbandonedSessions(ctx.db, abandonedAfterSeconds);
    await refreshPlannerStatistics();
    const result = await runSettlementCycle({
      ctx,
      shouldStop: () => stopping,
      ...(paced ? { spreadOverMs: Math.min(Math.floor(intervalMs / 2), MAX_SPREAD_MS), pause } : {}),
      ...(afterStep === undefined ? {} : { afterStep }),
    });
    if (result.settled.length > 0) log(`stream settlements settled: ${result.settled.join(", ")}`);
    return { ...result, leased: true };
  };

  // Nothing analyzes PGlite's tables on its own: without statistics the planner guessed a handful of unsettled
  // sessions and sealed by sorting the whole table (10 ms for 10,000 sessions, a hundred times a minute) instead of
  // reading the unsettled index in order (0.4 ms). PostgreSQL's autovacuum keeps its own statistics.
  let analyzedAt = Number.NEGATIVE_INFINITY;
  const refreshPlannerStatistics = async () => {
    if (ctx.db.kind !== "pglite" || Date.now() - analyzedAt < ANALYZE_EVERY_MS) return;
    await ctx.db.query(`ANALYZE stream_sessions`);
    analyzedAt = Date.now();
  };

  // A pause between paced settlements, cut short when a flush is queued behind the cycle or the scheduler stops.
  let hurry = false;
  let wake = () => {};
  const pause = (ms: number) =>
    hurry || stopping
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
  const enqueue = (paced: boolean) => {
    const run = queue.then(() => cycle(paced), () => cycle(paced));
    queue = run.catch(() => {});
    return run;
  };
  let flushes = 0;
  const runCycle = () => {
    flushes += 1;
    hurry = true;
    wake();
    return enqueue(false).finally(() => {
      flushes -= 1;
      hurry = flushes > 0;
    });
  };
  const background = () => {
    enqueue(true).catch((error) => log(`stream settlement cycle failed, retried next time: ${error instanceof Error ? error.message : String(error)}`));
  };

  return {
    start() {
      if (interval !== undefined || stopping) return;
      interval = setInterval(background, intervalMs);
      interval.unref();
    },
    trigger() {
      if (stopping || soon !== undefined) return;
      soon = setTimeout(() => {
        soon = undefined;
        background();
      }, onCloseDelayMs);
      soon.unref();
    },
    runCycle,
    async stop() {
      stopping = true;
      wake();
      clearInterval(interval);
      clearTimeout(soon);
      await queue;
    },
  };
}
