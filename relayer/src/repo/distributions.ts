import type { Address, Hex } from "viem";
import type { Queryable } from "./db/database.js";
import { DistributionStateError } from "./errors.js";
import type { MinedAt, RecordedTransaction } from "./types.js";

export type DistributionStatus = "recorded" | "submitted" | "distributed" | "skipped";

/** A creator's distribution of one period as a step reads it. */
export type DistributionRecord = {
  id: bigint;
  creator: Address;
  period: bigint;
  status: DistributionStatus;
  txHash: Hex | null;
  txNonce: number | null;
};

/** A distribution as `relayer status` shows it; integers beyond 2^53 as decimal strings. */
export type DistributionSummary = {
  id: string;
  creator: string;
  period: string;
  status: DistributionStatus;
  amount: string | null;
  txHash: string | null;
  block: string | null;
  attempts: number;
  lastError: string | null;
};

type DistributionRow = { id: string; creator: string; period: string; status: DistributionStatus; tx_hash: string | null; tx_nonce: string | null };

/**
 * Records that `creator`'s holder revenue of `period` is to be distributed; undefined when that (creator, period) was
 * recorded before (by this process before a crash, or by another): the unique key makes it once per period.
 */
export async function insertDistribution(db: Queryable, creator: Address, period: bigint): Promise<bigint | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO holder_distributions (creator, period) VALUES ($1, $2) ON CONFLICT (creator, period) DO NOTHING RETURNING id::text`,
    [creator.toLowerCase(), period.toString()],
  );
  const id = rows[0]?.id;
  return id === undefined ? undefined : BigInt(id);
}

export async function distributionStatus(db: Queryable, id: bigint): Promise<DistributionStatus> {
  const { rows } = await db.query<{ status: DistributionStatus }>(`SELECT status FROM holder_distributions WHERE id = $1`, [id.toString()]);
  const row = rows[0];
  if (row === undefined) throw new DistributionStateError(`distribution ${id} does not exist`);
  return row.status;
}

export async function loadDistribution(db: Queryable, id: bigint): Promise<DistributionRecord> {
  const { rows } = await db.query<DistributionRow>(
    `SELECT id::text, creator, period::text, status, tx_hash, tx_nonce::text FROM holder_distributions WHERE id = $1`,
    [id.toString()],
  );
  const row = rows[0];
  if (row === undefined) throw new DistributionStateError(`distribution ${id} does not exist`);
  return {
    id,
    creator: lowerHex(row.creator),
    period: BigInt(row.period),
    status: row.status,
    txHash: row.tx_hash === null ? null : lowerHex(row.tx_hash),
    txNonce: row.tx_nonce === null ? null : Number(row.tx_nonce),
  };
}

/** Distributions begun and not final, oldest first: a run finishes them before it records new ones. */
export async function unfinishedDistributionIds(db: Queryable): Promise<bigint[]> {
  const { rows } = await db.query<{ id: string }>(`SELECT id::text FROM holder_distributions WHERE status IN ('recorded', 'submitted') ORDER BY id`);
  return rows.map((row) => BigInt(row.id));
}

/** Records the transaction sent (first send from recorded, or a replacement while submitted) before anything waits on it. */
export async function recordDistributionTransaction(db: Queryable, id: bigint, from: "recorded" | "submitted", sent: RecordedTransaction): Promise<void> {
  await db.query(
    `UPDATE holder_distributions SET status = 'submitted', tx_hash = $3, tx_nonce = $4, attempts = attempts + 1 WHERE id = $1 AND status = $2`,
    [id.toString(), from, sent.hash, sent.nonce],
  );
}

/** The vault paid: `amount` went into `coin` in `receipt`'s transaction (ours, or another caller's found on chain). */
export async function markDistributed(db: Queryable, id: bigint, paid: { amount: bigint; coin: Address; receipt: MinedAt | undefined }): Promise<void> {
  await db.query(
    `UPDATE holder_distributions SET status = 'distributed', amount = $2, coin = $3, tx_hash = coalesce($4, tx_hash), block_number = $5,
            finished_at = now(), last_error = NULL
      WHERE id = $1 AND status IN ('recorded', 'submitted')`,
    [id.toString(), paid.amount.toString(), paid.coin.toLowerCase(), paid.receipt?.hash ?? null, paid.receipt?.blockNumber.toString() ?? null],
  );
}

/** Nothing to do for this period (the vault refused with `reason`: nothing accrued, or already distributed). */
export async function markSkipped(db: Queryable, id: bigint, reason: string): Promise<void> {
  await db.query(
    `UPDATE holder_distributions SET status = 'skipped', last_error = $2, finished_at = now() WHERE id = $1 AND status IN ('recorded', 'submitted')`,
    [id.toString(), reason],
  );
}

/** A submitted distribution whose resend the vault refused goes back to recorded, where submit sorts it out. */
export async function reopenDistribution(db: Queryable, id: bigint, message: string): Promise<void> {
  await db.query(`UPDATE holder_distributions SET status = 'recorded', last_error = $2 WHERE id = $1 AND status = 'submitted'`, [id.toString(), message]);
}

/** Each creator's latest distribution the relayer made (distributed), for `relayer status`. */
export async function lastDistributions(db: Queryable): Promise<DistributionSummary[]> {
  const { rows } = await db.query<DistributionSummary>(
    `SELECT DISTINCT ON (creator) id::text AS id, creator, period::text AS period, status, amount::text AS amount, tx_hash AS "txHash",
            block_number::text AS block, attempts, last_error AS "lastError"
       FROM holder_distributions ORDER BY creator, (status = 'distributed') DESC, period DESC`,
  );
  return rows;
}

export async function countDistributionsByStatus(db: Queryable): Promise<Record<DistributionStatus, number>> {
  const { rows } = await db.query<{ status: DistributionStatus; n: string }>(`SELECT status, count(*)::text AS n FROM holder_distributions GROUP BY status`);
  const counts: Record<DistributionStatus, number> = { recorded: 0, submitted: 0, distributed: 0, skipped: 0 };
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}

function lowerHex(value: string): Hex {
  return `0x${value.slice(2).toLowerCase()}`;
}

/** One distribution as `relayer distribute` prints it. */
export async function findDistribution(db: Queryable, id: bigint): Promise<DistributionSummary> {
  const { rows } = await db.query<DistributionSummary>(
    `SELECT id::text AS id, creator, period::text AS period, status, amount::text AS amount, tx_hash AS "txHash", block_number::text AS block,
            attempts, last_error AS "lastError"
       FROM holder_distributions WHERE id = $1`,
    [id.toString()],
  );
  const row = rows[0];
  if (row === undefined) throw new DistributionStateError(`distribution ${id} does not exist`);
  return row;
}
