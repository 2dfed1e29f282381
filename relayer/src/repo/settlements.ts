import type { Address, Hex } from "viem";
import type { Database, Queryable } from "./db/database.js";
import { SettlementStateError } from "./errors.js";
import type { MinedAt, RecordedTransaction } from "./types.js";

export type SettlementStatus = "sealed" | "submitted" | "settled" | "failed";

/** A voucher as a settlement freezes it (the vault's `StreamVoucher` and its signature). */
export type FrozenVoucher = { listener: Address; artist: Address; sessionId: Hex; cumulativeAmount: bigint; deadline: bigint; signature: Hex };

/** A settlement as a step reads it. */
export type SettlementRecord = {
  id: bigint;
  status: SettlementStatus;
  vouchers: FrozenVoucher[];
  txHash: Hex | null;
  txNonce: number | null;
};

type VoucherJson = { listener: Hex; artist: Hex; sessionId: Hex; cumulativeAmount: string; deadline: string; signature: Hex };

function decodeVouchers(text: string): FrozenVoucher[] {
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

/** A settlement as the API shows it; integers beyond 2^53 (ids, amounts, blocks) as decimal strings. */
export type SettlementSummary = {
  id: string;
  status: string;
  voucherCount: number;
  paid: string | null;
  txHash: string | null;
  block: string | null;
  gasUsed: string | null;
  attempts: number;
  lastError: string | null;
};

export async function findSettlement(db: Queryable, id: bigint): Promise<SettlementSummary | undefined> {
  const { rows } = await db.query<SettlementSummary>(
    `SELECT id::text AS id, status, voucher_count AS "voucherCount", paid::text AS paid, tx_hash AS "txHash", block_number::text AS block,
            gas_used::text AS "gasUsed", attempts, last_error AS "lastError"
       FROM stream_settlements WHERE id = $1`,
    [id.toString()],
  );
  return rows[0];
}

/** A settlement's status alone (its vouchers are tens of kilobytes: the machine checks status after every step). */
export async function settlementStatus(db: Queryable, id: bigint): Promise<SettlementStatus> {
  const { rows } = await db.query<{ status: SettlementStatus }>(`SELECT status FROM stream_settlements WHERE id = $1`, [id.toString()]);
  const row = rows[0];
  if (row === undefined) throw new SettlementStateError(`settlement ${id} does not exist`);
  return row.status;
}

export async function loadSettlement(db: Queryable, id: bigint): Promise<SettlementRecord> {
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

export async function unfinishedSettlementIds(db: Queryable): Promise<bigint[]> {
  const { rows } = await db.query<{ id: string }>(`SELECT id::text FROM stream_settlements s WHERE status IN ('sealed', 'submitted') ORDER BY s.id`);
  return rows.map((row) => BigInt(row.id));
}

/**
 * The sessions a seal takes: an unsettled voucher, not carried by a settlement yet, and a deadline beyond `$1`
 * (the seal horizon, unix seconds). The seal and the count that paces a cycle share it.
 */
const WAITING = `unsettled AND settling_id IS NULL AND deadline > $1`;

/** How many sessions a seal at `horizon` would take now. */
export async function countSessionsToSettle(db: Queryable, horizon: number): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM stream_sessions WHERE ${WAITING}`, [horizon]);
  return Number(rows[0]?.n ?? 0);
}

/**
 * Freezes the latest stored voucher of up to `maxVouchers` sessions whose deadline lies beyond `horizon` into a new
 * settlement, sorted by artist (the vault writes an artist's earnings once per run), and marks those sessions as
 * carried by it — one statement, so a session is never in two unfinished settlements. Undefined: nothing waits.
 *
 * One statement rather than a transaction of four: on the embedded store a transaction holds the only connection
 * across every round trip to the PGlite thread, and voucher writes queued behind it waited that long. The rows are
 * locked in session-id order, as voucher writes lock them, so the two cannot deadlock on PostgreSQL; a session
 * another process sealed meanwhile drops out when its lock is taken (`settling_id` is checked again then).
 */
export async function insertSettlement(db: Queryable, horizon: number, maxVouchers: number): Promise<bigint | undefined> {
  const { rows } = await db.query<{ id: string }>(
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
    [horizon, maxVouchers],
  );
  const id = rows[0]?.id;
  return id === undefined ? undefined : BigInt(id);
}

/** Records the settle transaction (first send from sealed, or a replacement while submitted) before anything waits on it. */
export async function recordSettlementTransaction(db: Queryable, id: bigint, from: "sealed" | "submitted", sent: RecordedTransaction): Promise<void> {
  await db.query(
    `UPDATE stream_settlements SET status = 'submitted', tx_hash = $3, tx_nonce = $4, submitted_at = now(), attempts = attempts + 1
      WHERE id = $1 AND status = $2`,
    [id.toString(), from, sent.hash, sent.nonce],
  );
}

/**
 * Marks a sealed settlement failed, takes each refused voucher out of circulation (a newer voucher of its session,
 * with a larger amount, is picked up again) and frees the settlement's other sessions for the next seal.
 */
export async function failSettlement(db: Database, id: bigint, message: string, refused: readonly Pick<FrozenVoucher, "sessionId" | "cumulativeAmount">[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`UPDATE stream_settlements SET status = 'failed', last_error = $2, finished_at = now() WHERE id = $1 AND status = 'sealed'`, [
      id.toString(),
      message,
    ]);
    for (const bad of refused) {
      await tx.query(`UPDATE stream_sessions SET settled_voucher = GREATEST(settled_voucher, $2::numeric) WHERE session_id = $1`, [
        bad.sessionId,
        bad.cumulativeAmount.toString(),
      ]);
    }
    await tx.query(`UPDATE stream_sessions SET settling_id = NULL WHERE settling_id = $1`, [id.toString()]);
  });
}

/** A submitted settlement whose resend the vault refused goes back to sealed, where submit sorts the voucher out. */
export async function reopenSettlement(db: Queryable, id: bigint, message: string): Promise<void> {
  await db.query(`UPDATE stream_settlements SET status = 'sealed', last_error = $2 WHERE id = $1 AND status = 'submitted'`, [id.toString(), message]);
}

export type SettledSession = { sessionId: Hex; settled: bigint; cumulativeAmount: bigint };

/**
 * Records what the vault paid: each session's settled amount and settled voucher grow to the vault's totals, its
 * `settling_id` is freed, and the settlement is marked settled with `paid` (what the sessions' settled amounts grew
 * by). One statement (see insertSettlement); rows are locked in session-id order, as voucher writes lock them (the
 * settlement itself is sorted by artist).
 */
export async function markSettled(db: Queryable, id: bigint, sessions: readonly SettledSession[], receipt: MinedAt, gasUsed: bigint): Promise<void> {
  const ordered = bySessionId(sessions);
  await db.query(
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
      id.toString(),
      ordered.map((s) => s.sessionId),
      ordered.map((s) => s.settled.toString()),
      ordered.map((s) => s.cumulativeAmount.toString()),
      receipt.hash,
      receipt.blockNumber.toString(),
      gasUsed.toString(),
    ],
  );
}

/** Refreshes the embedded store's planner statistics of the session table (nothing analyzes PGlite's tables on its own). */
export async function analyzeSessions(db: Queryable): Promise<void> {
  await db.query(`ANALYZE stream_sessions`);
}

/**
 * Sessions still marked open whose last voucher (or opening) is older than `silenceSeconds`: their process is gone
 * (a live session gets a voucher every few seconds, and its own process ends it when it falls silent).
 */
export async function closeAbandonedSessions(db: Queryable, silenceSeconds: number): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE stream_sessions SET status = 'closed', close_reason = 'silent', closed_at = now()
      WHERE status = 'open' AND coalesce(voucher_at, opened_at) < now() - make_interval(secs => $1)`,
    [silenceSeconds],
  );
  return rowCount;
}

/**
 * Session rows are locked in session-id order by every multi-row write (vouchers, closes, settlement), so two
 * transactions on PostgreSQL never wait on each other in a cycle.
 */
export function bySessionId<T extends { sessionId: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0));
}
