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
  /** Position in its batch's tree (canonical order); null until sealed. */
  leafIndex: number | null;
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
    leaf_index: number | null;
    batch_status: string | null;
  }>(
    `SELECT p.id::text, p.listener, p.track_id::text, p.started_at::text, p.duration_seconds::text, p.nonce,
            p.signature, p.signature_hash, to_char(p.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS received_at,
            p.batch_id::text, p.leaf_index, b.status AS batch_status
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
    leafIndex: row.leaf_index === null ? null : Number(row.leaf_index),
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

/** A batch as the API shows it; integers beyond 2^53 (ids, blocks) as decimal strings. */
export type BatchSummary = {
  id: string;
  status: BatchStatus;
  plays: number;
  tracks: number;
  root: string | null;
  previousCid: string | null;
  cid: string | null;
  pieceCid: string | null;
  txHash: string | null;
  block: string | null;
  sealedAt: string | null;
  committedAt: string | null;
  lastError: string | null;
};

type BatchSummaryRow = {
  id: string;
  status: string;
  play_count: number;
  track_count: number;
  root: string | null;
  previous_cid: string | null;
  cid: string | null;
  piece_cid: string | null;
  tx_hash: string | null;
  block_number: string | null;
  sealed_at: string | null;
  committed_at: string | null;
  last_error: string | null;
};

const ISO = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${column}`;
const BATCH_SUMMARY_COLUMNS = `id::text, status, play_count, track_count, root, previous_cid, cid, piece_cid, tx_hash,
  block_number::text, ${ISO("sealed_at")}, ${ISO("committed_at")}, last_error`;

export async function findBatch(db: Queryable, id: bigint): Promise<BatchSummary | undefined> {
  const { rows } = await db.query<BatchSummaryRow>(`SELECT ${BATCH_SUMMARY_COLUMNS} FROM batches WHERE id = $1`, [id.toString()]);
  return rows[0] === undefined ? undefined : toBatchSummary(rows[0]);
}

/** Newest first; `before` is the cursor (the last id of the previous page). */
export async function listBatches(db: Queryable, { limit, before }: { limit: number; before?: bigint | undefined }): Promise<BatchSummary[]> {
  const { rows } = await db.query<BatchSummaryRow>(
    `SELECT ${BATCH_SUMMARY_COLUMNS} FROM batches b WHERE ($1::bigint IS NULL OR b.id < $1::bigint) ORDER BY b.id DESC LIMIT $2`,
    [before?.toString() ?? null, limit],
  );
  return rows.map(toBatchSummary);
}

function toBatchSummary(row: BatchSummaryRow): BatchSummary {
  return {
    id: row.id,
    status: BATCH_STATUSES.find((status) => status === row.status) ?? "open",
    plays: Number(row.play_count),
    tracks: Number(row.track_count),
    root: row.root,
    previousCid: row.previous_cid,
    cid: row.cid,
    pieceCid: row.piece_cid,
    txHash: row.tx_hash,
    block: row.block_number,
    sealedAt: row.sealed_at,
    committedAt: row.committed_at,
    lastError: row.last_error,
  };
}
