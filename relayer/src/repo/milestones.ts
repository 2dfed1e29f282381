import type { Address, Hex } from "viem";
import type { Queryable } from "../db/database.js";
import type { SentTransaction } from "../chain/writer.js";

/** A creator milestone a commit recorded and whose `updateCreatorMetrics` is not confirmed yet. */
export type PendingMilestone = {
  batchId: string;
  creator: Address;
  plays: bigint;
  /** The CID of the batch that crossed it, reported with it. */
  cid: string;
  /** The transaction recorded for it, if one was sent. */
  sent: SentTransaction | undefined;
};

type MilestoneRow = { batch_id: string; creator: string; plays: string; cid: string; status: string; tx_hash: string | null; tx_nonce: string | null };

/** Every milestone not yet confirmed, oldest batch first (the factory keeps the last report: order matters). */
export async function pendingMilestones(db: Queryable): Promise<PendingMilestone[]> {
  const { rows } = await db.query<MilestoneRow>(
    `SELECT m.batch_id::text, m.creator, m.plays, b.cid, m.status, m.tx_hash, m.tx_nonce::text
       FROM creator_milestones m JOIN batches b ON b.id = m.batch_id
      WHERE m.status <> 'confirmed' ORDER BY m.batch_id, m.creator`,
  );
  return rows.map((row) => ({
    batchId: row.batch_id,
    creator: lowerHex(row.creator),
    plays: BigInt(row.plays),
    cid: row.cid,
    sent: row.tx_hash === null || row.tx_nonce === null ? undefined : { hash: lowerHex(row.tx_hash), nonce: Number(row.tx_nonce) },
  }));
}

/** Records the transaction sent (or resent) for a milestone, before anything waits on it. */
export async function recordMilestoneTransaction(db: Queryable, milestone: Pick<PendingMilestone, "batchId" | "creator">, sent: SentTransaction): Promise<void> {
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
export async function insertMilestones(tx: Queryable, batchId: bigint, milestones: readonly { creator: Address; plays: bigint }[]): Promise<void> {
  if (milestones.length === 0) return;
  await tx.query(
    `INSERT INTO creator_milestones (batch_id, creator, plays)
     SELECT $1, creator, plays FROM unnest($2::text[], $3::text[]) AS m (creator, plays)
     ON CONFLICT DO NOTHING`,
    [batchId.toString(), milestones.map((m) => m.creator), milestones.map((m) => m.plays.toString())],
  );
}

function lowerHex(value: string): Hex {
  return `0x${value.slice(2).toLowerCase()}`;
}
