import { getAddress, isHex, type Address, type Hex } from "viem";
import type { Queryable } from "../repo/db/database.js";
import type { BatchStatus } from "../repo/batch-views.js";
import type { CreatorTotal, TrackDelta } from "../evidence/deltas.js";
import type { SignedPlay } from "../crypto/plays.js";
import { BatchStateError } from "./errors.js";

/** A batch as the batcher works on it: what each finished step recorded. */
export type BatchRecord = {
  id: bigint;
  status: BatchStatus;
  root: Hex;
  deltas: Hex;
  previousCid: string | null;
  cid: string | null;
  tracks: TrackDelta[];
  creators: CreatorTotal[];
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
  tx_hash: string | null;
  tx_nonce: string | null;
};

const BATCH_COLUMNS = `id::text, status, root, deltas, previous_cid, cid, tracks, creators, tx_hash, tx_nonce::text`;

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

/** Track deltas and creator totals as the database keeps them: JSON with integers as decimal strings. */
export function encodeTracks(tracks: readonly TrackDelta[]): string {
  return JSON.stringify(tracks.map(({ trackId, creator, plays }) => ({ trackId: trackId.toString(), creator, plays: plays.toString() })));
}

export function encodeCreators(creators: readonly CreatorTotal[]): string {
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
    txHash: row.tx_hash === null ? null : hex(row.tx_hash),
    txNonce: row.tx_nonce === null ? null : Number(row.tx_nonce),
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
