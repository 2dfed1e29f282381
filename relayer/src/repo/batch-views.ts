import type { Queryable } from "./db/database.js";

/** What the API, the CLI and the metrics show about batches; the batcher's own reads and writes are in repo/batches.ts. */
export const BATCH_STATUSES = ["open", "sealed", "stored", "submitted", "committed"] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

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

/** The newest committed batch's id, or undefined before the first commit. */
export async function lastCommittedBatchId(db: Queryable): Promise<bigint | undefined> {
  const { rows } = await db.query<{ id: string }>(`SELECT id::text FROM batches b WHERE status = 'committed' ORDER BY b.id DESC LIMIT 1`);
  return rows[0] === undefined ? undefined : BigInt(rows[0].id);
}
