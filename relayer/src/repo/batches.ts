import { getAddress, isHex, type Address, type Hex } from "viem";
import type { SignedPlay } from "../crypto/plays.js";
import type { Database, Queryable } from "./db/database.js";
import { BatchStateError } from "./errors.js";
import { insertMilestones, writeCreatorTotals } from "./milestones.js";
import type { CreatorMilestone, CreatorPlays, CreatorTotals, FollowerDelta, MinedAt, RecordedTransaction, StoredEngagement, StoredEvidence, TrackTotal } from "./types.js";

/** The steps a batch goes through, in order. */
export const BATCH_STATUSES = ["open", "sealed", "stored", "submitted", "committed"] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** A batch as the batcher works on it: what each finished step recorded. */
export type BatchRecord = {
  id: bigint;
  status: BatchStatus;
  root: Hex;
  deltas: Hex;
  previousCid: string | null;
  cid: string | null;
  tracks: TrackTotal[];
  creators: CreatorPlays[];
  /** Follower deltas per artist of the batch's engagement events, as the seal computed them. */
  followerDeltas: FollowerDelta[];
  txHash: Hex | null;
  txNonce: number | null;
};

type BatchRow = {
  id: string;
  status: BatchStatus;
  root: string;
  deltas: string;
  previous_cid: string | null;
  cid: string | null;
  tracks: string;
  creators: string;
  follower_deltas: string;
  tx_hash: string | null;
  tx_nonce: string | null;
};

const BATCH_COLUMNS = `id::text, status, root, deltas, previous_cid, cid, tracks, creators, follower_deltas, tx_hash, tx_nonce::text`;

export async function loadBatch(db: Queryable, id: bigint): Promise<BatchRecord> {
  const { rows } = await db.query<BatchRow>(`SELECT ${BATCH_COLUMNS} FROM batches WHERE id = $1`, [id.toString()]);
  const row = rows[0];
  if (row === undefined) throw new BatchStateError(`batch ${id} does not exist`);
  return toRecord(row);
}

/** Batches sealed but not yet committed, oldest first: the order the chain needs them in. */
export async function unfinishedBatchIds(db: Queryable): Promise<bigint[]> {
  const { rows } = await db.query<{ id: string }>(`SELECT id::text FROM batches b WHERE status <> 'committed' ORDER BY b.id`);
  return rows.map((row) => BigInt(row.id));
}

/** The newest batch (any status), which the next seal follows. */
export async function lastBatch(db: Queryable): Promise<{ id: bigint; cid: string | null } | undefined> {
  const { rows } = await db.query<{ id: string; cid: string | null }>(`SELECT id::text, cid FROM batches b ORDER BY b.id DESC LIMIT 1`);
  const row = rows[0];
  return row === undefined ? undefined : { id: BigInt(row.id), cid: row.cid };
}

/** A play with its database id, as the seal step reads it. */
export type PendingPlay = SignedPlay & { id: string };

type PlayRow = { id: string; listener: string; track_id: string; started_at: string; duration_seconds: string; nonce: string; signature: string };

// Columns are cast to text under their own names, so every ORDER BY below names the table's column (b.id, p.id):
// a bare `id` would sort by the text alias, and "10" < "9".
const PLAY_COLUMNS = `id::text, listener, track_id::text, started_at::text, duration_seconds::text, nonce, signature`;

/** Up to `limit` plays in no batch, oldest first (ids grow with arrival). */
export async function pendingPlays(db: Queryable, limit: number): Promise<PendingPlay[]> {
  const { rows } = await db.query<PlayRow>(`SELECT ${PLAY_COLUMNS} FROM plays p WHERE batch_id IS NULL ORDER BY p.id LIMIT $1`, [limit]);
  return rows.map(toPlay);
}

export async function countUnbatchedPlays(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM plays WHERE batch_id IS NULL`);
  return Number(rows[0]?.n ?? 0);
}

/** The plays of a batch in leaf order (the tree's canonical order). */
export async function batchPlays(db: Queryable, batchId: bigint): Promise<PendingPlay[]> {
  const { rows } = await db.query<PlayRow>(`SELECT ${PLAY_COLUMNS} FROM plays WHERE batch_id = $1 ORDER BY leaf_index`, [batchId.toString()]);
  return rows.map(toPlay);
}

type EngagementRow = {
  id: string;
  fan: string;
  action: string;
  track_id: string;
  artist: string;
  subject: string;
  text: string;
  value: string;
  nonce: string;
  issued_at: string;
  signature: string;
};

const ENGAGEMENT_COLUMNS = `id::text, fan, action, track_id::text, artist, subject, text, value::text, nonce, issued_at::text, signature`;

/** Up to `limit` effective engagement events in no batch, oldest first (ids grow with arrival). */
export async function pendingEngagement(db: Queryable, limit: number): Promise<StoredEngagement[]> {
  const { rows } = await db.query<EngagementRow>(
    `SELECT ${ENGAGEMENT_COLUMNS} FROM engagement_events e WHERE batch_id IS NULL AND effective ORDER BY e.id LIMIT $1`,
    [limit],
  );
  return rows.map(toEngagement);
}

/** The engagement events a batch sealed, in arrival order (the snapshot sorts them canonically). */
export async function batchEngagement(db: Queryable, batchId: bigint): Promise<StoredEngagement[]> {
  const { rows } = await db.query<EngagementRow>(`SELECT ${ENGAGEMENT_COLUMNS} FROM engagement_events e WHERE batch_id = $1 ORDER BY e.id`, [batchId.toString()]);
  return rows.map(toEngagement);
}

/** What seal computed for a new batch; written with its plays' leaf indexes in one transaction. */
export type SealedBatch = {
  id: bigint;
  playCount: number;
  trackCount: number;
  root: Hex;
  deltas: Hex;
  previousCid: string | null;
  tracks: readonly TrackTotal[];
  creators: readonly CreatorPlays[];
  /** Database ids of the plays, and each one's leaf index (same order). */
  playIds: readonly string[];
  leafIndexes: readonly number[];
  /** Database ids of the effective engagement events the batch takes, and the follower deltas they make. */
  engagementIds: readonly string[];
  followerDeltas: readonly FollowerDelta[];
};

/**
 * Inserts the sealed batch and takes its plays and engagement events into it, in one transaction, so a crash leaves
 * them either pending or sealed. A play or event someone else batched meanwhile rolls it all back rather than commit
 * a tree with a stolen leaf or evidence that lists an event twice.
 */
export async function insertSealedBatch(db: Database, batch: SealedBatch): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO batches (id, status, play_count, track_count, root, deltas, previous_cid, tracks, creators, engagement_count, follower_deltas, sealed_at)
       VALUES ($1, 'sealed', $2, $3, $4, $5, $6, $7, $8, $9, $10, now())`,
      [
        batch.id.toString(),
        batch.playCount,
        batch.trackCount,
        batch.root,
        batch.deltas,
        batch.previousCid,
        encodeTracks(batch.tracks),
        encodeCreators(batch.creators),
        batch.engagementIds.length,
        JSON.stringify(batch.followerDeltas.map(({ artist, followers }) => ({ artist, followers }))),
      ],
    );
    if (batch.engagementIds.length > 0) {
      const taken = await tx.query(`UPDATE engagement_events SET batch_id = $1 WHERE id = ANY($2::bigint[]) AND batch_id IS NULL AND effective`, [
        batch.id.toString(),
        batch.engagementIds,
      ]);
      if (taken.rowCount !== batch.engagementIds.length) {
        throw new BatchStateError(`batch ${batch.id}: ${batch.engagementIds.length - taken.rowCount} engagement event(s) were batched concurrently`);
      }
    }
    const { rowCount } = await tx.query(
      `UPDATE plays p SET batch_id = $1, leaf_index = v.leaf_index
         FROM unnest($2::bigint[], $3::integer[]) AS v (id, leaf_index)
        WHERE p.id = v.id AND p.batch_id IS NULL`,
      [batch.id.toString(), batch.playIds, batch.leafIndexes],
    );
    if (rowCount !== batch.playIds.length) throw new BatchStateError(`batch ${batch.id}: ${batch.playIds.length - rowCount} play(s) were batched concurrently`);
  });
}

/** Records where the snapshot went; only a sealed batch moves to stored. */
export async function markStored(db: Queryable, batchId: bigint, stored: StoredEvidence): Promise<void> {
  await db.query(
    `UPDATE batches SET status = 'stored', cid = $2, piece_cid = $3, snapshot_size = $4, stored_at = now() WHERE id = $1 AND status = 'sealed'`,
    [batchId.toString(), stored.cid, stored.pieceCid, stored.size],
  );
}

/** Records the commit transaction (first send from stored, or a replacement while submitted) before anything waits on it. */
export async function recordBatchTransaction(db: Queryable, batchId: bigint, from: "stored" | "submitted", sent: RecordedTransaction): Promise<void> {
  await db.query(
    `UPDATE batches SET status = 'submitted', tx_hash = $3, tx_nonce = $4, submitted_at = now(), attempts = attempts + 1
      WHERE id = $1 AND status = $2`,
    [batchId.toString(), from, sent.hash, sent.nonce],
  );
}

/** What a commit changes besides the batch: the milestones it crossed and the creators' committed totals. */
export type CommitEffects = {
  milestones: readonly CreatorMilestone[];
  /** New committed totals of every creator the commit touched. */
  totals: readonly CreatorTotals[];
  /** The block through which revenue events are now counted in `totals` (the commit's block). */
  revenueBlock: bigint;
};

/**
 * Marks the batch committed and records, in the same transaction, every creator milestone it crossed and the
 * creators' new committed totals: a crash after this point cannot forget a milestone, and one before it recomputes
 * the same ones from the same totals. A batch already committed changes nothing (its totals were added once).
 */
export async function markCommitted(db: Database, batchId: bigint, receipt: MinedAt, effects: CommitEffects): Promise<void> {
  await db.transaction(async (tx) => {
    const { rowCount } = await tx.query(
      // submitted_at stays as recorded; a batch found on chain (never sent by us) gets the time it was found.
      `UPDATE batches SET status = 'committed', tx_hash = $2, block_number = $3, committed_at = now(), last_error = NULL,
              submitted_at = coalesce(submitted_at, now())
        WHERE id = $1 AND status IN ('stored', 'submitted')`,
      [batchId.toString(), receipt.hash, receipt.blockNumber.toString()],
    );
    if (rowCount === 0) return;
    await writeCreatorTotals(tx, batchId, effects.totals, effects.revenueBlock);
    await insertMilestones(tx, batchId, effects.milestones);
  });
}

/** Notes a failed cycle's error on a batch; `GET /v1/batches/:id` shows it. */
export async function recordBatchError(db: Queryable, batchId: bigint, message: string): Promise<void> {
  await db.query(`UPDATE batches SET last_error = $2 WHERE id = $1`, [batchId.toString(), message]);
}

/** Track deltas and creator totals as the database keeps them: JSON with integers as decimal strings. */
export function encodeTracks(tracks: readonly TrackTotal[]): string {
  return JSON.stringify(tracks.map(({ trackId, creator, plays }) => ({ trackId: trackId.toString(), creator, plays: plays.toString() })));
}

export function encodeCreators(creators: readonly CreatorPlays[]): string {
  return JSON.stringify(creators.map(({ creator, plays }) => ({ creator, plays: plays.toString() })));
}

function toRecord(row: BatchRow): BatchRecord {
  return {
    id: BigInt(row.id),
    status: row.status,
    root: hex(row.root),
    deltas: hex(row.deltas),
    previousCid: row.previous_cid,
    cid: row.cid,
    tracks: parseList(row.tracks).map((entry) => ({ trackId: BigInt(field(entry, "trackId")), creator: address(field(entry, "creator")), plays: BigInt(field(entry, "plays")) })),
    creators: parseList(row.creators).map((entry) => ({ creator: address(field(entry, "creator")), plays: BigInt(field(entry, "plays")) })),
    followerDeltas: parseList(row.follower_deltas).map((entry) => ({ artist: address(field(entry, "artist")), followers: integerField(entry, "followers") })),
    txHash: row.tx_hash === null ? null : hex(row.tx_hash),
    txNonce: row.tx_nonce === null ? null : Number(row.tx_nonce),
  };
}

function toEngagement(row: EngagementRow): StoredEngagement {
  return {
    id: row.id,
    fan: address(row.fan),
    action: row.action,
    trackId: BigInt(row.track_id),
    artist: address(row.artist),
    subject: hex(row.subject),
    text: row.text,
    value: Number(row.value),
    nonce: hex(row.nonce),
    issuedAt: BigInt(row.issued_at),
    signature: hex(row.signature),
  };
}

function toPlay(row: PlayRow): PendingPlay {
  return {
    id: row.id,
    listener: address(row.listener),
    trackId: BigInt(row.track_id),
    startedAt: BigInt(row.started_at),
    durationSeconds: Number(row.duration_seconds),
    nonce: hex(row.nonce),
    signature: hex(row.signature),
  };
}

// The database only holds what the relayer wrote, but a corrupted row must stop the batcher, not become a bad commit.
function hex(value: string): Hex {
  if (!isHex(value, { strict: true })) throw new BatchStateError(`stored value ${value} is not hex`);
  return value;
}

function address(value: string): Address {
  return `0x${getAddress(value).slice(2).toLowerCase()}`;
}

function parseList(text: string): unknown[] {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value)) throw new BatchStateError("stored batch evidence is not a list");
  return value;
}

function field(entry: unknown, name: string): string {
  if (typeof entry !== "object" || entry === null || !(name in entry)) throw new BatchStateError(`stored batch evidence lacks ${name}`);
  const value: unknown = Reflect.get(entry, name);
  if (typeof value !== "string") throw new BatchStateError(`stored batch evidence ${name} is not a string`);
  return value;
}

function integerField(entry: unknown, name: string): number {
  const value: unknown = typeof entry === "object" && entry !== null ? Reflect.get(entry, name) : undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value)) throw new BatchStateError(`stored batch evidence ${name} is not an integer`);
  return value;
}

// What the API, the CLI and the metrics show about batches.

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
