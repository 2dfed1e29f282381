import type { Queryable } from "./database.js";

export const BATCH_STATUSES = ["open", "sealed", "stored", "submitted", "committed"] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];
export type PlayStatus = "pending" | "batched" | "committed";

/** A play still waiting for the chain: in no batch, or in a batch that has not committed yet. */
const PENDING = `(p.batch_id IS NULL OR b.status <> 'committed')`;

export async function countPendingPlays(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ pending: string }>(
    `SELECT count(*)::text AS pending FROM plays p LEFT JOIN batches b ON b.id = p.batch_id WHERE ${PENDING}`,
  );
  return Number(rows[0]?.pending ?? 0);
}

export async function countPendingTrackPlays(db: Queryable, trackId: bigint): Promise<number> {
  const { rows } = await db.query<{ pending: string }>(
    `SELECT count(*)::text AS pending FROM plays p LEFT JOIN batches b ON b.id = p.batch_id
      WHERE p.track_id = $1 AND ${PENDING}`,
    [trackId.toString()],
  );
  return Number(rows[0]?.pending ?? 0);
}

export type StoredPlay = {
  id: string;
  listener: string;
  trackId: string;
  startedAt: string;
  durationSeconds: number;
  nonce: string;
  signature: string;
  signatureHash: string;
  receivedAt: string;
  batchId: string | null;
  status: PlayStatus;
};

export async function findPlay(db: Queryable, id: bigint): Promise<StoredPlay | undefined> {
  const { rows } = await db.query<{
    id: string;
    listener: string;
    track_id: string;
    started_at: string;
    duration_seconds: string;
    nonce: string;
    signature: string;
    signature_hash: string;
    received_at: string;
    batch_id: string | null;
    batch_status: string | null;
  }>(
    `SELECT p.id::text, p.listener, p.track_id::text, p.started_at::text, p.duration_seconds::text, p.nonce,
            p.signature, p.signature_hash, to_char(p.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS received_at,
            p.batch_id::text, b.status AS batch_status
       FROM plays p LEFT JOIN batches b ON b.id = p.batch_id
      WHERE p.id = $1`,
    [id.toString()],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    id: row.id,
    listener: row.listener,
    trackId: row.track_id,
    startedAt: row.started_at,
    durationSeconds: Number(row.duration_seconds),
    nonce: row.nonce,
    signature: row.signature,
    signatureHash: row.signature_hash,
    receivedAt: row.received_at,
    batchId: row.batch_id,
    status: playStatus(row.batch_status),
  };
}

/** A play is pending until a sealed batch holds it, batched until that batch commits. */
function playStatus(batchStatus: string | null): PlayStatus {
  if (batchStatus === null || batchStatus === "open") return "pending";
  return batchStatus === "committed" ? "committed" : "batched";
}

export async function countBatchesByStatus(db: Queryable): Promise<Record<BatchStatus, number>> {
  const { rows } = await db.query<{ status: string; count: string }>(
    `SELECT status, count(*)::text AS count FROM batches GROUP BY status`,
  );
  const counts: Record<BatchStatus, number> = { open: 0, sealed: 0, stored: 0, submitted: 0, committed: 0 };
  for (const row of rows) {
    const status = BATCH_STATUSES.find((known) => known === row.status);
    if (status !== undefined) counts[status] = Number(row.count);
  }
  return counts;
}
