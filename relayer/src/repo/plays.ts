import type { Hex } from "viem";
import type { PlayToCheck } from "../crypto/signatures.js";
import type { Queryable } from "./db/database.js";

/**
 * The plays table and its rate counters: what the API reads about plays, and what ingestion reads and writes. Batch
 * membership (batch_id, leaf_index) is the batcher's to write (repo/batches.ts).
 */

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


/** A play the ingest accepted, as it is stored: the signed play and keccak256 of its signature. */
export type PlayToStore = { signed: PlayToCheck; signatureHash: Hex };

/** The key of a play among the rows the inserts return: listener, colon, nonce. */
export function playKey(listener: string, nonce: string): string {
  return `${listener}:${nonce}`;
}

/**
 * Takes transaction-scoped advisory locks on `keys` in hash order, the same in every transaction, so two requests
 * cannot deadlock on each other. A statement of its own: a statement's snapshot predates the locks it takes, so reads
 * that must see what the lock holders wrote come after it.
 */
export async function lockKeys(tx: Queryable, keys: readonly string[]): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($1::text[]) AS k ORDER BY h) AS locks`, [keys]);
}

/** Which of `plays` are already stored (by playKey), and the stored count of each of `buckets`, in one statement. */
export async function readUsedNoncesAndCounters(
  tx: Queryable,
  plays: readonly PlayToCheck[],
  buckets: readonly string[],
): Promise<{ usedNonces: Set<string>; counts: Map<string, number> }> {
  const { rows } = await tx.query<{ kind: string; key: string; count: number | null }>(
    `SELECT 'nonce' AS kind, p.listener || ':' || p.nonce AS key, NULL::integer AS count FROM plays p
       JOIN unnest($1::text[], $2::text[]) AS wanted (listener, nonce)
         ON p.listener = wanted.listener AND p.nonce = wanted.nonce
     UNION ALL
     SELECT 'bucket', bucket, count FROM rate_counters WHERE bucket = ANY($3::text[])`,
    [plays.map(({ play }) => play.listener), plays.map(({ play }) => play.nonce), [...buckets]],
  );
  // The key is built as playKey builds it: listener, colon, nonce.
  return {
    usedNonces: new Set(rows.filter((row) => row.kind === "nonce").map((row) => row.key)),
    counts: new Map(rows.filter((row) => row.kind === "bucket").map((row) => [row.key, Number(row.count)])),
  };
}

const PLAY_COLUMNS = `listener, track_id, started_at, duration_seconds, nonce, signature, signature_hash`;
const PLAY_UNNEST = `unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[])`;

/** The seven per-play parameters of PLAY_UNNEST, column by column. */
function playParameters(plays: readonly PlayToStore[]): string[][] {
  const column = (pick: (entry: PlayToStore) => string) => plays.map(pick);
  return [
    column((c) => c.signed.play.listener),
    column((c) => c.signed.play.trackId.toString()),
    column((c) => c.signed.play.startedAt.toString()),
    column((c) => String(c.signed.play.durationSeconds)),
    column((c) => c.signed.play.nonce),
    column((c) => c.signed.signature),
    column((c) => c.signatureHash),
  ];
}

/** A rate-counter window's increment and when it can be forgotten. */
export type CounterIncrement = { count: number; expiresAt: bigint };

/**
 * Plays and their rate-counter increments in one statement (the counters in a data-modifying CTE, which PostgreSQL
 * always runs to completion); a (listener, nonce) already stored is skipped. Returns play ids keyed by playKey.
 */
export async function insertPlaysCounted(
  tx: Queryable,
  plays: readonly PlayToStore[],
  increments: ReadonlyMap<string, CounterIncrement>,
  clientIp: string,
): Promise<Map<string, string>> {
  if (plays.length === 0) return new Map();
  const counters = [...increments.entries()];
  const { rows } = await tx.query<{ id: string; listener: string; nonce: string }>(
    `WITH counted AS (
       INSERT INTO rate_counters (bucket, count, expires_at)
       SELECT * FROM unnest($9::text[], $10::integer[], $11::bigint[])
       ON CONFLICT (bucket) DO UPDATE SET count = rate_counters.count + EXCLUDED.count
     )
     INSERT INTO plays (${PLAY_COLUMNS}, client_ip)
     SELECT *, $8 FROM ${PLAY_UNNEST}
     ON CONFLICT (listener, nonce) DO NOTHING
     RETURNING id::text AS id, listener, nonce`,
    [
      ...playParameters(plays),
      clientIp,
      counters.map(([bucket]) => bucket),
      counters.map(([, entry]) => entry.count),
      counters.map(([, entry]) => entry.expiresAt.toString()),
    ],
  );
  return new Map(rows.map((row) => [playKey(row.listener, row.nonce), row.id]));
}

/**
 * Stores plays in one statement; a (listener, nonce) already stored is skipped, not an error. Returns the ids of the
 * rows written, keyed by playKey: a play without one was a duplicate.
 */
export async function insertPlays(db: Queryable, plays: readonly PlayToStore[], clientIp: string): Promise<Map<string, string>> {
  const { rows } = await db.query<{ id: string; listener: string; nonce: string }>(
    `INSERT INTO plays (${PLAY_COLUMNS}, client_ip)
     SELECT *, $8 FROM ${PLAY_UNNEST}
     ON CONFLICT (listener, nonce) DO NOTHING
     RETURNING id::text AS id, listener, nonce`,
    [...playParameters(plays), clientIp],
  );
  return new Map(rows.map((row) => [playKey(row.listener, row.nonce), row.id]));
}

/**
 * The single-writer insert: one COPY for the whole request, the fast path (no planner, no parameters, no rows sent
 * back). COPY has no ON CONFLICT, so a nonce already stored aborts it and the request falls back to insertPlays,
 * which skips duplicates. Ids come from the identity sequence: on PGlite's only connection nothing else draws from
 * it between the COPY and its follow-up, so the copied rows hold the consecutive values ending at currval, in
 * input order.
 */
export async function insertPlaysAlone(db: Queryable, plays: readonly PlayToStore[], clientIp: string): Promise<Map<string, string>> {
  if (db.copyFrom === undefined) return insertPlays(db, plays, clientIp);
  const ip = copyText(clientIp);
  let data = "";
  for (const { signed, signatureHash } of plays) {
    const { play, signature } = signed;
    // Every field but the client address is validated hex or decimal, which COPY's text format takes as is.
    data += `${play.listener}\t${play.trackId}\t${play.startedAt}\t${play.durationSeconds}\t${play.nonce}\t${signature}\t${signatureHash}\t${ip}\n`;
  }
  try {
    // COPY is one statement, whole or nothing; currval runs right after it on the same connection.
    const { copied, rows } = await db.copyFrom(
      `COPY plays (${PLAY_COLUMNS}, client_ip) FROM '/dev/blob'`,
      data,
      `SELECT currval(pg_get_serial_sequence('plays', 'id'))::text AS last`,
    );
    if (copied !== plays.length) throw new Error(`COPY stored ${copied} of ${plays.length} plays`);
    const first = BigInt((rows[0] as { last: string }).last) - BigInt(plays.length) + 1n;
    return new Map(plays.map((entry, at) => [playKey(entry.signed.play.listener, entry.signed.play.nonce), (first + BigInt(at)).toString()]));
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return insertPlays(db, plays, clientIp);
  }
}

/** A value in COPY's text format: backslash, tab, newline and carriage return escaped. */
function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[c]!) : value;
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "23505";
}

/** Deletes the stored counter windows that expired before `now` (unix seconds); returns how many went. */
export async function deleteExpiredRateCounters(db: Queryable, now: number): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM rate_counters WHERE expires_at < $1`, [now]);
  return rowCount;
}

/** A rate window rebuilt from the stored plays: its key, its count, and the end of its window (unix seconds). */
export type StoredRateWindow = { bucket: string; count: number; windowEnd: bigint };

/**
 * The windows the stored plays fill, keyed as `ingestPlays` builds them: listener-track windows by the play's own
 * hour and day (plays that started at or after `since`), the per-IP window by arrival minute (`minute`).
 */
export async function readRateWindows(db: Queryable, { since, minute }: { since: bigint; minute: number }): Promise<StoredRateWindow[]> {
  const { rows } = await db.query<{ bucket: string; count: number; window_end: string }>(
    `SELECT 'lt:h:' || listener || ':' || track_id || ':' || (started_at / 3600) AS bucket, count(*)::integer AS count,
            ((started_at / 3600 + 1) * 3600)::text AS window_end
       FROM plays WHERE started_at >= $1 GROUP BY listener, track_id, started_at / 3600
     UNION ALL
     SELECT 'lt:d:' || listener || ':' || track_id || ':' || (started_at / 86400), count(*)::integer,
            ((started_at / 86400 + 1) * 86400)::text
       FROM plays WHERE started_at >= $1 GROUP BY listener, track_id, started_at / 86400
     UNION ALL
     SELECT 'ip:m:' || client_ip || ':' || $2::bigint, count(*)::integer, (($2::bigint + 1) * 60)::text
       FROM plays WHERE client_ip IS NOT NULL AND received_at >= to_timestamp($2::bigint * 60) GROUP BY client_ip`,
    [since.toString(), minute],
  );
  return rows.map((row) => ({ bucket: row.bucket, count: Number(row.count), windowEnd: BigInt(row.window_end) }));
}
