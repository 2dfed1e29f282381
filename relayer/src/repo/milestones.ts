import type { Address, Hex } from "viem";
import type { Queryable } from "./db/database.js";
import type { CreatorMilestone, CreatorTotals, MilestoneReason, RecordedTransaction } from "./types.js";

/** A creator milestone a commit recorded and whose `updateCreatorMetrics` is not confirmed yet. */
export type PendingMilestone = {
  batchId: string;
  creator: Address;
  plays: bigint;
  followers: bigint;
  revenue: bigint;
  reasons: MilestoneReason[];
  /** The CID of the batch that crossed it, reported with it. */
  cid: string;
  /** The transaction recorded for it, if one was sent. */
  sent: RecordedTransaction | undefined;
};

type MilestoneRow = {
  batch_id: string;
  creator: string;
  plays: string;
  followers: string;
  revenue: string;
  reasons: string;
  cid: string;
  status: string;
  tx_hash: string | null;
  tx_nonce: string | null;
};

const REASONS: readonly MilestoneReason[] = ["plays", "followers", "revenue"];

/** Every milestone not yet confirmed, oldest batch first (the factory keeps the last report: order matters). */
export async function pendingMilestones(db: Queryable): Promise<PendingMilestone[]> {
  const { rows } = await db.query<MilestoneRow>(
    `SELECT m.batch_id::text, m.creator, m.plays, m.followers, m.revenue, m.reasons, b.cid, m.status, m.tx_hash, m.tx_nonce::text
       FROM creator_milestones m JOIN batches b ON b.id = m.batch_id
      WHERE m.status <> 'confirmed' ORDER BY m.batch_id, m.creator`,
  );
  return rows.map((row) => ({
    batchId: row.batch_id,
    creator: lowerHex(row.creator),
    plays: BigInt(row.plays),
    followers: BigInt(row.followers),
    revenue: BigInt(row.revenue),
    reasons: REASONS.filter((reason) => row.reasons.split(",").includes(reason)),
    cid: row.cid,
    sent: row.tx_hash === null || row.tx_nonce === null ? undefined : { hash: lowerHex(row.tx_hash), nonce: Number(row.tx_nonce) },
  }));
}

/** Records the transaction sent (or resent) for a milestone, before anything waits on it. */
export async function recordMilestoneTransaction(db: Queryable, milestone: Pick<PendingMilestone, "batchId" | "creator">, sent: RecordedTransaction): Promise<void> {
  await db.query(`UPDATE creator_milestones SET status = 'submitted', tx_hash = $3, tx_nonce = $4 WHERE batch_id = $1 AND creator = $2`, [
    milestone.batchId,
    milestone.creator,
    sent.hash,
    sent.nonce,
  ]);
}

export async function confirmMilestone(db: Queryable, milestone: Pick<PendingMilestone, "batchId" | "creator">, hash: Hex, blockNumber: bigint | undefined): Promise<void> {
  await db.query(
    `UPDATE creator_milestones SET status = 'confirmed', tx_hash = $3, block_number = $4, confirmed_at = now() WHERE batch_id = $1 AND creator = $2`,
    [milestone.batchId, milestone.creator, hash, blockNumber?.toString() ?? null],
  );
}

/** Records the milestones a commit crossed; run in the commit's own transaction, so none is ever forgotten. */
export async function insertMilestones(tx: Queryable, batchId: bigint, milestones: readonly CreatorMilestone[]): Promise<void> {
  if (milestones.length === 0) return;
  await tx.query(
    `INSERT INTO creator_milestones (batch_id, creator, plays, followers, revenue, reasons)
     SELECT $1, creator, plays, followers, revenue, reasons
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS m (creator, plays, followers, revenue, reasons)
     ON CONFLICT DO NOTHING`,
    [
      batchId.toString(),
      milestones.map((m) => m.creator),
      milestones.map((m) => m.plays.toString()),
      milestones.map((m) => m.followers.toString()),
      milestones.map((m) => m.revenue.toString()),
      milestones.map((m) => m.reasons.join(",")),
    ],
  );
}

/** The committed follower and revenue totals of `creators` (zero for a creator no commit touched yet). */
export async function readCreatorTotals(db: Queryable, creators: readonly Address[]): Promise<Map<Address, CreatorTotals>> {
  const totals = new Map<Address, CreatorTotals>(creators.map((creator) => [creator, { creator, followers: 0n, followersPeak: 0n, revenue: 0n }]));
  if (creators.length === 0) return totals;
  const { rows } = await db.query<{ creator: string; followers: string; followers_peak: string; revenue: string }>(
    `SELECT creator, followers::text, followers_peak::text, revenue::text FROM creator_totals WHERE creator = ANY($1::text[])`,
    [creators],
  );
  for (const row of rows) {
    const creator = lowerHex(row.creator);
    totals.set(creator, { creator, followers: BigInt(row.followers), followersPeak: BigInt(row.followers_peak), revenue: BigInt(row.revenue) });
  }
  return totals;
}

/** The block through which revenue events are in creator_totals; undefined before the first such commit. */
export async function revenueScannedThrough(db: Queryable): Promise<bigint | undefined> {
  const { rows } = await db.query<{ block: string }>(`SELECT block::text FROM revenue_scan`);
  return rows[0] === undefined ? undefined : BigInt(rows[0].block);
}

/** Writes a commit's creator totals and revenue cursor; run in the commit's own transaction. */
export async function writeCreatorTotals(tx: Queryable, batchId: bigint, totals: readonly CreatorTotals[], revenueBlock: bigint): Promise<void> {
  if (totals.length > 0) {
    await tx.query(
      `INSERT INTO creator_totals (creator, followers, followers_peak, revenue, batch_id)
       SELECT creator, followers, followers_peak, revenue, $1
         FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::numeric[]) AS t (creator, followers, followers_peak, revenue)
       ON CONFLICT (creator) DO UPDATE SET followers = excluded.followers, followers_peak = excluded.followers_peak,
              revenue = excluded.revenue, batch_id = excluded.batch_id`,
      [
        batchId.toString(),
        totals.map((t) => t.creator),
        totals.map((t) => t.followers.toString()),
        totals.map((t) => t.followersPeak.toString()),
        totals.map((t) => t.revenue.toString()),
      ],
    );
  }
  await tx.query(`INSERT INTO revenue_scan (id, block) VALUES (true, $1) ON CONFLICT (id) DO UPDATE SET block = excluded.block`, [revenueBlock.toString()]);
}

function lowerHex(value: string): Hex {
  return `0x${value.slice(2).toLowerCase()}`;
}
